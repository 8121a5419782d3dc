/* gcount: the span groups by trace a process has counted of a workspace, kept across its
 * queries (issue 57: a page of groups by trace read every record of the store, 232-587 ms at 5M
 * spans, 6-13x its time at 1M). For each filter of kinds and statuses alone asked (a "view";
 * none: every span), each trace's live spans counted, its first span (whose line gives its key),
 * and the traces by count in buckets, those of one count sorted by key once asked (gview.c).
 * Taken from each day's records once, then from the records committed since; a bit a record
 * says which are counted. A version superseded since (replaced, deleted, moved, erased: a flag
 * written in place, the day header's generation moved by 4 a flag) is found through the record
 * that superseded it, a newer version of its span among those committed since: the records kept
 * by span (struct kept_spans, a day's from its first flag written on) name it, and its trace
 * counts one span fewer. A day whose flags those cannot account for (its first change, a
 * version live again) has its records' bits compared with their flags (day_fix). A day written
 * again (reindex, the erasure pass: its records renumbered) is taken again, and each trace
 * with a span on it is counted again from it and from its other days' key maps, as is each
 * trace with a span on a day gone (retention's oldest; a middle day an operator removed, or a
 * restore left out: days_redo); a day come back is taken as a new one. So a page reads the buckets
 * from its end (the most spans first) and the keys of the counts it reaches, and its total is the
 * number of traces counted: its answer is the one a table of every span's trace gives (groups.c;
 * t/check_query_groups.c), at the cost of the records committed since, or of the days changed
 * or written again, not of the store. */
#include "lib/query/gview.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/mem.h"

/* What is kept of one day: the records taken (kept_mark), at the flag generation gen, which of
 * them are counted (live: a bit a record); id its name among the records kept by span, spans
 * how many it keeps there. In a query that takes more: done0, where it began, the versions it
 * found superseded since gen, taken before (flips) or among those it takes (fresh), and redo:
 * its records renumbered (DAY_REWRITTEN: reindex, the erasure pass; counted again by
 * days_redo) or its flags not accounted for (DAY_UNACCOUNTED: its records' bits compared with
 * their flags, day_fix). */
enum { DAY_KEPT, DAY_REWRITTEN, DAY_UNACCOUNTED };
struct gc_day {
	int32_t day;
	uint32_t id;
	struct kept_mark m;
	size_t spans, done0, flips, fresh;
	uint64_t gen;
	int redo;
	uint64_t *live;
	size_t cap_live; /* bits */
};

/* The views a workspace keeps (the least recently asked is let go; a new one takes every record
 * again). */
#define GC_VIEWS 4
/* The workspaces a process keeps (as twins.c). */
#define GC_WORKSPACES 4
/* The records a workspace keeps by span, past which it keeps none (a version superseded then
 * takes every record again, as does a day past 2^KS_RBITS records or 2^KS_DBITS - 1 days): 8
 * bytes a slot, 10.7 to 21 bytes a record, so at most 128 MiB. */
#define GC_SPANS_MAX (1u << 23)
/* The flags a day's records can have had written since a take (each one's superseded, set
 * again by retention, superseded again), past which its generation moved by a rewrite
 * (reindex: a generation drawn anew, its records renumbered even when its last is still the
 * one taken, as a sealed day's, read in start order), not by flags. */
#define GC_FLAGS_PLAUSIBLE(s) (4 * (uint64_t)(s)->sh.nrecs + 4096)
/* The pool's bytes no entry names past which all is taken again (when they are half of it). */
#define GC_DEAD_MAX (1u << 20)

struct gc_ws {
	struct kept_of of; /* the least recently asked is let go */
	bool over;	   /* a view past GC_TRACES_MAX: none kept until another view is asked */
	bool nospans;	   /* past GC_SPANS_MAX (or the ids): none kept by span */
	bool byspan; /* flags were written in a day taken: records kept by span from then on */
	/* The newest ingested_at of a take that ended whole: every record to it taken (this
	 * round: round_us). A take cut short since took records past it, perhaps. */
	int64_t hi_us, round_us;
	struct gc_day *days;
	size_t ndays, capdays; /* ascending by day */
	struct gc_view v[GC_VIEWS];
	size_t nv;
	struct kept_spans spans;
	int32_t *ids; /* the day of each id less 1 */
	size_t nids, capids;
	size_t stale; /* the records kept by span of ids let go (KS_GONE), not yet met */
};

