/* store_seal: sealed shards. A seal rewrites a day's stream of lines as independently
 * decompressible zstd blocks with a start-time order and an id table (lib/store_int.h has
 * the layout, docs/ARCHITECTURE.md the reasons), and every reader goes through sdata_* so
 * that open and sealed shards answer alike. */
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
#include <zstd.h>
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/base/status.h"
#include "lib/base/time.h"
#include "lib/model/workspace.h"

_Static_assert(sizeof(struct seal_hdr) == 64, "seal header is 64 bytes");
_Static_assert(sizeof(struct seal_blk) == 24, "seal block entry is 24 bytes");

/* ---- reading a sealed file ---- */

static uint32_t le32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static void put_le32(char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (char)(v >> (8 * i));
}

/* Sizes of the footer's sections after the header. */
static size_t order_bytes(uint64_t nrecs)
{
	return ((size_t)nrecs * sizeof(uint32_t) + 7) & ~(size_t)7;
}

static size_t footer_bytes(uint64_t nrecs, uint64_t nblocks)
{
	return sizeof(struct seal_hdr) + (size_t)nblocks * sizeof(struct seal_blk) +
	       order_bytes(nrecs) + (size_t)nrecs * sizeof(struct seal_id);
}

/* Zero bytes at the start of the footer frame's payload, so that the footer (at a file
 * offset of 8 + pad past the frame start foot) is 8-byte aligned in the mapping. */
static size_t footer_pad(uint64_t foot)
{
	return (size_t)((8 - foot % 8) % 8);
}

enum status sealed_open(const char *path, struct sealed **out)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? ST_NOT_FOUND : status_from_errno(errno);
	struct stat sb;
	struct sealed *z = xmalloc(sizeof(*z));
	memset(z, 0, sizeof(*z));
	z->fd = fd;
	for (int k = 0; k < SEAL_CACHE; k++)
		z->cache[k].blk = SIZE_MAX;
	errno = EINVAL; /* for every structural failure below */
	if (fstat(fd, &sb) < 0 || sb.st_size < SEAL_TRAILER + 8 + (off_t)sizeof(struct seal_hdr))
		goto bad;
	z->maplen = (size_t)sb.st_size;
	void *m = mmap(NULL, z->maplen, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		z->maplen = 0;
		goto bad;
	}
	z->map = m;
	const char *t = z->map + z->maplen - SEAL_TRAILER;
	uint64_t foot;
	memcpy(&foot, t + 8, 8);
	if (le32(t) != ZSKIP_TRAILER || le32(t + 4) != 8 ||
	    foot > z->maplen - SEAL_TRAILER - 8 - sizeof(struct seal_hdr))
		goto bad;
	const char *f = z->map + foot;
	size_t fsize = le32(f + 4), pad = footer_pad(foot);
	if (le32(f) != ZSKIP_FOOTER || fsize != z->maplen - SEAL_TRAILER - foot - 8 ||
	    fsize < pad + sizeof(struct seal_hdr))
		goto bad;
	z->h = (const struct seal_hdr *)(f + 8 + pad);
	const struct seal_hdr *h = z->h;
	if (memcmp(h->magic, SEAL_MAGIC, 8) || h->version != SEAL_VERSION ||
	    h->endian != ENDIAN_TAG || h->zbytes != foot || h->nrecs > UINT32_MAX ||
	    h->nblocks > z->maplen || fsize != pad + footer_bytes(h->nrecs, h->nblocks))
		goto bad;
	z->blk = (const struct seal_blk *)(h + 1);
	z->order = (const uint32_t *)(z->blk + h->nblocks);
	z->ids = (const struct seal_id *)((const char *)z->order + order_bytes(h->nrecs));
	*out = z;
	return ST_OK;
bad:;
	int e = errno;
	sealed_close(z);
	errno = e;
	return ST_UNAVAILABLE;
}

void sealed_close(struct sealed *z)
{
	if (!z)
		return;
	for (int k = 0; k < SEAL_CACHE; k++)
		free(z->cache[k].p);
	if (z->map)
		munmap((void *)z->map, z->maplen);
	close(z->fd);
	free(z);
}

