/* idstr: the trace and session id strings of a day's .tix (version 7; docs/FORMAT.md, "The
 * text and field index", "Id strings"): per key, each distinct id of the covered records once,
 * as its lines hold it (the JSON literal), found by the records' own hash. A query that needs
 * an id's text (a group's key, a tie between two traces, an equality on trace_id or
 * session_id confirmed) takes it from here instead of reading the line: on a sealed day a line
 * costs a 64 KiB frame decompressed. Private to lib/store; the builder owns its memory, a
 * reader's view points into the caller's mapping. */
#ifndef SPANDEX_STORE_IDSTR_H
#define SPANDEX_STORE_IDSTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/base/buf.h"
#include "lib/store/store.h"

#define IDSTR_NKEYS 2 /* trace, then session (enum store_key) */

/* One distinct id of a key: the records' hash, where its literal begins among the key's
 * literals and its length. Sorted by hash. */
struct idstr_ent {
	uint64_t h;
	uint32_t off, len;
};

/* ---- building ---- */

struct idstr_rec;
struct idstr_build {
	struct idstr_rec *r[IDSTR_NKEYS]; /* per record: its hash and its literal in lits */
	size_t n;
	struct buf lits;
};
/* A builder for the n records of a day. */
void idstr_build_init(struct idstr_build *b, size_t n);
/* Record rec's id of key k: its hash h (the record's trace_h or session_h) and the literal
 * v[0..vn) its line holds, or v NULL when the line holds none or could not be read (its hash
 * then has no entry, nor when the value is no string: every record of it reads its line). */
void idstr_build_add(struct idstr_build *b, enum store_key k, uint32_t rec, uint64_t h,
		     const char *v, size_t vn);
/* The section, appended to out (8-byte aligned): per key, the number of entries and of
 * literal bytes (uint64 each), the entries, the literals padded to 8 bytes; then the
 * section's bytes (uint64, itself included), so that the file's last 8 bytes say where it
 * starts. A hash gets an entry only when every record of it has the same literal. */
void idstr_build_render(struct idstr_build *b, struct buf *out);
void idstr_build_free(struct idstr_build *b);

/* ---- reading ---- */

struct idstr {
	struct idstr_key {
		const struct idstr_ent *e;
		size_t n;
		const char *lits;
		size_t nlits;
	} k[IDSTR_NKEYS];
};
/* The section at p (8-byte aligned) of exactly len bytes into *v; false when its sizes do not
 * add up to len (its last 8 bytes among them). */
bool idstr_at(const void *p, size_t len, struct idstr *v);
/* Whether v's entries are in strict order of hash and each literal lies within its key's
 * (checked once per mapping, with the section's checksum). */
bool idstr_sound(const struct idstr *v);
/* The literal of key k whose hash is h, into *p and *n: false when v has none. */
bool idstr_find(const struct idstr *v, enum store_key k, uint64_t h, const char **p, size_t *n);
/* The first entry of v (counted over both keys) whose literal is not a JSON string whose text
 * hashes to its hash (ids the line format can escape past recognition are let be); SIZE_MAX
 * when none is. For verify. */
size_t idstr_check(const struct idstr *v);

#endif
