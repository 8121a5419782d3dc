/* state: what this host knows of each workspace it ships, in DATA/.spandex-ship/ (docs/FORMAT.md,
 * "The bucket", "On the host"): <ws>.state (the last object, each day's shipped extent, the
 * last pass's outcome; rewritten whole, aside then renamed), <ws>.lock (one pass at a time,
 * flock), <ws>.lost (the workspace is not this host's to write: why, and what this copy holds
 * that the bucket does not), host (this data directory's id in the bucket) and check (the
 * last check of the bucket, while it fails). Private to
 * lib/ship. */
#ifndef SPANDEX_SHIP_STATE_H
#define SPANDEX_SHIP_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/base/buf.h"
#include "lib/base/status.h"
#include "lib/ship/ship.h"
#include "lib/store/store.h"

#define STATE_MAX_BYTES (64u << 20) /* a state file: a line per day, some thousands of days */
#define STATE_FILES 4 /* files that travel with a workspace: rules, keys, secret, room */

/* A day as it was last shipped: its stream [0, end) of recs lines, sealed bytes, and record
 * recs - 1's hash and ingest time (a rewrite changes them). snap_end: how much of it the last
 * snapshot's objects hold (0: none), sealed there when snap_sealed. */
struct sday {
	enum store_kind kind;
	int32_t day;
	uint64_t recs, end, sealed, last_h;
	int64_t last_ing;
	uint64_t snap_end;
	bool snap_sealed;
};
struct sfile {
	char name[32];
	char sha[65];
};
struct sstate {
	bool exists;
	char bucket[1200]; /* s3_conf_name of the bucket it was shipped to */
	uint64_t seq;	   /* the workspace's last object in the bucket, this host's */
	uint64_t snap;	   /* the last snapshot's object (0: none yet) */
	uint64_t log_objects, log_bytes; /* since it */
	uint64_t dev, ino; /* the workspace directory shipped (a restore replaces it) */
	struct sday *days;
	size_t n, cap;
	struct sfile files[STATE_FILES];
	size_t nfiles;
	/* The last pass. */
	int64_t pass_at, caught_up_at, error_at;
	int64_t checked_at; /* the last look for another host's next object (pass_idle) */
	uint64_t lag_bytes;
	char error[ERR_MSG];
};

/* DATA/.spandex-ship/<ws><ext> (ws NULL: DATA/.spandex-ship/<ext>) into out (PATH_MAX). */
bool state_path(char *out, const char *root, const char *ws, const char *ext);
/* Reads ws's state: ST_OK (s->exists false when there is none), ST_INVALID when damaged. */
enum status state_load(const char *root, const char *ws, struct sstate *s, struct err *e);
/* Writes it whole (aside, synced, renamed). */
enum status state_save(const char *root, const char *ws, const struct sstate *s, struct err *e);
void state_free(struct sstate *s);
/* The day of kind k, or NULL; state_add_day appends one (kept sorted by state_sort). */
struct sday *state_day(struct sstate *s, enum store_kind k, int32_t day);
struct sday *state_add_day(struct sstate *s, enum store_kind k, int32_t day);
void state_drop_day(struct sstate *s, struct sday *d);
void state_sort(struct sstate *s);
/* The sha of file name as last shipped ("" when none), and setting it. */
const char *state_file(const struct sstate *s, const char *name);
void state_set_file(struct sstate *s, const char *name, const char *sha);

/* ws's lock of passes (flock, blocking): the fd, or -1 with errno. */
int state_lock(const char *root, const char *ws);
/* The marker of a workspace that is not this host's to write: kind "lost" or "behind", to
 * whom and since which object, and the report (JSON) of what this copy holds beyond the
 * bucket. state_fenced: whether there is one (a stat), its reason into e (ST_UNAVAILABLE). */
enum status state_mark(const char *root, const char *ws, const char *kind, const char *to,
		       uint64_t seq, const struct buf *report, struct err *e);
bool state_fenced(const char *root, const char *ws, struct err *e);
void state_unmark(const char *root, const char *ws);

/* The last check of the bucket (ship_check): DATA/.spandex-ship/check holds "<time_us>
 * <message>" while it fails (e), and is removed once it succeeds (e NULL). Best effort: the
 * check's outcome is also said by its caller. */
#define STATE_CHECK "check"
void state_check_save(const char *root, const struct err *e);

/* This data directory's id (16 hex digits), made on first use. */
enum status state_host(const char *root, char out[17], struct err *e);

#endif
