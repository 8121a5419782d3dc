/* postings: the coding of one list of records of a text index (postings.h). */
#include "lib/store/postings.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/bits.h"
#include "lib/base/mem.h"

/* ---- writing (version 11's forms) ---- */

static size_t leb_len(uint64_t v)
{
	size_t n = 1;
	for (; v > 0x7f; v >>= 7)
		n++;
	return n;
}

static void leb_put(struct buf *out, uint64_t v)
{
	unsigned char c[10];
	size_t n = 0;
	do {
		c[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	buf_add(out, c, n);
}

/* The bytes of an Elias-Fano sequence of n (at least 1) values below u: its count, the low bits,
 * the high bits (words.h, words_ef_low). */
static size_t ef_len(size_t n, uint64_t u)
{
	unsigned l = words_ef_low(n, u);
	return leb_len(n) + (n * l + 7) / 8 + (((u - 1) >> l) + n + 7) / 8;
}

/* Values v[0..n) (ascending, below u, n at least 1) as an Elias-Fano sequence, appended to out:
 * the count (LEB128), the low l bits of each, packed from the low bit of the first byte, then a
 * bit per value at its high bits plus its index, so that the i-th set bit, at position q, is the
 * i-th value's high bits q - i. Every byte is used; the bits past the last are zero. */
static void ef_put(struct buf *out, const uint32_t *v, size_t n, uint64_t u)
{
	unsigned l = words_ef_low(n, u);
	size_t lowb = (n * l + 7) / 8, upb = (((u - 1) >> l) + n + 7) / 8;
	unsigned char *m = xcalloc(lowb + upb, 1);
	for (size_t i = 0; i < n; i++) {
		for (unsigned k = 0; k < l; k++)
			if (v[i] >> k & 1)
				m[(i * l + k) / 8] |= (unsigned char)(1u << (i * l + k) % 8);
		size_t q = (v[i] >> l) + i;
		m[lowb + q / 8] |= (unsigned char)(1u << q % 8);
	}
	leb_put(out, n);
	buf_add(out, m, lowb + upb);
	free(m);
}

/* A bit per value of v[0..n) below u, appended to out: (u + 7) / 8 bytes. */
static void bits_put_all(struct buf *out, const uint32_t *v, size_t n, size_t u)
{
	unsigned char *m = xcalloc((u + 7) / 8 ? (u + 7) / 8 : 1, 1);
	for (size_t i = 0; i < n; i++)
		m[v[i] / 8] |= (unsigned char)(1u << v[i] % 8);
	buf_add(out, m, (u + 7) / 8);
	free(m);
}

/* The exact records r[0..n) of a list with LEB128 postings p in the shortest of version 11's
 * forms (words.h, WORDS_FORM_EF) for a section of nrecs, appended to out with flag in the form
 * byte: the list, a bit per record, Elias-Fano; and with a base (its records base[0..nb), which
 * hold all of r; bflag for it) a bit per record of the base or the Elias-Fano of the indexes
 * among them. Ties go to the form read fastest (in that order). */
void postings_put_exact(struct buf *out, unsigned char flag, const unsigned char *leb,
			size_t leblen, const uint32_t *r, size_t n, size_t nrecs,
			const uint32_t *base, size_t nb, unsigned char bflag)
{
	size_t best = leblen, form = WORDS_PAIR_LIST, c;
	if ((c = (nrecs + 7) / 8) < best)
		best = c, form = WORDS_PAIR_BITS;
	if (n && (c = ef_len(n, nrecs)) < best)
		best = c, form = WORDS_FORM_EF;
	uint32_t *ix = NULL;
	if (base && n) {
		ix = xmalloc(n * sizeof *ix);
		for (size_t i = 0, k = 0; i < n; i++) { /* r is a subset of base */
			while (k < nb && base[k] < r[i])
				k++;
			ix[i] = (uint32_t)k;
		}
		if ((c = (nb + 7) / 8) < best)
			best = c, form = WORDS_PAIR_SUB;
		if ((c = ef_len(n, nb)) < best)
			best = c, form = WORDS_FORM_SUBEF;
	}
	unsigned char fb =
	    (unsigned char)(form | flag |
			    (form == WORDS_PAIR_SUB || form == WORDS_FORM_SUBEF ? bflag : 0));
	buf_add(out, &fb, 1);
	if (form == WORDS_PAIR_LIST)
		buf_add(out, leb, leblen);
	else if (form == WORDS_PAIR_BITS)
		bits_put_all(out, r, n, nrecs);
	else if (form == WORDS_FORM_EF)
		ef_put(out, r, n, nrecs);
	else if (form == WORDS_PAIR_SUB)
		bits_put_all(out, ix, n, nb);
	else
		ef_put(out, ix, n, nb);
	free(ix);
}

/* ---- reading ---- */

/* The records of LEB128 postings post[a, z) (of post_len bytes) into s: false when they are
 * malformed (bounds out of order, a record past nrecs). */
bool postings_leb(const unsigned char *post, size_t post_len, uint64_t a, uint64_t z, size_t nrecs,
		  struct postings_sink *s)
{
	uint64_t rec = 0;
	bool first = true;
	if (a > z || z > post_len)
		return false;
	for (uint64_t i = a; i < z;) {
		uint64_t x = 0;
		for (int shift = 0;; shift += 7) {
			if (i >= z || shift > 63)
				return false;
			unsigned char c = post[i++];
			x |= (uint64_t)(c & 0x7f) << shift;
			if (!(c & 0x80))
				break;
		}
		rec = first ? x : rec + 1 + x;
		first = false;
		if (rec >= nrecs)
			return false;
		postings_put(s, (uint32_t)rec);
	}
	return true;
}

/* The records of postings post[a, z) (of post_len bytes) into bits (nrecs bits; NULL: only
 * checked): false when they are malformed (bounds out of order, a record past nrecs). */
bool postings_or(const unsigned char *post, size_t post_len, uint64_t a, uint64_t z, uint64_t *bits,
		 size_t nrecs)
{
	struct postings_sink s = {NULL, 0, bits, NULL};
	return postings_leb(post, post_len, a, z, nrecs, &s);
}

/* The count at the head of an Elias-Fano sequence p[0..len) (words.c, ef_put) and its bytes
 * into *hl; SIZE_MAX when the head is malformed. */
size_t postings_ef_count(const unsigned char *p, size_t len, size_t *hl)
{
	uint64_t n = 0;
	for (size_t i = 0; i < len && i < 5; i++) {
		n |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*hl = i + 1;
			return n ? (size_t)n : SIZE_MAX;
		}
	}
	return SIZE_MAX;
}

/* The values of the Elias-Fano sequence p[0..len) of values below u, each mapped through base
 * when not NULL (base[value]), into s: false when it is malformed (its bytes not those of its
 * count, values out of order or past u, a bit set past them). */
bool postings_ef(const unsigned char *p, size_t len, uint64_t u, const uint32_t *base,
		 struct postings_sink *s)
{
	size_t hl, n = postings_ef_count(p, len, &hl);
	if (n == SIZE_MAX || n > u)
		return false;
	unsigned l = words_ef_low(n, u);
	size_t lowb = (n * l + 7) / 8, upb = (((u - 1) >> l) + n + 7) / 8;
	if (hl + lowb + upb != len || (l && (n * l) % 8 && p[hl + lowb - 1] >> (n * l) % 8))
		return false;
	const unsigned char *low = p + hl, *up = low + lowb;
	uint64_t mask = l ? (1ull << l) - 1 : 0, prev = 0;
	size_t i = 0;
	for (size_t w = 0; w < upb; w += 8) {
		uint64_t x = 0;
		memcpy(&x, up + w, upb - w < 8 ? upb - w : 8);
		for (; x; x &= x - 1) {
			uint64_t q = 8 * w + (uint64_t)__builtin_ctzll(x), lo = 0;
			if (i == n)
				return false;
			if (l) {
				size_t o = i * l, at = o / 8;
				memcpy(&lo, low + at, lowb - at < 8 ? lowb - at : 8);
				lo = lo >> o % 8 & mask;
			}
			uint64_t val = (q - i) << l | lo;
			if (val >= u || (i && val <= prev))
				return false;
			prev = val;
			postings_put(s, base ? base[val] : (uint32_t)val);
			i++;
		}
	}
	return i == n;
}

/* The set bits of p[0..(u + 7) / 8), each mapped through base when not NULL, into s: false when
 * a bit past u is set or the length is not that. */
bool postings_bits(const unsigned char *p, size_t len, size_t u, const uint32_t *base,
		   struct postings_sink *s)
{
	size_t bytes = (u + 7) / 8;
	if (len != bytes || (u % 8 && p[bytes - 1] >> u % 8))
		return false;
	if (!base && !s->out && !s->exact && s->bits) { /* a word at a time, as form_or */
		size_t i = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		for (; bytes - i >= 8; i += 8) { /* its bits are the words' bits in this order */
			uint64_t w;
			memcpy(&w, p + i, 8);
			s->bits[i / 8] |= w;
		}
#endif
		for (; i < bytes; i++)
			s->bits[i / 8] |= (uint64_t)p[i] << (8 * (i % 8));
		s->n += bits_count(p, bytes);
		return true;
	}
	/* counted alone (postings_exact_recs' first pass) */
	if (!s->out && !s->bits && !s->exact) {
		s->n += bits_count(p, bytes);
		return true;
	}
	size_t i = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (s->out && !s->bits && !s->exact) { /* into an array alone: its end kept at hand */
		uint32_t *out = s->out;
		size_t n = s->n;
		for (; bytes - i >= 8; i += 8) {
			uint64_t w;
			memcpy(&w, p + i, 8);
			for (; w; w &= w - 1) {
				size_t k = 8 * i + (size_t)__builtin_ctzll(w);
				out[n++] = base ? base[k] : (uint32_t)k;
			}
		}
		s->n = n;
	}
	/* s in registers: a bit set could change *s, for all the compiler knows */
	struct postings_sink t = *s;
	for (; bytes - i >= 8; i += 8) { /* 8 bytes a step, their bits in the same order */
		uint64_t w;
		memcpy(&w, p + i, 8);
		for (; w; w &= w - 1) {
			size_t k = 8 * i + (size_t)__builtin_ctzll(w);
			postings_put(&t, base ? base[k] : (uint32_t)k);
		}
	}
#else
	struct postings_sink t = *s;
#endif
	for (; i < bytes; i++)
		for (unsigned x = p[i]; x; x &= x - 1)
			postings_put(&t, base ? base[8 * i + (size_t)__builtin_ctz(x)]
					      : (uint32_t)(8 * i + (size_t)__builtin_ctz(x)));
	*s = t;
	return true;
}

/* A list of version 11 at post[a, z) (its form byte at a) of a section of nrecs records into s:
 * LIST, BITS or EF; SUB and SUBEF with rel, through base (its nb records; NULL: only checked
 * against nb). False when it is malformed, or of another form (ALL). */
bool postings_exact(const unsigned char *post, size_t len, uint64_t a, uint64_t z, size_t nrecs,
		    bool rel, const uint32_t *base, size_t nb, struct postings_sink *s)
{
	if (a >= z || z > len)
		return false;
	const unsigned char *p = post + a + 1;
	size_t pl = z - a - 1;
	switch (post[a] & WORDS_FORM_MASK) {
	case WORDS_PAIR_LIST:
		return postings_leb(post, len, a + 1, z, nrecs, s);
	case WORDS_PAIR_BITS:
		return postings_bits(p, pl, nrecs, NULL, s);
	case WORDS_FORM_EF:
		return postings_ef(p, pl, nrecs, NULL, s);
	case WORDS_PAIR_SUB:
		return rel && postings_bits(p, pl, nb, base, s);
	case WORDS_FORM_SUBEF:
		return rel && postings_ef(p, pl, nb, base, s);
	default:
		return false;
	}
}

/* The records of a list of version 11 (exact_read's) counted, then into a new array *r. */
bool postings_exact_recs(const unsigned char *post, size_t len, uint64_t a, uint64_t z,
			 size_t nrecs, const uint32_t *base, size_t nb, uint32_t **r, size_t *n)
{
	struct postings_sink s = {NULL, 0, NULL, NULL};
	*r = NULL;
	*n = 0;
	if (!postings_exact(post, len, a, z, nrecs, base != NULL, NULL, nb, &s))
		return false;
	struct postings_sink t = {xmalloc((s.n ? s.n : 1) * sizeof(uint32_t)), 0, NULL, NULL};
	if (!postings_exact(post, len, a, z, nrecs, base != NULL, base, nb, &t)) {
		free(t.out);
		return false;
	}
	*r = t.out;
	*n = t.n;
	return true;
}

/* ---- a word's list of a text section (words.h) ---- */

bool postings_word_or(const struct words_view *v, size_t k, uint64_t *bits, size_t nrecs)
{
	if (v->built)
		return postings_or(v->built[k].p.post, v->built[k].p.plen, 0, v->built[k].p.plen,
				   bits, nrecs);
	uint64_t a = words_off_at(v, v->poffs, k), z = words_off_at(v, v->poffs, k + 1);
	if (!v->compact)
		return postings_or(v->post, v->post_len, a, z, bits, nrecs);
	struct postings_sink s = {NULL, 0, bits, NULL};
	return postings_exact(v->post, v->post_len, a, z, nrecs, false, NULL, 0, &s);
}
