/* ops: the operator's jobs over a data directory, the ones cron runs: retention, backup and
 * restore (export is lib/query's, src/export.c; import is lib/ingest/import.h), and the admin
 * lock that keeps two runs apart.
 * Core only. Nothing here keeps state between calls; e (may be NULL) gets a one-line reason. */
#ifndef SPANDEX_OPS_H
#define SPANDEX_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include "lib/base/buf.h"
#include "lib/base/status.h"
#include "lib/store/store.h"

#define OPS_LOCK_NAME ".spandex-admin.lock"  /* in DATA; not a valid workspace name */
#define OPS_SERVE_LOCK ".spandex-serve.lock" /* in DATA: held shared by each program serving it */
#define OPS_MAX_EXTRA 8 /* files beside the workspaces a backup carries (struct ops_restored) */

/* Takes the admin lock DATA/.spandex-admin.lock for command cmd (written into the file so
 * a refused run can name the holder). wait: block until it is free; else fail at once with
 * errno EWOULDBLOCK. Returns the fd that holds it (close releases it), or -1. */
int ops_lock(const char *root, const char *cmd, bool wait, struct err *e);

/* For the programs: from the first call on, holds a shared lock on DATA/.spandex-serve.lock
 * for as long as the process lives, so a restore can tell that DATA is served and refuse to
 * run under it. ST_UNAVAILABLE (e says why) while a restore holds DATA, and when the lock cannot
 * be opened or held (fails closed: ops_serve_unlogged gives the path and errno for the log);
 * ST_OK on a read-only file system (EROFS: no restore runs there either). */
enum status ops_serve(const char *root, struct err *e);
/* Why ops_serve last refused (the lock's path and errno), once per reason; NULL when that
 * reason was handed out already or the lock is held. */
const char *ops_serve_unlogged(void);

/* What retain removes of a workspace: the days before cutoff_day, but never one that holds a
 * version ingested at or after recent_us (ingested_at: the store's own record of ingestion,
 * which no client's clock sets, so a host clock ahead or a client's behind cannot make days
 * ingested minutes ago look old; issue 55, item 7), nor, in a store of judgements, one that
 * holds a judgement of a span, trace or session that the spans' store (spans) still holds: a
 * judgement goes with its span, whatever day its own clock gave it. recent_us INT64_MAX and
 * spans NULL: the days before cutoff_day, whatever they hold. */
struct ops_retention {
	int32_t cutoff_day;
	int64_t recent_us;
	struct store *spans;
	const char *archive;
};
/* Media files (store.h, "Media files") no line of their workspace references any more: a mark
 * of every line (each version), then a sweep of the files it did not mark, but those changed
 * less than OPS_MEDIA_GRACE_S before it began, which a writer may be about to reference (a
 * writer that finds a file gives it a new time, store_media_put; any batch takes seconds
 * between that and its commit). What a sweep did: the files kept, removed (and their bytes),
 * kept for their age, and leftovers of killed writers removed. */
#define OPS_MEDIA_GRACE_S 3600
struct ops_media_swept {
	size_t kept, removed, young, leftovers;
	uint64_t bytes_removed;
};
/* Sweeps ws's media files as of now_us (above). A day that cannot be read whole sweeps
 * nothing (ST_UNAVAILABLE, e says which). Runs beside writers and readers: a file is renamed
 * aside before it goes, and put back if a writer took it meanwhile. */
enum status ops_media_sweep(struct store *st, const char *ws, int64_t now_us,
			    struct ops_media_swept *out, struct err *e);

/* What ops_retain did: the days removed, those before the cutoff it kept for their
 * ingestion or for the spans of their judgements, and the sweep of the media the removed days
 * referenced (a store of spans that removed a day and has media files). */
struct ops_retained {
	size_t removed, kept_recent, kept_judged;
	struct ops_media_swept media;
};
/* Removes the shards of ws that r allows, each under the workspace lock and its shard lock;
 * with r->archive, first places them in archive/<ws>/, or, for a day an earlier run archived
 * there already (spans came for it again), in archive/.copy-2/<ws>/, .copy-3 ...: an archived
 * day is never replaced. */
#define OPS_ARCHIVE_COPIES 100 /* copies of one day an archive takes; past it the day stays */
enum status ops_retain(struct store *st, const char *ws, const struct ops_retention *r,
		       struct ops_retained *out, struct err *e);
/* The newest ingested_at of ws's versions (us), as its id table records it: 0 when it has none
 * (nothing written, or no table). */
