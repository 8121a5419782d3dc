/* writeset: shards opened for writing, the set of them one write holds, and the id table
 * entry of a new version (see writeset.h; the crash rules are in docs/FORMAT.md). */
#include "lib/store/writeset.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/mem.h"
#include "lib/json/jsonw.h"
#include "lib/store/io.h"
#include "lib/store/layout.h"
#include "lib/store/record.h"
#include "lib/store/lines.h"
#include "lib/store/sup.h"

/* Whether record k of w is whole: its checksum, its line where the one before ended (at),
 * inside the first size bytes of the lines and ending in a newline; with line, also the
 * record its line gives (after a power cut a page of it may be lost). *next: where its line
 * ends. */
static bool rec_whole(struct store *st, struct writeset_shard *w, uint64_t k, uint64_t at,
		      uint64_t size, bool line, uint64_t *next)
{
	struct idx_rec r, want;
	char nl;
	if (rec_read(w->idx_fd, k, &r) < 0 || rec_crc(&r) != r.crc || r.off != at ||
	    r.off + r.len + 1 > size || lines_read(&w->d, r.off + r.len, &nl, 1) < 0 || nl != '\n')
		return false;
	*next = r.off + r.len + 1;
	if (!line)
		return true;
	char *p = xmalloc(r.len ? r.len : 1);
	struct buf scratch;
	buf_init(&scratch);
	bool ok = lines_read(&w->d, r.off, p, r.len) == 0 &&
		  rec_line_record(st->kind, p, r.len, &scratch, &want) && want.span_h == r.span_h &&
		  want.trace_h == r.trace_h && want.started_us == r.started_us &&
		  want.ingested_us == r.ingested_us;
	buf_free(&scratch);
	free(p);
	return ok;
}

/* After a power cut (docs/FORMAT.md, "Crash rules"): the batches above h->durable, each
 * kept whole or cut off with every batch after it. *committed: the records kept, *end: where
 * their lines end. -1 with errno when a record that must be there cannot be read. */
static int settle_batches(struct store *st, struct writeset_shard *w, const struct idx_hdr *h,
			  uint64_t have, uint64_t size, uint64_t *committed, uint64_t *end)
{
	uint64_t from = h->durable > h->sealed_recs ? h->durable : h->sealed_recs;
	if (from > h->committed)
		from = h->committed;
	if (from > have)
		from = have;
	uint64_t at = w->d.base;
	struct idx_rec r;
	if (from > h->sealed_recs) {
		if (rec_read(w->idx_fd, from - 1, &r) < 0)
			return -1;
		at = r.off + r.len + 1;
	}
	*committed = from;
	*end = at;
	size_t ne = rec_ends_n(h);
	for (size_t i = 0, s = from; i <= ne; i++) {
		uint64_t e = i < ne ? h->ends[i] : h->committed, next = at;
		if (e <= s || e > h->committed)
			continue;
		for (uint64_t k = s; k < e; k++)
			if (k >= have || !rec_whole(st, w, k, next, size, true, &next))
				return 0;
		*committed = s = e;
		*end = at = next;
	}
	return 0;
}

/* The header of a shard opened for writing, the records it keeps: committed records, less a
 * torn tail, plus those o lets it roll forward. */
