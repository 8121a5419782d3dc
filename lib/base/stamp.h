/* stamp: a file's identity and version as fstat gives them, for the caches that parse a file
 * again only when it changed (the key file, the price table, the redaction rules): another
 * file under the path (a rename), another size, modification or change time means another
 * content. A cache opens its file with stamp_open on every use, and parses it again only when
 * stamp_same says it is another version. */
#ifndef SPANDEX_BASE_STAMP_H
#define SPANDEX_BASE_STAMP_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include "lib/base/status.h"

struct stamp {
	char path[PATH_MAX];
	bool known; /* set once stamp_set ran */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

/* True when s was set from path and sb (the file opened there now) is the same version. */
bool stamp_same(const struct stamp *s, const char *path, const struct stat *sb);
/* Records path and sb in s. */
void stamp_set(struct stamp *s, const char *path, const struct stat *sb);

/* Opens the file a cache reads, path, with *sb its stat; NULL with e set when it cannot be
 * read (err_sys: ST_NOT_FOUND when absent) or is no regular file (ST_UNAVAILABLE): a FIFO or
 * a device (a link to /dev/zero is one endless line) is no file of settings. It is opened with
 * O_NONBLOCK, so a FIFO there does not wait for a writer and hold every worker that reads it.
 * what names the file in e ("price table"). The caller closes the stream. */
FILE *stamp_open(const char *path, const char *what, struct stat *sb, struct err *e);

#endif
