/* quarantine: the bytes reindex cuts kept beside the day, and an erasure's cut of them (see
 * quarantine.h). */
#include "lib/store/quarantine.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/buf.h"
#include "lib/store/io.h"
#include "lib/store/layout.h"

enum status quarantine_keep(struct store *st, const char *ws, int32_t day, const char *dname,
			    const char *p, size_t n, const char *what,
			    const struct quarantine_notes *nt, struct err *e)
{
	char qp[PATH_MAX];
	int fd = -1;
	if (!layout_shard_path(qp, st, ws, day, LAYOUT_QUARANTINE) ||
	    (fd = open(qp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640)) < 0 ||
	    io_write_all(fd, p, n) < 0 || fdatasync(fd) < 0) {
		enum status rc =
		    err_set(e, ST_UNAVAILABLE, "%s: cannot keep the %zu bytes to cut: %s", qp, n,
			    strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	close(fd);
	if (!nt || !nt->fn)
		return ST_OK;
	struct buf msg;
	buf_init(&msg);
	buf_printf(&msg, "%s/%s: cut %zu bytes of %s into %s; span ids still readable in them:", ws,
		   dname, n, what, qp);
	size_t found = 0;
	static const char key[] = "\"span_id\":\"";
	for (const char *q = p; (q = memmem(q, n - (size_t)(q - p), key, sizeof key - 1));) {
		q += sizeof key - 1;
		const char *end = memchr(q, '"', n - (size_t)(q - p));
		if (!end)
			break;
		buf_printf(&msg, " %.*s", (int)(end - q > 200 ? 200 : end - q), q);
		found++;
		q = end;
	}
	if (!found)
		buf_adds(&msg, " none");
	nt->fn(nt->ctx, msg.p);
	buf_free(&msg);
	return ST_OK;
}

/* Whether p[0..n) holds one of the needles. */
static bool holds_any(const char *p, size_t n, const char *const *needles, size_t k)
{
	for (size_t i = 0; i < k; i++)
		if (*needles[i] && memmem(p, n, needles[i], strlen(needles[i])))
			return true;
	return false;
}

enum status quarantine_erase(struct store *st, const char *ws, int32_t day,
			     const char *const *needles, size_t n, size_t *cut, struct err *e)
{
	char qp[PATH_MAX], tp[PATH_MAX + 8];
	struct stat sb;
	struct buf keep;
	char *map = NULL;
	int fd = -1, tfd = -1;
	enum status rc = ST_OK;
	*cut = 0;
	if (!layout_shard_path(qp, st, ws, day, LAYOUT_QUARANTINE))
		return err_set(e, ST_BAD_REQUEST, "%s", strerror(ENAMETOOLONG));
	if ((fd = open(qp, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? ST_OK
				       : err_set(e, ST_UNAVAILABLE, "%s: %s", qp, strerror(errno));
	buf_init(&keep);
	if (fstat(fd, &sb) < 0 || (sb.st_size && (map = mmap(NULL, (size_t)sb.st_size, PROT_READ,
							     MAP_SHARED, fd, 0)) == MAP_FAILED)) {
		map = NULL;
		rc = err_set(e, ST_UNAVAILABLE, "%s: %s", qp, strerror(errno));
		goto out;
	}
	for (size_t off = 0, size = (size_t)sb.st_size; off < size;) {
		const char *nl = memchr(map + off, '\n', size - off);
		size_t len = nl ? (size_t)(nl - (map + off)) + 1 : size - off;
		if (holds_any(map + off, len, needles, n))
			(*cut)++;
		else
			buf_add(&keep, map + off, len);
		off += len;
	}
	if (!*cut)
		goto out;
	snprintf(tp, sizeof tp, "%s.tmp", qp);
	if (!keep.len) {
		if (unlink(qp) < 0)
			rc = err_set(e, ST_UNAVAILABLE, "%s: %s", qp, strerror(errno));
		goto out;
	}
	if ((tfd = open(tp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0 ||
	    io_write_all(tfd, keep.p, keep.len) < 0 || fdatasync(tfd) < 0 || rename(tp, qp) < 0) {
		rc = err_set(e, ST_UNAVAILABLE, "%s: %s", tp, strerror(errno));
		unlink(tp);
	}
out:
	if (rc == ST_OK && *cut)
		layout_sync_dir(st, ws);
	if (map)
		munmap(map, (size_t)sb.st_size);
	if (tfd >= 0)
		close(tfd);
	close(fd);
	buf_free(&keep);
	return rc;
}
