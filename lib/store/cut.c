/* cut: what the bucket's shipper (lib/ship) reads of a workspace: each day's committed stream
 * of lines, cut at whole batches under the workspace lock, with descriptors that keep the
 * files read then; and the days a rewrite (erasure) names for it (ops.h). */
#include "lib/store/ops.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/store/io.h"
#include "lib/store/layout.h"
#include "lib/store/lines.h"
#include "lib/store/record.h"
#include "lib/store/sealed.h"
#include "lib/store/opsfs.h"
#include "lib/store/settle.h"

/* The file, in the workspace (of spans, or of judgements), where ops_day_rewritten names days. */
#define CUT_REWRITTEN "rewritten"
/* Days one rewritten file names at most before the shipper has taken them (a bound, as every
 * limit: a runaway caller cannot grow it without end). */
#define CUT_REWRITTEN_MAX 100000

static bool rewritten_path(char *p, const struct store *st, const char *ws)
{
	char dir[PATH_MAX];
	return layout_dir(dir, st, ws) &&
	       snprintf(p, PATH_MAX, "%s/%s", dir, CUT_REWRITTEN) < PATH_MAX;
}

enum status ops_day_rewritten(struct store *st, const char *ws, int32_t day, struct err *e)
{
	char p[PATH_MAX], line[16];
	if (!rewritten_path(p, st, ws) || !time_day_valid(day))
		return err_set(e, ST_BAD_REQUEST, "%s: no such day or path", ws);
	time_day_format(day, line);
	line[10] = '\n';
	int fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0 || io_write_all(fd, line, 11) < 0 || (st->sync && fdatasync(fd) < 0)) {
		enum status rc = err_sys(e, errno, "%s", p);
		if (fd >= 0)
			close(fd);
		return rc;
	}
	close(fd);
	return ST_OK;
}

/* The days the rewritten file names (its first *taken bytes), into c. */
static void rewritten_read(const struct store *st, const char *ws, struct ops_cut *c)
{
	char p[PATH_MAX];
	struct stat sb;
	int fd = rewritten_path(p, st, ws) ? open(p, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0)
		return;
	if (fstat(fd, &sb) == 0 && sb.st_size > 0 && sb.st_size <= CUT_REWRITTEN_MAX * 11) {
		size_t n = (size_t)sb.st_size;
		char *b = xmalloc(n + 1);
		if (io_pread_all(fd, b, n, 0) == 0) {
			c->rewritten = xmalloc((n / 11 + 1) * sizeof(*c->rewritten));
			for (size_t i = 0; i + 11 <= n; i += 11) {
				char d[11];
				memcpy(d, b + i, 10);
				d[10] = '\0';
				if (time_day_parse(d, &c->rewritten[c->nrewritten]))
					c->nrewritten++;
			}
			c->rewritten_bytes = n - n % 11;
		}
		free(b);
	}
	close(fd);
}

