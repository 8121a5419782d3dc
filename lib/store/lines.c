/* lines: a shard's lines, open (<day>.jsonl) or sealed (<day>.jsonl.zst and
 * <day>.late.jsonl); every reader and writer of lines goes through it, so that open and
 * sealed shards answer alike. */
#include "lib/store/lines.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/mem.h"
#include "lib/store/io.h"
#include "lib/store/layout.h"
#include "lib/store/mapcache.h"
#include "lib/store/sealed.h"

enum status lines_open(struct store *st, const char *ws, int32_t day, const struct idx_hdr *h,
		       enum lines_mode mode, struct shard_lines *d)
{
	char p[PATH_MAX];
	memset(d, 0, sizeof(*d));
	d->fd = -1;
	int flags = mode == LINES_WRITE ? O_RDWR | O_APPEND | O_CLOEXEC : O_RDONLY | O_CLOEXEC;
	if (h->sealed_bytes) {
		enum status rc;
		if (!layout_shard_path(p, st, ws, day, LAYOUT_ZST))
			return ST_BAD_REQUEST;
		/* A query's through the process's mapping: a stat once mapped, no open. */
		if ((rc = mode == LINES_MAP ? sealed_map(p, &d->z) : sealed_open(p, &d->z)) !=
		    ST_OK)
			return rc;
		/* A sealed file that holds less than the header's extent (damaged, cut short):
		 * what it holds is read, and its tables, made for other records, are not. */
		if (d->z->h->bytes < h->sealed_bytes || d->z->h->nrecs < h->sealed_recs) {
			d->z->footer = false;
			d->z->order = NULL;
			d->z->ids = NULL;
		}
		d->base = h->sealed_bytes;
		/* A query of a day that committed no late span reads no late line (those committed
		 * later are past the header it trusts): no open of a file that seldom exists. */
		if (mode == LINES_MAP && h->committed <= h->sealed_recs)
			return ST_OK;
		if (!layout_shard_path(p, st, ws, day, LAYOUT_LATE))
			return ST_BAD_REQUEST;
		/* No late file: no late span yet (a reader finds none past sealed_recs; a writer
		 * creates it for its first late line). */
		d->fd = open(p, flags);
		if (d->fd < 0 && errno != ENOENT) {
			int e = errno;
			lines_close(d);
			errno = e;
			return status_from_errno(e);
		}
		return ST_OK;
	}
	if (!layout_shard_path(p, st, ws, day, LAYOUT_JSONL))
		return ST_BAD_REQUEST;
	if (mode == LINES_MAP) {
		*d = (struct shard_lines){.fd = -1, .lazy = true, .st = st, .ws = ws, .day = day};
		return ST_OK;
	}
	d->fd = open(p, flags | (mode == LINES_WRITE ? O_CREAT : 0), 0640);
	return d->fd < 0 ? status_from_errno(errno) : ST_OK;
}

/* Maps a query's plain lines on its first read. They are the file the header named when the
 * shard was opened or, if a seal replaced it since, the sealed file and late file the header
 * names now: the same stream of bytes, and every record committed before the seal, all the
 * query trusts, is in the sealed part. An empty file maps nothing. False, errno set, when the
 * lines cannot be read (a day retention removed meanwhile). Under a look, the lines as a stat
 * under it found them: lines_view maps them again when a line lies past that. */
