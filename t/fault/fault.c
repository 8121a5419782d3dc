/* fault: an LD_PRELOAD shim that makes the store's system calls fail the way disks and
 * kernels do, for t/integration/faults.test.mjs (issue 13). SPANDEX_FAULT is a comma list:
 *   enospc=SUBSTR  write, pwrite, ftruncate (growing) and fallocate on a file whose path
 *                  contains SUBSTR fail with ENOSPC (a full disk); up to four of them;
 *   eio-sync       fdatasync and fsync fail with EIO;
 *   eio-write      write and pwrite of .jsonl and .idx files fail with EIO;
 *   short          write and pwrite of a regular file move at most half the bytes asked
 *                  (at least one);
 *   eintr          every other write, pwrite, read, pread and flock of a regular file fails
 *                  with EINTR before doing anything;
 *   count=SUBSTR   counts the calls that change a file whose path contains SUBSTR (write,
 *                  pwrite, ftruncate, fdatasync, fsync), for the two below (issue 30);
 *   eio-at=N       the Nth of them fails with EIO, doing nothing (only that one);
 *   kill-at=N      the process is killed (SIGKILL) instead of making the Nth;
 *   torn-at=N      the Nth, a write or pwrite, moves only its first K bytes (torn=K, 8 when
 *                  not given; half of a write of K bytes or fewer) and reports them moved,
 *                  and every counted call after it fails with EIO, doing nothing: a torn
 *                  small write on a disk that then fails (issue 55);
 *   plog=PATH      power loss (issue 30): every call counted (with count=) that succeeds is
 *                  recorded in PATH: a write or pwrite with its bytes and offset, an
 *                  ftruncate with its length, and at fdatasync or fsync the whole file as it
 *                  is then (what the disk holds for certain). t/check_power.c rebuilds the
 *                  files from it as a disk may hold them after a power cut: each file as at
 *                  its last sync, plus some of the writes after it;
 *   nosync         fdatasync and fsync do nothing and succeed (the power-loss test rebuilds
 *                  the disk from plog, so the real syncs would only cost time);
 *   clock=SECONDS  the wall clock (clock_gettime's CLOCK_REALTIME and its coarse form) reads
 *                  SECONDS later (earlier when negative): a host or a writer whose clock is
 *                  wrong (issue 55, item 7); the other faults, and every other clock, stay.
 * Nothing else changes; without SPANDEX_FAULT the shim passes every call through.
 * t/check_crash.c and t/check_power.c link this file into their programs and arm it per case
 * with fault_arm. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static struct {
	bool init, eio_sync, eio_write, shrt, eintr, nosync;
	long long clock_shift; /* clock=: seconds added to the wall clock */
	char enospc[4][128];   /* path substrings; "" unused */
	unsigned tick;
	char count[128];		 /* count=: "" counts nothing */
	unsigned calls, eio_at, kill_at; /* calls counted so far; 0: no fault */
	unsigned torn_at, torn;		 /* torn-at=, torn=: 0 none */
	char plog[256];			 /* plog=: "" records nothing */
	int plog_fd;			 /* opened on the first record */
} F;

static void parse(const char *s);

static void init(void)
{
	if (F.init)
		return;
	F.init = true;
	const char *s = getenv("SPANDEX_FAULT");
	if (s)
		parse(s);
}

/* Forgets every fault and takes those of spec (SPANDEX_FAULT's syntax), the count at 0. */
void fault_arm(const char *spec);
void fault_arm(const char *spec)
{
	if (F.plog_fd > 0)
		close(F.plog_fd);
	memset(&F, 0, sizeof(F));
	F.init = true;
	parse(spec);
}

/* The calls counted since fault_arm. */
unsigned fault_calls(void);
unsigned fault_calls(void)
{
	return F.calls;
}