static struct gc_ws kept[GC_WORKSPACES];
static uint64_t asked;

/* Every day and count let go; the views stay asked for, empty. */
static void ws_again(struct gc_ws *w)
{
	for (size_t i = 0; i < w->nv; i++)
		gview_clear(&w->v[i]);
	for (size_t k = 0; k < w->ndays; k++)
		free(w->days[k].live);
	free(w->days);
	w->days = NULL;
	w->ndays = w->capdays = 0;
	w->over = w->nospans = false; /* byspan stays: the workspace is one that changes */
	w->hi_us = INT64_MIN;
	w->stale = 0;
	free(w->spans.slot);
	w->spans = (struct kept_spans){0};
	free(w->ids);
	w->ids = NULL;
	w->nids = w->capids = 0;
}

static void ws_clear(struct gc_ws *w)
{
	ws_again(w);
	kept_free(&w->of);
	memset(w, 0, sizeof *w);
}

/* The day's entry in w, made when absent. */
static struct gc_day *day_of(struct gc_ws *w, int32_t day)
{
	return kept_day((void **)&w->days, &w->ndays, &w->capdays, sizeof *w->days, day);
}

/* Whether version i of sh is superseded to the query: its flag written, by a batch before the
 * query's snapshot. */
static inline bool gone_by(struct shard *sh, size_t i)
{
	return (sh->recs[i].flags & REC_SUPERSEDED) && !(sh->snap && store_snap_superseded(sh, i));
}

/* Whether record i of sh is counted: live to the query, of a trace (not ""). */
static inline bool counted(struct shard *sh, size_t i, uint64_t empty_h)
{
	const struct idx_rec *r = &sh->recs[i];
	return (r->flags & REC_HAS_TRACE) && r->trace_h != empty_h && shard_live(sh, i);
}

static inline bool live_bit(const struct gc_day *d, size_t i)
{
	return i < d->cap_live && (d->live[i / 64] >> (i % 64) & 1);
}

static inline void live_set(struct gc_day *d, size_t i, bool on)
{
	d->live[i / 64] = (d->live[i / 64] & ~(1ull << (i % 64))) | (uint64_t)on << (i % 64);
}

/* Room in d's bits for n records (the new ones clear). */
static void live_room(struct gc_day *d, size_t n)
{
	if (n <= d->cap_live)
		return;
	size_t words = (n + 63) / 64 * 2, had = (d->cap_live + 63) / 64;
	d->live = xrealloc(d->live, words * sizeof *d->live);
	memset(d->live + had, 0, (words - had) * sizeof *d->live);
	d->cap_live = words * 64;
}

/* Record ri of d (id'd) kept by span h: false when there is no room (w->nospans then). */
static bool spans_put(struct gc_ws *w, struct gc_day *d, uint64_t h, size_t ri)
{
	struct kept_spans *m = &w->spans;
	if (!d->id) {
		if (w->nids + 1 >= 1u << KS_DBITS)
			return false;
		if (w->nids == w->capids) {
			w->capids = w->capids ? 2 * w->capids : 16;
			w->ids = xrealloc(w->ids, w->capids * sizeof *w->ids);
		}
		w->ids[w->nids++] = d->day;
		d->id = (uint32_t)w->nids;
	}
	if (ri >> KS_RBITS || m->n >= GC_SPANS_MAX)
		return false;
	kept_spans_add(m, h, d->id, ri);
	d->spans++;
	return true;
}

/* d's records kept by span let go (met later, or compacted away): its id named no day. */
static void spans_forget(struct gc_ws *w, struct gc_day *d)
{
	if (!d->id)
		return;
	w->ids[d->id - 1] = KS_GONE;
	w->stale += d->spans;
	d->id = 0;
	d->spans = 0;
}

