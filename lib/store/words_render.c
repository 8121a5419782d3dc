/* words_render: a dictionary of words being built rendered as a text section (words.h):
 * version 10's layout (a tail segment's too) and version 11's, every list in its shortest form
 * (postings.h). */
#include "lib/store/words.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/mem.h"
#include "lib/store/postings.h"

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* Pairs ordered by key, for words_render. */
static int by_key(const void *x, const void *y)
{
	uint64_t a = **(const uint64_t *const *)x, b = **(const uint64_t *const *)y;
	return a < b ? -1 : a > b;
}

/* The records of postings p: the last byte of each varint is below 0x80. */
static size_t post_count(const struct words_post *p)
{
	size_t n = 0;
	for (uint32_t i = 0; i < p->plen; i++)
		n += p->post[i] < 0x80;
	return n;
}

/* Whether pair p is kept: pair 0, one of two words each in more than rare records (cnt), or
 * (version 10) one whose first word is common, in more than common records (a rare word typed
 * after a common one, "the wo", is then known from the pair). */
static bool pair_kept(const struct words_pair *p, const uint32_t *cnt, uint64_t rare,
		      uint64_t common)
{
	uint32_t a = (uint32_t)(p->key >> 32), z = (uint32_t)p->key & ~WORDS_PAIR_GAP;
	return !p->key || (cnt[a] > rare && cnt[z] > rare) || cnt[a] > common;
}

/* The records of postings p into out (room for max): their number, or SIZE_MAX past max. */
static size_t post_recs(const struct words_post *p, uint32_t *out, size_t max)
{
	size_t n = 0;
	uint64_t rec = 0, x = 0;
	for (uint32_t i = 0, shift = 0; i < p->plen; i++) {
		x |= (uint64_t)(p->post[i] & 0x7f) << shift;
		shift += 7;
		if (p->post[i] & 0x80)
			continue;
		if (n == max)
			return SIZE_MAX;
		rec = n ? rec + 1 + x : x;
		out[n++] = (uint32_t)rec;
		x = shift = 0;
	}
	return n;
}

/* What a render writes: the section's records, version 11's forms (compact) and the bytes of an
 * offset (ow); compact, the records of each word and pair made once when first needed, as the
 * base of another's (words.h, WORDS_PAIR_SUB), and whether a part's postings passed what an
 * offset of ow bytes holds. */
struct render {
	const struct words_build *b;
	size_t nrecs;
	bool compact, over;
	unsigned ow;
	bool ctx; /* version 12: the words around the rare words */
	struct recs {
		uint32_t *r;
		size_t n;
		bool made;
	} * w, *p; /* per word, per pair of the table */
};

/* The records of postings p, made once into *r. */
static const struct recs *recs_of(struct recs *r, const struct words_post *p)
{
	if (!r->made) {
		size_t n = post_count(p);
		r->r = xmalloc((n ? n : 1) * sizeof *r->r);
		r->n = post_recs(p, r->r, n);
		r->made = true;
	}
	return r;
}

/* Pair (or triple) p's postings in their form (words.h, WORDS_PAIR_LIST) for a section of nrecs
 * records, appended to out: every record (no postings) when all or when in half of them; flag
 * ORed into the form byte. Compact (version 11), the shortest exact form, relative to base (nb
 * records; bflag its flag) when given. */
