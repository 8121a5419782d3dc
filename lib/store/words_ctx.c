/* words_ctx: the words around the rare words of a text section (version 12, words.h): read
 * back, checked, and the phrases they make known. */
#include "lib/store/words.h"

#include "lib/store/postings.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/bits.h"
#include "lib/base/mem.h"

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* The words around the rare words (version 12) at p[0..n) into v: their number, words, offsets
 * and entries (words.h, words_render_compact); each entry checked when asked (ctx_of) and by
 * words_check. */
bool words_ctx_open(struct words_view *v, const char *p, size_t n)
{
	uint64_t nc;
	if (n < 8)
		return false;
	memcpy(&nc, p, sizeof nc);
	if (nc > v->nwords || (n - 8) / 8 < nc + 1)
		return false;
	size_t at = 8 + pad8(4 * (size_t)nc), ob = pad8(4 * ((size_t)nc + 1));
	if (at + ob > n)
		return false;
	v->cwords = (const uint32_t *)(const void *)(p + 8);
	v->coffs = (const uint32_t *)(const void *)(p + at);
	v->cblob = (const unsigned char *)p + at + ob;
	v->cblob_len = v->coffs[nc];
	if (v->coffs[0] != 0 || pad8(v->cblob_len) > n - at - ob)
		return false;
	v->nctx = nc;
	v->len += at + ob + pad8(v->cblob_len);
	return true;
}

/* Rare word w's entry among the words around the rare words (version 12): the four words around
 * it into c, its bits and their bytes into *bits and *nb. False when it has none, or it is
 * malformed (out of bounds, a word past the dictionary). */
static bool ctx_of(const struct words_view *v, uint32_t w, uint32_t *c, const unsigned char **bits,
		   size_t *nb)
{
	size_t lo = 0, hi = v->nctx;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->cwords[mid] < w)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == v->nctx || v->cwords[lo] != w)
		return false;
	uint32_t a = v->coffs[lo], z = v->coffs[lo + 1];
	if (a > z || z > v->cblob_len || z - a < 4 * WORDS_CTX_WORD)
		return false;
	for (int j = 0; j < 4; j++) {
		c[j] = 0;
		memcpy(&c[j], v->cblob + a + WORDS_CTX_WORD * j, WORDS_CTX_WORD);
		if (c[j] >= v->nwords)
			return false;
	}
	*bits = v->cblob + a + 4 * WORDS_CTX_WORD;
	*nb = z - a - 4 * WORDS_CTX_WORD;
	return true;
}

/* Whether word k is one of ks[0..n). */
static bool word_in(const uint32_t *ks, size_t n, uint32_t k)
{
	for (size_t i = 0; i < n; i++)
		if (ks[i] == k)
			return true;
	return false;
}

bool words_ctx_exact(const struct words_view *v, const struct words_run *r, size_t nr,
		     uint64_t *exact, size_t n)
{
	bool any = false;
	size_t words = (n + 63) / 64;
	uint64_t *tmp = xmalloc((words ? words : 1) * sizeof *tmp);
	for (size_t i = 0; i < nr; i++) {
		uint32_t c[4];
		const unsigned char *bits;
		size_t nb, j, m;
		if (r[i].nk != 1 || i > 2 || nr - 1 - i > 2 ||
		    !ctx_of(v, r[i].ks[0], c, &bits, &nb))
			continue;
		for (j = 0; j < nr; j++) {
			uint32_t cw = j < i ? c[j + 2 - i] : j > i ? c[j - i + 1] : 1;
			if (!cw || (j != i && !word_in(r[j].ks, r[j].nk, cw)))
				break;
		}
		if (j < nr)
			continue;
		memset(tmp, 0, words * sizeof *tmp);
		if (!postings_word_or(v, r[i].ks[0], tmp, n))
			continue;
		m = bits_count(tmp, words * sizeof *tmp);
		if ((m + 7) / 8 != nb) /* not this word's records: checked, not trusted */
			continue;
		size_t k = 0;
		for (size_t w = 0; w < words; w++)
			for (uint64_t x = tmp[w]; x; x &= x - 1, k++)
				if (bits[k / 8] >> k % 8 & 1) {
					bits_set(exact, 64 * w + (size_t)__builtin_ctzll(x));
					any = true;
				}
	}
	free(tmp);
	return any;
}

/* Whether the words around the rare words (version 12) are well formed: their words ascending,
 * each entry in bounds naming words of the dictionary, with a bit for each record of its word
 * (cnt: the words' counts). */
bool words_ctx_check(const struct words_view *v, const size_t *cnt)
{
	for (size_t e = 0; e < v->nctx; e++) {
		uint32_t c[4];
		const unsigned char *bits;
		size_t nb, w = v->cwords[e];
		if ((e && w <= v->cwords[e - 1]) || !w || w >= v->nwords ||
		    v->coffs[e + 1] < v->coffs[e] || !ctx_of(v, (uint32_t)w, c, &bits, &nb) ||
		    (cnt && (cnt[w] + 7) / 8 != nb))
			return false;
	}
	return true;
}