/* The records kept by span of the ids let go taken out, once they are half of those kept. */
static void spans_compact(struct gc_ws *w)
{
	struct kept_spans *m = &w->spans, old = *m;
	if (w->stale < 4096 || w->stale * 2 < m->n)
		return;
	*m = (struct kept_spans){0};
	kept_spans_room(m, old.n > w->stale ? old.n - w->stale : 0);
	for (size_t k = 0; k < old.nslot; k++)
		if (old.slot[k] && w->ids[KS_DAY(old.slot[k]) - 1] != KS_GONE)
			kept_spans_add(m, old.slot[k], KS_DAY(old.slot[k]), KS_REC(old.slot[k]));
	free(old.slot);
	w->stale = 0;
}

/* The versions of span h kept that a batch superseded since they were taken: each let go, and
 * its trace one span fewer in every view that counted it. False when one cannot be read or a
 * view did not count one it should have (all is taken again). */
static bool spans_gone(struct gc_ws *w, struct scan *db, uint64_t h)
{
	struct kept_spans *m = &w->spans;
	uint64_t empty_h = hash_bytes("", 0);
	size_t mask = m->nslot - 1;
	if (!m->nslot) /* let go past GC_SPANS_MAX: the days moved cannot account for it */
		return true;
	for (size_t i = KS_HB(h) & mask; m->slot[i];) {
		uint64_t x = m->slot[i];
		if (KS_HB(x) == KS_HB(h) && w->ids[KS_DAY(x) - 1] == KS_GONE) {
			/* Its day dropped or counted again: days_redo counts its trace again. */
			kept_spans_del(m, i);
			w->stale -= w->stale > 0;
			continue;
		}
		struct gc_day *d = KS_HB(x) == KS_HB(h) ? day_of(w, w->ids[KS_DAY(x) - 1]) : NULL;
		struct scan_day *s = d ? db_day(db, d->day) : NULL;
		uint32_t ri = KS_REC(x);
		if (d && (!s || ri >= s->sh.nrecs || !db_rec(db)))
			return false;
		const struct idx_rec *r = s ? &s->sh.recs[ri] : NULL;
		if (!r || r->span_h != h || !gone_by(&s->sh, ri)) {
			i = (i + 1) & mask;
			continue;
		}
		d->flips++;
		d->spans--;
		live_set(d, ri, false);
		kept_spans_del(m, i); /* slot i holds the next of the run now */
		if (!(r->flags & REC_HAS_TRACE) || r->trace_h == empty_h ||
		    (r->flags & REC_DELETED))
			continue;
		for (size_t k = 0; k < w->nv; k++) {
			struct gc_view *v = &w->v[k];
			if (bits_in_set(v->kinds, r->kind) && bits_in_set(v->statuses, r->status) &&
			    !gview_untake(v, db, r->trace_h, d->day, ri))
				return false;
		}
	}
	return true;
}

/* What d took of s's records: 1 still what s holds (flags written since, its generation moved
 * by 4 a flag, are accounted for after the take, else its records' bits are compared:
 * DAY_UNACCOUNTED), or written again since (its last record taken no longer there, or its
 * generation drawn anew: d->redo DAY_REWRITTEN, taken again from its first, counted again by
 * days_redo; also after a take cut short, as each trace with a span on it is counted again
 * whole, whatever that take counted of it); -1 the query cannot answer. The first flags moved
 * keep records by span from then on. */
static int day_kept(struct gc_ws *w, struct gc_day *d, const struct scan_day *s)
{
	if (!s || (s->sh.flag_gen & 1))
		return -1;
	if (!d->m.done)
		return 1;
	uint64_t moved = s->sh.flag_gen - d->gen;
	if (!kept_mark_same(&d->m, s) || (moved & 3) || moved / 4 > GC_FLAGS_PLAUSIBLE(s)) {
		d->redo = DAY_REWRITTEN;
		return 1;
	}
	w->byspan |= moved != 0;
	return 1;
}

