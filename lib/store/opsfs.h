/* opsfs: private to lib/store, what ops.c, backup.c and restore.c share: paths of PATH_MAX,
 * copies that sync, the holders of a lock, and the newest backup generation. */
#ifndef SPANDEX_OPSFS_H
#define SPANDEX_OPSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define COPY_CHUNK (1u << 20) /* bytes per read/write when copy_file_range cannot be used */

/* Formats a path into out (PATH_MAX bytes); false with errno ENAMETOOLONG when it does not fit. */
bool ops_pathf(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A data file: writes the first len bytes of src_fd into a new file dst, mode 0640, synced. */
int ops_copy_to(int src_fd, uint64_t len, const char *dst);

/* Copies the file src to dst with mode (whatever the umask), synced; *len (may be NULL) gets
 * its size. ops_copy_path: mode 0640, as the store writes its own files. */
int ops_copy_path_mode(const char *src, const char *dst, mode_t mode, uint64_t *len);
int ops_copy_path(const char *src, const char *dst, uint64_t *len);

/* The processes holding a lock on the file behind fd, as "pid N (name)" (from /proc/locks
 * and /proc/N/comm, where Linux gives them), into out; "" when they cannot be told. */
void ops_lock_holders(int fd, char *out, size_t len);

/* The newest complete generation (one with a MANIFEST) under dest, into out (>= 64). */
bool ops_gen_latest(const char *dest, char *out);
/* Whether a and b are generation names and a was taken after b. */
bool ops_gen_newer(const char *a, const char *b);

#endif
