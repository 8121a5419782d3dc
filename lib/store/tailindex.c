/* tailindex: the index of a day's tail, written with the data (tailindex.h). */
#include "lib/store/tailindex.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/bits.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/json/jline.h"
#include "lib/store/counts.h"
#include "lib/store/io.h"
#include "lib/store/keymap.h"
#include "lib/store/layout.h"
#include "lib/store/mapcache.h"
#include "lib/store/tailseg.h"
#include "lib/store/words.h"
#include "lib/store/writeset.h"

/* The keys of records recs[0..n), appended to out. */
static void keys_render(const struct idx_rec *recs, size_t n, struct buf *out)
{
	keymap_render(recs, n, STORE_KEY_TRACE, out);
	keymap_render(recs, n, STORE_KEY_SESSION, out);
	uint64_t *roots = xcalloc(tailseg_roots_bytes(n) / 8 + 1, 8);
	for (size_t i = 0; i < n; i++)
		if (store_rec_root(&recs[i]))
			bits_set(roots, i);
	buf_add(out, roots, tailseg_roots_bytes(n));
	free(roots);
}

void tailindex_words_init(struct tailindex_words *t)
{
	words_init(&t->w, false); /* no pairs: docs/FORMAT.md, "Pairs of words" */
	t->n = 0;
	t->cols = NULL;
	t->cap = 0;
}

/* A member of record t->n, v[0..vn), into its words (text) and column c (-1: none), col. */
static void words_member(struct tailindex_words *t, uint64_t *col, bool text, int c, const char *v,
			 size_t vn)
{
	if (text)
		words_add(&t->w, v, vn, (uint32_t)t->n);
	if (c >= 0 && col[c] == DAYINDEX_UNKNOWN)
		col[c] = store_dayindex_hash(v, vn);
}

void tailindex_words_add(struct tailindex_words *t, const char *line, size_t len,
			 const struct jline_at *at, size_t nat)
{
	size_t pos = 0;
	struct jline_member f;
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->cols = xrealloc(t->cols, t->cap * DAYINDEX_NCOLS * sizeof *t->cols);
	}
	uint64_t *col =
	    t->cols + t->n * DAYINDEX_NCOLS; /* the first of a key counts, as for the .tix */
	for (int k = 0; k < DAYINDEX_NCOLS; k++)
		col[k] = DAYINDEX_UNKNOWN;
	if (at) /* a span's line just rendered: each member's field is its tag (span_render_at) */
		for (size_t i = 0; i < nat; i++)
			words_member(t, col, span_fields[at[i].tag].text,
				     span_fields[at[i].tag].col, line + at[i].v, at[i].vn);
	else
		while (jline_next(line, len, &pos, &f))
			words_member(t, col, words_field(f.k, f.kn), span_col_key(f.k, f.kn), f.v,
				     f.vn);
	for (int k = 0; k < DAYINDEX_NCOLS; k++)
		if (col[k] == DAYINDEX_UNKNOWN)
			col[k] = DAYINDEX_ABSENT;
	t->n++;
}

void tailindex_words_free(struct tailindex_words *t)
{
	words_free(&t->w);
	free(t->cols);
}

