/* store: the public face of lib/store: JSONL shards per workspace and UTC day, their
 * fixed-record indexes, and the per-workspace id and range tables. The crash rules are in
 * docs/FORMAT.md, the layout in docs/ARCHITECTURE.md; the files of lib/store and the order
 * they call in are listed there ("The store's files"). Handles returned by *_open are closed
 * by *_close; nothing else allocates beyond the call, except what a function says the caller
 * frees. */
#ifndef SPANDEX_STORE_H
#define SPANDEX_STORE_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "lib/base/arena.h"
#include "lib/base/status.h"
#include "lib/model/judgement.h"
#include "lib/model/span.h"
#include "lib/model/workspace.h"

/* Index record: what list, group, rollups and filters need without opening the JSON line.
 * 128 bytes, host byte order (the file header records the byte order and fails otherwise). */
struct idx_rec {
	uint64_t span_h, trace_h, session_h,
	    parent_h; /* hash_bytes of the id; parent_h 0 for a root */
	int64_t started_us;
	int64_t ended_us; /* SPAN_NONE_I64 when absent */
	int64_t ingested_us;
	uint64_t off; /* byte offset of the line in the shard's .jsonl */
	uint32_t len; /* line length without the newline */
	uint8_t kind, status;
	uint16_t flags;
	uint32_t in_tok, out_tok, cached_tok, total_tok; /* 0 when absent; see REC_HAS_* */
	double cost_total, cost_in, cost_out;		 /* 0 when absent; see REC_HAS_* */
	uint64_t sig;	   /* bloom signature of the equality-filter strings (sig_bit) */
	uint32_t source_h; /* low 32 bits of hash_bytes(source) */
	uint32_t crc;	   /* crc32c of the 124 bytes before it */
};

enum {
	REC_ROOT = 1 << 0,
	REC_SUPERSEDED = 1 << 1, /* a newer version of this span_id exists */
	REC_HAS_IN_TOK = 1 << 2,
	REC_HAS_OUT_TOK = 1 << 3,
	REC_HAS_CACHED_TOK = 1 << 4,
	REC_HAS_TOTAL_TOK = 1 << 5,
	REC_HAS_COST_TOTAL = 1 << 6,
	REC_HAS_COST_IN = 1 << 7,
	REC_HAS_COST_OUT = 1 << 8,
	REC_HAS_TRACE = 1 << 9,
	/* The span has no raw_attributes, so a surface predicate that only looks there need not
	 * read its line (0 in records written before this flag: unknown, read the line). */
	REC_NO_ATTRS = 1 << 10,
	REC_DELETED = 1 << 11, /* the newest version deletes the span (span_is_deleted) */
	/* The span names no session: its session id is its trace's default
	 * (span_session_default). 0 in records written before this flag: the span counts as
	 * naming its session, as it did then; `spandex reindex` sets it. */
	REC_SESSION_DEFAULT = 1 << 12,
	/* Of a judgement's record (rec_from_judgement) only: a human label (judgement_is_label:
	 * NeMo's annotations), which no API shows as an evaluator result; and one
	 * that records an error (a FAILED result, an Opik score with error). Both 0 in records
	 * written before them (issue 34's viewer): read as an evaluator result, and as scored,
	 * until `spandex reindex` sets them. */
	REC_J_ANNOTATION = 1 << 13,
	REC_J_FAILED = 1 << 14,
};

/* A record listings show: neither superseded nor deleted (its flags). */
static inline bool store_flags_live(uint16_t flags)
{
	return !(flags & (REC_SUPERSEDED | REC_DELETED));
}

static inline bool store_rec_live(const struct idx_rec *r)
{
	return store_flags_live(r->flags);
}

/* A root span: no parent. */
static inline bool store_rec_root(const struct idx_rec *r)
{
	return !r->parent_h && (r->flags & REC_ROOT);
}

/* Bloom bits for (field, value). Fields: the sig numbers of lib/model/fields.h (a span field's
 * or an evaluation_context member's). */
uint64_t rec_sig_bits(int field, const char *value, size_t n);
/* Fills r from s (everything but off, len, flags' SUPERSEDED and crc). */
void rec_from_span(const struct span *s, struct idx_rec *r);
/* Fills r from a line (no newline) as rec_from_span fills it from the span span_parse reads
 * off it; false when the line is not a canonical span (span_parse fails). Reindex and verify
 * read every line through it: rec_line_fast first, span_parse only for what it leaves.
 * scratch: the caller's, reused from line to line. (These are lib/store/record.c's; here
 * for t/check_store_verify.c, which checks that both readings agree on every line it
 * damages.) */
bool rec_from_line(const char *line, size_t len, struct buf *scratch, struct idx_rec *r);
/* The record of a line without building the span: true only when span_parse reads the line
 * and rec_from_span gives this record (the JSON checked as jansson checks it, lib/json/jline);
 * false when it cannot tell (a damaged line, or one unusual enough to need the parse). */
bool rec_line_fast(const char *line, size_t len, struct buf *scratch, struct idx_rec *r);

/* Limits, each with its reason in docs/ARCHITECTURE.md. */
#define STORE_MAX_LINE (8u << 20) /* one span line; matches the 8 MiB body cap */

/* The file format where a tool or a test reads or damages the files directly (the layout is
 * in docs/FORMAT.md, "Files"). lib/store's own structures are tied to these numbers at
 * compile time. All fields are host byte order. */