static enum status keep_records(struct store *st, struct writeset_shard *w, struct idx_hdr *h,
				off_t isize, const struct wopen *o)
{
	uint64_t size;
	if (lines_end(&w->d, &size) < 0)
		return ST_UNAVAILABLE;
	uint64_t have = (uint64_t)(isize - STORE_IDX_HDR) / sizeof(struct idx_rec);
	uint64_t committed = h->committed < have ? h->committed : have, end;
	if (o->settle && !rec_hdr_legacy(h)) {
		if (settle_batches(st, w, h, have, size, &committed, &end) < 0)
			return ST_UNAVAILABLE;
	} else {
		/* Fewer records than the header commits, with no power cut since (a header is
		 * written after its records): the index was cut or damaged since, and walking
		 * back from there would cut the lines of the records it lost. Refused, as one
		 * without its index is, until spandex reindex (issue 55). */
		if (!o->settle && have < h->committed) {
			errno = EUCLEAN;
			return ST_UNAVAILABLE;
		}
		uint64_t kept = committed;
		if (rec_walk_back(w->idx_fd, h->sealed_recs, w->d.base, size, &committed, &end) < 0)
			return ST_UNAVAILABLE;
		/* Records a writer's fdatasync covered (below durable) whose lines are not there
		 * were not torn by a crash: the data was cut or damaged since. Cutting them would
		 * lose them without a word (verify clean after) and the start of a line reindex
		 * keeps in <day>.quarantine: the shard is refused, as one without its index is,
		 * until spandex reindex. */
		if (committed < (h->durable < kept ? h->durable : kept)) {
			errno = EUCLEAN;
			return ST_UNAVAILABLE;
		}
	}
	/* Crash recovery: complete records past the commit point that the journal names. */
	while (committed < have && committed < o->roll_to &&
	       rec_whole(st, w, committed, end, size, o->settle, &end))
		committed++;
	/* Drop the torn tail: bytes no committed record covers were never acknowledged. */
	if ((uint64_t)isize != STORE_IDX_HDR + committed * sizeof(struct idx_rec) &&
	    ftruncate(w->idx_fd, (off_t)(STORE_IDX_HDR + committed * sizeof(struct idx_rec))) < 0)
		return ST_UNAVAILABLE;
	if (size != end && ftruncate(w->d.fd, (off_t)(end - w->d.base)) < 0)
		return ST_UNAVAILABLE;
	bool moved = h->committed != committed;
	h->committed = committed;
	if (o->settle && !rec_hdr_legacy(h)) {
		/* Read from the disk after the boot: on it, every record kept. */
		moved |= h->durable != committed || h->ends[0];
		h->durable = committed;
	}
	if (h->durable > committed)
		h->durable = committed;
	rec_ends_prune(h);
	if (moved && io_pwrite_all(w->idx_fd, h, sizeof(*h), 0) < 0)
		return ST_UNAVAILABLE;
	w->committed = w->committed0 = committed;
	w->data_end = w->data_end0 = end;
	w->text_end0 = h->text_end;
	return ST_OK;
}

enum status writeset_open(struct store *st, const char *ws, int32_t day, const struct wopen *o,
			  struct writeset_shard *w)
{
	char p[PATH_MAX];
	memset(w, 0, sizeof(*w));
	w->day = day;
	w->idx_fd = w->d.fd = w->tailindex_fd = -1;
	enum status rc = ST_UNAVAILABLE;
	struct stat ds, is;
	struct idx_hdr h;
	bool fresh = false; /* the index had no header: this open makes the day */
	if (!layout_shard_path(p, st, ws, day, LAYOUT_IDX))
		return ST_BAD_REQUEST;
	/* The index first: under its lock the header says where the lines go (the plain file
	 * of an open shard, or the late file of a sealed one), and no seal moves them. */
	w->idx_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (w->idx_fd < 0 || io_lock_fd(w->idx_fd) < 0 || fstat(w->idx_fd, &is) < 0)
		goto out;
	if (is.st_size < STORE_IDX_HDR) {
		/* A new shard. Data without an index is never truncated here: that needs reindex.
		 */
		fresh = true;
		if (!layout_shard_path(p, st, ws, day, LAYOUT_JSONL))
			goto out;
		if (stat(p, &ds) == 0 && ds.st_size > 0) {
			errno = ENOENT;
			goto out;
		}
		rec_hdr_init(&h, day);
		if (ftruncate(w->idx_fd, 0) < 0 || io_pwrite_all(w->idx_fd, &h, sizeof(h), 0) < 0)
			goto out;
		w->created = true;
		is.st_size = STORE_IDX_HDR;
	} else if (io_pread_all(w->idx_fd, &h, sizeof(h), 0) < 0 || !rec_hdr_ok(&h)) {
		errno = EINVAL;
		goto out;
	}
	if (lines_open(st, ws, day, &h, LINES_WRITE, &w->d) != ST_OK)
		goto out;
	rc = keep_records(st, w, &h, is.st_size, o);
out:
	if (rc != ST_OK) {
		int e = errno;
		/* A day this open was making: nothing of it stays (no journal names it yet). */
		if (fresh)
			writeset_forget(st, ws, w);
		writeset_close(w);
		errno = e;
	}
	return rc;
}

