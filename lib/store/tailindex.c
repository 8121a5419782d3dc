/* tailindex: the text index of a day's tail, written with the data (tailindex.h). */
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
#include "lib/store/io.h"
#include "lib/store/layout.h"
#include "lib/store/mapcache.h"
#include "lib/store/words.h"
#include "lib/store/writeset.h"

#define TDX_MAGIC "SPXTDX1\n"
#define TDX_ORDER 0x01020304u

/* A segment: this header, then the text section of its records (words.h; record numbers
 * counted from first), its length body_len (a multiple of 8). Segments follow each other from
 * offset 0; the idx header's text_end says how far the committed ones reach. */
struct tailindex_seg {
	char magic[8];
	uint32_t first, nrecs; /* the day's records [first, first + nrecs) */
	uint32_t nwords, order;
	uint64_t blob_len, body_len;
	uint64_t last_span_h;	  /* record first + nrecs - 1: span_h ... */
	int64_t last_ingested_us; /* ... and ingested_us */
	uint32_t body_crc;	  /* crc32c of the body */
	uint32_t crc;		  /* crc32c of the 60 bytes before it */
};
_Static_assert(sizeof(struct tailindex_seg) == 64, "a segment header is 64 bytes");

void tailindex_words_init(struct tailindex_words *t)
{
	words_init(&t->w);
	t->n = 0;
}

void tailindex_words_add(struct tailindex_words *t, const char *line, size_t len)
{
	size_t pos = 0;
	struct jline_member f;
	while (jline_next(line, len, &pos, &f))
		if (words_field(f.k, f.kn))
			words_add(&t->w, f.v, f.vn, (uint32_t)t->n);
	t->n++;
}

void tailindex_words_free(struct tailindex_words *t)
{
	words_free(&t->w);
}

