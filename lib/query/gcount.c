/* gcount: the span groups by trace a process has counted of a workspace, kept across its
 * queries (issue 57: a page of groups by trace read every record of the store, 232-587 ms at 5M
 * spans, 6-13x its time at 1M). For each filter of kinds and statuses alone asked (a "view";
 * none: every span), each trace's live spans counted, its first span (whose line gives its key),
 * and the traces by count in buckets, those of one count sorted by key once asked. Taken from
 * each day's records once, then from the records committed since. A version superseded since
 * (replaced, deleted, moved, erased: a flag written in place, the day header's generation moved
 * by 4 a flag) is found through the record that superseded it, a newer version of its span
 * among those committed since: the records kept by span (struct kept_spans) name it, and its
 * trace counts one span fewer. Each day whose generation moved must then account for every flag
 * written since, else all is taken again, as it is when a day's last record taken is no longer
 * the one taken or a day taken is gone, unless it is older than every day left (retention): a
 * trace all of whose spans were on it is let go, one with spans on other days counted again
 * from those days' key maps (days_drop). So a page (gview.c: a view's table, buckets and
 * keys) reads the buckets from its end (the most spans first) and the keys of the counts it
 * reaches, and its total is the number of traces counted: its answer is the one a table of
 * every span's trace gives (groups.c; t/check_query_groups.c). */
#include "lib/query/gview.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/mem.h"

/* What is kept of one day: the records taken (kept_mark) of the seen the shard held, at the
 * flag generation gen; id its name among the records kept by span. In a query that takes more:
 * done0, where it began, and the versions it found superseded since gen, taken before (flips)
 * or among those it takes (fresh). */
