/* stats: get_stats, the figures of the viewer's overview over a window (lib/query's
 * query_stats, as GET spans/stats gives them to the viewer: traces, spans, failed spans,
 * tokens, cost, the p50 and p95 of the traces' durations, the slowest and costliest traces,
 * and the window in a few buckets), and with group_by the same per model, name, kind or
 * status, from one visit of the window's spans (the key read off each line). */
#include "lib/api/mcp/tool.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/json/jline.h"

#define STATS_DEFAULT_US (86400LL * 1000000) /* the last day */
/* Buckets of the window the answer shows: a trend an agent can read, in a few lines. */
#define STATS_BUCKETS 12
/* Bytes kept back for the end of the answer (the groups' head and close). */
#define TAIL_BYTES 400

struct group {
	const char *key, *lit; /* the value (NULL: none), and its literal in the line */
	size_t nlit;
	struct query_rollup u;
	int64_t traces;
	int64_t *durs; /* the spans' durations, us, malloc'd */
	size_t ndurs, cap;
};

struct groups {
	struct mcp_call *c;
	enum span_field field;
	struct group *v;
	size_t cap;
	struct mcp_map map;
	const char *lit;
	size_t nlit;
	struct group other; /* past MCP_STATS_MAX_GROUPS */
	bool has_other;
};

static void groups_reset(void *ctx)
{
	struct groups *g = ctx;
	for (size_t i = 0; i < g->map.n; i++)
		free(g->v[i].durs);
	free(g->other.durs);
	memset(&g->other, 0, sizeof g->other);
	g->has_other = false;
	mcp_map_clear(&g->map);
}

static bool same_key(void *ctx, size_t i)
{
	struct groups *g = ctx;
	return g->v[i].nlit == g->nlit && !memcmp(g->v[i].lit, g->lit, g->nlit);
}

static struct group *group_of(struct groups *g, const char *lit, size_t n)
{
	static const char none[] = "null";
	bool fresh;
	if (!lit) {
		lit = none;
		n = sizeof none - 1;
	}
	g->lit = lit;
	g->nlit = n;
	uint64_t h = hash_bytes(lit, n);
	if (g->map.n >= MCP_STATS_MAX_GROUPS) {
		size_t i = mcp_map_get(&g->map, h, same_key, g);
		if (i != SIZE_MAX)
			return &g->v[i];
		g->has_other = true;
		return &g->other;
	}
	size_t i = mcp_map_find(&g->map, h, same_key, g, &fresh);
	if (fresh) {
		void *v = g->v;
		mcp_grow(&v, &g->cap, i, sizeof *g->v);
		g->v = v;
		const char *copy = arena_strndup(g->c->a, lit, n);
		g->v[i] = (struct group){.lit = copy,
					 .nlit = n,
					 .key = lit == none ? NULL : jline_text(g->c->a, copy, n)};
	}
	return &g->v[i];
}

static const uint64_t want = (uint64_t)1 << SF_PARENT_SPAN_ID | (uint64_t)1 << SF_KIND |
			     (uint64_t)1 << SF_NAME | (uint64_t)1 << SF_STATUS |
			     (uint64_t)1 << SF_ENDED_AT | (uint64_t)1 << SF_MODEL |
			     (uint64_t)1 << SF_INPUT_TOKENS | (uint64_t)1 << SF_OUTPUT_TOKENS |
			     (uint64_t)1 << SF_CACHED_TOKENS | (uint64_t)1 << SF_TOTAL_TOKENS |
			     (uint64_t)1 << SF_COST_TOTAL_USD;

