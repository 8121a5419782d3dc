/* gview: a view of the span groups by trace a process keeps (gcount.c): each trace's live
 * spans the view takes, its first span, its key once read, the traces by count in buckets, and
 * a page read from the buckets' end. Not thread-safe (a program serves one request at a time);
 * gview_clear frees what a view holds. */
#ifndef SPANDEX_QUERY_GVIEW_H
#define SPANDEX_QUERY_GVIEW_H

#include "lib/query/engine.h"

/* The traces a process keeps over all its views, past which a view takes none (its pages then
 * read every record, as before): about 72 bytes a trace (its entry, its slots, its place in a
 * bucket, its key), so 2^21 are some 150 MiB; one view of 2^21 traces is about 50M spans of
 * bench/gen's 27 spans a trace. */
#define GC_TRACES_MAX (1u << 21)

/* A trace of a view: its live spans the view takes, its first (day, record), its key as the
 * JSON literal (at lit - 1 in the view's pool; 0: not read yet) and its place in its bucket. */
struct gc_ent {
	uint64_t h;
	uint32_t count, rec, lit, pos;
	int32_t day, last; /* last: the latest day a span was taken on (day's drop counts again) */
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
	uint32_t top; /* the largest count, or more (a bucket above may have emptied) */
	char *pool;   /* the keys' literals, each NUL-ended */
	size_t npool, cappool;
	size_t dead; /* bytes of the pool no entry names (their traces gone, or read again) */
};

static inline size_t gview_slot_home(const struct gc_view *v, uint64_t h)
{
	return (h ^ (h >> 29)) & (v->nslot - 1);
}

/* The slot of trace h: its entry's, or the empty one where it would go. */
static inline uint32_t *gview_slot(const struct gc_view *v, uint64_t h)
{
	size_t i = gview_slot_home(v, h);
	while (v->slot[i] && v->e[v->slot[i] - 1].h != h)
		i = (i + 1) & (v->nslot - 1);
	return &v->slot[i];
}

/* Everything v holds freed, v empty but for its kinds, statuses and when it was asked. */
void gview_clear(struct gc_view *v);
/* Entry ei put in the bucket of its count. */
void gview_bucket_put(struct gc_view *v, uint32_t ei);
/* Entry ei taken out of the bucket of its count. */
void gview_bucket_drop(struct gc_view *v, uint32_t ei);
/* The key e's lit named, no longer named. */
void gview_lit_dead(struct gc_view *v, const struct gc_ent *e);
/* One more live span of trace h, record ri of day: false past GC_TRACES_MAX. */
bool gview_take(struct gc_view *v, uint64_t h, int32_t day, uint32_t ri);
/* The key of entry ei as its first span's line holds it ("" when neither the day's index nor a
 * sound line has it), read once. */
const char *gview_lit(struct gc_view *v, struct scan *db, uint32_t ei);
/* Entry ei (its count 0, out of its bucket) gone: the last entry takes its place. */
void gview_drop(struct gc_view *v, uint32_t ei);
/* One live span of trace h fewer, record ri of day, superseded since it was taken: false when
 * the view did not count it. Its trace's key is read from it first when it was the trace's
 * first span and the trace keeps others. */
bool gview_untake(struct gc_view *v, struct scan *db, uint64_t h, int32_t day, uint32_t ri);
/* The page db's query asks for of v's traces into *out: the buckets from the end the page
 * starts at, each reached sorted by key once. */
void gview_page(struct gc_view *v, struct scan *db, struct query_groups *out);

#endif