/* Decompresses block i into out (grown as needed); -1 (errno EIO) when the frame is
 * damaged. One context per process: the programs are single-threaded. */
static int block_inflate(const struct sealed *z, size_t i, struct zcache *out)
{
	static ZSTD_DCtx *dctx;
	const struct seal_blk *b = &z->blk[i];
	if (!dctx && !(dctx = ZSTD_createDCtx()))
		return -1;
	if (out->cap < b->rawlen) {
		free(out->p);
		out->cap = b->rawlen;
		out->p = xmalloc(out->cap);
	}
	out->blk = SIZE_MAX;
	if (b->zoff > z->h->zbytes || b->zlen > z->h->zbytes - b->zoff ||
	    ZSTD_decompressDCtx(dctx, out->p, b->rawlen, z->map + b->zoff, b->zlen) != b->rawlen) {
		errno = EIO;
		return -1;
	}
	out->blk = i;
	return 0;
}

/* The block holding stream offset off: its number, or SIZE_MAX. */
static size_t block_find(const struct sealed *z, uint64_t off)
{
	size_t lo = 0, hi = (size_t)z->h->nblocks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->blk[mid].raw_off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || off - z->blk[lo - 1].raw_off >= z->blk[lo - 1].rawlen)
		return SIZE_MAX;
	return lo - 1;
}

/* The n bytes at stream offset off, inside one block (lines never cross blocks), valid
 * until SEAL_CACHE - 1 more blocks have been read: blocks are kept round-robin, so that a
 * query's memory stays bounded whatever it reads, and lines read again soon (a page after
 * its scan, records taken in start-time order) usually cost no second decompression. */
static const char *sealed_bytes(struct sealed *z, uint64_t off, size_t n)
{
	size_t i = block_find(z, off);
	if (i == SIZE_MAX || off + n > z->blk[i].raw_off + z->blk[i].rawlen) {
		errno = EIO;
		return NULL;
	}
	struct zcache *c = NULL;
	for (int k = 0; k < SEAL_CACHE && !c; k++)
		if (z->cache[k].blk == i)
			c = &z->cache[k];
	if (!c) {
		c = &z->cache[z->next];
		z->next = (z->next + 1) % SEAL_CACHE;
		if (block_inflate(z, i, c) < 0)
			return NULL;
	}
	return c->p + (off - z->blk[i].raw_off);
}

/* ---- a shard's data, open or sealed ---- */

enum status sdata_open(struct store *st, const char *ws, int32_t day, const struct idx_hdr *h,
		       bool writable, struct sdata *d)
{
	char p[PATH_MAX];
	memset(d, 0, sizeof(*d));
	d->fd = -1;
	int flags = writable ? O_RDWR | O_APPEND | O_CLOEXEC : O_RDONLY | O_CLOEXEC;
	if (h->sealed_bytes) {
		enum status rc;
		if (!shard_path(p, st, ws, day, "jsonl.zst"))
			return ST_BAD_REQUEST;
		if ((rc = sealed_open(p, &d->z)) != ST_OK)
			return rc;
		if (d->z->h->bytes < h->sealed_bytes || d->z->h->nrecs < h->sealed_recs) {
			sdata_close(d);
			errno = EINVAL;
			return ST_UNAVAILABLE;
		}
		d->base = h->sealed_bytes;
		if (!shard_path(p, st, ws, day, "late.jsonl"))
			return ST_BAD_REQUEST;
		/* No late file: no late span yet (a reader finds none past sealed_recs; a writer
		 * creates it for its first late line). */
		d->fd = open(p, flags);
		if (d->fd < 0 && errno != ENOENT) {
			int e = errno;
			sdata_close(d);
			errno = e;
			return status_from_errno(e);
		}
		return ST_OK;
	}
	if (!shard_path(p, st, ws, day, "jsonl"))
		return ST_BAD_REQUEST;
	d->fd = open(p, flags | (writable ? O_CREAT : 0), 0640);
	return d->fd < 0 ? status_from_errno(errno) : ST_OK;
}

void sdata_close(struct sdata *d)
{
	if (d->map)
		munmap((void *)d->map, d->maplen);
	if (d->fd >= 0)
		close(d->fd);
	sealed_close(d->z);
	memset(d, 0, sizeof(*d));
	d->fd = -1;
}