struct gc_day {
	int32_t day;
	uint32_t id;
	struct kept_mark m;
	size_t seen, done0, flips, fresh;
	uint64_t gen;
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
/* The pool's bytes no entry names past which all is taken again (when they are half of it). */
#define GC_DEAD_MAX (1u << 20)

struct gc_ws {
	struct kept_of of; /* the least recently asked is let go */
	bool over;	   /* a view past GC_TRACES_MAX: none kept until another view is asked */
	bool nospans;	   /* past GC_SPANS_MAX (or the ids): none kept by span */
	bool byspan; /* flags were written in a day taken: records kept by span from then on */
	struct gc_day *days;
	size_t ndays, capdays; /* ascending by day */
	struct gc_view v[GC_VIEWS];
	size_t nv;
	struct kept_spans spans;
	int32_t *ids; /* the day of each id less 1 */
	size_t nids, capids;
};

static struct gc_ws kept[GC_WORKSPACES];
static uint64_t asked;

/* Every day and count let go; the views stay asked for, empty. */
static void ws_again(struct gc_ws *w)
{
	for (size_t i = 0; i < w->nv; i++)
		gview_clear(&w->v[i]);
	free(w->days);
	w->days = NULL;
	w->ndays = w->capdays = 0;
	w->over = w->nospans = false; /* byspan stays: the workspace is one that changes */
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
	return true;
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
			/* Its day dropped: days_drop counts its trace again. */
			kept_spans_del(m, i);
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

/* What d took of s's records: 1 still what s holds at the flags it took them with, or with
 * flags written since that the query can account for (the records kept by span, by a snapshot,
 * with the day taken whole); 0 to be taken again (the first time flags moved, with the records
 * kept by span from then on); -1 the query cannot answer. */
static int day_kept(struct gc_ws *w, const struct gc_day *d, const struct scan_day *s)
{
	if (!s || (s->sh.flag_gen & 1))
		return -1;
	if (!d->m.done)
		return 1;
	if (!kept_mark_same(&d->m, s))
		return 0;
	if (d->gen != s->sh.flag_gen && !w->byspan)
		return !(w->byspan = true);
	return d->gen == s->sh.flag_gen ||
	       (!w->nospans && s->sh.snap && d->m.done == d->seen && s->sh.flag_gen > d->gen &&
		!((s->sh.flag_gen - d->gen) & 3));
}

/* Takes s's records from d->m.done on into every view (with adjust, the versions they superseded
 * let go first); false once the query's budget is spent (d then names the records taken), a
 * view passed GC_TRACES_MAX (w->over) or a version superseded could not be let go. */
static bool day_take(struct gc_ws *w, struct gc_day *d, struct scan *db, struct scan_day *s,
		     bool adjust)
{
	const struct idx_rec *recs = s->sh.recs;
	size_t n = s->sh.nrecs, i = d->m.done;
	uint64_t empty_h = hash_bytes("", 0);
	bool ok = true;
	for (; i < n && (ok = db_rec(db)); i++) {
		const struct idx_rec *r = &recs[i];
		bool gone = gone_by(&s->sh, i);
		if (adjust && !(ok = spans_gone(w, db, r->span_h)))
			break;
		d->fresh += gone;
		if (!gone && w->byspan && !w->nospans && !spans_put(w, d, r->span_h, i)) {
			free(w->spans.slot);
			w->spans = (struct kept_spans){0};
			w->nospans = true;
		}
		if (!(r->flags & REC_HAS_TRACE) || r->trace_h == empty_h || !shard_live(&s->sh, i))
			continue;
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
 * versions found superseded, one flag written (4 of the generation) each. A flag the records
 * did not account for (a version superseded by no newer one, `reindex` setting flags again, a
 * writer killed between its header writes) leaves them apart, and all is taken again. */
static bool days_accounted(struct gc_ws *w, struct scan *db)
{
	for (size_t di = 0; di < db->ndays; di++) {
		struct gc_day *d = day_of(w, db->days[di]);
		struct scan_day *s = db_shard(db, di);
		uint64_t g = s->sh.flag_gen;
		if (d->done0 && g != d->gen && (g - d->gen) / 4 != d->flips + d->fresh)
			return false;
		if (d->done0 && g == d->gen && d->flips)
			return false;
		d->gen = g;
		d->seen = s->sh.nrecs;
	}
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

/* Record i of s (day), taken: one more span of its trace in each view counting that trace
 * again (nc[k][entry], not UINT32_MAX), the first found its first. */
static void rec_recount(struct gc_ws *w, uint32_t **nc, struct scan_day *s, int32_t day, size_t i,
			const uint64_t *hs, size_t nh, uint64_t empty_h)
{
	const struct idx_rec *r = &s->sh.recs[i];
	if (!(r->flags & REC_HAS_TRACE) || r->trace_h == empty_h || !shard_live(&s->sh, i) ||
	    !bsearch(&r->trace_h, hs, nh, sizeof *hs, h_cmp))
		return;
	for (size_t k = 0; k < w->nv; k++) {
		struct gc_view *v = &w->v[k];
		uint32_t *sl = v->nslot ? gview_slot(v, r->trace_h) : NULL;
		if (!sl || !*sl || nc[k][*sl - 1] == UINT32_MAX ||
		    !bits_in_set(v->kinds, r->kind) || !bits_in_set(v->statuses, r->status))
			continue;
		struct gc_ent *e = &v->e[*sl - 1];
		if (!nc[k][*sl - 1]++)
			e->day = day, e->rec = (uint32_t)i;
		e->last = day;
	}
}

/* Once every day of db is taken: the days taken that retention dropped (ws_kept lets go only
 * days older than all of db's) taken out. A trace whose spans were all on its first day, a day
 * dropped, is let go; one with spans on later days too (up to last) is counted again from the
 * records taken of those days that their .tix's key maps name for it, and those past the .tix
 * (a day's tail read: its maps, one a batch, cost more to ask than its records to read), its
 * first span and key the first found. Then the dropped days go (their records kept by span
 * went as met, ws_take). False when the budget ran out (the counts are then no longer whole). */
static bool days_drop(struct gc_ws *w, struct scan *db)
{
	size_t keep = 0, nh = 0, caph = 0;
	int32_t upto = INT32_MIN; /* the latest day a trace counted again has a span on */
	for (size_t k = 0; k < w->ndays; k++)
		if (day_in(db, w->days[k].day))
			w->days[keep++] = w->days[k];
	if (keep == w->ndays)
		return true;
	w->ndays = keep;
	uint32_t *nc[GC_VIEWS];
	uint64_t *hs = NULL, empty_h = hash_bytes("", 0);
	for (size_t k = 0; k < w->nv; k++) {
		struct gc_view *v = &w->v[k];
		nc[k] = xmalloc((v->n ? v->n : 1) * sizeof **nc);
		for (size_t ei = 0; ei < v->n; ei++) {
			bool gone = !day_in(db, v->e[ei].day);
			nc[k][ei] = gone ? 0 : UINT32_MAX;
			if (gone && v->e[ei].last != v->e[ei].day) {
				upto = v->e[ei].last > upto ? v->e[ei].last : upto;
				if (nh == caph)
					caph = caph ? 2 * caph : 64;
				hs = xrealloc(hs, caph * sizeof *hs);
				hs[nh++] = v->e[ei].h;
			}
		}
	}
	qsort(hs, nh, sizeof *hs, h_cmp);
	size_t m = 0;
	for (size_t i = 0; i < nh; i++)
		if (!m || hs[m - 1] != hs[i])
			hs[m++] = hs[i];
	nh = m;
	bool ok = true;
	for (size_t di = 0; di < db->ndays && db->days[di] <= upto && ok; di++) {
		struct gc_day *d = day_of(w, db->days[di]);
		struct scan_day *s = db_shard(db, di);
		uint32_t *recs = NULL;
		size_t n = 0, from = 0;
		if (d->m.done)
			from = store_index_keyed_tix(&s->ix, STORE_KEY_TRACE, hs, nh, &recs, &n);
		for (size_t j = 0; j < n && recs[j] < d->m.done && (ok = db_rec(db)); j++)
			rec_recount(w, nc, s, d->day, recs[j], hs, nh, empty_h);
		for (size_t i = from; i < d->m.done && ok && (ok = db_rec(db)); i++)
			rec_recount(w, nc, s, d->day, i, hs, nh, empty_h);
		free(recs);
	}
	for (size_t k = 0; k < w->nv; k++) {
		struct gc_view *v = &w->v[k];
		/* From the end: gview_drop moves the last entry into the one it lets go. */
		for (size_t ei = v->n; ok && ei-- > 0;) {
			struct gc_ent *e = &v->e[ei];
			if (nc[k][ei] == UINT32_MAX)
				continue;
			gview_bucket_drop(v, (uint32_t)ei);
			gview_lit_dead(v, e);
			e->lit = 0;
			if ((e->count = nc[k][ei]))
				gview_bucket_put(v, (uint32_t)ei);
			else
				gview_drop(v, (uint32_t)ei);
		}
		while (v->top && !v->b[v->top].n)
			v->top--;
		free(nc[k]);
	}
	free(hs);
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
	/* Every day taken is still one of db's, or older than all of them (retention dropped it:
	 * days_drop takes it out). */
	for (size_t k = 0, di = 0; k < w->ndays; k++) {
		while (di < db->ndays && db->days[di] < w->days[k].day)
			di++;
		if (w->days[k].m.done && (di == db->ndays || db->days[di] != w->days[k].day) &&
		    db->ndays && w->days[k].day > db->days[0])
			return 0;
	}
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
		/* The records kept by span of a day dropped are let go when met (days_drop). */
		for (size_t k = 0; k < w->ndays; k++)
			if (w->days[k].id && !day_in(db, w->days[k].day))
				w->ids[w->days[k].id - 1] = KS_GONE;
		bool adjust = w->spans.n > 0, ok = true, moved = false;
		size_t recs = 0;
		for (size_t di = 0; di < db->ndays; di++) {
			struct gc_day *d = day_of(w, db->days[di]);
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
		if (ok && !w->over && !days_drop(w, db)) {
			ws_again(w); /* a day dropped still counted */
			return false;
		}
		if (!w->over && ok && days_accounted(w, db))
			return true;
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