int64_t ops_ingested_last(struct store *st, const char *ws);

/* Retention rules (rules.c): what a workspace's own rules keep of its days beyond the operator's
 * --days (issue 34: Opik's retention-rules endpoints). They live in <DATA>/<ws>/retention.json,
 * one JSON document rewritten whole (aside, then renamed) under the workspace lock, so a reader
 * sees one version or the next; a rule is never removed, only disabled. The format is spandex's
 * own (docs/FORMAT.md, "Retention rules"); strings of a read live in the caller's arena. */
#define STORE_RULE_FOREVER (-1) /* days: an unlimited rule keeps every day */
/* Rules a workspace keeps: a create beyond it drops the oldest disabled rule, and refuses
 * when all of them are enabled (each (project, level) has one enabled rule, so only a
 * workspace with that many projects reaches it). */
#define STORE_RULES_MAX 1000
#define STORE_RULES_MAX_BYTES (1u << 20) /* the file's size; a larger one is refused as damaged */
enum store_rule_level { STORE_RULE_ORGANIZATION, STORE_RULE_WORKSPACE, STORE_RULE_PROJECT };
extern const char *const store_rule_level_names[]; /* "organization", "workspace", "project" */
struct store_rule {
	const char *id;
	const char *project_id; /* the project a project rule is for; NULL otherwise */
	enum store_rule_level level;
	int32_t days;	    /* days kept before today, or STORE_RULE_FOREVER */
	bool apply_to_past; /* recorded as the API gave it; retain removes whole days either way */
	bool enabled;
	const char *created_by, *updated_by; /* NULL when nobody was named */
	int64_t created_at, updated_at;	     /* us */
};
struct store_rules {
	struct store_rule *v; /* in the caller's arena, oldest first */
	size_t n;
};
/* The rules of ws (none when it has no file). ST_UNAVAILABLE when the file cannot be read or
 * parsed (e says why): retain then leaves the workspace alone. */
enum status store_rules_read(struct store *st, const char *ws, struct arena *a,
			     struct store_rules *out, struct err *e);
/* Read-modify-write under the workspace lock: fn gets the current rules (its own copy, in a)
 * and changes them in place (v may be replaced by a larger array from a); ST_OK from fn writes
 * the result, anything else (with e filled) writes nothing and is returned. */
typedef enum status (*store_rules_fn)(void *ctx, struct arena *a, struct store_rules *rules,
				      struct err *e);
enum status store_rules_update(struct store *st, const char *ws, struct arena *a, store_rules_fn fn,
			       void *ctx, struct err *e);
/* The first day retain keeps of a workspace with these rules: cutoff (the operator's), or an
 * earlier day when an enabled rule keeps more days (INT32_MIN when one keeps them all). A
 * rule only lengthens what the operator keeps: the days of a workspace are shared by all its
 * projects, so a project's rule keeps the whole day. */
int32_t store_rules_cutoff(const struct store_rules *r, int32_t today, int32_t cutoff);

/* What a job went on past (issue 55: one damaged day never stops the rest): each day or
 * workspace it left out is said through fn (may be NULL) as one line that names it and why, and
 * counted in n. A job given no ops_skipped (NULL) fails at the first instead. */
struct ops_skipped {
	void (*fn)(void *ctx, const char *msg);
	void *ctx;
	size_t n;
};

struct ops_backup_stats {
	char gen[64]; /* the generation written, DEST/<gen> */
	size_t days_copied, days_linked;
	uint64_t bytes_copied, bytes_linked;
	/* Media files (store.h, "Media files"): copied, or linked from the previous generation
	 * (a name is its content), and their bytes. */
	size_t media_copied, media_linked;
	uint64_t media_bytes;
	unsigned extra; /* bit i: extra[i] was in DATA and is in the generation */
};
/* Writes a consistent snapshot of every workspace of st as the generation DEST/<UTC time>/,
 * hard-linking days unchanged since the newest earlier generation. Ingest may continue.
 * extra (NULL-terminated, at most OPS_MAX_EXTRA; may be NULL) names files of DATA beside the
 * workspaces that go with them, mode 0600 (the CLI passes the API keys). A generation a killed
 * run left half-written (DEST/.tmp-*) is removed first. A day (or workspace) whose files cannot
 * be read is left out, said in skipped and in the MANIFEST ("# left out WS DAY"), and the
 * rest written; a day that holds nothing (layout: an index with no header and no line) is
 * passed over without a word. */
