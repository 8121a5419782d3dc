/* keytable: the keyed table files (see keytable.h; the reasons are in docs/FORMAT.md, "The id
 * table" and "The trace and session range tables"). A table is replaced whole by writing it
 * aside and renaming it, so a reader holding the old one keeps a consistent snapshot. */
#include "lib/store/keytable.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/store/io.h"
#include "lib/store/layout.h"
#include "lib/store/mapcache.h"
#include "lib/store/record.h"

_Static_assert(sizeof(struct keytable_hdr) == STORE_TAB_HDR, "table header is 64 bytes");
_Static_assert(sizeof(struct keytable_slot) == STORE_TAB_SLOT, "table slot is 16 bytes");
_Static_assert(offsetof(struct keytable_hdr, count) == STORE_TAB_COUNT_AT,
	       "count where store.h says");
_Static_assert(offsetof(struct keytable_hdr, boot) == STORE_TAB_BOOT_AT, "boot where store.h says");

bool keytable_hdr_ok(const struct keytable_hdr *h)
{
	return !memcmp(h->magic, TAB_MAGIC, 8) && h->version == TAB_VERSION &&
	       h->endian == ENDIAN_TAG && h->nslots >= TAB_MIN_SLOTS &&
	       (h->nslots & (h->nslots - 1)) == 0 && h->count < h->nslots;
}

static size_t keytable_size(uint64_t nslots)
{
	return STORE_TAB_HDR + nslots * sizeof(struct keytable_slot);
}

/* Writable mappings of tables a process keeps between its batches, by the file's device and
 * inode. A batch of new spans stores into hundreds of random pages of each table: mapped
 * afresh, each is a page fault, and the unmapping a TLB flush on every CPU; together they were
 * a fifth of a batch's time (2 ms of munmap and ~800 faults a batch of 1000 at 200k spans).
 * The mapping holds the inode, so its number cannot name another file while kept; a table
 * renamed over (grown by another writer, rebuilt) is simply not found again, and is unmapped
 * when it is the least recently used of KT_KEEP. */
#define KT_KEEP 12 /* three tables of four workspaces */
static struct kt_kept {
	dev_t dev;
	ino_t ino;
	size_t len;
	void *map;
	uint64_t used;
} kt_kept[KT_KEEP];
static uint64_t kt_tick;

/* The kept mapping of (dev, ino) of len bytes, taken out of the set; NULL when none. */
static void *kept_take(dev_t dev, ino_t ino, size_t len)
{
	for (int i = 0; i < KT_KEEP; i++) {
		struct kt_kept *k = &kt_kept[i];
		if (k->map && k->dev == dev && k->ino == ino) {
			void *m = k->map;
			k->map = NULL;
			if (k->len == len)
				return m;
			munmap(m, k->len);
		}
	}
	return NULL;
}

/* Keeps mapping m of t's file, unmapping the least recently used when the set is full. */
static void kept_put(const struct tab *t, void *m)
{
	struct kt_kept *k = &kt_kept[0];
	for (int i = 0; i < KT_KEEP; i++) {
		if (!kt_kept[i].map) {
			k = &kt_kept[i];
			break;
		}
		if (kt_kept[i].used < k->used)
			k = &kt_kept[i];
	}
	if (k->map)
		munmap(k->map, k->len);
	*k = (struct kt_kept){t->dev, t->ino, t->maplen, m, ++kt_tick};
}

