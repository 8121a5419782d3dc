/* gcount: the span groups by trace a process has counted of a workspace, kept across its
 * queries (issue 57: a page of groups by trace read every record of the store, 232-587 ms at 5M
 * spans, 6-13x its time at 1M). For each filter of kinds and statuses alone asked (a "view";
 * none: every span), each trace's live spans counted, its first span (whose line gives its key),
 * and the traces by count in buckets, those of one count sorted by key once asked. Taken from
 * each day's records once, then from the records committed since; all taken again when a day's
 * last record taken is no longer the one taken or its flags were written since (a supersede, a
 * deletion, an erasure: the day header's generation moved), or a day taken is gone. So a page
 * reads the buckets from its end (the most spans first) and the keys of the counts it reaches,
 * and its total is the number of traces counted: its answer is the one a table of every span's
 * trace gives (groups.c; t/check_query_groups.c). */
#include "lib/query/engine.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/mem.h"

/* A trace of a view: its live spans the view takes, its first (day, record), its key as the
 * JSON literal (at lit - 1 in the view's pool; 0: not read yet) and its place in its bucket. */
struct gc_ent {
	uint64_t h;
	uint32_t count, rec, lit, pos;
	int32_t day;
};

/* The traces of one count: ents[], sorted by key when sorted. */
struct gc_bucket {
	uint32_t *e;
	uint32_t n, cap;
	bool sorted;
};

struct gc_view {
	uint32_t kinds, statuses; /* bit v: kind or status v taken; 0: any */
	uint64_t used;
	struct gc_ent *e; /* dense, in the order first seen */
	size_t n, cap;
	uint32_t *slot;	     /* open addressing: 1 + the entry's index; 0 empty */
	size_t nslot;	     /* a power of two, at least twice n */
	struct gc_bucket *b; /* by count: b[c] */
	size_t nb;
	uint32_t top; /* the largest count (counts only grow until all is taken again) */
	char *pool;   /* the keys' literals, each NUL-ended */
	size_t npool, cappool;
};

/* What is kept of one day: the records taken (kept_mark), at the flag generation gen. */
struct gc_day {
	int32_t day;
	struct kept_mark m;
	uint64_t gen;
};

/* The views a workspace keeps (the least recently asked is let go; a new one takes every record
 * again). */
#define GC_VIEWS 4
/* The workspaces a process keeps (as twins.c). */
#define GC_WORKSPACES 4
/* The traces a process keeps over all its views, past which a view takes none (its pages then
 * read every record, as before): about 72 bytes a trace (its entry, its slots, its place in a
 * bucket, its key), so 2^21 are some 150 MiB; one view of 2^21 traces is about 50M spans of
 * bench/gen's 27 spans a trace. */
#define GC_TRACES_MAX (1u << 21)

struct gc_ws {
	struct kept_of of; /* the least recently asked is let go */
	bool over;	   /* a view past GC_TRACES_MAX: none kept until another view is asked */
	struct gc_day *days;
	size_t ndays, capdays; /* ascending by day */
	struct gc_view v[GC_VIEWS];
	size_t nv;
};

static struct gc_ws kept[GC_WORKSPACES];
static uint64_t asked;
static size_t traces; /* the entries of every view kept */

static void view_clear(struct gc_view *v)
{
	traces -= v->n;
	for (size_t c = 0; c < v->nb; c++)
		free(v->b[c].e);
	free(v->b);
	free(v->e);
	free(v->slot);
	free(v->pool);
	uint32_t kinds = v->kinds, statuses = v->statuses;
	uint64_t used = v->used;
	memset(v, 0, sizeof *v);
	v->kinds = kinds;
	v->statuses = statuses;
	v->used = used;
}

/* Every day and count let go; the views stay asked for, empty. */
static void ws_again(struct gc_ws *w)
{
	for (size_t i = 0; i < w->nv; i++)
		view_clear(&w->v[i]);
	free(w->days);
	w->days = NULL;
	w->ndays = w->capdays = 0;
	w->over = false;
}

static void ws_clear(struct gc_ws *w)
{
	ws_again(w);
	kept_free(&w->of);
	memset(w, 0, sizeof *w);
}

static inline size_t slot_home(const struct gc_view *v, uint64_t h)
{
	return (h ^ (h >> 29)) & (v->nslot - 1);
}

/* The slot of trace h: its entry's, or the empty one where it would go. */
static inline uint32_t *slot_of(const struct gc_view *v, uint64_t h)
{
	size_t i = slot_home(v, h);
	while (v->slot[i] && v->e[v->slot[i] - 1].h != h)
		i = (i + 1) & (v->nslot - 1);
	return &v->slot[i];
}