enum status ops_backup(struct store *st, const char *dest, const char *const *extra,
		       struct ops_backup_stats *stats, struct ops_skipped *skipped, struct err *e);

/* Run as root, gives root/name (a workspace, with all under it) to the owner of root, the user
 * the programs run as (restore does so with what it writes; a verify after it may add a
 * journal). Nothing to do for other users or a root owned by root. 0, or -1 with errno. */
int ops_give_to_owner(const char *root, const char *name);

/* rm -rf p (never follows symbolic links): 0 when it is gone or was never there, else -1 with
 * errno. The store's restores and cuts, and lib/ship's pulls (their copies), take it. */
int ops_rm_rf(const char *p);

/* What a restore did. */
struct ops_restored {
	char gen[PATH_MAX]; /* the generation restored */
	char **names;	    /* the workspaces restored (for verification): ops_restored_free */
	size_t n;
	unsigned extra_restored; /* bit i: extra[i] of the generation is now in DATA (mode 0600) */
	unsigned extra_kept;	 /* bit i: DATA had its own extra[i], kept as it was */
	size_t unfinished;	 /* unfinished generations (.tmp-*) passed over in BACKUP */
	size_t repaired; /* workspaces a killed restore had moved aside (.old-<ws>), put back */
	/* The newest complete generation beside the one restored, when that is a newer one (what
	 * a newer backup holds of the extra files: the keys not revoked since); "" otherwise. */
	char newer[PATH_MAX];
};
/* Copies a generation (BACKUP itself, or the newest complete one under it) into st's root. A
 * root that holds anything but the admin and serve locks is refused unless force; then the
 * workspaces of the backup replace those of the same name. Refused while a program serves
 * the root (ops_serve), and for an unfinished generation (a .tmp-* a killed backup left).
 * The files extra names (as ops_backup) come back when DATA has none of its own. */
enum status ops_restore(const char *backup, struct store *st, bool force, const char *const *extra,
			struct ops_restored *out, struct err *e);
void ops_restored_free(struct ops_restored *r);

/* ---- forwarding (`spandex forward`; lib/store/forward.c; docs/FORMAT.md, "Forwarding") ----
 * Per endpoint, under DATA/.spandex-forward/<endpoint>/: a cursor per workspace
 * (<workspace>.cursor), the ingested_at of the last version the endpoint acknowledged (or that
 * was passed over), replaced by a rename once the endpoint has answered, so a forwarder killed
 * anywhere sends again at most the batch it had in flight; and status, what the forwarder last
 * found (GET /healthz shows it). The forwarder holds DATA/.spandex-forward/lock while it runs. */
#define FORWARD_DIR ".spandex-forward"
#define FORWARD_LOCK "lock"
#define FORWARD_MAX_NAME 32   /* an endpoint's name: a directory name, read in a log line */
#define FORWARD_MAX_ERROR 240 /* the last error's text, as /healthz shows it */
/* An endpoint's name: 1 to FORWARD_MAX_NAME of [a-z0-9_-], starting with a letter or digit,
 * and not FORWARD_LOCK. */
bool forward_name_valid(const char *name);
/* *after_us: the endpoint's cursor in ws; ST_NOT_FOUND when it has none yet (start at 0),
 * ST_INVALID (e says which file) when the file is not one this wrote. */
enum status forward_cursor_read(const char *root, const char *endpoint, const char *ws,
				int64_t *after_us, struct err *e);
/* Replaces the cursor: written aside, synced and renamed over. */
enum status forward_cursor_write(const char *root, const char *endpoint, const char *ws,
				 int64_t after_us, struct err *e);

struct forward_status {
	char endpoint[FORWARD_MAX_NAME + 1];
	int64_t checked_us; /* when the forwarder last looked at every workspace */
	uint64_t pending;   /* versions it had not delivered then */
	int64_t oldest_us;  /* the ingested_at of the oldest of them; 0: none */
	uint64_t delivered, rejected, dropped; /* spans: acknowledged; refused by the endpoint's
						  partial success; dropped on its 4xx or 5xx */
	int64_t error_us;		       /* when the last error was; 0: none */
	char error[FORWARD_MAX_ERROR];
};
/* Replaces the endpoint's status, as the cursor is. */
enum status forward_status_write(const char *root, const struct forward_status *s, struct err *e);
/* The endpoint's status; false when it has none (or not one this wrote). */
bool forward_status_read(const char *root, const char *endpoint, struct forward_status *s);
/* The status of every endpoint that has one, by name: *out (caller frees) and *n. */
void forward_status_all(const char *root, struct forward_status **out, size_t *n);