/* Takes s's records from d->m.done on into every view (with adjust, the versions they superseded
 * let go first; of a day written again, those past w->hi_us alone: days_redo counts the others
 * again); false once the query's budget is spent (d then names the records taken), a view
 * passed GC_TRACES_MAX (w->over) or a version superseded could not be let go. */
static bool day_take(struct gc_ws *w, struct gc_day *d, struct scan *db, struct scan_day *s,
		     bool adjust)
{
	const struct idx_rec *recs = s->sh.recs;
	size_t n = s->sh.nrecs, i = d->m.done;
	uint64_t empty_h = hash_bytes("", 0);
	bool ok = true;
	live_room(d, n);
	for (; i < n && (ok = db_rec(db)); i++) {
		const struct idx_rec *r = &recs[i];
		bool gone = gone_by(&s->sh, i), taken = d->redo && r->ingested_us <= w->hi_us;
		if (adjust && !taken && !(ok = spans_gone(w, db, r->span_h)))
			break;
		w->round_us = r->ingested_us > w->round_us ? r->ingested_us : w->round_us;
		d->fresh += gone;
		if (!gone && w->byspan && !w->nospans && !spans_put(w, d, r->span_h, i)) {
			free(w->spans.slot);
			w->spans = (struct kept_spans){0};
			w->nospans = true;
		}
		if (taken || !counted(&s->sh, i, empty_h))
			continue;
		live_set(d, i, true);
		for (size_t k = 0; k < w->nv && ok; k++) {
			struct gc_view *v = &w->v[k];
			if (bits_in_set(v->kinds, r->kind) && bits_in_set(v->statuses, r->status) &&
			    !gview_take(v, r->trace_h, d->day, (uint32_t)i))
				ok = !(w->over = true);
		}
		if (!ok)
			break;
	}
	kept_mark_set(&d->m, s, i);
	return ok;
}

/* After every day was taken: whether each day's flags written since it was last taken are the
 * versions found superseded, one flag written (4 of the generation) each. A day whose flags the
 * records did not account for (none kept by span there, a version superseded by no newer one,
 * `reindex` setting flags again, a writer killed between its header writes) is counted again
 * (DAY_UNACCOUNTED); false when one is (or was written again). */
static bool days_accounted(struct gc_ws *w, struct scan *db)
{
	bool all = true;
	for (size_t di = 0; di < db->ndays; di++) {
		struct gc_day *d = day_of(w, db->days[di]);
		uint64_t g = db_shard(db, di)->sh.flag_gen;
		if (!d->redo && d->done0 &&
		    (g != d->gen ? (g - d->gen) / 4 != d->flips + d->fresh : d->flips != 0))
			d->redo = DAY_UNACCOUNTED;
		all &= !d->redo;
		d->gen = g;
	}
	return all;
}

/* Day d (s), its flags not accounted for, its records those taken: each record counted that
 * is no longer (superseded, and no record kept by span said so) one span fewer of its trace in
 * each view taking it, each one live again (retention dropped its newer version) one more, the
 * records of the query's budget it did not read yet charged; then its records kept by span
 * anew, so that its next flags are accounted for. False when the budget ran out or a view did
 * not count one it should have. */
static bool day_fix(struct gc_ws *w, struct scan *db, struct gc_day *d, struct scan_day *s)
{
	uint64_t empty_h = hash_bytes("", 0);
	spans_forget(w, d);
	for (size_t i = 0; i < d->m.done; i++) {
		const struct idx_rec *r = &s->sh.recs[i];
		bool now = counted(&s->sh, i, empty_h);
		if (i < d->done0 && !db_rec(db))
			return false;
		if (w->byspan && !w->nospans && !gone_by(&s->sh, i) &&
		    !spans_put(w, d, r->span_h, i)) {
			free(w->spans.slot);
			w->spans = (struct kept_spans){0};
			w->nospans = true;
		}
		if (now == live_bit(d, i))
			continue;
		live_set(d, i, now);
		for (size_t k = 0; k < w->nv; k++) {
			struct gc_view *v = &w->v[k];
			if (!bits_in_set(v->kinds, r->kind) || !bits_in_set(v->statuses, r->status))
				continue;
			if (now ? !gview_take(v, r->trace_h, d->day, (uint32_t)i)
				: !gview_untake(v, db, r->trace_h, d->day, (uint32_t)i))
				return false;
		}
	}
	d->redo = DAY_KEPT;
	return true;
}

