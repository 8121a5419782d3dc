/* forward: the files `spandex forward` keeps in DATA/.spandex-forward/ (ops.h, docs/FORMAT.md
 * "Forwarding"): a cursor per endpoint and workspace, and a status per endpoint. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/base/mem.h"
#include "lib/store/io.h"
#include "lib/store/ops.h"
#include "lib/store/store.h"

#define CURSOR_MAGIC "SPXFWD1"
#define STATUS_MAGIC "SPXFWS1"
#define FORWARD_FILE_MAX 512 /* bytes of either file: a line of numbers, then the error */
/* t/integration/forward.test.mjs kills the forwarder here: after the endpoint took a batch,
 * before the cursor says so (the batch goes again: the at-least-once bound). */
#define TEST_KILL_IN_FORWARD "SPANDEX_TEST_KILL_IN_FORWARD"

bool forward_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (!n || n > FORWARD_MAX_NAME || name[0] == '-' || name[0] == '_' ||
	    !strcmp(name, FORWARD_LOCK))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '-' || name[i] == '_'))
			return false;
	return true;
}

/* DATA/.spandex-forward/<endpoint>/<file>; false when it does not fit. */
static bool path_of(char *out, size_t cap, const char *root, const char *endpoint, const char *file,
		    const char *ext)
{
	int n = snprintf(out, cap, "%s/" FORWARD_DIR "/%s%s%s%s", root, endpoint, file ? "/" : "",
			 file ? file : "", ext);
	return n > 0 && (size_t)n < cap;
}

/* Writes text as DATA/.spandex-forward/<endpoint>/<file>: aside, synced, renamed over (the
 * directories made as needed). */
static enum status put(const char *root, const char *endpoint, const char *file, const char *text,
		       struct err *e)
{
	char dir[4096], path[4096], tmp[4096];
	if (!path_of(dir, sizeof dir, root, endpoint, NULL, "") ||
	    !path_of(path, sizeof path, root, endpoint, file, "") ||
	    !path_of(tmp, sizeof tmp, root, endpoint, file, ".tmp"))
		return err_set(e, ST_INVALID, "%s: path too long", root);
	char top[4096];
	snprintf(top, sizeof top, "%s/" FORWARD_DIR, root);
	if (io_mkdir(top) < 0 || io_mkdir(dir) < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", dir, strerror(errno));
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", tmp, strerror(errno));
	if (io_write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
		int er = errno;
		close(fd);
		unlink(tmp);
		return err_set(e, ST_UNAVAILABLE, "%s: %s", tmp, strerror(er));
	}
	close(fd);
	if (file && strcmp(file, "status"))
		io_test_kill(TEST_KILL_IN_FORWARD);
	if (rename(tmp, path) < 0) {
		int er = errno;
		unlink(tmp);
		return err_set(e, ST_UNAVAILABLE, "%s: %s", path, strerror(er));
	}
	return ST_OK;
}

/* The text of DATA/.spandex-forward/<endpoint>/<file> into buf; its length, or -1 (errno). */
static ssize_t get(const char *root, const char *endpoint, const char *file, char *buf, size_t cap)
{
	char path[4096];
	if (!path_of(path, sizeof path, root, endpoint, file, "")) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, cap - 1);
	int er = errno;
	close(fd);
	errno = er;
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

enum status forward_cursor_read(const char *root, const char *endpoint, const char *ws,
				int64_t *after_us, struct err *e)
{
	char file[128], buf[FORWARD_FILE_MAX], end;
	long long v;
	snprintf(file, sizeof file, "%s.cursor", ws);
	*after_us = 0;
	ssize_t n = get(root, endpoint, file, buf, sizeof buf);
	if (n < 0 && errno == ENOENT)
		return ST_NOT_FOUND;
	if (n < 0)
		return err_set(e, ST_UNAVAILABLE, FORWARD_DIR "/%s/%s: %s", endpoint, file,
			       strerror(errno));
	if (sscanf(buf, CURSOR_MAGIC " %lld%c", &v, &end) != 2 || end != '\n' || v < 0)
		return err_set(e, ST_INVALID,
			       FORWARD_DIR "/%s/%s is not a cursor this wrote: remove it to send "
					   "the workspace again from its start",
			       endpoint, file);
	*after_us = v;
	return ST_OK;
}

enum status forward_cursor_write(const char *root, const char *endpoint, const char *ws,
				 int64_t after_us, struct err *e)
{
	char file[128], text[64];
	snprintf(file, sizeof file, "%s.cursor", ws);
	snprintf(text, sizeof text, CURSOR_MAGIC " %" PRId64 "\n", after_us);
	return put(root, endpoint, file, text, e);
}

enum status forward_status_write(const char *root, const struct forward_status *s, struct err *e)
{
	char text[FORWARD_FILE_MAX];
	snprintf(text, sizeof text,
		 STATUS_MAGIC " %" PRId64 " %" PRIu64 " %" PRId64 " %" PRIu64 " %" PRIu64
			      " %" PRIu64 " %" PRId64 "\n%s\n",
		 s->checked_us, s->pending, s->oldest_us, s->delivered, s->rejected, s->dropped,
		 s->error_us, s->error);
	return put(root, s->endpoint, "status", text, e);
}

bool forward_status_read(const char *root, const char *endpoint, struct forward_status *s)
{
	char buf[FORWARD_FILE_MAX];
	int at = 0;
	memset(s, 0, sizeof *s);
	if (!forward_name_valid(endpoint) || get(root, endpoint, "status", buf, sizeof buf) < 0 ||
	    sscanf(buf,
		   STATUS_MAGIC " %" SCNd64 " %" SCNu64 " %" SCNd64 " %" SCNu64 " %" SCNu64
				" %" SCNu64 " %" SCNd64 "\n%n",
		   &s->checked_us, &s->pending, &s->oldest_us, &s->delivered, &s->rejected,
		   &s->dropped, &s->error_us, &at) != 7 ||
	    !at)
		return false;
	snprintf(s->endpoint, sizeof s->endpoint, "%s", endpoint);
	snprintf(s->error, sizeof s->error, "%.*s", (int)strcspn(buf + at, "\n"), buf + at);
	return true;
}

static int cmp_status(const void *a, const void *b)
{
	return strcmp(((const struct forward_status *)a)->endpoint,
		      ((const struct forward_status *)b)->endpoint);
}

void forward_status_all(const char *root, struct forward_status **out, size_t *n)
{
	char top[4096];
	struct dirent *d;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	snprintf(top, sizeof top, "%s/" FORWARD_DIR, root);
	DIR *dir = opendir(top);
	while (dir && (d = readdir(dir))) {
		struct forward_status s;
		if (!forward_status_read(root, d->d_name, &s))
			continue;
		if (*n == cap)
			*out = xrealloc(*out, (cap = cap ? 2 * cap : 4) * sizeof **out);
		(*out)[(*n)++] = s;
	}
	if (dir)
		closedir(dir);
	if (*n)
		qsort(*out, *n, sizeof **out, cmp_status);
}
