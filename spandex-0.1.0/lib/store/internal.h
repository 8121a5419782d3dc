/* store_int: the on-disk structures and helpers shared by the store's own files
 * (store.c reads, store_write.c appends, store_admin.c reindexes and verifies).
 * Not for use outside lib/store*.c. */
#ifndef SPANDEX_STORE_INT_H
#define SPANDEX_STORE_INT_H

#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>
#include "lib/store/store.h"

#define IDX_MAGIC "SPXIDX1\n"
#define IDS_MAGIC "SPXIDS1\n"
#define IDX_VERSION 1
#define IDX_VERSION_SEALED 2 /* set by a seal, so that older programs refuse the shard */
#define IDS_VERSION 1
#define ENDIAN_TAG 0x01020304u
#define IDX_HDR 128
#define IDS_HDR 64
#define IDS_MIN_SLOTS (1u << 14) /* 256 KiB: small workspaces stay small */
#define IDS_LOAD_PCT 70		 /* resize above this load: linear probing stays short */

/* <day>.idx starts with this header; committed records follow it. */
struct idx_hdr {
	char magic[8];
	uint32_t version, rec_size, endian;
	int32_t day;
	uint64_t committed;	/* records readers may trust; the commit point of a batch */
	uint64_t sealed_bytes; /* stream bytes in <day>.jsonl.zst; 0: an open shard */
	uint64_t sealed_recs;  /* records whose lines are there */
	char pad[IDX_HDR - 48];
};

/* ids.tab: the workspace's span_id -> newest version table, open addressing. */
struct ids_hdr {
	char magic[8];
	uint32_t version, endian;
	uint64_t nslots;       /* a power of two */
	uint64_t count;	       /* occupied slots */
	int64_t last_ingested; /* versions get strictly increasing ingested_at */
	uint64_t boot;	       /* boot_id() of the writer that last wrote the table */
	char pad[IDS_HDR - 48];
};

/* A slot: h == 0 is empty; loc is the day (high 32 bits) and record number (low 32). */
struct ids_slot {
	uint64_t h;
	uint64_t loc;
};
#define LOC(day, rec) (((uint64_t)(uint32_t)(day) << 32) | (uint32_t)(rec))
#define LOC_DAY(loc) ((int32_t)(uint32_t)((loc) >> 32))
#define LOC_REC(loc) ((uint32_t)(loc))

bool store_path(char *out, const struct store *st, const char *ws, const char *name);
bool shard_path(char *out, const struct store *st, const char *ws, int32_t day, const char *ext);
int write_all(int fd, const void *p, size_t n);
int pwrite_all(int fd, const void *p, size_t n, off_t off);
int pread_all(int fd, void *p, size_t n, off_t off);
uint64_t boot_id(void);
void idx_hdr_init(struct idx_hdr *h, int32_t day);
bool idx_hdr_ok(const struct idx_hdr *h);
bool ids_hdr_ok(const struct ids_hdr *h);
/* Sorted days of ws that have a file "<day><ext>" (ext ".idx" or ".jsonl"). */
enum status list_days(struct store *st, const char *ws, const char *ext, int32_t **days, size_t *n);
/* Sorted days of ws that have any file of a shard (index, plain, sealed or late lines). */
enum status shard_days(struct store *st, const char *ws, int32_t **days, size_t *n);
/* True when the canonical line starts with span id literal lit (a rendered JSON string). */
bool line_has_id(const char *line, size_t len, const struct buf *lit);

/* ---- sealed shards (lib/store_seal.c) ----
 * <day>.jsonl.zst: zstd frames of whole lines (a block: about SEAL_BLOCK bytes, each frame
 * decompressible alone), then a skippable frame holding the footer (seal_hdr, the block
 * table, the start-time order, the id table), then a skippable frame of 8 bytes giving the
 * footer frame's offset. zstdcat reads the file as the plain JSONL. */
#define SEAL_MAGIC "SPXSEAL1"
#define SEAL_VERSION 1
#define SEAL_BLOCK (64u << 10) /* uncompressed bytes per block: a get decompresses one */
#define SEAL_LEVEL 3
#define SEAL_CACHE 4 /* decompressed blocks a reader keeps per sealed file */
#define ZSKIP_FOOTER 0x184D2A5Eu
#define ZSKIP_TRAILER 0x184D2A5Fu
#define SEAL_TRAILER 16

