/* seal: writing a sealed shard. A seal rewrites a day's stream of lines as independently
 * decompressible zstd blocks with a start-time order and an id table (sealed.h has the
 * layout, docs/FORMAT.md ("Sealed shards") the reasons and the steps). It reads the lines through
 * the same shard views every query uses, so a re-seal reads the old sealed file and the late lines
 * alike, and it holds only the day's shard lock, only at the end. */
#include "lib/store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#define ZDICT_STATIC_LINKING_ONLY /* ZDICT_trainFromBuffer_fastCover's parameters */
#include <zdict.h>
#include <zstd.h>
#include "lib/base/buf.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/store/io.h"
#include "lib/store/layout.h"
#include "lib/store/lines.h"
#include "lib/store/record.h"
#include "lib/store/sealed.h"
#include "lib/store/settle.h"

/* The file being written: frames so far and the block being filled. */
struct zw {
	int fd;
	ZSTD_CCtx *cctx;
	struct buf raw;	 /* lines of the block being filled */
	struct buf blks; /* struct seal_blk entries */
	struct buf z;	 /* compressed frame */
	uint64_t pos;	 /* stream bytes written into blocks */
	uint64_t zoff;	 /* file bytes written */
	uint64_t dbytes; /* the dictionary frame's bytes (0: none) */
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
	if (io_write_all(w->fd, w->z.p, zn) < 0)
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
		/* The footer's tables are made from the records: a damaged one is never sealed. */
		if (rec_crc(r) != r->crc)
			return err_set(
			    e, ST_INVALID,
			    "record %zu is damaged (its checksum); spandex reindex mends "
			    "it",
			    i);
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

/* Writes the footer and trailer frames for the n records of sh. */
static int zw_footer(struct zw *w, const struct shard *sh, size_t n, int32_t day)
{
	size_t nblocks = w->blks.len / sizeof(struct seal_blk);
	if (sealed_write_footer(w->fd, (const struct seal_blk *)w->blks.p, nblocks, w->pos, w->zoff,
				w->dbytes, sh->recs, n, day) < 0)
		return -1;
	struct stat sb;
	if (fstat(w->fd, &sb) < 0)
		return -1;
	w->zoff = (uint64_t)sb.st_size; /* now the file's size */
	return 0;
}

/* Removes what an interrupted or an earlier seal left, under the shard lock (on the index
 * lfd) and by its header h: the temporary file, the plain lines a sealed file now holds, and a
 * late file that no record uses. */
static void seal_tidy(struct store *st, const char *ws, int32_t day, int lfd,
		      const struct idx_hdr *h)
{
	char p[PATH_MAX];
	if (layout_shard_path(p, st, ws, day, LAYOUT_ZST_TMP))
		unlink(p);
	if (!h->sealed_bytes)
		return;
	if (layout_shard_path(p, st, ws, day, LAYOUT_JSONL))
		unlink(p);
	/* A late file no record uses: every committed record's line is in the sealed file,
	 * which the last one's end says (a damaged sealed_recs may claim more than it holds). */
	struct idx_rec r;
	if (h->committed <= h->sealed_recs &&
	    (!h->committed || (rec_read(lfd, h->committed - 1, &r) == 0 && rec_crc(&r) == r.crc &&
			       r.off + r.len + 1 <= h->sealed_bytes)) &&
	    layout_shard_path(p, st, ws, day, LAYOUT_LATE))
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
		if (io_lock_fd(fd) == 0 && fstat(fd, &a) == 0 && stat(ip, &b) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			return fd;
		close(fd);
	}
	errno = EAGAIN;
	return -1;
}

/* A dictionary for the first n records of sh, trained on the lines of records spread evenly
 * over them, about SEAL_DICT_SAMPLE bytes, into d (empty when the day is too small or the
 * training fails: the day is then sealed without one). */
static void seal_train(struct shard *sh, size_t n, struct buf *d)
{
	d->len = 0;
	if (!n || sh->recs[n - 1].off + sh->recs[n - 1].len < SEAL_DICT_MIN_DAY)
		return;
	uint64_t total = sh->recs[n - 1].off + sh->recs[n - 1].len + 1;
	size_t cap = total / SEAL_DICT_SHARE < SEAL_DICT_BYTES ? (size_t)(total / SEAL_DICT_SHARE)
							       : SEAL_DICT_BYTES;
	size_t step = (size_t)(total / SEAL_DICT_SAMPLE) + 1;
	struct buf samples, sizes;
	buf_init(&samples);
	buf_init(&sizes);
	for (size_t i = 0; i < n; i += step) {
		size_t before = samples.len;
		if (shard_line(sh, i, &samples) != ST_OK) {
			samples.len = before;
			continue;
		}
		size_t len = samples.len - before;
		buf_add(&sizes, &len, sizeof(len));
	}
	buf_reserve(d, cap);
	/* Fixed parameters: ZDICT_trainFromBuffer searches four segment sizes for the best,
	 * 2.0 s a day of prose against 0.18 here, for a dictionary no better (SEAL_DICT_K). */
	ZDICT_fastCover_params_t fp = {
	    .k = SEAL_DICT_K, .d = SEAL_DICT_D, .f = SEAL_DICT_F, .accel = SEAL_DICT_ACCEL};
	fp.zParams.compressionLevel = SEAL_LEVEL;
	size_t got = ZDICT_trainFromBuffer_fastCover(d->p, cap, samples.p, (const size_t *)sizes.p,
						     (unsigned)(sizes.len / sizeof(size_t)), fp);
	d->len = ZDICT_isError(got) ? 0 : got;
	buf_free(&samples);
	buf_free(&sizes);
}

/* Starts the compressed file at tp: the temporary name it is written under until the switch;
 * with the dictionary d[0, dlen) (dlen 0: none) in its first frame. */
static enum status zw_start(struct zw *w, const char *tp, const void *d, size_t dlen, struct err *e)
{
	w->cctx = ZSTD_createCCtx();
	w->fd = open(tp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (!w->cctx || w->fd < 0 ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, SEAL_LEVEL)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1)))
		return err_set(e, ST_UNAVAILABLE, "%s: %s", tp, strerror(errno));
	if (!dlen)
		return ST_OK;
	if (ZSTD_isError(ZSTD_CCtx_loadDictionary(w->cctx, d, dlen)) ||
	    sealed_write_dict(w->fd, d, dlen) < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", tp, strerror(errno ? errno : EIO));
	w->zoff = w->dbytes = 8 + sizeof(struct seal_dict) + dlen;
	return ST_OK;
}

