/* twins: the root records a process has seen of a workspace, by trace, kept across its queries:
 * which traces have roots of more than one span ("twins"), and which roots name no trace. A
 * page of traces by start time (tpage.c) takes every other trace as the one root it has, so
 * that its total comes from the days' counts of roots and its rows from the blocks that hold
 * them, not from a table of every root of the window made again on every request (issue 57:
 * 36,469 roots at 1M spans, 4.9-9.0 ms a page, most of it that table). Each day's roots of a
 * trace are kept by start too (8 bytes a root), so the page's rows are its roots read from the
 * page's end, not the blocks of a day whose starts lie in no order among its records (issue
 * 57: every record of the newest full day, 238,000 at 5M spans, read for a page of 10). */
#include "lib/query/engine.h"
#include "lib/query/narrow.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/mem.h"

/* A trace's entry: the span of the first root seen, and the days of its roots. */
struct twin_ent {
	uint64_t trace_h, span_h;
	int32_t day_lo, day_hi;
	uint32_t state; /* 0: empty; TWIN_ONE: roots of one span so far; TWIN_MANY: of more */
};
enum { TWIN_ONE = 1, TWIN_MANY = 2 };

/* What is kept of one day: the records taken (kept_mark), its roots that name no trace, and
 * those that name one by start (twins_starts: TWIN_START packed, [0, nsorted) ascending, the
 * rest as taken; none when one does not pack, by_off set). */
struct twin_day {
	int32_t day;
	struct kept_mark m;
	uint32_t *bare;
	size_t nbare, capbare;
	uint64_t *by;
	size_t nby, capby, nsorted;
	uint32_t by_next; /* the record past the last one in by */
	bool by_off;
};

struct twins {
	struct kept_of of; /* the least recently asked is let go */
	bool over;	   /* more roots than are kept (TWINS_ROOTS_MAX): none are */
	struct twin_ent *e;
	size_t n, cap; /* entries, slots (a power of two, at least twice n) */
	struct twin_day *days;
	size_t ndays, capdays; /* ascending by day */
	uint64_t *many;	       /* the traces of TWIN_MANY entries, in the order they became so */
	size_t nmany, capmany;
};

/* The workspaces a process keeps (the least recently asked is let go): a deployment's workers
 * mostly serve a few, and one let go costs the next query a read of its roots. */
#define TWINS_WORKSPACES 4
/* The roots of a workspace past which none are kept (its pages then gather the roots of their
 * window, as before): 2^21 traces at 32 bytes an entry, at most half the slots full, are 128
 * MiB a workspace, and their roots by start 8 bytes each (16 MiB for a root a trace), about 50M
 * spans of bench/gen's 27 spans a trace. */
#define TWINS_ROOTS_MAX (1u << 21)

static struct twins kept[TWINS_WORKSPACES];
static uint64_t asked;

static void twins_clear(struct twins *t)
{
	for (size_t i = 0; i < t->ndays; i++) {
		free(t->days[i].bare);
		free(t->days[i].by);
	}
	kept_free(&t->of);
	free(t->e);
	free(t->days);
	free(t->many);
	memset(t, 0, sizeof *t);
}

static inline size_t ent_home(const struct twins *t, uint64_t h)
{
	return (h ^ (h >> 29)) & (t->cap - 1);
}

/* The slot of trace h: its entry, or the empty one where it would go. */
static inline struct twin_ent *ent_slot(const struct twins *t, uint64_t h)
{
	size_t i = ent_home(t, h);
	while (t->e[i].state && t->e[i].trace_h != h)
		i = (i + 1) & (t->cap - 1);
	return &t->e[i];
}

static void ents_grow(struct twins *t)
{
	struct twin_ent *old = t->e;
	size_t ocap = t->cap;
	t->cap = ocap ? 2 * ocap : 1024;
	t->e = xcalloc(t->cap, sizeof *t->e);
	for (size_t i = 0; i < ocap; i++)
		if (old[i].state)
			*ent_slot(t, old[i].trace_h) = old[i];
	free(old);
}