void writeset_forget(struct store *st, const char *ws, struct writeset_shard *w)
{
	static const enum layout_file files[] = {LAYOUT_JSONL, LAYOUT_TAILINDEX, LAYOUT_IDX};
	char p[PATH_MAX];
	struct stat sb;
	if (w->committed0 || w->data_end0 || w->d.z)
		return;
	for (size_t k = 0; k < sizeof files / sizeof files[0]; k++)
		if (layout_shard_path(p, st, ws, w->day, files[k]) &&
		    (files[k] != LAYOUT_JSONL || (stat(p, &sb) == 0 && !sb.st_size)))
			unlink(p);
}

/* Creates the late file of a sealed shard for its first late line (a writer that only marks
 * a sealed version superseded never needs one). */
int writeset_late(struct store *st, const char *ws, struct writeset_shard *w)
{
	char p[PATH_MAX];
	if (!layout_shard_path(p, st, ws, w->day, LAYOUT_LATE)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	w->d.fd = open(p, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	w->created = true;
	return w->d.fd < 0 ? -1 : 0;
}

/* The lines' mapping of same_check, gone before the file is cut or closed. */
static void dmap_drop(struct writeset_shard *w)
{
	if (w->dmap)
		munmap(w->dmap, w->dmap_len);
	w->dmap = NULL;
}

void writeset_close(struct writeset_shard *w)
{
	if (w->wmap)
		munmap(w->wmap, STORE_IDX_HDR + w->wmap_recs * sizeof(struct idx_rec));
	w->wmap = NULL;
	dmap_drop(w);
	/* Closing the index descriptor releases the shard lock. */
	lines_close(&w->d);
	if (w->tailindex_fd >= 0)
		close(w->tailindex_fd);
	if (w->idx_fd >= 0)
		close(w->idx_fd);
	w->idx_fd = w->tailindex_fd = -1;
}

int writeset_rollback(struct writeset_shard *w)
{
	struct idx_hdr h;
	/* The count first: from then on readers stop there, whatever is cut after. */
	if (io_pread_all(w->idx_fd, &h, sizeof(h), 0) < 0)
		return -1;
	h.committed = w->committed0;
	h.text_end = w->text_end0;
	h.pend_seq = h.pend_from = 0;
	if (h.durable > h.committed)
		h.durable = h.committed;
	rec_ends_prune(&h);
	if (w->wmap) {
		munmap(w->wmap, STORE_IDX_HDR + w->wmap_recs * sizeof(struct idx_rec));
		w->wmap = NULL;
	}
	dmap_drop(w);
	if (io_pwrite_all(w->idx_fd, &h, sizeof(h), 0) < 0 ||
	    (w->d.fd >= 0 && ftruncate(w->d.fd, (off_t)(w->data_end0 - w->d.base)) < 0) ||
	    ftruncate(w->idx_fd, (off_t)(STORE_IDX_HDR + w->committed0 * sizeof(struct idx_rec))) <
		0)
		return -1;
	w->committed = w->committed0;
	w->data_end = w->data_end0;
	return 0;
}

struct writeset_shard *writeset_get(struct writeset_set *c, int32_t day)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->sh[i].day == day)
			return &c->sh[i];
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->sh = xrealloc(c->sh, c->cap * sizeof(*c->sh));
	}
	if (writeset_open(c->st, c->ws, day, &c->next, &c->sh[c->n]) != ST_OK)
		return NULL;
	return &c->sh[c->n++];
}

