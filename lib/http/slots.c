/* slots: how many of a program's workers expensive requests may hold at once, so that one
 * client repeating a scan of a large project (Opik's stats, a search) cannot take every
 * worker and leave a get by id of another workspace queued behind it (issue 30, item 8).
 *
 * The state is one file of no name (memfd) the parent opens before it forks, and POSIX
 * record locks (fcntl F_SETLK) on single bytes of it: byte i is slot i of the program, and
 * each workspace hashes to a run of bytes further on. Record locks belong to the process, not to
 * the descriptor the workers share, so each worker holds its own; they are never waited for
 * (a worker that waited would be held all the same), and the kernel drops them when a
 * worker dies, so a crash mid-request leaks no slot. No state is kept per tenant: a
 * workspace is a hash bucket, and two that share one share its slots. A query's admission
 * to them (its budget, and http_heavy as its hook) is lib/api/common's (api_query_init). */
#include "lib/http/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "lib/base/hash.h"

/* Buckets the workspaces hash to: enough that two busy workspaces rarely share one. */
#define SLOTS_WS_BUCKETS 4096

static int lock_fd = -1;
static int heavy_max, heavy_per_ws;
static off_t held[2];
static int nheld;

void http_slots_init(int workers)
{
	/* One worker cannot keep one free for cheap requests: nothing to count. */
	if (workers <= HTTP_CHEAP_WORKERS)
		return;
	/* A file of no name, in memory; an unlinked temporary file where there is no memfd. It
	 * stays open for the process's life. */
	lock_fd = memfd_create("spandex-slots", MFD_CLOEXEC);
	if (lock_fd < 0) {
		FILE *f = tmpfile();

		lock_fd = f ? fileno(f) : -1;
	}
	if (lock_fd < 0) {
		http_log(NULL, "no file for the slots of expensive requests (%s): none kept",
			 strerror(errno));
		return;
	}
	heavy_max = workers - HTTP_CHEAP_WORKERS;
	heavy_per_ws = (heavy_max + 1) / 2;
}

/* Takes the lock on byte off without waiting: 1 taken, 0 held by another worker. A lock
 * the kernel cannot give for another reason (no memory for it) counts as taken: fairness
 * is not worth refusing a request over. */
static int take(off_t off)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = off, .l_len = 1};

	if (fcntl(lock_fd, F_SETLK, &fl) == 0)
		return 1;
	return errno == EACCES || errno == EAGAIN ? 0 : 1;
}

/* Takes the first free byte of [base, base + n); true when one was. */
static bool take_one(off_t base, int n)
{
	for (int i = 0; i < n; i++)
		if (take(base + i)) {
			held[nheld++] = base + i;
			return true;
		}
	return false;
}

/* Releases in the reverse of the order taken: the program's slot before the workspace's
 * share, so a worker that holds a program slot always holds its workspace's share too, and a
 * workspace never holds more of the program than its share, even for the instant between the
 * two unlocks (released the other way round, another worker of the same workspace could take
 * the share and a second slot in that instant, and refuse a third workspace). */
void http_slots_release(void)
{
	while (nheld > 0) {
		struct flock fl = {
		    .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = held[--nheld], .l_len = 1};

		fcntl(lock_fd, F_SETLK, &fl);
	}
}

int http_slots_take(const char *ws, int *most)
{
	off_t bucket;

	if (lock_fd < 0 || nheld)
		return 0; /* no limit here, or this request already holds its slot */
	bucket = (off_t)(hash_bytes(ws, strlen(ws)) % SLOTS_WS_BUCKETS);
	/* The workspace's share first, so a workspace at its share leaves the program's slots
	 * to the others. */
	if (!take_one(HTTP_MAX_WORKERS + bucket * HTTP_MAX_WORKERS, heavy_per_ws)) {
		*most = heavy_per_ws;
		return 1;
	}
	if (!take_one(0, heavy_max)) {
		http_slots_release();
		*most = heavy_max;
		return 2;
	}
	return 0;
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void http_slots_start(struct http_req *req)
{
	req->t0_ns = clock_ns(CLOCK_MONOTONIC);
	req->cpu0_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID);
}