/* Root record ri of d, of a trace, by its start (once: records are taken in ascending order). */
static void start_take(struct twin_day *d, uint32_t ri, const struct idx_rec *r)
{
	int64_t off = r->started_us - (int64_t)d->day * TWIN_DAY_US;
	if (d->by_off || (d->nby && ri < d->by_next))
		return;
	if (off < 0 || off >= TWIN_DAY_US || ri >= 1u << TWIN_START_RBITS) {
		d->by_off = true; /* a start off its day, or a day of too many records */
		return;
	}
	if (d->nby == d->capby) {
		d->capby = d->capby ? 2 * d->capby : 64;
		d->by = xrealloc(d->by, d->capby * sizeof *d->by);
	}
	d->by[d->nby++] = (uint64_t)off << TWIN_START_RBITS | ri;
	d->by_next = ri + 1;
}

/* Takes root record r of day: a root of one more span of its trace makes it a twin. Taking the
 * same record again changes nothing, so a day's records may be taken again from any point. */
static void root_take(struct twins *t, struct twin_day *d, uint32_t ri, const struct idx_rec *r)
{
	if (!(r->flags & REC_HAS_TRACE)) {
		if (d->nbare && d->bare[d->nbare - 1] >= ri)
			return; /* taken (records are taken in ascending order) */
		if (d->nbare == d->capbare) {
			d->capbare = d->capbare ? 2 * d->capbare : 16;
			d->bare = xrealloc(d->bare, d->capbare * sizeof *d->bare);
		}
		d->bare[d->nbare++] = ri;
		return;
	}
	start_take(d, ri, r);
	if ((t->n + 1) * 2 > t->cap)
		ents_grow(t);
	struct twin_ent *e = ent_slot(t, r->trace_h);
	if (!e->state) {
		*e = (struct twin_ent){r->trace_h, r->span_h, d->day, d->day, TWIN_ONE};
		t->n++;
	} else {
		e->day_lo = d->day < e->day_lo ? d->day : e->day_lo;
		e->day_hi = d->day > e->day_hi ? d->day : e->day_hi;
	}
	/* Versions of one span (an upsert, a deletion) are one root: at most one of them is live
	 * to a query. */
	if (e->state == TWIN_ONE && e->span_h != r->span_h) {
		e->state = TWIN_MANY;
		if (t->nmany == t->capmany) {
			t->capmany = t->capmany ? 2 * t->capmany : 16;
			t->many = xrealloc(t->many, t->capmany * sizeof *t->many);
		}
		t->many[t->nmany++] = r->trace_h;
	}
}

/* Below this many new records (two blocks) a day's are read one by one, past it its roots are
 * found from the indexes' lists of roots (a root every 27 records on bench/gen's spans, every
 * 50 in the soak's), as the first look at a day of a million records does: under a live ingest
 * a query finds a batch or two new, which are read whole at memory speed. */
#define TWINS_LIST_MIN (2 * SHARD_BLOCK)

/* Takes the roots of s's records from d->m.done on; false once the query's budget is spent (d
 * then names the records taken). */