static void parse(const char *s)
{
	char buf[1024];
	snprintf(buf, sizeof buf, "%s", s);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strncmp(t, "enospc=", 7)) {
			for (int i = 0; i < 4; i++)
				if (!F.enospc[i][0]) {
					snprintf(F.enospc[i], sizeof F.enospc[i], "%s", t + 7);
					break;
				}
		} else if (!strcmp(t, "eio-sync"))
			F.eio_sync = true;
		else if (!strcmp(t, "eio-write"))
			F.eio_write = true;
		else if (!strcmp(t, "short"))
			F.shrt = true;
		else if (!strcmp(t, "eintr"))
			F.eintr = true;
		else if (!strcmp(t, "nosync"))
			F.nosync = true;
		else if (!strncmp(t, "count=", 6))
			snprintf(F.count, sizeof F.count, "%s", t + 6);
		else if (!strncmp(t, "eio-at=", 7))
			F.eio_at = (unsigned)strtoul(t + 7, NULL, 10);
		else if (!strncmp(t, "kill-at=", 8))
			F.kill_at = (unsigned)strtoul(t + 8, NULL, 10);
		else if (!strncmp(t, "torn-at=", 8))
			F.torn_at = (unsigned)strtoul(t + 8, NULL, 10);
		else if (!strncmp(t, "torn=", 5))
			F.torn = (unsigned)strtoul(t + 5, NULL, 10);
		else if (!strncmp(t, "plog=", 5))
			snprintf(F.plog, sizeof F.plog, "%s", t + 5);
		else if (!strncmp(t, "clock=", 6))
			F.clock_shift = strtoll(t + 6, NULL, 10);
	}
}

/* Whether the file open at fd has a path containing sub (or, with sub NULL, is a store file:
 * .jsonl or .idx). */
static bool fd_path_has(int fd, const char *sub)
{
	char link[64], path[PATH_MAX];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof path - 1);
	if (n < 0)
		return false;
	path[n] = 0;
	if (sub)
		return *sub && strstr(path, sub);
	return strstr(path, ".jsonl") || strstr(path, ".idx");
}

/* Short writes and EINTR only hit regular files: sockets and pipes (FastCGI, the logs) are
 * left alone. */
static bool regular(int fd)
{
	struct stat sb;
	return fd > 2 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
}

static bool full(int fd)
{
	for (int i = 0; i < 4 && F.enospc[i][0]; i++)
		if (fd_path_has(fd, F.enospc[i]))
			return true;
	return false;
}

/* A call that changes the file at fd: counted when count= names it; EIO for the eio-at'th,
 * a kill before the kill-at'th. */
static int counted(int fd)
{
	if (!F.count[0] || fd <= 2 || !fd_path_has(fd, F.count))
		return 0;
	F.calls++;
	if (F.calls == F.kill_at)
		raise(SIGKILL);
	if (F.torn_at && F.calls > F.torn_at)
		return EIO;
	return F.calls == F.eio_at ? EIO : 0;
}

