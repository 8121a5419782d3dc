/* narrow: the index narrows a scan (narrow.c): the records a filter can match, visited in
 * order, each confirmed on its line only when the index cannot decide. */
#ifndef SPANDEX_QUERY_NARROW_H
#define SPANDEX_QUERY_NARROW_H

#include "lib/query/engine.h"

/* The records of a shard a scan visits: list[0..n) (ascending record numbers, or a sealed
 * day's start-time order), then every record from `from` on. */
struct visit {
	const uint32_t *list;
	uint32_t *own; /* list, when it is ours to free */
	size_t n, from;
};

static inline size_t visit_len(const struct visit *v, const struct scan_day *s)
{
	return v->n + (s->sh.nrecs - v->from);
}

static inline size_t visit_at(const struct visit *v, size_t k)
{
	return k < v->n ? v->list[k] : v->from + (k - v->n);
}

/* How many records of a visit's list ahead a scan asks the memory for. */
#define QUERY_PREFETCH 8

/* The record to ask the memory for at step k of a visit: its list's records lie apart (a
 * root every few kilobytes), and asked for ahead of the scan their reads overlap instead of
 * waiting one after another. (The caller prefetches: GCC takes a function that only
 * prefetches for one without effects, and drops its calls.) */
static inline const struct idx_rec *visit_ahead(const struct visit *v, const struct scan_day *s,
						size_t k)
{
	return &s->sh.recs[k + QUERY_PREFETCH < v->n ? v->list[k + QUERY_PREFETCH] : 0];
}

/* A page by start time over a day: the records of the value the day's lists name for the
 * filter's most selective condition of one value, the .tix's (list[0][0..n[0])) and the tail's
 * past them (list[1]), each ascending by start, then by record (those that start within the
 * filter's window), and rest, the records past what the lists answer for that may match (and
 * those of the tail no list answers for), in storage order (a visit: free rest.own). */
struct ordered {
	const uint32_t *list[2];
	size_t n[2];
	struct visit rest;
};
/* Fills *o for c on s: false when no such list answers (a filter of one trace or session, a set
 * of ids, text, roots; no condition of one value; an older .tix), and, when all (every record of
 * the list is to be visited: the day is not counted), when it names more than half the records
 * (a scan in storage order then reads less). */
bool narrow_ordered(struct scan_day *s, const struct rec_filter *c, bool all, struct ordered *o);
bool narrow_line(const struct rec_filter *c, struct scan_day *s, size_t ri);
bool narrow_extra(const struct scan *db, struct scan_day *s, size_t ri);
bool narrow_countable(struct arena *a, const struct query *q, const struct rec_filter *c,
		      struct store_dayindex_q *tq);
bool narrow_keys(struct scan_day *s, enum store_key which, const uint64_t *hs, size_t nh,
		 struct visit *v);
void narrow_visit(struct scan_day *s, const struct rec_filter *c, struct visit *v);

/* The checks of narrow_line and narrow_extra, with their cheap answers inline: most scans
 * have no equality to confirm and no text or predicate. */
static inline bool line_ok(const struct rec_filter *c, struct scan_day *s, size_t ri)
{
	return !c->nchk || narrow_line(c, s, ri);
}

static inline bool extra_ok(const struct scan *db, struct scan_day *s, size_t ri)
{
	return (!db->q->nsearch && !db->q->npreds) || narrow_extra(db, s, ri);
}

/* What a scan calls for each record it matches: record i of day index di. */
typedef void (*match_fn)(void *ctx, struct scan *db, size_t di, size_t i, const struct idx_rec *r);
/* What a scan of roots only may call instead for the covered records of a day whose index holds
 * its roots' flags as they are: the entries e[0..n) of day index di (store_index_roots). */
typedef void (*roots_fn)(void *ctx, struct scan *db, const struct rec_filter *c, size_t di,
			 const struct store_dayindex_root *e, size_t n);

/* Calls fn for every live record the compiled filter matches, in the days of its window; with
 * rfn, a filter of roots by start times, kinds and statuses alone (all an entry of the roots
 * holds) reads the covered records of each day through rfn, and no record of them. */
void narrow_scan(struct scan *db, struct rec_filter *c, match_fn fn, roots_fn rfn, void *ctx);

#endif
