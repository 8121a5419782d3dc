/* dayindex: the text and field index's check, for verify (its build and reads are in store.h). */
#ifndef SPANDEX_STORE_DAYINDEX_H
#define SPANDEX_STORE_DAYINDEX_H

#include "lib/base/buf.h"
#include "lib/store/store.h"

/* Checks the text and field index of sh's day, if it has one: its header, sizes, every
 * section's checksum and every word's postings; each problem is a line appended to why. A
 * stale index (the day has changed since it was built) is no problem: readers ignore it.
 * Returns the problems. */
int store_dayindex_check(struct store *st, const char *ws, const struct shard *sh, struct buf *why);

#endif
