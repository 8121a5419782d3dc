/* tpage: a page of traces by start time whose total the days' counts give (issue 57). A trace
 * whose roots are of one span (twins.c: all but the twins) has at most one live root, so the
 * traces of a window are its roots counted (the .tix's and the tail's counts, the records past
 * them read), less the roots that name no trace, less each twin's roots but one; and the page's
 * rows are the roots the process keeps by start (twins_starts), from the page's end of the
 * window until one cannot be kept, beside the twins, each read with its roots (a day with none
 * kept by start: the blocks of records that can still hold one, shard_blocks). So a page of a
 * store of millions of spans reads its rows' roots and the counts, not every root of the window
 * nor a day's blocks when its starts lie in no order (docs/FORMAT.md, "A page of traces from the
 * counts"); its answer is the one gathering every root gives. Here too, below every listing of
 * traces, the rule that picks a trace's row among its roots (tpage_root_offer). */
#include "lib/query/engine.h"
#include "lib/query/narrow.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/mem.h"
#include "lib/json/jline.h"

#define DAY_US 86400000000LL

/* JSON literal of key in the line of (di, ri), cached in *slot. */
static const char *cached_lit(struct scan *db, uint32_t di, uint32_t ri, const char *key,
			      const char **slot)
{
	if (*slot)
		return *slot;
	const char *p, *v;
	size_t n, vn;
	struct scan_day *sh = db_shard(db, di);
	*slot = "\"\"";
	if (sh && db_line(sh, ri, &p, &n) && jline_get(p, n, key, &v, &vn))
		*slot = arena_strndup(db->q->a, v, vn);
	return *slot;
}

void tpage_root_offer(struct scan *db, struct htab *roots, int64_t started, size_t di, size_t ri,
		      uint64_t key)
{
	bool fresh;
	struct hslot *h = htab_find(roots, key, 0, &fresh);
	if (!fresh) {
		if (started > h->started)
			return;
		if (started == h->started) {
			const char *mine = NULL;
			cached_lit(db, di, ri, "span_id", &mine);
			if (strcmp(mine, cached_lit(db, h->di, h->ri, "span_id", &h->s2)) >= 0)
				return;
		}
	}
	h->started = started;
	h->di = di;
	h->ri = ri;
	h->s1 = h->s2 = NULL;
}

/* Up to this many twins a page reads each one's roots (a lookup in the key maps of each day of
 * its roots); past it, the page gathers every root of its window, which then costs less. */
#define TPAGE_TWINS_MAX 256

/* Whether root record i of s is one the page's filter takes. */
static inline bool root_ok(const struct tpage *p, struct scan_day *s, size_t i)
{
	return shard_live(&s->sh, i) && rec_ok(p->c, &s->sh.recs[i]) && line_ok(p->c, s, i);
}

/* The day bounds of day index di. */
static inline void day_bounds(const struct scan *db, size_t di, int64_t *lo, int64_t *hi)
{
	*lo = (int64_t)db->days[di] * DAY_US;
	*hi = *lo + DAY_US - 1;
}

/* The roots the filter takes among s's records [from, nrecs), read from the blocks that reach
 * into its window (and the records past the whole blocks). */
static size_t blocks_count(const struct tpage *p, struct scan_day *s, size_t from)
{
	const struct shard_block *b;
	size_t nb = shard_blocks(&s->sh, &b), n = s->sh.nrecs, count = 0;
	for (size_t j = from / SHARD_BLOCK; j <= nb && !p->db->b.over; j++) {
		size_t lo = j * SHARD_BLOCK, hi = j == nb ? n : lo + SHARD_BLOCK;
		if (j < nb && (b[j].hi < p->c->smin || b[j].lo > p->c->smax))
			continue;
		for (size_t i = lo > from ? lo : from; i < hi && db_rec(p->db); i++)
			count += store_rec_root(&s->sh.recs[i]) && root_ok(p, s, i);
	}
	return count;
}

/* The twins' roots the filter takes, each offered to the page's table (the earliest is the
 * trace's row) and counted in its slot: per day of the window, those of the twins with a root
 * on that day, from the day's key maps. */