enum status shard_data_open(struct store *st, const char *ws, int32_t day, int idx_fd,
			    struct idx_hdr *h, struct sdata *d)
{
	/* A seal commits by rewriting the header after its file is in place, then removes the
	 * files it replaced. A reader opens the files the header names and reads the header
	 * again: the same sealed extent means the files it holds belong to that header. */
	for (int attempt = 0; attempt < 8; attempt++) {
		struct idx_hdr again;
		if (pread_all(idx_fd, h, sizeof(*h), 0) < 0)
			return ST_UNAVAILABLE;
		if (!idx_hdr_ok(h)) {
			errno = EINVAL;
			return ST_UNAVAILABLE;
		}
		enum status rc = sdata_open(st, ws, day, h, false, d);
		if (rc != ST_OK && rc != ST_NOT_FOUND)
			return rc;
		if (pread_all(idx_fd, &again, sizeof(again), 0) < 0) {
			sdata_close(d);
			return ST_UNAVAILABLE;
		}
		if (rc == ST_OK && again.sealed_bytes == h->sealed_bytes) {
			/* A sealed shard without a late file has no record past the seal. */
			if (h->sealed_bytes && d->fd < 0 && h->committed > h->sealed_recs)
				h->committed = h->sealed_recs;
			return ST_OK;
		}
		if (rc == ST_OK)
			sdata_close(d);
		else if (again.sealed_bytes == h->sealed_bytes)
			return ST_NOT_FOUND; /* the file is gone for good (retention) */
	}
	errno = EAGAIN;
	return ST_UNAVAILABLE;
}

int sdata_read(struct sdata *d, uint64_t off, void *p, size_t n)
{
	if (d->z && off < d->base) {
		const char *s = sealed_bytes(d->z, off, n);
		if (!s)
			return -1;
		memcpy(p, s, n);
		return 0;
	}
	if (d->fd < 0 || off < d->base) {
		errno = EIO;
		return -1;
	}
	return pread_all(d->fd, p, n, (off_t)(off - d->base));
}

bool sdata_view(struct sdata *d, uint64_t off, size_t n, const char **p)
{
	if (d->z && off < d->base)
		return (*p = sealed_bytes(d->z, off, n)) != NULL;
	/* Mapped on first use: the lines are written before their records, so the size now
	 * covers every record the shard was opened with. */
	if (!d->map && d->fd >= 0) {
		struct stat sb;
		if (fstat(d->fd, &sb) == 0 && sb.st_size > 0) {
			void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, d->fd, 0);
			if (m != MAP_FAILED) {
				d->map = m;
				d->maplen = (size_t)sb.st_size;
			}
		}
	}
	uint64_t at = off - d->base;
	if (!d->map || off < d->base || at > d->maplen || n > d->maplen - at)
		return false;
	*p = d->map + at;
	return true;
}

bool shard_by_start(struct shard *sh, int64_t smin, int64_t smax, const uint32_t **order,
		    size_t *lo, size_t *hi)
{
	const struct sealed *z = sh->d.z;
	/* The order covers the records sealed then; nsealed may be fewer (an older header). */
	if (!z || z->h->nrecs != sh->nsealed)
		return false;
	const uint32_t *o = z->order;
	size_t n = sh->nsealed, a = 0, b = n;
	while (a < b) { /* first with started_us >= smin */
		size_t m = a + (b - a) / 2;
		if (sh->recs[o[m]].started_us < smin)
			a = m + 1;
		else
			b = m;
	}
	*lo = a;
	b = n;
	while (a < b) { /* first with started_us > smax */
		size_t m = a + (b - a) / 2;
		if (sh->recs[o[m]].started_us <= smax)
			a = m + 1;
		else
			b = m;
	}
	*hi = a;
	*order = o;
	return true;
}

size_t sealed_find(const struct sealed *z, uint64_t h, const struct seal_id **first)
{
	size_t lo = 0, hi = (size_t)z->h->nrecs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->ids[mid].h < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t n = 0;
	while (lo + n < z->h->nrecs && z->ids[lo + n].h == h)
		n++;
	*first = z->ids + lo;
	return n;
}

/* ---- sealing ---- */