static bool data_map(struct shard_lines *d)
{
	char p[PATH_MAX];
	size_t len;
	d->lazy = false;
	if (!layout_shard_path(p, d->st, d->ws, d->day, LAYOUT_JSONL))
		return false;
	if ((d->map = mapcache_get_path(p, 0, false, d->look, &len, &d->mc)) || errno == EINVAL) {
		d->maplen = d->map ? len : 0; /* EINVAL: an empty file, nothing to map */
		return true;
	}
	int fd;
	struct idx_hdr h;
	if (errno != ENOENT || !layout_shard_path(p, d->st, d->ws, d->day, LAYOUT_IDX) ||
	    (fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	enum status rc = lines_open_idx(d->st, d->ws, d->day, fd, NULL, LINES_FD, &h, d);
	close(fd);
	if (rc != ST_OK)
		errno = EIO;
	return rc == ST_OK;
}

void lines_close(struct shard_lines *d)
{
	mapcache_put(d->mc);
	mapcache_put(d->held);
	if (d->fd >= 0)
		close(d->fd);
	sealed_close(d->z);
	memset(d, 0, sizeof(*d));
	d->fd = -1;
}

/* The index header, from its file or its shared mapping (which sees every write to it). */
static int hdr_read(int idx_fd, const void *idx_map, struct idx_hdr *h)
{
	if (!idx_map)
		return io_pread_all(idx_fd, h, sizeof(*h), 0);
	memcpy(h, idx_map, sizeof(*h));
	return 0;
}

enum status lines_open_idx(struct store *st, const char *ws, int32_t day, int idx_fd,
			   const void *idx_map, enum lines_mode mode, struct idx_hdr *h,
			   struct shard_lines *d)
{
	/* A seal commits by rewriting the header after its file is in place, then removes the
	 * files it replaced. A reader opens the files the header names and reads the header
	 * again: the same sealed extent means the files it holds belong to that header. */
	for (int attempt = 0; attempt < 8; attempt++) {
		struct idx_hdr again;
		if (hdr_read(idx_fd, idx_map, h) < 0)
			return ST_UNAVAILABLE;
		if (!rec_hdr_ok(h)) {
			errno = EINVAL;
			return ST_UNAVAILABLE;
		}
		enum status rc = lines_open(st, ws, day, h, mode, d);
		if (rc != ST_OK && rc != ST_NOT_FOUND)
			return rc;
		if (hdr_read(idx_fd, idx_map, &again) < 0) {
			lines_close(d);
			return ST_UNAVAILABLE;
		}
		if (rc == ST_OK && again.sealed_bytes == h->sealed_bytes) {
			/* A sealed shard without a late file has no record past the seal. */
			if (h->sealed_bytes && d->fd < 0 && h->committed > h->sealed_recs)
				h->committed = h->sealed_recs;
			return ST_OK;
		}
		if (rc == ST_OK)
			lines_close(d);
		else if (again.sealed_bytes == h->sealed_bytes)
			return ST_NOT_FOUND; /* the file is gone for good (retention) */
	}
	errno = EAGAIN;
	return ST_UNAVAILABLE;
}

int lines_read(struct shard_lines *d, uint64_t off, void *p, size_t n)
{
	/* A writer's and a snapshot's lines by descriptor; the rest as viewed. */
	if (d->fd >= 0 && off >= d->base)
		return io_pread_all(d->fd, p, n, (off_t)(off - d->base));
	const char *s;
	if (!lines_view(d, off, n, &s)) {
		errno = EIO;
		return -1;
	}
	memcpy(p, s, n);
	return 0;
}

bool lines_view(struct shard_lines *d, uint64_t off, size_t n, const char **p)
{
	if (d->lazy)
		data_map(d);
	if (d->look && d->map && !d->z && (off > d->maplen || n > d->maplen - off)) {
		/* A line written after the look's stat: the file as it is now. The first mapping
		 * stays held for the views given from it (data_map may reopen d whole). */
		struct mapcache_ent *held = d->mc;
		d->map = NULL;
		d->mc = NULL;
		d->look = 0;
		data_map(d);
		d->held = held;
	}
	if (d->z && off < d->base)
		return (*p = sealed_bytes(d->z, off, n)) != NULL;
	/* A file held by descriptor (late lines, a snapshot's) mapped on first use: the lines
	 * are written before their records, so the size now covers every record the shard was
	 * opened with. */
	if (!d->map && d->fd >= 0) {
		struct stat sb;
		if (fstat(d->fd, &sb) == 0 && sb.st_size > 0 &&
		    (d->map = mapcache_get(d->fd, &sb, (size_t)sb.st_size, false, &d->mc)))
			d->maplen = (size_t)sb.st_size;
	}
	uint64_t at = off - d->base;
	if (!d->map || off < d->base || at > d->maplen || n > d->maplen - at)
		return false;
	*p = d->map + at;
	return true;
}

int lines_end(struct shard_lines *d, uint64_t *end)
{
	struct stat sb;
	if (d->lazy && !data_map(d))
		return -1;
	if (d->fd >= 0 && fstat(d->fd, &sb) < 0)
		return -1;
	*end = d->base + (d->fd >= 0 ? (uint64_t)sb.st_size : d->map ? d->maplen : 0);
	return 0;
}

enum status lines_id_lit(struct shard_lines *d, const struct idx_rec *r, struct buf *lit)
{
	/* The line starts with its id ({"span_id":"... or {"id":"...) and the literal ends at the
	 * first unescaped quote. */
	lit->len = 0;
	size_t want = r->len < 8192 ? r->len : 8192, at;
	char *tmp = xmalloc(want);
	enum status rc = ST_UNAVAILABLE;
	if (lines_read(d, r->off, tmp, want) < 0 || !(at = rec_line_id_at(tmp, want)) ||
	    want < at + 2 || tmp[at] != '"')
		goto out;
	for (size_t i = at + 1; i < want; i++) {
		if (tmp[i] == '\\') {
			i++;
			continue;
		}
		if (tmp[i] == '"') {
			buf_add(lit, tmp + at, i + 1 - at);
			rc = ST_OK;
			break;
		}
	}
out:
	free(tmp);
	return rc;
}

int lines_has_id(struct shard_lines *d, const struct idx_rec *r, const struct buf *lit)
{
	size_t want = lit->len + 16 < r->len ? lit->len + 16 : r->len;
	char *tmp = xmalloc(want);
	int same = lines_read(d, r->off, tmp, want) < 0 ? -1 : rec_line_has_id(tmp, want, lit);
	free(tmp);
	return same;
}

const struct jrn_hdr *lines_journal(struct store *st, const char *ws, uint64_t look,
				    struct mapcache_ent **mc)
{
	char p[PATH_MAX];
	size_t len;
	const struct jrn_hdr *j;
	if (!layout_path(p, st, ws, LAYOUT_JOURNAL) ||
	    !(j = mapcache_get_path(p, JOURNAL_HDR, false, look, &len, mc)))
		return NULL;
	if (memcmp(j->magic, JOURNAL_MAGIC3, 8)) {
		mapcache_put(*mc);
		return NULL;
	}
	return j;
}

/* The count the open batch found day at, from its entry in the journal j (mapped, the caller's):
 * the bytes a whole batch wrote before its first byte of any shard, so no torn write of the
 * shard's header can change them. from when the journal names no entry of the day. */
static uint64_t journal_start(struct store *st, const char *ws, uint64_t look,
			      const struct jrn_hdr *j, int32_t day, uint64_t from)
{
	char p[PATH_MAX];
	size_t len;
	struct mapcache_ent *mc;
	uint32_t n = __atomic_load_n(&j->n, __ATOMIC_ACQUIRE);
	const char *m;
	if (!n || !layout_path(p, st, ws, LAYOUT_JOURNAL) ||
	    !(m = mapcache_get_path(p, JOURNAL_HDR + (size_t)n * sizeof(struct jent), false, look,
				    &len, &mc)))
		return from;
	const struct jent *e = (const struct jent *)(m + JOURNAL_HDR);
	for (uint32_t i = 0; i < n; i++)
		if (e[i].day == day) {
			from = e[i].start;
			break;
		}
	mapcache_put(mc);
	return from;
}

uint64_t lines_visible(struct store *st, const char *ws, uint64_t look, const struct idx_hdr *h,
		       const void *idx_map)
{
	uint64_t n = __atomic_load_n(&h->committed, __ATOMIC_ACQUIRE), seq, from;
	/* The count first, then the batch it may hold: the writer wrote them the other way. */
	const struct idx_hdr *m = idx_map ? idx_map : h;
	seq = __atomic_load_n(&m->pend_seq, __ATOMIC_ACQUIRE);
	from = __atomic_load_n(&m->pend_from, __ATOMIC_RELAXED);
	if (!seq)
		return n;
	struct mapcache_ent *mc;
	const struct jrn_hdr *j = lines_journal(st, ws, look, &mc);
	if (!j)
		return n;
	/* The batch is open until its commit record (open) reads 0 whole: a torn one that left
	 * other bytes there still names it open (issue 55). Its start on the day comes from the
	 * journal: a write of pend_seq and pend_from torn between them names the batch with an
	 * older count, which would hide records committed before it. */
	if (__atomic_load_n(&j->open, __ATOMIC_ACQUIRE) && j->seq == seq &&
	    j->boot == io_boot_id()) {
		from = journal_start(st, ws, look, j, h->day, from);
		n = from < n ? from : n;
	}
	mapcache_put(mc);
	return n;
}
