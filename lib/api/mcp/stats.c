/* stats: get_stats, the figures of the viewer's overview over a window (lib/query's
 * query_stats, as GET spans/stats gives them to the viewer: traces, spans, failed spans,
 * tokens, cost, the p50 and p95 of the traces' durations, the slowest and costliest traces,
 * and the window in a few buckets), and with group_by the same per model, name, kind or
 * status (query_breakdown, from the index). */
#include "lib/api/mcp/tool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/time.h"
#include "lib/json/jline.h"

#define STATS_DEFAULT_US (86400LL * 1000000) /* the last day */
/* Buckets of the window the answer shows: a trend an agent can read, in a few lines. */
#define STATS_BUCKETS 12
/* Bytes kept back for the end of the answer (the groups' head and close). */
#define TAIL_BYTES 400

/* ---- the answer ---- */

static void put_rate(struct buf *b, const struct query_rollup *u)
{
	if (u->spans)
		mcp_put_num(b, "error_rate",
			    round((double)u->errors / (double)u->spans * 1e4) / 1e4);
}

static void put_latency(struct buf *b, const char *key, int64_t p50, int64_t p95)
{
	if (p50 < 0)
		return;
	buf_printf(b, ",\"%s\":{", key);
	mcp_put_num(b, "p50", (double)p50 / 1000.0);
	mcp_put_num(b, "p95", (double)p95 / 1000.0);
	buf_addc(b, '}');
}

/* A group: its value (other: the values past the rows shown), its figures. */
static void put_group(struct mcp_call *c, struct buf *b, enum span_field field,
		      const struct query_breakdown *g, bool other)
{
	const char *name = span_fields[field].name;
	buf_addc(b, '{');
	if (other)
		mcp_put_str(b, "other", "every value past those above, together");
	else if (g->value)
		mcp_put_str(b, name, jline_text(c->a, g->value, strlen(g->value)));
	else
		buf_printf(b, "\"%s\":null", name);
	mcp_put_rollup(b, &g->u);
	put_rate(b, &g->u);
	mcp_put_int(b, "traces", g->roots);
	put_latency(b, "latency_ms", g->dur_p50_us, g->dur_p95_us);
	buf_addc(b, '}');
}

/* The groups of the spans f keeps (the window's), most spans first, while they fit. */
static enum status groups(struct mcp_call *c, const struct filter *f, const char *by, struct buf *b)
{
	static const char *const names[] = {"model", "name", "kind", "status"};
	static const enum span_field fields[] = {SF_MODEL, SF_NAME, SF_KIND, SF_STATUS};
	enum span_field field = SF_MODEL;
	struct query q;
	struct query_breakdown *rows, other;
	size_t n, values, k = 0;
	for (int i = 0; i < 4; i++)
		if (!strcmp(by, names[i]))
			field = fields[i];
	mcp_query_init(c, &q);
	q.f = f;
	enum status st = query_breakdown(&q, field, (size_t)mcp_int(c, "limit", MCP_PAGE_DEFAULT),
					 &rows, &n, &values, &other);
	if (st != ST_OK)
		return mcp_query_fail(c, &q, st);
	struct buf *item = arena_buf(c->a);
	mcp_put_str(b, "group_by", by);
	mcp_put_int(b, "groups_total", (int64_t)values);
	buf_adds(b, ",\"groups\":[");
	for (; k < n; k++) {
		item->len = 0;
		put_group(c, item, field, &rows[k], false);
		if (!mcp_fits(c, b, TAIL_BYTES, item, !k))
			break;
	}
	if (other.u.spans) {
		item->len = 0;
		put_group(c, item, field, &other, true);
		mcp_fits(c, b, TAIL_BYTES, item, !k);
	}
	buf_addc(b, ']');
	mcp_put_int(b, "groups_shown", (int64_t)k);
	return ST_OK;
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
	put_latency(b, "trace_latency_ms", s->dur_p50_us, s->dur_p95_us);
	/* The trend: the buckets that hold spans (the others are the gaps between them). */
	buf_adds(b, "},\"buckets\":[");
	for (size_t i = 0, k = 0; i < s->n; i++) {
		if (!s->buckets[i].u.spans)
			continue;
		buf_adds(b, k++ ? ",{" : "{");
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
	/* STATS_BUCKETS buckets of whole minutes: a day's are two hours each */
	int64_t bucket = ((to - from) / STATS_BUCKETS / 60000000 + 1) * 60000000;
	if ((to - from) % (STATS_BUCKETS * 60000000LL) == 0)
		bucket = (to - from) / STATS_BUCKETS;
	st = query_stats(&q, from, to, bucket, &s);
	if (st != ST_OK)
		return mcp_query_fail(c, &q, st);
	struct buf *b = c->out;
	buf_addc(b, '{');
	mcp_put_str(b, "workspace", c->ws);
	mcp_put_time(b, "from", from);
	mcp_put_time(b, "to", to);
	mcp_put_int(b, "bucket_minutes", bucket / 60000000);
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
