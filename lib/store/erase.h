/* erase: what erase.c (a request: its file, the spans and judgements it names, their
 * erasure versions) and erase_pass.c (the pass that takes their bytes out of the data
 * directory) share. Private to lib/store; the public face is in ops.h, the format in
 * docs/FORMAT.md ("Erasures"). */
#ifndef SPANDEX_STORE_ERASE_H
#define SPANDEX_STORE_ERASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/store/ops.h"

#define ERASE_DIR STORE_ERASE_DIR /* ops.h: backup carries it */
#define ERASE_AUDIT STORE_ERASE_AUDIT
#define ERASE_SPAN_NAME "[erased]"     /* the name of a span's erasure version */
#define ERASE_SUBTYPE "spandex.erased" /* the subtype of a judgement's erasure version */
#define ERASE_ID_PREFIX "erase-"
/* The pass sweeps a workspace's media files (ops_media_sweep) keeping those changed in the last
 * minute, not OPS_MEDIA_GRACE_S's hour: a writer commits its batch within seconds of touching
 * a file it references, and an hour would keep an erased span's media past the pass. */
#define ERASE_MEDIA_GRACE_S 60

/* A set of ids and their hashes (hash_bytes), sorted by hash once erase_set_sort ran. */
struct erase_id {
	uint64_t h;
	char *id;
	int64_t upto; /* the pass: versions ingested before it go (the erasure version's) */
};
struct erase_set {
	struct erase_id *v;
	size_t n, cap;
};
void erase_set_add(struct erase_set *s, const char *id, size_t n);
/* Sorts by hash and drops repeated ids, the one kept with the greatest upto of them. */
void erase_set_sort(struct erase_set *s);
/* The first entry of hash h (then the next ones while their hash is h), or NULL. */
struct erase_id *erase_set_find(const struct erase_set *s, uint64_t h);
void erase_set_free(struct erase_set *s);

/* The unquoted string value of key in the line p[0..n) (top level), in out (size bytes, NUL
 * ended). False when absent, not a string or longer. */
bool erase_line_str(const char *p, size_t n, const char *key, char *out, size_t size);

/* Finds what w names in ws (the newest version of each span: those of its traces, sessions,
 * user or time range, with every span of the traces a user's spans are in; the judgements of
 * those spans and traces, and of a session erased; or, by judgement, those judgements alone)
 * and writes an erasure version of each one not yet erased (ERASE_SPAN_NAME, ERASE_SUBTYPE),
 * in batches through store_update: from its return no reader shows them. *spans,
 * *judgements: how many it names (by judgement: how many of the ids have a version). Run
 * again, it names the same and writes nothing more. */
enum status erase_apply(struct store *st, const char *ws, const struct store_erase_what *w,
			size_t *spans, size_t *judgements, struct err *e);
/* DATA/ERASE_DIR/name into out (PATH_MAX); false when too long. */
bool erase_path(char *out, const struct store *st, const char *name);

#endif
