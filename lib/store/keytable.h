/* keytable: the keyed table files of a workspace, one format for three tables: ids.tab (span_id
 * -> the day and record of its newest version), traces.tab and sessions.tab (trace or
 * session id -> the first and last day holding one of its spans). Open addressing with
 * linear probing over 64-bit hashes; mapped for writing under the workspace lock, and mapped
 * read-only by readers, who take no lock. What a slot's value means, and whether an entry of the
 * same hash is the same key, is the caller's: keytable.c reads no shard. Private to lib/store. */
#ifndef SPANDEX_STORE_TAB_H
#define SPANDEX_STORE_TAB_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "lib/store/layout.h"
#include "lib/store/store.h"

#define TAB_MAGIC "SPXIDS1\n"
#define TAB_VERSION 1
#define TAB_MIN_SLOTS (1u << 10) /* 16 KiB each: a new workspace starts small, tables double */
#define TAB_LOAD_PCT 70		 /* resize above this load: linear probing stays short */

struct keytable_hdr {
	char magic[8];
	uint32_t version, endian;
	uint64_t nslots;       /* a power of two */
	uint64_t count;	       /* occupied slots */
	int64_t last_ingested; /* versions get strictly increasing ingested_at */
	uint64_t boot;	       /* io_boot_id() of the writer that last wrote the table */
	char pad[STORE_TAB_HDR - 48];
};

/* A slot: h == 0 is empty. In ids.tab, loc is LOC(day, record); in the range tables,
 * RANGE(first day, last day). Written loc first, h second, so no reader sees half a slot. */
struct keytable_slot {
	uint64_t h;
	uint64_t loc;
};
#define LOC(day, rec) STORE_LOC(day, rec)
#define LOC_DAY(loc) ((int32_t)(uint32_t)((loc) >> 32))
#define LOC_REC(loc) ((uint32_t)(loc))
#define RANGE(lo, hi) LOC(lo, (uint32_t)(hi))
#define RANGE_LO(v) LOC_DAY(v)
#define RANGE_HI(v) ((int32_t)LOC_REC(v))

/* One table mapped for writing (under the workspace lock). */
struct tab {
	int fd;
	struct keytable_hdr *hdr;
	struct keytable_slot *slots;
	size_t maplen;
	enum layout_file file; /* LAYOUT_IDS, LAYOUT_TRACES or LAYOUT_SESSIONS */
	dev_t dev;	       /* the file's, for the mapping kept after keytable_close */
	ino_t ino;
};

bool keytable_hdr_ok(const struct keytable_hdr *h);
/* Maps table file of ws, creating an empty one when there is none. */
enum status keytable_open(struct store *st, const char *ws, enum layout_file file, struct tab *t);
/* Closes t. Its mapping is kept for the process's next keytable_open of the same file (the
 * same inode: a table renamed over is never found again), so that pages a batch touched need
 * no fault in the next. */
void keytable_close(struct tab *t);
/* Writes a fresh table of nslots holding the entries of src (those with h != 0), renames it
 * over t->file and maps t onto it (t may be unmapped: t->fd -1, t->file set). */
enum status keytable_replace(struct store *st, const char *ws, struct tab *t, uint64_t nslots,
			     const struct keytable_slot *src, uint64_t nsrc, int64_t last_ingested);
/* Grows the table so that n more keys keep the load under TAB_LOAD_PCT. */
enum status keytable_reserve(struct store *st, const char *ws, struct tab *t, size_t n);
/* Writes table file of ws afresh from n distinct entries and syncs it (a rebuild). */
enum status keytable_write(struct store *st, const char *ws, enum layout_file file,
			   const struct keytable_slot *e, size_t n, int64_t last_ingested);

/* Asked by keytable_upsert about an entry of the same hash that names another location loc:
 * 1 when it is the same key (the caller has marked the version at loc superseded, if it
 * still is one), 0 when it is another key with the same 64-bit hash, -1 on I/O failure. */
typedef int (*keytable_same_fn)(void *ctx, uint64_t loc);
/* Points key h at loc (a new slot, or the slot of the same key). Idempotent, so crash
 * recovery can replay it. */
enum status keytable_upsert(struct tab *t, uint64_t h, uint64_t loc, keytable_same_fn same,
			    void *ctx);
/* Widens the day range of key h to include day (a range table); idempotent. */
void keytable_widen(struct tab *t, uint64_t h, int32_t day);
/* A hint, no answer: starts loading the slot where a lookup of h in t begins, so that a
 * batch's lookups, each a cache miss in a large table, wait on memory together rather than
 * one after another. */
void keytable_prefetch(const struct tab *t, uint64_t h);
/* Sets the count of occupied slots from the slots themselves. */
void keytable_recount(struct tab *t);
/* Looks h up the way readers do: true when a slot of h holds loc, or (range, loc a day) a
 * range covering it. hdr and slots may be a copy of a table. */
bool keytable_holds(const struct keytable_hdr *hdr, const struct keytable_slot *slots, uint64_t h,
		    uint64_t loc, bool range);
/* A reader's view of table file of ws (readers take no lock): mapped shared through the
 * process's mappings (lib/store/mapcache.h), so a lookup costs one stat once mapped, and none
 * under a look (store_look) that found it; its header checked, and its size the one the header
 * gives. Give *mc back with mapcache_put. NULL, errno
 * set (ENOENT: there is no table), when it cannot be read. */
const struct keytable_hdr *keytable_view(struct store *st, const char *ws, enum layout_file file,
					 uint64_t look, struct mapcache_ent **mc);
/* Linear probing over a reader's view, whose slots change under it (each is read h first,
 * loc second, the reverse of how a writer fills it): the next slot of hash h from *i on (*n
 * slots seen so far). True with *out filled; false at an empty slot (h is not there). Start
 * with *i = h & (nslots - 1), *n = 0. */
bool keytable_probe(const struct keytable_hdr *hdr, uint64_t h, uint64_t *i, uint64_t *n,
		    struct keytable_slot *out);

/* The three tables a writer keeps current. In a judgement store (judged), the sessions'
 * table also holds the day range of each span judged (a record's parent_h): a span's
 * judgements are found on those days (store_key_days, STORE_KEY_SESSION with the span id). */
struct keytable_set {
	struct tab id, tr, se;
	bool judged;
};
#define TAB_SET_CLOSED                                                                             \
	{                                                                                          \
		.id = {.fd = -1}, .tr = {.fd = -1}, .se = {.fd = -1}, .judged = false              \
	}
enum status keytable_open_all(struct store *st, const char *ws, struct keytable_set *t);
void keytable_close_all(struct keytable_set *t);
/* Room for n more keys in each of the three tables (2n in a judgement store's sessions'). */
enum status keytable_reserve_all(struct store *st, const char *ws, struct keytable_set *t,
				 size_t n);
/* Enters record r of day into the trace and session range tables (and a judgement's span). */
void keytable_add_ranges(struct keytable_set *t, const struct idx_rec *r, int32_t day);

#endif