static void render_pair(struct render *x, const struct words_pair *p, unsigned char flag, bool all,
			const uint32_t *base, size_t nb, unsigned char bflag, struct buf *out)
{
	size_t nrecs = x->nrecs, n = post_count(&p->p), bytes = (nrecs + 7) / 8;
	unsigned char form = WORDS_PAIR_LIST;
	if (p->key && (all || 2 * n >= nrecs))
		form = WORDS_PAIR_ALL;
	else if (x->compact) {
		struct recs r = {NULL, 0, false};
		recs_of(&r, &p->p);
		postings_put_exact(out, flag, p->p.post, p->p.plen, r.r, r.n, nrecs, base, nb,
				   bflag);
		free(r.r);
		return;
	} else if (bytes < p->p.plen)
		form = WORDS_PAIR_BITS;
	unsigned char fb = form | flag;
	buf_add(out, &fb, 1);
	if (form == WORDS_PAIR_LIST)
		buf_add(out, p->p.post, p->p.plen);
	if (form != WORDS_PAIR_BITS)
		return;
	unsigned char *m = xcalloc(bytes, 1);
	uint64_t rec = 0, x2 = 0;
	for (uint32_t i = 0, shift = 0, first = 1; i < p->p.plen; i++) {
		x2 |= (uint64_t)(p->p.post[i] & 0x7f) << shift;
		shift += 7;
		if (p->p.post[i] & 0x80)
			continue;
		rec = first ? x2 : rec + 1 + x2;
		m[rec / 8] |= (unsigned char)(1u << rec % 8);
		x2 = shift = first = 0;
	}
	buf_add(out, m, bytes);
	free(m);
}

/* Triple t's postings as a bit per record of its second pair p2 (WORDS_PAIR_SUB), appended to
 * out; false (nothing appended) when p2 is in more than DAYINDEX_RARE_WORD records. */
static bool render_sub(const struct words_post *t, const struct words_post *p2, struct buf *out)
{
	uint32_t r2[DAYINDEX_RARE_WORD], rt[DAYINDEX_RARE_WORD];
	size_t n2 = post_recs(p2, r2, DAYINDEX_RARE_WORD), nt;
	if (n2 == SIZE_MAX || (nt = post_recs(t, rt, DAYINDEX_RARE_WORD)) == SIZE_MAX)
		return false;
	unsigned char m[1 + WORDS_SUB_BYTES] = {WORDS_PAIR_SUB};
	for (size_t i = 0, k = 0; i < n2; i++) {
		while (k < nt && rt[k] < r2[i])
			k++;
		if (k < nt && rt[k] == r2[i])
			m[1 + i / 8] |= (unsigned char)(1u << i % 8);
	}
	buf_add(out, m, 1 + (n2 + 7) / 8);
	return true;
}

/* A triple to render: its key in the file, and its records. */
struct tri_out {
	uint64_t key;
	const struct words_pair *e; /* its entry in the table (key: its two pairs) */
};
static int by_tri(const void *x, const void *y)
{
	uint64_t a = ((const struct tri_out *)x)->key, b = ((const struct tri_out *)y)->key;
	return a < b ? -1 : a > b;
}

/* A pair's or triple's key appended to out: 8 bytes, or compact WORDS_KEY6. */
static void key_put(const struct render *x, struct buf *out, uint64_t key)
{
	if (!x->compact) {
		buf_add(out, &key, sizeof key);
		return;
	}
	uint64_t k6 = words_key6_pack(key);
	buf_add(out, &k6, WORDS_KEY6); /* little-endian: its low 6 bytes */
}

/* The end of a part of n keys (pairs' or triples'; compact, their keys padded to 8): the offsets of
 * their postings in post (offs[0..n), offs[n] its length), x->ow bytes each, padded to 8 bytes, the
 * postings, padded to 8 bytes; post and offs freed. x->over when an offset does not fit. */
static void add_postings(struct render *x, struct buf *out, uint64_t *offs, size_t n,
			 struct buf *post)
{
	static const char zero[8];
	offs[n] = post->len;
	if (x->compact) /* keys of 6 bytes; the section starts on 8 (words_render_compact) */
		buf_add(out, zero, pad8(out->len) - out->len);
	if (x->ow == 4) {
		x->over |= post->len > UINT32_MAX;
		for (size_t k = 0; k <= n; k++) {
			uint32_t o = (uint32_t)offs[k];
			buf_add(out, &o, sizeof o);
		}
		buf_add(out, zero, pad8(4 * (n + 1)) - 4 * (n + 1));
	} else {
		buf_add(out, offs, (n + 1) * sizeof *offs);
	}
	buf_add(out, post->p, post->len);
	buf_add(out, zero, pad8(post->len) - post->len);
	buf_free(post);
	free(offs);
}

