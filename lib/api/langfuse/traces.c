/* traces: GET /traces (a page of traces with its filters), GET /traces/{id} (with its
 * observations and scores), DELETE /traces/{id} and DELETE /traces (trace.yml). A trace is its
 * root span, whichever API wrote it: a Langfuse or Opik trace's row, an OTLP root span. */
#include "lib/api/langfuse/filter.h"
#include "lib/api/langfuse/read.h"
#include "lib/api/langfuse/scores.h"

#include <math.h>
#include <string.h>
#include "lib/base/time.h"
#include "lib/json/jline.h"
#include "lib/json/jsonw.h"
#include "lib/query/judgements.h"
#include "lib/store/ops.h"

/* The field groups of fields= (core always): io, scores, observations, metrics. */
enum { TF_IO = 1, TF_SCORES = 2, TF_OBSERVATIONS = 4, TF_METRICS = 8, TF_ALL = 15 };

static unsigned trace_fields(struct http_req *req)
{
	const char *f = http_param(req, "fields");
	static const char *const names[] = {"io", "scores", "observations", "metrics"};
	unsigned m = 0;
	if (!f)
		return TF_ALL;
	for (size_t i = 0; i < 4; i++) {
		const char *p = strstr(f, names[i]);
		size_t n = strlen(names[i]);
		if (p && (p == f || p[-1] == ',') && (p[n] == ',' || !p[n]))
			m |= 1u << i;
	}
	return m;
}

/* What a trace's spans and scores add to its row (TraceWithDetails, TraceWithFullDetails). */
struct details {
	double cost;
	int64_t first, last; /* the first start and last end of its observations */
	bool any;
};

static void fold(struct details *d, const struct span *s)
{
	if (!isnan(s->cost_total_usd))
		d->cost += s->cost_total_usd;
	if (!d->any || s->started_at < d->first)
		d->first = s->started_at;
	int64_t end = s->ended_at != SPAN_NONE_I64 ? s->ended_at : s->started_at;
	if (!d->any || end > d->last)
		d->last = end;
	d->any = true;
}

static void put_details(struct buf *out, struct http_req *req, const char *id,
			const struct details *d, unsigned fields)
{
	buf_adds(out, ",\"htmlPath\":");
	const char *path = arena_printf(req->arena, "/project/%s/traces/%s", req->ws, id);
	jsonw_string(out, path, strlen(path));
	/* Without the metrics group, -1 each, as Langfuse answers. */
	buf_adds(out, ",\"latency\":");
	if (fields & TF_METRICS)
		jsonw_number(out, d->any ? (double)(d->last - d->first) / 1e6 : 0);
	else
		buf_adds(out, "-1");
	buf_adds(out, ",\"totalCost\":");
	if (fields & TF_METRICS)
		jsonw_number(out, d->cost);
	else
		buf_adds(out, "-1");
}

/* The scores of the traces ids[0..n) Langfuse shows, by trace: fn(ctx, which, j). */
static enum status trace_scores(struct http_req *req, const char *const *ids, size_t n,
				query_judgement_fn fn, void *ctx)
{
	struct jquery q = {.st = api_store(req), .a = req->arena, .ws = req->ws};
	enum status st = query_judgements_of(&q, JT_TRACE, ids, n, fn, ctx);
	if (st != ST_OK)
		return http_fail(req, st, "%s", err_text(&q.err));
	return ST_OK;
}

/* ---- GET /traces/{id} ---- */

struct full {
	struct buf *out;
	bool first;
};

static void full_score(void *ctx, size_t which, const struct judgement *j)
{
	struct full *f = ctx;
	(void)which;
	if (!langfuse_score_shows(j))
		return;
	if (!f->first)
		buf_addc(f->out, ',');
	f->first = false;
	langfuse_render_score(f->out, j);
	buf_addc(f->out, '}');
}

