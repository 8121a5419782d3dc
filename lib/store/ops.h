/* ops: the operator's jobs over a data directory, the ones cron runs: retention, backup and
 * restore, export (import is lib/ingest/import.h), and the admin lock that keeps two runs apart.
 * Core only. Nothing here keeps state between calls; e (may be NULL) gets a one-line reason. */
#ifndef SPANDEX_OPS_H
#define SPANDEX_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/base/status.h"
#include "lib/store/store.h"

#define OPS_LOCK_NAME ".spandex-admin.lock" /* in DATA; not a valid workspace name */

/* Takes the admin lock DATA/.spandex-admin.lock for command cmd (written into the file so
 * a refused run can name the holder). wait: block until it is free; else fail at once with
 * errno EWOULDBLOCK. Returns the fd that holds it (close releases it), or -1. */
int ops_lock(const char *root, const char *cmd, bool wait, struct err *e);

/* Removes the shards of ws whose day is before cutoff_day, each under the workspace lock and
 * its shard lock; with archive, first places them in archive/<ws>/. *removed counts days. */
enum status ops_retain(struct store *st, const char *ws, int32_t cutoff_day, const char *archive,
		       size_t *removed, struct err *e);

struct ops_backup_stats {
	char gen[64]; /* the generation written, DEST/<gen> */
	size_t days_copied, days_linked;
	uint64_t bytes_copied, bytes_linked;
};
/* Writes a consistent snapshot of every workspace of st as the generation DEST/<UTC time>/,
 * hard-linking days unchanged since the newest earlier generation. Ingest may continue. */
enum status ops_backup(struct store *st, const char *dest, struct ops_backup_stats *stats,
		       struct err *e);

/* Copies a generation (BACKUP itself, or the newest one under it) into st's root. A root that
 * holds anything but the admin lock is refused unless force; then the workspaces of the
 * backup replace those of the same name. The names restored go to *names (caller frees each
 * and the array), for verification. */
enum status ops_restore(const char *backup, struct store *st, bool force, char ***names, size_t *n,
			struct err *e);

/* Writes the live (not superseded) spans of ws with from_us <= started_at < to_us to fd, one
 * canonical line each, day by day in ingest order. *count gets the number of lines. */
enum status ops_export(struct store *st, const char *ws, int64_t from_us, int64_t to_us, int fd,
		       size_t *count, struct err *e);

#endif