static void twins_offer(struct tpage *p, const uint64_t *many, size_t nmany)
{
	struct scan *db = p->db;
	uint64_t *hs = xmalloc((nmany ? nmany : 1) * sizeof *hs);
	for (size_t di = p->lo; di < p->hi && !db->b.over; di++) {
		struct scan_day *s = db_shard(db, di);
		size_t nh = 0;
		for (size_t k = 0; s && k < nmany; k++) {
			int32_t a, z;
			if (twins_days(p->tw, many[k], &a, &z) && a <= db->days[di] &&
			    db->days[di] <= z)
				hs[nh++] = many[k];
		}
		if (!nh)
			continue;
		qsort(hs, nh, sizeof *hs, cmp_u64);
		struct visit v;
		narrow_keys(s, STORE_KEY_TRACE, hs, nh, &v);
		for (size_t k = 0; k < visit_len(&v, s) && db_rec(db); k++) {
			size_t i = visit_at(&v, k);
			const struct idx_rec *r = &s->sh.recs[i < s->sh.nrecs ? i : 0];
			if (i >= s->sh.nrecs || !store_rec_root(r) || !(r->flags & REC_HAS_TRACE) ||
			    !in_sorted(hs, nh, r->trace_h) || !root_ok(p, s, i))
				continue;
			tpage_root_offer(db, p->roots, r->started_us, di, i, r->trace_h);
			htab_get(p->roots, r->trace_h, 0)->count++;
		}
		free(v.own);
	}
	free(hs);
}

bool tpage_total(struct tpage *p, size_t *total)
{
	struct scan *db = p->db;
	struct query *q = p->q;
	*total = 0;
	if (q->order != QO_START || q->rollup_pred || q->after_id ||
	    !narrow_countable(q->a, q, p->c, &p->tq))
		return false;
	plan_window(db, p->c, &p->lo, &p->hi);
	size_t nmany;
	const uint64_t *many;
	if (p->c->nothing || !(p->tw = twins_of(db, p->lo, p->hi)) ||
	    (many = twins_list(p->tw, &nmany), nmany > TPAGE_TWINS_MAX))
		return false;
	/* Every root the filter takes, from the counts of the days the window holds whole and
	 * from the blocks of the rest. */
	for (size_t di = p->lo; di < p->hi && !db->b.over; di++) {
		struct scan_day *s = db_shard(db, di);
		if (!s)
			continue;
		int64_t day_lo, day_hi;
		day_bounds(db, di, &day_lo, &day_hi);
		uint64_t n = 0;
		size_t covered = p->c->smin <= day_lo && p->c->smax >= day_hi
				     ? store_index_count(&s->ix, &p->tq, &n)
				     : 0;
		*total += (size_t)n;
		if (covered < s->sh.nrecs)
			*total += blocks_count(p, s, covered);
		/* Less the roots that name no trace. */
		size_t nb;
		const uint32_t *bare = twins_bare(p->tw, db->days[di], &nb);
		for (size_t k = 0; k < nb; k++)
			*total -= bare[k] < s->sh.nrecs && root_ok(p, s, bare[k]);
	}
	/* Less each twin's roots but one. */
	htab_init(p->roots, nmany + 64);
	twins_offer(p, many, nmany);
	for (size_t k = 0; k < p->roots->n; k++)
		*total -= (size_t)p->roots->s[k].count - 1;
	return true;
}

/* Root record i of s as a row of the page, but a twin's: those the filter takes were offered
 * before (twins_offer), so their slots are there already. */
static void rec_take(struct tpage *p, struct topk *tk, struct scan_day *s, size_t di, size_t i)
{
	const struct idx_rec *r = &s->sh.recs[i];
	if (!store_rec_root(r) || !(r->flags & REC_HAS_TRACE) || topk_past(tk, r->started_us) ||
	    !root_ok(p, s, i))
		return;
	bool fresh;
	struct hslot *h = htab_find(p->roots, r->trace_h, 0, &fresh);
	if (!fresh)
		return; /* a twin's, offered with its trace's others */
	h->started = r->started_us;
	h->di = (uint32_t)di;
	h->ri = (uint32_t)i;
	topk_push(tk, (struct cand){.key = r->started_us, .a = (uint32_t)(h - p->roots->s)});
}