enum status langfuse_trace_get(struct http_req *req)
{
	struct query_trace t;
	struct span root;
	json_t *rj;
	struct query_row *rows = NULL;
	size_t n = 0;
	unsigned fields = trace_fields(req);
	enum status st = langfuse_trace_root(req, req->id, &t, &root, &rj);
	if (st == ST_NOT_FOUND)
		return http_fail(req, st, "Trace %.200s not found within authorized project",
				 req->id);
	if (st != ST_OK)
		return st;
	if ((fields & (TF_OBSERVATIONS | TF_METRICS)) &&
	    (st = langfuse_trace_spans(req, req->id, &rows, &n)) != ST_OK)
		return st;
	struct buf *out = arena_buf(req->arena), *obs = arena_buf(req->arena);
	struct details d = {0};
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		struct span s;
		json_t *sj;
		if (!span_parse(rows[i].line, rows[i].len, &s, &sj))
			continue;
		if (!langfuse_is_trace_row(&s)) {
			fold(&d, &s);
			if (fields & TF_OBSERVATIONS) {
				if (!first)
					buf_addc(obs, ',');
				first = false;
				langfuse_render_observation(obs, req->arena, &s);
			}
		}
		span_clear(&s);
		json_decref(sj);
	}
	langfuse_render_trace_head(out, req->arena, req->ws, &root,
				   langfuse_trace_session(req->arena, &root, t.session),
				   fields & TF_IO);
	put_details(out, req, req->id, &d, fields);
	buf_adds(out, ",\"observations\":[");
	buf_add(out, obs->p, obs->len);
	buf_adds(out, "],\"scores\":[");
	struct full f = {out, true};
	if ((fields & TF_SCORES) &&
	    (st = trace_scores(req, (const char *const *)&req->id, 1, full_score, &f)) != ST_OK)
		return st;
	buf_adds(out, "]}");
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* ---- GET /traces ---- */

/* The filters no index answers, tested on each root's line. */
struct filters {
	const struct langfuse_filter *lf; /* the filter parameter's */
	const char *user, *version, *release;
	const char **tags, **envs;
	size_t ntags, nenvs;
};

static bool has_tag(json_t *tags, const char *tag)
{
	size_t i;
	json_t *x;
	json_array_foreach(tags, i, x) if (!strcmp(json_string_value(x), tag)) return true;
	return false;
}

static bool root_passes(void *ctx, const char *line, size_t n)
{
	const struct filters *f = ctx;
	struct span s;
	json_t *root;
	const char *v;
	bool ok;
	if (!span_parse(line, n, &s, &root))
		return false;
	ok = (!f->user || ((v = langfuse_user_of(&s)) && !strcmp(v, f->user))) &&
	     (!f->version || ((v = langfuse_raw_str(&s, LF_VERSION)) && !strcmp(v, f->version))) &&
	     (!f->release || ((v = langfuse_raw_str(&s, LF_RELEASE)) && !strcmp(v, f->release)));
	for (size_t i = 0; ok && i < f->ntags; i++)
		ok = langfuse_tags_of(&s) && has_tag(langfuse_tags_of(&s), f->tags[i]);
	if (ok && f->nenvs) {
		ok = false;
		for (size_t i = 0; !ok && i < f->nenvs; i++)
			ok = !strcmp(langfuse_env_of(&s), f->envs[i]);
	}
	ok = ok && langfuse_filter_test(f->lf, langfuse_span_get, &s, false);
	span_clear(&s);
	json_decref(root);
	return ok;
}

static bool rollup_passes(void *ctx, const struct query_rollup *u)
{
	return langfuse_filter_test(ctx, langfuse_rollup_get, u, true);
}

