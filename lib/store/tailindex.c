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
#include "lib/store/words.h"
#include "lib/store/writeset.h"

/* A segment's magic names what its body holds past its text: SPXTDX4 its keys, columns and
 * counts; an older spandex wrote SPXTDX3 (keys and columns), SPXTDX2 (keys) and SPXTDX1 (none
 * of them), read for what they have. */
static const char tdx_magic[4][9] = {"SPXTDX1\n", "SPXTDX2\n", "SPXTDX3\n", "SPXTDX4\n"};
#define TDX_VERSION 4
#define TDX_ORDER 0x01020304u

/* A segment: this header, then its body, body_len bytes (a multiple of 8): the text section of
 * its records (words.h; record numbers counted from first), then (SPXTDX2 on) its keys: the
 * trace key map and the session key map of its records (keymap.h), and its roots: a bit per
 * record, set for a root span (store_rec_root), padded to 8 bytes; then (SPXTDX3 on) its
 * columns, as a .tix holds them: TIX_NCOLS runs of nrecs uint64; then (SPXTDX4) its counts
 * (counts.h) and a struct seg_tail that ends the body. What follows the text is the last
 * seg_extra bytes of the body. Segments follow each other from offset 0; the idx header's
 * text_end says how far the committed ones reach. */
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

static size_t roots_bytes(size_t n)
{
	return ((n + 63) / 64) * 8;
}

/* The bytes of a segment's keys: two key maps and the roots. */
static size_t keys_bytes(size_t n)
{
	return 2 * keymap_bytes(n) + roots_bytes(n);
}

/* The end of an SPXTDX4 segment's body: the day's flag generation its counts hold for (that of
 * the header its records were committed by; 1 when odd, which no header has between flag
 * writes), and how many counts there are. */
struct seg_tail {
	uint64_t gen;
	uint32_t ncounts, zero;
};
_Static_assert(sizeof(struct seg_tail) == 16, "a segment's tail is 16 bytes");

/* The bytes of a segment's columns. */
static size_t cols_bytes(size_t n)
{
	return (size_t)TIX_NCOLS * 8 * n;
}

/* The keys of records recs[0..n), appended to out. */
static void keys_render(const struct idx_rec *recs, size_t n, struct buf *out)
{
	keymap_render(recs, n, STORE_KEY_TRACE, out);
	keymap_render(recs, n, STORE_KEY_SESSION, out);
	uint64_t *roots = xcalloc(roots_bytes(n) / 8 + 1, 8);
	for (size_t i = 0; i < n; i++)
		if (store_rec_root(&recs[i]))
			bits_set(roots, i);
	buf_add(out, roots, roots_bytes(n));
	free(roots);
}

void tailindex_words_init(struct tailindex_words *t)
{
	words_init(&t->w);
	t->n = 0;
	t->cols = NULL;
	t->cap = 0;
}

void tailindex_words_add(struct tailindex_words *t, const char *line, size_t len)
{
	size_t pos = 0;
	struct jline_member f;
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->cols = xrealloc(t->cols, t->cap * TIX_NCOLS * sizeof *t->cols);
	}
	uint64_t *col = t->cols + t->n * TIX_NCOLS; /* the first of a key counts, as for the .tix */
	for (int k = 0; k < TIX_NCOLS; k++)
		col[k] = TIX_UNKNOWN;
	while (jline_next(line, len, &pos, &f)) {
		if (words_field(f.k, f.kn))
			words_add(&t->w, f.v, f.vn, (uint32_t)t->n);
		int k = span_col_key(f.k, f.kn);
		if (k >= 0 && col[k] == TIX_UNKNOWN)
			col[k] = store_tix_hash(f.v, f.vn);
	}
	for (int k = 0; k < TIX_NCOLS; k++)
		if (col[k] == TIX_UNKNOWN)
			col[k] = TIX_ABSENT;
	t->n++;
}