#define STORE_IDX_HDR 128	  /* <day>.idx: header bytes before record 0 */
#define STORE_IDX_COMMITTED_AT 24 /* the header's uint64 count of committed records */
#define STORE_TAB_HDR 64	  /* ids.tab, traces.tab, sessions.tab: header bytes */
#define STORE_TAB_COUNT_AT 24	  /* the header's uint64 count of occupied slots */
#define STORE_TAB_BOOT_AT 40	  /* the header's uint64 boot id of the table's last writer */
#define STORE_TAB_SLOT 16	  /* a slot: uint64 hash (0: empty), uint64 value */
/* The value of an ids.tab slot: the day and the record number of the newest version. */
#define STORE_LOC(day, rec) (((uint64_t)(uint32_t)(day) << 32) | (uint32_t)(rec))

/* What a store holds. The same files, crash rules and admin commands serve both: spans in
 * <root>/<ws>/, a workspace's judgements (lib/model/judgement.h) in <root>/<ws>/judgements/.
 * A judgement's record (docs/FORMAT.md, "Judgements") holds its id, its target's ids, its
 * times and value, so that lists and score filters read no line they do not show. */
enum store_kind { STORE_SPANS, STORE_JUDGEMENTS };

struct store;
/* Told of every write to a store, when its owner sets one (lib/http from SPANDEX_S3: the
 * bucket's fence and its sync mode, lib/ship). Each write of spans, judgements or retention
 * rules calls before, then after. */
struct store_hook {
	/* Under the workspace lock, before anything of the write is done: anything but ST_OK
	 * (e filled) refuses it (a workspace another host has taken over). */
	enum status (*before)(void *ctx, struct store *st, const char *ws, struct err *e);
	/* Once the write is committed and durable and the lock released, before it is
	 * acknowledged: anything but ST_OK (e filled) is the write's answer instead (sync mode:
	 * the bucket did not take it). What was written stays. */
	enum status (*after)(void *ctx, struct store *st, const char *ws, struct err *e);
	void *ctx;
};

/* The store root (data directory). Holds no open files; cheap to create per request. */
struct store {
	const char *root;
	bool sync; /* fdatasync before acknowledging (SPANDEX_SYNC, default on) */
	enum store_kind kind;
	const struct store_hook *hook; /* NULL: none (store_init) */
	/* store_seal trains a dictionary for each day it seals (`spandex seal --dictionary`;
	 * docs/FORMAT.md, "Sealed shards"); false from store_init. */
	bool seal_dict;
};
/* The hooks' calls (a store without one: ST_OK). */
static inline enum status store_hook_before(struct store *st, const char *ws, struct err *e)
{
	return st->hook && st->hook->before ? st->hook->before(st->hook->ctx, st, ws, e) : ST_OK;
}
static inline enum status store_hook_after(struct store *st, const char *ws, struct err *e)
{
	return st->hook && st->hook->after ? st->hook->after(st->hook->ctx, st, ws, e) : ST_OK;
}
/* A store of spans. */
void store_init(struct store *st, const char *root, bool sync);
/* The store of the judgements beside st's spans (same root and sync). */
void store_judgements(struct store *jst, const struct store *st);
/* The directory a workspace's judgements live in, under its own: "judgements". */
#define STORE_JUDGEMENTS_DIR "judgements"
/* The file of a workspace's retention rules (rules.c), in its directory. */
#define STORE_RULES_FILE "retention.json"
/* Whether ws of the spans' store st has judgements beside it (the directory exists). */
bool store_has_judgements(const struct store *st, const char *ws);
/* Whether a stored line (no newline) is still JSON that parses, whose id is r's (a judgement's
 * line, or one the quick check cannot say of: whose record has r's ids and times): a reader's
 * check, before it serves a line's bytes, that a byte damaged on disk since it was written does
 * not reach an answer (FORMAT.md, "The index record"; reindex cuts such a line). */
bool rec_line_sound(enum store_kind kind, const char *line, size_t len, const struct idx_rec *r);

/* Fills r from judgement j (everything but off, len, flags' SUPERSEDED and crc): span_h its
 * id, parent_h, trace_h and session_h its target's ids (0 when absent), started_us and ended_us
 * its created and updated times, kind its kind, status its target, cost_total its value
 * (REC_HAS_COST_TOTAL), in_tok and out_tok the low and high halves of its name's hash
 * (hash_bytes; 0 without a name), source_h the low 32 bits of its API's name's hash (as a
 * span's of its source), sig its name, project, author, subtype and label, REC_DELETED for a
 * deletion, REC_J_ANNOTATION for a human label and REC_J_FAILED for one with an error. */
void rec_from_judgement(const struct judgement *j, struct idx_rec *r);
/* A judgement record's source_h below it is an API's number, as records written before issue
 * 53 held it (0 to 4: docs/FORMAT.md, "Judgements"): the record does not tell the API, its
 * line does. A name whose hash falls there is read off its line too. */
#define STORE_J_API_NUMBERS 5u
/* Whether the judgement record r may be of the API whose name hashes to h (hash_bytes). */
static inline bool store_rec_judgement_api(const struct idx_rec *r, uint64_t h)
{
	return r->source_h == (uint32_t)h || r->source_h < STORE_J_API_NUMBERS;
}
/* The hash of the name of the judgement whose record is r (0: none). */
static inline uint64_t store_rec_judgement_name(const struct idx_rec *r)
{
	return (uint64_t)r->out_tok << 32 | r->in_tok;
}
/* Signature fields of a judgement record (rec_sig_bits). */
enum { SIG_J_NAME, SIG_J_PROJECT, SIG_J_AUTHOR, SIG_J_SUBTYPE, SIG_J_LABEL };

/* Appends spans (all of one workspace, already validated; ingested_at is set here) durably.
 * Spans whose span_id already exists replace the older version everywhere. On failure nothing
 * of the batch is acknowledged; a partial append is completed or repaired by the next writer.
 * e (may be NULL) gets the reason. */
enum status store_append(struct store *st, const char *ws, struct span *spans, size_t n,
			 struct err *e);
