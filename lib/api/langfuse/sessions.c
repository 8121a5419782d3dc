/* sessions: GET /sessions (the sessions its traces name, newest first) and GET
 * /sessions/{id} (with its traces), sessions.yml. A session is what spandex's sessions are
 * (docs/api-intake.md, "Sessions"): the traces whose spans name it, whichever API wrote them; a
 * trace that names none is in no session here, as in Langfuse. */
#include "lib/api/langfuse/read.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/time.h"
#include "lib/json/jline.h"
#include "lib/json/jsonw.h"

/* A session seen in the listing: its first trace's start and environment. */
struct sess {
	const char *id, *env;
	int64_t created;
};

struct seen {
	struct http_req *req;
	struct sess *s;
	size_t n, cap;
	const char **envs;
	size_t nenvs;
};

static void seen_reset(void *ctx)
{
	((struct seen *)ctx)->n = 0;
}

static void seen_trace(void *ctx, const struct query_trace *t)
{
	struct seen *w = ctx;
	struct span s;
	json_t *root;
	struct arena *a = w->req->arena;
	if (!span_parse(t->root.line, t->root.len, &s, &root))
		return;
	const char *id = langfuse_trace_session(a, &s, t->session), *env = langfuse_env_of(&s);
	bool env_ok = !w->nenvs;
	for (size_t i = 0; !env_ok && i < w->nenvs; i++)
		env_ok = !strcmp(env, w->envs[i]);
	size_t k = 0;
	while (id && env_ok && k < w->n && strcmp(w->s[k].id, id))
		k++;
	if (id && env_ok && k == w->n) {
		w->s = langfuse_grow(a, w->s, w->n, &w->cap, sizeof *w->s);
		w->s[w->n++] =
		    (struct sess){arena_strdup(a, id), arena_strdup(a, env), s.started_at};
	} else if (id && env_ok && s.started_at < w->s[k].created) {
		w->s[k].created = s.started_at;
		w->s[k].env = arena_strdup(a, env);
	}
	span_clear(&s);
	json_decref(root);
}

static int newest_first(const void *x, const void *y)
{
	const struct sess *a = x, *b = y;
	if (a->created != b->created)
		return a->created > b->created ? -1 : 1;
	return strcmp(a->id, b->id);
}

static void put_session_head(struct buf *out, const char *ws, const struct sess *s)
{
	char t[40];
	time_format(s->created, t);
	buf_adds(out, "{\"id\":");
	jsonw_string(out, s->id, strlen(s->id));
	buf_printf(out, ",\"createdAt\":\"%s\",\"projectId\":", t);
	jsonw_string(out, ws, strlen(ws));
	buf_adds(out, ",\"environment\":");
	jsonw_string(out, s->env, strlen(s->env));
}

/* GET /sessions: one visit of the traces in the window, their sessions by first start. */
enum status langfuse_sessions_list(struct http_req *req)
{
	long long page, limit;
	struct query q;
	struct filter f = {0};
	struct filter_cond c[2];
	struct seen w = {req, NULL, 0, 0, NULL, 0};
	f.conds = c;
	if (!langfuse_paging(req, LF_MAX_LIMIT, &page, &limit) ||
	    !langfuse_window(req, "fromTimestamp", "toTimestamp", &f))
		return ST_OK;
	w.nenvs = langfuse_param_all(req, "environment", &w.envs);
	api_query_init(req, &q);
	q.f = &f;
	q.visit_reset = seen_reset;
	enum status st = query_trace_visit(&q, seen_trace, &w);
	if (st != ST_OK)
		return http_fail(req, st, "%s", err_text(&q.err));
	qsort(w.s, w.n, sizeof *w.s, newest_first);
	struct buf *out = arena_buf(req->arena);
	buf_adds(out, "{\"data\":[");
	for (size_t i = (size_t)((page - 1) * limit); i < w.n && i < (size_t)(page * limit); i++) {
		if (out->p[out->len - 1] != '[')
			buf_addc(out, ',');
		put_session_head(out, req->ws, &w.s[i]);
		buf_addc(out, '}');
	}
	langfuse_page_meta(out, page, limit, w.n);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* GET /sessions/{id}: the session and every trace of it (not paged, as Langfuse's). */
enum status langfuse_session_get(struct http_req *req)
{
	struct query q;
	struct filter f = {0};
	struct filter_cond c = {.field = FF_SESSION_ID, .op = FOP_EQ, .vals = &req->id, .nvals = 1};
	struct buf *traces = arena_buf(req->arena);
	struct sess head = {req->id, "default", SPAN_NONE_I64};
	f.conds = &c;
	f.n = 1;
	for (long long page = 1;; page++) {
		struct query_traces tr;
		api_query_init(req, &q);
		q.f = &f;
		q.sort = "started_at";
		q.summary = true;
		q.page = page;
		q.page_size = QUERY_MAX_PAGE_SIZE;
		enum status st = query_trace_rows(&q, &tr);
		if (st != ST_OK)
			return http_fail(req, st, "%s", err_text(&q.err));
		for (size_t i = 0; i < tr.n; i++) {
			struct span s;
			json_t *root;
			if (!span_parse(tr.rows[i].root.line, tr.rows[i].root.len, &s, &root))
				continue;
			if (head.created == SPAN_NONE_I64) {
				head.created = s.started_at;
				head.env = arena_strdup(req->arena, langfuse_env_of(&s));
			}
			if (traces->len)
				buf_addc(traces, ',');
			langfuse_render_trace_head(traces, req->arena, req->ws, &s, req->id, true);
			buf_addc(traces, '}');
			span_clear(&s);
			json_decref(root);
		}
		if (!tr.more || !tr.n)
			break;
	}
	if (head.created == SPAN_NONE_I64)
		return http_fail(req, ST_NOT_FOUND, "Session not found within authorized project");
	struct buf *out = arena_buf(req->arena);
	put_session_head(out, req->ws, &head);
	buf_adds(out, ",\"traces\":[");
	buf_add(out, traces->p, traces->len);
	buf_adds(out, "]}");
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}
