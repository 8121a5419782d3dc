/* dayindex_file: the text and field index's file (.tix) as dayindex.c maps it: its header, its
 * mapped sections, and the checks of each, which dayindex.c's reads and build and
 * dayindex_check.c's check (for verify) share. Private to those two files; a mapping is the
 * caller's until dayindex_close. */
#ifndef SPANDEX_STORE_DAYINDEX_FILE_H
#define SPANDEX_STORE_DAYINDEX_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/base/buf.h"
#include "lib/store/counts.h"
#include "lib/store/idstr.h"
#include "lib/store/keymap.h"
#include "lib/store/lists.h"
#include "lib/store/store.h"
#include "lib/store/words.h"

#define DAYINDEX_NKEYS 2 /* the key maps: trace, then session (enum store_key) */

/* The header; then the text section: the words (each followed by '\n'; word 0 is empty: the records
 * that hold a word longer than DAYINDEX_MAX_WORD, which every term may match), padded to 8 bytes;
 * their start offsets (uint32, nwords + 1), padded; the offsets of their postings (uint64, nwords +
 * 1); the postings: record numbers ascending, each as the LEB128 varint of its distance from the
 * one before minus one, padded; (version 5) the pairs of adjacent words (words.h; version 6
 * leaves out those of a rare word, DAYINDEX_RARE_WORD; version 9 adds the triples of two
 * pairs, one common, DAYINDEX_TRIPLE_SHARE; version 10 keeps a common word's pairs with a rare
 * one after it). Then (version 2) the key maps, per key of
 * enum store_key: nrecs uint64 hashes (the records' trace_h or session_h) sorted ascending, ties by
 * record; the nrecs record numbers in the same order (uint32, padded); a crc32c per block of
 * KEYMAP_BLOCK entries, over its hashes and then its record numbers (padded). Then the columns:
 * DAYINDEX_NCOLS runs of nrecs uint64 values. Then (version 3) the counts: struct dayindex_count
 * entries, sorted, each the number of live covered records with one value of one column (or of
 * none: DAYINDEX_COUNT_ALL), one kind, one status and root or not, as the records' flags were at
 * generation counts_gen of the day's header. Then (version 4) the roots: per root span (no parent),
 * a struct store_dayindex_root (its record, trace hash, start, kind, status and flags), ascending
 * by record, so that a listing of traces visits only them, and while the flags hold (counts_gen)
 * reads no record at all. Then (version 7) the id strings (idstr.h): per key, each distinct
 * trace or session id of the covered records as their lines hold it, by hash. Then (version 8)
 * the value lists (lists.h): per value of each column, kind and status, its records by start;
 * the section holds its own checksum, and its bytes are the file's last 8. Each section
 * (each block of a key map) has its own checksum, checked by a reader the first time it reads
 * it, so a query pays for what it reads. */
struct dayindex_hdr {
	char magic[8];
	uint32_t version, order;
	int32_t day;
	uint32_t nwords;
	uint64_t nrecs;		  /* records [0, nrecs) are covered */
	uint64_t last_span_h;	  /* record nrecs-1 when built: span_h ... */
	int64_t last_ingested_us; /* ... and ingested_us */
	uint64_t blob_len;
	uint32_t text_crc;		  /* crc32c of the text section */
	uint32_t col_crc[DAYINDEX_NCOLS]; /* crc32c of each column */
	uint32_t ncounts, counts_crc;	  /* version 3: entries of the counts, their crc32c */
	uint64_t counts_gen;		  /* the idx header's flag_gen they hold for; odd: none */
	uint32_t nroots, roots_crc;	  /* version 4: root records, their crc32c */
	uint32_t ids_crc;		  /* version 7: crc32c of the id strings */
	uint32_t crc;			  /* crc32c of the 124 bytes before it */
};

/* A mapped index file, its parts checked against the file's size. */
struct dayindex {
	const void *map;
	size_t len;
	const struct dayindex_hdr *h;
	struct words_view text;
	const uint64_t *cols; /* DAYINDEX_NCOLS columns of nrecs values */
	/* The key maps (version 2; NULL in a version 1 file): per key, hashes sorted, their
	 * records, a checksum per block. */
	struct keymap keys[DAYINDEX_NKEYS];
	const struct dayindex_count *counts;	 /* version 3; NULL before */
	const struct store_dayindex_root *roots; /* version 4; NULL before */
	struct idstr ids;			 /* version 7 */
	const void *ids_at;			 /* NULL before */
	size_t ids_len;
	struct lists lists; /* version 8 */
	bool has_lists;
	/* Sections found good, kept with the mapping for the next queries of the process
	 * (mapcache_bits: bit 0 the text, 1 + k column k, DAYINDEX_NCOLS + 1 the counts,
	 * DAYINDEX_NCOLS + 2 the roots, DAYINDEX_NCOLS + 3 the id strings, DAYINDEX_NCOLS + 4
	 * the value lists), and found damaged
	 * by this reader. */
	struct mapcache_ent *mc;
	uint32_t *good, bad;
};

/* Maps ws/day's index (with recent, as a query does: mapcache_get_recent) into *t; false (errno
 * set) when it is missing or malformed, and nothing to close. */
bool dayindex_open(struct store *st, const char *ws, int32_t day, bool recent, struct dayindex *t);
/* Lets t's mapping go (to the process's cache). */
void dayindex_close(struct dayindex *t);
/* Whether each section of t holds its checksum (and, for the roots, id strings and value
 * lists, its order and bounds): checked once per mapping of the file, a good answer kept for
 * the process's next queries. A damaged section would rule out records that hold a term, or
 * match or count the wrong ones. */
bool dayindex_text_good(struct dayindex *t);
bool dayindex_col_good(struct dayindex *t, int k);
bool dayindex_counts_good(struct dayindex *t);
bool dayindex_roots_good(struct dayindex *t);
bool dayindex_ids_good(struct dayindex *t);
bool dayindex_lists_good(struct dayindex *t);
/* Whether the flags of sh's records are those the counts and the roots' entries were taken at:
 * no flag written since the build. */
bool dayindex_flags_held(const struct dayindex *t, const struct shard *sh);
/* Whether t was built from sh's records: its last covered record is still the one it was built
 * from. */
bool dayindex_current(const struct dayindex *t, const struct shard *sh);
/* The root records among sh's first n, ascending, appended to out as struct
 * store_dayindex_root entries; their number. */
uint32_t dayindex_render_roots(const struct shard *sh, size_t n, struct buf *out);

#endif
