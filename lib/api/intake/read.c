/* read: the Intake read endpoints (the seed pages; reference nemo-intake.md section 7):
 * list spans, span groups, get span, list traces, get trace, get session (/healthz: health.c). */
#include "lib/api/intake/intake.h"

#include <inttypes.h>
#include <string.h>
#include <stdlib.h>
#include "lib/api/intake/filter.h"
#include "lib/api/intake/judgements.h"
#include "lib/api/intake/pages.h"
#include "lib/api/intake/params.h"
#include "lib/auth/auth.h"
#include "lib/base/time.h"
#include "lib/json/jsonw.h"
#include "lib/model/export.h"
#include "lib/query/query.h"
#include "lib/query/search.h"
#include "lib/store/ops.h"

void intake_query_pairs(struct http_req *req, const char ***keys, const char ***vals)
{
	*keys = arena_alloc(req->arena, (req->nparams + 1) * sizeof **keys);
	*vals = arena_alloc(req->arena, (req->nparams + 1) * sizeof **vals);
	for (size_t i = 0; i < req->nparams; i++) {
		(*keys)[i] = req->params[i].key;
		(*vals)[i] = req->params[i].value;
	}
}

/* The filter of the request (filter= or filter[...]); 400 with the reference's message. Its
 * evaluator_scores.<name> fields (spandex's own) go to *sc, the rest to f; the echo is the
 * whole filter. */
static enum status parse_filter(struct http_req *req, enum filter_kind kind, const char *raw,
				struct filter *f, struct intake_score_conds *sc)
{
	const char **keys, **vals;
	struct err err;
	json_t *tree, *rest;

	intake_query_pairs(req, &keys, &vals);
	enum status st = intake_filter_tree(req->arena, raw, keys, vals, req->nparams, &tree, &err);
	if (st == ST_OK)
		st = intake_score_split(req->arena, kind == FILTER_TRACES, tree, &rest, sc, &err);
	if (st == ST_OK)
		st = intake_filter_parse_tree(req->arena, kind, rest, f, &err);
	if (st != ST_OK)
		return http_fail_err(req, &err);
	f->echo = tree;
	return ST_OK;
}

/* The score filter and sort of a listing (spandex's own: lib/api/intake/byscore.c) of traces
 * or spans (by), read from the judgements beside the spans. */
static enum status by_score(struct http_req *req, enum judgement_target by,
			    const struct intake_score_conds *sc, bool sorted, struct query *q)
{
	struct jquery jq = {.st = api_store(req), .a = req->arena, .ws = req->ws};
	enum status st = intake_score_narrow(&jq, by, sc, q);
	if (st == ST_OK && sorted)
		st = intake_score_order(&jq, by, q->sort, q);
	return st == ST_OK ? ST_OK : http_fail(req, st, "%s", jq.err.msg);
}

/* api_query_init's, on NeMo's first page. Small queries never take a slot of the expensive
 * ones; the viewer sends a page's queries side by side and retries a 429 after its
 * Retry-After (ui/js/api.js). */
static void query_init(struct http_req *req, struct query *q)
{
	api_query_init(req, q);
	q->page = 1;
	q->page_size = QUERY_DEFAULT_PAGE_SIZE;
}