static void span_seen(void *ctx, const struct query_row *row)
{
	struct groups *g = ctx;
	struct mcp_line m;
	mcp_line_scan(row->line, row->len, want, &m);
	struct group *x = group_of(g, m.v[g->field], m.n[g->field]);
	static const enum span_field tokf[4] = {SF_INPUT_TOKENS, SF_OUTPUT_TOKENS, SF_CACHED_TOKENS,
						SF_TOTAL_TOKENS};
	for (int i = 0; i < 4; i++) {
		int64_t t = mcp_line_int(&m, tokf[i]);
		if (t != SPAN_NONE_I64) {
			x->u.tok[i] += t;
			x->u.has_tok[i] = true;
		}
	}
	double cost = mcp_line_num(&m, SF_COST_TOTAL_USD);
	if (!isnan(cost)) {
		x->u.cost[QC_TOTAL] += cost;
		x->u.has_cost[QC_TOTAL] = true;
	}
	x->u.spans++;
	x->u.errors += mcp_line_enum(&m, SF_STATUS, span_status_names, SPST_UNKNOWN) == SPST_ERROR;
	x->traces += !m.v[SF_PARENT_SPAN_ID];
	int64_t end = mcp_line_time(&m, SF_ENDED_AT);
	if (end == SPAN_NONE_I64)
		return;
	void *d = x->durs;
	mcp_grow(&d, &x->cap, x->ndurs, sizeof *x->durs);
	x->durs = d;
	x->durs[x->ndurs++] = end - row->started_us;
}

/* ---- the answer ---- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The nearest-rank p50 and p95 of d[0..n), as query_stats takes the traces' (sorted here). */
static void put_latency(struct buf *b, int64_t *d, size_t n)
{
	if (!n)
		return;
	qsort(d, n, sizeof *d, cmp_i64);
	buf_adds(b, ",\"latency_ms\":{");
	mcp_put_num(b, "p50", (double)d[(n + 1) / 2 - 1] / 1000.0);
	mcp_put_num(b, "p95", (double)d[(size_t)ceil((double)n * 0.95) - 1] / 1000.0);
	buf_addc(b, '}');
}

static void put_rate(struct buf *b, const struct query_rollup *u)
{
	if (u->spans)
		mcp_put_num(b, "error_rate",
			    round((double)u->errors / (double)u->spans * 1e4) / 1e4);
}

static void put_group(struct buf *b, enum span_field field, struct group *x, bool other)
{
	buf_addc(b, '{');
	const char *name = span_fields[field].name;
	if (other)
		mcp_put_str(b, "other", "the values past the first 10000 seen, together");
	else if (x->key)
		mcp_put_str(b, name, x->key);
	else
		buf_printf(b, "\"%s\":null", name);
	mcp_put_rollup(b, &x->u);
	put_rate(b, &x->u);
	mcp_put_int(b, "traces", x->traces);
	put_latency(b, x->durs, x->ndurs);
	buf_addc(b, '}');
}

static int by_spans(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	if (x->u.spans != y->u.spans)
		return (x->u.spans < y->u.spans) - (x->u.spans > y->u.spans);
	return strcmp(x->lit, y->lit);
}

/* The groups of the window's spans that f keeps, largest first, while they fit. */
static enum status groups(struct mcp_call *c, const struct filter *f, const char *by, struct buf *b)
{
	static const char *const names[] = {"model", "name", "kind", "status"};
	static const enum span_field fields[] = {SF_MODEL, SF_NAME, SF_KIND, SF_STATUS};
	struct groups g = {.c = c};
	struct query q;
	for (int i = 0; i < 4; i++)
		if (!strcmp(by, names[i]))
			g.field = fields[i];
	mcp_query_init(c, &q);
	q.f = f;
	q.visit_reset = groups_reset;
	enum status st = query_span_visit(&q, span_seen, &g);
	size_t n = g.map.n, limit = (size_t)mcp_int(c, "limit", MCP_PAGE_DEFAULT), k = 0;
	struct buf *item = arena_buf(c->a);
	if (st != ST_OK) {
		mcp_query_fail(c, &q, st);
		goto out;
	}
	if (n)
		qsort(g.v, n, sizeof *g.v, by_spans);
	mcp_put_str(b, "group_by", by);
	mcp_put_int(b, "groups_total", (int64_t)n);
	buf_adds(b, ",\"groups\":[");
	for (; k < n && k < limit; k++) {
		item->len = 0;
		put_group(item, g.field, &g.v[k], false);
		if (!mcp_fits(c, b, TAIL_BYTES, item, !k))
			break;
	}
	if (g.has_other) {
		item->len = 0;
		put_group(item, g.field, &g.other, true);
		mcp_fits(c, b, TAIL_BYTES, item, !k);
	}
	buf_addc(b, ']');
	mcp_put_int(b, "groups_shown", (int64_t)k);
out:
	groups_reset(&g);
	free(g.v);
	mcp_map_free(&g.map);
	return st;
}