static void slots_grow(struct gc_view *v)
{
	free(v->slot);
	v->nslot = v->nslot ? 2 * v->nslot : 1024;
	v->slot = xcalloc(v->nslot, sizeof *v->slot);
	for (size_t i = 0; i < v->n; i++)
		*slot_of(v, v->e[i].h) = (uint32_t)i + 1;
}

static void bucket_put(struct gc_view *v, uint32_t ei)
{
	struct gc_ent *e = &v->e[ei];
	if (e->count >= v->nb) {
		size_t nb = v->nb ? v->nb : 64;
		while (nb <= e->count)
			nb *= 2;
		v->b = xrealloc(v->b, nb * sizeof *v->b);
		memset(v->b + v->nb, 0, (nb - v->nb) * sizeof *v->b);
		v->nb = nb;
	}
	struct gc_bucket *b = &v->b[e->count];
	v->top = e->count > v->top ? e->count : v->top;
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 8;
		b->e = xrealloc(b->e, b->cap * sizeof *b->e);
	}
	e->pos = b->n;
	b->e[b->n++] = ei;
	b->sorted = b->n == 1;
}

static void bucket_drop(struct gc_view *v, uint32_t ei)
{
	struct gc_bucket *b = &v->b[v->e[ei].count];
	uint32_t last = b->e[--b->n];
	if (last != ei) {
		b->e[v->e[ei].pos] = last;
		v->e[last].pos = v->e[ei].pos;
		b->sorted = false;
	}
}

/* One more live span of trace h, record ri of day: false past GC_TRACES_MAX. */
static bool view_take(struct gc_view *v, uint64_t h, int32_t day, uint32_t ri)
{
	if ((v->n + 1) * 2 > v->nslot)
		slots_grow(v);
	uint32_t *s = slot_of(v, h);
	if (!*s) {
		if (traces >= GC_TRACES_MAX)
			return false;
		traces++;
		if (v->n == v->cap) {
			v->cap = v->cap ? 2 * v->cap : 1024;
			v->e = xrealloc(v->e, v->cap * sizeof *v->e);
		}
		v->e[v->n] = (struct gc_ent){.h = h, .count = 1, .rec = ri, .day = day};
		*s = (uint32_t)++v->n;
		bucket_put(v, *s - 1);
		return true;
	}
	uint32_t ei = *s - 1;
	struct gc_ent *e = &v->e[ei];
	if (day < e->day || (day == e->day && ri < e->rec)) { /* an older day's new record */
		e->day = day;
		e->rec = ri;
		e->lit = 0;
	}
	bucket_drop(v, ei);
	e->count++;
	bucket_put(v, ei);
	return true;
}

/* The day's entry in w, made when absent. */
static struct gc_day *day_of(struct gc_ws *w, int32_t day)
{
	return kept_day((void **)&w->days, &w->ndays, &w->capdays, sizeof *w->days, day);
}

/* Whether what d took of s's records is still what s holds, at the flags it took them with. */
static bool day_same(const struct gc_day *d, const struct scan_day *s)
{
	return !d->m.done || (d->gen == s->sh.flag_gen && kept_mark_same(&d->m, s));
}

/* Takes s's records from d->m.done on into every view; false once the query's budget is spent
 * (d then names the records taken) or a view passed GC_TRACES_MAX (w->over). */
