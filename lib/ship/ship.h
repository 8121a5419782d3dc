/* ship: the bucket as the store's durable layer (docs/ARCHITECTURE.md, "The bucket"; the
 * objects in docs/FORMAT.md, "The bucket"). A ship pass puts a workspace's committed lines in
 * the bucket as create-only objects numbered one after another (its log), or as a snapshot
 * that replaces the log below it; a pull rebuilds a workspace from them on any host and takes
 * it over; the host that loses it learns so from its next create-only write, and takes no more
 * writes for it (the store hook). What a host knows of each workspace it ships is in
 * DATA/.spandex-ship/ (state.c). A struct ship holds one bucket client: ship_close frees it. */
#ifndef SPANDEX_SHIP_SHIP_H
#define SPANDEX_SHIP_SHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/base/buf.h"
#include "lib/base/status.h"
#include "lib/s3/s3.h"
#include "lib/store/store.h"

#define SHIP_DIR ".spandex-ship" /* in DATA: the shipper's state; not a workspace name */
/* A pass writes a snapshot instead of a log object once the log since the last snapshot holds
 * this many objects or bytes: a pull then replays at most an hour (at 10 s) of small objects,
 * and compaction deletes what the snapshot replaced. */
#define SHIP_SNAP_OBJECTS 360
#define SHIP_SNAP_BYTES (256u << 20)
/* A pass whose new bytes pass this writes a snapshot (one object per day) rather than one
 * log object that large (after an outage, or the first pass of a big workspace). */
#define SHIP_LOG_MAX (64u << 20)
/* Pieces a day may have in a snapshot before the next one uploads it whole again. */
#define SHIP_MAX_PIECES 32
/* An object of the bucket that no snapshot names is deleted once it is this old (s): one
 * written by a pass still under way (another host's) is named within that time. */
#define SHIP_GRACE_SEC 3600
/* Ids a lost workspace's report names of what the bucket does not hold (per kind). */
#define SHIP_LOST_IDS 10000
/* A pass with nothing new looks this often (s) whether another host took the workspace over,
 * so an idle host's status says so too (a HEAD a minute: 43,200 a month). */
#define SHIP_IDLE_CHECK_SEC 60
/* A pass with nothing new records it (the time in /healthz's lag) at most this often (s): the
 * writers of sync mode whose batch another's pass shipped return without writing a file. */
#define SHIP_STATUS_SEC 5
/* Times a pull starts again when a compaction deleted what it was reading. */
#define SHIP_PULL_TRIES 5

/* The settings: the bucket's (lib/s3) and SPANDEX_S3_SYNC. */
struct ship_conf {
	struct s3_conf s3;
	bool sync;
};
/* Reads them through get (getenv, or a request's parameters): ST_OK; ST_NOT_FOUND when
 * SPANDEX_S3 is not set (no bucket); ST_BAD_REQUEST naming the setting that is wrong. */
typedef const char *(*ship_env_fn)(void *ctx, const char *name);
enum status ship_conf_read(struct ship_conf *c, ship_env_fn get, void *ctx, struct err *e);

struct ship;
/* A shipper of the data directory root to c's bucket. Makes DATA/.spandex-ship and the host's
 * id there when missing (e says why not). */
struct ship *ship_open(const char *root, const struct ship_conf *c, struct err *e);
void ship_close(struct ship *s);
const struct ship_conf *ship_conf_of(const struct ship *s);
struct s3 *ship_s3(struct ship *s);
/* This data directory's id as the bucket knows it (16 hex digits). */
const char *ship_host(const struct ship *s);
/* Checks the bucket (a LIST of one key): ST_OK, or e naming the cause in the operator's words
 * (a wrong secret, no such bucket, an endpoint that does not answer or is no S3 server). The
 * outcome is kept in DATA/.spandex-ship until the next check, for /healthz and --status:
 * ship_check_failed gives the failure (out: ERR_MSG bytes) and its time, false when the last
 * check succeeded (or there was none). */