/* An existing shard, without creating one (a deleted day is simply gone: NULL, errno
 * ENOENT; NULL with another errno when it cannot be opened). */
static struct writeset_shard *writeset_existing(struct writeset_set *c, int32_t day)
{
	char p[PATH_MAX];
	for (size_t i = 0; i < c->n; i++)
		if (c->sh[i].day == day)
			return &c->sh[i];
	if (!layout_shard_path(p, c->st, c->ws, day, LAYOUT_IDX) || access(p, F_OK) < 0) {
		errno = ENOENT;
		return NULL;
	}
	struct writeset_shard *w = writeset_get(c, day);
	if (!w && errno == ENOENT)
		errno = EIO;
	return w;
}

void writeset_set_close(struct writeset_set *c)
{
	for (size_t i = 0; i < c->n; i++)
		writeset_close(&c->sh[i]);
	free(c->sh);
	c->sh = NULL;
	c->n = c->cap = 0;
}

/* What keytable_upsert asks about the entry of span h (id literal lit) that names old. */
struct same_span {
	struct writeset_set *set;
	uint64_t h;
	const struct buf *lit;
};

/* keytable_same_fn: the version at old is the same span when its record still has the hash and
 * its line the id; then it is marked superseded. A version whose day is gone, or that the
 * shard no longer commits, is the same span too: there is nothing left to mark. */
static int same_span(void *ctx, uint64_t old)
{
	struct same_span *c = ctx;
	struct writeset_shard *w = writeset_existing(c->set, LOC_DAY(old));
	struct idx_rec r;
	bool live = w && LOC_REC(old) < w->committed &&
		    rec_read(w->idx_fd, LOC_REC(old), &r) == 0 && r.span_h == c->h;
	if (!live)
		return 1;
	int same = lines_has_id(&w->d, &r, c->lit);
	if (same <= 0)
		return same;
	return rec_write_flags(w->idx_fd, LOC_REC(old), r.flags | REC_SUPERSEDED) < 0 ? -1 : 1;
}

enum status writeset_upsert_id(struct writeset_set *set, struct tab *ids, uint64_t h,
			       const struct buf *lit, uint64_t loc)
{
	struct same_span c = {set, h, lit};
	return keytable_upsert(ids, h, loc, same_span, &c);
}

int writeset_map(struct writeset_shard *w)
{
	if (w->wmap)
		return 0;
	size_t len = STORE_IDX_HDR + w->committed * sizeof(struct idx_rec);
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, w->idx_fd, 0);
	if (m == MAP_FAILED)
		return -1;
	w->wmap = m;
	w->wmap_recs = w->committed;
	return 0;
}

/* The first want bytes of r's line through a read-only mapping of the shard's lines file, made
 * once a shard (as the index's for the records): a pread a version was a system call for each
 * span of a batch sent again. NULL for a line the mapping does not hold (a sealed day's
 * frames, a file that could not be mapped): lines_has_id reads it. */
static const char *mapped_line(struct writeset_shard *w, const struct idx_rec *r, size_t want)
{
	if (w->d.fd < 0 || r->off < w->d.base)
		return NULL;
	if (!w->dmap && w->data_end > w->d.base) {
		size_t len = (size_t)(w->data_end - w->d.base);
		void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, w->d.fd, 0);
		if (m != MAP_FAILED) {
			w->dmap = m;
			w->dmap_len = len;
		}
	}
	uint64_t at = r->off - w->d.base;
	return w->dmap && at <= w->dmap_len && want <= w->dmap_len - at ? w->dmap + at : NULL;
}

/* Whether the version at old is span h (lit), as same_span decides, with nothing written:
 * WOLD_SAME (its shard is mapped for the mark), WOLD_STALE for a slot that names no version
 * of h (its day removed, or removed and made again by later spans: the record there is
 * another span's, and must not be marked), 0 for another span of the same hash. */