struct seal_hdr {
	char magic[8];
	uint32_t version, endian;
	int32_t day;
	uint32_t crc;	  /* crc32c of the footer after this header */
	uint64_t nrecs;	  /* records 0..nrecs-1 of the index have their lines here */
	uint64_t bytes;	  /* stream bytes (uncompressed) */
	uint64_t nblocks; /* frames */
	uint64_t zbytes;  /* bytes of the frames: the footer frame starts here */
	char pad[8];
};
struct seal_blk {
	uint64_t raw_off, zoff; /* stream offset of the first line; file offset of the frame */
	uint32_t zlen, rawlen;
};
struct seal_id {
	uint64_t h, rec; /* span_h and record number, sorted by (h, rec) */
};
struct sealed {
	int fd;
	const char *map;
	size_t maplen;
	const struct seal_hdr *h;
	const struct seal_blk *blk;
	const uint32_t *order; /* record numbers by (started_us, record) */
	const struct seal_id *ids;
	struct zcache {
		char *p;
		size_t cap, blk; /* blk: the block it holds, SIZE_MAX for none */
	} cache[SEAL_CACHE]; /* the blocks decompressed last, reused round-robin */
	int next;
};
/* Opens the data of ws/day as header h describes it (writable: for appending, creating the
 * file of plain lines). ST_NOT_FOUND when a file h names is missing (a seal ran meanwhile:
 * re-read the header and retry). */
enum status sdata_open(struct store *st, const char *ws, int32_t day, const struct idx_hdr *h,
		       bool writable, struct sdata *d);
void sdata_close(struct sdata *d);
/* Opens and checks the structure of a sealed file (not its checksums). */
enum status sealed_open(const char *path, struct sealed **out);
void sealed_close(struct sealed *z);
/* The id table entries of span hash h: *first and the count (by record number). */
size_t sealed_find(const struct sealed *z, uint64_t h, const struct seal_id **first);
/* Full check of a sealed file against the index records: footer checksum, every frame,
 * every line where its record says. Appends problems to why (one per line). */
void sealed_check(struct sealed *z, const struct idx_rec *recs, size_t nrecs, struct buf *why);
/* The header and data of a shard for reading, consistent with each other although a seal
 * may run meanwhile. */
enum status shard_data_open(struct store *st, const char *ws, int32_t day, int idx_fd,
			    struct idx_hdr *h, struct sdata *d);

/* A shard opened for writing, under its exclusive lock. */
struct wshard {
	int32_t day;
	int idx_fd;
	struct sdata d; /* d.fd: -1 for a sealed shard without late lines yet */
	uint64_t committed; /* records committed (after repair at open, then after appends) */
	uint64_t data_end;  /* bytes of data the committed records cover */
	uint64_t committed0, data_end0; /* as at open: where a failed batch rolls back to */
	bool created;
};
/* Opens (creating) and locks ws/day; repairs a torn tail. roll_forward: commit complete
 * records past the committed count (crash recovery) instead of dropping them. */
enum status wshard_open(struct store *st, const char *ws, int32_t day, bool roll_forward,
			struct wshard *w);
void wshard_close(struct wshard *w);

/* flock(LOCK_EX), retried on EINTR; -1 on failure with errno set. */
int lock_fd(int fd);
/* The workspace write lock (ws/lock); -1 on failure with errno set. */
int ws_lock(struct store *st, const char *ws, bool create);

/* A keyed table file (ids.tab, traces.tab, sessions.tab), mapped for writing under the
 * workspace lock. ids.tab maps span ids to their newest version; the two range tables map a
 * trace or session id to the first and last day holding one of its spans (RANGE below). */
struct ids {
	int fd;
	struct ids_hdr *hdr;
	struct ids_slot *slots;
	size_t maplen;
	const char *name; /* file name in the workspace directory */
};
#define RANGE(lo, hi) LOC(lo, (uint32_t)(hi))
#define RANGE_LO(v) LOC_DAY(v)
#define RANGE_HI(v) ((int32_t)LOC_REC(v))
enum status ids_open(struct store *st, const char *ws, const char *name, struct ids *t);
void ids_close(struct ids *t);
/* The three tables a writer keeps current. */
struct tabs {
	struct ids id, tr, se;
};
void tabs_close(struct tabs *t);
/* Under the workspace lock: opens the id table, finishes an interrupted batch (journal) and
 * rebuilds the table after a reboot. *jfd is the journal, closed by the caller. */
enum status ws_prepare(struct store *st, const char *ws, struct tabs *t, int *jfd);
int read_rec(int fd, uint64_t i, struct idx_rec *r);
/* The span id literal ("...", as rendered) at the start of record r's line. */
enum status rec_id_lit(struct sdata *d, const struct idx_rec *r, struct buf *lit);
/* Writes a fresh table holding the entries of src (slots with h != 0) and renames it over
 * the file t->name; t (if mapped) is replaced by the new mapping. */
enum status ids_replace(struct store *st, const char *ws, struct ids *t, uint64_t nslots,
			const struct ids_slot *src, uint64_t nsrc, int64_t last_ingested);
void sync_dir(struct store *st, const char *ws);
/* Rebuilds the id table and every superseded flag of ws from its shards (caller holds the
 * workspace lock). */
enum status ids_rebuild(struct store *st, const char *ws);

#endif