/* The slowest or the costliest traces of the window, while they fit. */
static void put_traces(struct mcp_call *c, struct buf *b, const char *key,
		       const struct query_trace *t, size_t n)
{
	struct buf *item = arena_buf(c->a);
	buf_printf(b, ",\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		struct mcp_line m;
		mcp_line_scan(t[i].root.line, t[i].root.len,
			      (uint64_t)1 << SF_TRACE_ID | (uint64_t)1 << SF_NAME |
				  (uint64_t)1 << SF_STATUS,
			      &m);
		item->len = 0;
		buf_addc(item, '{');
		mcp_put_trace(c, item, &t[i], &m);
		buf_addc(item, '}');
		if (!mcp_fits(c, b, TAIL_BYTES, item, !i))
			break;
	}
	buf_addc(b, ']');
}

/* The window's totals as the overview shows them, its trend, and its slowest and costliest
 * traces. */
static void put_totals(struct mcp_call *c, struct buf *b, const struct query_stats *s)
{
	buf_adds(b, ",\"totals\":{");
	mcp_put_int(b, "traces", s->traces);
	mcp_put_rollup(b, &s->total);
	put_rate(b, &s->total);
	if (s->dur_p50_us >= 0) {
		buf_adds(b, ",\"trace_latency_ms\":{");
		mcp_put_num(b, "p50", (double)s->dur_p50_us / 1000.0);
		mcp_put_num(b, "p95", (double)s->dur_p95_us / 1000.0);
		buf_addc(b, '}');
	}
	buf_adds(b, "},\"buckets\":[");
	for (size_t i = 0; i < s->n; i++) {
		buf_adds(b, i ? ",{" : "{");
		mcp_put_time(b, "from", s->buckets[i].t0_us);
		mcp_put_int(b, "traces", s->buckets[i].traces);
		mcp_put_rollup(b, &s->buckets[i].u);
		buf_addc(b, '}');
	}
	buf_addc(b, ']');
	put_traces(c, b, "slowest_traces", s->slowest, s->nslowest);
	put_traces(c, b, "costliest_traces", s->costliest, s->ncostliest);
}

enum status mcp_get_stats(struct mcp_call *c)
{
	struct query q;
	struct filter win, f, all;
	struct query_stats s;
	int64_t from, to;
	const char *v, *by = mcp_str(c, "group_by");
	mcp_query_init(c, &q);
	mcp_filter_init(c, &win);
	mcp_filter_init(c, &f);
	enum status st = mcp_window(c, STATS_DEFAULT_US, &win, &from, &to);
	if (st != ST_OK)
		return st;
	if (to == INT64_MAX)
		to = time_now();
	if (from == INT64_MIN)
		from = to - STATS_DEFAULT_US;
	if ((v = mcp_str(c, "status")))
		mcp_cond_enum(&f, FF_STATUS, span_status_parse(v));
	if ((v = mcp_str(c, "name")))
		mcp_cond_eq(c, &f, FF_NAME, v);
	if ((v = mcp_str(c, "model")))
		mcp_cond_eq(c, &f, FF_MODEL, v);
	q.f = &f;
	st = query_stats(&q, from, to, (to - from) / STATS_BUCKETS + 1, &s);
	if (st != ST_OK)
		return mcp_query_fail(c, &q, st);
	struct buf *b = c->out;
	buf_addc(b, '{');
	mcp_put_str(b, "workspace", c->ws);
	mcp_put_time(b, "from", from);
	mcp_put_time(b, "to", to);
	put_totals(c, b, &s);
	if (by) {
		/* the groups' spans: the window's, and f's conditions */
		mcp_filter_init(c, &all);
		all.conds[all.n++] =
		    (struct filter_cond){.field = FF_STARTED_AT, .op = FOP_GTE, .us = from};
		all.conds[all.n++] =
		    (struct filter_cond){.field = FF_STARTED_AT, .op = FOP_LTE, .us = to};
		for (size_t i = 0; i < f.n; i++)
			all.conds[all.n++] = f.conds[i];
		if ((st = groups(c, &all, by, b)) != ST_OK)
			return st;
	}
	buf_addc(b, '}');
	return ST_OK;
}