static bool day_in(const struct scan *db, int32_t day)
{
	return db_day_at(db, day) < db->ndays;
}

static int h_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return (a > b) - (a < b);
}

/* What days_redo counts again: in each view, each entry's count (UINT32_MAX: not counted
 * again; cap[k] the room), the traces to look for in the key maps of days not counted again
 * (hs, sorted), and the days those span. */
struct recount {
	uint32_t *nc[GC_VIEWS];
	size_t cap[GC_VIEWS];
	uint64_t *hs;
	size_t nh, caph;
	int32_t from, upto;
	int32_t *gone; /* the days taken that db no longer holds, ascending */
	size_t ngone;
	/* Every day of db and gone, ascending; of all[0..i], how many are gone or counted again
	 * (nagain[i]) and how many are not (nkept[i]). */
	int32_t *all;
	uint32_t *nagain, *nkept;
	size_t nall;
};

/* Record i of s (day) live to the query: one more span of its trace in each view taking it
 * that counts the trace again, the first found its first (with whole, a day counted again: a
 * trace no view has is taken anew). False when a view has it and does not count it again (a
 * version live again that no day's change accounts for) or past GC_TRACES_MAX. */
static bool rec_recount(struct gc_ws *w, struct recount *rc, struct scan_day *s, int32_t day,
			size_t i, bool whole, uint64_t empty_h)
{
	const struct idx_rec *r = &s->sh.recs[i];
	if (!(r->flags & REC_HAS_TRACE) || r->trace_h == empty_h || !shard_live(&s->sh, i) ||
	    (!whole && !bsearch(&r->trace_h, rc->hs, rc->nh, sizeof *rc->hs, h_cmp)))
		return true;
	for (size_t k = 0; k < w->nv; k++) {
		struct gc_view *v = &w->v[k];
		if (!bits_in_set(v->kinds, r->kind) || !bits_in_set(v->statuses, r->status))
			continue;
		uint32_t *sl = v->nslot ? gview_slot(v, r->trace_h) : NULL;
		if ((!sl || !*sl) && !whole)
			continue;
		if (!sl || !*sl) {
			if (!gview_take(v, r->trace_h, day, (uint32_t)i))
				return false;
			if (v->n > rc->cap[k]) {
				rc->cap[k] = 2 * v->n;
				rc->nc[k] = xrealloc(rc->nc[k], rc->cap[k] * sizeof **rc->nc);
			}
			rc->nc[k][v->n - 1] = 1;
			continue;
		}
		struct gc_ent *e = &v->e[*sl - 1];
		if (rc->nc[k][*sl - 1] == UINT32_MAX) {
			if (whole)
				return false;
			continue;
		}
		if (!rc->nc[k][*sl - 1]++)
			e->day = day, e->rec = (uint32_t)i;
		e->last = day;
	}
	return true;
}

static int day_cmp(const void *x, const void *y)
{
	int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
	return (a > b) - (a < b);
}

/* Of the days in [lo, hi] (each a day taken: of db, or gone): whether one is gone or counted
 * again (again) and whether one is not (kept: its spans of a trace then come from its key
 * maps); both when lo or hi is neither (the trace counted again from every day's). */
static void span_days(const struct recount *rc, int32_t lo, int32_t hi, bool *again, bool *kept)
{
	const int32_t *a = bsearch(&lo, rc->all, rc->nall, sizeof lo, day_cmp),
		      *b = bsearch(&hi, rc->all, rc->nall, sizeof hi, day_cmp);
	if (!a || !b) {
		*again = *kept = true;
		return;
	}
	size_t i = (size_t)(a - rc->all), j = (size_t)(b - rc->all);
	*again = rc->nagain[j] > (i ? rc->nagain[i - 1] : 0);
	*kept = rc->nkept[j] > (i ? rc->nkept[i - 1] : 0);
}