/* Puts every media file line (a stored line of ws) references into dir (made when needed), as
 * dir/<sha256> (a hard link where it can, else a copy): what `spandex import --media` takes
 * back beside an export's lines. 0, or -1 with errno. */
int ops_export_media(struct store *st, const char *ws, const char *line, size_t n, const char *dir);

/* Says msg (a printf format) through skipped: ST_OK, or with skipped NULL the failure rc with
 * msg in e. */
enum status ops_skip(struct ops_skipped *skipped, enum status rc, struct err *e, const char *fmt,
		     ...) __attribute__((format(printf, 4, 5)));

/* ---- erasure (lib/store/erase.c, erase_pass.c; docs/erasure.md) ----
 * An erase names spans (by trace, session, user or time range), or judgements by id; from its
 * acknowledgement no reader shows them or their judgements (each gets an erasure version, a
 * deletion), and the
 * next pass (store_erase_pending) takes every other version of them out of the files: the
 * lines, sealed blocks, text indexes and quarantine. A request is a file in
 * DATA/.spandex-erase/ until the pass that finished it appends its audit line there. */
#define STORE_ERASE_DIR ".spandex-erase" /* in DATA; not a valid workspace name */
#define STORE_ERASE_AUDIT "audit.jsonl"	 /* in it: one line per erasure done, kept */
enum store_erase_by {
	STORE_ERASE_TRACE,
	STORE_ERASE_SESSION,
	STORE_ERASE_USER,
	STORE_ERASE_TIME,
	STORE_ERASE_JUDGEMENT /* judgements by id, alone: a score, comment or annotation deleted */
};
/* "trace", "session", "user", "time", "judgement" */
extern const char *const store_erase_by_names[];
#define STORE_ERASE_MAX_VALUES 1000 /* ids one erase names: Opik's batch of trace ids */
#define STORE_ERASE_MAX_VALUE 1024  /* bytes of one id: far over any client's */
#define STORE_ERASE_MAX_BY 256	    /* bytes of who asked (a key's id, a user's name) */
struct store_erase_what {
	enum store_erase_by by;
	const char *const *values; /* the traces, sessions, users or judgements (one or more) */
	size_t n;
	int64_t from_us, to_us; /* STORE_ERASE_TIME: spans that start in [from, to) */
};
struct store_erase_ack {
	char id[40]; /* erase-<24 hex digits> */
	size_t spans, judgements;
	int64_t at_us;
};
/* Records the request (durably), then hides what w names in ws (an erasure version of each
 * span and judgement): on ST_OK it is acknowledged and pending. by: who asked (audit). A kill
 * before the return leaves the request pending: the pass applies it again, so it is done or
 * pending, never lost. */
enum status store_erase(struct store *st, const char *ws, const struct store_erase_what *w,
			const char *by, struct store_erase_ack *ack, struct err *e);
/* What a pass did. */
struct store_erase_done {
	size_t requests, workspaces, days, versions, quarantined;
	size_t edited; /* workspaces with no request that lost older versions of edits */
};
/* The pass: every pending request applied again, then, in each workspace one names, every
 * version of an erased span or judgement but its erasure version taken out of the files
 * (store_reindex leaving them out: the days that held one written again, sealed again if they
 * were; their text indexes built again), the quarantine lines that name one cut, and an
 * audit line appended per request before its file goes. In every workspace, the same reindex
 * takes out every version of a span or judgement older than its newest (an edit's previous
 * text). The caller holds the admin lock. */
enum status store_erase_pending(struct store *st, struct store_erase_done *out, struct err *e);
/* After a restore of generation gen into st's root (the CLI's restore, which holds no lock by
 * then; the caller holds the admin lock): the erasures' files of gen (ops_backup carries
 * STORE_ERASE_DIR) merged into DATA's. The generation's audit lines DATA's log lacks (by id)
 * are appended to it, and its pending requests that DATA has neither pending nor done are
 * put back; and each erasure DATA's log records done that gen's does not (done after that
 * backup was taken, so the spans it erased are back) is pending again: the pass after the
 * restore erases them again. *audit: lines appended; *pending: requests pending from it. */
enum status store_erase_restored(struct store *st, const char *gen, size_t *audit, size_t *pending,
				 struct err *e);
