/* metrics_rows: the rows of a metrics query's view (metrics_query.h): each observation (a span that
 * is no trace's row) or trace (its root, with the rollup of all its spans) the query engine's visit
 * hands over in the window, and each score of it, that passes the query's filters; a row holds
 * its dimensions' values as JSON literals and its measures as numbers. */
#include "lib/api/langfuse/metrics_query.h"
#include "lib/api/langfuse/read.h"
#include "lib/api/langfuse/scores.h"

#include <math.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/json/jsonw.h"
#include "lib/query/judgements.h"

struct gather {
	struct http_req *req;
	const struct mquery *q;
	struct mrows *out;
};

static void gather_reset(void *ctx)
{
	((struct gather *)ctx)->out->n = 0;
}

/* The JSON literal of a column's value, in a; NULL: null. */
static const char *literal(struct arena *a, const struct langfuse_val *v)
{
	struct buf *b = arena_buf(a);
	char t[40];
	switch (v->t) {
	case LVAL_STR:
		jsonw_string(b, v->s, strlen(v->s));
		break;
	case LVAL_NUM:
		jsonw_number(b, v->n);
		break;
	case LVAL_BOOL:
		buf_adds(b, v->b ? "true" : "false");
		break;
	case LVAL_LIST:
		if (!v->j)
			buf_adds(b, "[]");
		else
			jsonw_value(b, v->j);
		break;
	case LVAL_TIME:
		time_format(v->us, t);
		jsonw_string(b, t, strlen(t));
		break;
	default:
		return NULL;
	}
	return arena_strndup(a, b->p, b->len);
}

/* A new row of the query's shape, its time t. */
static struct mrow *row_new(struct gather *g, int64_t t)
{
	struct arena *a = g->req->arena;
	struct mrows *o = g->out;
	o->r = langfuse_grow(a, o->r, o->n, &o->cap, sizeof *o->r);
	struct mrow *r = &o->r[o->n++];
	r->dim = arena_alloc(a, (g->q->ndims + 1) * sizeof *r->dim);
	r->val = arena_alloc(a, (g->q->nmetrics + 1) * sizeof *r->val);
	r->trace = NULL;
	r->t = t;
	for (size_t i = 0; i < g->q->nmetrics; i++)
		r->val[i] = NAN;
	return r;
}

/* The dimensions of r read from its subject by get; the trace's members are left for
 * trace_members, the months and days are its time's. */
static void row_dims(struct gather *g, struct mrow *r, langfuse_get_fn get, const void *subject)
{
	char t[40];
	for (size_t i = 0; i < g->q->ndims; i++) {
		const struct mdim *d = &g->q->dims[i];
		struct langfuse_val v = {.t = LVAL_NONE};
		r->dim[i] = NULL;
		if (d->src == MS_COL) {
			get(subject, d->col, &v);
			r->dim[i] = literal(g->req->arena, &v);
		} else if (d->src == MS_MONTH || d->src == MS_DAY) {
			time_format(r->t, t);
			r->dim[i] =
			    arena_printf(g->req->arena, "\"%.*s\"", d->src == MS_DAY ? 10 : 7, t);
		}
	}
}

static double num(langfuse_get_fn get, const void *subject, enum langfuse_col col)
{
	struct langfuse_val v = {.t = LVAL_NONE};
	get(subject, col, &v);
	return v.t == LVAL_NUM ? v.n : NAN;
}

/* An observation's measure. */
static double obs_measure(const struct span *s, enum mmeasure m)
{
	const char *trace = s->trace_id ? s->trace_id : s->span_id;
	double lat = num(langfuse_span_get, s, LC_LATENCY),
	       ttft = num(langfuse_span_get, s, LC_TTFT);
	switch (m) {
	case MM_COUNT:
		return 1;
	case MM_LATENCY:
		return lat * 1000;
	case MM_STREAMING_LATENCY:
		return (lat - ttft) * 1000;
	case MM_TTFT:
		return ttft * 1000;
	case MM_IN_TOK:
		return num(langfuse_span_get, s, LC_IN_TOK);
	case MM_OUT_TOK:
		return num(langfuse_span_get, s, LC_OUT_TOK);
	case MM_TOT_TOK:
		return num(langfuse_span_get, s, LC_TOT_TOK);
	case MM_OUT_TPS:
		return lat > 0 ? num(langfuse_span_get, s, LC_OUT_TOK) / lat : NAN;
	case MM_TPS:
		return lat > 0 ? num(langfuse_span_get, s, LC_TOT_TOK) / lat : NAN;
	case MM_IN_COST:
		return num(langfuse_span_get, s, LC_IN_COST);
	case MM_OUT_COST:
		return num(langfuse_span_get, s, LC_OUT_COST);
	case MM_TOT_COST:
		return num(langfuse_span_get, s, LC_TOT_COST);
	case MM_TRACE:
		return (double)(hash_bytes(trace, strlen(trace)) & ((1ULL << 53) - 1));
	default:
		return NAN;
	}
}

static void one_obs(void *ctx, const struct query_row *row)
{
	struct gather *g = ctx;
	struct span s;
	json_t *root;
	if (!span_parse(row->line, row->len, &s, &root))
		return;
	if (!langfuse_is_trace_row(&s) &&
	    langfuse_filter_test(g->q->lf, langfuse_span_get, &s, false)) {
		struct mrow *r = row_new(g, s.started_at);
		row_dims(g, r, langfuse_span_get, &s);
		if (s.trace_id)
			r->trace = arena_strdup(g->req->arena, s.trace_id);
		for (size_t i = 0; i < g->q->nmetrics; i++)
			r->val[i] = obs_measure(&s, g->q->metrics[i].m);
	}
	span_clear(&s);
	json_decref(root);
}

