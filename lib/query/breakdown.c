/* breakdown: activity by the value of one field (query_breakdown), from the index: the record
 * gives a span's kind, status, times, tokens and cost, the day's column (the .tix's, or the
 * tail's) its value of the field as a hash; a value's text is read off one line of its spans,
 * and a span's line only where no column covers its record. Reading every line instead cost
 * more than the query budget at a million spans over 30 days (4.8 GB of lines; the records and
 * a column are 136 bytes a span). */
#include "lib/query/engine.h"
#include "lib/query/narrow.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/json/jline.h"

struct bd_group {
	struct query_rollup u;
	int64_t roots;
	int64_t *durs; /* the durations of its spans with an end, malloc'd */
	size_t ndurs, cap;
	uint32_t di, ri; /* one of its records: the line its value is read off */
	uint64_t v;	 /* the value's hash (kind and status: their number + 1) */
	const char *lit;
};

struct bd_scan {
	enum span_field f;
	int col; /* the field's column, or -1: the record's kind or status */
	struct htab ht;
	struct bd_group *g;
	size_t ng, cap;
	struct bd_group other; /* past QUERY_BREAKDOWN_MAX_VALUES */
};

static void group_add(struct bd_group *g, const struct idx_rec *r)
{
	rollup_add(&g->u, r);
	g->roots += store_rec_root(r);
	if (r->ended_us == SPAN_NONE_I64)
		return;
	if (g->ndurs == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 64;
		g->durs = xrealloc(g->durs, g->cap * sizeof *g->durs);
	}
	g->durs[g->ndurs++] = r->ended_us - r->started_us;
}

/* The value of the field in record ri's line, as its column would hold it. */
static uint64_t line_value(const struct bd_scan *b, struct scan_day *s, size_t ri)
{
	const char *p, *v;
	size_t n, vn;
	if (!db_line(s, ri, &p, &n))
		return DAYINDEX_UNKNOWN;
	return jline_get(p, n, span_fields[b->f].name, &v, &vn) ? store_dayindex_hash(v, vn)
								: DAYINDEX_ABSENT;
}

static void bd_match(void *ctx, struct scan *db, size_t di, size_t i, const struct idx_rec *r)
{
	struct bd_scan *b = ctx;
	uint64_t v;
	if (b->col < 0) {
		v = (uint64_t)(b->f == SF_KIND ? r->kind : r->status) + 1;
	} else {
		struct scan_day *s = db_shard(db, di);
		v = store_index_col(&s->ix, b->col, i);
		if (v == DAYINDEX_UNKNOWN)
			v = line_value(b, s, i);
	}
	struct hslot *h = htab_get(&b->ht, v, 0);
	if (!h && b->ng == QUERY_BREAKDOWN_MAX_VALUES) {
		group_add(&b->other, r);
		return;
	}
	if (!h) {
		bool fresh;
		h = htab_find(&b->ht, v, 0, &fresh);
		if (b->ng == b->cap) {
			b->cap = b->cap ? 2 * b->cap : 64;
			b->g = xrealloc(b->g, b->cap * sizeof *b->g);
		}
		memset(&b->g[b->ng], 0, sizeof *b->g);
		b->g[b->ng].di = (uint32_t)di;
		b->g[b->ng].ri = (uint32_t)i;
		b->g[b->ng].v = v;
		h->count = (int64_t)b->ng++;
	}
	group_add(&b->g[h->count], r);
}