/* The state of request id as one JSON object appended to out: {"id", "status": "pending" or
 * "done", "workspace", ...} (its file, or its audit line). ST_NOT_FOUND: no such request in ws
 * (ws NULL: in any workspace). */
enum status store_erase_status(struct store *st, const char *ws, const char *id, struct buf *out,
			       struct err *e);

/* ---- The bucket (lib/ship; cut.c): what a ship pass reads of a workspace ---- */

/* One day of st's ws as ops_cut found it: its committed stream of lines, [0, end), cut at
 * whole batches under the workspace lock. A record's off is a position in that stream,
 * whether the day is open (<day>.jsonl holds it all) or sealed (its first `sealed` bytes in
 * <day>.jsonl.zst, the rest in <day>.late.jsonl). */
struct ops_day {
	enum store_kind kind;
	int32_t day;
	uint64_t recs;	      /* committed records */
	uint64_t sealed;      /* stream bytes in the sealed file; 0: an open day */
	uint64_t sealed_recs; /* records whose lines are there */
	bool opened;	      /* want said so: the fields below are set */
	uint64_t end;	      /* stream bytes the records' lines fill */
	uint64_t last_h;      /* span_h and ingested_us of record recs - 1 (0 when none) */
	int64_t last_ing;
	int idx_fd; /* the index; -1 when not opened */
	int fd;	    /* the plain (or late) lines, from stream offset base; -1: none */
	uint64_t base;
	int zfd; /* the sealed file, zsize bytes; -1: an open day */
	uint64_t zsize;
};
struct ops_cut {
	enum store_kind kind;
	struct ops_day *days; /* ascending by day */
	size_t n;
	uint64_t dir_dev, dir_ino; /* the workspace's directory: a restore replaces it */
	int64_t at;		   /* when the cut was made (us) */
	/* The days ops_day_rewritten named (in the first rewritten_bytes of its file). */
	int32_t *rewritten;
	size_t nrewritten;
	uint64_t rewritten_bytes;
};
/* Whether a pass wants the files of day (its committed records and sealed bytes as its header
 * says): false leaves the day with its counts only (unchanged since the last pass). A NULL
 * want takes every day. */
typedef bool (*ops_cut_want)(void *ctx, int32_t day, uint64_t recs, uint64_t sealed);
/* Under st's workspace lock (settling it first, as its next writer would): every day of ws,
 * and for those want takes, descriptors that keep the files as they were, so a seal, retain
 * or reindex after the lock is released changes nothing of what is read. ST_NOT_FOUND: no
 * such workspace (or store of judgements). ops_cut_free closes everything. */
enum status ops_cut(struct store *st, const char *ws, ops_cut_want want, void *ctx,
		    struct ops_cut *c, struct err *e);
void ops_cut_free(struct ops_cut *c);
/* Record i of an opened day: its span hash, ingest time and where its line lies; with line,
 * the line too when it is in the plain (or late) lines, else ST_NOT_FOUND. */
struct ops_line {
	uint64_t h;
	int64_t ingested;
	uint64_t off;
	uint32_t len;
};
enum status ops_day_record(const struct ops_day *d, uint64_t i, struct ops_line *out,
			   struct buf *line);
/* A day of st's ws was rewritten (its lines changed, not only appended: erasure): the next
 * ship pass replaces it in the bucket whole and deletes the objects that held its old bytes.
 * The caller holds the workspace lock, as a rewrite does. */
enum status ops_day_rewritten(struct store *st, const char *ws, int32_t day, struct err *e);
/* The shipper has replaced the days ops_cut read from the first bytes of the file: those
 * names go (under the workspace lock), later ones stay. */
enum status ops_rewritten_taken(struct store *st, const char *ws, uint64_t bytes, struct err *e);

/* The files a pull writes a day's stream into (docs/FORMAT.md, "Files"): its plain lines,
 * its sealed file and its late lines. out: PATH_MAX bytes; false when the path is too long. */
enum ops_day_file { OPS_DAY_PLAIN, OPS_DAY_SEALED, OPS_DAY_LATE };
bool ops_day_path(char *out, const struct store *st, const char *ws, int32_t day,
		  enum ops_day_file f);
/* Puts the workspace directory from (built by a pull, on the same file system) in place of
 * st's ws: under ws's workspace lock (and its judgements'), the old directory is renamed
 * aside, from renamed in, the old one removed. A writer waiting for the old lock finds the
 * new directory's (io_lock_open looks again). */
enum status ops_ws_replace(struct store *st, const char *ws, const char *from, struct err *e);

#endif