/* The same for judgements (st a judgement store): each replaces any version of its id. */
enum status store_put_judgements(struct store *st, const char *ws, struct judgement *js, size_t n,
				 struct err *e);

/* The merge of store_update for span_id. current: its newest stored version, parsed (NULL
 * when there is none); it and the strings it points to live until store_update returns. out
 * (span_init'ed) gets the version to write: a valid span of the workspace (as ingest
 * validates) with the same span_id; its strings must live until store_update returns (the
 * arena a is there for that) and its json_t fields are owned references that store_update
 * releases. Leaving out->span_id NULL answers "no change": nothing is written for that id.
 * Any status but ST_OK (with e filled) abandons the whole update. */
typedef enum status (*store_merge_fn)(void *ctx, struct arena *a, const char *span_id,
				      const struct span *current, struct span *out, struct err *e);
/* Read-merge-write under the workspace lock: for each of the n ids, reads the newest version
 * (through the id table, as store_get does), asks fn for the new one, and appends every
 * changed version as one batch, as store_append does, before the lock is released; so no
 * other writer's version falls between the read and the write. An id named twice sees the
 * version the first merge gave, and only the last version is written. Nothing is written
 * when no merge changed anything. */
enum status store_update(struct store *st, const char *ws, struct arena *a,
			 const char *const *span_ids, size_t n, store_merge_fn fn, void *ctx,
			 struct err *e);
/* store_update for judgements (st a judgement store): fn gets the newest version of id
 * (NULL when none, or deleted versions too: cur->deleted says so) and fills out, or leaves
 * out->id NULL for no change. */
typedef enum status (*store_jmerge_fn)(void *ctx, struct arena *a, const char *id,
				       const struct judgement *cur, struct judgement *out,
				       struct err *e);
enum status store_update_judgements(struct store *st, const char *ws, struct arena *a,
				    const char *const *ids, size_t n, store_jmerge_fn fn, void *ctx,
				    struct err *e);

/* Media files (docs/media.md; FORMAT.md, "Media files"): the bytes of a base64 payload that
 * ingest moved out of a span, one file per content in <root>/<ws>/media/<aa>/<sha256>, named
 * by the SHA-256 of the bytes (64 lower-case hex digits; <aa> its first two), written once and
 * never changed. A span keeps a reference: STORE_MEDIA_REF, the hex digits, then (as ingest
 * writes it) "?type=<media type>&bytes=<size>". */
#define STORE_MEDIA_DIR "media"
#define STORE_MEDIA_REF "spandex-media://sha256/"
#define STORE_MEDIA_HEX 64 /* hex digits of a media file's name */
/* Whether s[0..n) is a media file's name: exactly STORE_MEDIA_HEX lower-case hex digits. */
bool store_media_name(const char *s, size_t n);
/* Stores p[0..n), whose SHA-256 is hex, as ws's media file hex, unless it holds one of that
 * size already (its time is then set to now, so that a sweep running meanwhile keeps it:
 * ops_media_sweep's grace). A new file is written aside, synced (st->sync), renamed into place
 * and its directory synced: once this returns ST_OK a batch that references it may commit,
 * and no crash leaves the reference without its file. ST_UNAVAILABLE (disk full, I/O). */
enum status store_media_put(struct store *st, const char *ws, const char *hex, const void *p,
			    size_t n, struct err *e);
/* Opens ws's media file hex for reading: *fd (the caller closes it) and *size. ST_NOT_FOUND
 * when there is none (or hex is no media name). */
enum status store_media_open(struct store *st, const char *ws, const char *hex, int *fd,
			     uint64_t *size);
/* ST_OK, and the file's time renewed (as store_media_put's of a file it holds), when ws holds
 * media file hex of size bytes; ST_NOT_FOUND otherwise. */
enum status store_media_touch(struct store *st, const char *ws, const char *hex, uint64_t size);
/* The media file of ws whose name starts with prefix (2 to STORE_MEDIA_HEX hex digits) into
 * hex: ST_OK, ST_NOT_FOUND when there is none; one directory of <aa>/ is read. */
enum status store_media_find(struct store *st, const char *ws, const char *prefix, char hex[65]);
/* A client's own tag of a file it uploaded through a media API (docs/media.md, "Uploads"):
 * "@@@<client>Media:type=<type>|id=<id>|source=<source>@@@" (the client's name, ASCII letters,
 * at most STORE_MEDIA_TAG_NAME of them; the fields in any order), as a client SDK leaves it in a
 * span in place of the bytes, its id the first STORE_MEDIA_TAG_ID base64url digits of the
 * SHA-256 of the bytes, which are the hash's first STORE_MEDIA_TAG_HEX hex digits. The store
 * knows the shape, not the client: a surface whose API defines such a tag (Langfuse's media
 * API) stores the bytes under their hash. A tag keeps its file from the sweep as a reference
 * does (ops_media_sweep). */
#define STORE_MEDIA_TAG_OPEN "@@@"
#define STORE_MEDIA_TAG_KIND "Media" /* then ":" */
#define STORE_MEDIA_TAG_NAME 32
#define STORE_MEDIA_TAG_ID 22
#define STORE_MEDIA_TAG_HEX 33
#define STORE_MEDIA_TAG_MAX 512 /* bytes of a tag's fields: its type is a media type (RFC 6838) */
/* The hex prefix id[0..n) names into out; false when it is no tag's id. */
bool store_media_tag_prefix(const char *id, size_t n, char out[STORE_MEDIA_TAG_HEX + 1]);
/* The one list of what references a media file, which the sweep, erasure, export, import,
 * retain --archive and verify all take: calls fn(ctx, hex) for each reference and each tag in
 * p[0..n), a stored line or any text, in the order they come; returns how many there were. A
 * reference (STORE_MEDIA_REF and a media name) gives the name, STORE_MEDIA_HEX digits; a tag
 * whose id is one gives the STORE_MEDIA_TAG_HEX digits the name starts with
 * (store_media_named finds it). hex is NUL-terminated, valid during the call. */