void tailindex_words_free(struct tailindex_words *t)
{
	words_free(&t->w);
	free(t->cols);
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
	memcpy(s.magic, tdx_magic[TDX_VERSION - 1], 8);
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
	keys_render(recs, n, &out);
	uint64_t *cols =
	    xmalloc(n * TIX_NCOLS * sizeof *cols); /* column k of record i at k * n + i */
	for (int k = 0; k < TIX_NCOLS; k++)
		for (size_t i = 0; i < n; i++)
			cols[(size_t)k * n + i] = t->cols[i * TIX_NCOLS + (size_t)k];
	buf_add(&out, cols, n * TIX_NCOLS * sizeof *cols);
	struct seg_tail tail = {h->flag_gen & 1 ? 1 : h->flag_gen,
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
	return mapcache_get_path(p, sh->text_end, false, sh->d.look, &len, mc);
}

/* The version of segment s (1-3, SPXTDX1-3), or 0 for no magic of a segment. */
static int seg_version(const struct tailindex_seg *s)
{
	for (int v = TDX_VERSION; v > 0; v--)
		if (!memcmp(s->magic, tdx_magic[v - 1], 8))
			return v;
	return 0;
}

/* The segment at *at of the tail m[0..end): its header and text section, *at moved past it.
 * A header that does not check moves *at on by 8 bytes (segments are 8-byte aligned: after
 * a machine crash lost a page, the next good one is found again). Below trusted, headers were
 * found good before (seg_good's watermark): their checksum is not computed again, their bounds
 * are. False at the end. */
static bool next_seg(const char *m, uint64_t end, uint64_t trusted, uint64_t *at,
		     const struct tailindex_seg **s, bool *good)
{
	*good = false;
	if (*at + sizeof **s > end)
		return false;
	const struct tailindex_seg *x = (const struct tailindex_seg *)(m + *at);
	if ((*at >= trusted &&
	     (!seg_version(x) || x->order != TDX_ORDER ||
	      x->crc != hash_crc32c(0, x, offsetof(struct tailindex_seg, crc)))) ||
	    x->body_len % 8 || x->body_len > end - *at - sizeof *x) {
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
			for (uint64_t at = 0; next_seg(m, end, 0, &at, &s, &good) && good &&
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

/* The end of s's body (SPXTDX4), or NULL when its body is too short to hold one. */
static const struct seg_tail *seg_tail(const struct tailindex_seg *s)
{
	return s->body_len < sizeof(struct seg_tail)
		   ? NULL
		   : (const struct seg_tail *)((const char *)(s + 1) + s->body_len -
					       sizeof(struct seg_tail));
}

/* The bytes its version says follow s's text section: its keys (SPXTDX2 on), its columns
 * (SPXTDX3 on), its counts and their tail (SPXTDX4); SIZE_MAX when its tail names more counts
 * than its records can make. */
static size_t seg_extra(const struct tailindex_seg *s)
{
	int v = seg_version(s);
	size_t n = (v >= 2 ? keys_bytes(s->nrecs) : 0) + (v >= 3 ? cols_bytes(s->nrecs) : 0);
	if (v < 4)
		return n;
	const struct seg_tail *t = seg_tail(s);
	if (!t || t->ncounts > (uint64_t)(TIX_NCOLS + 1) * s->nrecs)
		return SIZE_MAX;
	return n + (size_t)t->ncounts * sizeof(struct tix_count) + sizeof *t;
}

/* Whether s's body has room for what its version says follows its text. */
static bool seg_fits(const struct tailindex_seg *s)
{
	return s->body_len >= seg_extra(s);
}

/* Whether s has keys (SPXTDX2 on), and room for them. */
static bool seg_keyed(const struct tailindex_seg *s)
{
	return seg_version(s) >= 2 && seg_fits(s);
}

/* Whether s has columns (SPXTDX3), and room for them. */
static bool seg_has_cols(const struct tailindex_seg *s)
{
	return seg_version(s) >= 3 && seg_fits(s);
}

/* The bytes of s's text section and what may follow it but its keys and columns. */
static size_t seg_text_len(const struct tailindex_seg *s)
{
	return s->body_len - (seg_fits(s) ? seg_extra(s) : 0);
}

/* Whether segment s's parts are in bounds: what its version says follows its text, and its
 * text section, in v (v NULL: a caller of its keys or columns, which has no use for it). */
static bool seg_layout(const struct tailindex_seg *s, struct words_view *v)
{
	return seg_fits(s) && (!v || words_open(v, s + 1, seg_text_len(s), s->nwords, s->blob_len));
}

/* Whether segment s's body is whole (its checksum) and its parts in bounds (seg_layout). */
static bool seg_body(const struct tailindex_seg *s, struct words_view *v)
{
	return s->body_crc == hash_crc32c(0, s + 1, s->body_len) && seg_layout(s, v);
}

/* Whether segment s holds records of sh as they are: its records committed, its last one the
 * one it was built from (a batch undone after a crash and written again, a day rebuilt by
 * reindex: not). */
static bool seg_current(const struct shard *sh, const struct tailindex_seg *s)
{
	size_t z = (size_t)s->first + s->nrecs;
	return s->nrecs && z <= sh->nrecs && sh->recs[z - 1].span_h == s->last_span_h &&
	       sh->recs[z - 1].ingested_us == s->last_ingested_us;
}

/* Whether segment s, which ends at byte end of its tail, is current for sh and whole
 * (seg_body), v its text section. The body's checksum is computed once per mapping of the
 * tail: *wm (its mapcache_bits), in 8-byte units, is how far the segments from the first on were
 * found so. Bytes below it are those of batches past their commit point, which are never
 * written again while the file lives (such a batch is never undone; a tail started again, or
 * rebuilt, is a new file). */
static bool seg_good(const struct shard *sh, const struct tailindex_seg *s, uint64_t end,
		     uint32_t *wm, struct words_view *v)
{
	if (!seg_current(sh, s))
		return false;
	if (end <= (uint64_t)*wm * 8)
		return seg_layout(s, v);
	if (!seg_body(s, v))
		return false;
	if (end - sizeof *s - s->body_len == (uint64_t)*wm * 8 && end / 8 <= UINT32_MAX)
		*wm = (uint32_t)(end / 8);
	return true;
}

/* The next segment past *at of sh's committed tail m that is current and whole (seg_good, with
 * wm the mapping's watermark), v its text section (NULL: not asked for, nor looked at); false
 * at the end. Every segment is looked at, so that the watermark passes those the caller has
 * no use for. */
static bool next_good(const struct shard *sh, const char *m, uint32_t *wm, uint64_t *at,
		      const struct tailindex_seg **s, struct words_view *v)
{
	bool good;
	while (next_seg(m, sh->text_end, (uint64_t)*wm * 8, at, s, &good))
		if (good && seg_good(sh, *s, *at, wm, v))
			return true;
	return false;
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
	for (uint64_t at = 0; next_good(sh, m, mapcache_bits(mc), &at, &s, &v);) {
		uint64_t *a, *y;
		if ((size_t)s->first + s->nrecs <= from ||
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

/* A growing list of record numbers. */
struct recs {
	uint32_t *p;
	size_t n, cap;
};

static void recs_add(struct recs *r, size_t i)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->p = xrealloc(r->p, r->cap * sizeof *r->p);
	}
	r->p[r->n++] = (uint32_t)i;
}

/* Segment s's key map of key k. */
static struct keymap seg_keymap(const struct tailindex_seg *s, enum store_key k)
{
	const char *keys = (const char *)(s + 1) + seg_text_len(s);
	return keymap_at(keys + (size_t)k * keymap_bytes(s->nrecs), s->nrecs);
}

/* Segment s's roots. */
static const uint64_t *seg_roots(const struct tailindex_seg *s)
{
	return (const uint64_t *)((const char *)(s + 1) + seg_text_len(s) +
				  2 * keymap_bytes(s->nrecs));
}

/* Segment s's columns: column k of its record i at k * nrecs + i. */
static const uint64_t *seg_cols(const struct tailindex_seg *s)
{
	return (const uint64_t *)((const char *)(s + 1) + seg_text_len(s) + keys_bytes(s->nrecs));
}

/* Segment s's counts (SPXTDX4, found whole): their number in *n. */
static const struct tix_count *seg_counts(const struct tailindex_seg *s, size_t *n)
{
	*n = seg_tail(s)->ncounts;
	return (const struct tix_count *)(seg_cols(s) + TIX_NCOLS * (size_t)s->nrecs);
}

/* The counts of a tail's segments from record from on, summed (sorted, equal entries one): a
 * FastCGI worker keeps them with the tail's mapping (mapcache_aux), so that a day written a
 * trace per request, hundreds of small segments, is counted by one look at the sum and the
 * segments written since. They hold for records [from, next), of segments that end before
 * byte at, and for the day's flags at generation gen. Those segments' records are committed,
 * so their bytes and records never change while the file lives but for the flags, which move
 * gen (docs/ARCHITECTURE.md, "What a reader sees"). */
struct tdx_sum {
	uint64_t gen, at;
	size_t from, next;
	struct tix_count *c;
	size_t nc, cap;
};

/* Adds to sum the counts of the segments of sh's tail m after sum->at, while each answers for
 * the next records with counts of the day's flags as they are: false at one that cannot. */
static bool tdx_sum_more(const struct shard *sh, const char *m, uint32_t *wm, struct tdx_sum *sum)
{
	const struct tailindex_seg *s;
	struct tix_count *add = NULL;
	size_t nadd = 0, capadd = 0;
	bool said = true;
	for (uint64_t at = sum->at; next_good(sh, m, wm, &at, &s, NULL);) {
		size_t a = s->first, z = a + s->nrecs, nc;
		if (z <= sum->next)
			continue;
		if (!(said = a == sum->next && seg_version(s) >= 4 && seg_tail(s)->gen == sum->gen))
			break;
		const struct tix_count *c = seg_counts(s, &nc);
		if (nadd + nc > capadd) {
			capadd = 2 * (nadd + nc);
			add = xrealloc(add, capadd * sizeof *add);
		}
		memcpy(add + nadd, c, nc * sizeof *c);
		nadd += nc;
		sum->next = z;
		sum->at = at;
	}
	counts_merge(&sum->c, &sum->nc, &sum->cap, add, nadd);
	free(add);
	return said;
}

/* A key's maps of a tail's segments merged, kept like the sum: the records of [from, next) that
 * the segments' maps name, by hash then record (e), and those no map answers for (loose,
 * ascending: of no segment, of an older spandex, or named past its records), of the segments
 * that end before byte at; nmaps: the maps merged. The roots likewise, as a key whose hash is 0
 * (TDX_ROOTS). Neither depends on flags: a reader checks each record it takes. */
struct tdx_key {
	uint64_t h;
	uint32_t rec;
};

struct tdx_keys {
	uint64_t at;
	size_t from, next, nmaps;
	struct tdx_key *e;
	size_t ne, cap;
	struct recs loose;
};

#define TDX_ROOTS 2 /* keys[TDX_ROOTS]: the roots */

/* What a worker keeps with a tail's mapping (mapcache_aux). */
struct tdx_kept {
	struct tdx_sum sum;
	struct tdx_keys keys[3]; /* by enum store_key, then the roots */
};

static void tdx_kept_free(void *p)
{
	struct tdx_kept *k = p;
	if (!k)
		return;
	free(k->sum.c);
	for (int i = 0; i < 3; i++) {
		free(k->keys[i].e);
		free(k->keys[i].loose.p);
	}
	free(k);
}

/* The bytes k holds, for the mapping's share of the cache (mapcache_aux_size). */
static size_t tdx_kept_bytes(const struct tdx_kept *k)
{
	size_t n = sizeof *k + k->sum.cap * sizeof *k->sum.c;
	for (int i = 0; i < 3; i++)
		n +=
		    k->keys[i].cap * sizeof *k->keys[i].e + k->keys[i].loose.cap * sizeof(uint32_t);
	return n;
}

/* The tail's mapping's kept sums, made on first use. */
static struct tdx_kept *tdx_kept_of(struct mapcache_ent *mc)
{
	struct tdx_kept **k = (struct tdx_kept **)mapcache_aux(mc, tdx_kept_free);
	if (!*k)
		*k = xcalloc(1, sizeof **k);
	return *k;
}

static int tdx_key_cmp(const void *x, const void *y)
{
	const struct tdx_key *a = x, *b = y;
	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	return (a->rec > b->rec) - (a->rec < b->rec);
}

/* The entries of segment s (found whole, seg_good) for keys: its records from keys->next on
 * that its map of key k names, or (TDX_ROOTS) its roots, appended to add; false (add as it
 * was) when the map or roots name a record it does not have. */
static bool seg_keys_add(const struct tailindex_seg *s, int k, const struct tdx_keys *keys,
			 struct tdx_key **add, size_t *nadd, size_t *cap)
{
	size_t a = s->first, had = *nadd;
	if (*nadd + s->nrecs > *cap) {
		*cap = 2 * (*nadd + s->nrecs);
		*add = xrealloc(*add, *cap * sizeof **add);
	}
	if (k == TDX_ROOTS) {
		const uint64_t *roots = seg_roots(s);
		for (size_t w = 0; w < roots_bytes(s->nrecs) / 8; w++)
			for (uint64_t b = roots[w]; b; b &= b - 1) {
				size_t i = w * 64 + (size_t)__builtin_ctzll(b);
				if (i >= s->nrecs) { /* a bit past its records: none is set */
					*nadd = had;
					return false;
				}
				if (a + i >= keys->next)
					(*add)[(*nadd)++] = (struct tdx_key){0, (uint32_t)(a + i)};
			}
		return true;
	}
	struct keymap km = seg_keymap(s, (enum store_key)k); /* km.n == s->nrecs */
	for (size_t i = 0; i < km.n; i++) {
		if (km.rec[i] >= s->nrecs) {
			*nadd = had;
			return false;
		}
		if (a + km.rec[i] >= keys->next)
			(*add)[(*nadd)++] = (struct tdx_key){km.h[i], (uint32_t)(a + km.rec[i])};
	}
	return true;
}

/* Adds to keys the maps of key k (or TDX_ROOTS) of the segments of sh's tail m after
 * keys->at. */
static void tdx_keys_more(const struct shard *sh, const char *m, uint32_t *wm, int k,
			  struct tdx_keys *keys)
{
	const struct tailindex_seg *s;
	struct tdx_key *add = NULL;
	size_t nadd = 0, capadd = 0;
	for (uint64_t at = keys->at; next_good(sh, m, wm, &at, &s, NULL);) {
		size_t a = s->first, z = a + s->nrecs;
		if (z <= keys->next)
			continue;
		for (; keys->next < a; keys->next++)
			recs_add(&keys->loose, keys->next);
		bool ok = seg_keyed(s) && seg_keys_add(s, k, keys, &add, &nadd, &capadd);
		if (ok)
			keys->nmaps++;
		else
			for (size_t i = keys->next; i < z; i++)
				recs_add(&keys->loose, i);
		keys->next = z;
		keys->at = at;
	}
	if (nadd) { /* sorted, then merged into e from the ends down */
		qsort(add, nadd, sizeof *add, tdx_key_cmp);
		if (keys->ne + nadd > keys->cap) {
			keys->cap = 2 * (keys->ne + nadd);
			keys->e = xrealloc(keys->e, keys->cap * sizeof *keys->e);
		}
		size_t i = keys->ne, j = nadd, o = keys->ne + nadd;
		while (j)
			keys->e[--o] = i && tdx_key_cmp(&keys->e[i - 1], &add[j - 1]) > 0
					   ? keys->e[--i]
					   : add[--j];
		keys->ne += nadd;
	}
	free(add);
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return (a > b) - (a < b);
}

/* The records of sh from from on that answer for key which (hashes hs[0..nh)) or TDX_ROOTS:
 * those the segments' maps or roots name, and every record no segment answers for, ascending,
 * into *recs and *n, from what the tail's mapping keeps (struct tdx_kept) and the segments
 * written since. Returns sh->nrecs, or from itself (*recs NULL) when no segment answered. */
static size_t tdx_ask(struct store *st, const char *ws, const struct shard *sh, size_t from,
		      int which, const uint64_t *hs, size_t nh, uint32_t **recs, size_t *n)
{
	struct mapcache_ent *mc;
	const char *m;
	*recs = NULL;
	*n = 0;
	if (from >= sh->nrecs || !(m = tailindex_map(st, ws, sh, &mc)))
		return from;
	struct tdx_kept *kept = tdx_kept_of(mc);
	struct tdx_keys *keys = &kept->keys[which], mine = {0};
	if (keys->at > sh->text_end || keys->next > sh->nrecs)
		keys = &mine; /* a reader of an older state than the kept maps': on its own */
	if (keys->from != from || !keys->next) {
		free(keys->e);
		free(keys->loose.p);
		*keys = (struct tdx_keys){.from = from, .next = from};
	}
	tdx_keys_more(sh, m, mapcache_bits(mc), which, keys);
	size_t to = from;
	if (keys->nmaps) {
		struct recs r = {0};
		if (which == TDX_ROOTS)
			for (size_t i = 0; i < keys->ne; i++)
				recs_add(&r, keys->e[i].rec);
		for (size_t j = 0; j < nh; j++) {
			size_t a = 0, z = keys->ne;
			while (a < z) {
				size_t mid = a + (z - a) / 2;
				if (keys->e[mid].h < hs[j])
					a = mid + 1;
				else
					z = mid;
			}
			for (; a < keys->ne && keys->e[a].h == hs[j]; a++)
				recs_add(&r, keys->e[a].rec);
		}
		for (size_t i = 0; i < keys->loose.n; i++)
			recs_add(&r, keys->loose.p[i]);
		for (size_t i = keys->next; i < sh->nrecs; i++) /* past every segment */
			recs_add(&r, i);
		if ((nh > 1 || keys->loose.n) && r.n > 1) /* into storage order */
			qsort(r.p, r.n, sizeof *r.p, cmp_u32);
		*recs = r.p;
		*n = r.n;
		to = sh->nrecs;
	}
	free(mine.e);
	free(mine.loose.p);
	mapcache_aux_size(mc, tdx_kept_bytes(kept));
	mapcache_put(mc);
	return to;
}

size_t store_tdx_keyed(struct store *st, const char *ws, const struct shard *sh, size_t from,
		       enum store_key which, const uint64_t *hs, size_t nh, uint32_t **recs,
		       size_t *n)
{
	return tdx_ask(st, ws, sh, from, (int)which, hs, nh, recs, n);
}

size_t store_tdx_roots(struct store *st, const char *ws, const struct shard *sh, size_t from,
		       uint32_t **recs, size_t *n)
{
	return tdx_ask(st, ws, sh, from, TDX_ROOTS, NULL, 0, recs, n);
}

/* Appends the run [first, first + n) to c (v NULL: no segment answers for it). */
static void run_add(struct store_tdx_cols *c, size_t first, size_t n, size_t stride,
		    const uint64_t *v)
{
	if (!(c->nrun & (c->nrun - 1))) /* 0 or a power of two: full */
		c->run = xrealloc(c->run, (c->nrun ? 2 * c->nrun : 1) * sizeof *c->run);
	c->run[c->nrun++] = (struct store_tdx_run){first, n, stride, v};
}

size_t store_tdx_cols(struct store *st, const char *ws, const struct shard *sh, size_t from,
		      struct store_tdx_cols *c)
{
	const char *m;
	size_t n = sh->nrecs, next = from; /* the records before next are answered for */
	memset(c, 0, sizeof *c);
	if (from >= n || !(m = tailindex_map(st, ws, sh, &c->mc)))
		return from;
	const struct tailindex_seg *s;
	for (uint64_t at = 0; next_good(sh, m, mapcache_bits(c->mc), &at, &s, NULL);) {
		size_t a = s->first, z = a + s->nrecs; /* z <= n: seg_current */
		if (z <= next || !seg_has_cols(s))
			continue;
		if (next < a) {
			run_add(c, next, a - next, 0, NULL);
			next = a;
		}
		run_add(c, next, z - next, s->nrecs, seg_cols(s) + (next - a));
		next = z;
	}
	if (!c->nrun) {
		store_tdx_cols_free(c);
		return from;
	}
	if (next < n)
		run_add(c, next, n - next, 0, NULL);
	return n;
}

bool store_tdx_count(struct store *st, const char *ws, const struct shard *sh, size_t from,
		     const struct store_tix_q *q, uint64_t *n)
{
	struct mapcache_ent *mc;
	const char *m;
	*n = 0;
	if (from >= sh->nrecs || (sh->flag_gen & 1) || !(m = tailindex_map(st, ws, sh, &mc)))
		return false;
	struct tdx_kept *kept = tdx_kept_of(mc);
	struct tdx_sum *sum = &kept->sum, mine = {0};
	if (sum->at > sh->text_end || sum->next > sh->nrecs)
		sum = &mine; /* a reader of an older state than the sum's: on its own */
	if (sum->gen != sh->flag_gen || sum->from != from) {
		sum->gen = sh->flag_gen;
		sum->at = 0;
		sum->from = sum->next = from;
		sum->nc = 0;
	}
	bool said = tdx_sum_more(sh, m, mapcache_bits(mc), sum) && sum->next == sh->nrecs &&
		    counts_sum(sum->c, sum->nc, q, n);
	free(mine.c);
	mapcache_aux_size(mc, tdx_kept_bytes(kept));
	mapcache_put(mc);
	return said;
}

void store_tdx_cols_free(struct store_tdx_cols *c)
{
	free(c->run);
	mapcache_put(c->mc);
	memset(c, 0, sizeof *c);
}

/* Whether the keys of s, if it has any, are right: each key map in order and checked, and
 * while the records are the segment's (seg_current), each hash and root bit the record's. */
static bool seg_keys_right(const struct shard *sh, const struct tailindex_seg *s)
{
	if (!seg_keyed(s))
		return true;
	const struct idx_rec *recs = seg_current(sh, s) ? sh->recs + s->first : NULL;
	for (int k = 0; k < 2; k++) {
		struct keymap m = seg_keymap(s, (enum store_key)k);
		if (keymap_check(&m, recs, (enum store_key)k) != SIZE_MAX)
			return false;
	}
	const uint64_t *roots = seg_roots(s);
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
	if (seg_version(s) < 4)
		return true;
	const struct tix_count *c = seg_counts(s, &nc);
	if (!counts_sorted(c, nc))
		return false;
	if (!seg_current(sh, s) || seg_tail(s)->gen != sh->flag_gen)
		return true;
	struct buf want;
	buf_init(&want);
	bool same = counts_render(sh->recs + s->first, s->nrecs, seg_cols(s), &want) == nc &&
		    !memcmp(want.p, c, nc * sizeof *c);
	buf_free(&want);
	return same;
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
	for (uint64_t at = 0, was = 0; next_seg(m, sh->text_end, 0, &at, &s, &good); was = at) {
		if (!good) {
			buf_printf(why,
				   "the segment at byte %llu of its text tail does not check\n",
				   (unsigned long long)was);
			bad = 1;
			break;
		}
		if (!seg_body(s, &v) || words_check(&v, s->nrecs) != SIZE_MAX ||
		    !seg_keys_right(sh, s) || !seg_counts_right(sh, s)) {
			buf_printf(why, "the text tail's segment of records %u-%u is damaged\n",
				   s->first, s->first + s->nrecs - 1);
			bad = 1;
		}
	}
	mapcache_put(mc);
	return bad;
}
