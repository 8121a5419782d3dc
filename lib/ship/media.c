/* media: a workspace's media files (docs/FORMAT.md, "Media files") travel as content-keyed
 * objects <ws>/media/<sha256>, each created once. A pass creates those the bucket lacks before
 * the object it ships (a media file is synced before the batch whose lines reference it, so
 * every file the cut's lines name is there), and a pull fetches them all into the copy it
 * builds: a pulled workspace's references find their files (verify, GET .../media). */
#include "lib/ship/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/mem.h"

/* The names of the media objects the bucket holds for a workspace, sorted (a listing's order). */
struct names {
	char (*v)[STORE_MEDIA_HEX + 1];
	size_t n;
	size_t skip; /* strlen("<ws>/media/") */
};

static bool name_add(void *ctx, const struct s3_obj *o)
{
	struct names *q = ctx;
	const char *hex = o->key + q->skip;
	if (strlen(o->key) > q->skip && store_media_name(hex, strlen(hex))) {
		q->v = xrealloc(q->v, (q->n + 1) * sizeof(*q->v));
		memcpy(q->v[q->n++], hex, STORE_MEDIA_HEX + 1);
	}
	return true;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static enum status names_list(struct ship *s, const char *ws, struct names *q, struct err *e)
{
	char pfx[LOGOBJ_KEY_MAX];
	snprintf(pfx, sizeof pfx, "%s/%s/", ws, STORE_MEDIA_DIR);
	memset(q, 0, sizeof(*q));
	q->skip = strlen(pfx);
	enum status st = s3_list(s->s3, pfx, NULL, 0, name_add, q, e);
	if (st == ST_OK && q->n)
		qsort(q->v, q->n, sizeof(*q->v), name_cmp);
	return st;
}

/* Creates the object of the media file path (hex) unless the bucket holds it. */
static enum status ship_one(struct ship *s, const char *ws, const struct names *have,
			    const char *path, const char *hex, size_t *objects, struct err *e)
{
	if (have->n && bsearch(hex, have->v, have->n, sizeof(*have->v), name_cmp))
		return ST_OK;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0)
		return errno == ENOENT ? ST_OK
				       : err_sys(e, errno, "%s", path); /* swept meanwhile */
	if (fstat(fd, &sb) < 0) {
		enum status st = err_sys(e, errno, "%s", path);
		close(fd);
		return st;
	}
	char key[LOGOBJ_KEY_MAX];
	snprintf(key, sizeof key, "%s/%s/%s", ws, STORE_MEDIA_DIR, hex);
	struct s3_part part = {.fd = fd, .off = 0, .len = (uint64_t)sb.st_size};
	enum status st = s3_put(s->s3, key, &part, 1, NULL, S3_CREATE, e);
	close(fd);
	if (st == ST_OK)
		(*objects)++;
	return st == ST_CONFLICT ? ST_OK : st; /* content-keyed: the same bytes */
}

/* Each media file of one <aa>/ directory of ws's media. */
static enum status ship_dir(struct ship *s, const char *ws, const struct names *have,
			    const char *dir, size_t *objects, struct err *e)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? ST_OK : err_sys(e, errno, "%s", dir);
	enum status st = ST_OK;
	char p[PATH_MAX];
	for (struct dirent *de; st == ST_OK && (de = readdir(d));) {
		size_t n = strlen(de->d_name);
		if (!store_media_name(de->d_name, n) ||
		    memcmp(de->d_name, dir + strlen(dir) - 2, 2))
			continue; /* a put's leftover, a stray file */
		if (snprintf(p, sizeof p, "%s/%s", dir, de->d_name) >= (int)sizeof p)
			continue;
		st = ship_one(s, ws, have, p, de->d_name, objects, e);
	}
	closedir(d);
	return st;
}

enum status media_ship(struct ship *s, const char *ws, size_t *objects, struct err *e)
{
	char top[PATH_MAX];
	if (snprintf(top, sizeof top, "%s/%s/%s", s->root, ws, STORE_MEDIA_DIR) >= (int)sizeof top)
		return err_set(e, ST_BAD_REQUEST, "%s: path too long", ws);
	DIR *d = opendir(top);
	if (!d)
		return errno == ENOENT ? ST_OK : err_sys(e, errno, "%s", top);
	struct names have;
	enum status st = names_list(s, ws, &have, e);
	char p[PATH_MAX];
	for (struct dirent *de; st == ST_OK && (de = readdir(d));) {
		if (strlen(de->d_name) != 2 || strspn(de->d_name, "0123456789abcdef") != 2)
			continue;
		if (snprintf(p, sizeof p, "%s/%s", top, de->d_name) < (int)sizeof p)
			st = ship_dir(s, ws, &have, p, objects, e);
	}
	closedir(d);
	free(have.v);
	return st;
}

/* One media object into the copy's <aa>/<hex>: written aside, synced, renamed. */
static enum status pull_one(struct ship *s, const char *ws, const char *top, const char *hex,
			    uint64_t *bytes, struct err *e)
{
	char dir[PATH_MAX], p[PATH_MAX], t[PATH_MAX], key[LOGOBJ_KEY_MAX];
	if (snprintf(dir, sizeof dir, "%s/%.2s", top, hex) >= (int)sizeof dir ||
	    snprintf(p, sizeof p, "%s/%s", dir, hex) >= (int)sizeof p ||
	    snprintf(t, sizeof t, "%s/%s.tmp-%d", dir, hex, (int)getpid()) >= (int)sizeof t)
		return err_set(e, ST_BAD_REQUEST, "%s: path too long", top);
	snprintf(key, sizeof key, "%s/%s/%s", ws, STORE_MEDIA_DIR, hex);
	if ((mkdir(top, 0750) < 0 && errno != EEXIST) || (mkdir(dir, 0750) < 0 && errno != EEXIST))
		return err_sys(e, errno, "%s", dir);
	int fd = open(t, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return err_sys(e, errno, "%s", t);
	uint64_t got = 0;
	enum status st = s3_get_fd(s->s3, key, 0, 0, fd, &got, e);
	if (st == ST_OK && fdatasync(fd) < 0)
		st = err_sys(e, errno, "%s", t);
	close(fd);
	if (st == ST_OK && rename(t, p) < 0)
		st = err_sys(e, errno, "%s", p);
	if (st != ST_OK)
		unlink(t);
	*bytes += got;
	return st;
}

enum status media_pull(struct ship *s, const char *ws, const char *root, size_t *objects,
		       uint64_t *bytes, struct err *e)
{
	char top[PATH_MAX];
	if (snprintf(top, sizeof top, "%s/%s/%s", root, ws, STORE_MEDIA_DIR) >= (int)sizeof top)
		return err_set(e, ST_BAD_REQUEST, "%s: path too long", ws);
	struct names have;
	enum status st = names_list(s, ws, &have, e);
	for (size_t i = 0; st == ST_OK && i < have.n; i++) {
		st = pull_one(s, ws, top, have.v[i], bytes, e);
		if (st == ST_NOT_FOUND) /* listed, then gone: nothing references it any more */
			st = ST_OK;
		else if (st == ST_OK)
			(*objects)++;
	}
	free(have.v);
	return st;
}