size_t store_media_refs(const char *p, size_t n, void (*fn)(void *ctx, const char *hex), void *ctx);
/* The name of the file hex (as store_media_refs gives it) names in ws, into out: a reference's
 * as it is, a tag's by store_media_find. ST_NOT_FOUND: a tag whose file ws does not hold. */
enum status store_media_named(struct store *st, const char *ws, const char *hex,
			      char out[STORE_MEDIA_HEX + 1]);

/* Where the id table puts the newest versions of the ids whose hashes (hash_bytes) are
 * hs[0..n): *locs (caller frees) gets STORE_LOC(day, record) of each slot under one of them,
 * *nlocs how many (a hash may have none, or, colliding, more than one: the caller checks the
 * record's span_h and flags). ST_UNAVAILABLE when the table cannot answer (absent, or possibly
 * stale after a reboot until the next write): look at the records instead. */
enum status store_locate(struct store *st, const char *ws, uint64_t look, const uint64_t *hs,
			 size_t n, uint64_t **locs, size_t *nlocs);

/* Finds the newest version of span_id and appends its line to out. ST_NOT_FOUND if none. */
enum status store_get(struct store *st, const char *ws, const char *span_id, struct buf *out);

/* A query's look at ws's directory: one stat, and a value that names what it found. Every
 * create, rename and removal in a directory moves its change time, so while the directory's
 * change and modification times stay what the process's last look found, and were at least
 * STORE_LOOK_SETTLE_MS old then (a later change could not carry the same times, whatever the
 * file system's clock granularity), no name in it changed, and store_look returns the same
 * value. What the process found under that value stays true: the days listed
 * (store_days_at), and the file each path named (shard_open_at, store_key_days, store_get),
 * which is then taken without a stat. Files written in place are still read through their
 * headers and commit counts, so a record committed since is seen. 0 when nothing may be taken
 * so (the directory changed within the settle time, or cannot be looked at): every file is
 * looked at. Take a look at the start of each query: a look kept longer would not see a day
 * created or a file replaced since. */
#define STORE_LOOK_SETTLE_MS 2000
uint64_t store_look(struct store *st, const char *ws);
/* Tells this process that the files of ws's day were replaced or changed in place behind its
 * back (by a hand other than the store's: a test that damages or rewrites one): the mappings it
 * keeps of the files it found at the day's paths go, with what it checked of them, so its next
 * query maps what the paths name then. Without it, a .tix is taken as mapped for MAPC_PATH_MS
 * (docs/FORMAT.md, "Mappings kept across queries"); the store's own renames need no call. */
void store_forget_day(struct store *st, const char *ws, int32_t day);
/* One step of what this process builds while no request waits: the pairs and triples of words
 * of a fresh day's tail that a phrase search asked, or (root not NULL) whose tail passed a size
 * in root's store, appended to a file beside the day that every process reads
 * (lib/store/tailphrase.h; at most TAILPHRASE_STEP_BYTES of its lines, 256 KiB, or one part
 * rendered and written). True while more is left. A FastCGI worker calls it between requests
 * (http_surface.idle); a search never waits for it, and answers from what is built, the lines
 * for the rest. */
bool store_tail_idle(const char *root);

/* A query's snapshot, by retrying (lib/query; FORMAT.md, "What a reader sees"). A token
 * of ws's batches at this moment: it changes when a batch starts, reaches its commit point
 * and is published, so a query that finds the same token before and after it ran saw no
 * batch in part. 0: no batch was ever written there. A batch between its commit point and
 * its publish (microseconds, no system call) is waited out first, STORE_PUBLISH_WAIT_US at
 * most (its writer may have been killed there: then store_finish, or the next writer,
 * finishes it). look:
 * store_look's, under which the journal's mapping is taken with no system call. */
#define STORE_PUBLISH_WAIT_US 2000
uint64_t store_batches(struct store *st, const char *ws, uint64_t look);
/* A query's snapshot of a workspace (docs/FORMAT.md, "What a reader sees"): the batches
 * published when it was taken, whose newest version's ingested_at is its horizon. A query reads
 * its days one after another. Once a batch has begun since the snapshot, each day the query
 * opens leaves out the versions past the horizon (store_snap_shard), and a version superseded by a
 * batch after it is still live to the query (the day's <day>.sup names that batch:
 * shard_live): so a span present before and after a query is in its answer once, in one of its
 * versions, however long the query runs. */
struct store_snap {
	/* INT64_MAX: none (no journal, an id table not written this boot, a batch of another
	 * boot stuck past its commit point): the records and flags are taken as they are. */
	int64_t horizon;
	uint64_t token; /* store_batches' when it was taken */
	bool moved;	/* taken in a batch's publish: of before it, as if moved since */
	struct store *st;
	const char *ws;
	const void *journal; /* mapped, to tell whether a batch began since */
	struct mapcache_ent *mc;
};
/* The snapshot of ws now, token being what store_batches gave just before (under look): its
 * horizon is what the id table says was entered last. Give it back with store_snap_drop. */
void store_snap_take(struct store *st, const char *ws, uint64_t look, uint64_t token,
		     struct store_snap *s);
void store_snap_drop(struct store_snap *s);
/* Whether a batch of its workspace has begun, or passed its commit point, since s was taken
 * (false for a snapshot without a horizon: nothing is taken as of it). */