static bool day_take(struct twins *t, struct twin_day *d, struct scan *db, struct scan_day *s)
{
	const struct idx_rec *recs = s->sh.recs;
	size_t n = s->sh.nrecs, from = d->m.done;
	const struct store_index_roots *ro;
	size_t covered = n - from >= TWINS_LIST_MIN ? store_index_roots(&s->ix, &ro) : 0;
	bool ok = true;
	if (covered > from) {
		const uint32_t *r = ro->r;
		size_t k = 0, ne = ro->e ? ro->ne : 0;
		/* Those before from are passed over: few beside the records (a root in 27). */
		for (; k < ne && ok; k++)
			if (ro->e[k].rec >= from && ro->e[k].rec < n && (ok = db_rec(db)) &&
			    store_rec_root(&recs[ro->e[k].rec]))
				root_take(t, d, ro->e[k].rec, &recs[ro->e[k].rec]);
		for (k = 0; k < ro->nr && ok; k++)
			if (r[k] >= from && r[k] < n && (ok = db_rec(db)) &&
			    store_rec_root(&recs[r[k]]))
				root_take(t, d, r[k], &recs[r[k]]);
		from = ok ? covered : from;
	}
	size_t i = from;
	for (; ok && i < n && (ok = db_rec(db)); i++)
		if (store_rec_root(&recs[i]))
			root_take(t, d, (uint32_t)i, &recs[i]);
	kept_mark_set(&d->m, s, ok ? n : from);
	return ok;
}

/* The day's entry in t, made when absent. */
static struct twin_day *day_of(struct twins *t, int32_t day)
{
	return kept_day((void **)&t->days, &t->ndays, &t->capdays, sizeof *t->days, day);
}

/* The workspace's entry: kept, or the least recently asked one let go for it. */
static struct twins *ws_of(const struct query *q)
{
	size_t i = kept_pick(kept, TWINS_WORKSPACES, sizeof *kept, q, ++asked);
	if (i < TWINS_WORKSPACES)
		return &kept[i];
	struct twins *t = &kept[i - TWINS_WORKSPACES];
	twins_clear(t);
	kept_set(&t->of, q, asked);
	return t;
}

/* t as new, for the same workspace. */
static void ws_again(struct twins *t)
{
	struct kept_of of = t->of;
	t->of = (struct kept_of){0};
	twins_clear(t);
	t->of = of;
}

struct twins *twins_of(struct scan *db, size_t lo, size_t hi)
{
	struct twins *t = ws_of(db->q);
	for (size_t di = lo; di < hi && !t->over; di++) {
		struct scan_day *s = db_shard(db, di);
		if (!s)
			continue;
		struct twin_day *d = day_of(t, db->days[di]);
		if (!kept_mark_same(&d->m, s)) { /* rebuilt since: every day taken again */
			ws_again(t);
			di = lo - 1;
			continue;
		}
		if (!day_take(t, d, db, s))
			return NULL;
		if (t->n > TWINS_ROOTS_MAX) {
			ws_again(t);
			t->over = true;
		}
	}
	return t->over ? NULL : t;
}

const uint64_t *twins_list(const struct twins *t, size_t *n)
{
	*n = t->nmany;
	return t->many;
}

bool twins_days(const struct twins *t, uint64_t trace_h, int32_t *lo, int32_t *hi)
{
	const struct twin_ent *e = ent_slot(t, trace_h);
	*lo = e->day_lo;
	*hi = e->day_hi;
	return e->state != 0;
}

static int cmp_by(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Roots taken since the day's were sorted past which they are sorted in: a page reads each of
 * those (a record each), and sorting a day's again costs about a read of its roots, so they are
 * sorted when they pass this many or an eighth of the sorted ones. */
#define TWINS_UNSORTED_MAX 1024

static const uint64_t no_starts;

const uint64_t *twins_starts(struct twins *t, int32_t day, size_t *nsorted, size_t *n, size_t *done)
{
	struct twin_day *d = day_of(t, day);
	size_t more = d->nby - d->nsorted;
	if (d->by_off)
		return NULL;
	if (more > TWINS_UNSORTED_MAX || (more && more * 8 > d->nsorted)) {
		qsort(d->by, d->nby, sizeof *d->by, cmp_by);
		d->nsorted = d->nby;
	}
	*nsorted = d->nsorted;
	*n = d->nby;
	*done = d->m.done;
	return d->by ? d->by : &no_starts; /* a day of no root: none to read */
}

const uint32_t *twins_bare(struct twins *t, int32_t day, size_t *n)
{
	struct twin_day *d = day_of(t, day);
	*n = d->nbare;
	return d->bare;
}
