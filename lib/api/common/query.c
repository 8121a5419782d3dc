/* query: a request's store, queries and writes, set up alike for every surface (api.h). Five
 * copies of the query's (one per surface, issue 53) differed only in the order and page each
 * then set; the store and the query's budget were lib/http's, which now knows neither. */
#include "lib/api/common/api.h"

#include <limits.h>
#include <string.h>
#include "lib/store/ops.h"

/* The data directory of the last request (api_idle's store). */
static char idle_root[PATH_MAX];

enum status api_open(struct http_req *req)
{
	struct api_app *app = arena_alloc(req->arena, sizeof *app);
	const char *sync = http_env(req, "SPANDEX_SYNC");
	struct err e = {0};

	store_init(&app->store, req->root, !(sync && !strcmp(sync, "0")));
	if (req->root && strlen(req->root) < sizeof idle_root && strcmp(idle_root, req->root))
		strcpy(idle_root, req->root);
	req->app = app;
	api_bucket(req);
	/* Held from now on, so a restore refuses to run under this program (issue 30); a 503
	 * while one runs. */
	if (ops_serve(req->root, &e) != ST_OK) {
		const char *why = ops_serve_unlogged();
		if (why)
			http_log(req, "%s", why);
		return http_fail_err(req, &e);
	}
	return ST_OK;
}

bool api_idle(void)
{
	return store_tail_idle(idle_root[0] ? idle_root : NULL);
}

void api_query_init(struct http_req *req, struct query *q)
{
	memset(q, 0, sizeof *q);
	q->st = api_store(req);
	q->a = req->arena;
	q->ws = req->ws;
	q->sort = "-started_at";
	api_query_limits(req, q);
	api_query_admit(req, q);
}

void api_query_limits(struct http_req *req, struct query *q)
{
	q->start_ns = req->t0_ns;
	q->budget_ms = (long long)http_env_count(req, "SPANDEX_QUERY_MS", QUERY_BUDGET_MS);
	q->budget_bytes = http_env_count(req, "SPANDEX_QUERY_BYTES", QUERY_BUDGET_BYTES);
	q->budget_mem = http_env_count(req, "SPANDEX_QUERY_MEM", QUERY_BUDGET_MEM);
}

/* http_heavy as lib/query calls it. */
static enum status admit(void *ctx, struct err *e)
{
	struct http_req *req = ctx;
	enum status st = http_heavy(req);

	if (st != ST_OK)
		*e = req->err;
	return st;
}

void api_query_admit(struct http_req *req, struct query *q)
{
	q->heavy_bytes = http_env_count(req, "SPANDEX_QUERY_HEAVY", QUERY_HEAVY_BYTES);
	q->heavy_cpu_ms = http_env_count(req, "SPANDEX_QUERY_HEAVY_MS", QUERY_HEAVY_CPU_MS);
	q->start_cpu_ns = req->cpu0_ns;
	q->admit = admit;
	q->admit_ctx = req;
}

struct ingest_to api_ingest_to(struct http_req *req)
{
	return (struct ingest_to){
	    .st = api_store(req), .ws = req->ws, .a = req->arena, INGEST_SETTINGS(http_env, req)};
}

enum status api_erase(struct http_req *req, const char *api, enum store_erase_by by,
		      const char *const *ids, size_t n, size_t *judgements, struct err *e)
{
	/* Who asked, for the audit line: the API and the key's id. */
	const char *who =
	    arena_printf(req->arena, "%s:%s", api, req->principal ? req->principal : "-");
	enum status st = ST_OK;
	if (judgements)
		*judgements = 0;
	for (size_t i = 0; st == ST_OK && i < n; i += STORE_ERASE_MAX_VALUES) {
		struct store_erase_ack ack;
		struct store_erase_what w = {
		    .by = by,
		    .values = ids + i,
		    .n = n - i < STORE_ERASE_MAX_VALUES ? n - i : STORE_ERASE_MAX_VALUES};
		st = store_erase(api_store(req), req->ws, &w, who, &ack, e);
		if (st == ST_OK && judgements)
			*judgements += ack.judgements;
	}
	return st;
}
