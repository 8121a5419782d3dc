/* logobj: the objects of a workspace in the bucket (docs/FORMAT.md, "The bucket"): their keys
 * and the header line each log object starts with: a delta (the bytes of each day's stream
 * since the last object, and whole files, after the line), a snapshot (the objects that hold
 * each day, and the files), or a takeover (a host took the workspace over). Private to
 * lib/ship. Everything a decode allocates is freed by logobj_free. */
#ifndef SPANDEX_SHIP_LOGOBJ_H
#define SPANDEX_SHIP_LOGOBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "lib/base/buf.h"
#include "lib/base/status.h"
#include "lib/store/store.h"

#define LOGOBJ_VERSION 1
#define LOGOBJ_SEQ_DIGITS 20	    /* a sequence number zero-padded, so keys list in order */
#define LOGOBJ_HDR_MAX (64u << 20)  /* a header line: a snapshot of a workspace of many days */
#define LOGOBJ_KEY_MAX 320	    /* a key relative to the prefix: ws/data/<64 hex> and room */
#define LOGOBJ_FILE_MAX (16u << 20) /* a file that travels with a workspace (keys, rules) */

enum logobj_type { LOGOBJ_DELTA, LOGOBJ_SNAPSHOT, LOGOBJ_TAKEOVER };
extern const char *const logobj_type_names[]; /* "delta", "snapshot", "takeover" */
extern const char *const logobj_kind_names[]; /* "spans", "judgements" */

/* A delta's bytes of one day's stream: [at, at + len), recs lines, in the object's order. */
struct lo_part {
	enum store_kind kind;
	int32_t day;
	uint64_t at, len, recs;
};
/* A snapshot's object of a day's stream [at, at + len): that object's bytes, whole. */
struct lo_piece {
	char key[LOGOBJ_KEY_MAX];
	uint64_t at, len;
};
/* A day of a snapshot: its stream [0, end) of recs lines, the first zbytes of it in the
 * sealed object zkey (zsize bytes; "" for none), the rest in pieces, ascending. */
struct lo_day {
	enum store_kind kind;
	int32_t day;
	uint64_t end, recs;
	char zkey[LOGOBJ_KEY_MAX];
	uint64_t zbytes, zsize;
	struct lo_piece *pieces;
	size_t npieces;
};
/* A file: in a delta, len bytes after the parts; in a snapshot, the object key. sha: its
 * SHA-256 (hex). */
struct lo_file {
	char name[32];
	uint64_t len;
	char key[LOGOBJ_KEY_MAX];
	char sha[65];
};
struct lo_hdr {
	enum logobj_type type;
	char ws[64];
	uint64_t seq;
	char host[17];
	int64_t at;
	struct lo_part *parts;
	size_t nparts;
	struct lo_day *days;
	size_t ndays;
	struct lo_file *files;
	size_t nfiles;
	uint64_t body; /* where the bytes after the header line start */
};

/* The keys (relative to the bucket's prefix). */
void logobj_log_key(char out[LOGOBJ_KEY_MAX], const char *ws, uint64_t seq);
void logobj_snap_key(char out[LOGOBJ_KEY_MAX], const char *ws, uint64_t seq);
void logobj_takeover_key(char out[LOGOBJ_KEY_MAX], const char *ws, uint64_t seq);
void logobj_data_key(char out[LOGOBJ_KEY_MAX], const char *ws, const char *sha);
/* The sequence number of a key under ws/log/ (ws/snap/, ws/takeover/): false for another. */
bool logobj_seq_of(const char *key, size_t skip, uint64_t *seq);

/* o as compact JSON, members in their order, appended to out: written straight into the
 * buffer, whichever allocator jansson has (a request's arena in the programs). */
void logobj_json(json_t *o, struct buf *out);
/* The header line of h, ending in '\n', appended to out. */
void logobj_encode(const struct lo_hdr *h, struct buf *out);
/* Reads a header line from p[0..n) (the object's first bytes, which must hold the whole line):
 * ST_INVALID with e saying what is wrong. */
enum status logobj_decode(const char *p, size_t n, struct lo_hdr *h, struct err *e);
void logobj_free(struct lo_hdr *h);
/* The bytes of a delta after its header: the parts' and the files'. */
uint64_t logobj_delta_bytes(const struct lo_hdr *h);

#endif