/* The file being written: frames so far and the block being filled. */
struct zw {
	int fd;
	ZSTD_CCtx *cctx;
	struct buf raw;	 /* lines of the block being filled */
	struct buf blks; /* struct seal_blk entries */
	struct buf z;	 /* compressed frame */
	uint64_t pos;	 /* stream bytes written into blocks */
	uint64_t zoff;	 /* file bytes written */
};

static int zw_flush(struct zw *w)
{
	if (!w->raw.len)
		return 0;
	size_t cap = ZSTD_compressBound(w->raw.len);
	buf_reserve(&w->z, cap);
	size_t zn = ZSTD_compress2(w->cctx, w->z.p, cap, w->raw.p, w->raw.len);
	if (ZSTD_isError(zn) || zn > UINT32_MAX) {
		errno = EIO;
		return -1;
	}
	struct seal_blk b = {w->pos - w->raw.len, w->zoff, (uint32_t)zn, (uint32_t)w->raw.len};
	if (write_all(w->fd, w->z.p, zn) < 0)
		return -1;
	buf_add(&w->blks, &b, sizeof(b));
	w->zoff += zn;
	w->raw.len = 0;
	return 0;
}

/* Adds the lines of records [from, to) of sh, which must continue the stream. */
static enum status zw_lines(struct zw *w, struct shard *sh, size_t from, size_t to, struct err *e)
{
	for (size_t i = from; i < to; i++) {
		const struct idx_rec *r = &sh->recs[i];
		if (r->off != w->pos)
			return err_set(e, ST_INVALID,
				       "record %zu is not where the stream continues; "
				       "run spandex verify",
				       i);
		if (w->raw.len && w->raw.len + r->len + 1 > SEAL_BLOCK && zw_flush(w) < 0)
			return err_set(e, ST_UNAVAILABLE, "writing: %s", strerror(errno));
		if (shard_line(sh, i, &w->raw) != ST_OK)
			return err_set(e, ST_UNAVAILABLE, "record %zu: cannot read its line: %s", i,
				       strerror(errno));
		buf_addc(&w->raw, '\n');
		w->pos += r->len + 1;
	}
	return ST_OK;
}

static const struct idx_rec *sort_recs;
static int cmp_start(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int64_t sx = sort_recs[x].started_us, sy = sort_recs[y].started_us;
	if (sx != sy)
		return sx < sy ? -1 : 1;
	return (x > y) - (x < y);
}

static int cmp_id(const void *a, const void *b)
{
	const struct seal_id *x = a, *y = b;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return (x->rec > y->rec) - (x->rec < y->rec);
}

/* Writes the footer and trailer frames for the n records of sh. */
static int zw_footer(struct zw *w, const struct shard *sh, size_t n, int32_t day)
{
	size_t nblocks = w->blks.len / sizeof(struct seal_blk), pad = footer_pad(w->zoff);
	size_t fsize = pad + footer_bytes(n, nblocks);
	if (fsize > UINT32_MAX) {
		errno = EFBIG;
		return -1;
	}
	/* Built 8-aligned in memory; written from f + 8 - pad, so that it lands aligned. */
	char *mem = xmalloc(16 + fsize), *f = mem + 8 - pad;
	memset(mem, 0, 16 + fsize);
	put_le32(f, ZSKIP_FOOTER);
	put_le32(f + 4, (uint32_t)fsize);
	struct seal_hdr *h = (struct seal_hdr *)(mem + 16);
	memcpy(h->magic, SEAL_MAGIC, 8);
	h->version = SEAL_VERSION;
	h->endian = ENDIAN_TAG;
	h->day = day;
	h->nrecs = n;
	h->bytes = w->pos;
	h->nblocks = nblocks;
	h->zbytes = w->zoff;
	char *blk = (char *)(h + 1);
	memcpy(blk, w->blks.p, w->blks.len);
	uint32_t *order = (uint32_t *)(blk + w->blks.len);
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	sort_recs = sh->recs;
	qsort(order, n, sizeof(*order), cmp_start);
	struct seal_id *ids = (struct seal_id *)((char *)order + order_bytes(n));
	for (size_t i = 0; i < n; i++)
		ids[i] = (struct seal_id){sh->recs[i].span_h, i};
	qsort(ids, n, sizeof(*ids), cmp_id);
	h->crc = hash_crc32c(0, h + 1, fsize - pad - sizeof(*h));
	char t[SEAL_TRAILER];
	put_le32(t, ZSKIP_TRAILER);
	put_le32(t + 4, 8);
	memcpy(t + 8, &w->zoff, 8);
	int rc = write_all(w->fd, f, 8 + fsize) < 0 || write_all(w->fd, t, sizeof(t)) < 0 ? -1 : 0;
	free(mem);
	w->zoff += 8 + fsize + sizeof(t); /* now the file's size */
	return rc;
}