/* rc's days: db's and those gone, in one ascending list with their running counts. */
static void recount_days(struct gc_ws *w, const struct scan *db, struct recount *rc)
{
	size_t n = db->ndays + rc->ngone, di = 0, g = 0;
	rc->all = xmalloc((n ? n : 1) * sizeof *rc->all);
	rc->nagain = xmalloc((n ? n : 1) * sizeof *rc->nagain);
	rc->nkept = xmalloc((n ? n : 1) * sizeof *rc->nkept);
	for (size_t i = 0; i < n; i++) {
		bool gone = di == db->ndays || (g < rc->ngone && rc->gone[g] < db->days[di]);
		int32_t day = gone ? rc->gone[g++] : db->days[di++];
		bool again = gone || day_of(w, day)->redo != DAY_KEPT;
		rc->all[i] = day;
		rc->nagain[i] = (i ? rc->nagain[i - 1] : 0) + again;
		rc->nkept[i] = (i ? rc->nkept[i - 1] : 0) + !again;
	}
	rc->nall = n;
}

/* Each view's traces with a span on a day counted again or dropped marked (rc), and those with
 * spans on other days too listed for the key maps. */
static void recount_mark(struct gc_ws *w, struct scan *db, struct recount *rc)
{
	rc->from = INT32_MAX;
	rc->upto = INT32_MIN;
	recount_days(w, db, rc);
	for (size_t k = 0; k < w->nv; k++) {
		struct gc_view *v = &w->v[k];
		rc->cap[k] = v->n ? v->n : 1;
		rc->nc[k] = xmalloc(rc->cap[k] * sizeof **rc->nc);
		for (size_t ei = 0; ei < v->n; ei++) {
			const struct gc_ent *e = &v->e[ei];
			bool again, kept;
			span_days(rc, e->day, e->last, &again, &kept);
			rc->nc[k][ei] = again ? 0 : UINT32_MAX;
			if (!again || !kept)
				continue;
			rc->from = e->day < rc->from ? e->day : rc->from;
			rc->upto = e->last > rc->upto ? e->last : rc->upto;
			if (rc->nh == rc->caph) {
				rc->caph = rc->caph ? 2 * rc->caph : 64;
				rc->hs = xrealloc(rc->hs, rc->caph * sizeof *rc->hs);
			}
			rc->hs[rc->nh++] = e->h;
		}
	}
	if (rc->nh) /* hs is NULL when none */
		qsort(rc->hs, rc->nh, sizeof *rc->hs, h_cmp);
	size_t m = 0;
	for (size_t i = 0; i < rc->nh; i++)
		if (!m || rc->hs[m - 1] != rc->hs[i])
			rc->hs[m++] = rc->hs[i];
	rc->nh = m;
}

/* Day d (s) in the recount: every record of a day written again, else its records the .tix's
 * key maps name for the traces listed and those past the .tix (a day's tail read: its maps, one
 * a batch, cost more to ask than its records to read). */
static bool recount_day(struct gc_ws *w, struct scan *db, struct recount *rc, struct gc_day *d,
			struct scan_day *s, uint64_t empty_h)
{
	bool ok = true;
	if (d->redo) { /* read whole by day_take this query */
		if (d->live)
			memset(d->live, 0, d->cap_live / 8);
		for (size_t i = 0; i < s->sh.nrecs && ok; i++) {
			live_set(d, i, counted(&s->sh, i, empty_h));
			ok = rec_recount(w, rc, s, d->day, i, true, empty_h);
		}
		d->redo = DAY_KEPT;
		return ok;
	}
	if (!rc->nh || d->day < rc->from || d->day > rc->upto)
		return true;
	uint32_t *recs = NULL;
	size_t n = 0,
	       from = store_index_keyed_tix(&s->ix, STORE_KEY_TRACE, rc->hs, rc->nh, &recs, &n);
	for (size_t j = 0; j < n && recs[j] < d->m.done && ok && (ok = db_rec(db)); j++)
		ok = rec_recount(w, rc, s, d->day, recs[j], false, empty_h);
	for (size_t i = from; i < d->m.done && ok && (ok = db_rec(db)); i++)
		ok = rec_recount(w, rc, s, d->day, i, false, empty_h);
	free(recs);
	return ok;
}

