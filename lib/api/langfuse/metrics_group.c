/* metrics_group: a metrics query's answer (metrics_query.h): its rows grouped by the time bucket
 * and the dimensions, each metric aggregated over a group (sum, avg, count, max, min, the
 * percentiles interpolated between the closest ranks, uniq), the groups ordered (orderBy; else by
 * time, or by the first metric, largest first, as Langfuse's query builder orders), cut at
 * row_limit; and the endpoints GET /metrics and /v2/metrics. */
#include "lib/api/langfuse/metrics_query.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/time.h"
#include "lib/json/jsonw.h"

#define DAY_US 86400000000LL
#define MONDAY_US (4 * DAY_US) /* 1970-01-05, the first Monday after the epoch */

struct sorter {
	const struct mquery *q;
	const struct mrows *rows;
	const int64_t *bucket;
	const struct mgroup *groups;
};

static int64_t bucket_of(const struct mquery *q, int64_t t)
{
	char s[40];
	int64_t b;
	if (!q->bucket_us)
		return 0;
	if (q->bucket_us < 0) { /* the first of its month */
		time_format(t, s);
		memcpy(s + 7, "-01T00:00:00Z", 14);
		return time_parse(s, true, &b) ? b : t;
	}
	int64_t base = q->weeks ? MONDAY_US : 0;
	return (t - base) / q->bucket_us * q->bucket_us + base;
}

static int lit_cmp(const char *a, const char *b)
{
	return a == b ? 0 : !a ? -1 : !b ? 1 : strcmp(a, b);
}

/* Rows (indexes) by bucket, then dimensions. */
static int by_key(const void *x, const void *y, void *ctx)
{
	const struct sorter *s = ctx;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	if (s->bucket[i] != s->bucket[j])
		return s->bucket[i] < s->bucket[j] ? -1 : 1;
	for (size_t k = 0; k < s->q->ndims; k++) {
		int c = lit_cmp(s->rows->r[i].dim[k], s->rows->r[j].dim[k]);
		if (c)
			return c;
	}
	return 0;
}

static int dbl_cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

/* Aggregation agg of v[0..n), sorted ascending. */
static double aggregate(enum magg agg, const double *v, size_t n)
{
	static const double p[] = {
	    [MA_P50] = 0.5, [MA_P75] = 0.75, [MA_P90] = 0.9, [MA_P95] = 0.95, [MA_P99] = 0.99};
	double sum = 0;
	size_t uniq = n > 0;
	for (size_t i = 0; i < n; i++) {
		sum += v[i];
		uniq += i && v[i] != v[i - 1];
	}
	switch (agg) {
	case MA_SUM:
		return sum;
	case MA_COUNT:
		return (double)n;
	case MA_UNIQ:
		return (double)uniq;
	case MA_AVG:
		return n ? sum / (double)n : NAN;
	case MA_MIN:
		return n ? v[0] : NAN;
	case MA_MAX:
		return n ? v[n - 1] : NAN;
	default: {
		if (!n)
			return NAN;
		double at = p[agg] * (double)(n - 1), lo = floor(at);
		size_t k = (size_t)lo;
		return k + 1 < n ? v[k] + (v[k + 1] - v[k]) * (at - lo) : v[k];
	}
	}
}

/* Each group's metrics over its rows. */
static void group_aggregate(struct arena *a, const struct mquery *q, const struct mrows *rows,
			    const size_t *order, struct mgroup *g)
{
	double *v = arena_alloc(a, (g->n + 1) * sizeof *v);
	g->agg = arena_alloc(a, (q->nmetrics + 1) * sizeof *g->agg);
	for (size_t m = 0; m < q->nmetrics; m++) {
		size_t n = 0;
		for (size_t i = 0; i < g->n; i++) {
			double x = rows->r[order[g->first + i]].val[m];
			if (!isnan(x))
				v[n++] = x;
		}
		qsort(v, n, sizeof *v, dbl_cmp);
		g->agg[m] = aggregate(q->metrics[m].agg, v, n);
	}
}

/* Groups by the orderBy fields (a dimension, time_dimension or a metric's alias). */
static int by_order(const void *x, const void *y, void *ctx)
{
	const struct sorter *s = ctx;
	const struct mgroup *a = x, *b = y;
	for (size_t o = 0; o < s->q->norder; o++) {
		const struct morder *ord = &s->q->order[o];
		int c = 0;
		if (!strcmp(ord->field, "time_dimension"))
			c = a->bucket < b->bucket ? -1 : a->bucket > b->bucket;
		for (size_t k = 0; k < s->q->ndims; k++)
			if (!strcmp(ord->field, s->q->dims[k].field) && a->n && b->n)
				c = lit_cmp(s->rows->r[a->first].dim[k],
					    s->rows->r[b->first].dim[k]);
		for (size_t m = 0; m < s->q->nmetrics; m++)
			if (!strcmp(ord->field, s->q->metrics[m].alias)) {
				double u = a->agg[m], v = b->agg[m];
				c = isnan(u) ? !isnan(v) : isnan(v) ? -1 : (u > v) - (u < v);
				if (isnan(u) || isnan(v))
					return c; /* null last, either way */
			}
		if (c)
			return ord->desc ? -c : c;
	}
	return 0;
}

static void put_bucket(struct buf *out, const struct mquery *q, int64_t b, bool first)
{
	char t[40];
	time_format(b, t);
	/* Days, weeks and months are ClickHouse Dates (toDate, toMonday, toStartOfMonth). */
	if (q->bucket_us < 0 || q->bucket_us % DAY_US == 0)
		t[10] = 0;
	buf_adds(out, first ? "\"time_dimension\":" : ",\"time_dimension\":");
	jsonw_string(out, t, strlen(t));
}