/* Starts the sealed file of the first n records of sh: with the dictionary of the sealed file
 * it replaces when it had one (the frames of the lines it held come out the same), else with
 * one trained on the day when the store asks for it (st->seal_dict), else none. */
static enum status zw_open(struct store *st, struct zw *w, const char *tp, struct shard *sh,
			   size_t n, struct err *e)
{
	size_t dlen = 0;
	const void *old = sh->d.z ? sealed_dict(sh->d.z, &dlen) : NULL;
	if (old || (sh->d.z && sh->d.z->dbytes))
		return zw_start(w, tp, old, dlen, e);
	struct buf d;
	buf_init(&d);
	if (st->seal_dict)
		seal_train(sh, n, &d);
	enum status rc = zw_start(w, tp, d.p, d.len, e);
	buf_free(&d);
	return rc;
}

/* The files of one seal: the index (ip), the sealed file (zp) and its temporary name (tp). */
struct seal_paths {
	const char *ip, *zp, *tp;
};

/* The switch, under both locks (lfd: the shard lock on the index) once every line of sh is in
 * w: the sealed file finished and renamed into place, then the commit point, then the tidy. */
static enum status seal_switch(struct store *st, const char *ws, int32_t day,
			       const struct seal_paths *p, int lfd, struct zw *w,
			       const struct shard *sh, struct err *e)
{
	struct idx_hdr h;

	if (zw_flush(w) < 0 || zw_footer(w, sh, sh->nrecs, day) < 0 || fdatasync(w->fd) < 0 ||
	    rename(p->tp, p->zp) < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", p->tp, strerror(errno));
	layout_sync_dir(st, ws);
	/* The commit point: one write of the header. Before it readers use the old files (the
	 * new sealed file starts with the same bytes as an old one); after it, the new one. */
	if (io_pread_all(lfd, &h, sizeof(h), 0) < 0 ||
	    (h.version = IDX_VERSION_SEALED, h.sealed_bytes = w->pos, h.sealed_recs = sh->nrecs,
	     io_pwrite_all(lfd, &h, sizeof(h), 0) < 0) ||
	    fdatasync(lfd) < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", p->ip, strerror(errno));
	seal_tidy(st, ws, day, lfd, &h);
	layout_sync_dir(st, ws);
	return ST_OK;
}

enum status store_seal(struct store *st, const char *ws, int32_t day, uint64_t *in_bytes,
		       uint64_t *out_bytes, struct err *e)
{
	char ip[PATH_MAX], zp[PATH_MAX], tp[PATH_MAX], d[11];
	*in_bytes = *out_bytes = 0;
	time_day_format(day, d);
	if (!workspace_valid(ws) || !layout_shard_path(ip, st, ws, day, LAYOUT_IDX) ||
	    !layout_shard_path(zp, st, ws, day, LAYOUT_ZST) ||
	    !layout_shard_path(tp, st, ws, day, LAYOUT_ZST_TMP))
		return err_set(e, ST_BAD_REQUEST, "%s/%s: bad name", ws, d);
	struct shard sh;
	struct zw w = {.fd = -1};
	struct idx_hdr h;
	int lfd = -1, wfd = -1;
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
	if (fresh && ((rc = zw_open(st, &w, tp, &sh, n0, e)) != ST_OK ||
		      (rc = zw_lines(&w, &sh, 0, n0, e)) != ST_OK))
		goto out;
	shard_close(&sh);
	/* Then, under the workspace lock and the shard lock, what was appended meanwhile, and
	 * the switch. The workspace lock keeps reindex and retention out of the switch (a
	 * reindex holds it from its first day's new index to its last rename, so a seal never
	 * commits between the two), and writers wait only for this short part. */
	if ((wfd = layout_ws_lock(st, ws, true)) < 0) {
		rc = err_set(e, ST_UNAVAILABLE, "%s: workspace lock: %s", ws, strerror(errno));
		goto out;
	}
	/* A batch a writer left is settled first, as the next writer would: a seal takes in only
	 * records no batch can take back. */
	struct err se = {ST_OK, ""};
	if ((rc = settle_ws(st, ws, &se)) != ST_OK) {
		rc = err_set(e, rc, "%s: settling the journal: %s", ws, err_text(&se));
		goto out;
	}
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
		if (io_pread_all(lfd, &h, sizeof(h), 0) == 0)
			seal_tidy(st, ws, day, lfd, &h);
		goto out;
	}
	if ((rc = zw_lines(&w, &sh, n0, sh.nrecs, e)) != ST_OK)
		goto out;
	/* Under the lock, settled, the lines end where the last record's does: lines past it
	 * are damage (an index cut short), which the plain file removed at the switch would
	 * take with it. */
	uint64_t end;
	if (lines_end(&sh.d, &end) < 0 || end != w.pos) {
		rc =
		    err_set(e, ST_UNAVAILABLE,
			    "%s/%s: its lines do not end where its records do; not sealed (spandex "
			    "verify names the damage, spandex reindex mends it)",
			    ws, d);
		goto out;
	}
	struct seal_paths p = {ip, zp, tp};
	if ((rc = seal_switch(st, ws, day, &p, lfd, &w, &sh, e)) != ST_OK)
		goto out;
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
	if (wfd >= 0)
		close(wfd);
	ZSTD_freeCCtx(w.cctx);
	buf_free(&w.raw);
	buf_free(&w.blks);
	buf_free(&w.z);
	return rc;
}