/* Replies 200 with the page, or fails with the query's reason. */
static enum status reply(struct http_req *req, const struct query *q, enum status st,
			 const struct buf *out)
{
	if (st != ST_OK)
		return http_fail(req, st, "%s", q->err.st == st ? q->err.msg : "");
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* search=: words and "quoted phrases", ANDed (lib/query/search.h; lib/query matches them
 * case-blind in name, input and output). */
static enum status search_terms(struct http_req *req, const char *text, struct query *q)
{
	const char **terms;
	enum search_parse r = search_terms_parse(req->arena, text, SEARCH_MAX_TERMS,
						 SEARCH_MAX_TERM, &terms, &q->nsearch);
	if (r != SEARCH_OK)
		return http_fail(req, ST_BAD_REQUEST, "%s", search_parse_msg(r));
	q->search = terms;
	return ST_OK;
}

/* A list request: the common parameters (lib/api/intake/params.h) from pv on, the filter,
 * the page. mode: the list has mode= (spans, traces), and sort= of [-]started_at or a score. */
static enum status list(struct http_req *req, const struct http_pval *pv, enum filter_kind kind,
			bool mode, struct query *q, struct filter *f)
{
	struct intake_score_conds sc;
	enum status st;

	query_init(req, q);
	if ((st = search_terms(req, pv[IP_SEARCH].s, q)) != ST_OK ||
	    (st = parse_filter(req, kind, pv[IP_FILTER].s, f, &sc)) != ST_OK)
		return st;
	q->page = pv[IP_PAGE].i;
	q->page_size = pv[IP_PAGE_SIZE].i;
	q->sort = pv[IP_SORT].s;
	q->summary = mode && !strcmp(pv[IP_MODE].s, "summary");
	q->f = f;
	intake_error_count_narrow(&sc, q);
	return by_score(req, kind == FILTER_TRACES ? JT_TRACE : JT_SPAN, &sc, mode, q);
}

enum status intake_list_spans(struct http_req *req)
{
	struct query q;
	struct filter f = {0};
	struct buf *out = arena_buf(req->arena);
	enum status st = list(req, req->pv, FILTER_SPANS, true, &q, &f);

	if (st != ST_OK)
		return st;
	if (!strcmp(req->pv[IP_MODE].s, "preview"))
		return reply(req, &q, intake_pages_span_previews(&q, out), out);
	return reply(req, &q, intake_pages_spans(&q, out), out);
}

enum status intake_span_groups(struct http_req *req)
{
	struct query q;
	struct filter f = {0};
	struct buf *out = arena_buf(req->arena);
	enum query_group_by by[2];
	size_t nby;
	enum status st = list(req, req->pv + IP_GROUP_REST, FILTER_SPANS, false, &q, &f);

	if (st != ST_OK)
		return st;
	/* An empty `by` gets the §7.5 400, not a 422. */
	st = intake_pages_group_by(req->pv[IP_GROUP_BY].s, by, &nby, &q.err);
	if (st == ST_OK)
		st = intake_pages_groups(&q, by, nby, out);
	return reply(req, &q, st, out);
}

enum status intake_list_traces(struct http_req *req)
{
	struct query q;
	struct filter f = {0};
	struct buf *out = arena_buf(req->arena);
	enum status st = list(req, req->pv, FILTER_TRACES, true, &q, &f);

	if (st != ST_OK)
		return st;
	return reply(req, &q, intake_pages_traces(&q, out), out);
}

enum status intake_get_trace(struct http_req *req)
{
	struct query q;
	struct buf *out = arena_buf(req->arena);

	query_init(req, &q);
	q.summary = !strcmp(req->pv[0].s, "summary");
	return reply(req, &q, intake_pages_trace(&q, req->id, out), out);
}

enum status intake_get_session(struct http_req *req)
{
	struct query q;
	struct buf *out = arena_buf(req->arena);

	query_init(req, &q);
	return reply(req, &q, intake_pages_session(&q, req->id, out), out);
}

/* GET spans/stats: activity over a window (spandex's own, for the viewer's overview). */
enum status intake_span_stats(struct http_req *req)
{
	const struct http_pval *pv = req->pv;
	struct query q;
	struct filter f = {0};
	struct buf *out = arena_buf(req->arena);
	int64_t from, to;
	enum status st;

	if (!time_parse(pv[IP_STATS_START].s, false, &from) ||
	    !time_parse(pv[IP_STATS_END].s, false, &to))
		return http_fail(req, ST_BAD_REQUEST, "start and end must be valid datetimes.");
	struct intake_score_conds sc;
	query_init(req, &q);
	if ((st = search_terms(req, pv[IP_STATS_SEARCH].s, &q)) != ST_OK ||
	    (st = parse_filter(req, FILTER_SPANS, pv[IP_STATS_FILTER].s, &f, &sc)) != ST_OK ||
	    (st = by_score(req, JT_SPAN, &sc, false, &q)) != ST_OK)
		return st;
	q.f = &f;
	return reply(req, &q,
		     intake_pages_stats(&q, from, to, pv[IP_STATS_BUCKET].i * 1000000, out), out);
}

/* An export in progress: the reply opens with the first chunk (or at the end), so a query
 * that fails before it still answers in the API's error shape. */
struct export_reply {
	struct http_req *req;
	struct buf *out;
	struct export x;
	const char *disposition;
	bool open;
};

static void export_flush(struct export_reply *r, bool all)
{
	if (!(all || r->out->len >= HTTP_STREAM_CHUNK))
		return;
	if (!r->open)
		http_stream_open_with(r->req, 200, export_content_type(r->x.fmt), r->disposition);
	r->open = true;
	http_stream_flush(r->req, r->out, true);
}

static void export_visit(void *ctx, const struct query_row *row)
{
	struct export_reply *r = ctx;
	export_line(&r->x, row->line, row->len);
	export_flush(r, false);
}

/* spans/export, traces/export: what the list shows (its filter, search and score filters),
 * every page of it, day by day in its direction (within a day in the order stored), as
 * format= says. A trace is its root span. It reads what it must, unbounded by the query
 * budget's time and bytes (its memory is one span's), and holds one of the program's slots
 * for expensive requests while it runs. */
static enum status export_list(struct http_req *req, enum filter_kind kind)
{
	const struct http_pval *pv = req->pv;
	struct intake_score_conds sc;
	struct query q;
	struct filter f = {0};
	enum status st;
	query_init(req, &q);
	if ((st = search_terms(req, pv[IP_EXPORT_SEARCH].s, &q)) != ST_OK ||
	    (st = parse_filter(req, kind, pv[IP_EXPORT_FILTER].s, &f, &sc)) != ST_OK)
		return st;
	/* An export reads root spans one by one, never a trace's rollup over its spans. */
	if (sc.ne)
		return http_fail(req, ST_BAD_REQUEST,
				 "Filter field '" INTAKE_ERROR_COUNT "' is only for GET traces: an "
				 "export reads root spans, not their traces' rollups.");
	q.f = &f;
	q.sort = pv[IP_EXPORT_SORT].s;
	q.roots_only = kind == FILTER_TRACES;
	q.budget_ms = EXPORT_BUDGET_MS;
	q.budget_bytes = EXPORT_BUDGET_BYTES;
	q.budget_resident = EXPORT_RESIDENT;
	q.admit = NULL;
	if ((st = by_score(req, kind == FILTER_TRACES ? JT_TRACE : JT_SPAN, &sc, false, &q)) !=
		ST_OK ||
	    (st = http_heavy(req)) != ST_OK)
		return st;
	struct export_reply r = {.req = req, .out = arena_buf(req->arena)};
	int fmt = export_format_parse(pv[IP_EXPORT_FORMAT].s);
	r.disposition = arena_printf(
	    req->arena, "Content-Disposition: attachment; filename=\"%s-%s.%s\"\r\n", req->ws,
	    kind == FILTER_TRACES ? "traces" : "spans", export_extension((enum export_format)fmt));
	export_begin(&r.x, (enum export_format)fmt, req->arena, r.out);
	st = query_span_visit(&q, export_visit, &r);
	if (st != ST_OK && !r.open)
		return http_fail(req, st, "%s", q.err.st == st ? q.err.msg : "");
	if (st != ST_OK) /* the reply is under way: it ends short, and the log says why */
		http_log(req, "export ended early: %s", q.err.msg);
	else
		export_end(&r.x);
	export_flush(&r, true);
	return ST_OK;
}

enum status intake_export_spans(struct http_req *req)
{
	return export_list(req, FILTER_SPANS);
}

enum status intake_export_traces(struct http_req *req)
{
	return export_list(req, FILTER_TRACES);
}

/* GET spans/{span_id}: the stored line is the body. */
enum status intake_get_span(struct http_req *req)
{
	struct buf *out = arena_buf(req->arena);
	enum status st = store_get(api_store(req), req->ws, req->id, out);

	if (st == ST_NOT_FOUND)
		return http_fail(req, st, "Span %.200s/%.1100s not found", req->ws, req->id);
	if (st != ST_OK)
		return http_fail(req, st, "%s", status_message(st));
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}
/* GET media/{sha256}: a media file ingest moved out of a span (docs/media.md), its bytes as
 * they were sent. */
enum status intake_get_media(struct http_req *req)
{
	struct err e = {0};
	enum status st = api_reply_media(req, req->id, &e);
	if (st == ST_NOT_FOUND)
		return http_fail(req, st, "Media %.200s/%.200s not found", req->ws, req->id);
	if (st != ST_OK)
		return http_fail_logged(req, &e, "%s", status_message(st));
	return ST_OK;
}

/* GET /apis/intake/v2/workspaces (spandex's own, for the viewer's workspace list): the
 * workspaces of the data directory that the caller's key may read, by name, all of them with
 * authentication off; {"data": [{"name": "..."}, ...]}. Its route is public: the key is
 * checked here, per workspace, so that a key of one workspace is told only of its own. */
enum status intake_list_workspaces(struct http_req *req)
{
	struct auth_grant g;
	struct err e = {0};
	enum status st = auth_resolve(req->root, http_env(req, "SPANDEX_TOKEN"),
				      intake_dialect.key->get(req), &g, &e);
	if (st != ST_OK)
		return http_fail_err(req, &e);
	char **names;
	size_t n;
	if ((st = store_workspaces(api_store(req), &names, &n)) != ST_OK)
		return http_fail(req, st, "The data directory cannot be listed.");
	struct buf *out = arena_buf(req->arena);
	buf_adds(out, "{\"data\":[");
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		struct err no = {0};
		if (g.open || auth_allow(req->root, &g, names[i], AUTH_READ, &no) == ST_OK) {
			buf_adds(out, first ? "{\"name\":" : ",{\"name\":");
			jsonw_string(out, names[i], strlen(names[i]));
			buf_addc(out, '}');
			first = false;
		}
		free(names[i]);
	}
	free(names);
	buf_adds(out, "]}");
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}