/* Removes what an interrupted or an earlier seal left, under the shard lock and by the
 * header h: the temporary file, the plain lines a sealed file now holds, and a late file
 * that no record uses. */
static void seal_tidy(struct store *st, const char *ws, int32_t day, const struct idx_hdr *h)
{
	char p[PATH_MAX];
	if (shard_path(p, st, ws, day, "jsonl.zst.tmp"))
		unlink(p);
	if (!h->sealed_bytes)
		return;
	if (shard_path(p, st, ws, day, "jsonl"))
		unlink(p);
	if (h->committed <= h->sealed_recs && shard_path(p, st, ws, day, "late.jsonl"))
		unlink(p);
}

/* Opens the index and takes the shard lock, making sure the lock is on the file the path
 * names now (a reindex may have renamed a new index into place meanwhile). */
static int shard_lock_open(const char *ip)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		struct stat a, b;
		int fd = open(ip, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return -1;
		if (lock_fd(fd) == 0 && fstat(fd, &a) == 0 && stat(ip, &b) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			return fd;
		close(fd);
	}
	errno = EAGAIN;
	return -1;
}

enum status store_seal(struct store *st, const char *ws, int32_t day, uint64_t *in_bytes,
		       uint64_t *out_bytes, struct err *e)
{
	char ip[PATH_MAX], zp[PATH_MAX], tp[PATH_MAX], d[11];
	*in_bytes = *out_bytes = 0;
	time_day_format(day, d);
	if (!workspace_valid(ws) || !shard_path(ip, st, ws, day, "idx") ||
	    !shard_path(zp, st, ws, day, "jsonl.zst") ||
	    !shard_path(tp, st, ws, day, "jsonl.zst.tmp"))
		return err_set(e, ST_BAD_REQUEST, "%s/%s: bad name", ws, d);
	struct shard sh;
	struct zw w = {.fd = -1};
	struct idx_hdr h;
	int lfd = -1;
	buf_init(&w.raw);
	buf_init(&w.blks);
	buf_init(&w.z);
	/* First, without any lock, the lines committed so far: the long part. */
	enum status rc = shard_open(st, ws, day, &sh);
	if (rc != ST_OK)
		return rc == ST_NOT_FOUND ? err_set(e, rc, "%s/%s: no such shard", ws, d)
					  : err_set(e, rc, "%s/%s: %s", ws, d, strerror(errno));
	size_t n0 = sh.nrecs;
	bool resealing = sh.d.z != NULL, fresh = sh.nrecs > sh.nsealed;
	if (fresh) {
		w.cctx = ZSTD_createCCtx();
		w.fd = open(tp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
		if (!w.cctx || w.fd < 0 ||
		    ZSTD_isError(
			ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_compressionLevel, SEAL_LEVEL)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_checksumFlag, 1))) {
			rc = err_set(e, ST_UNAVAILABLE, "%s: %s", tp, strerror(errno));
			goto out;
		}
		if ((rc = zw_lines(&w, &sh, 0, n0, e)) != ST_OK)
			goto out;
	}
	shard_close(&sh);
	/* Then, under the shard lock (writers of this day wait, no other), what was appended
	 * meanwhile, and the switch. */
	if ((lfd = shard_lock_open(ip)) < 0) {
		rc = err_set(e, ST_UNAVAILABLE, "%s: %s", ip, strerror(errno));
		goto out;
	}
	if ((rc = shard_open(st, ws, day, &sh)) != ST_OK) {
		rc = err_set(e, rc, "%s/%s: %s", ws, d, strerror(errno));
		goto out;
	}
	if (sh.nrecs < n0 || (sh.d.z != NULL) != resealing) {
		rc = err_set(e, ST_UNAVAILABLE,
			     "%s/%s changed under the seal (reindex?); run it again", ws, d);
		goto out;
	}
	if (!fresh) {
		/* Sealed already; late spans that arrived meanwhile wait for the next run. */
		if (pread_all(lfd, &h, sizeof(h), 0) == 0)
			seal_tidy(st, ws, day, &h);
		goto out;
	}
	if ((rc = zw_lines(&w, &sh, n0, sh.nrecs, e)) != ST_OK)
		goto out;
	if (zw_flush(&w) < 0 || zw_footer(&w, &sh, sh.nrecs, day) < 0 || fdatasync(w.fd) < 0 ||
	    rename(tp, zp) < 0) {
		rc = err_set(e, ST_UNAVAILABLE, "%s: %s", tp, strerror(errno));
		goto out;
	}
	sync_dir(st, ws);
	/* The commit point: one write of the header. Before it readers use the old files (the
	 * new sealed file starts with the same bytes as an old one); after it, the new one. */
	if (pread_all(lfd, &h, sizeof(h), 0) < 0 ||
	    (h.version = IDX_VERSION_SEALED, h.sealed_bytes = w.pos, h.sealed_recs = sh.nrecs,
	     pwrite_all(lfd, &h, sizeof(h), 0) < 0) ||
	    fdatasync(lfd) < 0) {
		rc = err_set(e, ST_UNAVAILABLE, "%s: %s", ip, strerror(errno));
		goto out;
	}
	seal_tidy(st, ws, day, &h);
	sync_dir(st, ws);
	*in_bytes = w.pos;
	*out_bytes = w.zoff;
	rc = ST_OK;
