/* words: the word dictionary of the text indexes (words.h). */
#include "lib/store/words.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "lib/base/bits.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/base/utf8.h"
#include "lib/model/fields.h"

static inline bool word_byte(unsigned char c)
{
	return c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

bool words_next(const char *s, size_t n, size_t *at, size_t *a)
{
	size_t i = *at;
	while (i < n && !word_byte((unsigned char)s[i]))
		i++;
	if (i == n)
		return false;
	*a = i;
	while (i < n && word_byte((unsigned char)s[i]))
		i++;
	*at = i;
	return true;
}

bool words_field(const char *k, size_t kn)
{
	return span_text_key(k, kn);
}

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* ---- building ---- */

/* A word being indexed. Most words of a day are rare (ids, numbers, names), so a word's
 * postings start at 8 bytes and double: about 64 bytes a word in all. head is its first 8
 * folded bytes, zero-padded: a word of up to 16 bytes is found without reading the blob. */
struct words_word {
	uint64_t head, head2; /* bytes 8 to 15 of the word, zero-padded */
	uint32_t off, len;    /* in blob */
	uint32_t last;	      /* 1 + the last record added, 0 for none */
	uint32_t plen, pcap;
	unsigned char *post;
};

static void add_rec_more(struct words_word *w, uint32_t rec);

/* Record rec holds word w (records come in ascending order). A distance of one byte with room
 * for it inline, the rest out of line (add_rec_more). */
static inline void add_rec(struct words_word *w, uint32_t rec)
{
	if (w->last == rec + 1)
		return;
	uint32_t v = w->last ? rec - w->last : rec;
	if (v > 0x7f || w->pcap - w->plen < 5) {
		add_rec_more(w, rec);
		return;
	}
	w->post[w->plen++] = (unsigned char)v;
	w->last = rec + 1;
}

static void add_rec_more(struct words_word *w, uint32_t rec)
{
	if (w->pcap - w->plen < 5) { /* a uint32 distance takes at most 5 bytes */
		w->pcap = w->pcap ? w->pcap * 2 : 8;
		w->post = xrealloc(w->post, w->pcap);
	}
	uint32_t v = w->last ? rec - w->last : rec;
	do {
		w->post[w->plen++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	w->last = rec + 1;
}

/* The first 8 bytes of s[0..n) as a number, zero-padded. */
static uint64_t head8(const char *s, size_t n)
{
	uint64_t v = 0;
	memcpy(&v, s, n < 8 ? n : 8);
	return v;
}

static uint32_t new_word(struct words_build *b, const char *s, size_t n)
{
	if (b->nw == b->capw) {
		b->capw = b->capw ? b->capw * 2 : 1024;
		b->w = xrealloc(b->w, b->capw * sizeof *b->w);
	}
	struct words_word *w = &b->w[b->nw];
	w->head = head8(s, n);
	w->head2 = n > 8 ? head8(s + 8, n - 8) : 0;
	w->off = (uint32_t)b->blob.len;
	w->len = (uint32_t)n;
	w->last = w->plen = w->pcap = 0;
	w->post = NULL;
	buf_add(&b->blob, s, n);
	buf_add(&b->blob, "\n", 1);
	return (uint32_t)b->nw++;
}

/* The hash of a folded word in the build's table is hash_mem's: words_add computes it in steps
 * as it folds the word (hash_mem_step, hash_mem_end), grow_slots from the blob. It was FNV-1a,
 * a multiply per byte in one chain. */

/* A slot: 0 free, else the word's hash's top 32 bits over 1 + its index, so that a probe
 * reads another word only when both halves of the hash agree. */
static uint64_t slot_of(uint64_t h, size_t k)
{
	return (h >> 32 << 32) | (uint32_t)(k + 1);
}

static void grow_slots(struct words_build *b)
{
	size_t n = b->nslots ? b->nslots * 2 : 1024;
	uint64_t *s = xcalloc(n, sizeof *s);
	for (size_t k = 1; k < b->nw; k++) { /* word 0 is not in the table */
		uint64_t h = hash_mem(b->blob.p + b->w[k].off, b->w[k].len);
		size_t i = h & (n - 1);
		while (s[i])
			i = (i + 1) & (n - 1);
		s[i] = slot_of(h, k);
	}
	free(b->slots);
	b->slots = s;
	b->nslots = n;
}

void words_init(struct words_build *b)
{
	memset(b, 0, sizeof *b);
	buf_init(&b->blob);
	new_word(b, "", 0);
	grow_slots(b);
}

void words_free(struct words_build *b)
{
	for (size_t k = 0; k < b->nw; k++)
		free(b->w[k].post);
	free(b->w);
	free(b->slots);
	buf_free(&b->blob);
}

/* The word b->fold[0..n) (folded; h its hash_mem), not in the dictionary, for record rec: it
 * takes free slot i, or one of the table doubled. False when the dictionary is full
 * (DAYINDEX_MAX_WORDS): then the record goes to word 0. */
static bool add_new(struct words_build *b, size_t n, uint64_t h, size_t i, uint32_t rec)
{
	if (b->nw >= DAYINDEX_MAX_WORDS || b->blob.len + n + 1 > UINT32_MAX)
		return false;
	if (2 * (b->nw + 1) > b->nslots) { /* at most half full: it doubles, i moves */
		grow_slots(b);
		for (i = h & (b->nslots - 1); b->slots[i]; i = (i + 1) & (b->nslots - 1))
			;
	}
	uint32_t k = new_word(b, b->fold, n);
	b->slots[i] = slot_of(h, k);
	add_rec(&b->w[k], rec);
	return true;
}

/* The word b->fold[0..n) (folded, zero-padded past n; h its hash_mem, head and head2 its
 * first and second 8 bytes, as the caller has them in registers: read back from fold just
 * after it was written, they waited for the stores, a stall a word) for record rec; false as
 * for add_new. Inline in both callers, and the table's growth and a new word out of line
 * (add_new): a word is nearly always found, and the call was a fifth of its cost. */
static inline bool add_word(struct words_build *b, size_t n, uint64_t h, uint64_t head,
			    uint64_t head2, uint32_t rec)
{
	size_t mask = b->nslots - 1, i = h & mask;
	uint64_t tag = h >> 32 << 32;
	for (uint64_t sv; (sv = b->slots[i]); i = (i + 1) & mask) {
		if ((sv >> 32 << 32) != tag)
			continue;
		struct words_word *w = &b->w[(uint32_t)sv - 1];
		if (w->len == n && w->head == head && (n <= 8 || w->head2 == head2) &&
		    (n <= 16 || !memcmp(b->blob.p + w->off + 16, b->fold + 16, n - 16))) {
			add_rec(w, rec);
			return true;
		}
	}
	return add_new(b, n, h, i, rec);
}

/* Bit i set when byte i of p[0..n) is a word byte (word_byte), n at most 64. With SSE2 (every
 * x86-64) 16 bytes a step: a byte of 0x80 or more, or one whose distance from 'a' (once bit
 * 0x20 is set) or from '0' is below 26 or 10, unsigned (the minimum of it and 25 or 9 is
 * itself). A block shorter than 64 bytes is copied into zeros, which are no word bytes. */
static inline uint64_t word_mask64(const unsigned char *p, size_t n)
{
#ifdef __SSE2__
	unsigned char pad[64];
	if (n < 64) {
		memset(pad, 0, sizeof pad);
		memcpy(pad, p, n);
		p = pad;
	}
	const __m128i lower = _mm_set1_epi8(0x20), a = _mm_set1_epi8('a'), z = _mm_set1_epi8(25),
		      d0 = _mm_set1_epi8('0'), d9 = _mm_set1_epi8(9);
	uint64_t m = 0;
	for (int k = 0; k < 4; k++) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
		__m128i l = _mm_sub_epi8(_mm_or_si128(x, lower), a), d = _mm_sub_epi8(x, d0);
		__m128i w = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(l, z), l),
					 _mm_cmpeq_epi8(_mm_min_epu8(d, d9), d));
		m |= (uint64_t)(unsigned)(_mm_movemask_epi8(w) | _mm_movemask_epi8(x)) << (16 * k);
	}
	return m;
#else
	uint64_t m = 0;
	for (size_t i = 0; i < n; i++)
		m |= (uint64_t)word_byte(p[i]) << i;
	return m;
#endif
}