enum status ops_rewritten_taken(struct store *st, const char *ws, uint64_t bytes, struct err *e)
{
	char p[PATH_MAX], tmp[PATH_MAX];
	if (!bytes)
		return ST_OK;
	int lockfd = layout_ws_lock(st, ws, false);
	if (lockfd < 0)
		return err_sys(e, errno, "%s: workspace lock", ws);
	enum status rc = ST_OK;
	struct stat sb;
	int fd = -1, out = -1;
	if (!rewritten_path(p, st, ws) ||
	    snprintf(tmp, sizeof tmp, "%s.tmp", p) >= (int)sizeof tmp ||
	    (fd = open(p, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &sb) < 0) {
		rc = errno == ENOENT ? ST_OK : err_sys(e, errno, "%s", p);
		goto out;
	}
	if ((uint64_t)sb.st_size <= bytes) {
		unlink(p);
		goto out;
	}
	/* Named since the cut: kept, written aside and renamed over. */
	size_t n = (size_t)sb.st_size - bytes;
	char *b = xmalloc(n);
	if (io_pread_all(fd, b, n, (off_t)bytes) < 0 ||
	    (out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0 ||
	    io_write_all(out, b, n) < 0 || fdatasync(out) < 0 || rename(tmp, p) < 0)
		rc = err_sys(e, errno, "%s", p);
	free(b);
out:
	if (out >= 0)
		close(out);
	if (fd >= 0)
		close(fd);
	close(lockfd);
	return rc;
}

/* The files of one day, under the workspace lock: the header's committed extent cut back to
 * what the lines hold (as a backup's snapshot does), descriptors to read it later. */
static enum status day_open(struct store *st, const char *ws, int idx_fd, const struct idx_hdr *h,
			    struct ops_day *d, struct err *e)
{
	struct shard_lines sl;
	struct idx_hdr again;
	struct stat is;
	uint64_t size;
	char dname[11];
	time_day_format(d->day, dname);
	if (lines_open_idx(st, ws, d->day, idx_fd, NULL, LINES_FD, &again, &sl) != ST_OK)
		return err_sys(e, errno, "%s/%s: its lines", ws, dname);
	enum status rc = ST_OK;
	if (again.sealed_bytes != h->sealed_bytes || fstat(idx_fd, &is) < 0 ||
	    lines_end(&sl, &size) < 0) {
		rc = err_sys(e, errno ? errno : EAGAIN, "%s/%s: its lines", ws, dname);
		goto out;
	}
	if (sl.z && sl.z->h->bytes != h->sealed_bytes) {
		rc =
		    err_set(e, ST_UNAVAILABLE,
			    "%s/%s: its sealed file holds %llu bytes where its index names %llu (a "
			    "seal was interrupted): run spandex seal again",
			    ws, dname, (unsigned long long)sl.z->h->bytes,
			    (unsigned long long)h->sealed_bytes);
		goto out;
	}
	uint64_t have = (uint64_t)(is.st_size - STORE_IDX_HDR) / sizeof(struct idx_rec);
	d->recs = again.committed < have ? again.committed : have;
	if (rec_walk_back(idx_fd, again.sealed_recs, sl.base, size, &d->recs, &d->end) < 0) {
		rc = err_sys(e, errno, "%s/%s: its records", ws, dname);
		goto out;
	}
	d->sealed = again.sealed_bytes;
	d->sealed_recs = again.sealed_recs;
	d->base = sl.base;
	if (sl.fd >= 0 && (d->fd = dup(sl.fd)) < 0)
		rc = err_sys(e, errno, "dup");
	if (rc == ST_OK && sl.z) {
		struct stat zs;
		if ((d->zfd = dup(sl.z->fd)) < 0 || fstat(d->zfd, &zs) < 0)
			rc = err_sys(e, errno, "%s/%s: its sealed file", ws, dname);
		else
			d->zsize = (uint64_t)zs.st_size;
	}
	struct idx_rec r;
	if (rc == ST_OK && d->recs) {
		if (rec_read(idx_fd, d->recs - 1, &r) < 0) {
			rc = err_sys(e, errno, "%s/%s: its records", ws, dname);
		} else {
			d->last_h = r.span_h;
			d->last_ing = r.ingested_us;
		}
	}
out:
	lines_close(&sl);
	return rc;
}

/* One day under the lock: its header, then its files when want says so. */
static enum status cut_day(struct store *st, const char *ws, ops_cut_want want, void *ctx,
			   struct ops_day *d, struct err *e)
{
	char p[PATH_MAX];
	struct idx_hdr h;
	struct stat is;
	if (!layout_shard_path(p, st, ws, d->day, LAYOUT_IDX) ||
	    (d->idx_fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return err_sys(e, errno, "%s: %s", ws, p);
	if (io_pread_all(d->idx_fd, &h, sizeof h, 0) < 0 || !rec_hdr_ok(&h) ||
	    fstat(d->idx_fd, &is) < 0)
		return err_set(e, ST_UNAVAILABLE,
			       "%s: %s: no index header to read (see spandex verify)", ws, p);
	uint64_t have = (uint64_t)(is.st_size - STORE_IDX_HDR) / sizeof(struct idx_rec);
	d->recs = h.committed < have ? h.committed : have;
	d->sealed = h.sealed_bytes;
	d->sealed_recs = h.sealed_recs;
	if (want && !want(ctx, d->day, d->recs, d->sealed)) {
		close(d->idx_fd);
		d->idx_fd = -1;
		return ST_OK;
	}
	d->opened = true;
	return day_open(st, ws, d->idx_fd, &h, d, e);
}

enum status ops_cut(struct store *st, const char *ws, ops_cut_want want, void *ctx,
		    struct ops_cut *c, struct err *e)
{
	char dir[PATH_MAX];
	struct stat ds;
	int32_t *days = NULL;
	size_t nd = 0;
	memset(c, 0, sizeof(*c));
	c->kind = st->kind;
	if (!layout_dir(dir, st, ws) || stat(dir, &ds) < 0)
		return errno == ENOENT ? err_set(e, ST_NOT_FOUND, "%s: no such workspace", ws)
				       : err_sys(e, errno, "%s", ws);
	int lockfd = layout_ws_lock(st, ws, false);
	if (lockfd < 0)
		return errno == ENOENT ? err_set(e, ST_NOT_FOUND, "%s: nothing written yet", ws)
				       : err_sys(e, errno, "%s: workspace lock", ws);
	enum status rc = settle_ws(st, ws, e);
	c->dir_dev = (uint64_t)ds.st_dev;
	c->dir_ino = (uint64_t)ds.st_ino;
	c->at = time_now();
	if (rc == ST_OK && (rc = store_days(st, ws, &days, &nd)) != ST_OK)
		rc = err_sys(e, errno, "%s: cannot list its days", ws);
	if (rc == ST_OK) {
		c->days = xcalloc(nd + 1, sizeof(*c->days));
		rewritten_read(st, ws, c);
	}
	for (size_t i = 0; rc == ST_OK && i < nd; i++) {
		struct ops_day *d = &c->days[c->n++];
		*d = (struct ops_day){
		    .kind = st->kind, .day = days[i], .idx_fd = -1, .fd = -1, .zfd = -1};
		rc = cut_day(st, ws, want, ctx, d, e);
	}
	close(lockfd);
	free(days);
	if (rc != ST_OK)
		ops_cut_free(c);
	return rc;
}

void ops_cut_free(struct ops_cut *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct ops_day *d = &c->days[i];
		if (d->idx_fd >= 0)
			close(d->idx_fd);
		if (d->fd >= 0)
			close(d->fd);
		if (d->zfd >= 0)
			close(d->zfd);
	}
	free(c->days);
	free(c->rewritten);
	memset(c, 0, sizeof(*c));
}

enum status ops_day_record(const struct ops_day *d, uint64_t i, struct ops_line *out,
			   struct buf *line)
{
	struct idx_rec r;
	if (d->idx_fd < 0 || i >= d->recs || rec_read(d->idx_fd, i, &r) < 0)
		return ST_NOT_FOUND;
	out->h = r.span_h;
	out->ingested = r.ingested_us;
	out->off = r.off;
	out->len = r.len;
	if (!line)
		return ST_OK;
	line->len = 0;
	if (d->fd < 0 || r.off < d->base)
		return ST_NOT_FOUND; /* in the sealed part: not read here */
	buf_reserve(line, r.len);
	if (io_pread_all(d->fd, line->p, r.len, (off_t)(r.off - d->base)) < 0)
		return ST_UNAVAILABLE;
	line->len = r.len;
	line->p[r.len] = '\0';
	return ST_OK;
}

bool ops_day_path(char *out, const struct store *st, const char *ws, int32_t day,
		  enum ops_day_file f)
{
	static const enum layout_file files[] = {[OPS_DAY_PLAIN] = LAYOUT_JSONL,
						 [OPS_DAY_SEALED] = LAYOUT_ZST,
						 [OPS_DAY_LATE] = LAYOUT_LATE};
	return layout_shard_path(out, st, ws, day, files[f]);
}

enum status ops_ws_replace(struct store *st, const char *ws, const char *from, struct err *e)
{
	char dst[PATH_MAX], old[PATH_MAX];
	struct store jst;
	store_judgements(&jst, st);
	if (!layout_dir(dst, st, ws) || !ops_pathf(old, "%s/.old-%s", st->root, ws))
		return err_set(e, ST_BAD_REQUEST, "%s: path too long", ws);
	/* The old copy's writers are kept out while it moves: spans, then judgements. */
	int lockfd = layout_ws_lock(st, ws, false), jlockfd = layout_ws_lock(&jst, ws, false);
	enum status rc = ST_OK;
	bool moved = false;
	if (ops_rm_rf(old) < 0 || (!(moved = rename(dst, old) == 0) && errno != ENOENT) ||
	    rename(from, dst) < 0) {
		rc = err_sys(e, errno, "%s: putting the pulled copy in place", dst);
		if (moved)
			rename(old, dst); /* the old copy stays where it was */
	} else {
		io_sync_dir(st->root);
	}
	if (jlockfd >= 0)
		close(jlockfd);
	if (lockfd >= 0)
		close(lockfd);
	if (rc == ST_OK)
		ops_rm_rf(old);
	return rc;
}