out:
	shard_close(&sh);
	if (w.fd >= 0) {
		close(w.fd);
		if (rc != ST_OK)
			unlink(tp);
	}
	if (lfd >= 0)
		close(lfd);
	ZSTD_freeCCtx(w.cctx);
	buf_free(&w.raw);
	buf_free(&w.blks);
	buf_free(&w.z);
	return rc;
}

/* ---- verification ---- */

void sealed_check(struct sealed *z, const struct idx_rec *recs, size_t nrecs, struct buf *why)
{
	const struct seal_hdr *h = z->h;
	size_t fsize = footer_bytes(h->nrecs, h->nblocks);
	if (hash_crc32c(0, h + 1, fsize - sizeof(*h)) != h->crc)
		buf_printf(why, "footer checksum mismatch\n");
	if (h->nrecs > nrecs) {
		buf_printf(why, "holds %llu records, the index %zu\n", (unsigned long long)h->nrecs,
			   nrecs);
		return;
	}
	uint64_t pos = 0, zpos = 0;
	for (uint64_t i = 0; i < h->nblocks; i++) {
		const struct seal_blk *b = &z->blk[i];
		if (b->raw_off != pos || b->zoff != zpos)
			buf_printf(why, "block %llu not contiguous\n", (unsigned long long)i);
		pos = b->raw_off + b->rawlen;
		zpos = b->zoff + b->zlen;
		if (block_inflate(z, (size_t)i, &z->cache[0]) < 0)
			buf_printf(why, "block %llu does not decompress\n", (unsigned long long)i);
	}
	if (pos != h->bytes || zpos != h->zbytes)
		buf_printf(why, "blocks cover %llu bytes, the header says %llu\n",
			   (unsigned long long)pos, (unsigned long long)h->bytes);
	for (uint64_t i = 0; i < h->nrecs; i++) {
		uint32_t o = z->order[i];
		if (o >= h->nrecs || (i && recs[z->order[i - 1]].started_us > recs[o].started_us))
			buf_printf(why, "start-time order broken at %llu\n", (unsigned long long)i);
		const struct seal_id *e = &z->ids[i];
		if (e->rec >= h->nrecs || recs[e->rec].span_h != e->h ||
		    (i && cmp_id(&z->ids[i - 1], e) >= 0))
			buf_printf(why, "id table broken at %llu\n", (unsigned long long)i);
		if (why->len > 4096)
			return;
	}
}