static int same_check(struct writeset_set *set, uint64_t h, const struct buf *lit, uint64_t old)
{
	struct writeset_shard *w = writeset_existing(set, LOC_DAY(old));
	if (!w)
		return errno == ENOENT ? WOLD_STALE : -1;
	struct idx_rec r;
	if (LOC_REC(old) >= w->committed)
		return WOLD_STALE;
	/* The record through the index's mapping, made once a shard (a mark needs it anyway):
	 * a pread a version was a system call for each span of a batch sent again. A mapping that
	 * cannot be made leaves the pread. */
	(void)writeset_map(w);
	if (w->wmap && LOC_REC(old) < w->wmap_recs)
		memcpy(&r, w->wmap + STORE_IDX_HDR + LOC_REC(old) * sizeof r, sizeof r);
	else if (rec_read(w->idx_fd, LOC_REC(old), &r) < 0)
		return -1;
	if (r.span_h != h)
		return WOLD_STALE;
	size_t want = lit->len + 16 < r.len ? lit->len + 16 : r.len;
	const char *line = mapped_line(w, &r, want);
	int same = line ? rec_line_has_id(line, want, lit) : lines_has_id(&w->d, &r, lit);
	if (same > 0 && writeset_map(w) < 0)
		return -1;
	return same;
}

static int cmp_wold(const void *a, const void *b)
{
	const struct wold *x = a, *y = b;
	if (x->loc != y->loc)
		return x->loc < y->loc ? -1 : 1;
	return (x->h > y->h) - (x->h < y->h);
}

static const struct wold *wold_find(const struct wolds *o, uint64_t loc, uint64_t h)
{
	struct wold k = {loc, h, 0};
	return o->n ? bsearch(&k, o->v, o->n, sizeof(k), cmp_wold) : NULL;
}

void writeset_olds_sort(struct wolds *o)
{
	if (o->n)
		qsort(o->v, o->n, sizeof(*o->v), cmp_wold);
}

void writeset_olds_free(struct wolds *o)
{
	free(o->v);
	free(o->seen);
}

/* Whether hash h is in o's set of spans with entries; with add, it is put there. */
static bool olds_seen(struct wolds *o, uint64_t h, bool add)
{
	uint64_t key = h ? h : 1;
	if (add && 2 * (o->nseen + 1) > o->capseen) { /* at most half full: it doubles */
		size_t cap = o->capseen ? 2 * o->capseen : 256;
		uint64_t *t = xcalloc(cap, sizeof *t);
		for (size_t j = 0; j < o->capseen; j++)
			if (o->seen[j]) {
				size_t i =
				    (size_t)(o->seen[j] * 0x9e3779b97f4a7c15ull >> 32) & (cap - 1);
				while (t[i])
					i = (i + 1) & (cap - 1);
				t[i] = o->seen[j];
			}
		free(o->seen);
		o->seen = t;
		o->capseen = cap;
	}
	if (!o->capseen)
		return false;
	size_t mask = o->capseen - 1, i = (size_t)(key * 0x9e3779b97f4a7c15ull >> 32) & mask;
	for (; o->seen[i]; i = (i + 1) & mask)
		if (o->seen[i] == key)
			return true;
	if (add) {
		o->seen[i] = key;
		o->nseen++;
	}
	return false;
}