static enum status keytable_map(struct tab *t, int fd)
{
	struct stat sb;
	struct keytable_hdr h;
	t->fd = fd;
	if (fstat(fd, &sb) < 0) {
		errno = EINVAL;
		return ST_UNAVAILABLE;
	}
	t->dev = sb.st_dev;
	t->ino = sb.st_ino;
	void *m = kept_take(sb.st_dev, sb.st_ino, (size_t)sb.st_size);
	if (m) {
		h = *(struct keytable_hdr *)m;
	} else if (io_pread_all(fd, &h, sizeof(h), 0) < 0) {
		errno = EINVAL;
		return ST_UNAVAILABLE;
	}
	if (!keytable_hdr_ok(&h) || (uint64_t)sb.st_size != keytable_size(h.nslots)) {
		if (m)
			munmap(m, (size_t)sb.st_size);
		errno = EINVAL;
		return ST_UNAVAILABLE;
	}
	t->maplen = (size_t)sb.st_size;
	if (!m &&
	    (m = mmap(NULL, t->maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED)
		return ST_UNAVAILABLE;
	t->hdr = m;
	t->slots = (struct keytable_slot *)((char *)m + STORE_TAB_HDR);
	return ST_OK;
}

/* Creates an empty table of nslots in a temporary file; fully allocated so that stores into
 * the mapping can never fault on a full disk. boot: the header's (io_boot_id(), or 0 for a
 * table that says it is stale). Returns its fd, or -1. */
static int keytable_create_tmp(const char *tmp, uint64_t nslots, int64_t last_ingested,
			       uint64_t boot)
{
	int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	struct keytable_hdr h;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, TAB_MAGIC, 8);
	h.version = TAB_VERSION;
	h.endian = ENDIAN_TAG;
	h.nslots = nslots;
	h.last_ingested = last_ingested;
	h.boot = boot;
	int e = posix_fallocate(fd, 0, (off_t)keytable_size(nslots));
	if (e || io_pwrite_all(fd, &h, sizeof(h), 0) < 0) {
		if (e)
			errno = e;
		e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	return fd;
}

/* The table's path and the one it is written under before the rename. */
static bool keytable_paths(struct store *st, const char *ws, enum layout_file file, char *p,
			   char *tmp)
{
	return layout_path(p, st, ws, file) && layout_path(tmp, st, ws, layout_tmp(file));
}

enum status keytable_open(struct store *st, const char *ws, enum layout_file file, struct tab *t)
{
	char p[PATH_MAX], tmp[PATH_MAX];
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->file = file;
	if (!keytable_paths(st, ws, file, p, tmp))
		return ST_BAD_REQUEST;
	int fd = open(p, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		/* A table missing beside days of records (removed by hand, or a copy of the lines
		 * and indexes alone) starts stale, as after a reboot: readers scan the days and
		 * settle_prepare rebuilds it from them, where an empty current table would name
		 * none of the stored spans (a get by id of every one of them a 404). */
		int32_t *days;
		size_t nd = 0;
		bool has_days = layout_shard_days(st, ws, &days, &nd) != ST_OK || nd > 0;
		free(days);
		fd = keytable_create_tmp(tmp, TAB_MIN_SLOTS, 0, has_days ? 0 : io_boot_id());
		if (fd >= 0 && rename(tmp, p) < 0) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0)
		return ST_UNAVAILABLE;
	enum status rc = keytable_map(t, fd);
	if (rc != ST_OK) {
		int e = errno;
		keytable_close(t); /* closes fd */
		errno = e;
	}
	return rc;
}

/* Closes t; its mapping is kept for the next open of the same file (keep) or unmapped. */
static void keytable_release(struct tab *t, bool keep)
{
	enum layout_file file = t->file;
	if (t->hdr && keep)
		kept_put(t, t->hdr);
	else if (t->hdr)
		munmap(t->hdr, t->maplen);
	if (t->fd >= 0)
		close(t->fd);
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->file = file;
}

void keytable_close(struct tab *t)
{
	keytable_release(t, true);
}

/* Places (h, loc) in a table known not to hold h (rehash and rebuild). */
static void keytable_place(struct keytable_slot *slots, uint64_t nslots, uint64_t h, uint64_t loc)
{
	uint64_t mask = nslots - 1, i = h & mask;
	while (slots[i].h)
		i = (i + 1) & mask;
	slots[i].loc = loc;
	slots[i].h = h;
}

enum status keytable_replace(struct store *st, const char *ws, struct tab *t, uint64_t nslots,
			     const struct keytable_slot *src, uint64_t nsrc, int64_t last_ingested)
{
	char p[PATH_MAX], tmp[PATH_MAX];
	if (!keytable_paths(st, ws, t->file, p, tmp))
		return ST_BAD_REQUEST;
	int fd = keytable_create_tmp(tmp, nslots, last_ingested, io_boot_id());
	if (fd < 0)
		return ST_UNAVAILABLE;
	struct tab nt = {.fd = -1, .file = t->file};
	enum status rc = keytable_map(&nt, fd);
	if (rc != ST_OK) {
		close(fd);
		unlink(tmp);
		return rc;
	}
	uint64_t count = 0;
	for (uint64_t i = 0; i < nsrc; i++) {
		if (!src[i].h)
			continue;
		keytable_place(nt.slots, nslots, src[i].h, src[i].loc);
		count++;
	}
	nt.hdr->count = count;
	/* Readers holding the old table keep a consistent (older) snapshot; rename is atomic. */
	if (rename(tmp, p) < 0) {
		keytable_release(&nt, false);
		unlink(tmp);
		return ST_UNAVAILABLE;
	}
	keytable_release(t, false); /* renamed over: never opened again */
	*t = nt;
	return ST_OK;
}

enum status keytable_reserve(struct store *st, const char *ws, struct tab *t, size_t n)
{
	uint64_t need = t->hdr->count + n, nslots = t->hdr->nslots;
	while (need * 100 > nslots * TAB_LOAD_PCT)
		nslots *= 2;
	if (nslots == t->hdr->nslots)
		return ST_OK;
	return keytable_replace(st, ws, t, nslots, t->slots, t->hdr->nslots, t->hdr->last_ingested);
}

enum status keytable_write(struct store *st, const char *ws, enum layout_file file,
			   const struct keytable_slot *e, size_t n, int64_t last_ingested)
{
	uint64_t nslots = TAB_MIN_SLOTS;
	while ((uint64_t)n * 100 > nslots * TAB_LOAD_PCT)
		nslots *= 2;
	struct tab t = {.fd = -1, .file = file};
	enum status rc = keytable_replace(st, ws, &t, nslots, e, n, last_ingested);
	/* Synced: a rebuild is the recovery path, and batches do not sync the table. */
	if (rc == ST_OK && msync(t.hdr, t.maplen, MS_SYNC) < 0)
		rc = ST_UNAVAILABLE;
	keytable_close(&t);
	return rc;
}

/* Publishes (h, loc) in the empty slot s: location first, then the hash, so that a reader
 * never sees a half-made slot. */
static void slot_publish(struct tab *t, struct keytable_slot *s, uint64_t h, uint64_t loc)
{
	__atomic_store_n(&s->loc, loc, __ATOMIC_RELEASE);
	__atomic_store_n(&s->h, h, __ATOMIC_RELEASE);
	t->hdr->count++;
}

enum status keytable_upsert(struct tab *t, uint64_t h, uint64_t loc, keytable_same_fn same,
			    void *ctx)
{
	uint64_t mask = t->hdr->nslots - 1;
	for (uint64_t i = h & mask;; i = (i + 1) & mask) {
		struct keytable_slot *s = &t->slots[i];
		uint64_t sh = __atomic_load_n(&s->h, __ATOMIC_ACQUIRE);
		if (sh == 0) {
			slot_publish(t, s, h, loc);
			return ST_OK;
		}
		if (sh != h)
			continue;
		if (s->loc == loc)
			return ST_OK;
		int k = same(ctx, s->loc);
		if (k < 0)
			return ST_UNAVAILABLE;
		if (!k)
			continue; /* a different key with the same 64-bit hash */
		__atomic_store_n(&s->loc, loc, __ATOMIC_RELEASE);
		return ST_OK;
	}
}

void keytable_widen(struct tab *t, uint64_t h, int32_t day)
{
	uint64_t mask = t->hdr->nslots - 1;
	for (uint64_t i = h & mask;; i = (i + 1) & mask) {
		struct keytable_slot *s = &t->slots[i];
		uint64_t sh = __atomic_load_n(&s->h, __ATOMIC_ACQUIRE);
		if (sh == 0) {
			slot_publish(t, s, h, RANGE(day, day));
			return;
		}
		if (sh != h)
			continue;
		uint64_t v = s->loc;
		int32_t lo = RANGE_LO(v), hi = RANGE_HI(v);
		if (day < lo || day > hi)
			__atomic_store_n(&s->loc, RANGE(day < lo ? day : lo, day > hi ? day : hi),
					 __ATOMIC_RELEASE);
		return;
	}
}

void keytable_prefetch(const struct tab *t, uint64_t h)
{
	__builtin_prefetch(&t->slots[h & (t->hdr->nslots - 1)]);
}

void keytable_recount(struct tab *t)
{
	uint64_t used = 0;
	for (uint64_t i = 0; i < t->hdr->nslots; i++)
		used += t->slots[i].h != 0;
	t->hdr->count = used;
}

bool keytable_holds(const struct keytable_hdr *hdr, const struct keytable_slot *slots, uint64_t h,
		    uint64_t loc, bool range)
{
	uint64_t mask = hdr->nslots - 1;
	for (uint64_t i = h & mask, k = 0; k < hdr->nslots; i = (i + 1) & mask, k++) {
		const struct keytable_slot *s = &slots[i];
		if (!s->h)
			return false;
		if (s->h != h)
			continue;
		if (!range && s->loc == loc)
			return true;
		if (range)
			return (int32_t)loc >= RANGE_LO(s->loc) && (int32_t)loc <= RANGE_HI(s->loc);
	}
	return false;
}

const struct keytable_hdr *keytable_view(struct store *st, const char *ws, enum layout_file file,
					 uint64_t look, struct mapcache_ent **mc)
{
	char p[PATH_MAX];
	size_t len;
	const struct keytable_hdr *h;
	if (!layout_path(p, st, ws, file) || !(h = mapcache_get_path(p, 0, false, look, &len, mc)))
		return NULL; /* errno set: ENAMETOOLONG for a path too long */
	if (len < sizeof(*h) || !keytable_hdr_ok(h) || len != keytable_size(h->nslots)) {
		mapcache_put(*mc);
		errno = EINVAL;
		return NULL;
	}
	return h;
}

bool keytable_probe(const struct keytable_hdr *hdr, uint64_t h, uint64_t *i, uint64_t *n,
		    struct keytable_slot *out)
{
	const struct keytable_slot *slots = (const void *)((const char *)hdr + STORE_TAB_HDR);
	for (; *n < hdr->nslots; *i = (*i + 1) & (hdr->nslots - 1), (*n)++) {
		const struct keytable_slot *s = &slots[*i];
		out->h = __atomic_load_n(&s->h, __ATOMIC_ACQUIRE);
		out->loc = __atomic_load_n(&s->loc, __ATOMIC_ACQUIRE);
		if (out->h == 0)
			return false;
		if (out->h == h) {
			*i = (*i + 1) & (hdr->nslots - 1);
			(*n)++;
			return true;
		}
	}
	return false;
}

enum status keytable_open_all(struct store *st, const char *ws, struct keytable_set *t)
{
	t->judged = st->kind == STORE_JUDGEMENTS;
	enum status rc = keytable_open(st, ws, LAYOUT_IDS, &t->id);
	if (rc == ST_OK)
		rc = keytable_open(st, ws, LAYOUT_TRACES, &t->tr);
	if (rc == ST_OK)
		rc = keytable_open(st, ws, LAYOUT_SESSIONS, &t->se);
	return rc;
}

void keytable_close_all(struct keytable_set *t)
{
	keytable_close(&t->id);
	keytable_close(&t->tr);
	keytable_close(&t->se);
}

enum status keytable_reserve_all(struct store *st, const char *ws, struct keytable_set *t, size_t n)
{
	enum status rc = keytable_reserve(st, ws, &t->id, n);
	if (rc == ST_OK)
		rc = keytable_reserve(st, ws, &t->tr, n);
	if (rc == ST_OK)
		rc = keytable_reserve(st, ws, &t->se, t->judged ? 2 * n : n);
	return rc;
}

void keytable_add_ranges(struct keytable_set *t, const struct idx_rec *r, int32_t day)
{
	if (r->flags & REC_HAS_TRACE)
		keytable_widen(&t->tr, r->trace_h, day);
	/* A judgement may name no session (0, the empty slot's hash): nothing to widen. */
	if (r->session_h)
		keytable_widen(&t->se, r->session_h, day);
	if (t->judged && r->parent_h)
		keytable_widen(&t->se, r->parent_h, day);
}
