/* sealed: the format of a sealed file, <day>.jsonl.zst, and reading it: opening and checking
 * its structure, finding a span's records by hash, a line's bytes (one block decompressed,
 * a few kept), and the full check verify runs. seal.c writes the format; nothing else here
 * knows a shard. Private to lib/store.
 *
 * The file: with a dictionary (version 2, `spandex seal --dictionary`), first a skippable frame
 * holding it (seal_dict, then its bytes); zstd frames of whole lines (a block: about SEAL_BLOCK
 * bytes, each frame decompressible alone, with the dictionary when there is one), then a
 * skippable frame holding the footer (seal_hdr, the block table, the start-time order, the id
 * table), then a skippable frame of 8 bytes giving the footer frame's offset. zstdcat reads a
 * file without a dictionary as the plain JSONL. */
#ifndef SPANDEX_STORE_SEALED_H
#define SPANDEX_STORE_SEALED_H

#include <stddef.h>
#include <stdint.h>
#include "lib/base/buf.h"
#include "lib/store/store.h"

#define SEAL_MAGIC "SPXSEAL1"
#define SEAL_VERSION 1	    /* a file without a dictionary, as before it */
#define SEAL_VERSION_DICT 2 /* a file that starts with a dictionary frame */
#define SEAL_DICT_MAGIC "SPXDICT1"
/* A day's dictionary, trained on its lines (zstd's fastCover): a hundredth of the day's
 * stream up to zstd's own default size (SEAL_DICT_BYTES), from lines of records spread over
 * the day, about SEAL_DICT_SAMPLE bytes of them (a tenth of that, with zstd's default trainer,
 * gave 20.2x against 22.7x on bench/gen's days of 1 MB; BENCHMARKS-HISTORY.md, "A dictionary
 * for sealed days"), and only for a day of at least SEAL_DICT_MIN_DAY stream bytes (below it the
 * dictionary would be a large part of the file). */
#define SEAL_DICT_BYTES (110u << 10)
#define SEAL_DICT_SHARE 100
#define SEAL_DICT_SAMPLE (1u << 20)
#define SEAL_DICT_MIN_DAY (1u << 20)
/* The trainer's (fastCover) segment and d-mer sizes, frequency bits and acceleration, fixed:
 * zstd's own search of k took 2.0 s on a 10 MB day of prose for 2,898,008 bytes of frames,
 * these 0.18 s for 2,890,426; on bench/gen's days 0.48 s for 451 KB, these 0.18 for 357. */
#define SEAL_DICT_K 1024
#define SEAL_DICT_D 8
#define SEAL_DICT_F 20
#define SEAL_DICT_ACCEL 5
#define SEAL_BLOCK (64u << 10) /* uncompressed bytes per block: a get decompresses one */
#define SEAL_LEVEL 3
/* Decompressed blocks a reader holds per sealed file (the process keeps more, lib/store/frames.h,
 * but gives up none of these): a line viewed stays valid until SEAL_CACHE - 1 more are read. */
#define SEAL_CACHE 4
#define ZSKIP_DICT 0x184D2A5Du
#define ZSKIP_FOOTER 0x184D2A5Eu
#define ZSKIP_TRAILER 0x184D2A5Fu
#define SEAL_TRAILER 16
/* The most bytes a block decompresses to: a block is lines up to SEAL_BLOCK, or one longer
 * line. A block table entry (or a frame header) that says more is damage, never allocated. */
#define SEAL_BLOCK_MAX ((uint64_t)SEAL_BLOCK + STORE_MAX_LINE + 1)

struct seal_hdr {
	char magic[8];
	uint32_t version, endian;
	int32_t day;
	uint32_t crc;	  /* crc32c of the footer after this header */
	uint64_t nrecs;	  /* records 0..nrecs-1 of the index have their lines here */
	uint64_t bytes;	  /* stream bytes (uncompressed) */
	uint64_t nblocks; /* frames */
	uint64_t zbytes;  /* bytes of the frames: the footer frame starts here */
	uint64_t dbytes;  /* version 2: the dictionary frame's bytes, where the frames start */
};
/* The dictionary frame's payload: this, then len bytes of dictionary. */
struct seal_dict {
	char magic[8];
	uint32_t len, crc; /* crc32c of the dictionary's bytes */
};
struct seal_blk {
	uint64_t raw_off, zoff; /* stream offset of the first line; file offset of the frame */
	uint32_t zlen, rawlen;
};
struct seal_id {
	uint64_t h, rec; /* span_h and record number, sorted by (h, rec) */
};
struct mapcache_ent;
struct frame;
struct sealed {
	int fd;		 /* -1 when opened by sealed_map */
	const char *map; /* the whole file, through the process's mappings (mapcache.h) */
	size_t maplen;
	struct mapcache_ent *mc;
	/* The footer's header, and the block table: the footer's when it checks, else the
	 * frames found by walking the file from its start (h->nrecs 0, no order, no ids). */
	const struct seal_hdr *h;
	const struct seal_blk *blk;
	/* Whether the footer checks (its structure, its block table contiguous and within the
	 * file): only then are order and ids there, used once sealed_tables says so. */
	bool footer;
	bool trailer;	       /* the footer was found through the trailer (else by the walk) */
	const uint32_t *order; /* record numbers by (started_us, record) */
	/* Version 2: the dictionary frame's bytes (0: none); dict_ok whether its checksum holds
	 * (without it no frame can be read: every line of the file is lost to queries). */
	uint64_t dbytes;
	bool dict_ok;
	const struct seal_id *ids;
	struct sealed_view *view;	/* what the process keeps of the file (sealed.c) */
	struct frame *held[SEAL_CACHE]; /* the blocks read last (frames.h), replaced round-robin */
	int next;
};