/* The conditions of a trace listing (GetTracesRequest); false when the 400 is written. */
static bool list_query(struct http_req *req, struct query *q, struct filters *f)
{
	struct filter *flt = arena_alloc(req->arena, sizeof *flt);
	struct filter_cond *c = arena_alloc(req->arena, (FILTER_MAX_CONDS + 4) * sizeof *c);
	const char *order = http_param(req, "orderBy");
	struct langfuse_filter *lf;
	memset(flt, 0, sizeof *flt);
	memset(f, 0, sizeof *f);
	flt->conds = c;
	if (!langfuse_filter_read(req, LV_TRACES, flt, &lf))
		return false;
	f->lf = lf;
	if (!langfuse_filter_names(lf, LC_TIMESTAMP) &&
	    !langfuse_window(req, "fromTimestamp", "toTimestamp", flt))
		return false;
	if (order && strcmp(order, "timestamp.asc") && strcmp(order, "timestamp.desc")) {
		langfuse_bad(req, "orderBy",
			     "Only timestamp.asc and timestamp.desc order traces here");
		return false;
	}
	const char *const eq[2] = {"name", "sessionId"};
	const enum filter_field ff[2] = {FF_NAME, FF_SESSION_ID};
	const enum langfuse_col col[2] = {LC_NAME, LC_SESSION};
	for (int i = 0; i < 2; i++) {
		const char **v = arena_alloc(req->arena, sizeof *v);
		if (!(*v = langfuse_filter_param(req, f->lf, eq[i], col[i])))
			continue;
		c[flt->n++] =
		    (struct filter_cond){.field = ff[i], .op = FOP_EQ, .vals = v, .nvals = 1};
	}
	f->user = langfuse_filter_param(req, f->lf, "userId", LC_USER);
	f->version = langfuse_filter_param(req, f->lf, "version", LC_VERSION);
	f->release = langfuse_filter_param(req, f->lf, "release", LC_RELEASE);
	if (!langfuse_filter_names(lf, LC_TAGS))
		f->ntags = langfuse_param_all(req, "tags", &f->tags);
	if (!langfuse_filter_names(lf, LC_ENV))
		f->nenvs = langfuse_param_all(req, "environment", &f->envs);
	api_query_init(req, q);
	q->f = flt;
	q->sort = order && !strcmp(order, "timestamp.asc") ? "started_at" : "-started_at";
	if (f->user || f->version || f->release || f->ntags || f->nenvs || lf) {
		struct query_pred *p = arena_alloc(req->arena, sizeof *p);
		*p = (struct query_pred){.fn = root_passes, .ctx = f, .transient = true};
		q->preds = p;
		q->npreds = 1;
	}
	if (langfuse_filter_has_rollup(lf)) {
		q->rollup_pred = rollup_passes;
		q->rollup_ctx = lf;
	}
	return true;
}

/* A page's traces and what each shows beside its row. */
struct row {
	const char *id;
	struct buf *obs, *scores;
	struct details d;
};

static void list_score(void *ctx, size_t which, const struct judgement *j)
{
	struct row *rows = ctx;
	if (!langfuse_score_shows(j))
		return;
	struct buf *b = rows[which].scores;
	if (b->len)
		buf_addc(b, ',');
	jsonw_string(b, j->id, strlen(j->id));
}

/* The observations of each trace of the page: their ids, latency and cost. */
static enum status list_details(struct http_req *req, struct row *r)
{
	struct query_row *rows;
	size_t n;
	enum status st = langfuse_trace_spans(req, r->id, &rows, &n);
	for (size_t i = 0; st == ST_OK && i < n; i++) {
		struct span s;
		json_t *sj;
		if (!span_parse(rows[i].line, rows[i].len, &s, &sj))
			continue;
		if (!langfuse_is_trace_row(&s)) {
			fold(&r->d, &s);
			if (r->obs->len)
				buf_addc(r->obs, ',');
			jsonw_string(r->obs, s.span_id, strlen(s.span_id));
		}
		span_clear(&s);
		json_decref(sj);
	}
	return st;
}

