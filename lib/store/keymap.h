/* keymap: the map from a trace or session hash to the records that hold it, as a day's .tix and
 * each segment of its tail (<day>.tdx) store it (docs/FORMAT.md, "The text and field index"): the
 * records' hashes sorted ascending, ties by record; their record numbers in the same order
 * (uint32, padded to 8 bytes); a crc32c per block of KEYMAP_BLOCK entries, over its hashes and
 * then its record numbers (padded). A lookup checks the one or two blocks it reads, once for each
 * mapping when its reader keeps which blocks it found good. Private to lib/store. */
#ifndef SPANDEX_STORE_KEYMAP_H
#define SPANDEX_STORE_KEYMAP_H

#include <stddef.h>
#include <stdint.h>
#include "lib/base/buf.h"
#include "lib/base/status.h"
#include "lib/store/store.h"

#define KEYMAP_BLOCK 1024u /* entries under one checksum */

/* A map of n records read back: hashes, record numbers, block checksums. */
struct keymap {
	const uint64_t *h;
	const uint32_t *rec, *crc;
	size_t n;
};

/* Bytes of the map of n records. */
size_t keymap_bytes(size_t n);
/* The map of key k of records recs[0..n) (record numbers counted from recs), appended to out. */
void keymap_render(const struct idx_rec *recs, size_t n, enum store_key k, struct buf *out);
/* The map of n records at p (keymap_bytes(n) of them, 8-byte aligned). */
struct keymap keymap_at(const void *p, size_t n);
/* Whether block b of m holds its checksum. */
bool keymap_block_good(const struct keymap *m, size_t b);
/* Whether every block of m holds its checksum. */
bool keymap_good(const struct keymap *m);
/* The uint64_t words of a bit per block of m (keymap_find's good). */
size_t keymap_good_words(const struct keymap *m);
/* The records of m whose hash is h, ascending, appended to *recs (grown, caller frees; *cap its
 * room) with base added to each. ST_NOT_FOUND (nothing appended) when a block it reads is
 * damaged or names a record past the map's. good (NULL: none kept): a bit per block that a
 * lookup found good, kept by the caller with the map's bytes, which do not change while it
 * keeps them (a .tix is written aside and renamed); a block whose bit is set is not checked
 * again, and a block found good has its bit set. */
enum status keymap_find(const struct keymap *m, uint64_t h, uint64_t *good, uint32_t base,
			uint32_t **recs, size_t *n, size_t *cap);
/* The first entry of m that is wrong: a block's checksum, the order, a record out of range or
 * named twice, or (recs not NULL: the records it was built from) a hash not the record's own
 * for key k. SIZE_MAX when none is. */
size_t keymap_check(const struct keymap *m, const struct idx_rec *recs, enum store_key k);

#endif