/* The word s[a, a + len) of the text s[0..n) for record rec: folded and hashed 8 bytes at a
 * time (an ASCII word byte is a letter or a digit, and setting bit 0x20 folds a letter to
 * lower case and leaves a digit as it is, utf8_fold); a word with a non-ASCII byte is folded
 * again by utf8_fold_text, which keeps its length, and hashed again. */
static void add_one(struct words_build *b, const unsigned char *s, size_t n, size_t a, size_t len,
		    uint32_t rec)
{
	if (len > DAYINDEX_MAX_WORD) {
		add_rec(&b->w[0], rec);
		return;
	}
	uint64_t h = HASH_MEM_SEED, high = 0, head[2] = {0, 0};
	for (size_t i = 0; i < len; i += 8) {
		size_t k = len - i;
		uint64_t x = 0, keep = k >= 8 ? ~0ull : (1ull << (8 * k)) - 1;
		if (n - a - i >= 8)
			memcpy(&x, s + a + i, 8);
		else
			memcpy(&x, s + a + i, n - a - i);
		x &= keep;
		high |= x;
		x |= 0x2020202020202020ull & keep;
		memcpy(b->fold + i, &x, 8);
		if (i < 16)
			head[i / 8] = x;
		h = hash_mem_step(h, x);
	}
	memset(b->fold + len, 0, 8);
	if (high & 0x8080808080808080ull) {
		utf8_fold_text((const char *)s + a, len, b->fold);
		h = hash_mem(b->fold, len);
		memcpy(head, b->fold, 16);
	} else {
		h = hash_mem_end(h, len);
	}
	if (!add_word(b, len, h, head[0], head[1], rec))
		add_rec(&b->w[0], rec);
}