/* Opens a sealed file. Its footer is used only when its structure holds (checked once per
 * mapping of the file in a process; its tables' checksum when they are first used,
 * sealed_tables); otherwise, as after a footer damaged on disk or
 * a file cut short, its frames are found by walking it from its start (each says its sizes),
 * and every line they hold can still be read, with no start-time order and no id table
 * (z->footer false; verify names it, reindex writes the footer again). Fails only when the
 * file cannot be opened or mapped. */
enum status sealed_open(const char *path, struct sealed **out);
/* sealed_open through the process's mapping of the file at path (mapcache_get_path): a stat, and
 * no open, once the process has mapped it. No descriptor (z->fd -1): a query's (LINES_MAP),
 * which reads through the mapping alone. ST_NOT_FOUND when there is no such file. */
enum status sealed_map(const char *path, struct sealed **out);
/* Writes to fd, after the frames (bytes [0, zbytes) of the file, that the blocks blk[0,
 * nblocks) of bytes stream bytes describe) the footer and the trailer of a sealed file for the
 * n records recs of day: the start-time order and the id table made from them. seal.c writes
 * every footer through it, and reindex one it writes again. 0, or -1 with errno. */
int sealed_write_footer(int fd, const struct seal_blk *blk, size_t nblocks, uint64_t bytes,
			uint64_t zbytes, uint64_t dbytes, const struct idx_rec *recs, size_t n,
			int32_t day);
/* Writes to fd the dictionary frame of dictionary d[0, len): 0, or -1 with errno. */
int sealed_write_dict(int fd, const void *d, size_t len);
/* The dictionary of z (one that checks): its bytes and *len; NULL when it has none. */
const void *sealed_dict(const struct sealed *z, size_t *len);
void sealed_close(struct sealed *z);
/* Whether the footer's start-time order and id table may be used: the footer checks, and
 * its checksum, which covers them, holds. The checksum (20 bytes a record) is computed the
 * first time a process asks of its mapping of the file, so a get through ids.tab never pays
 * it. */
bool sealed_tables(struct sealed *z);
/* The id table entries of span hash h: *first and the count (by record number); none when
 * sealed_tables says no. */
size_t sealed_find(struct sealed *z, uint64_t h, const struct seal_id **first);
/* The n bytes at stream offset off (within one line), valid until SEAL_CACHE - 1 more
 * blocks have been read; NULL (errno EIO) when no block holds them or it is damaged. */
const char *sealed_bytes(struct sealed *z, uint64_t off, size_t n);
/* Block i decompressed, kept as sealed_bytes keeps it; NULL (errno EIO) when its frame is
 * damaged. */
const char *sealed_block(struct sealed *z, size_t i);
/* Whether the blocks of z follow each other from the file's start, as a footer needs them
 * (a walk passes over skippable frames between them). */
bool sealed_contiguous(const struct sealed *z);
/* Whether the footer of z (one that checks) holds the start-time order and the id table of the
 * n records recs, and no other (sealed_check finds nothing). */
bool sealed_holds(struct sealed *z, const struct idx_rec *recs, size_t n);
/* Writes to fd the sealed file z again: its frames as they are (bytes [0, zbytes) of it) and
 * a footer and trailer for the n records recs of day (sealed_write_footer), as reindex does
 * for a footer that does not check. 0, or -1 with errno. */
int sealed_rewrite(int fd, const struct sealed *z, const struct idx_rec *recs, size_t n,
		   int32_t day);
/* Check of a sealed file's structure against the index records: a footer that does not check,
 * else its records, the start-time order and the id table. Appends problems to why (one per
 * line). The frames are the caller's to decompress (verify reads each once, sealed_block, and
 * checks its lines from it). */
void sealed_check(struct sealed *z, const struct idx_rec *recs, size_t nrecs, struct buf *why);

/* The id table's order. */
int sealed_id_cmp(const void *a, const void *b);

#endif