/* The roots of s's records [lo, hi) as rows of the page (rec_take). */
static void block_take(struct tpage *p, struct topk *tk, struct scan_day *s, size_t di, size_t lo,
		       size_t hi)
{
	for (size_t i = lo; i < hi && db_rec(p->db); i++)
		rec_take(p, tk, s, di, i);
}

/* The roots of day di as rows of the page from the roots the process keeps by start (twins.c):
 * those taken since they were sorted, then the sorted ones from the page's end of the window
 * until one cannot be kept (the rest cannot either), then the records past those taken. So a
 * page reads its rows' roots, however the day's starts lie among its records (issue 57: a day
 * of 238,000 records in no order of start, every block reaching to its end, read whole for a
 * page of 10 at 5M spans). False when the day has none kept by start: read its blocks then. */
static bool starts_take(struct tpage *p, struct topk *tk, struct scan_day *s, size_t di)
{
	const struct rec_filter *c = p->c;
	size_t ns, n, done;
	const uint64_t *e = twins_starts(p->tw, p->db->days[di], &ns, &n, &done);
	int64_t day_lo = (int64_t)p->db->days[di] * DAY_US;
	if (!e)
		return false;
	for (size_t k = ns; k < n && db_rec(p->db); k++)
		if (TWIN_START_REC(e[k]) < s->sh.nrecs)
			rec_take(p, tk, s, di, TWIN_START_REC(e[k]));
	for (size_t k0 = 0; k0 < ns && !p->db->b.over; k0++) {
		uint64_t x = e[tk->asc ? k0 : ns - 1 - k0];
		int64_t at = day_lo + TWIN_START_OFF(x);
		if (tk->asc ? at < c->smin : at > c->smax)
			continue;
		if ((tk->asc ? at > c->smax : at < c->smin) || topk_past(tk, at))
			break;
		if (TWIN_START_REC(x) < s->sh.nrecs && db_rec(p->db))
			rec_take(p, tk, s, di, TWIN_START_REC(x));
	}
	if (done < s->sh.nrecs)
		block_take(p, tk, s, di, done, s->sh.nrecs);
	return true;
}

void tpage_rows(struct tpage *p, struct topk *tk)
{
	struct scan *db = p->db;
	const struct rec_filter *c = p->c;
	bool asc = tk->asc;
	size_t ntwins = p->roots->n;
	for (size_t k = 0; k < ntwins; k++)
		topk_push(tk, (struct cand){.key = p->roots->s[k].started, .a = (uint32_t)k});
	/* Newest days first for -started_at, each day's blocks newest first: a block none of
	 * whose records can beat the page's worst kept row is not read, and once a whole day
	 * cannot, the days past it cannot either (a day holds the spans that start on it). */
	for (size_t step = 0; step < p->hi - p->lo && !db->b.over; step++) {
		size_t di = asc ? p->lo + step : p->hi - 1 - step;
		int64_t day_lo, day_hi;
		day_bounds(db, di, &day_lo, &day_hi);
		if (topk_past(tk, asc ? day_lo : day_hi))
			break;
		struct scan_day *s = db_shard(db, di);
		if (s && starts_take(p, tk, s, di))
			continue;
		const struct shard_block *b;
		size_t nb = s ? shard_blocks(&s->sh, &b) : 0;
		for (size_t j0 = 0; s && j0 <= nb && !db->b.over; j0++) {
			size_t j = asc ? j0 : nb - j0;
			size_t lo = j * SHARD_BLOCK, hi = j == nb ? s->sh.nrecs : lo + SHARD_BLOCK;
			if (j < nb && (b[j].hi < c->smin || b[j].lo > c->smax ||
				       topk_past(tk, asc ? b[j].lo : b[j].hi)))
				continue;
			block_take(p, tk, s, di, lo, hi);
		}
	}
	topk_finish(tk);
}