#ifdef __SSE2__
/* 16 bytes of 0xff, then 16 of zero: the 16 bytes at 16 - len keep the first len of a load. */
static const unsigned char keep16[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* add_one for a word of at most 16 bytes with 16 bytes to read at s + a (nearly every word):
 * the word in one load, masked, folded and tested for a non-ASCII byte in the register, its
 * hash of one or two steps, and no loop. False for a word with a non-ASCII byte, which add_one
 * takes. The same folded bytes and hash as add_one's. */
static inline bool add_short(struct words_build *b, const unsigned char *s, size_t a, size_t len,
			     uint32_t rec)
{
	__m128i keep = _mm_loadu_si128((const __m128i *)(const void *)(keep16 + 16 - len));
	__m128i x = _mm_and_si128(_mm_loadu_si128((const __m128i *)(const void *)(s + a)), keep);
	if (_mm_movemask_epi8(x))
		return false;
	x = _mm_or_si128(x, _mm_and_si128(keep, _mm_set1_epi8(0x20)));
	_mm_storeu_si128((__m128i *)(void *)b->fold, x); /* read only when the word is new */
	uint64_t head = (uint64_t)_mm_cvtsi128_si64(x),
		 head2 = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(x, x));
	uint64_t h = hash_mem_step(HASH_MEM_SEED, head);
	if (len > 8)
		h = hash_mem_step(h, head2);
	if (!add_word(b, len, hash_mem_end(h, len), head, head2, rec))
		add_rec(&b->w[0], rec);
	return true;
}
#endif