enum status writeset_olds(struct writeset_set *set, const struct tab *ids, uint64_t h,
			  const char *id, struct buf *lit, struct wolds *o)
{
	struct keytable_slot slot;
	bool have_lit = false;
	/* A span sent twice in one batch: its first call's entries are in o already, and only then
	 * are the entries before this call's looked at (a look at every entry for every span of a
	 * batch sent again was 3.2M instructions of its 46M, callgrind, 1,000 spans). */
	bool again = olds_seen(o, h, false);
	size_t had = o->n;
	for (uint64_t i = h & (ids->hdr->nslots - 1), n = 0;
	     keytable_probe(ids->hdr, h, &i, &n, &slot);) {
		bool known = false;
		for (size_t k = again ? 0 : had; k < o->n && !known; k++)
			known = o->v[k].loc == slot.loc && o->v[k].h == h;
		if (known)
			continue;
		if (!have_lit) {
			lit->len = 0;
			jsonw_string(lit, id, strlen(id));
			have_lit = true;
		}
		int same = same_check(set, h, lit, slot.loc);
		if (same < 0)
			return ST_UNAVAILABLE;
		if (o->n == o->cap) {
			o->cap = o->cap ? o->cap * 2 : 64;
			o->v = xrealloc(o->v, o->cap * sizeof(*o->v));
		}
		o->v[o->n++] = (struct wold){slot.loc, h, same};
	}
	if (o->n > had && !again)
		olds_seen(o, h, true);
	return ST_OK;
}

int writeset_sup(struct writeset_set *set, const struct wolds *o, int64_t by)
{
	uint64_t *rec = xmalloc((o->n ? o->n : 1) * sizeof *rec);
	int rc = 0;
	for (size_t i = 0, n = 0; rc == 0 && i < o->n; i++) {
		if (o->v[i].same == WOLD_SAME && (!n || rec[n - 1] != LOC_REC(o->v[i].loc)))
			rec[n++] = LOC_REC(o->v[i].loc);
		/* The end of a day's entries (sorted by loc: by day, then record). */
		if (n && (i + 1 == o->n || LOC_DAY(o->v[i + 1].loc) != LOC_DAY(o->v[i].loc))) {
			rc = sup_write(set->st, set->ws, LOC_DAY(o->v[i].loc), rec, n, by);
			n = 0;
		}
	}
	free(rec);
	return rc;
}

/* Marks the version at loc superseded through its shard's mapping: the flag generation odd
 * before and even after, as rec_write_flags does. */
static void mark_mapped(struct writeset_set *set, uint64_t loc)
{
	for (size_t i = 0; i < set->n; i++) {
		struct writeset_shard *w = &set->sh[i];
		if (w->day != LOC_DAY(loc) || !w->wmap || LOC_REC(loc) >= w->wmap_recs)
			continue;
		struct idx_hdr *hd = (struct idx_hdr *)w->wmap;
		struct idx_rec *r = (struct idx_rec *)(w->wmap + STORE_IDX_HDR) + LOC_REC(loc);
		uint64_t gen = (__atomic_load_n(&hd->flag_gen, __ATOMIC_RELAXED) + 2) | 1;
		__atomic_store_n(&hd->flag_gen, gen, __ATOMIC_RELEASE);
		__atomic_store_n(&r->flags, (uint16_t)(r->flags | REC_SUPERSEDED),
				 __ATOMIC_RELEASE);
		__atomic_store_n(&hd->flag_gen, gen + 1, __ATOMIC_RELEASE);
		return;
	}
}

/* keytable_same_fn after the commit point: the answers writeset_olds found, or same_new for a
 * version of this batch. */
struct publish {
	struct writeset_set *set;
	const struct wolds *o;
	uint64_t h;
	int (*same_new)(void *ctx, uint64_t loc);
	void *ctx;
};

static int same_published(void *ctx, uint64_t loc)
{
	struct publish *c = ctx;
	const struct wold *w = wold_find(c->o, loc, c->h);
	int same = w ? w->same : c->same_new(c->ctx, loc);
	if (same == WOLD_SAME)
		mark_mapped(c->set, loc);
	return same > 0;
}

void writeset_publish_id(struct writeset_set *set, struct tab *ids, uint64_t h, uint64_t loc,
			 const struct wolds *o, int (*same_new)(void *ctx, uint64_t loc), void *ctx)
{
	struct publish c = {set, o, h, same_new, ctx};
	keytable_upsert(ids, h, loc, same_published, &c);
}