static void one_trace(void *ctx, const struct query_trace *t)
{
	struct gather *g = ctx;
	struct span s;
	json_t *root;
	if (!span_parse(t->root.line, t->root.len, &s, &root))
		return;
	if (langfuse_filter_test(g->q->lf, langfuse_span_get, &s, false) &&
	    langfuse_filter_test(g->q->lf, langfuse_rollup_get, &t->u, true)) {
		struct mrow *r = row_new(g, s.started_at);
		row_dims(g, r, langfuse_span_get, &s);
		r->trace = arena_strdup(g->req->arena, s.trace_id ? s.trace_id : s.span_id);
		for (size_t i = 0; i < g->q->nmetrics; i++) {
			enum mmeasure m = g->q->metrics[i].m;
			r->val[i] = m == MM_COUNT ? 1
				    : m == MM_OBS_COUNT
					? (double)(t->u.spans - langfuse_is_trace_row(&s))
				    : m == MM_TOT_TOK  ? (double)t->u.tok[QT_TOTAL]
				    : m == MM_TOT_COST ? t->u.cost[QC_TOTAL]
						       : NAN;
		}
	}
	span_clear(&s);
	json_decref(root);
}

/* Whether a score of data type type is in the view (its segments: numeric takes NUMERIC and
 * BOOLEAN). */
static bool score_in_view(enum mview v, const char *type)
{
	return v == MV_SCORES_NUMERIC	? !strcmp(type, "NUMERIC") || !strcmp(type, "BOOLEAN")
	       : v == MV_SCORES_BOOLEAN ? !strcmp(type, "BOOLEAN")
					: !strcmp(type, "CATEGORICAL");
}

static enum status score_rows(struct gather *g)
{
	struct http_req *req = g->req;
	struct jfilter f = {.cmin = g->q->from, .cmax = g->q->to - 1};
	struct jquery jq = {.st = api_store(req), .a = req->arena, .ws = req->ws, .f = &f};
	struct jrows rows;
	struct langfuse_trace_cache *traces = langfuse_trace_cache_new(req);
	f.kinds = 1u << JK_NUMBER | 1u << JK_CATEGORY | 1u << JK_BOOLEAN;
	enum status st = query_judgements(&jq, &rows);
	if (st != ST_OK)
		return http_fail(req, st, "%s", err_text(&jq.err));
	for (size_t i = 0; i < rows.n; i++) {
		struct langfuse_scored x = {traces, &rows.rows[i]};
		struct langfuse_val type = {.t = LVAL_NONE};
		langfuse_score_value(&x, LC_DATA_TYPE, &type);
		if (!langfuse_score_shows(&rows.rows[i]) || type.t != LVAL_STR ||
		    !score_in_view(g->q->view, type.s) ||
		    !langfuse_filter_test(g->q->lf, langfuse_score_value, &x, false))
			continue;
		struct mrow *r = row_new(g, rows.rows[i].created_at);
		row_dims(g, r, langfuse_score_value, &x);
		r->trace = rows.rows[i].trace_id;
		for (size_t m = 0; m < g->q->nmetrics; m++)
			r->val[m] = g->q->metrics[m].m == MM_COUNT
					? 1
					: num(langfuse_score_value, &x, LC_VALUE);
	}
	return ST_OK;
}

/* The dimensions that are a member of the row's trace, read once a trace per request. */
static void trace_members(struct http_req *req, const struct mquery *q, struct mrows *rows)
{
	struct langfuse_trace_cache *c = langfuse_trace_cache_new(req);
	for (size_t i = 0; i < rows->n; i++)
		for (size_t k = 0; k < q->ndims; k++) {
			const struct langfuse_trace_ctx *t;
			struct langfuse_val v = {.t = LVAL_NONE};
			if (q->dims[k].src != MS_TRACE || !rows->r[i].trace ||
			    !(t = langfuse_trace_ctx(c, rows->r[i].trace))->found)
				continue;
			enum langfuse_col col = q->dims[k].col;
			const char *s = col == LC_NAME	    ? t->name
					: col == LC_RELEASE ? t->release
					: col == LC_VERSION ? t->version
					: col == LC_USER    ? t->user
					: col == LC_SESSION ? t->session
							    : NULL;
			if (col == LC_TAGS)
				v = (struct langfuse_val){.t = LVAL_LIST, .j = t->tags};
			else if (s)
				v = (struct langfuse_val){.t = LVAL_STR, .s = s};
			rows->r[i].dim[k] = literal(req->arena, &v);
		}
}

/* Whether a trace's rows need its rollup: a measure of its totals, or a filter on them. */
static bool needs_rollup(const struct mquery *q)
{
	for (size_t i = 0; i < q->nmetrics; i++)
		if (q->metrics[i].m != MM_COUNT)
			return true;
	return langfuse_filter_has_rollup(q->lf);
}

enum status langfuse_mquery_rows(struct http_req *req, const struct mquery *q, struct mrows *out)
{
	struct gather g = {req, q, out};
	struct query qq;
	enum status st;
	memset(out, 0, sizeof *out);
	if (q->view != MV_TRACES && q->view != MV_OBSERVATIONS) {
		st = score_rows(&g);
	} else {
		api_query_init(req, &qq);
		qq.f = &q->flt;
		qq.visit_reset = gather_reset;
		qq.keys = q->keys;
		qq.nkeys = q->keys ? 1 : 0;
		qq.summary = !needs_rollup(q);
		if (q->view == MV_TRACES)
			st = query_trace_visit(&qq, one_trace, &g);
		else
			st = query_span_visit(&qq, one_obs, &g);
		if (st != ST_OK)
			return http_fail(req, st, "%s", err_text(&qq.err));
	}
	if (st == ST_OK)
		trace_members(req, q, out);
	return st;
}
