/* stamp: file versions for parse caches (stamp.h). */
#include "lib/base/stamp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static bool same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

bool stamp_same(const struct stamp *s, const char *path, const struct stat *sb)
{
	return s->known && !strcmp(s->path, path) && s->dev == sb->st_dev && s->ino == sb->st_ino &&
	       s->size == sb->st_size && same_time(s->mtime, sb->st_mtim) &&
	       same_time(s->ctime, sb->st_ctim);
}

void stamp_set(struct stamp *s, const char *path, const struct stat *sb)
{
	snprintf(s->path, sizeof s->path, "%s", path);
	s->dev = sb->st_dev;
	s->ino = sb->st_ino;
	s->size = sb->st_size;
	s->mtime = sb->st_mtim;
	s->ctime = sb->st_ctim;
	s->known = true;
}

FILE *stamp_open(const char *path, const char *what, struct stat *sb, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;

	if (!f || fstat(fileno(f), sb) < 0) {
		err_sys(e, errno, "%s %s", what, path);
		if (f)
			fclose(f);
		else if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(sb->st_mode)) {
		err_set(e, ST_UNAVAILABLE, "%s %s: not a regular file", what, path);
		fclose(f);
		return NULL;
	}
	return f;
}
