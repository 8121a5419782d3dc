/* tailindex: the text index of a day's tail (<day>.tdx), written by the writer with the data: one
 * segment per batch, the words of its records' name, input and output, appended under the
 * shard lock and committed by the same header write that commits the records (the header's
 * text_end). `spandex index` folds the tail into the day's .tix and removes it. The readers'
 * side is store_tdx_text in store.h; docs/FORMAT.md ("The text of the tail") has the
 * format and the rules. Private to lib/store. */
#ifndef SPANDEX_STORE_TDX_H
#define SPANDEX_STORE_TDX_H

#include <stddef.h>
#include "lib/base/buf.h"
#include "lib/store/record.h"
#include "lib/store/store.h"

struct wshard;

/* Writes the segment of records recs[0..n), the next ones of w (their lines in data, starting
 * at w's data_end), at h->text_end of the day's .tdx, and moves h->text_end past it; the
 * caller's header write then commits both. Best effort: a segment that cannot be written
 * leaves h->text_end as it was, and readers read those records' lines. */
void tailindex_append(struct store *st, const char *ws, struct wshard *w, struct idx_hdr *h,
		      const struct idx_rec *recs, size_t n, const char *data);
/* After a .tix covering every record committed was built: under the shard lock, when still
 * no record was committed past covered, the header's text_end goes back to 0 and the .tdx
 * is removed. */
void tailindex_fold(struct store *st, const char *ws, int32_t day, size_t covered);
/* After a power cut (the .tdx is never synced), on a shard opened for writing: the header's
 * text_end cut back to the end of the last segment, counted from the first, that is whole. */
void tailindex_settle(struct store *st, const char *ws, struct wshard *w);
/* Checks the segments of sh's committed tail: each one's header, checksum, words and
 * postings; each problem a line appended to why. Returns the problems. */
int tailindex_check(struct store *st, const char *ws, const struct shard *sh, struct buf *why);

#endif
