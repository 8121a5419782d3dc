/* dayindex: the text and field index's (.tix) reads, which lib/store/index.c asks for the records
 * it covers (store_index_* in store.h, what the query engine and the tests ask), and its check,
 * for verify (dayindex_check.c); its build and the column names and hashes are in store.h.
 * Private to lib/store. */
#ifndef SPANDEX_STORE_DAYINDEX_H
#define SPANDEX_STORE_DAYINDEX_H

#include "lib/base/buf.h"
#include "lib/store/store.h"

/* The index of the open shard sh of ws, or NULL when there is none it can trust (missing,
 * built from other records, damaged). */
struct store_dayindex *store_dayindex_open(struct store *st, const char *ws,
					   const struct shard *sh);
void store_dayindex_close(struct store_dayindex *x);
/* The records it covers: [0, covered). */
size_t store_dayindex_covered(const struct store_dayindex *x);
/* Column col: one value per covered record; NULL when it is damaged (its checksum, checked
 * on the first call, does not hold). */
const uint64_t *store_dayindex_col(struct store_dayindex *x, int col);
/* The covered root records (no parent), ascending by record, in the mapping: *roots, *n; the
 * flags they hold are the records' own when *flags_hold (the day's flags have not moved since
 * the build), else read the records' own. False when the index has none to trust (built by an
 * older spandex, or damaged): visit every record. */
bool store_dayindex_roots(struct store_dayindex *x, const struct shard *sh,
			  const struct store_dayindex_root **roots, size_t *n, bool *flags_hold);
/* The trace (STORE_KEY_TRACE) or session id of covered record ri of sh, as its line holds it
 * (the JSON literal, quotes and escapes included), into *p and *n, valid while x is open: false
 * when the index cannot say (built before version 7, a damaged section, an id whose records'
 * lines differ or that a line lacks): read the line. */
bool store_dayindex_id(struct store_dayindex *x, const struct shard *sh, enum store_key which,
		       size_t ri, const char **p, size_t *n);
/* The covered records whose trace (STORE_KEY_TRACE) or session hash is h, ascending: *recs
 * (caller frees; NULL when none) and *n. ST_NOT_FOUND when the index has no key maps (one
 * built by an older spandex) or the part of the map read is damaged: scan the records. */
enum status store_dayindex_keyed(struct store_dayindex *x, enum store_key which, uint64_t h,
				 uint32_t **recs, size_t *n);
/* *bits (caller frees) gets bit i set for each covered record i that may hold every one of
 * terms[0..n) (case-blind substrings of its name, input or output). When every term is a
 * single word (letters, digits and non-ASCII characters only), a record whose indexed words
 * contain each one holds each one, and *sure (caller frees) marks those: their lines need not
 * be read; otherwise *sure is NULL and the lines of the candidates decide. ST_NOT_FOUND when
 * no term has a letter or digit, or the text section is damaged: read every line. */
enum status store_dayindex_text(struct store_dayindex *x, const char *const *terms, size_t n,
				uint64_t **bits, uint64_t **sure);

/* The covered records whose list key k (a column, STORE_LIST_KIND, STORE_LIST_STATUS) has value
 * v, ordered by start, then by record, in the mapping: *recs (NULL when none) and *n. False when
 * the index has no list to trust for k (before version 8, a column with a value the builder
 * could not read, a damaged section). */
bool store_dayindex_list(struct store_dayindex *x, int k, uint64_t v, const uint32_t **recs,
			 size_t *n);

/* The count of the records q names among those the index covers, from the counts the index
 * holds: live counts per column value, kind, status and root, taken when it was built. False
 * when they cannot say: an index without them, flags written since (sh->flag_gen moved: a
 * version superseded), a column value it could not read, a damaged section. */
bool store_dayindex_count(struct store_dayindex *x, const struct shard *sh,
			  const struct store_dayindex_q *q, uint64_t *n);

/* Checks the text and field index of sh's day, if it has one: its header, sizes, every
 * section's checksum and every word's postings; each problem is a line appended to why. A
 * stale index (the day has changed since it was built) is no problem: readers ignore it.
 * Returns the problems. */
int store_dayindex_check(struct store *st, const char *ws, const struct shard *sh, struct buf *why);

#endif
