/* opsfs: the file work ops.c, backup.c and restore.c share: paths, copies that sync, rm -rf,
 * and the names of backup generations. */
#include "lib/store/opsfs.h"
#include "lib/store/ops.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/mem.h"
#include "lib/store/io.h"

enum status ops_skip(struct ops_skipped *skipped, enum status rc, struct err *e, const char *fmt,
		     ...)
{
	char msg[sizeof e->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!skipped)
		return err_set(e, rc, "%s", msg);
	skipped->n++;
	if (skipped->fn)
		skipped->fn(skipped->ctx, msg);
	return ST_OK;
}

bool ops_pathf(char *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, PATH_MAX, fmt, ap);
	va_end(ap);
	if (n <= 0 || n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return false;
	}
	return true;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(p) : unlink(p)) < 0 && errno != ENOENT ? -1 : 0;
}

int ops_rm_rf(const char *p)
{
	struct stat sb;
	if (lstat(p, &sb) < 0)
		return errno == ENOENT ? 0 : -1;
	return nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Copies the first len bytes of in to out (both at offset 0), in the kernel when it can. */
static int copy_bytes(int in, int out, uint64_t len)
{
	loff_t ioff = 0, ooff = 0;
	while ((uint64_t)ioff < len) {
		size_t want =
		    len - (uint64_t)ioff > (1u << 30) ? (1u << 30) : (size_t)(len - (uint64_t)ioff);
		ssize_t n = copy_file_range(in, &ioff, out, &ooff, want, 0);
		if (n > 0)
			continue;
		if (n == 0) {
			errno = EIO; /* the source is shorter than it was a moment ago */
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
			return -1;
		/* Another file system type, or an old kernel: plain reads and writes. */
		char *b = xmalloc(COPY_CHUNK);
		int rc = 0;
		while (rc == 0 && (uint64_t)ioff < len) {
			size_t c = len - (uint64_t)ioff > COPY_CHUNK
				       ? COPY_CHUNK
				       : (size_t)(len - (uint64_t)ioff);
			rc = io_pread_all(in, b, c, ioff) < 0 || io_pwrite_all(out, b, c, ooff) < 0
				 ? -1
				 : 0;
			ioff += (loff_t)c;
			ooff += (loff_t)c;
		}
		free(b);
		return rc;
	}
	return 0;
}

/* Writes the first len bytes of src_fd into a new file dst with mode (whatever the umask) and
 * syncs it. */
static int copy_mode(int src_fd, uint64_t len, const char *dst, mode_t mode)
{
	int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	if (fchmod(fd, mode) < 0 || copy_bytes(src_fd, fd, len) < 0 || fsync(fd) < 0) {
		int e = errno;
		close(fd);
		unlink(dst);
		errno = e;
		return -1;
	}
	return close(fd);
}

/* A data file: read by the programs' group as the store writes its own. */
int ops_copy_to(int src_fd, uint64_t len, const char *dst)
{
	return copy_mode(src_fd, len, dst, 0640);
}

/* Copies the file src to dst with mode; *len (may be NULL) gets its size. */
int ops_copy_path_mode(const char *src, const char *dst, mode_t mode, uint64_t *len)
{
	struct stat sb;
	int fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fstat(fd, &sb) < 0 ? -1 : copy_mode(fd, (uint64_t)sb.st_size, dst, mode);
	int e = errno;
	close(fd);
	errno = e;
	if (rc == 0 && len)
		*len = (uint64_t)sb.st_size;
	return rc;
}

int ops_copy_path(const char *src, const char *dst, uint64_t *len)
{
	return ops_copy_path_mode(src, dst, 0640, len);
}

/* Generation names: YYYYMMDDTHHMMSSZ, then -N for a second one within the same second. */
static bool gen_parse(const char *s, unsigned *seq)
{
	static const char shape[] = "ddddddddTddddddZ";
	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i])
			return false;
	*seq = 1;
	if (!s[16])
		return true;
	char *end;
	unsigned long n =
	    s[16] == '-' && s[17] >= '1' && s[17] <= '9' ? strtoul(s + 17, &end, 10) : 0;
	if (!n || *end || n > 1000000)
		return false;
	*seq = (unsigned)n;
	return true;
}

/* The newest complete generation (one with a MANIFEST, or one this user cannot look into)
 * under dest, into out (>= 64). */
bool ops_gen_newer(const char *a, const char *b)
{
	unsigned sa, sb;
	if (!gen_parse(a, &sa) || !gen_parse(b, &sb))
		return false;
	int c = strncmp(a, b, 16);
	return c > 0 || (c == 0 && sa > sb);
}

bool ops_gen_latest(const char *dest, char *out)
{
	DIR *d = opendir(dest);
	bool found = false;
	unsigned best_seq = 0;
	if (!d)
		return false;
	struct dirent *e;
	while ((e = readdir(d))) {
		char p[PATH_MAX];
		unsigned seq;
		/* One this user cannot read (a root run's, for a restore run as DATA's owner) is
		 * not passed over for an older one: it is taken, and its check says why it fails.
		 */
		if (strlen(e->d_name) >= 64 || !gen_parse(e->d_name, &seq) ||
		    !ops_pathf(p, "%s/%s/MANIFEST", dest, e->d_name) ||
		    (access(p, F_OK) < 0 && errno != EACCES && errno != EPERM))
			continue;
		int c = found ? strncmp(e->d_name, out, 16) : 1;
		if (c > 0 || (c == 0 && seq > best_seq)) {
			strcpy(out, e->d_name);
			best_seq = seq;
			found = true;
		}
	}
	closedir(d);
	return found;
}
