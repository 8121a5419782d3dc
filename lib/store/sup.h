/* sup: <day>.sup, the batch that superseded each version of a day (docs/FORMAT.md, "Versions
 * superseded during a query"): what lets a query that began before a batch see the versions the
 * batch replaced, however long the query runs. A batch writes it before its commit point, for
 * the versions it will mark superseded (sup_write); a query's shard reads it (sup_view). Derived
 * and never synced: it is read only for versions superseded during a query, and no query runs
 * across a boot. Private to lib/store. */
#ifndef SPANDEX_STORE_SUP_H
#define SPANDEX_STORE_SUP_H

#include <stddef.h>
#include <stdint.h>
#include "lib/store/store.h"

#define SUP_MAGIC "SPXSUP1\n"
#define SUP_VERSION 1
#define SUP_HDR 64 /* the header; then an int64 per record of the day, from record 0 */

struct sup_hdr {
	char magic[8];
	uint32_t version, endian;
	int32_t day, pad;
	/* The larger of the two is at least the largest value the file holds: a query whose
	 * horizon is at or past it finds no version of the day superseded since it began. A
	 * batch writes the smaller one, so a write of it torn (lib/store/sup.c) leaves the other.
	 */
	int64_t newest[2];
	char pad2[SUP_HDR - 40];
};

/* Records rec[0..n) (ascending) of ws/day, versions a batch whose first ingest time is by is
 * about to mark superseded: the header's newest becomes by, then their values. Under the
 * workspace lock, before the batch's commit point. 0, or -1 with errno. */
int sup_write(struct store *st, const char *ws, int32_t day, const uint64_t *rec, size_t n,
	      int64_t by);
/* The first ingest time of the batch that superseded record i of the day whose side file is
 * mapped at m (len bytes: what it held when mapped; NULL when there is none), 0 when it names
 * none (a version superseded before the file was written, or never). */
static inline int64_t sup_by(const char *m, size_t len, size_t i)
{
	if (!m || len < SUP_HDR + (i + 1) * sizeof(int64_t))
		return 0;
	return __atomic_load_n((const int64_t *)(m + SUP_HDR) + i, __ATOMIC_ACQUIRE);
}
/* The header's newest of the side file mapped at m (the larger of its two), or 0. */
static inline int64_t sup_newest(const char *m, size_t len)
{
	if (!m || len < SUP_HDR)
		return 0;
	const struct sup_hdr *h = (const struct sup_hdr *)m;
	int64_t a = __atomic_load_n(&h->newest[0], __ATOMIC_ACQUIRE),
		b = __atomic_load_n(&h->newest[1], __ATOMIC_ACQUIRE);
	return a > b ? a : b;
}
/* Checks the side file of sh's day, if it has one: its header, and that no value passes the
 * newest it names; each problem a line appended to why. A file shorter than its header is the
 * leftover of a batch that failed as it made it (readers and writers take it as none). Returns
 * the problems. */
int sup_check(struct store *st, const char *ws, const struct shard *sh, struct buf *why);
/* Maps the side file of ws/day for reading, at least need bytes of it (SUP_HDR at least), as
 * a stat under look found it (store_look; with look 0 the file is looked at now): its bytes,
 * *len how many it holds, *mc to give back with mapcache_put. NULL when there is none or it
 * does not check (magic, version, byte order, day). */
const char *sup_view(struct store *st, const char *ws, int32_t day, uint64_t look, size_t need,
		     size_t *len, struct mapcache_ent **mc);

#endif