enum status ship_check(struct ship *s, struct err *e);
bool ship_check_failed(const char *root, char *out, int64_t *at);
/* What a pass did. */
struct ship_report {
	uint64_t seq;	/* the workspace's last object in the bucket */
	uint64_t bytes; /* lines put in the bucket by this pass */
	size_t objects; /* objects written */
	bool snapshot;	/* it wrote a snapshot */
	bool lost;	/* the workspace is another host's now (or was already) */
	bool nothing;	/* nothing was new */
	size_t deleted; /* objects compaction deleted */
};
/* One pass of ws: every byte committed when it starts goes to the bucket, as one log object
 * or a snapshot. ST_OK; ST_CONFLICT when another host has taken ws over (r->lost: from now on
 * this host takes no writes for it) or this host's copy is behind the bucket (a restore, a
 * second host): e says what to run; ST_UNAVAILABLE when the bucket could not take it (e names
 * the cause, the next pass tries again). */
enum status ship_pass(struct ship *s, const char *ws, struct ship_report *r, struct err *e);

/* What a pull did. */
struct ship_pulled {
	uint64_t seq;	/* the takeover's object */
	uint64_t bytes; /* lines written */
	size_t objects; /* objects read */
	size_t days;
	double fetch_sec, index_sec;
};
/* Builds ws from the bucket (the newest snapshot and the log after it) beside the data
 * directory, indexes it (reindex), takes it over (a create-only takeover object after the
 * last one, so its old host stops), and puts it in place of DATA/<ws> (the old copy, if any,
 * goes). With copy, no takeover: a copy to read (analytics, a check of the bucket) that takes
 * no writes, its owner unchanged. ST_NOT_FOUND when the bucket holds no such workspace. */
enum status ship_pull(struct ship *s, const char *ws, bool copy, struct ship_pulled *r,
		      struct err *e);
/* The workspaces the bucket holds, sorted (caller frees each and the array). */
enum status ship_bucket_workspaces(struct ship *s, char ***names, size_t *n, struct err *e);

/* What this host knows of ws, from DATA/.spandex-ship alone (no request to the bucket). */
enum ship_owner {
	SHIP_NEW,    /* never shipped from here */
	SHIP_OWNER,  /* shipped from here; the bucket's last object is this host's */
	SHIP_LOST,   /* another host took it over: no writes here */
	SHIP_BEHIND, /* the bucket holds more than this copy: a pull is needed */
	SHIP_COPY,   /* a copy pulled to read (spandex pull --copy): no writes */
};
extern const char *const ship_owner_names[]; /* "new", "owner", "lost", "behind", "copy" */
struct ship_status {
	enum ship_owner owner;
	uint64_t seq;
	int64_t pass_at;      /* the last pass's start (0: none) */
	int64_t caught_up_at; /* the start of the last pass that left nothing behind */
	uint64_t lag_bytes;   /* what the last pass found not yet in the bucket */
	char error[ERR_MSG];  /* the last pass's failure ("" when it did not fail) */
	int64_t error_at;
	char lost_to[17]; /* SHIP_LOST: the host that took it, at which object and when */
	uint64_t lost_seq;
	int64_t lost_at;
};
enum status ship_status(const char *root, const char *ws, struct ship_status *out);
/* What this copy of ws holds that the bucket does not yet, by the state's account (a cut of
 * the days that changed; no request to the bucket): bytes and lines. */
enum status ship_unshipped(const char *root, const char *ws, uint64_t *bytes, uint64_t *lines,
			   struct err *e);
/* The report a lost (or behind) workspace keeps: JSON of what this copy holds that the
 * bucket does not (docs/bucket.md, "What the async mode may lose"), appended to out; ""
 * when there is none. */
enum status ship_lost_report(const char *root, const char *ws, struct buf *out);
/* Every workspace with state here (sorted; caller frees each and the array). */
enum status ship_known(const char *root, char ***names, size_t *n);

/* The store hook of a shipper: before a write, refuses it (503 with the reason) for a
 * workspace this host lost or whose copy is behind the bucket; after it, in sync mode
 * (SPANDEX_S3_SYNC=1), runs a pass of the workspace so the write is acknowledged only once
 * it is in the bucket (writers waiting for the same pass share it). */
const struct store_hook *ship_hook(struct ship *s);

#endif