/* Each group's value as a JSON literal (NULL: absent), read off its record's line. */
static void values(struct scan *db, struct bd_scan *b)
{
	const char *const *names = b->f == SF_KIND ? span_kind_names : span_status_names;
	for (size_t k = 0; k < b->ng; k++) {
		struct bd_group *g = &b->g[k];
		struct scan_day *s;
		const char *p, *v;
		size_t n, vn;
		if (b->col < 0)
			g->lit = arena_printf(db->q->a, "\"%s\"", names[g->v - 1]);
		else if (g->v != DAYINDEX_ABSENT && (s = db_shard(db, g->di)) &&
			 db_line(s, g->ri, &p, &n) &&
			 jline_get(p, n, span_fields[b->f].name, &v, &vn))
			g->lit = arena_strndup(db->q->a, v, vn);
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Most spans first, then by the value's text (an absent value as ""). */
static int by_spans(const void *a, const void *b)
{
	const struct bd_group *x = a, *y = b;
	if (x->u.spans != y->u.spans)
		return (x->u.spans < y->u.spans) - (x->u.spans > y->u.spans);
	return strcmp(x->lit ? x->lit : "", y->lit ? y->lit : "");
}

/* A group as a row: its nearest-rank p50 and p95 (as query_stats takes the traces'). */
static void row_of(const struct bd_group *g, struct query_breakdown *out)
{
	*out = (struct query_breakdown){
	    .value = g->lit, .u = g->u, .roots = g->roots, .dur_p50_us = -1, .dur_p95_us = -1};
	if (!g->ndurs)
		return;
	qsort(g->durs, g->ndurs, sizeof *g->durs, cmp_i64);
	out->dur_p50_us = g->durs[(g->ndurs + 1) / 2 - 1];
	out->dur_p95_us = g->durs[(size_t)ceil((double)g->ndurs * 0.95) - 1];
}

/* Group g folded into o. */
static void fold(struct bd_group *o, const struct bd_group *g)
{
	rollup_merge(&o->u, &g->u);
	o->roots += g->roots;
	if (o->ndurs + g->ndurs > o->cap) {
		o->cap = o->ndurs + g->ndurs;
		o->durs = xrealloc(o->durs, o->cap * sizeof *o->durs);
	}
	if (g->ndurs)
		memcpy(o->durs + o->ndurs, g->durs, g->ndurs * sizeof *g->durs);
	o->ndurs += g->ndurs;
}

struct bd_args {
	enum span_field f;
	size_t max;
	struct query_breakdown **rows, *other;
	size_t *n, *values;
};

static enum status bd_run(struct query *q, void *arg)
{
	const struct bd_args *a = arg;
	bool rec = a->f == SF_KIND || a->f == SF_STATUS;
	struct bd_scan b = {.f = a->f,
			    .col = rec ? -1 : store_dayindex_col_of(span_fields[a->f].name, NULL)};
	struct scan db;
	struct rec_filter c;
	*a->rows = NULL;
	*a->n = *a->values = 0;
	memset(a->other, 0, sizeof *a->other);
	if (!rec && b.col < 0)
		return err_set(&q->err, ST_BAD_REQUEST, "No index column holds %s.",
			       span_fields[a->f].name);
	plan_query(q, &c);
	enum status s = db_open(q, &db, &c);
	if (s != ST_OK)
		return s;
	htab_init(&b.ht, 64);
	narrow_scan(&db, &c, bd_match, NULL, &b);
	if (!db.b.over)
		values(&db, &b);
	if (db.b.over) {
		s = db_over(&db);
		goto out;
	}
	if (b.ng)
		qsort(b.g, b.ng, sizeof *b.g, by_spans);
	size_t k = b.ng < a->max ? b.ng : a->max;
	*a->rows = arena_alloc(q->a, (k ? k : 1) * sizeof **a->rows);
	for (size_t i = 0; i < k; i++)
		row_of(&b.g[i], &(*a->rows)[i]);
	for (size_t i = k; i < b.ng; i++)
		fold(&b.other, &b.g[i]);
	if (b.other.u.spans)
		row_of(&b.other, a->other);
	*a->n = k;
	*a->values = b.ng;
out:
	for (size_t i = 0; i < b.ng; i++)
		free(b.g[i].durs);
	free(b.g);
	free(b.other.durs);
	htab_free(&b.ht);
	db_close(&db);
	return s;
}

enum status query_breakdown(struct query *q, enum span_field f, size_t max,
			    struct query_breakdown **rows, size_t *n, size_t *values,
			    struct query_breakdown *other)
{
	struct bd_args a = {f, max, rows, other, n, values};
	return db_snapshot(q, bd_run, &a);
}
