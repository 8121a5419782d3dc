/* dayindex_check: the check of a day's text and field index (.tix) for verify, split from
 * dayindex.c, which reads and builds it: every section's checksum, every word's postings, and
 * when the file is current, its key maps, roots, value lists and counts against the records'
 * own. */
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include "lib/base/buf.h"
#include "lib/store/counts.h"
#include "lib/store/dayindex.h"
#include "lib/store/dayindex_file.h"
#include "lib/store/idstr.h"
#include "lib/store/keymap.h"
#include "lib/store/layout.h"
#include "lib/store/lists.h"
#include "lib/store/words.h"

/* The name of column k (lib/model/fields.h). */
static const char *col_name(int k)
{
	for (int i = 0; i < SF__COUNT; i++)
		if (span_fields[i].col == k)
			return span_fields[i].name;
	return "?";
}

/* Key map k of t: every block's checksum, the order, each covered record once, and (sh: the
 * shard it was built from) each record's own hash. 1 and a line in why when it fails. */
static int key_check(const struct dayindex *t, int k, const struct shard *sh, struct buf *why)
{
	static const char *const name[DAYINDEX_NKEYS] = {"trace", "session"};
	size_t bad = keymap_check(&t->keys[k], sh ? sh->recs : NULL, k);
	if (bad == SIZE_MAX)
		return 0;
	buf_printf(why, "the %s map is wrong at entry %zu\n", name[k], bad);
	return 1;
}

/* The value lists of t: their checksum, order and bounds, and when t is current (and its
 * columns good), the lists the records and columns make, byte for byte. 1 and a line in why
 * when they fail. */
static int lists_check(struct dayindex *t, const struct shard *sh, struct buf *why)
{
	if (!t->has_lists)
		return 0;
	if (!dayindex_lists_good(t)) {
		buf_printf(why, "the value lists' checksum or order does not check\n");
		return 1;
	}
	for (int k = 0; k < DAYINDEX_NCOLS; k++)
		if (!dayindex_col_good(t, k))
			return 0; /* named above */
	if (!dayindex_current(t, sh))
		return 0;
	struct buf want;
	buf_init(&want);
	lists_render(sh->recs, t->h->nrecs, t->cols, &want);
	bool same = want.len == t->lists.len + 16 && !memcmp(want.p, t->lists.p, want.len);
	buf_free(&want);
	if (!same)
		buf_printf(why, "the value lists differ from the records'\n");
	return !same;
}

int store_dayindex_check(struct store *st, const char *ws, const struct shard *sh, struct buf *why)
{
	char p[PATH_MAX];
	struct dayindex t;
	if (!layout_shard_path(p, st, ws, sh->day, LAYOUT_DAYINDEX) || access(p, F_OK) < 0)
		return 0;
	if (!dayindex_open(st, ws, sh->day, false, &t)) {
		buf_printf(why, "its header or sizes do not check\n");
		return 1;
	}
	int bad = 0;
	if (!dayindex_text_good(&t)) {
		buf_printf(why, "the text section's checksum does not check\n");
		bad = 1;
	}
	for (int k = 0; k < DAYINDEX_NCOLS; k++)
		if (!dayindex_col_good(&t, k)) {
			buf_printf(why, "column %s: checksum mismatch\n", col_name(k));
			bad = 1;
		}
	size_t w = bad ? SIZE_MAX : words_check(&t.text, t.h->nrecs);
	if (w != SIZE_MAX) {
		buf_printf(why, "word %zu is malformed\n", w);
		bad = 1;
	}
	for (int k = 0; k < DAYINDEX_NKEYS && t.keys[k].h; k++)
		bad |= key_check(&t, k, dayindex_current(&t, sh) ? sh : NULL, why);
	if (t.roots && !dayindex_roots_good(&t)) {
		buf_printf(why, "the roots' checksum or order does not check\n");
		bad = 1;
	} else if (t.roots && dayindex_current(&t, sh)) {
		/* Current roots are the shard's own root records; their flags too while the
		 * day's flags are those the file was built at. */
		struct buf want;
		buf_init(&want);
		bool same = dayindex_render_roots(sh, t.h->nrecs, &want) == t.h->nroots;
		const struct store_dayindex_root *w = (const void *)want.p;
		for (size_t i = 0; same && i < t.h->nroots; i++) {
			struct store_dayindex_root e = t.roots[i];
			if (!dayindex_flags_held(&t, sh))
				e.flags = w[i].flags;
			same = !memcmp(&e, &w[i], sizeof e);
		}
		if (!same) {
			buf_printf(why, "the roots differ from the records'\n");
			bad = 1;
		}
		buf_free(&want);
	}
	size_t bad_id = t.ids_at && dayindex_ids_good(&t) ? idstr_check(&t.ids) : SIZE_MAX;
	if (t.ids_at && !dayindex_ids_good(&t)) {
		buf_printf(why, "the id strings' checksum or order does not check\n");
		bad = 1;
	} else if (bad_id != SIZE_MAX) {
		buf_printf(why, "id string %zu is not its hash's\n", bad_id);
		bad = 1;
	}
	bad |= lists_check(&t, sh, why);
	if (t.counts && !dayindex_counts_good(&t)) {
		buf_printf(why, "the counts' checksum does not check\n");
		bad = 1;
	} else if (t.counts && !bad && dayindex_current(&t, sh) && dayindex_flags_held(&t, sh)) {
		/* Current counts are the shard's own, entry for entry. */
		struct buf want;
		buf_init(&want);
		counts_render(sh->recs, t.h->nrecs, t.cols, &want);
		if (want.len != t.h->ncounts * sizeof *t.counts ||
		    memcmp(want.p, t.counts, want.len)) {
			buf_printf(why, "the counts differ from the records'\n");
			bad = 1;
		}
		buf_free(&want);
	}
	dayindex_close(&t);
	return bad;
}
