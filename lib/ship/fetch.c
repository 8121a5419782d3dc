/* fetch: objects read from the bucket into unlinked files (a delta may be large, and memory
 * stays bounded), and content-keyed objects written once. */
#include "lib/ship/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/mem.h"

int fetch_tmp(const char *root)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof p, "%s/%s", root, SHIP_DIR) >= (int)sizeof p) {
		errno = ENAMETOOLONG;
		return -1;
	}
	mkdir(p, 0750);
	int fd = open(p, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	/* A file system without O_TMPFILE: made and unlinked at once. */
	char t[PATH_MAX + 16];
	snprintf(t, sizeof t, "%s/tmp.XXXXXX", p);
	fd = mkstemp(t);
	if (fd >= 0)
		unlink(t);
	return fd;
}

/* The header of the object in fd (size bytes), read from its start. */
static enum status head_of(int fd, uint64_t size, struct lo_hdr *h, const char *key, struct err *e)
{
	size_t n = size < LOGOBJ_HDR_MAX ? (size_t)size : LOGOBJ_HDR_MAX;
	char *b = xmalloc(n + 1);
	enum status st = ST_OK;
	ssize_t k = pread(fd, b, n, 0);
	if (k != (ssize_t)n)
		st = err_sys(e, k < 0 ? errno : EIO, "%s", key);
	else if ((st = logobj_decode(b, n, h, e)) != ST_OK)
		st = err_set(e, st, "object %s: %s", key, e ? e->msg : "");
	free(b);
	return st;
}

enum status fetch_obj(struct ship *s, const char *key, int *fd, struct lo_hdr *h, struct err *e)
{
	uint64_t got = 0;
	*fd = fetch_tmp(s->root);
	if (*fd < 0)
		return err_sys(e, errno, "%s/%s: a temporary file", s->root, SHIP_DIR);
	enum status st = s3_get_fd(s->s3, key, 0, 0, *fd, &got, e);
	if (st == ST_OK)
		st = head_of(*fd, got, h, key, e);
	if (st != ST_OK) {
		close(*fd);
		*fd = -1;
	}
	return st;
}

enum status fetch_head(struct ship *s, const char *key, struct lo_hdr *h, struct err *e)
{
	uint64_t got = 0;
	int fd = fetch_tmp(s->root);
	if (fd < 0)
		return err_sys(e, errno, "%s/%s: a temporary file", s->root, SHIP_DIR);
	enum status st = s3_get_fd(s->s3, key, 0, SHIP_HEAD_BYTES, fd, &got, e);
	if (st == ST_OK)
		st = head_of(fd, got, h, key, e);
	close(fd);
	if (st == ST_INVALID && got == SHIP_HEAD_BYTES) {
		/* A header longer than the first bytes read (a snapshot of many days). */
		st = fetch_obj(s, key, &fd, h, e);
		if (st == ST_OK)
			close(fd);
	}
	return st;
}

enum status fetch_put_data(struct ship *s, const char *ws, const struct s3_part *parts, size_t n,
			   const char *sha, char key[LOGOBJ_KEY_MAX], struct err *e)
{
	char own[65];
	enum status st;
	if (!sha) {
		if ((st = s3_sha256(parts, n, own, e)) != ST_OK)
			return st;
		sha = own;
	}
	logobj_data_key(key, ws, sha);
	st = s3_put(s->s3, key, parts, n, sha, S3_CREATE, e);
	return st == ST_CONFLICT ? ST_OK : st;
}
