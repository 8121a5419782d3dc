/* sup: the side file of the versions superseded in a day, and by which batch (see sup.h; the
 * bytes are in docs/FORMAT.md, "Versions superseded during a query"). */
#include "lib/store/sup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/base/buf.h"
#include "lib/base/mem.h"
#include "lib/store/io.h"
#include "lib/store/layout.h"
#include "lib/store/mapcache.h"
#include "lib/store/record.h"

_Static_assert(sizeof(struct sup_hdr) == SUP_HDR, "the header is SUP_HDR bytes");

/* Records of a run further apart than this are written by a write each: the values between
 * them are read and written back, and a page of them is one write. */
#define SUP_GAP 512

static off_t at_rec(uint64_t rec)
{
	return (off_t)(SUP_HDR + rec * sizeof(int64_t));
}

/* Reads n bytes at off into p, zeros past the end of the file (a hole reads as none). */
static int read_or_zero(int fd, void *p, size_t n, off_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, (char *)p + got, n - got, off + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	memset((char *)p + got, 0, n - got);
	return 0;
}

/* Sets the values of rec[0..n) (ascending, within one run) to by: one write of the run's range,
 * after a read of it when records between them keep their values. */
static int write_run(int fd, const uint64_t *rec, size_t n, int64_t by)
{
	size_t span = (size_t)(rec[n - 1] - rec[0]) + 1;
	int64_t *v = xmalloc(span * sizeof *v);
	int rc = -1;
	if (span == n || read_or_zero(fd, v, span * sizeof *v, at_rec(rec[0])) == 0) {
		for (size_t k = 0; k < n; k++)
			v[rec[k] - rec[0]] = by;
		rc = io_pwrite_all(fd, v, span * sizeof *v, at_rec(rec[0]));
	}
	free(v);
	return rc;
}

int sup_write(struct store *st, const char *ws, int32_t day, const uint64_t *rec, size_t n,
	      int64_t by)
{
	char p[PATH_MAX];
	struct sup_hdr h;
	if (!n)
		return 0;
	if (!layout_shard_path(p, st, ws, day, LAYOUT_SUP))
		return -1;
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0640), rc = -1;
	if (fd < 0)
		return -1;
	if (read_or_zero(fd, &h, sizeof h, 0) < 0)
		goto out;
	/* A new file, or one that does not check: what it said is lost, which only makes versions
	 * superseded during a running query look superseded before it. */
	if (memcmp(h.magic, SUP_MAGIC, 8) || h.version != SUP_VERSION || h.endian != ENDIAN_TAG ||
	    h.day != day) {
		memset(&h, 0, sizeof h);
		memcpy(h.magic, SUP_MAGIC, 8);
		h.version = SUP_VERSION;
		h.endian = ENDIAN_TAG;
		h.day = day;
		if (ftruncate(fd, 0) < 0 || io_pwrite_all(fd, &h, sizeof h, 0) < 0)
			goto out;
	}
	/* The newest first, so that no value passes it even when a write below fails; into the
	 * smaller of the two, so that a write of it torn leaves the other (sup.h). */
	int k = h.newest[1] < h.newest[0];
	if (by > sup_newest((const char *)&h, sizeof h) &&
	    io_pwrite_all(fd, &by, sizeof by,
			  (off_t)(offsetof(struct sup_hdr, newest) + (size_t)k * sizeof by)) < 0)
		goto out;
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && rec[j] - rec[j - 1] <= SUP_GAP; j++)
			;
		if (write_run(fd, rec + i, j - i, by) < 0)
			goto out;
	}
	rc = 0;
out:;
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

int sup_check(struct store *st, const char *ws, const struct shard *sh, struct buf *why)
{
	char p[PATH_MAX];
	struct mapcache_ent *mc;
	size_t len;
	const char *m;
	if (!layout_shard_path(p, st, ws, sh->day, LAYOUT_SUP) ||
	    !(m = mapcache_get_path(p, 0, false, 0, &len, &mc)))
		return 0; /* none */
	const struct sup_hdr *h = (const struct sup_hdr *)m;
	int bad = len < SUP_HDR ? -1 : 0; /* shorter: a leftover, taken as none */
	int64_t newest = sup_newest(m, len);
	if (!bad && (memcmp(h->magic, SUP_MAGIC, 8) || h->version != SUP_VERSION ||
		     h->endian != ENDIAN_TAG || h->day != sh->day)) {
		buf_printf(why, "its header does not check\n");
		bad = 1;
	}
	for (size_t i = 0; !bad && SUP_HDR + (i + 1) * sizeof(int64_t) <= len; i++)
		if (sup_by(m, len, i) > newest || sup_by(m, len, i) < 0) {
			buf_printf(why, "the value of record %zu is past the newest it names\n", i);
			bad = 1;
		}
	mapcache_put(mc);
	return bad > 0;
}

const char *sup_view(struct store *st, const char *ws, int32_t day, uint64_t look, size_t need,
		     size_t *len, struct mapcache_ent **mc)
{
	char p[PATH_MAX];
	const struct sup_hdr *h;
	if (look && layout_lacks(look, LAYOUT_SUP, day))
		return NULL; /* none when the look listed the days */
	if (!layout_shard_path(p, st, ws, day, LAYOUT_SUP) ||
	    !(h = mapcache_get_path(p, need < SUP_HDR ? SUP_HDR : need, false, look, len, mc)))
		return NULL;
	if (memcmp(h->magic, SUP_MAGIC, 8) || h->version != SUP_VERSION ||
	    h->endian != ENDIAN_TAG || h->day != day) {
		mapcache_put(*mc);
		return NULL;
	}
	return (const char *)h;
}