/* A word s[a, a + len) of the text s[0..n) for record rec. */
static inline void add_any(struct words_build *b, const unsigned char *s, size_t n, size_t a,
			   size_t len, uint32_t rec)
{
#ifdef __SSE2__
	if (len <= 16 && n - a >= 16 && add_short(b, s, a, len, rec))
		return;
#endif
	add_one(b, s, n, a, len, rec);
}

/* The words of p[0..n), 64 bytes a block: the block's word bytes as a mask (word_mask64), its
 * words' starts and ends as the bits where the mask turns on and off, taken in order with a
 * count of trailing zeros (it was two tests of a table per byte, and a branch that missed at
 * each word's end). A word open at a block's end runs on into the next. */
void words_add(struct words_build *b, const char *p, size_t n, uint32_t rec)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t open = SIZE_MAX; /* the start of a word that runs into this block */
	for (size_t base = 0; base < n; base += 64) {
		uint64_t w = word_mask64(s + base, n - base < 64 ? n - base : 64);
		uint64_t in = open != SIZE_MAX, before = w << 1 | in;
		uint64_t starts = w & ~before, ends = ~w & before;
		/* A block of 64 holds no end for a word still open at its last byte. */
		for (;;) {
			if (open == SIZE_MAX) {
				if (!starts)
					break;
				open = base + (size_t)__builtin_ctzll(starts);
				starts &= starts - 1;
			}
			if (!ends)
				break;
			size_t end = base + (size_t)__builtin_ctzll(ends);
			ends &= ends - 1;
			add_any(b, s, n, open, end - open, rec);
			open = SIZE_MAX;
		}
	}
	if (open != SIZE_MAX)
		add_any(b, s, n, open, n - open, rec);
}

void words_add_any(struct words_build *b, uint32_t rec)
{
	add_rec(&b->w[0], rec);
}

void words_render(const struct words_build *b, struct buf *out)
{
	static const char zero[8];
	buf_add(out, b->blob.p, b->blob.len);
	buf_add(out, zero, pad8(b->blob.len) - b->blob.len);
	for (size_t k = 0; k <= b->nw; k++) {
		uint32_t o = k < b->nw ? b->w[k].off : (uint32_t)b->blob.len;
		buf_add(out, &o, sizeof o);
	}
	buf_add(out, zero, pad8(4 * (b->nw + 1)) - 4 * (b->nw + 1));
	uint64_t po = 0;
	for (size_t k = 0; k <= b->nw; k++) {
		buf_add(out, &po, sizeof po);
		if (k < b->nw)
			po += b->w[k].plen;
	}
	for (size_t k = 0; k < b->nw; k++)
		buf_add(out, b->w[k].post, b->w[k].plen);
	buf_add(out, zero, pad8(po) - po);
}

/* ---- reading ---- */

bool words_open(struct words_view *v, const void *p, size_t n, size_t nwords, size_t blob_len)
{
	memset(v, 0, sizeof *v);
	if (nwords < 1 || nwords > DAYINDEX_MAX_WORDS || blob_len > n)
		return false;
	size_t at = pad8(blob_len), need = at + pad8(4 * (nwords + 1)) + 8 * (nwords + 1);
	if (need > n)
		return false;
	v->blob = p;
	v->blob_len = blob_len;
	v->nwords = nwords;
	v->starts = (const uint32_t *)((const char *)p + at);
	v->poffs = (const uint64_t *)((const char *)p + at + pad8(4 * (nwords + 1)));
	v->post = (const unsigned char *)p + need;
	v->post_len = v->poffs[nwords];
	if (v->post_len > n - need || v->starts[0] != 0 || v->starts[nwords] != blob_len ||
	    v->poffs[0] != 0)
		return false;
	v->len = need + pad8(v->post_len);
	return v->len <= n;
}