void tailindex_append(struct store *st, const char *ws, struct writeset_shard *w, struct idx_hdr *h,
		      const struct idx_rec *recs, size_t n, const struct tailindex_words *t)
{
	char p[PATH_MAX];
	struct stat sb;
	if (!n || t->n != n || w->committed + n > UINT32_MAX)
		return;
	if (w->tailindex_fd < 0 &&
	    (!layout_shard_path(p, st, ws, w->day, LAYOUT_TAILINDEX) ||
	     (w->tailindex_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0))
		return;
	/* A file shorter than the header says was removed (a backup restored, say): start it
	 * again. */
	if (fstat(w->tailindex_fd, &sb) < 0)
		return;
	if ((uint64_t)sb.st_size < h->text_end)
		h->text_end = 0;
	const struct words_build *b = &t->w;
	struct tailindex_seg s;
	memset(&s, 0, sizeof s);
	memcpy(s.magic, tailseg_magic[TAILINDEX_VERSION - 1], 8);
	s.first = (uint32_t)w->committed;
	s.nrecs = (uint32_t)n;
	s.nwords = (uint32_t)b->nw;
	s.order = TAILINDEX_ORDER;
	s.blob_len = b->blob.len;
	s.last_span_h = recs[n - 1].span_h;
	s.last_ingested_us = recs[n - 1].ingested_us;
	struct buf out;
	buf_init(&out);
	buf_add(&out, &s, sizeof s);
	words_render(b, n, &out);
	keys_render(recs, n, &out);
	uint64_t *cols =
	    xmalloc(n * DAYINDEX_NCOLS * sizeof *cols); /* column k of record i at k * n + i */
	for (int k = 0; k < DAYINDEX_NCOLS; k++)
		for (size_t i = 0; i < n; i++)
			cols[(size_t)k * n + i] = t->cols[i * DAYINDEX_NCOLS + (size_t)k];
	buf_add(&out, cols, n * DAYINDEX_NCOLS * sizeof *cols);
	struct tailseg_end tail = {h->flag_gen & 1 ? 1 : h->flag_gen,
				   counts_render(recs, n, cols, &out), 0};
	buf_add(&out, &tail, sizeof tail);
	free(cols);
	struct tailindex_seg *sp = (struct tailindex_seg *)out.p;
	sp->body_len = out.len - sizeof s;
	sp->body_crc = hash_crc32c(0, out.p + sizeof s, sp->body_len);
	sp->crc = hash_crc32c(0, sp, offsetof(struct tailindex_seg, crc));
	if (io_pwrite_all(w->tailindex_fd, out.p, out.len, (off_t)h->text_end) == 0)
		h->text_end += out.len;
	buf_free(&out);
}

void tailindex_fold(struct store *st, const char *ws, int32_t day, size_t covered)
{
	char ip[PATH_MAX], tp[PATH_MAX], pp[PATH_MAX];
	struct idx_hdr h;
	int fd;
	if (!layout_shard_path(ip, st, ws, day, LAYOUT_IDX) ||
	    !layout_shard_path(tp, st, ws, day, LAYOUT_TAILINDEX) ||
	    !layout_shard_path(pp, st, ws, day, LAYOUT_TAILPAIRS) ||
	    (fd = io_lock_open(ip, false)) < 0)
		return;
	if (io_pread_all(fd, &h, sizeof h, 0) == 0 && rec_hdr_ok(&h) && h.text_end &&
	    h.committed == covered) {
		uint64_t zero = 0;
		if (io_pwrite_all(fd, &zero, sizeof zero, offsetof(struct idx_hdr, text_end)) ==
		    0) {
			unlink(tp);
			unlink(pp); /* the tail's pairs: the .tix holds them now */
		}
	}
	close(fd); /* releases the lock */
}

void tailindex_settle(struct store *st, const char *ws, struct writeset_shard *w)
{
	char p[PATH_MAX];
	struct idx_hdr h;
	struct stat sb;
	int fd;
	if (io_pread_all(w->idx_fd, &h, sizeof h, 0) < 0 || !h.text_end ||
	    !layout_shard_path(p, st, ws, w->day, LAYOUT_TAILINDEX))
		return;
	uint64_t keep = 0;
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) >= 0 && fstat(fd, &sb) == 0) {
		uint64_t end =
		    (uint64_t)sb.st_size < h.text_end ? (uint64_t)sb.st_size : h.text_end;
		char *m = xmalloc(end ? end : 1);
		const struct tailindex_seg *s;
		bool good;
		if (io_pread_all(fd, m, end, 0) == 0)
			for (uint64_t at = 0; tailseg_next(m, end, 0, &at, &s, &good) && good &&
					      s->body_crc == hash_crc32c(0, s + 1, s->body_len);)
				keep = at;
		free(m);
	}
	if (fd >= 0)
		close(fd);
	if (keep != h.text_end)
		(void)io_pwrite_all(w->idx_fd, &keep, sizeof keep,
				    offsetof(struct idx_hdr, text_end));
}

/* Whether the keys of s, if it has any, are right: each key map in order and checked, and
 * while the records are the segment's (tailseg_current), each hash and root bit the record's. */
static bool seg_keys_right(const struct shard *sh, const struct tailindex_seg *s)
{
	if (!tailseg_keyed(s))
		return true;
	const struct idx_rec *recs = tailseg_current(sh, s) ? sh->recs + s->first : NULL;
	for (int k = 0; k < 2; k++) {
		struct keymap m = tailseg_keymap(s, (enum store_key)k);
		if (keymap_check(&m, recs, (enum store_key)k) != SIZE_MAX)
			return false;
	}
	const uint64_t *roots = tailseg_roots(s);
	for (size_t i = 0; recs && i < s->nrecs; i++)
		if (bits_get(roots, i) != store_rec_root(&recs[i]))
			return false;
	return !(s->nrecs % 64) || !(roots[s->nrecs / 64] >> (s->nrecs % 64)); /* none past */
}

/* Whether the counts of s, if it has any, are right: in their order, and while its records are
 * the segment's and the day's flags those its counts hold for, the counts of its records and
 * columns. */
static bool seg_counts_right(const struct shard *sh, const struct tailindex_seg *s)
{
	size_t nc;
	if (tailseg_version(s) < 4)
		return true;
	const struct dayindex_count *c = tailseg_counts(s, &nc);
	if (!counts_sorted(c, nc))
		return false;
	if (!tailseg_current(sh, s) || tailseg_end(s)->gen != sh->flag_gen)
		return true;
	struct buf want;
	buf_init(&want);
	bool same = counts_render(sh->recs + s->first, s->nrecs, tailseg_cols(s), &want) == nc &&
		    !memcmp(want.p, c, nc * sizeof *c);
	buf_free(&want);
	return same;
}

int tailindex_check(struct store *st, const char *ws, const struct shard *sh, struct buf *why)
{
	struct mapcache_ent *mc;
	const char *m = tailseg_map(st, ws, sh, &mc);
	if (!m)
		return 0;
	int bad = 0;
	const struct tailindex_seg *s;
	struct words_view v;
	bool good;
	for (uint64_t at = 0, was = 0; tailseg_next(m, sh->text_end, 0, &at, &s, &good); was = at) {
		if (!good) {
			buf_printf(why,
				   "the segment at byte %llu of its text tail does not check\n",
				   (unsigned long long)was);
			bad = 1;
			break;
		}
		if (!tailseg_body(s, &v) || words_check(&v, s->nrecs) != SIZE_MAX ||
		    !seg_keys_right(sh, s) || !seg_counts_right(sh, s)) {
			buf_printf(why, "the text tail's segment of records %u-%u is damaged\n",
				   s->first, s->first + s->nrecs - 1);
			bad = 1;
		}
	}
	mapcache_put(mc);
	return bad;
}