/* The triples' part of the text section: their number, the bound, their keys ascending (the
 * first pair's index among the kept pairs, idx (UINT32_MAX for none), << 32, then the second
 * pair's gap and second word), the offsets of their postings, the postings. Only the triples of
 * two kept pairs, one of them in more than bound records (cnt), are kept; one whose second pair
 * is in at most rare records (version 10: a common word then a rare one) as a bit per record of
 * that pair (WORDS_PAIR_SUB), so that a phrase is known from it; else one in more than
 * 1 / DAYINDEX_TRIPLE_NARROW of its rarer pair's records as every record (no postings). Triple 0
 * (key 0) holds the records past WORDS_MAX_TRIPLES. Compact (version 11), an exact triple's
 * records take the shortest form, relative to the rarer of its pairs that has a list. */
static void render_triples(struct render *x, const uint32_t *idx, const uint32_t *cnt,
			   uint64_t bound, uint64_t rare, struct buf *out)
{
	const struct words_build *b = x->b;
	const struct words_tab *tt = &b->tt;
	size_t nrecs = x->nrecs;
	struct tri_out *t = xmalloc(tt->n * sizeof *t);
	size_t n = 1;
	t[0] = (struct tri_out){0, &tt->p[0]};
	for (size_t k = 1; k < tt->n; k++) {
		uint32_t p1 = (uint32_t)(tt->p[k].key >> 32), p2 = (uint32_t)tt->p[k].key;
		if (idx[p1] != UINT32_MAX && idx[p2] != UINT32_MAX &&
		    (cnt[p1] > bound || cnt[p2] > bound))
			t[n++] = (struct tri_out){
			    (uint64_t)idx[p1] << 32 | (uint32_t)b->pt.p[p2].key, &tt->p[k]};
	}
	qsort(t + 1, n - 1, sizeof *t, by_tri);
	struct buf post;
	buf_init(&post);
	uint64_t *offs = xmalloc((n + 1) * sizeof *offs), n64 = n;
	buf_add(out, &n64, sizeof n64);
	buf_add(out, &bound, sizeof bound);
	for (size_t k = 0; k < n; k++) {
		const struct words_pair *e = t[k].e;
		struct words_pair one = {t[k].key, e->p};
		uint32_t p1 = (uint32_t)(e->key >> 32), p2 = (uint32_t)e->key;
		uint32_t m = cnt[p1] < cnt[p2] ? cnt[p1] : cnt[p2];
		bool all = k && post_count(&e->p) * DAYINDEX_TRIPLE_NARROW > m;
		bool sub = k && cnt[p2] <= rare && 2 * (size_t)cnt[p2] < nrecs;
		key_put(x, out, t[k].key);
		offs[k] = post.len;
		if (!x->compact) {
			if (!sub || !render_sub(&e->p, &b->pt.p[p2].p, &post))
				render_pair(x, &one, 0, all, NULL, 0, 0, &post);
			continue;
		}
		/* The base: the rarer of the two pairs with a list (not in half the records). */
		bool l1 = k && 2 * (size_t)cnt[p1] < nrecs, l2 = k && 2 * (size_t)cnt[p2] < nrecs;
		bool second = l2 && (!l1 || cnt[p2] < cnt[p1]);
		const struct recs *base = !l1 && !l2 ? NULL
					  : second   ? recs_of(&x->p[p2], &b->pt.p[p2].p)
						     : recs_of(&x->p[p1], &b->pt.p[p1].p);
		render_pair(x, &one, 0, all && !sub, base ? base->r : NULL, base ? base->n : 0,
			    second ? WORDS_FORM_BASE2 : 0, &post);
	}
	add_postings(x, out, offs, n, &post);
	free(t);
}

/* The records of the dominant words around rare word k (words.h, WORDS_CTX_MIN): its records'
 * entries e[0..n) whose four words are those of most of them, the first such, into *best; their
 * number (0 when no four words are the same in WORDS_CTX_MIN of them). */
static size_t ctx_best(const struct words_ctxs *x, const struct words_ctx1 **best)
{
	size_t most = 0;
	for (size_t i = 0; i < x->n; i++) {
		const uint32_t *c = x->e[i].c;
		if (c[0] == WORDS_CTX_MIXED || !(c[0] | c[1] | c[2] | c[3]))
			continue;
		size_t m = 0;
		for (size_t j = i; j < x->n; j++)
			m += !memcmp(x->e[j].c, c, sizeof x->e[j].c);
		if (m > most) {
			most = m;
			*best = &x->e[i];
		}
	}
	return most >= WORDS_CTX_MIN ? most : 0;
}

