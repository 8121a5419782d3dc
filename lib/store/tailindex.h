/* tailindex: the index of a day's tail (<day>.tdx), written by the writer with the data: one
 * segment per batch, the words of its records' name, input and output, their trace and session
 * keys, roots and column values, appended under the shard lock and committed by the same header
 * write that commits the records (the header's text_end). `spandex index` folds the tail into
 * the day's .tix and removes it. A segment's bytes are tailseg.h's; the readers' side is
 * store_tailindex_text, store_tailindex_keyed, store_tailindex_roots, store_tailindex_cols and
 * store_tailindex_count in tailread.h; docs/FORMAT.md ("The text of the tail") has the
 * format and the rules. Private to lib/store. */
#ifndef SPANDEX_STORE_TAILINDEX_H
#define SPANDEX_STORE_TAILINDEX_H

#include <stddef.h>
#include "lib/base/buf.h"
#include "lib/store/record.h"
#include "lib/store/store.h"

#include "lib/store/words.h"

struct writeset_shard;

/* The words of one shard's part of a batch, cut before the writer takes the workspace lock
 * (they are most of a batch's work under it otherwise): record k of the part is the k-th line
 * added. */
struct tailindex_words {
	struct words_build w;
	size_t n;
	uint64_t *cols; /* record k's column j at k * DAYINDEX_NCOLS + j */
	size_t cap;	/* records cols has room for */
};
void tailindex_words_init(struct tailindex_words *t);
/* The next record's line: its words (of its name, input and output) and its columns (the line
 * may lack what follows them: ingested_at, the last member, has no column). at[0..nat) are
 * its members as its writer put them (jline_at), or at is NULL and the line is read for them. */
void tailindex_words_add(struct tailindex_words *t, const char *line, size_t len,
			 const struct jline_at *at, size_t nat);
void tailindex_words_free(struct tailindex_words *t);

/* Writes the segment of records recs[0..n), the next ones of w, whose words t holds (t->n ==
 * n), at h->text_end of the day's .tdx, and moves h->text_end past it; the caller's header
 * write then commits both. Best effort: a segment that cannot be written leaves h->text_end
 * as it was, and readers read those records' lines. */
void tailindex_append(struct store *st, const char *ws, struct writeset_shard *w, struct idx_hdr *h,
		      const struct idx_rec *recs, size_t n, const struct tailindex_words *t);
/* After a .tix covering every record committed was built: under the shard lock, when still
 * no record was committed past covered, the header's text_end goes back to 0 and the .tdx
 * is removed. */
void tailindex_fold(struct store *st, const char *ws, int32_t day, size_t covered);
/* After a power cut (the .tdx is never synced), on a shard opened for writing: the header's
 * text_end cut back to the end of the last segment, counted from the first, that is whole. */
void tailindex_settle(struct store *st, const char *ws, struct writeset_shard *w);
/* Checks the segments of sh's committed tail: each one's header, checksum, words and
 * postings; each problem a line appended to why. Returns the problems. */
int tailindex_check(struct store *st, const char *ws, const struct shard *sh, struct buf *why);

#endif
