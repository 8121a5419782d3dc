/* store_write: the write path. A batch is appended under the workspace lock and the locks of
 * its shards: data lines, then index records, then the commit count, then the id table.
 * A journal names the batch until it is complete, so the next writer can finish it. */
#include "lib/store/store.h"
#include "lib/store/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/json/jsonw.h"
#include "lib/model/workspace.h"

/* Journal entry: the shard and its committed count when the batch began. */
struct jent {
	int32_t day;
	uint32_t start;
};

int ws_lock(struct store *st, const char *ws, bool create)
{
	char p[PATH_MAX];
	if (!store_path(p, st, ws, "lock")) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(p, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0640);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
	}
	return fd;
}

int lock_fd(int fd)
{
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* ---- shards ---- */

int read_rec(int fd, uint64_t i, struct idx_rec *r)
{
	return pread_all(fd, r, sizeof(*r), IDX_HDR + (off_t)(i * sizeof(*r)));
}

enum status wshard_open(struct store *st, const char *ws, int32_t day, bool roll_forward,
			struct wshard *w)
{
	char p[PATH_MAX];
	memset(w, 0, sizeof(*w));
	w->day = day;
	w->idx_fd = w->d.fd = -1;
	enum status rc = ST_UNAVAILABLE;
	struct stat ds, is;
	struct idx_hdr h;
	if (!shard_path(p, st, ws, day, "idx"))
		return ST_BAD_REQUEST;
	/* The index first: under its lock the header says where the lines go (the plain file
	 * of an open shard, or the late file of a sealed one), and no seal moves them. */
	w->idx_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (w->idx_fd < 0 || lock_fd(w->idx_fd) < 0 || fstat(w->idx_fd, &is) < 0)
		goto out;
	if (is.st_size < IDX_HDR) {
		/* A new shard. Data without an index is never truncated here: that needs reindex.
		 */
		if (!shard_path(p, st, ws, day, "jsonl"))
			goto out;
		if (stat(p, &ds) == 0 && ds.st_size > 0) {
			errno = ENOENT;
			goto out;
		}
		idx_hdr_init(&h, day);
		if (ftruncate(w->idx_fd, 0) < 0 || pwrite_all(w->idx_fd, &h, sizeof(h), 0) < 0)
			goto out;
		w->created = true;
		is.st_size = IDX_HDR;
	} else if (pread_all(w->idx_fd, &h, sizeof(h), 0) < 0 || !idx_hdr_ok(&h)) {
		errno = EINVAL;
		goto out;
	}
	if ((rc = sdata_open(st, ws, day, &h, true, &w->d)) != ST_OK ||
	    (w->d.fd >= 0 && fstat(w->d.fd, &ds) < 0)) {
		rc = ST_UNAVAILABLE;
		goto out;
	}
	rc = ST_UNAVAILABLE;
	uint64_t base = w->d.base, size = base + (w->d.fd >= 0 ? (uint64_t)ds.st_size : 0);
	uint64_t have = (uint64_t)(is.st_size - IDX_HDR) / sizeof(struct idx_rec);
	uint64_t committed = h.committed < have ? h.committed : have;
	uint64_t end = base;
	struct idx_rec r;
	/* Walk back over committed records whose data is not all there (only after a machine
	 * crash that lost unsynced data; acknowledged records were fdatasync'ed). Sealed
	 * records are all there. */
	while (committed > h.sealed_recs) {
		if (read_rec(w->idx_fd, committed - 1, &r) < 0)
			goto out;
		end = r.off + r.len + 1;
		if (end <= size)
			break;
		committed--;
		end = base;
	}
	/* Crash recovery: complete records past the commit point that the journal names. */
	while (roll_forward && committed < have) {
		char nl;
		if (read_rec(w->idx_fd, committed, &r) < 0)
			goto out;
		if (idx_rec_crc(&r) != r.crc || r.off != end || r.off + r.len + 1 > size ||
		    sdata_read(&w->d, r.off + r.len, &nl, 1) < 0 || nl != '\n')
			break;
		committed++;
		end = r.off + r.len + 1;
	}
	/* Drop the torn tail: bytes no committed record covers were never acknowledged. */
	if ((uint64_t)is.st_size != IDX_HDR + committed * sizeof(struct idx_rec) &&
	    ftruncate(w->idx_fd, (off_t)(IDX_HDR + committed * sizeof(struct idx_rec))) < 0)
		goto out;
	if (size != end && ftruncate(w->d.fd, (off_t)(end - base)) < 0)
		goto out;
	if (h.committed != committed) {
		h.committed = committed;
		if (pwrite_all(w->idx_fd, &h, sizeof(h), 0) < 0)
			goto out;
	}
	w->committed = w->committed0 = committed;
	w->data_end = w->data_end0 = end;
	rc = ST_OK;
out:
	if (rc != ST_OK) {
		int e = errno;
		wshard_close(w);
		errno = e;
	}
	return rc;
}

/* Creates the late file of a sealed shard for its first late line (a writer that only marks
 * a sealed version superseded never needs one). */
static int wshard_late(struct store *st, const char *ws, struct wshard *w)
{
	char p[PATH_MAX];
	if (!shard_path(p, st, ws, w->day, "late.jsonl")) {
		errno = ENAMETOOLONG;
		return -1;
	}
	w->d.fd = open(p, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	w->created = true;
	return w->d.fd < 0 ? -1 : 0;
}

void wshard_close(struct wshard *w)
{
	/* Closing the index descriptor releases the shard lock. */
	sdata_close(&w->d);
	if (w->idx_fd >= 0)
		close(w->idx_fd);
	w->idx_fd = -1;
}

/* The shards one write touches, opened on demand and kept until the end of the write. */
struct wctx {
	struct store *st;
	const char *ws;
	struct wshard *sh;
	size_t n, cap;
	bool roll_forward;
};

static struct wshard *wctx_shard(struct wctx *c, int32_t day)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->sh[i].day == day)
			return &c->sh[i];
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->sh = xrealloc(c->sh, c->cap * sizeof(*c->sh));
	}
	if (wshard_open(c->st, c->ws, day, c->roll_forward, &c->sh[c->n]) != ST_OK)
		return NULL;
	return &c->sh[c->n++];
}

