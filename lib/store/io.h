/* io: the system calls of the store that must not stop halfway: whole reads and writes
 * (EINTR retried, a short file read as EIO), exclusive flocks, directory syncs, the boot id;
 * and the hook by which tests kill a process where a crash would.
 * The ground floor of lib/store: it knows no file of the store. Private to lib/store. */
#ifndef SPANDEX_STORE_IO_H
#define SPANDEX_STORE_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Each returns 0, or -1 with errno set. */
int io_write_all(int fd, const void *p, size_t n);
int io_pwrite_all(int fd, const void *p, size_t n, off_t off);
/* A file shorter than off + n fails with EIO: it is treated like a damaged one. */
int io_pread_all(int fd, void *p, size_t n, off_t off);
/* flock(LOCK_EX), retried on EINTR. */
int io_lock_fd(int fd);
/* Opens path read-write (creating it when create) and takes its exclusive flock: the fd, or
 * -1 with errno set. Closing the fd releases the lock. */
int io_lock_open(const char *path, bool create);
/* Whether path names the file held (fstat of an open descriptor) and it is still linked: a lock
 * file removed (a "stale lock" cleaned up) or replaced locks nothing. */
struct stat;
bool io_same_file(const struct stat *held, const char *path);
/* mkdir path unless it exists. */
int io_mkdir(const char *path);
/* fsync of a directory, so that names created or renamed in it survive a machine crash;
 * best effort (a failure leaves only what a crash without it would). */
void io_sync_dir(const char *path);
/* Raises the soft limit on open files to the hard one (at most 1 << 20), once a process: a
 * batch keeps two descriptors open for each day it writes, a snapshot two for each day it
 * copies, and a soft limit of 1024 (systemd's) refused a valid batch of 1,000 days. */
void io_more_files(void);
/* A hash of this boot's id: it changes at every boot. Read once per process. */
uint64_t io_boot_id(void);
/* A test hook: kills the process with SIGKILL, as a crash would, when the environment
 * variable var is set and not empty (never in a real deployment); true otherwise. */
bool io_test_kill(const char *var);

#endif