/* The words around the rare words (version 12, words.h): their number; their words ascending;
 * the offsets of their entries (uint32, n + 1); the entries, each the four words (WORDS_CTX_WORD
 * bytes each) and a bit per record of the word, set for the records whose every occurrence of it
 * has them. Each part padded to 8. */
static void render_ctx(struct render *x, struct buf *out)
{
	static const char zero[8];
	const struct words_build *b = x->b;
	size_t lim = b->capctx < b->nw ? b->capctx : b->nw;
	uint32_t *ws = xmalloc((lim ? lim : 1) * sizeof *ws), *offs = NULL;
	const struct words_ctx1 **best = xmalloc((lim ? lim : 1) * sizeof *best);
	uint64_t n = 0;
	for (size_t k = 1; k < lim; k++)
		if (b->ctx[k].n != WORDS_CTX_MIXED && ctx_best(&b->ctx[k], &best[n]))
			ws[n++] = (uint32_t)k;
	buf_add(out, &n, sizeof n);
	buf_add(out, ws, n * sizeof *ws);
	buf_add(out, zero, pad8(4 * n) - 4 * n);
	struct buf e;
	buf_init(&e);
	offs = xmalloc((n + 1) * sizeof *offs);
	for (size_t i = 0; i < n; i++) {
		const struct words_ctxs *c = &b->ctx[ws[i]];
		offs[i] = (uint32_t)e.len;
		for (int j = 0; j < 4; j++)
			buf_add(&e, &best[i]->c[j], WORDS_CTX_WORD); /* little-endian */
		size_t at = e.len, nb = (c->n + 7) / 8;
		buf_add(&e, zero, nb > 8 ? 8 : nb); /* at most DAYINDEX_RARE_WORD bits */
		for (size_t r = 0; r < c->n; r++)
			if (!memcmp(c->e[r].c, best[i]->c, sizeof best[i]->c))
				e.p[at + r / 8] = (char)(e.p[at + r / 8] | 1 << r % 8);
	}
	offs[n] = (uint32_t)e.len;
	buf_add(out, offs, (n + 1) * sizeof *offs);
	buf_add(out, zero, pad8(4 * (n + 1)) - 4 * (n + 1));
	buf_add(out, e.p, e.len);
	buf_add(out, zero, pad8(e.len) - e.len);
	buf_free(&e);
	free(offs);
	free(best);
	free(ws);
}

/* The pairs' part of the text section: their number, the rare bound, their keys ascending, the
 * offsets of their postings, the postings. A pair of a rare word is left out (DAYINDEX_RARE_WORD)
 * unless its first word is common, in more than the triples' bound records (version 10); a pair
 * in more than that bound's records (words_triple_bound) is common, and flagged so. Compact
 * (version 11), a pair's records take the shortest form, relative to its rarer word's. Then the
 * triples. */