bool store_snap_moved(const struct store_snap *s);
/* The workspace's writer lock, taken shared: no batch of ws commits until store_release.
 * -1 when it cannot be had within STORE_HOLD_WAIT_MS (an admin command holds it: reindex,
 * verify) or there is none (nothing was ever written there). */
#define STORE_HOLD_WAIT_MS 100
int store_hold(struct store *st, const char *ws);
/* The same lock only if no writer holds it now (no wait): -1 else. */
int store_hold_now(struct store *st, const char *ws);
void store_release(int fd);
/* Finishes a batch of ws whose writer died between its commit point and its publish (a
 * reader found store_batches stuck there), as the next writer would (its ids entered, the
 * journal emptied): only when no process holds the workspace lock, so a live writer is never
 * raced, and only for a batch of this boot (after a reboot the first writer settles, and
 * rebuilds the tables). true when it finished one; false, touching nothing, when the journal
 * holds no such batch or the lock is held. */
bool store_finish(struct store *st, const char *ws);
/* After a reboot, the tables (ids.tab, traces.tab, sessions.tab) of another boot, which
 * readers cannot trust (a power cut may have lost pages of them): settles ws as its first
 * writer of the boot would (the journal settled, the tables rebuilt from the days), only when
 * no process holds the workspace lock. So a get by id, a trace or a session is not a scan of
 * every day until the next write, whenever that comes. true when it rebuilt them; false,
 * touching nothing, when they are of this boot, absent or damaged, owned by another user than
 * the process's, or the lock is held (the caller then reads as before: the days answer).
 * look: store_look's. */
bool store_settle_boot(struct store *st, const char *ws, uint64_t look);

/* The first and last day that hold a span of a trace or session id (the range tables kept at
 * ingest), so a lookup opens only those days. ST_NOT_FOUND: no span has that id.
 * ST_UNAVAILABLE: the table cannot answer (absent, or possibly stale after a reboot until a
 * writer or a query rebuilds it: store_settle_boot); the caller then looks at every day. Days in
 * the range may have been deleted since (retention). */
enum store_key { STORE_KEY_TRACE, STORE_KEY_SESSION };
/* h is hash_bytes of the id. */
enum status store_key_days(struct store *st, const char *ws, uint64_t look, enum store_key which,
			   uint64_t h, int32_t *first, int32_t *last);

/* Where the lines of a shard live. A record's off is a position in the day's stream of
 * lines: an open shard holds the whole stream in <day>.jsonl; a sealed one holds its first
 * `base` bytes zstd-compressed in <day>.jsonl.zst and the lines of late spans (appended after
 * the seal) in <day>.late.jsonl, at off - base. Read through shard_line and shard_view. */
struct sealed;
struct mapcache_ent;
struct shard_lines {
	int fd;		 /* <day>.jsonl, or <day>.late.jsonl; -1 when absent */
	uint64_t base;	 /* stream offset of fd's first byte (0 for an open shard) */
	const char *map; /* the plain lines mapped on the first read (lib/store/mapcache.h) ... */
	size_t maplen;	 /* ... its first maplen bytes, what it held then */
	struct mapcache_ent *mc;
	struct sealed *z; /* NULL for an open shard */
	/* A reader's open shard (LINES_MAP): the day whose <day>.jsonl the first read maps,
	 * under look (store_look; 0 none), and the mapping of that look once a read needed more
	 * than it held (kept for the views already given). */
	bool lazy;
	struct store *st;
	const char *ws;
	int32_t day;
	uint64_t look;
	struct mapcache_ent *held;
};
/* A read-only view of one shard: its committed records (mmap'd) and its lines. */
struct shard {
	int32_t day;
	struct shard_lines d;
	const struct idx_rec *recs;
	size_t nrecs;
	size_t nsealed;	   /* records whose lines are in the sealed file; the rest are late */
	uint64_t flag_gen; /* the header's flag generation when opened (store_dayindex_count) */
	uint64_t text_end; /* bytes of <day>.tdx its committed records' segments fill */
	const void *map;   /* the index file from its header on (lib/store/mapcache.h) */
	struct mapcache_ent *mc;
	/* The snapshot of the query that opened it (store_snap_shard; NULL: none), and the day's
	 * <day>.sup, mapped on first need (sup_len: the bytes it held then; sup_tried: a stat
	 * looked for it, when the journal's token was sup_token). */
	const struct store_snap *snap;
	bool sup_tried;
	uint64_t sup_token;
	const char *sup;
	size_t sup_len;
	struct mapcache_ent *sup_mc;
};
/* Opens the shard of ws/day for reading; ST_NOT_FOUND if it does not exist, or its index has
 * no header yet (a writer creating the day, or one refused or killed while it did: no record
 * of it is committed). shard_open_at
 * takes its files as a stat under look found them (store_look), with none when it can. */
enum status shard_open(struct store *st, const char *ws, int32_t day, struct shard *sh);
enum status shard_open_at(struct store *st, const char *ws, int32_t day, uint64_t look,
			  struct shard *sh);
void shard_close(struct shard *sh);
/* Takes sh, just opened, as of snapshot s (NULL: none): once a batch began since s, the records
 * past its horizon are left out, and when a version of the day was superseded since, the
 * counts kept of the day's flags (its .tix, its tail) are not used (flag_gen made odd). */
void store_snap_shard(struct shard *sh, const struct store_snap *s);
/* Whether record i of sh, superseded and not deleted, is still live to sh's snapshot: it was
 * superseded by a batch after the snapshot's horizon. */
bool store_snap_superseded(struct shard *sh, size_t i);
/* Whether record i of sh is live to the query that opened it: neither deleted nor superseded,
 * or superseded since the query's snapshot. Every listing, count and rollup asks this. */