enum status langfuse_traces_list(struct http_req *req)
{
	long long page, limit;
	struct query q;
	struct filters f;
	struct query_traces tr;
	unsigned fields = trace_fields(req);
	if (!langfuse_paging(req, LF_MAX_LIMIT, &page, &limit) || !list_query(req, &q, &f))
		return ST_OK;
	q.page = page;
	q.page_size = limit;
	q.summary = true;
	enum status st = query_trace_rows(&q, &tr);
	if (st != ST_OK)
		return http_fail(req, st, "%s", err_text(&q.err));
	struct row *rows = arena_alloc(req->arena, (tr.n ? tr.n : 1) * sizeof *rows);
	struct span *roots = arena_alloc(req->arena, (tr.n ? tr.n : 1) * sizeof *roots);
	const char **ids = arena_alloc(req->arena, (tr.n ? tr.n : 1) * sizeof *ids);
	size_t n = 0;
	/* The page's roots first, so that one read of the judgements gives every trace's scores. */
	for (size_t i = 0; i < tr.n; i++) {
		json_t *sj;
		if (!span_parse(tr.rows[i].root.line, tr.rows[i].root.len, &roots[n], &sj))
			continue;
		struct row *r = &rows[n];
		memset(r, 0, sizeof *r);
		r->id = ids[n] = roots[n].trace_id ? roots[n].trace_id : roots[n].span_id;
		r->obs = arena_buf(req->arena);
		r->scores = arena_buf(req->arena);
		if ((fields & (TF_OBSERVATIONS | TF_METRICS)) &&
		    (st = list_details(req, r)) != ST_OK)
			return st;
		n++;
	}
	if ((fields & TF_SCORES) && n &&
	    (st = trace_scores(req, ids, n, list_score, rows)) != ST_OK)
		return st;
	struct buf *out = arena_buf(req->arena);
	buf_adds(out, "{\"data\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addc(out, ',');
		langfuse_render_trace_head(out, req->arena, req->ws, &roots[i],
					   langfuse_trace_session(req->arena, &roots[i], NULL),
					   fields & TF_IO);
		put_details(out, req, rows[i].id, &rows[i].d, fields);
		buf_adds(out, ",\"observations\":[");
		if (fields & TF_OBSERVATIONS)
			buf_add(out, rows[i].obs->p, rows[i].obs->len);
		buf_adds(out, "],\"scores\":[");
		buf_add(out, rows[i].scores->p, rows[i].scores->len);
		buf_adds(out, "]}");
	}
	langfuse_page_meta(out, page, limit, tr.total);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* ---- deletes ---- */

/* Every span of the traces, and their judgements, as Langfuse deletes a trace's observations
 * and scores with it: an erasure (docs/erasure.md), hidden now, its bytes gone after the
 * next `spandex erase --pending`. */
static enum status delete_traces(struct http_req *req, const char *const *traces, size_t n)
{
	struct err e = {0};
	if (n && api_erase(req, LF_API, STORE_ERASE_TRACE, traces, n, NULL, &e) != ST_OK)
		return http_fail(req, e.st, "not deleted (%s); retry later", err_text(&e));
	return ST_OK;
}

enum status langfuse_trace_delete(struct http_req *req)
{
	enum status st = delete_traces(req, (const char *const *)&req->id, 1);
	if (st != ST_OK)
		return st;
	static const char ok[] = "{\"message\":\"Trace deleted successfully\"}";
	http_reply_json(req, 200, ok, sizeof ok - 1);
	return ST_OK;
}

enum status langfuse_traces_delete(struct http_req *req)
{
	json_t *body, *ids, *x;
	size_t i;
	enum status st = langfuse_json_body(req, &body);
	if (st != ST_OK || !body)
		return st;
	ids = json_object_get(body, "traceIds");
	if (!json_is_array(ids) || json_array_size(ids) > LF_MAX_IDS)
		return langfuse_bad(req, "traceIds", "Expected an array of at most 1000 trace ids");
	const char **list = arena_alloc(req->arena, (json_array_size(ids) + 1) * sizeof *list);
	json_array_foreach(ids, i, x)
	{
		if (!json_is_string(x))
			return langfuse_bad(req, "traceIds", "Expected an array of strings");
		list[i] = json_string_value(x);
	}
	if ((st = delete_traces(req, list, json_array_size(ids))) != ST_OK)
		return st;
	static const char ok[] = "{\"message\":\"Traces deleted successfully\"}";
	http_reply_json(req, 200, ok, sizeof ok - 1);
	return ST_OK;
}
