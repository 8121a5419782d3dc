/* io: whole reads and writes, locks, directory syncs and the boot id (see io.h). */
#include "lib/store/io.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/hash.h"

/* Writes all n bytes: at off with pwrite, or (off < 0) at the file's position with write. */
static int put_all(int fd, const char *s, size_t n, off_t off)
{
	while (n) {
		ssize_t w = off < 0 ? write(fd, s, n) : pwrite(fd, s, n, off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
		if (off >= 0)
			off += w;
	}
	return 0;
}

int io_write_all(int fd, const void *p, size_t n)
{
	return put_all(fd, p, n, -1);
}

int io_pwrite_all(int fd, const void *p, size_t n, off_t off)
{
	return put_all(fd, p, n, off);
}

int io_pread_all(int fd, void *p, size_t n, off_t off)
{
	char *s = p;
	while (n) {
		ssize_t r = pread(fd, s, n, off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = EIO; /* short file: treated like a damaged one */
			return -1;
		}
		s += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

int io_lock_fd(int fd)
{
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

bool io_same_file(const struct stat *held, const char *path)
{
	struct stat b;
	return held->st_nlink > 0 && stat(path, &b) == 0 && held->st_ino == b.st_ino &&
	       held->st_dev == b.st_dev;
}

int io_lock_open(const char *path, bool create)
{
	/* A lock file removed while we waited for it (a refused first write takes its empty
	 * workspace away, store_append) locks nothing: open the one at path again. */
	for (int tries = 0; tries < 100; tries++) {
		int fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0640);
		if (fd < 0)
			return -1;
		struct stat a;
		if (io_lock_fd(fd) < 0 || fstat(fd, &a) < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (io_same_file(&a, path))
			return fd;
		close(fd);
	}
	errno = EAGAIN;
	return -1;
}

void io_more_files(void)
{
	static bool done;
	struct rlimit rl;
	if (done)
		return;
	done = true;
	const rlim_t most = (rlim_t)1 << 20;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max && rl.rlim_cur < most) {
		rl.rlim_cur = rl.rlim_max < most ? rl.rlim_max : most;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int io_mkdir(const char *path)
{
	return mkdir(path, 0750) < 0 && errno != EEXIST ? -1 : 0;
}

void io_sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

uint64_t io_boot_id(void)
{
	/* Changes at every boot: an id table written before a crash of the machine may have
	 * lost pages that its shards (which are fdatasync'ed) kept, so it is rebuilt then. A
	 * process lives within one boot, so it reads the id once. Test hook (t/check_power.c):
	 * SPANDEX_TEST_BOOT_ID, unset in every real deployment, stands for the id, so that one
	 * process can play the machine before and after a power cut. */
	static uint64_t cached;
	static bool known;
	const char *t = getenv("SPANDEX_TEST_BOOT_ID");
	if (t && *t)
		return hash_bytes(t, strlen(t));
	if (known)
		return cached;
	char b[64] = {0};
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, b, sizeof(b) - 1);
		close(fd);
		cached = n > 0 ? hash_bytes(b, (size_t)n) : 0;
	}
	known = true;
	return cached;
}

bool io_test_kill(const char *var)
{
	const char *k = getenv(var);
	if (k && *k)
		raise(SIGKILL);
	return true;
}