static inline bool shard_live(struct shard *sh, size_t i)
{
	uint16_t f = sh->recs[i].flags;
	if (store_flags_live(f))
		return true;
	return !(f & REC_DELETED) && sh->snap && store_snap_superseded(sh, i);
}
/* Reads the line of record i into out (appends). */
enum status shard_line(struct shard *sh, size_t i, struct buf *out);
/* The line of record i in place, valid until the next line of the shard is read. False when
 * the data does not hold it. */
bool shard_view(struct shard *sh, size_t i, const char **p, size_t *n);
/* Gives the pages of the shard's mapped lines back (they stay in the page cache; a later view
 * faults them in again, and views given before stay valid), so a scan that reads gigabytes
 * of lines does not leave them all resident in the reading process. */
void shard_forget_lines(struct shard *sh);
/* The same for its mapped records (the .idx): a scan of a million records no longer holds
 * their 122 MiB once it has passed them. */
void shard_forget_records(struct shard *sh);
/* A sealed shard's records in start-time order: *order holds record numbers [0, nsealed)
 * sorted by started_us (ties by record number); [*lo, *hi) are those with started_us in
 * [smin, smax]. False for an open shard (no order; scan the records). */
bool shard_by_start(struct shard *sh, int64_t smin, int64_t smax, const uint32_t **order,
		    size_t *lo, size_t *hi);

/* Records a block of a shard's start-time bounds holds (shard_blocks): 128 KiB of records, so a
 * day of a million records has about a thousand blocks, each looked at once by a page, and a
 * block read whole costs a few microseconds. */
#define SHARD_BLOCK 1024u
/* The least and greatest started_us of the records of a block. */
struct shard_block {
	int64_t lo, hi;
};
/* The start-time bounds of sh's records by blocks of SHARD_BLOCK, record numbers
 * [j * SHARD_BLOCK, (j + 1) * SHARD_BLOCK) for block j: *b, valid while sh is open. Returns the
 * number of whole blocks of sh->nrecs (the records past them are in none). A process keeps
 * them with the index's mapping (mapcache_aux): made once for a day, then for the blocks
 * committed since; a block whose last record is no longer the one it was made from (a day
 * rebuilt, a batch undone and written again) is made again. So a page in start-time order
 * reads the blocks that can hold its rows, not every record of the day (docs/FORMAT.md,
 * "A day's start-time blocks"). */
size_t shard_blocks(struct shard *sh, const struct shard_block **b);

struct store_dayindex;

/* Sorted list of the day numbers that have a shard in ws (caller frees *days). store_days_at
 * gives the list made under look again (store_look), with no listing. */
enum status store_days(struct store *st, const char *ws, int32_t **days, size_t *n);
enum status store_days_at(struct store *st, const char *ws, uint64_t look, int32_t **days,
			  size_t *n);
/* Sorted list of workspace names (caller frees each and the array). */
enum status store_workspaces(struct store *st, char ***names, size_t *n);

/* What `spandex stats` prints for a workspace. */
struct store_stats {
	size_t days;		  /* days with an index */
	uint64_t spans, versions; /* live records, all committed records */
	uint64_t data_bytes;	  /* plain, sealed and late lines of those days */
	uint64_t index_bytes;	  /* their indexes and the id table */
};
/* Counts them for ws; fails only when its days cannot be listed. */
enum status store_stats(struct store *st, const char *ws, struct store_stats *out);

/* Admin operations (the spandex CLI runs them). */
/* Progress of one: steps (days) done of total, and for those that read every line (reindex,
 * verify) the bytes of lines read of bytes_total (0 for the others), so that a display can
 * give a rate and an ETA. */
struct store_progress {
	size_t done, total;
	uint64_t bytes, bytes_total;
};
typedef void (*store_progress_fn)(void *ctx, const struct store_progress *p);
/* Rebuilds every index of ws from the JSONL alone, then the id table and superseded flags.
 * A day whose data ends in bytes that are no complete span line (a torn write, damage) has
 * them cut: they are first appended to <day>.quarantine beside it, and note (may be NULL)
 * is told what was cut, where it went and which span ids can still be read in it. */
enum status store_reindex(struct store *st, const char *ws, store_progress_fn fn, void *ctx,
			  void (*note)(void *nctx, const char *msg), void *nctx, struct err *e);
/* Seals day of ws (see docs/FORMAT.md, "Sealed shards"): its lines go into a file of
 * independently decompressible zstd blocks with a start-time order and an id table; readers
 * see the same lines before, during and after. Holds only that day's shard lock, and that
 * only for the lines appended while it compressed. *in_bytes, *out_bytes: stream and file
 * sizes. ST_NOT_FOUND: no such shard; ST_OK with *in_bytes 0: nothing new to seal. */
enum status store_seal(struct store *st, const char *ws, int32_t day, uint64_t *in_bytes,
		       uint64_t *out_bytes, struct err *e);
/* The frames of sealed files this process has decompressed so far (each a block of about
 * SEAL_BLOCK bytes, lib/store/sealed.h): what a query on sealed days paid for the lines it read,
 * for tests and benchmarks to count. */
uint64_t store_sealed_frames(void);
/* The blocks of the trace and session key maps (KEYMAP_BLOCK entries each, lib/store/keymap.h)
 * whose checksum this process has computed so far: a worker checks each block of a day's .tix
 * once, not at every lookup, for tests and benchmarks to count. */
uint64_t store_keymap_checks(void);
/* The text and field index of a day (<day>.tix; docs/FORMAT.md, "The text and field
 * index"): the words (runs of letters, digits and non-ASCII characters, folded) of each
 * record's name, input and output with the records holding each, a hash of each record's
 * value of the fields with a column, and the records of each trace and session hash. Derived
 * data, built aside and renamed into place; it covers the records committed when it was built, and
 * readers read the lines of the records after those. A word longer than DAYINDEX_MAX_WORD bytes, or
 * past DAYINDEX_MAX_WORDS distinct words in a day, puts its record among those every term may
 * match. */