/* The next definition of name (libc's, or a sanitizer's in front of it). */
#define NEXT(name)                                                                                 \
	static __typeof__(&name) real_##name;                                                      \
	if (!real_##name)                                                                          \
	real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

/* plog: one record per call that changed a counted file (t/check_power.c reads them). */
struct plog_rec {
	char type; /* 'W' bytes written at off, 'T' truncated to off, 'S' synced: the file */
	char pad[3];
	uint32_t plen; /* the path's bytes, then len bytes of data */
	uint64_t off, len;
};

static void plog_put(int fd, char type, uint64_t off, const void *p, uint64_t len)
{
	NEXT(write);
	char link[64], path[PATH_MAX];
	if (!F.plog[0] || !F.count[0] || fd <= 2)
		return;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof path - 1);
	if (n < 0 || !strstr((path[n] = 0, path), F.count))
		return;
	if (F.plog_fd <= 0)
		F.plog_fd = open(F.plog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	struct plog_rec r = {type, {0}, (uint32_t)n, off, len};
	size_t total = sizeof r + (size_t)n + (size_t)len;
	char *b = malloc(total);
	if (!b)
		abort();
	memcpy(b, &r, sizeof r);
	memcpy(b + sizeof r, path, (size_t)n);
	if (len)
		memcpy(b + sizeof r + n, p, (size_t)len);
	if (real_write(F.plog_fd, b, total) != (ssize_t)total)
		abort();
	free(b);
}

/* The whole file at fd, recorded as synced. */
static void plog_sync(int fd)
{
	NEXT(pread);
	struct stat sb;
	if (!F.plog[0] || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		return;
	char *b = malloc((size_t)sb.st_size + 1);
	if (!b || real_pread(fd, b, (size_t)sb.st_size, 0) != sb.st_size)
		abort();
	plog_put(fd, 'S', 0, b, (uint64_t)sb.st_size);
	free(b);
}

static bool interrupted(int fd)
{
	return F.eintr && regular(fd) && (++F.tick & 1);
}

static ssize_t fail(int e)
{
	errno = e;
	return -1;
}

/* The fault of a write of n bytes to fd (0: none), and the bytes it may move. */
static int write_fault(int fd, size_t *n)
{
	init();
	if (fd <= 2 || !*n)
		return 0;
	int c = counted(fd);
	if (c)
		return c;
	if (interrupted(fd))
		return EINTR;
	if (full(fd))
		return ENOSPC;
	if (F.eio_write && fd_path_has(fd, NULL))
		return EIO;
	if (F.shrt && *n > 1 && regular(fd))
		*n /= 2;
	if (F.torn_at && F.calls == F.torn_at) {
		size_t k = F.torn ? F.torn : 8;
		*n = *n > k ? k : *n > 1 ? *n / 2 : *n;
	}
	return 0;
}

ssize_t write(int fd, const void *p, size_t n)
{
	NEXT(write);
	int e = write_fault(fd, &n);
	if (e)
		return fail(e);
	/* Where the bytes land: the end with O_APPEND, else the file offset. */
	struct stat sb;
	off_t at = -1;
	if (F.plog[0] && fd > 2)
		at = (fcntl(fd, F_GETFL) & O_APPEND) ? (fstat(fd, &sb) == 0 ? sb.st_size : -1)
						     : lseek(fd, 0, SEEK_CUR);
	ssize_t w = real_write(fd, p, n);
	if (w > 0 && at >= 0)
		plog_put(fd, 'W', (uint64_t)at, p, (uint64_t)w);
	return w;
}

ssize_t pwrite(int fd, const void *p, size_t n, off_t off)
{
	NEXT(pwrite);
	int e = write_fault(fd, &n);
	if (e)
		return fail(e);
	ssize_t w = real_pwrite(fd, p, n, off);
	if (w > 0)
		plog_put(fd, 'W', (uint64_t)off, p, (uint64_t)w);
	return w;
}

ssize_t pwrite64(int fd, const void *p, size_t n, off_t off)
{
	return pwrite(fd, p, n, off);
}

ssize_t read(int fd, void *p, size_t n)
{
	NEXT(read);
	init();
	if (fd > 2 && n && interrupted(fd))
		return fail(EINTR);
	return real_read(fd, p, n);
}

ssize_t pread(int fd, void *p, size_t n, off_t off)
{
	NEXT(pread);
	init();
	if (fd > 2 && n && interrupted(fd))
		return fail(EINTR);
	return real_pread(fd, p, n, off);
}

ssize_t pread64(int fd, void *p, size_t n, off_t off)
{
	return pread(fd, p, n, off);
}

int ftruncate(int fd, off_t len)
{
	NEXT(ftruncate);
	init();
	struct stat sb;
	int c = counted(fd);
	if (c)
		return (int)fail(c);
	if (fstat(fd, &sb) == 0 && len > sb.st_size && full(fd))
		return (int)fail(ENOSPC);
	int r = real_ftruncate(fd, len);
	if (r == 0)
		plog_put(fd, 'T', (uint64_t)len, NULL, 0);
	return r;
}

int ftruncate64(int fd, off_t len)
{
	return ftruncate(fd, len);
}

int posix_fallocate(int fd, off_t off, off_t len)
{
	NEXT(posix_fallocate);
	init();
	if (full(fd))
		return ENOSPC;
	return real_posix_fallocate(fd, off, len);
}

int fallocate(int fd, int mode, off_t off, off_t len)
{
	NEXT(fallocate);
	init();
	if (full(fd))
		return (int)fail(ENOSPC);
	return real_fallocate(fd, mode, off, len);
}

int fdatasync(int fd)
{
	NEXT(fdatasync);
	init();
	int c = counted(fd);
	if (c)
		return (int)fail(c);
	if (F.eio_sync)
		return (int)fail(EIO);
	int r = F.nosync ? 0 : real_fdatasync(fd);
	if (r == 0)
		plog_sync(fd);
	return r;
}

int fsync(int fd)
{
	NEXT(fsync);
	init();
	int c = counted(fd);
	if (c)
		return (int)fail(c);
	if (F.eio_sync)
		return (int)fail(EIO);
	int r = F.nosync ? 0 : real_fsync(fd);
	if (r == 0)
		plog_sync(fd);
	return r;
}

int flock(int fd, int op)
{
	NEXT(flock);
	init();
	if (!(op & LOCK_UN) && interrupted(fd))
		return (int)fail(EINTR);
	return real_flock(fd, op);
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	NEXT(clock_gettime);
	int rc = real_clock_gettime(id, ts);
	init();
	if (rc == 0 && F.clock_shift && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += (time_t)F.clock_shift;
	return rc;
}