bool words_or(const struct words_view *v, size_t k, uint64_t *bits, size_t nrecs)
{
	uint64_t a = v->poffs[k], z = v->poffs[k + 1], rec = 0;
	bool first = true;
	if (a > z || z > v->post_len)
		return false;
	for (uint64_t i = a; i < z;) {
		uint64_t x = 0;
		for (int shift = 0;; shift += 7) {
			if (i >= z || shift > 63)
				return false;
			unsigned char c = v->post[i++];
			x |= (uint64_t)(c & 0x7f) << shift;
			if (!(c & 0x80))
				break;
		}
		rec = first ? x : rec + 1 + x;
		first = false;
		if (rec >= nrecs)
			return false;
		bits_set(bits, rec);
	}
	return true;
}

/* The records whose words contain chunk c[0..m) (already a run of word bytes), into bits. */
static bool chunk_bits(const struct words_view *v, const char *c, size_t m, uint64_t *bits,
		       size_t n)
{
	char *fold = xmalloc(m);
	struct utf8_needle nd;
	utf8_needle_init(&nd, c, m, fold);
	bool ok = words_or(v, 0, bits, n);
	const size_t nw = v->nwords, blen = v->blob_len;
	for (size_t at = 0; ok && at < blen;) {
		size_t q = utf8_needle_pos(&nd, v->blob + at, blen - at);
		if (q == SIZE_MAX)
			break;
		q += at;
		/* the word holding q: the last start at or before it */
		size_t lo = 0, hi = nw;
		while (hi - lo > 1) {
			size_t mid = (lo + hi) / 2;
			if (v->starts[mid] <= q)
				lo = mid;
			else
				hi = mid;
		}
		ok = words_or(v, lo, bits, n);
		at = v->starts[lo + 1];
	}
	free(fold);
	return ok;
}

enum status words_terms(const struct words_view *v, const char *const *terms, size_t nterms,
			size_t n, uint64_t **out, uint64_t **sure)
{
	*out = *sure = NULL;
	size_t words = (n + 63) / 64;
	uint64_t *all = NULL, *one = xmalloc((words ? words : 1) * sizeof *one);
	bool ok = true, whole = true; /* every term a single run of word bytes */
	for (size_t k = 0; ok && k < nterms; k++) {
		const char *s = terms[k];
		size_t len = strlen(s), runs = 0;
		for (size_t at = 0, a; ok && words_next(s, len, &at, &a);) {
			runs += 1 + (a > 0 || at < len);
			memset(one, 0, words * sizeof *one);
			ok = chunk_bits(v, s + a, at - a, one, n);
			if (!all) {
				all = one;
				one = xmalloc((words ? words : 1) * sizeof *one);
			} else {
				for (size_t w = 0; w < words; w++)
					all[w] &= one[w];
			}
		}
		whole = whole && runs == 1;
	}
	/* A single-word term inside an indexed word is in the span's text; the records of word
	 * 0 (a word too long to index, a line that could not be read) are only candidates. */
	if (ok && all && whole) {
		memset(one, 0, words * sizeof *one);
		ok = words_or(v, 0, one, n);
		for (size_t w = 0; w < words; w++)
			one[w] = all[w] & ~one[w];
		*sure = one;
		one = NULL;
	}
	free(one);
	if (!ok || !all) { /* damaged postings, or no term with a letter or digit */
		free(all);
		free(*sure);
		*sure = NULL;
		return ST_NOT_FOUND;
	}
	*out = all;
	return ST_OK;
}

size_t words_check(const struct words_view *v, size_t nrecs)
{
	uint64_t *bits = xcalloc((nrecs + 63) / 64 + 1, sizeof *bits);
	size_t bad = SIZE_MAX;
	for (size_t k = 0; bad == SIZE_MAX && k < v->nwords; k++)
		if (v->starts[k] >= v->starts[k + 1] || v->starts[k + 1] > v->blob_len ||
		    v->blob[v->starts[k + 1] - 1] != '\n' || !words_or(v, k, bits, nrecs))
			bad = k;
	free(bits);
	return bad;
}