static void render_pairs(struct render *x, struct buf *out)
{
	const struct words_build *b = x->b;
	size_t nrecs = x->nrecs;
	uint64_t rare = DAYINDEX_RARE_WORD, np = 0, tb = words_triple_bound(nrecs);
	uint32_t *cnt = xmalloc(b->nw * sizeof *cnt);
	for (size_t k = 0; k < b->nw; k++)
		cnt[k] = (uint32_t)post_count(&b->w[k].p);
	const struct words_tab *pt = &b->pt;
	const struct words_pair **o = xmalloc(pt->n * sizeof *o);
	for (size_t k = 0; k < pt->n; k++)
		if (pair_kept(&pt->p[k], cnt, rare, tb))
			o[np++] = &pt->p[k];
	qsort(o, np, sizeof *o, by_key); /* key first in struct words_pair: pair 0 first */
	uint32_t *idx = xmalloc(pt->n * sizeof *idx);  /* a kept pair's index in the file */
	uint32_t *pcnt = xcalloc(pt->n, sizeof *pcnt); /* its records */
	memset(idx, 0xff, pt->n * sizeof *idx);
	struct buf post;
	buf_init(&post);
	uint64_t *offs = xmalloc((np + 1) * sizeof *offs);
	buf_add(out, &np, sizeof np);
	buf_add(out, &rare, sizeof rare);
	for (size_t k = 0; k < np; k++) {
		size_t bk = (size_t)(o[k] - pt->p);
		idx[bk] = k ? (uint32_t)k : UINT32_MAX; /* pair 0 begins no triple */
		pcnt[bk] = (uint32_t)post_count(&o[k]->p);
		key_put(x, out, o[k]->key);
		offs[k] = post.len;
		uint32_t a = (uint32_t)(o[k]->key >> 32), z = (uint32_t)o[k]->key & ~WORDS_PAIR_GAP;
		bool second = cnt[z] < cnt[a];
		const struct recs *base = !k || !x->compact ? NULL
					  : second	    ? recs_of(&x->w[z], &b->w[z].p)
							    : recs_of(&x->w[a], &b->w[a].p);
		render_pair(x, o[k], k && pcnt[bk] > tb ? WORDS_PAIR_TRIPLED : 0, false,
			    base ? base->r : NULL, base ? base->n : 0,
			    second ? WORDS_FORM_BASE2 : 0, &post);
	}
	free(cnt);
	add_postings(x, out, offs, np, &post);
	free(o);
	render_triples(x, idx, pcnt, tb, rare, out);
	if (x->ctx)
		render_ctx(x, out);
	free(idx);
	free(pcnt);
}

/* The text section as x says (words_render, words_render_compact). */
static void render(struct render *x, struct buf *out)
{
	static const char zero[8];
	const struct words_build *b = x->b;
	if (x->compact) {
		uint32_t head[2] = {x->ow, 0};
		buf_add(out, head, sizeof head);
	}
	buf_add(out, b->blob.p, b->blob.len);
	buf_add(out, zero, pad8(b->blob.len) - b->blob.len);
	for (size_t k = 0; k <= b->nw; k++) {
		uint32_t o = k < b->nw ? b->w[k].off : (uint32_t)b->blob.len;
		buf_add(out, &o, sizeof o);
	}
	buf_add(out, zero, pad8(4 * (b->nw + 1)) - 4 * (b->nw + 1));
	struct buf post;
	buf_init(&post);
	uint64_t *offs = xmalloc((b->nw + 1) * sizeof *offs);
	for (size_t k = 0; k < b->nw; k++) {
		offs[k] = post.len;
		if (!x->compact) {
			buf_add(&post, b->w[k].p.post, b->w[k].p.plen);
			continue;
		}
		struct recs r = {NULL, 0, false}; /* not kept: a pair's base is made when asked */
		recs_of(&r, &b->w[k].p);
		postings_put_exact(&post, 0, b->w[k].p.post, b->w[k].p.plen, r.r, r.n, x->nrecs,
				   NULL, 0, 0);
		free(r.r);
	}
	add_postings(x, out, offs, b->nw, &post);
	if (b->pairs)
		render_pairs(x, out);
}

void words_render(const struct words_build *b, size_t nrecs, struct buf *out)
{
	struct render x = {b, nrecs, false, false, 8, false, NULL, NULL};
	render(&x, out);
}

void words_render_compact(const struct words_build *b, size_t nrecs, bool ctx, struct buf *out)
{
	size_t at = out->len; /* on 8 bytes: after a .tix's header of 128 */
	for (unsigned ow = 4; ow <= 8; ow += 4) {
		struct render x = {b, nrecs, true, false, ow, ctx && b->pairs, NULL, NULL};
		x.w = xcalloc(b->nw, sizeof *x.w);
		x.p = xcalloc(b->pt.n, sizeof *x.p);
		out->len = at;
		render(&x, out);
		for (size_t k = 0; k < b->nw; k++)
			free(x.w[k].r);
		for (size_t k = 0; k < b->pt.n; k++)
			free(x.p[k].r);
		free(x.w);
		free(x.p);
		if (!x.over)
			return;
	}
}