static void put_group(struct buf *out, const struct mquery *q, const struct mrows *rows,
		      const struct mgroup *g)
{
	buf_adds(out, "{");
	for (size_t k = 0; k < q->ndims; k++) {
		const char *v = g->n ? rows->r[g->first].dim[k] : NULL;
		if (k)
			buf_addc(out, ',');
		jsonw_string(out, q->dims[k].field, strlen(q->dims[k].field));
		buf_addc(out, ':');
		buf_adds(out, v ? v : "null");
	}
	if (q->bucket_us)
		put_bucket(out, q, g->bucket, !q->ndims);
	for (size_t m = 0; m < q->nmetrics; m++) {
		if (m || q->ndims || q->bucket_us)
			buf_addc(out, ',');
		jsonw_string(out, q->metrics[m].alias, strlen(q->metrics[m].alias));
		buf_addc(out, ':');
		if (isnan(g->agg[m]))
			buf_adds(out, "null");
		else
			jsonw_number(out, g->agg[m]);
	}
	buf_addc(out, '}');
}

/* Without dimensions, the buckets of the window that hold no row are answered with 0 (the
 * WITH FILL of Langfuse's time series); false when there would be too many. */
static bool fill(struct arena *a, const struct mquery *q, struct mgroup **gs, size_t *n)
{
	size_t have = *n, cap = *n, i = 0; /* the groups are in bucket order */
	int64_t step = q->bucket_us < 0 ? 32 * DAY_US : q->bucket_us;
	for (int64_t b = bucket_of(q, q->from); b < q->to; b = bucket_of(q, b + step)) {
		while (i < have && (*gs)[i].bucket < b)
			i++;
		if (i < have && (*gs)[i].bucket == b)
			continue;
		if (*n >= LF_METRIC_MAX_GROUPS)
			return false;
		*gs = langfuse_grow(a, *gs, *n, &cap, sizeof **gs);
		struct mgroup *g = &(*gs)[(*n)++];
		*g = (struct mgroup){0, 0, b, arena_alloc(a, (q->nmetrics + 1) * sizeof *g->agg)};
		for (size_t m = 0; m < q->nmetrics; m++)
			g->agg[m] = 0;
	}
	return true;
}

bool langfuse_mquery_groups(struct arena *a, const struct mquery *q, const struct mrows *rows,
			    size_t max, bool fill_empty, struct mgroup **gs, size_t *n)
{
	size_t *order = arena_alloc(a, (rows->n + 1) * sizeof *order), cap = 0;
	int64_t *bucket = arena_alloc(a, (rows->n + 1) * sizeof *bucket);
	struct sorter s = {q, rows, bucket, NULL};
	for (size_t i = 0; i < rows->n; i++) {
		order[i] = i;
		bucket[i] = bucket_of(q, rows->r[i].t);
	}
	qsort_r(order, rows->n, sizeof *order, by_key, &s);
	*gs = NULL;
	*n = 0;
	for (size_t i = 0; i < rows->n;) {
		size_t j = i + 1;
		while (j < rows->n && !by_key(&order[i], &order[j], &s))
			j++;
		if (*n >= max)
			return false;
		*gs = langfuse_grow(a, *gs, *n, &cap, sizeof **gs);
		struct mgroup *g = &(*gs)[(*n)++];
		*g = (struct mgroup){i, j - i, bucket[order[i]], NULL};
		group_aggregate(a, q, rows, order, g);
		i = j;
	}
	/* The groups keep their rows through the sorted order: point first at the row itself. */
	for (size_t k = 0; k < *n; k++)
		(*gs)[k].first = order[(*gs)[k].first];
	return !fill_empty || !q->bucket_us || q->ndims || fill(a, q, gs, n);
}

enum status langfuse_mquery_answer(struct http_req *req, const struct mquery *q, struct mrows *rows)
{
	struct mgroup *gs;
	size_t n;
	if (!langfuse_mquery_groups(req->arena, q, rows, LF_METRIC_MAX_GROUPS, true, &gs, &n)) {
		langfuse_refuse(
		    req,
		    "The query makes more than %d groups: narrow its window, dimensions "
		    "or filters",
		    LF_METRIC_MAX_GROUPS);
		return ST_OK;
	}
	struct mquery dflt = *q;
	if (!q->norder) { /* by time; without one, by the first metric, largest first */
		dflt.order[0] = q->bucket_us ? (struct morder){"time_dimension", false}
					     : (struct morder){q->metrics[0].alias, true};
		dflt.norder = 1;
	}
	struct sorter s = {&dflt, rows, NULL, gs};
	qsort_r(gs, n, sizeof *gs, by_order, &s);
	if (q->row_limit && n > (size_t)q->row_limit)
		n = (size_t)q->row_limit;
	struct buf *out = arena_buf(req->arena);
	buf_adds(out, "{\"data\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addc(out, ',');
		put_group(out, q, rows, &gs[i]);
	}
	buf_adds(out, "]}");
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

static enum status metrics(struct http_req *req, bool v2)
{
	struct mquery q;
	struct mrows rows;
	if (!langfuse_mquery_read(req, v2, &q))
		return ST_OK;
	enum status st = langfuse_mquery_rows(req, &q, &rows);
	return st != ST_OK ? st : langfuse_mquery_answer(req, &q, &rows);
}

enum status langfuse_metrics(struct http_req *req)
{
	return metrics(req, false);
}

enum status langfuse_metrics_v2(struct http_req *req)
{
	return metrics(req, true);
}