#define DAYINDEX_MAX_WORD 64
#define DAYINDEX_MAX_WORDS (2u << 20)
/* A word in at most this many records of a day is rare: the .tix keeps no pair of words holding
 * it (version 6), since its own records narrow a phrase holding it to about as few candidates
 * as the pair's would; a phrase holding it reads at most that many more lines a day than the
 * pair's records (docs/FORMAT.md, "Pairs of words"). 64 by measurement on prose:
 * BENCHMARKS-HISTORY.md, "Pairs of a rare word". */
#define DAYINDEX_RARE_WORD 64
/* A pair of words in more than this share of a day's records (and more than DAYINDEX_RARE_WORD
 * records) is common: the .tix keeps every triple of words (three in a row) of two kept pairs of
 * which one is common (version 9), since a common pair narrows a phrase of three words little (on
 * prose nearly every record holds both pairs of "with the wo"), while two pairs each in fewer
 * records narrow it to those. By measurement on prose: BENCHMARKS-HISTORY.md, "Triples of
 * words". */
#define DAYINDEX_TRIPLE_SHARE 16
/* A triple in more than this share (a half) of the records of its rarer pair is kept as in every
 * record (no postings: its pairs' records stand for it): its list would narrow a phrase little
 * for about a byte a record (on bench/gen's 19-word pool most triples are so). 2 rather than 4 by
 * measurement on prose: BENCHMARKS-HISTORY.md, "Triples of words". */
#define DAYINDEX_TRIPLE_NARROW 2
#define DAYINDEX_NCOLS SPAN_COLS    /* the fields with a column (lib/model/fields.h) */
#define DAYINDEX_ABSENT 0	    /* a column's value for a span without the field */
#define DAYINDEX_UNKNOWN UINT64_MAX /* ... for a span whose line could not be read */
/* The value lists of a .tix (version 8) are per column (0 to DAYINDEX_NCOLS - 1), then per kind
 * and per status (store_index_lists). */
#define STORE_LIST_KIND DAYINDEX_NCOLS
#define STORE_LIST_STATUS (DAYINDEX_NCOLS + 1)
#define STORE_LIST_NKEYS (DAYINDEX_NCOLS + 2)
/* The column of top-level key (sub NULL), or -1. */
int store_dayindex_col_of(const char *key, const char *sub);
/* A column's value for the field's JSON value v[0..n) as the line holds it (jline_get). */
uint64_t store_dayindex_hash(const char *v, size_t n);
/* Builds the index of ws/day over its committed records, unless the one in place already
 * covers them all (*built false). *covered: the records the index covers. */
enum status store_text_index(struct store *st, const char *ws, int32_t day, bool *built,
			     size_t *covered);
/* A root record as the index holds it: what a page of traces reads of it. */
struct store_dayindex_root {
	uint64_t trace_h;
	int64_t started_us;
	uint32_t rec;
	uint16_t flags; /* the record's when the index was built */
	uint8_t kind, status;
};
/* The columns of the tail (the same file), as a .tix holds them, for sh's records from from
 * on: runs of records in storage order, each [first, first + n) with column k of record
 * first + i at v[k * stride + i], or v NULL for a run no segment with columns answers for (of
 * an older spandex, damaged: their lines tell). v points into the tail's mapping, held until
 * store_tailindex_cols_free. */
struct store_tailindex_run {
	size_t first, n, stride;
	const uint64_t *v;
};
struct store_tailindex_cols {
	struct store_tailindex_run *run;
	size_t nrun;
	struct mapcache_ent *mc;
};
/* What store_dayindex_count counts: the live covered records whose kind is in kinds and status in
 * statuses (bit sets; 0: any), roots only if roots, and, with col >= 0, whose column col holds
 * one of vals[0..nvals) (DAYINDEX_ABSENT for an absent field). */
struct store_dayindex_q {
	uint32_t kinds, statuses;
	bool roots;
	int col;
	const uint64_t *vals;
	size_t nvals;
};
struct store_tailvals;
/* A day's indexes as one (lib/store/index.c): the text and field index (.tix) for the records it
 * covers and the tail's segments (.tdx) for those past it. Each question is asked once and
 * answered for both, with one coverage: what the function returns, the records [0, covered) the
 * answer holds for; the records from covered on are ones no index answers for, which the caller
 * reads (their records and lines). 0: no index answers (read every record). lib/query asks only
 * these (t/layers.sh), and so do the tests: the parts (store_dayindex_* in dayindex.h,
 * store_tailindex_* in tailread.h) are the store's own. The caller holds the struct (a query's day,
 * its shard opened); the store fills it, opening each index on first need, until store_index_free.
 */
struct store_index {
	struct store *st;
	const char *ws;
	const struct shard *sh;
	struct store_dayindex *day; /* the .tix, when it has one to trust */
	size_t day_covered;	    /* the records it covers */
	bool day_tried, cols_tried, roots_tried;
	struct store_tailindex_cols cols; /* the tail's columns, past day_covered */
	size_t col_at;			  /* the run a record was last looked for in */
	/* The tail's value lists past day_covered, per list key asked (bit k of vals_tried),
	 * answering for [day_covered, vals_to[k]): held until store_index_free. */
	struct store_tailvals *vals[STORE_LIST_NKEYS];
	size_t vals_to[STORE_LIST_NKEYS];
	uint64_t vals_tried;
	struct store_index_roots {
		const struct store_dayindex_root *e; /* the .tix's roots, in its mapping */
		size_t ne;
		bool held;   /* their flags are the records' own */
		uint32_t *r; /* the roots past the .tix's (or every root, with e NULL) */
		size_t nr;
		size_t covered;
	} roots;
};
void store_index_init(struct store_index *x, struct store *st, const char *ws,
		      const struct shard *sh);
