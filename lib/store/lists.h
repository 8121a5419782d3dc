/* lists: the value lists of a day's .tix (version 8; docs/FORMAT.md, "The text and field index",
 * "Value lists"): for each value of each column, and for each kind and each status, the covered
 * records that hold it, in the order of their start. An equality on a column then visits the
 * records of its value instead of reading the whole column (which grows with the day, not with
 * the answer), and a page by start time walks them from the newest and stops once no record
 * left can make the page. Private to lib/store; the reader's view points into the caller's
 * mapping. */
#ifndef SPANDEX_STORE_LISTS_H
#define SPANDEX_STORE_LISTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/base/buf.h"
#include "lib/store/store.h"

/* A list's key past the columns (0 to DAYINDEX_NCOLS - 1): the record's kind, its status. */
#define LISTS_NKEYS STORE_LIST_NKEYS

/* One list: key k's value v is held by the n records at r[at..at + n) of the section, ordered
 * by start, then by record. Sorted by key, then value. */
struct lists_ent {
	uint64_t v;
	uint32_t k, n;
	uint64_t at;
};

/* A record of one key's value, as lists are sorted: by value, then start, then record
 * (lists_item_cmp, for qsort). */
struct lists_item {
	uint64_t v;
	int64_t start;
	uint32_t rec;
};
int lists_item_cmp(const void *x, const void *y);

/* The section of the n records recs (cols: their column values, column k of record i at
 * k * n + i), appended to out (8-byte aligned): a bit per key that has lists (a column none of
 * whose covered records the builder failed to read), the number of lists, the lists, their
 * records (uint32, padded to 8 bytes); then the CRC-32C of those bytes (uint32), 4 zero bytes,
 * and the section's bytes (uint64, itself included: the file's last 8 bytes). A column's
 * absent value has no list. */
void lists_render(const struct idx_rec *recs, size_t n, const uint64_t *cols, struct buf *out);

struct lists {
	uint64_t listed; /* bit k: key k has lists */
	const struct lists_ent *e;
	size_t ne;
	const uint32_t *r;
	size_t nr;
	const void *p; /* the section, its bytes before the checksum, the checksum */
	size_t len;
	uint32_t crc;
};
/* The section at p (8-byte aligned) of exactly len bytes into *v; false when its sizes do not
 * add up to len. */
bool lists_at(const void *p, size_t len, struct lists *v);
/* Whether v's checksum holds and its lists are in order, each within the records and naming
 * only records below nrecs (checked once per mapping). */
bool lists_sound(const struct lists *v, size_t nrecs);
/* The records of key k's value val, by start (*r, *n; none: 0): false when key k has no lists
 * (an older file, or a column with a record the builder could not read). */
bool lists_find(const struct lists *v, int k, uint64_t val, const uint32_t **r, size_t *n);

#endif
