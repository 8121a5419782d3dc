/* rebuild: what can be derived from the lines again: every version of every span and which
 * is the newest, the id and range tables and the superseded flags (rebuild_ids, after a
 * reboot or a retention); reindex.c builds every index again with them (store_reindex).
 * Private to lib/store. */
#ifndef SPANDEX_STORE_REBUILD_H
#define SPANDEX_STORE_REBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/store/layout.h"
#include "lib/store/store.h"

/* One version of one span: what deciding "newest wins" needs. */
struct version {
	uint64_t h;
	int64_t ingested;
	uint64_t loc;
	uint64_t trace_h, session_h;
	uint64_t parent_h; /* a judgement's: the span it judges (0: none) */
	uint16_t flags;	   /* as stored */
	bool live;	   /* as it should be */
};
/* The versions of a day's n records r appended to *v (*nv of *cap, grown as needed); returns
 * the latest ingest time among them. */
int64_t rebuild_versions_add(struct version **v, size_t *nv, size_t *cap, const struct idx_rec *r,
			     size_t n, int32_t day);
/* Orders versions by location (day, then record): qsort's comparison. */
int rebuild_cmp_loc(const void *a, const void *b);
/* Orders versions by hash, then age (ingested, then location: the newest of an id last). */
int rebuild_cmp_version(const void *a, const void *b);
/* Every committed record of ws (caller frees *out); *last: the newest ingested_at. A day whose
 * index does not open fails it, or, given passed, is passed over and counted in *passed. */
enum status rebuild_versions(struct store *st, const char *ws, struct version **out, size_t *n,
			     int64_t *last, size_t *passed);
/* Appended to *v (*nv of *cap, grown as needed), whose versions are those of the nskip sorted
 * days skip: the versions of the other days of ws with the hash of one of them, all that
 * telling the newest of each of their ids needs. A day whose index does not open fails it. */
enum status rebuild_versions_but(struct store *st, const char *ws, const int32_t *skip,
				 size_t nskip, struct version **v, size_t *nv, size_t *cap);
/* Marks the newest version of each span id live (v is sorted by hash on return). */
enum status rebuild_resolve(struct store *st, const char *ws, struct version *v, size_t n);
/* The same, reading the ids of equal hashes from index file f (the temporaries of reindex) for
 * the versions of the nat sorted days at (at NULL: of every day), from the index for the
 * others. */
enum status rebuild_resolve_at(struct store *st, const char *ws, struct version *v, size_t n,
			       enum layout_file f, const int32_t *at, size_t nat);
/* Rebuilds the id and range tables and every superseded flag of ws from its shards (caller
 * holds the workspace lock). passed: as rebuild_versions' (issue 55: one damaged day must not
 * refuse every write of its workspace after a reboot); when it counts a day, a version flagged
 * superseded stays so, as the version that superseded it may be in that day, and the tables
 * leave the day's spans out until reindex mends it. */
enum status rebuild_ids(struct store *st, const char *ws, size_t *passed);
/* The tables of ws mended after the nd sorted days days were written again from a subset of
 * their lines (their record numbers changed): the id table's entries of those days replaced
 * by their versions among v marked live (rebuild_resolve), those of the other days kept, the
 * table written afresh and synced; the day ranges widened for every version of those days
 * (what they held is there already, unless a line no record named was indexed). */
enum status rebuild_tables_mend(struct store *st, const char *ws, const struct version *v, size_t n,
				const int32_t *days, size_t nd);
/* The bytes of lines of ws/day (the sealed stream and the late lines, or the plain lines):
 * what reindex and verify read of it, the unit of their progress. 0 when it has none. */
uint64_t rebuild_day_bytes(struct store *st, const char *ws, int32_t day);
/* What a reindex leaves out of the lines (erase_pass.c: the versions of erased spans): fn says
 * whether the line p[0..n) of record r goes. A day that loses one is written again without
 * it, as a damaged day is (plain, whatever it was), and what goes is kept nowhere; day is
 * then told which day, whether it was sealed, and how many of its lines went. days: when not
 * NULL, the ndays sorted days that can hold such a line, the only ones the reindex reads and
 * writes again (the others keep their index and their flags, the range tables are kept, the
 * id table mended: rebuild_ids_mend), provided the journal settles (else every day is). */
struct rebuild_drop {
	bool (*fn)(void *ctx, const char *p, size_t n, const struct idx_rec *r);
	void (*day)(void *ctx, int32_t day, bool sealed, size_t lines);
	void *ctx;
	const int32_t *days;
	size_t ndays;
};
/* store_reindex, leaving out what drop says (NULL: nothing). */
enum status reindex_without(struct store *st, const char *ws, struct rebuild_drop *drop,
			    store_progress_fn fn, void *ctx,
			    void (*note)(void *nctx, const char *msg), void *nctx, struct err *e);

#endif