/* Once every day of db is taken: the days gone (retention's, an operator's, a restore's) taken
 * out, and the days to count again (d->redo) counted again. Each trace
 * with a span taken on one of them (its first day to its last) is counted again whole from the
 * records live to the query: those of the days counted again, every one (a trace none had
 * before taken anew), and those of its other days their key maps name (recount_day). A trace
 * left with none is let go. Then the dropped days go (their records kept by span went as met,
 * ws_take). False when the budget ran out, a view passed GC_TRACES_MAX or a span live again
 * belongs to a trace not counted again (the counts are then no longer whole). */
static bool days_redo(struct gc_ws *w, struct scan *db)
{
	size_t keep = 0;
	bool any = false, ok = true;
	struct recount rc = {0};
	for (size_t k = 0; k < w->ndays; k++)
		if (day_in(db, w->days[k].day)) {
			any |= w->days[k].redo != DAY_KEPT;
			w->days[keep++] = w->days[k];
		} else {
			free(w->days[k].live);
			rc.gone = xrealloc(rc.gone, (rc.ngone + 1) * sizeof *rc.gone);
			rc.gone[rc.ngone++] = w->days[k].day;
		}
	if (keep == w->ndays && !any)
		return true;
	w->ndays = keep;
	uint64_t empty_h = hash_bytes("", 0);
	recount_mark(w, db, &rc);
	for (size_t di = 0; di < db->ndays && ok; di++)
		ok = recount_day(w, db, &rc, day_of(w, db->days[di]), db_shard(db, di), empty_h);
	for (size_t k = 0; k < w->nv; k++) {
		struct gc_view *v = &w->v[k];
		/* From the end: gview_drop moves the last entry into the one it lets go. */
		for (size_t ei = v->n; ok && ei-- > 0;) {
			struct gc_ent *e = &v->e[ei];
			if (rc.nc[k][ei] == UINT32_MAX)
				continue;
			gview_bucket_drop(v, (uint32_t)ei);
			gview_lit_dead(v, e);
			e->lit = 0;
			if ((e->count = rc.nc[k][ei]))
				gview_bucket_put(v, (uint32_t)ei);
			else
				gview_drop(v, (uint32_t)ei);
		}
		while (v->top && !v->b[v->top].n)
			v->top--;
		free(rc.nc[k]);
	}
	free(rc.hs);
	free(rc.gone);
	free(rc.all);
	free(rc.nagain);
	free(rc.nkept);
	spans_compact(w);
	return ok;
}

/* The workspace's entry: kept, or the least recently asked one let go for it. */
static struct gc_ws *ws_of(const struct query *q)
{
	size_t i = kept_pick(kept, GC_WORKSPACES, sizeof *kept, q, ++asked);
	if (i < GC_WORKSPACES)
		return &kept[i];
	struct gc_ws *w = &kept[i - GC_WORKSPACES];
	ws_clear(w);
	kept_set(&w->of, q, asked);
	return w;
}

/* Every other workspace let go, for the room of w's views. */
static void others_go(const struct gc_ws *w)
{
	for (size_t i = 0; i < GC_WORKSPACES; i++)
		if (&kept[i] != w)
			ws_clear(&kept[i]);
}

/* The view of c's kinds and statuses, asked for anew (every day taken again) when absent. */
static struct gc_view *view_of(struct gc_ws *w, const struct rec_filter *c)
{
	struct gc_view *v = NULL;
	for (size_t i = 0; i < w->nv && !v; i++)
		if (w->v[i].kinds == c->kinds && w->v[i].statuses == c->statuses)
			v = &w->v[i];
	if (!v) {
		if (w->nv < GC_VIEWS) {
			v = &w->v[w->nv++];
		} else {
			v = &w->v[0];
			for (size_t i = 1; i < w->nv; i++)
				if (w->v[i].used < v->used)
					v = &w->v[i];
		}
		v->kinds = c->kinds;
		v->statuses = c->statuses;
		ws_again(w);
	}
	v->used = asked;
	return v;
}

