/* counts: the live counts of a set of records, per column value, kind, status and root, as a
 * day's .tix and each segment of its tail (.tdx) hold them (docs/FORMAT.md, "Live counts"):
 * made from the records and their column values, and summed for a query. Private to lib/store;
 * entries point into the caller's memory. */
#ifndef SPANDEX_STORE_COUNTS_H
#define SPANDEX_STORE_COUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/base/buf.h"
#include "lib/store/store.h"

/* One entry: how many live records have one value of one column (or of none: DAYINDEX_COUNT_ALL),
 * one kind, one status and root or not. Entries are sorted by column, value, kind, status,
 * root. */
struct dayindex_count {
	uint64_t h;  /* the column's value (any: 0 with DAYINDEX_COUNT_ALL) */
	uint8_t col; /* the column, or DAYINDEX_COUNT_ALL */
	uint8_t kind, status, root;
	uint32_t n; /* live records */
};
#define DAYINDEX_COUNT_ALL 0xff

/* The counts of the live records among recs[0..n) (cols: their column values, column k of
 * record i at k * n + i), appended to out; their number. One column at a time, so the memory
 * is 16 bytes a record. */
uint32_t counts_render(const struct idx_rec *recs, size_t n, const uint64_t *cols, struct buf *out);
/* Adds the entries add[0..nadd) (any order; sorted here) to the sorted entries (*sum)[0..*n),
 * which grow (*cap entries allocated, xrealloc'd) and stay sorted, equal entries one. */
void counts_merge(struct dayindex_count **sum, size_t *n, size_t *cap, struct dayindex_count *add,
		  size_t nadd);
/* Whether entries c[0..nc) are in their order (each below the next). */
bool counts_sorted(const struct dayindex_count *c, size_t nc);
/* Adds to *n the records q names (its column, values, kinds, statuses, roots) of the counts
 * c[0..nc): false when they cannot say (a value the counts' maker could not read). */
bool counts_sum(const struct dayindex_count *c, size_t nc, const struct store_dayindex_q *q,
		uint64_t *n);

#endif