static bool day_take(struct gc_ws *w, struct gc_day *d, struct scan *db, struct scan_day *s)
{
	const struct idx_rec *recs = s->sh.recs;
	size_t n = s->sh.nrecs, i = d->m.done;
	uint64_t empty_h = hash_bytes("", 0);
	bool ok = true;
	for (; i < n && (ok = db_rec(db)); i++) {
		const struct idx_rec *r = &recs[i];
		if (!(r->flags & REC_HAS_TRACE) || r->trace_h == empty_h || !shard_live(&s->sh, i))
			continue;
		for (size_t k = 0; k < w->nv && ok; k++) {
			struct gc_view *v = &w->v[k];
			if (bits_in_set(v->kinds, r->kind) && bits_in_set(v->statuses, r->status) &&
			    !view_take(v, r->trace_h, d->day, (uint32_t)i))
				ok = !(w->over = true);
		}
		if (!ok)
			break;
	}
	kept_mark_set(&d->m, s, i);
	d->gen = s->sh.flag_gen;
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

/* Takes w's days up to what db holds: false when it cannot answer (a day that cannot be read, a
 * view too big, the budget spent: db->b.over then). */
static bool ws_take(struct gc_ws *w, struct scan *db)
{
	bool freed = false; /* the other workspaces let go for w's room */
	for (int tries = 0; tries < 3; tries++) {
		bool same = true;
		/* Every day taken is still one of db's (retention deletes days). */
		for (size_t k = 0, di = 0; k < w->ndays && same; k++) {
			while (di < db->ndays && db->days[di] < w->days[k].day)
				di++;
			same = !w->days[k].m.done ||
			       (di < db->ndays && db->days[di] == w->days[k].day);
		}
		for (size_t di = 0; di < db->ndays && same; di++) {
			struct scan_day *s = db_shard(db, di);
			if (!s || (s->sh.flag_gen & 1))
				return false;
			same = day_same(day_of(w, db->days[di]), s);
		}
		if (!same) {
			ws_again(w);
			continue;
		}
		for (size_t di = 0; di < db->ndays; di++)
			if (!day_take(w, day_of(w, db->days[di]), db, db_shard(db, di)))
				break;
		if (!w->over)
			return !db->b.over;
		ws_again(w);
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

/* The key of entry ei as its first span's line holds it ("" when neither the day's index nor a
 * sound line has it), read once. */
static const char *ent_lit(struct gc_view *v, struct scan *db, uint32_t ei)
{
	struct gc_ent *e = &v->e[ei];
	if (e->lit)
		return v->pool + e->lit - 1;
	const char *p = "\"\"";
	size_t n = 2, lo = 0, hi = db->ndays;
	while (lo < hi) { /* the day's index among db's */
		size_t m = lo + (hi - lo) / 2;
		if (db->days[m] < e->day)
			lo = m + 1;
		else
			hi = m;
	}
	struct scan_day *s = lo < db->ndays && db->days[lo] == e->day ? db_shard(db, lo) : NULL;
	const char *iv;
	size_t ivn;
	if (s && db_id(s, e->rec, STORE_KEY_TRACE, true, &iv, &ivn))
		p = iv, n = ivn;
	if (v->npool + n + 2 > v->cappool) {
		v->cappool = (v->npool + n + 2) * 2;
		v->pool = xrealloc(v->pool, v->cappool);
	}
	if (!v->npool)
		v->npool = 1; /* offset 0 is none: lit holds 1 + the offset */
	memcpy(v->pool + v->npool, p, n);
	v->pool[v->npool + n] = 0;
	e->lit = (uint32_t)v->npool + 1;
	v->npool += n + 1;
	return v->pool + e->lit - 1;
}

static struct gc_view *sort_v;
static int by_lit(const void *x, const void *y)
{
	const struct gc_ent *a = &sort_v->e[*(const uint32_t *)x],
			    *b = &sort_v->e[*(const uint32_t *)y];
	return strcmp(sort_v->pool + a->lit - 1, sort_v->pool + b->lit - 1);
}

/* Bucket c in key order (its keys read). */
static void bucket_sort(struct gc_view *v, struct scan *db, size_t c)
{
	struct gc_bucket *b = &v->b[c];
	if (b->sorted)
		return;
	for (uint32_t k = 0; k < b->n; k++)
		ent_lit(v, db, b->e[k]);
	sort_v = v;
	qsort(b->e, b->n, sizeof *b->e, by_lit);
	sort_v = NULL;
	for (uint32_t k = 0; k < b->n; k++)
		v->e[b->e[k]].pos = k;
	b->sorted = true;
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
	size_t offset, keep = page_keep(q, v->n, false, &offset), at = 0;
	bool asc = sort_asc(q);
	out->total = v->n;
	out->rows = arena_alloc(q->a, (keep > offset ? keep - offset : 1) * sizeof *out->rows);
	/* The buckets from the end the page starts at, until the page is full: a bucket reached
	 * is sorted by key, once. */
	for (size_t j = 1; j <= v->top && at < keep; j++) {
		size_t cnt = asc ? j : v->top + 1 - j;
		struct gc_bucket *b = &v->b[cnt];
		if (!b->n)
			continue;
		if (at + b->n <= offset) {
			at += b->n;
			continue;
		}
		bucket_sort(v, db, cnt);
		for (uint32_t k = 0; k < b->n && at < keep; k++, at++) {
			if (at < offset)
				continue;
			struct query_group *r = &out->rows[out->n++];
			const char *lit = ent_lit(v, db, b->e[k]);
			r->key[0] = arena_strndup(q->a, lit, strlen(lit));
			r->key[1] = NULL;
			r->count = cnt;
		}
	}
	out->more = offset + out->n < out->total;
	return true;
}