/* Whether w's days are still db's, as day_kept: 1, 0 (taken again) or -1. */
static int ws_kept(struct gc_ws *w, struct scan *db)
{
	/* A day taken that db no longer holds is taken out by days_redo. */
	for (size_t i = 0; i < w->nv; i++)
		if (w->v[i].dead > GC_DEAD_MAX && w->v[i].dead * 2 > w->v[i].npool)
			return 0;
	for (size_t di = 0; di < db->ndays; di++) {
		int k = day_kept(w, day_of(w, db->days[di]), db_shard(db, di));
		if (k <= 0)
			return k;
	}
	return 1;
}

/* Takes w's days up to what db holds: false when it cannot answer (a day that cannot be read, a
 * view too big, the budget spent: db->b.over then). */
static bool ws_take(struct gc_ws *w, struct scan *db)
{
	bool freed = false; /* the other workspaces let go for w's room */
	for (int tries = 0; tries < 3; tries++) {
		int k = ws_kept(w, db);
		if (k < 0)
			return false;
		if (!k) {
			ws_again(w);
			continue;
		}
		/* The records kept by span of a day dropped or written again are let go when met;
		 * a day written again is taken again from its first record (days_redo). */
		for (size_t k = 0; k < w->ndays; k++)
			if (!day_in(db, w->days[k].day) || w->days[k].redo == DAY_REWRITTEN)
				spans_forget(w, &w->days[k]);
		bool adjust = w->spans.n > 0, ok = true, moved = false;
		size_t recs = 0;
		w->round_us = INT64_MIN;
		for (size_t di = 0; di < db->ndays; di++) {
			struct gc_day *d = day_of(w, db->days[di]);
			if (d->redo == DAY_REWRITTEN)
				d->m = (struct kept_mark){0};
			moved |= d->redo != DAY_KEPT;
			d->done0 = d->m.done;
			d->flips = d->fresh = 0;
			moved |= d->m.done && d->gen != db_shard(db, di)->sh.flag_gen;
			recs += db_shard(db, di)->sh.nrecs - d->m.done;
		}
		/* The slots made once for the take, not grown record by record. */
		if (w->byspan && !w->nospans && w->spans.n + recs <= GC_SPANS_MAX)
			kept_spans_room(&w->spans, w->spans.n + recs);
		for (size_t di = 0; di < db->ndays && ok; di++)
			ok = day_take(w, day_of(w, db->days[di]), db, db_shard(db, di), adjust);
		if (ok && !w->over && !days_accounted(w, db))
			for (size_t di = 0; di < db->ndays && ok; di++) {
				struct gc_day *d = day_of(w, db->days[di]);
				if (d->redo == DAY_UNACCOUNTED)
					ok = day_fix(w, db, d, db_shard(db, di));
			}
		if (ok && !w->over) {
			if (!days_redo(w, db)) {
				ws_again(w); /* a day dropped or counted again half done */
				return false;
			}
			w->hi_us = w->round_us > w->hi_us ? w->round_us : w->hi_us;
			return true;
		}
		if (!w->over && db->b.over) {
			/* What was taken is kept for the next query, but a round cut short cannot
			 * account for the flags written since. */
			if (moved || !days_accounted(w, db))
				ws_again(w);
			return false;
		}
		ws_again(w);
		if (!w->over)
			continue;
		if (!freed) {
			freed = true;
			others_go(w);
			continue;
		}
		w->over = true;
		return false;
	}
	return false;
}

bool gcount_page(struct scan *db, const struct rec_filter *c, struct query_groups *out)
{
	struct query *q = db->q;
	if (!cf_plain(q, c) || c->roots || c->sig || c->nchk || c->smin != INT64_MIN ||
	    c->smax != INT64_MAX)
		return false;
	struct gc_ws *w = ws_of(q);
	struct gc_view *v = view_of(w, c);
	if (w->over || !ws_take(w, db))
		return false;
	gview_page(v, db, out);
	return true;
}