void store_index_free(struct store_index *x);
/* The records that may hold every one of terms[0..nterms), as store_dayindex_text says: *bits,
 * and *sure those that do (NULL: none known); both the caller's to free, NULL with 0. */
size_t store_index_text(struct store_index *x, const char *const *terms, size_t nterms,
			uint64_t **bits, uint64_t **sure);
/* The records that may have one of the trace (STORE_KEY_TRACE) or session hashes hs[0..nh)
 * (distinct), ascending: *recs (the caller's to free; NULL when none) and *n. */
size_t store_index_keyed(struct store_index *x, enum store_key which, const uint64_t *hs, size_t nh,
			 uint32_t **recs, size_t *n);
/* The same from the .tix alone: the records it covers, [0, returned), 0 with none (the tail's
 * maps, a map a segment a batch, cost more to ask on a tail of many small batches than its
 * records cost to read). */
size_t store_index_keyed_tix(struct store_index *x, enum store_key which, const uint64_t *hs,
			     size_t nh, uint32_t **recs, size_t *n);
/* The root spans (store_rec_root): the .tix's entries e[0..ne), then the records r[0..nr) (those
 * past it, or every one when e is NULL), ascending; *out's arrays are x's, asked once. The
 * entries' flags are their records' own when held (no version superseded since the build). */
size_t store_index_roots(struct store_index *x, const struct store_index_roots **out);
/* The trace (STORE_KEY_TRACE) or session id of record ri as its line holds it, from the .tix
 * (store_dayindex_id), valid until store_index_free: false when it cannot say (a record past
 * what it covers among them): the line tells. On a sealed day a line read costs a block
 * decompressed. */
bool store_index_id(struct store_index *x, enum store_key which, size_t ri, const char **p,
		    size_t *n);
/* Column k's value of record ri; DAYINDEX_UNKNOWN when no index has one. Records are mostly
 * asked for in storage order. */
uint64_t store_index_col(struct store_index *x, int k, size_t ri);
/* The records from from on (0, or the .tix's coverage: store_index_lists) whose value in column k
 * may be one of want[0..nw) (or that no index could read), ascending, into *recs (the caller's
 * to free) and *n: 8 bytes a record read instead of 128. Returns the records the answer is for,
 * [from, covered); 0 when no index answers for any (every record is read), too when the .tix
 * has a damaged column. */
size_t store_index_pick(struct store_index *x, int k, const uint64_t *want, size_t nw, size_t from,
			uint32_t **recs, size_t *n);
/* A value's lists (store_index_lists): the .tix's records of it (r[0], n[0]) and the tail's past
 * them (r[1], n[1]), each ordered by start, then by record; and loose, the tail's records in the
 * lists' range that no list answers for (a segment without columns, a value its writer could not
 * read: their lines decide), ascending. Valid until store_index_free. */
struct store_list {
	const uint32_t *r[2];
	size_t n[2];
	const uint32_t *loose;
	size_t nloose;
	bool tail; /* the tail's lists answered, up to the coverage returned */
};
/* The records the day's value lists name for value v of list key k (a column, STORE_LIST_KIND
 * with a kind, STORE_LIST_STATUS with a status) into *out: the .tix's (version 8) for the
 * records it covers, then the tail's, which a worker keeps with the tail's mapping (docs/FORMAT.md,
 * "The text of the tail"). Returns the records the answer is for, [0, covered) (the records
 * past them are the caller's to visit); 0 when the .tix has no list to trust (an older version,
 * a column value it could not read, a damaged section) and no tail answers in its place, or for v
 * DAYINDEX_ABSENT of a column, which has none. */
size_t store_index_lists(struct store_index *x, int k, uint64_t v, struct store_list *out);
/* The count of the records q names (store_dayindex_count) into *n: 0 when the .tix has counts it
 * cannot trust (none counted then). */
size_t store_index_count(struct store_index *x, const struct store_dayindex_q *q, uint64_t *n);

/* The versions of ws in the order of their commits (lib/store/commits.c; what `spandex
 * forward` sends on): those committed after after_us (an ingested_at, which orders versions
 * strictly per workspace), oldest first, at most max of them, as one state of the workspace (no
 * batch in part). Each is any version: superseded, deleted, judged by its flags. pending: how
 * many versions were committed after after_us in all, oldest_us the ingested_at of the first
 * (0: none); more: pending > n. The lines are read with store_commits_line until
 * store_commits_close. ST_UNAVAILABLE: batches kept committing under every try and the
 * workspace lock could not be had (an admin command holds it): try again later. */
#define STORE_COMMITS_TRIES 3
struct store_commit {
	int64_t ingested_us;
	size_t shard;
	uint32_t rec;
	uint16_t flags;
};
struct store_commits {
	struct shard *sh;
	size_t nsh;
	struct store_commit *v;
	size_t n;
	uint64_t pending;
	int64_t oldest_us;
	bool more;
};
enum status store_commits_open(struct store *st, const char *ws, int64_t after_us, size_t max,
			       struct store_commits *c);
/* The line of version i in place, valid until the next line of its shard is read; false when
 * the data does not hold it whole (a line damaged since: reindex cuts it). */
bool store_commits_line(struct store_commits *c, size_t i, const char **p, size_t *n);
void store_commits_close(struct store_commits *c);

/* Checks every index of ws against its data and the id table against the indexes. Each
 * problem is reported through report(ctx, message); returns the number of problems. */
size_t store_verify(struct store *st, const char *ws, void (*report)(void *ctx, const char *msg),
		    void *ctx, store_progress_fn fn, void *pctx);

#endif
