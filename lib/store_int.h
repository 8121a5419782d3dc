/* store_int: the on-disk structures and helpers shared by the store's own files
 * (store.c reads, store_write.c appends, store_admin.c reindexes and verifies).
 * Not for use outside lib/store*.c. */
#ifndef SPANDEX_STORE_INT_H
#define SPANDEX_STORE_INT_H

#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>
#include "lib/store.h"

#define IDX_MAGIC "SPXIDX1\n"
#define IDS_MAGIC "SPXIDS1\n"
#define IDX_VERSION 1
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
	uint64_t committed; /* records readers may trust; the commit point of a batch */
	char pad[IDX_HDR - 32];
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
/* True when the canonical line starts with span id literal lit (a rendered JSON string). */
bool line_has_id(const char *line, size_t len, const struct buf *lit);

/* A shard opened for writing, under its exclusive lock. */
struct wshard {
	int32_t day;
	int data_fd, idx_fd;
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
enum status rec_id_lit(int data_fd, const struct idx_rec *r, struct buf *lit);
/* Writes a fresh table holding the entries of src (slots with h != 0) and renames it over
 * the file t->name; t (if mapped) is replaced by the new mapping. */
enum status ids_replace(struct store *st, const char *ws, struct ids *t, uint64_t nslots,
			const struct ids_slot *src, uint64_t nsrc, int64_t last_ingested);
void sync_dir(struct store *st, const char *ws);
/* Rebuilds the id table and every superseded flag of ws from its shards (caller holds the
 * workspace lock). */
enum status ids_rebuild(struct store *st, const char *ws);

#endif
