/* stats: activity over time (query_stats), the viewer's overview; reference: none,
 * spandex's own. */
#include <math.h>
#include "lib/query/engine.h"
#include "lib/query/narrow.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/bits.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/json/jline.h"
#include "lib/json/jsonw.h"
#include "lib/model/workspace.h"

/* Top QUERY_STATS_TOP candidates by a key, largest first: a small array kept sorted. */
struct top {
	struct cand c[QUERY_STATS_TOP];
	size_t n;
};

static void top_offer(struct top *t, struct cand c)
{
	size_t i = t->n < QUERY_STATS_TOP ? t->n++ : QUERY_STATS_TOP;
	if (i == QUERY_STATS_TOP) {
		if (c.key <= t->c[QUERY_STATS_TOP - 1].key)
			return;
		i = QUERY_STATS_TOP - 1;
	}
	while (i > 0 && t->c[i - 1].key < c.key) {
		t->c[i] = t->c[i - 1];
		i--;
	}
	t->c[i] = c;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The rows of the traces in top (cand.a/b: the root's day and record), with their rollups
 * over every span of the trace. */
static size_t top_rows(struct scan *db, const struct top *t, struct query_trace *out)
{
	struct htab want = {0};
	struct hslot roots[QUERY_STATS_TOP];
	size_t n = 0;
	htab_init(&want, QUERY_STATS_TOP);
	for (size_t i = 0; i < t->n; i++) {
		struct scan_day *sh = db_shard(db, t->c[i].a);
		bool fresh;
		if (!sh)
			continue;
		roots[n] = (struct hslot){.di = t->c[i].a, .ri = t->c[i].b};
		memset(&out[n], 0, sizeof out[n]);
		htab_find(&want, sh->sh.recs[t->c[i].b].trace_h, 0, &fresh)->ext = &out[n].u;
		n++;
	}
	traces_rollups(db, &want, false);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		struct query_trace r = {.u = out[i].u};
		if (traces_row(db, &roots[i], &r))
			out[k++] = r;
	}
	htab_free(&want);
	return k;
}

struct stats_scan {
	struct query_stats *out;
	int64_t from_us, bucket_us;
	struct htab cost;  /* per trace: count -1 until its root is seen, then 0; started holds
			      the cost of its spans so far in micro-dollars */
	struct htab roots; /* per trace: its earliest root in the window (tpage_root_offer) */
	int64_t *durs;	   /* durations of the roots with an end */
	size_t ndurs, capdurs;
	struct top slow;
};

/* sum + usd in micro-USD, saturating at INT64_MAX: a span's cost is at most CATALOG_MAX_USD
 * (1e15 micro-USD), so a trace of 9,224 such spans, or a record stored before that limit,
 * would overflow the sum (an imported cost may be negative). */
static int64_t stats_micro_add(int64_t sum, double usd)
{
	/* 2^63 as a double: the first value past INT64_MAX. */
	double m = usd * 1e6, lim = 9223372036854775808.0;
	long long c;
	if (isnan(m))
		return sum;
	if (m >= lim || m <= -lim)
		return m > 0 ? INT64_MAX : INT64_MIN;
	c = llround(m);
	if (c > 0 && sum > INT64_MAX - c)
		return INT64_MAX;
	if (c < 0 && sum < INT64_MIN - c)
		return INT64_MIN;
	return sum + c;
}

static void stats_match(void *ctx, struct scan *db, size_t di, size_t i, const struct idx_rec *r)
{
	struct stats_scan *g = ctx;
	struct query_bucket *b = &g->out->buckets[(r->started_us - g->from_us) / g->bucket_us];
	(void)db;
	rollup_add(&b->u, r);
	rollup_add(&g->out->total, r);
	if (!(r->flags & REC_HAS_TRACE))
		return;
	bool fresh;
	struct hslot *h = htab_find(&g->cost, r->trace_h, 0, &fresh);
	if (fresh)
		h->count = -1;
	if (r->flags & REC_HAS_COST_TOTAL)
		h->started = stats_micro_add(h->started, r->cost_total);
	if (store_rec_root(r))
		tpage_root_offer(db, &g->roots, r->started_us, di, i, r->trace_h);
}

/* Each trace once, by its earliest root (§7.2, as GET traces takes it): its bucket, its
 * duration, its place among the slowest, and its cost row marked as one with a root. */
static void stats_roots(struct scan *db, struct stats_scan *g)
{
	for (size_t k = 0; k < g->roots.n; k++) {
		const struct hslot *root = &g->roots.s[k];
		struct scan_day *sh = db_shard(db, root->di);
		if (!sh)
			continue;
		const struct idx_rec *r = &sh->sh.recs[root->ri];
		bool fresh;
		struct hslot *h = htab_find(&g->cost, r->trace_h, 0, &fresh);
		h->count = 0;
		h->di = root->di;
		h->ri = root->ri;
		g->out->buckets[(r->started_us - g->from_us) / g->bucket_us].traces++;
		g->out->traces++;
		if (r->ended_us == SPAN_NONE_I64)
			continue;
		if (g->ndurs == g->capdurs) {
			g->capdurs = g->capdurs ? 2 * g->capdurs : 1024;
			g->durs = xrealloc(g->durs, g->capdurs * sizeof *g->durs);
		}
		g->durs[g->ndurs++] = r->ended_us - r->started_us;
		top_offer(&g->slow, (struct cand){.key = r->ended_us - r->started_us,
						  .a = root->di,
						  .b = root->ri});
	}
}

struct stats_args {
	int64_t from_us, to_us, bucket_us;
	struct query_stats *out;
};

static enum status stats_run(struct query *q, void *arg)
{
	const struct stats_args *a = arg;
	int64_t from_us = a->from_us, to_us = a->to_us, bucket_us = a->bucket_us;
	struct query_stats *out = a->out;
	struct scan db;
	struct rec_filter c;
	struct top dear = {0};
	struct stats_scan g = {.out = out, .from_us = from_us, .bucket_us = bucket_us};
	memset(out, 0, sizeof *out);
	if (bucket_us <= 0 || to_us <= from_us ||
	    (to_us - from_us - 1) / bucket_us + 1 > QUERY_MAX_BUCKETS)
		return err_set(&q->err, ST_BAD_REQUEST,
			       "The window must end after it starts and hold at most %d buckets.",
			       QUERY_MAX_BUCKETS);
	enum status s = db_open(q, &db, NULL);
	if (s != ST_OK)
		return s;
	out->n = (size_t)((to_us - from_us - 1) / bucket_us + 1);
	out->buckets = arena_alloc(q->a, out->n * sizeof *out->buckets);
	memset(out->buckets, 0, out->n * sizeof *out->buckets);
	for (size_t i = 0; i < out->n; i++)
		out->buckets[i].t0_us = from_us + (int64_t)i * bucket_us;
	plan_query(q, &c);
	if (from_us > c.smin)
		c.smin = from_us;
	if (to_us - 1 < c.smax)
		c.smax = to_us - 1;
	htab_init(&g.cost, 1024);
	htab_init(&g.roots, 1024);
	narrow_scan(&db, &c, stats_match, NULL, &g);
	if (db.b.over) {
		htab_free(&g.cost);
		htab_free(&g.roots);
		db_close(&db);
		return db_over(&db);
	}
	stats_roots(&db, &g);
	htab_free(&g.roots);
	/* The most expensive traces: the cost of their spans in the window, among the traces
	 * whose root started in it. */
	for (size_t i = 0; i < g.cost.n; i++) {
		const struct hslot *h = &g.cost.s[i];
		if (h->count >= 0 && h->started > 0)
			top_offer(&dear, (struct cand){.key = h->started, .a = h->di, .b = h->ri});
	}
	out->dur_p50_us = out->dur_p95_us = -1;
	if (g.ndurs) {
		/* Nearest rank: the smallest value at or above that share of the values. */
		qsort(g.durs, g.ndurs, sizeof *g.durs, cmp_i64);
		out->dur_p50_us = g.durs[(g.ndurs + 1) / 2 - 1];
		out->dur_p95_us = g.durs[(size_t)ceil((double)g.ndurs * 0.95) - 1];
	}
	out->nslowest = top_rows(&db, &g.slow, out->slowest);
	out->ncostliest = top_rows(&db, &dear, out->costliest);
	free(g.durs);
	htab_free(&g.cost);
	db_close(&db);
	return ST_OK;
}

enum status query_stats(struct query *q, int64_t from_us, int64_t to_us, int64_t bucket_us,
			struct query_stats *out)
{
	struct stats_args a = {from_us, to_us, bucket_us, out};
	return db_snapshot(q, stats_run, &a);
}
