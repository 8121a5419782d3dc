/* tailseg: a segment of a day's tail (<day>.tdx), as tailindex.c writes it and tailread.c and
 * tailindex_check read it: its header, the parts of its body, and the walk over a tail's
 * segments that finds those a reader may trust (docs/FORMAT.md, "The text of the tail").
 * Nothing here allocates: the segments are read in place in the tail's mapping. Private to
 * lib/store. */
#ifndef SPANDEX_STORE_TAILSEG_H
#define SPANDEX_STORE_TAILSEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/store/counts.h"
#include "lib/store/keymap.h"
#include "lib/store/mapcache.h"
#include "lib/store/store.h"
#include "lib/store/words.h"

/* A segment's magic names what its body holds past its text: SPXTDX4 its keys, columns and
 * counts; an older spandex wrote SPXTDX3 (keys and columns), SPXTDX2 (keys) and SPXTDX1 (none
 * of them), read for what they have. tailseg_magic[v - 1] is version v's. */
#define TAILINDEX_VERSION 4
#define TAILINDEX_ORDER 0x01020304u
extern const char tailseg_magic[TAILINDEX_VERSION][9];

/* A segment: this header, then its body, body_len bytes (a multiple of 8): the text section of
 * its records (words.h; record numbers counted from first), then (SPXTDX2 on) its keys: the
 * trace key map and the session key map of its records (keymap.h), and its roots: a bit per
 * record, set for a root span (store_rec_root), padded to 8 bytes; then (SPXTDX3 on) its
 * columns, as a .tix holds them: DAYINDEX_NCOLS runs of nrecs uint64; then (SPXTDX4) its counts
 * (counts.h) and a struct tailseg_end that ends the body. What follows the text is the last
 * seg_extra bytes of the body. Segments follow each other from offset 0; the idx header's
 * text_end says how far the committed ones reach. */
struct tailindex_seg {
	char magic[8];
	uint32_t first, nrecs; /* the day's records [first, first + nrecs) */
	uint32_t nwords, order;
	uint64_t blob_len, body_len;
	uint64_t last_span_h;	  /* record first + nrecs - 1: span_h ... */
	int64_t last_ingested_us; /* ... and ingested_us */
	uint32_t body_crc;	  /* crc32c of the body */
	uint32_t crc;		  /* crc32c of the 60 bytes before it */
};
_Static_assert(sizeof(struct tailindex_seg) == 64, "a segment header is 64 bytes");

/* The end of an SPXTDX4 segment's body: the day's flag generation its counts hold for (that of
 * the header its records were committed by; 1 when odd, which no header has between flag
 * writes), and how many counts there are. */
struct tailseg_end {
	uint64_t gen;
	uint32_t ncounts, zero;
};
_Static_assert(sizeof(struct tailseg_end) == 16, "a segment's tail is 16 bytes");

static inline size_t tailseg_roots_bytes(size_t n)
{
	return ((n + 63) / 64) * 8;
}

/* The bytes of a segment's keys: two key maps and the roots. */
static inline size_t tailseg_keys_bytes(size_t n)
{
	return 2 * keymap_bytes(n) + tailseg_roots_bytes(n);
}

/* The bytes of a segment's columns. */
static inline size_t tailseg_cols_bytes(size_t n)
{
	return (size_t)DAYINDEX_NCOLS * 8 * n;
}

/* The committed tail of sh mapped: its first sh->text_end bytes; NULL when there is none. */
const char *tailseg_map(struct store *st, const char *ws, const struct shard *sh,
			struct mapcache_ent **mc);
/* The version of segment s (1-4, SPXTDX1-4), or 0 for no magic of a segment. */
int tailseg_version(const struct tailindex_seg *s);
/* The segment at *at of the tail m[0..end): its header and text section, *at moved past it.
 * A header that does not check moves *at on by 8 bytes (segments are 8-byte aligned: after
 * a machine crash lost a page, the next good one is found again). Below trusted, headers were
 * found good before (the watermark of tailseg_next_good): their checksum is not computed
 * again, their bounds are. False at the end. */
bool tailseg_next(const char *m, uint64_t end, uint64_t trusted, uint64_t *at,
		  const struct tailindex_seg **s, bool *good);
/* A search for where the segments past a day's parts begin (tailseg_seek) looks for a header at
 * most this many bytes past each byte it probes: bench/gen's segments of a trace a batch are
 * about 6 KiB (27 spans), so a probe finds one; in a segment longer than this (a batch of 1,000
 * spans is about 200 KiB) a probe finds none and moves the search back, and the walk from the
 * last place found passes it by its header. */
#define TAILSEG_PROBE_BYTES (16u << 10)
/* The byte of the tail m[0..end) at which the segments that hold a record from reach on begin
 * (end when none does), the headers below trusted (the watermark of tailseg_next_good) found
 * good before: a binary search over the bytes from trusted on, each probe the first header
 * within TAILSEG_PROBE_BYTES whose magic, order, checksum and bounds hold, then the headers
 * walked from the last place found (from 0 when a segment below trusted may hold reach). So a
 * first search touches a few pages of the tail, not every one. Segments follow their records;
 * a damaged or stale header can only move the place back, or past segments whose records are
 * then of no segment (candidates whose lines decide), and never to a byte below trusted that
 * does not begin a segment. */
uint64_t tailseg_seek(const char *m, uint64_t end, uint64_t trusted, size_t reach);
/* The next segment past *at of sh's committed tail m that holds sh's records as they are
 * (tailseg_current) and is whole (tailseg_body), v its text section (NULL: not asked for, nor
 * looked at); false at the end. wm (the mapping's mapcache_bits), in 8-byte units, is how far
 * the segments from the first on were found so: a body's checksum is computed once per
 * mapping. Bytes below it are those of batches past their commit point, which are never
 * written again while the file lives (such a batch is never undone; a tail started again, or
 * rebuilt, is a new file). Every segment is looked at, so that the watermark passes those the
 * caller has no use for. */
bool tailseg_next_good(const struct shard *sh, const char *m, uint32_t *wm, uint64_t *at,
		       const struct tailindex_seg **s, struct words_view *v);
/* Whether segment s holds records of sh as they are: its records committed, its last one the
 * one it was built from (a batch undone after a crash and written again, a day rebuilt by
 * reindex: not). */
bool tailseg_current(const struct shard *sh, const struct tailindex_seg *s);
/* Whether segment s's body is whole (its checksum) and its parts in bounds, v its text
 * section (NULL: not asked for). */
bool tailseg_body(const struct tailindex_seg *s, struct words_view *v);

/* The parts of a segment found whole: */
/* The end of s's body (SPXTDX4), or NULL when its body is too short to hold one. */
const struct tailseg_end *tailseg_end(const struct tailindex_seg *s);
/* Whether s has keys (SPXTDX2 on), and room for them. */
bool tailseg_keyed(const struct tailindex_seg *s);
/* Whether s has columns (SPXTDX3), and room for them. */
bool tailseg_has_cols(const struct tailindex_seg *s);
/* Segment s's key map of key k (tailseg_keyed). */
struct keymap tailseg_keymap(const struct tailindex_seg *s, enum store_key k);
/* Segment s's roots: a bit per record (tailseg_keyed). */
const uint64_t *tailseg_roots(const struct tailindex_seg *s);
/* Segment s's columns: column k of its record i at k * nrecs + i (tailseg_has_cols). */
const uint64_t *tailseg_cols(const struct tailindex_seg *s);
/* Segment s's counts (SPXTDX4): their number in *n. */
const struct dayindex_count *tailseg_counts(const struct tailindex_seg *s, size_t *n);

#endif