/* An existing shard, without creating one (a deleted day is simply gone). */
static struct wshard *wctx_existing(struct wctx *c, int32_t day)
{
	char p[PATH_MAX];
	for (size_t i = 0; i < c->n; i++)
		if (c->sh[i].day == day)
			return &c->sh[i];
	if (!shard_path(p, c->st, c->ws, day, "idx") || access(p, F_OK) < 0)
		return NULL;
	return wctx_shard(c, day);
}

static void wctx_close(struct wctx *c)
{
	for (size_t i = 0; i < c->n; i++)
		wshard_close(&c->sh[i]);
	free(c->sh);
	c->sh = NULL;
	c->n = c->cap = 0;
}

/* ---- the id table ---- */

bool ids_hdr_ok(const struct ids_hdr *h)
{
	return !memcmp(h->magic, IDS_MAGIC, 8) && h->version == IDS_VERSION &&
	       h->endian == ENDIAN_TAG && h->nslots >= IDS_MIN_SLOTS &&
	       (h->nslots & (h->nslots - 1)) == 0 && h->count < h->nslots;
}

static size_t ids_size(uint64_t nslots)
{
	return IDS_HDR + nslots * sizeof(struct ids_slot);
}

static enum status ids_map(struct ids *t, int fd)
{
	struct stat sb;
	struct ids_hdr h;
	t->fd = fd;
	if (fstat(fd, &sb) < 0 || pread_all(fd, &h, sizeof(h), 0) < 0 || !ids_hdr_ok(&h) ||
	    (uint64_t)sb.st_size != ids_size(h.nslots)) {
		errno = EINVAL;
		return ST_UNAVAILABLE;
	}
	t->maplen = (size_t)sb.st_size;
	void *m = mmap(NULL, t->maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return ST_UNAVAILABLE;
	t->hdr = m;
	t->slots = (struct ids_slot *)((char *)m + IDS_HDR);
	return ST_OK;
}

/* Creates an empty table of nslots in a temporary file; fully allocated so that stores into
 * the mapping can never fault on a full disk. Returns its fd, or -1. */
static int ids_create_tmp(const char *tmp, uint64_t nslots, int64_t last_ingested)
{
	int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	struct ids_hdr h;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, IDS_MAGIC, 8);
	h.version = IDS_VERSION;
	h.endian = ENDIAN_TAG;
	h.nslots = nslots;
	h.last_ingested = last_ingested;
	h.boot = boot_id();
	int e = posix_fallocate(fd, 0, (off_t)ids_size(nslots));
	if (e || pwrite_all(fd, &h, sizeof(h), 0) < 0) {
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

static bool tab_paths(struct store *st, const char *ws, const char *name, char *p, char *tmp)
{
	char t[64];
	snprintf(t, sizeof(t), "%s.tmp", name);
	return store_path(p, st, ws, name) && store_path(tmp, st, ws, t);
}

enum status ids_open(struct store *st, const char *ws, const char *name, struct ids *t)
{
	char p[PATH_MAX], tmp[PATH_MAX];
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->name = name;
	if (!tab_paths(st, ws, name, p, tmp))
		return ST_BAD_REQUEST;
	int fd = open(p, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		fd = ids_create_tmp(tmp, IDS_MIN_SLOTS, 0);
		if (fd >= 0 && rename(tmp, p) < 0) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0)
		return ST_UNAVAILABLE;
	enum status rc = ids_map(t, fd);
	if (rc != ST_OK) {
		int e = errno;
		ids_close(t);
		close(fd);
		errno = e;
	}
	return rc;
}

void ids_close(struct ids *t)
{
	const char *name = t->name;
	if (t->hdr)
		munmap(t->hdr, t->maplen);
	if (t->fd >= 0)
		close(t->fd);
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->name = name;
}

void tabs_close(struct tabs *t)
{
	ids_close(&t->id);
	ids_close(&t->tr);
	ids_close(&t->se);
}

/* Places (h, loc) in a table known not to hold h (rehash and rebuild). */
static void ids_place(struct ids_slot *slots, uint64_t nslots, uint64_t h, uint64_t loc)
{
	uint64_t mask = nslots - 1, i = h & mask;
	while (slots[i].h)
		i = (i + 1) & mask;
	slots[i].loc = loc;
	slots[i].h = h;
}

/* Writes a new table with the given live entries (slots with h != 0 from src, or the
 * array ents) and renames it over ids.tab; t is remapped onto it. */
enum status ids_replace(struct store *st, const char *ws, struct ids *t, uint64_t nslots,
			const struct ids_slot *src, uint64_t nsrc, int64_t last_ingested)
{
	char p[PATH_MAX], tmp[PATH_MAX];
	if (!tab_paths(st, ws, t->name, p, tmp))
		return ST_BAD_REQUEST;
	int fd = ids_create_tmp(tmp, nslots, last_ingested);
	if (fd < 0)
		return ST_UNAVAILABLE;
	struct ids nt = {.fd = -1, .name = t->name};
	enum status rc = ids_map(&nt, fd);
	if (rc != ST_OK) {
		close(fd);
		unlink(tmp);
		return rc;
	}
	uint64_t count = 0;
	for (uint64_t i = 0; i < nsrc; i++) {
		if (!src[i].h)
			continue;
		ids_place(nt.slots, nslots, src[i].h, src[i].loc);
		count++;
	}
	nt.hdr->count = count;
	/* Readers holding the old table keep a consistent (older) snapshot; rename is atomic. */
	if (rename(tmp, p) < 0) {
		ids_close(&nt);
		unlink(tmp);
		return ST_UNAVAILABLE;
	}
	ids_close(t);
	*t = nt;
	return ST_OK;
}

/* Grows the table so that n more entries keep the load under IDS_LOAD_PCT. */
static enum status ids_reserve(struct store *st, const char *ws, struct ids *t, size_t n)
{
	uint64_t need = t->hdr->count + n, nslots = t->hdr->nslots;
	while (need * 100 > nslots * IDS_LOAD_PCT)
		nslots *= 2;
	if (nslots == t->hdr->nslots)
		return ST_OK;
	return ids_replace(st, ws, t, nslots, t->slots, t->hdr->nslots, t->hdr->last_ingested);
}

/* Reads the start of record rec's line and compares its span id with lit. */
static int rec_same_id(struct wshard *w, const struct idx_rec *r, const struct buf *lit)
{
	size_t want = lit->len + 16 < r->len ? lit->len + 16 : r->len;
	char *tmp = xmalloc(want);
	int same = sdata_read(&w->d, r->off, tmp, want) < 0 ? -1 : line_has_id(tmp, want, lit);
	free(tmp);
	return same;
}

/* Points h at loc. When the slot already names an older version of the same span, that
 * version is marked superseded. Idempotent, so crash recovery can replay it. */
static enum status ids_upsert(struct wctx *c, struct ids *t, uint64_t h, const struct buf *lit,
			      uint64_t loc)
{
	uint64_t mask = t->hdr->nslots - 1;
	for (uint64_t i = h & mask;; i = (i + 1) & mask) {
		struct ids_slot *s = &t->slots[i];
		uint64_t sh = __atomic_load_n(&s->h, __ATOMIC_ACQUIRE);
		if (sh == 0) {
			/* Location first, then the hash: a reader never sees a half-made slot. */
			__atomic_store_n(&s->loc, loc, __ATOMIC_RELEASE);
			__atomic_store_n(&s->h, h, __ATOMIC_RELEASE);
			t->hdr->count++;
			return ST_OK;
		}
		if (sh != h)
			continue;
		uint64_t old = s->loc;
		if (old == loc)
			return ST_OK;
		struct wshard *w = wctx_existing(c, LOC_DAY(old));
		struct idx_rec r;
		bool live = w && LOC_REC(old) < w->committed &&
			    read_rec(w->idx_fd, LOC_REC(old), &r) == 0 && r.span_h == h;
		if (live) {
			int same = rec_same_id(w, &r, lit);
			if (same < 0)
				return ST_UNAVAILABLE;
			if (!same)
				continue; /* a different span with the same 64-bit hash */
			r.flags |= REC_SUPERSEDED;
			if (pwrite_all(w->idx_fd, &r.flags, sizeof(r.flags),
				       IDX_HDR + (off_t)(LOC_REC(old) * sizeof(r)) +
					   (off_t)offsetof(struct idx_rec, flags)) < 0)
				return ST_UNAVAILABLE;
		}
		/* Same span (or a slot left behind by a deleted day): point it at the new one. */
		__atomic_store_n(&s->loc, loc, __ATOMIC_RELEASE);
		return ST_OK;
	}
}

/* Widens the day range of key h to include day (a range table); idempotent. */
static void range_add(struct ids *t, uint64_t h, int32_t day)
{
	uint64_t mask = t->hdr->nslots - 1;
	for (uint64_t i = h & mask;; i = (i + 1) & mask) {
		struct ids_slot *s = &t->slots[i];
		uint64_t sh = __atomic_load_n(&s->h, __ATOMIC_ACQUIRE);
		if (sh == 0) {
			__atomic_store_n(&s->loc, RANGE(day, day), __ATOMIC_RELEASE);
			__atomic_store_n(&s->h, h, __ATOMIC_RELEASE);
			t->hdr->count++;
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

/* Enters record r of day into the trace and session range tables. */
static void ranges_add(struct tabs *t, const struct idx_rec *r, int32_t day)
{
	if (r->flags & REC_HAS_TRACE)
		range_add(&t->tr, r->trace_h, day);
	range_add(&t->se, r->session_h, day);
}

/* Room for n more keys in each of the three tables. */
static enum status tabs_reserve(struct store *st, const char *ws, struct tabs *t, size_t n)
{
	enum status rc = ids_reserve(st, ws, &t->id, n);
	if (rc == ST_OK)
		rc = ids_reserve(st, ws, &t->tr, n);
	if (rc == ST_OK)
		rc = ids_reserve(st, ws, &t->se, n);
	return rc;
}

/* Reads the span id literal of record r of shard w (for recovery, which has no spans). */
enum status rec_id_lit(struct sdata *d, const struct idx_rec *r, struct buf *lit)
{
	/* The line starts {"span_id":"..." and the literal ends at the first unescaped quote. */
	lit->len = 0;
	size_t want = r->len < 8192 ? r->len : 8192;
	char *tmp = xmalloc(want);
	enum status rc = ST_UNAVAILABLE;
	if (sdata_read(d, r->off, tmp, want) < 0 || want < 13 || memcmp(tmp, "{\"span_id\":\"", 12))
		goto out;
	for (size_t i = 12; i < want; i++) {
		if (tmp[i] == '\\') {
			i++;
			continue;
		}
		if (tmp[i] == '"') {
			buf_add(lit, tmp + 11, i - 10);
			rc = ST_OK;
			break;
		}
	}
out:
	free(tmp);
	return rc;
}

/* ---- the journal ---- */

static int journal_open(struct store *st, const char *ws)
{
	char p[PATH_MAX];
	if (!store_path(p, st, ws, "journal"))
		return -1;
	return open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
}

/* Finishes an interrupted batch: its complete records are committed and entered in the id
 * table (roll forward); torn bytes after them are dropped. */
static enum status journal_recover(struct store *st, const char *ws, int jfd, struct tabs *t)
{
	struct stat sb;
	if (fstat(jfd, &sb) < 0)
		return ST_UNAVAILABLE;
	size_t n = (size_t)sb.st_size / sizeof(struct jent);
	if (!n)
		return sb.st_size ? (ftruncate(jfd, 0) < 0 ? ST_UNAVAILABLE : ST_OK) : ST_OK;
	struct jent *j = xmalloc(n * sizeof(*j));
	struct wctx c = {.st = st, .ws = ws, .roll_forward = true};
	struct buf lit;
	buf_init(&lit);
	enum status rc = ST_UNAVAILABLE;
	if (pread_all(jfd, j, n * sizeof(*j), 0) < 0)
		goto out;
	/* Open (and so settle) every shard of the batch before replaying any of it. */
	for (size_t i = 0; i < n; i++)
		if (!wctx_shard(&c, j[i].day))
			goto out;
	for (size_t i = 0; i < n; i++) {
		struct wshard *w = wctx_shard(&c, j[i].day);
		for (uint64_t k = j[i].start; k < w->committed; k++) {
			struct idx_rec r;
			if (read_rec(w->idx_fd, k, &r) < 0 || rec_id_lit(&w->d, &r, &lit) != ST_OK)
				goto out;
			if (tabs_reserve(st, ws, t, 1) != ST_OK ||
			    ids_upsert(&c, &t->id, r.span_h, &lit, LOC(j[i].day, k)) != ST_OK)
				goto out;
			ranges_add(t, &r, j[i].day);
			if (r.ingested_us > t->id.hdr->last_ingested)
				t->id.hdr->last_ingested = r.ingested_us;
		}
	}
	/* A writer killed between publishing a slot and counting it left the count one short,
	 * and the replay finds the slot already there: count the slots again. */
	struct ids *tabs[] = {&t->id, &t->tr, &t->se};
	for (size_t k = 0; k < sizeof(tabs) / sizeof(*tabs); k++) {
		uint64_t used = 0;
		for (uint64_t i = 0; i < tabs[k]->hdr->nslots; i++)
			used += tabs[k]->slots[i].h != 0;
		tabs[k]->hdr->count = used;
	}
	rc = ftruncate(jfd, 0) < 0 ? ST_UNAVAILABLE : ST_OK;
out:
	buf_free(&lit);
	wctx_close(&c);
	free(j);
	return rc;
}

/* ---- append ---- */

struct pending {
	size_t span; /* index in the caller's array */
	int32_t day;
	size_t lo, ll; /* rendered line (without ingested_at and the closing brace) in lines */
};

static int cmp_pending(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;
	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return (x->span > y->span) - (x->span < y->span);
}

static int mkdir_p2(struct store *st, const char *ws)
{
	char p[PATH_MAX];
	if (mkdir(st->root, 0750) < 0 && errno != EEXIST)
		return -1;
	if (!store_path(p, st, NULL, ws)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mkdir(p, 0750) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

void sync_dir(struct store *st, const char *ws)
{
	char p[PATH_MAX];
	if (!store_path(p, st, NULL, ws))
		return;
	int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static enum status tabs_open(struct store *st, const char *ws, struct tabs *t)
{
	enum status rc = ids_open(st, ws, "ids.tab", &t->id);
	if (rc == ST_OK)
		rc = ids_open(st, ws, "traces.tab", &t->tr);
	if (rc == ST_OK)
		rc = ids_open(st, ws, "sessions.tab", &t->se);
	return rc;
}

/* Opens the tables under the workspace lock, rebuilding them after a reboot and finishing an
 * interrupted batch. Shared by writers and verify. */
enum status ws_prepare(struct store *st, const char *ws, struct tabs *t, int *jfd)
{
	enum status rc = tabs_open(st, ws, t);
	if (rc != ST_OK)
		return rc;
	*jfd = journal_open(st, ws);
	if (*jfd < 0)
		return ST_UNAVAILABLE;
	rc = journal_recover(st, ws, *jfd, t);
	uint64_t boot = boot_id();
	if (rc == ST_OK &&
	    (t->id.hdr->boot != boot || t->tr.hdr->boot != boot || t->se.hdr->boot != boot)) {
		tabs_close(t);
		rc = ids_rebuild(st, ws);
		if (rc == ST_OK)
			rc = tabs_open(st, ws, t);
	}
	return rc;
}

enum status store_append(struct store *st, const char *ws, struct span *spans, size_t n,
			 struct err *e)
{
	if (!workspace_valid(ws))
		return err_set(e, ST_BAD_REQUEST, "invalid workspace name '%s'", ws);
	if (!n)
		return ST_OK;
	/* Render outside every lock; only ingested_at, the last field, waits for the lock. */
	struct buf lines;
	buf_init(&lines);
	struct pending *pd = xmalloc(n * sizeof(*pd));
	for (size_t i = 0; i < n; i++) {
		int64_t keep = spans[i].ingested_at;
		spans[i].ingested_at = SPAN_NONE_I64;
		pd[i].span = i;
		pd[i].day = time_day(spans[i].started_at);
		pd[i].lo = lines.len;
		span_render(&spans[i], &lines);
		lines.len--; /* the closing brace comes back with ingested_at */
		pd[i].ll = lines.len - pd[i].lo;
		spans[i].ingested_at = keep;
	}
	qsort(pd, n, sizeof(*pd), cmp_pending);

	enum status rc = ST_UNAVAILABLE;
	int lockfd = -1, jfd = -1;
	struct tabs t = {{.fd = -1}, {.fd = -1}, {.fd = -1}};
	struct wctx c = {.st = st, .ws = ws};
	struct jent *jents = xmalloc(n * sizeof(*jents));
	size_t nj = 0;
	struct buf data, lit;
	buf_init(&data);
	buf_init(&lit);
	struct idx_rec *recs = xmalloc(n * sizeof(*recs));
	uint64_t *locs = xmalloc(n * sizeof(*locs));

	if (mkdir_p2(st, ws) < 0 || (lockfd = ws_lock(st, ws, true)) < 0) {
		rc = err_set(e, ST_UNAVAILABLE, "%s: %s", "workspace lock", strerror(errno));
		goto out;
	}
	rc = ws_prepare(st, ws, &t, &jfd);
	if (rc == ST_OK)
		rc = tabs_reserve(st, ws, &t, n);
	if (rc != ST_OK) {
		rc = err_set(e, rc, "%s: %s", "id table", strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (i && pd[i].day == pd[i - 1].day)
			continue;
		struct wshard *w = wctx_shard(&c, pd[i].day);
		if (!w) {
			char d[11];
			time_day_format(pd[i].day, d);
			rc = err_set(e, ST_UNAVAILABLE, "%s: %s", d, strerror(errno));
			goto out;
		}
		jents[nj++] = (struct jent){w->day, (uint32_t)w->committed};
	}
	if (pwrite_all(jfd, jents, nj * sizeof(*jents), 0) < 0 ||
	    ftruncate(jfd, (off_t)(nj * sizeof(*jents))) < 0) {
		rc = err_set(e, ST_UNAVAILABLE, "%s: %s", "journal", strerror(errno));
		goto out;
	}
	int64_t base = time_now();
	if (base <= t.id.hdr->last_ingested)
		base = t.id.hdr->last_ingested + 1;

	/* One write of data and one of records per shard, then its commit count. */
	for (size_t i = 0, g; i < n; i = g) {
		struct wshard *w = wctx_shard(&c, pd[i].day);
		data.len = 0;
		for (g = i; g < n && pd[g].day == pd[i].day; g++) {
			struct span *s = &spans[pd[g].span];
			char ts[32];
			s->ingested_at = base + (int64_t)pd[g].span;
			time_format(s->ingested_at, ts);
			size_t off = data.len;
			buf_add(&data, lines.p + pd[g].lo, pd[g].ll);
			buf_printf(&data, ",\"ingested_at\":\"%s\"}", ts);
			struct idx_rec *r = &recs[g - i];
			idx_rec_from_span(s, r);
			r->off = w->data_end + off;
			r->len = (uint32_t)(data.len - off);
			r->crc = idx_rec_crc(r);
			buf_addc(&data, '\n');
			locs[pd[g].span] = LOC(w->day, w->committed + (g - i));
		}
		struct idx_hdr h;
		size_t nr = g - i;
		if ((w->d.fd < 0 && wshard_late(st, ws, w) < 0) ||
		    write_all(w->d.fd, data.p, data.len) < 0 ||
		    pwrite_all(w->idx_fd, recs, nr * sizeof(*recs),
			       IDX_HDR + (off_t)(w->committed * sizeof(*recs))) < 0 ||
		    pread_all(w->idx_fd, &h, sizeof(h), 0) < 0) {
			rc = err_set(e, ST_UNAVAILABLE, "%s: %s", "append", strerror(errno));
			goto rollback;
		}
		h.committed = w->committed + nr;
		if (pwrite_all(w->idx_fd, &h, sizeof(h), 0) < 0) {
			rc = err_set(e, ST_UNAVAILABLE, "%s: %s", "commit", strerror(errno));
			goto rollback;
		}
		w->committed += nr;
		w->data_end += data.len;
		for (size_t k = 0; k < nr; k++)
			ranges_add(&t, &recs[k], w->day);
	}
	/* The id table, in the caller's order so that a later copy of a span wins. */
	for (size_t i = 0; i < n; i++) {
		lit.len = 0;
		jsonw_string(&lit, spans[i].span_id, strlen(spans[i].span_id));
		if (ids_upsert(&c, &t.id, hash_bytes(spans[i].span_id, strlen(spans[i].span_id)),
			       &lit, locs[i]) != ST_OK) {
			/* Committed but not indexed by id: the journal stays for the next writer.
			 */
			rc = err_set(e, ST_UNAVAILABLE, "%s: %s", "id table", strerror(errno));
			goto out;
		}
	}
	t.id.hdr->last_ingested = base + (int64_t)n - 1;
	if (ftruncate(jfd, 0) < 0) {
		rc = err_set(e, ST_UNAVAILABLE, "%s: %s", "journal", strerror(errno));
		goto out;
	}
	/* Release the locks, then make it durable: other writers append meanwhile and the
	 * kernel merges our syncs with theirs. */
	for (size_t i = 0; i < c.n; i++)
		flock(c.sh[i].idx_fd, LOCK_UN);
	tabs_close(&t);
	close(lockfd);
	lockfd = -1;
	rc = ST_OK;
	bool created = false;
	for (size_t i = 0; st->sync && i < c.n; i++) {
		if ((c.sh[i].d.fd >= 0 && fdatasync(c.sh[i].d.fd) < 0) ||
		    fdatasync(c.sh[i].idx_fd) < 0) {
			rc = err_set(e, ST_UNAVAILABLE, "%s: %s", "fdatasync", strerror(errno));
			break;
		}
		created |= c.sh[i].created;
	}
	if (created)
		sync_dir(st, ws);
	goto out;

rollback:
	/* Nothing of a failed batch stays: shards go back to where they were. */
	for (size_t i = 0; i < c.n; i++) {
		struct wshard *w = &c.sh[i];
		struct idx_hdr h;
		if ((w->d.fd < 0 || ftruncate(w->d.fd, (off_t)(w->data_end0 - w->d.base)) == 0) &&
		    ftruncate(w->idx_fd, (off_t)(IDX_HDR + w->committed0 * sizeof(*recs))) == 0 &&
		    pread_all(w->idx_fd, &h, sizeof(h), 0) == 0) {
			h.committed = w->committed0;
			pwrite_all(w->idx_fd, &h, sizeof(h), 0);
		}
	}
	if (ftruncate(jfd, 0) < 0) {
		/* The journal then names the shards, and the next writer settles them. */
	}
out:
	wctx_close(&c);
	tabs_close(&t);
	if (jfd >= 0)
		close(jfd);
	if (lockfd >= 0)
		close(lockfd);
	buf_free(&lines);
	buf_free(&data);
	buf_free(&lit);
	free(pd);
	free(jents);
	free(recs);
	free(locs);
	return rc;
}