void tailindex_append(struct store *st, const char *ws, struct wshard *w, struct idx_hdr *h,
		      const struct idx_rec *recs, size_t n, const struct tailindex_words *t)
{
	char p[PATH_MAX];
	struct stat sb;
	if (!n || t->n != n || w->committed + n > UINT32_MAX)
		return;
	if (w->tailindex_fd < 0 &&
	    (!layout_shard_path(p, st, ws, w->day, LAYOUT_TDX) ||
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
	memcpy(s.magic, TDX_MAGIC, 8);
	s.first = (uint32_t)w->committed;
	s.nrecs = (uint32_t)n;
	s.nwords = (uint32_t)b->nw;
	s.order = TDX_ORDER;
	s.blob_len = b->blob.len;
	s.last_span_h = recs[n - 1].span_h;
	s.last_ingested_us = recs[n - 1].ingested_us;
	struct buf out;
	buf_init(&out);
	buf_add(&out, &s, sizeof s);
	words_render(b, &out);
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
	char ip[PATH_MAX], tp[PATH_MAX];
	struct idx_hdr h;
	int fd;
	if (!layout_shard_path(ip, st, ws, day, LAYOUT_IDX) ||
	    !layout_shard_path(tp, st, ws, day, LAYOUT_TDX) || (fd = io_lock_open(ip, false)) < 0)
		return;
	if (io_pread_all(fd, &h, sizeof h, 0) == 0 && rec_hdr_ok(&h) && h.text_end &&
	    h.committed == covered) {
		uint64_t zero = 0;
		if (io_pwrite_all(fd, &zero, sizeof zero, offsetof(struct idx_hdr, text_end)) == 0)
			unlink(tp);
	}
	close(fd); /* releases the lock */
}

/* The committed tail of sh mapped: its first sh->text_end bytes; NULL when there is none. */
static const char *tailindex_map(struct store *st, const char *ws, const struct shard *sh,
				 struct mapcache_ent **mc)
{
	char p[PATH_MAX];
	size_t len;
	if (!sh->text_end || !layout_shard_path(p, st, ws, sh->day, LAYOUT_TDX))
		return NULL;
	return mapcache_get_path(p, sh->text_end, false, 0, &len, mc);
}

/* The segment at *at of the tail m[0..end): its header and text section, *at moved past it.
 * A header that does not check moves *at on by 8 bytes (segments are 8-byte aligned: after
 * a machine crash lost a page, the next good one is found again). False at the end. */
static bool next_seg(const char *m, uint64_t end, uint64_t *at, const struct tailindex_seg **s,
		     bool *good)
{
	*good = false;
	if (*at + sizeof **s > end)
		return false;
	const struct tailindex_seg *x = (const struct tailindex_seg *)(m + *at);
	if (memcmp(x->magic, TDX_MAGIC, 8) || x->order != TDX_ORDER ||
	    x->crc != hash_crc32c(0, x, offsetof(struct tailindex_seg, crc)) || x->body_len % 8 ||
	    x->body_len > end - *at - sizeof *x) {
		*at += 8;
		return true;
	}
	*s = x;
	*at += sizeof *x + x->body_len;
	*good = true;
	return true;
}

void tailindex_settle(struct store *st, const char *ws, struct wshard *w)
{
	char p[PATH_MAX];
	struct idx_hdr h;
	struct stat sb;
	int fd;
	if (io_pread_all(w->idx_fd, &h, sizeof h, 0) < 0 || !h.text_end ||
	    !layout_shard_path(p, st, ws, w->day, LAYOUT_TDX))
		return;
	uint64_t keep = 0;
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) >= 0 && fstat(fd, &sb) == 0) {
		uint64_t end =
		    (uint64_t)sb.st_size < h.text_end ? (uint64_t)sb.st_size : h.text_end;
		char *m = xmalloc(end ? end : 1);
		const struct tailindex_seg *s;
		bool good;
		if (io_pread_all(fd, m, end, 0) == 0)
			for (uint64_t at = 0; next_seg(m, end, &at, &s, &good) && good &&
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

/* Whether segment s's body is whole (its checksum) and its text section in bounds, in v. */
static bool seg_body(const struct tailindex_seg *s, struct words_view *v)
{
	return s->body_crc == hash_crc32c(0, s + 1, s->body_len) &&
	       words_open(v, s + 1, s->body_len, s->nwords, s->blob_len);
}

/* Whether segment s holds records of sh as they are: its records committed, its last one the
 * one it was built from (a batch undone after a crash and written again, a day rebuilt by
 * reindex: not), its body whole. */
static bool seg_good(const struct shard *sh, const struct tailindex_seg *s, struct words_view *v)
{
	size_t z = (size_t)s->first + s->nrecs;
	return s->nrecs && z <= sh->nrecs && sh->recs[z - 1].span_h == s->last_span_h &&
	       sh->recs[z - 1].ingested_us == s->last_ingested_us && seg_body(s, v);
}

size_t store_tdx_text(struct store *st, const char *ws, const struct shard *sh, size_t from,
		      const char *const *terms, size_t nterms, uint64_t **bits, uint64_t **sure)
{
	size_t n = sh->nrecs, words = (n + 63) / 64;
	bool word = false; /* some term has a letter or digit: else every line is read */
	for (size_t k = 0; k < nterms && !word; k++) {
		size_t at = 0, a;
		word = words_next(terms[k], strlen(terms[k]), &at, &a);
	}
	struct mapcache_ent *mc;
	const char *m;
	if (!word || from >= n || !(m = tailindex_map(st, ws, sh, &mc)))
		return from;
	uint64_t *all = NULL, *yes = NULL;
	bool whole = true;
	const struct tailindex_seg *s;
	struct words_view v;
	bool good;
	for (uint64_t at = 0; next_seg(m, sh->text_end, &at, &s, &good);) {
		uint64_t *a, *y;
		if (!good || (size_t)s->first + s->nrecs <= from || !seg_good(sh, s, &v) ||
		    words_terms(&v, terms, nterms, s->nrecs, &a, &y) != ST_OK)
			continue;
		if (!all) { /* the records before from as the caller had them (its bits past from
			       are 0); the rest unknown: candidates until a segment says otherwise
			     */
			size_t had = (from + 63) / 64;
			all = xcalloc(words, sizeof *all);
			yes = xcalloc(words, sizeof *yes);
			if (from)
				memcpy(all, *bits, had * sizeof *all);
			if (from && *sure)
				memcpy(yes, *sure, had * sizeof *yes);
			for (size_t i = from; i < n; i++)
				bits_set(all, i);
		}
		whole = whole && y;
		for (size_t i = s->first > from ? s->first : from; i < (size_t)s->first + s->nrecs;
		     i++) {
			bits_put(all, i, bits_get(a, i - s->first));
			bits_put(yes, i, y && bits_get(y, i - s->first));
		}
		free(a);
		free(y);
	}
	mapcache_put(mc);
	if (!all)
		return from;
	if (!whole || (from && !*sure)) {
		free(yes);
		yes = NULL;
	}
	free(*bits);
	free(*sure);
	*bits = all;
	*sure = yes;
	return n;
}

int tailindex_check(struct store *st, const char *ws, const struct shard *sh, struct buf *why)
{
	struct mapcache_ent *mc;
	const char *m = tailindex_map(st, ws, sh, &mc);
	if (!m)
		return 0;
	int bad = 0;
	const struct tailindex_seg *s;
	struct words_view v;
	bool good;
	for (uint64_t at = 0, was = 0; next_seg(m, sh->text_end, &at, &s, &good); was = at) {
		if (!good) {
			buf_printf(why,
				   "the segment at byte %llu of its text tail does not check\n",
				   (unsigned long long)was);
			bad = 1;
			break;
		}
		if (!seg_body(s, &v) || words_check(&v, s->nrecs) != SIZE_MAX) {
			buf_printf(why, "the text tail's segment of records %u-%u is damaged\n",
				   s->first, s->first + s->nrecs - 1);
			bad = 1;
		}
	}
	mapcache_put(mc);
	return bad;
}
