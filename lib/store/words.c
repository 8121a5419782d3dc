/* words: the word dictionary of the text indexes (words.h). */
#include "lib/store/words.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
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
struct words_post {
	uint32_t last; /* 1 + the last record added, 0 for none */
	uint32_t plen, pcap;
	unsigned char *post;
};
struct words_word {
	uint64_t head, head2; /* bytes 8 to 15 of the word, zero-padded */
	uint32_t off, len;    /* in blob */
	struct words_post p;
};
struct words_pair {
	uint64_t key;
	struct words_post p;
};
struct words_pslot {
	uint64_t key;
	uint64_t k; /* the pair's index */
};

static void add_rec_more(struct words_post *w, uint32_t rec);

/* Record rec holds word or pair w (records come in ascending order). A distance of one byte
 * with room for it inline, the rest out of line (add_rec_more). */
static inline void add_rec(struct words_post *w, uint32_t rec)
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

static void add_rec_more(struct words_post *w, uint32_t rec)
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
	memset(&w->p, 0, sizeof w->p);
	buf_add(&b->blob, s, n);
	buf_add(&b->blob, "\n", 1);
	return (uint32_t)b->nw++;
}

/* The hash of a folded word in the build's table (nothing stored holds it: the dictionary is
 * written in the order words came). A word of at most 16 bytes, nearly every word, is hashed
 * from its first and second 8 bytes (zero-padded) as words_add has them in registers: a
 * multiply each, side by side, and the high half folded into the low one, which picks the
 * slot (the high half is the slot's tag). It was hash_mem's chain of two or three steps, each
 * waiting for the one before: 5 to 8 instructions a word more. A longer word is hash_mem's.
 * It was FNV-1a before, a multiply per byte in one chain. */
static inline uint64_t word_hash16(uint64_t head, uint64_t head2, size_t n)
{
	uint64_t h = (head ^ n) * 0x9e3779b97f4a7c15ull;
	if (n > 8)
		h ^= head2 * 0xbf58476d1ce4e5b9ull;
	return h ^ h >> 32;
}

/* The hash of the folded word s[0..n), zero-padded past n up to 16 bytes when n is at most
 * 16 (the blob's words are not: head8 pads them). */
static uint64_t word_hash(const char *s, size_t n)
{
	if (n > 16)
		return hash_mem(s, n);
	return word_hash16(head8(s, n), n > 8 ? head8(s + 8, n - 8) : 0, n);
}

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
		uint64_t h = word_hash(b->blob.p + b->w[k].off, b->w[k].len);
		size_t i = h & (n - 1);
		while (s[i])
			i = (i + 1) & (n - 1);
		s[i] = slot_of(h, k);
	}
	free(b->slots);
	b->slots = s;
	b->nslots = n;
}

/* A table of pairs (or triples): open addressing on the key (a multiply's high bits), the key
 * beside the entry's index so that a probe reads no entry. */
static size_t pslot_of(uint64_t key, size_t n)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (n - 1);
}

static void grow_pslots(struct words_tab *t)
{
	size_t n = t->nslots ? t->nslots * 2 : 1024;
	struct words_pslot *s = xcalloc(n, sizeof *s);
	for (size_t k = 1; k < t->n; k++) { /* entry 0 is not in the table */
		size_t i = pslot_of(t->p[k].key, n);
		while (s[i].key)
			i = (i + 1) & (n - 1);
		s[i].key = t->p[k].key;
		s[i].k = k;
	}
	free(t->slots);
	t->slots = s;
	t->nslots = n;
}

static uint32_t new_pair(struct words_tab *t, uint64_t key)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		t->p = xrealloc(t->p, t->cap * sizeof *t->p);
	}
	memset(&t->p[t->n], 0, sizeof *t->p);
	t->p[t->n].key = key;
	return (uint32_t)t->n++;
}

/* Record rec holds the pair (or triple) of key (not 0); its number in t, 0 for entry 0 when
 * the table holds max entries. */
static uint32_t tab_add(struct words_tab *t, uint64_t key, size_t max, uint32_t rec)
{
	size_t mask = t->nslots - 1, i = pslot_of(key, t->nslots);
	for (; t->slots[i].key; i = (i + 1) & mask)
		if (t->slots[i].key == key) {
			add_rec(&t->p[t->slots[i].k].p, rec);
			return (uint32_t)t->slots[i].k;
		}
	if (t->n >= max) {
		add_rec(&t->p[0].p, rec);
		return 0;
	}
	if (2 * (t->n + 1) > t->nslots) { /* at most half full: it doubles, i moves */
		grow_pslots(t);
		mask = t->nslots - 1;
		for (i = pslot_of(key, t->nslots); t->slots[i].key; i = (i + 1) & mask)
			;
	}
	uint32_t k = new_pair(t, key);
	t->slots[i].key = key;
	t->slots[i].k = k;
	add_rec(&t->p[k].p, rec);
	return k;
}

static void tab_init(struct words_tab *t)
{
	memset(t, 0, sizeof *t);
	new_pair(t, 0);
	grow_pslots(t);
}

static void tab_free(struct words_tab *t)
{
	for (size_t k = 0; k < t->n; k++)
		free(t->p[k].p.post);
	free(t->p);
	free(t->slots);
}

/* Record rec holds word a then word b2 (both past word 0), apart by one space unless gap; the
 * pair's number, 0 for pair 0. */
static uint32_t add_pair(struct words_build *b, uint32_t a, uint32_t b2, bool gap, uint32_t rec)
{
	uint64_t key = (uint64_t)a << 32 | (gap ? WORDS_PAIR_GAP : 0) | b2;
	return tab_add(&b->pt, key, WORDS_MAX_PAIRS, rec);
}

/* Record rec holds pair p1 then pair p2 (both past pair 0), the second word of p1 the first of
 * p2: three words in a row. render_triples keeps those of two kept pairs, one common. */
static void add_triple(struct words_build *b, uint32_t p1, uint32_t p2, uint32_t rec)
{
	tab_add(&b->tt, (uint64_t)p1 << 32 | p2, WORDS_MAX_TRIPLES, rec);
}

void words_init(struct words_build *b, bool pairs)
{
	memset(b, 0, sizeof *b);
	b->pairs = pairs;
	buf_init(&b->blob);
	new_word(b, "", 0);
	grow_slots(b);
	tab_init(&b->pt);
	if (pairs)
		tab_init(&b->tt);
}

void words_free(struct words_build *b)
{
	for (size_t k = 0; k < b->nw; k++)
		free(b->w[k].p.post);
	free(b->w);
	free(b->slots);
	tab_free(&b->pt);
	tab_free(&b->tt);
	buf_free(&b->blob);
}

/* The word b->fold[0..n) (folded; h its word_hash), not in the dictionary, for record rec: it
 * takes free slot i, or one of the table doubled; its number. 0 when the dictionary is full
 * (DAYINDEX_MAX_WORDS): then the record goes to word 0. */
static uint32_t add_new(struct words_build *b, size_t n, uint64_t h, size_t i, uint32_t rec)
{
	if (b->nw >= DAYINDEX_MAX_WORDS || b->blob.len + n + 1 > UINT32_MAX)
		return 0;
	if (2 * (b->nw + 1) > b->nslots) { /* at most half full: it doubles, i moves */
		grow_slots(b);
		for (i = h & (b->nslots - 1); b->slots[i]; i = (i + 1) & (b->nslots - 1))
			;
	}
	uint32_t k = new_word(b, b->fold, n);
	b->slots[i] = slot_of(h, k);
	add_rec(&b->w[k].p, rec);
	return k;
}

/* The word b->fold[0..n) (folded, zero-padded past n; h its word_hash, head and head2 its
 * first and second 8 bytes, as the caller has them in registers: read back from fold just
 * after it was written, they waited for the stores, a stall a word) for record rec; its number, 0
 * as for add_new. Inline in both callers, and the table's growth and a new word out of line
 * (add_new): a word is nearly always found, and the call was a fifth of its cost. */
static inline uint32_t add_word(struct words_build *b, size_t n, uint64_t h, uint64_t head,
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
			add_rec(&w->p, rec);
			return (uint32_t)sv - 1;
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

/* The word s[a, a + len) of the text s[0..n) for record rec: folded 8 bytes at a time (an
 * ASCII word byte is a letter or a digit, and setting bit 0x20 folds a letter to lower case
 * and leaves a digit as it is, utf8_fold); a word with a non-ASCII byte is folded again by
 * utf8_fold_text, which keeps its length. Then hashed (word_hash). Its number, 0 when it went
 * to word 0. */
static uint32_t add_one(struct words_build *b, const unsigned char *s, size_t n, size_t a,
			size_t len, uint32_t rec)
{
	if (len > DAYINDEX_MAX_WORD) {
		add_rec(&b->w[0].p, rec);
		return 0;
	}
	uint64_t high = 0, head[2] = {0, 0};
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
	}
	memset(b->fold + len, 0, 8);
	if (high & 0x8080808080808080ull) {
		utf8_fold_text((const char *)s + a, len, b->fold);
		memcpy(head, b->fold, 16);
	}
	uint64_t h = len > 16 ? hash_mem(b->fold, len) : word_hash16(head[0], head[1], len);
	uint32_t k = add_word(b, len, h, head[0], head[1], rec);
	if (!k)
		add_rec(&b->w[0].p, rec);
	return k;
}

#ifdef __SSE2__
/* 16 bytes of 0xff, then 16 of zero: the 16 bytes at 16 - len keep the first len of a load. */
static const unsigned char keep16[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* add_one for a word of at most 16 bytes with 16 bytes to read at s + a (nearly every word):
 * the word in one load, masked, folded and tested for a non-ASCII byte in the register, its
 * hash of one or two steps, and no loop. UINT32_MAX for a word with a non-ASCII byte, which
 * add_one takes; else as add_one. The same folded bytes and hash as add_one's. */
static inline uint32_t add_short(struct words_build *b, const unsigned char *s, size_t a,
				 size_t len, uint32_t rec)
{
	__m128i keep = _mm_loadu_si128((const __m128i *)(const void *)(keep16 + 16 - len));
	__m128i x = _mm_and_si128(_mm_loadu_si128((const __m128i *)(const void *)(s + a)), keep);
	if (_mm_movemask_epi8(x))
		return UINT32_MAX;
	x = _mm_or_si128(x, _mm_and_si128(keep, _mm_set1_epi8(0x20)));
	_mm_storeu_si128((__m128i *)(void *)b->fold, x); /* read only when the word is new */
	uint64_t head = (uint64_t)_mm_cvtsi128_si64(x),
		 head2 = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(x, x));
	uint32_t k = add_word(b, len, word_hash16(head, head2, len), head, head2, rec);
	if (!k)
		add_rec(&b->w[0].p, rec);
	return k;
}
#endif

/* A word s[a, a + len) of the text s[0..n) for record rec; its number, 0 for word 0. */
static inline uint32_t add_any(struct words_build *b, const unsigned char *s, size_t n, size_t a,
			       size_t len, uint32_t rec)
{
#ifdef __SSE2__
	uint32_t k;
	if (len <= 16 && n - a >= 16 && (k = add_short(b, s, a, len, rec)) != UINT32_MAX)
		return k;
#endif
	return add_one(b, s, n, a, len, rec);
}

/* Where words_add is in a value: the word before (0 for none), where it ended, and the pair
 * that ended with it (0 for none). */
struct words_at {
	uint32_t pw;
	size_t pz;
	uint32_t pp;
};

/* The word s[a, z) of the text s[0..n) for record rec, after at's: the word, and with pairs the
 * pair of the two when both are past word 0 and the triple of that pair and the one before.
 * Inlined by force: left to itself the compiler made it a call a word once the triples came
 * (7304ceb), 3.3M more instructions for a tail segment's batch of 1,000 spans (callgrind). */
static inline __attribute__((always_inline)) void add_next(struct words_build *b,
							   const unsigned char *s, size_t n,
							   size_t a, size_t z, uint32_t rec,
							   struct words_at *at, bool pairs)
{
	uint32_t k = add_any(b, s, n, a, z - a, rec), p = 0;
	if (!pairs)
		return;
	if (at->pw && k) {
		p = add_pair(b, at->pw, k, a != at->pz + 1 || s[at->pz] != ' ', rec);
		if (at->pp && p)
			add_triple(b, at->pp, p, rec);
	}
	*at = (struct words_at){k, z, p};
}

/* words_add's loop, made twice by the compiler: pairs is a constant in each call, so a tail
 * segment's (no pairs, every batch's) keeps no word before and tests nothing for a pair: 3% of
 * the words' instructions. */
static inline void add_words(struct words_build *b, const unsigned char *s, size_t n, uint32_t rec,
			     bool pairs)
{
	size_t open = SIZE_MAX;		/* the start of a word that runs into this block */
	struct words_at at = {0, 0, 0}; /* with pairs: the word before */
	for (size_t base = 0; base < n; base += 64) {
		uint64_t w = word_mask64(s + base, n - base < 64 ? n - base : 64);
		uint64_t in = open != SIZE_MAX, before = w << 1 | in;
		uint64_t starts = w & ~before, ends = ~w & before;
		/* The first end closes a word open from the block before; every other end the
		 * earliest start not yet closed, so each word is a start and an end taken
		 * together (it was a test of a word open at each, and a branch a word the
		 * compiler could not keep in registers: 15 instructions a word). At most one
		 * start is left, a word still open at the block's last byte. */
		if (in && ends) {
			add_next(b, s, n, open, base + (size_t)__builtin_ctzll(ends), rec, &at,
				 pairs);
			ends &= ends - 1;
			open = SIZE_MAX;
		}
		for (; ends; ends &= ends - 1, starts &= starts - 1)
			add_next(b, s, n, base + (size_t)__builtin_ctzll(starts),
				 base + (size_t)__builtin_ctzll(ends), rec, &at, pairs);
		if (starts)
			open = base + (size_t)__builtin_ctzll(starts);
	}
	if (open != SIZE_MAX)
		add_next(b, s, n, open, n, rec, &at, pairs);
}

/* The words of p[0..n), 64 bytes a block: the block's word bytes as a mask (word_mask64), its
 * words' starts and ends as the bits where the mask turns on and off, taken in order with a
 * count of trailing zeros (it was two tests of a table per byte, and a branch that missed at
 * each word's end). A word open at a block's end runs on into the next. With pairs, each word
 * after the first makes a pair with the one before it, and each pair after the first a triple
 * with the one before it. */
void words_add(struct words_build *b, const char *p, size_t n, uint32_t rec)
{
	if (b->pairs)
		add_words(b, (const unsigned char *)p, n, rec, true);
	else
		add_words(b, (const unsigned char *)p, n, rec, false);
}

void words_add_any(struct words_build *b, uint32_t rec)
{
	add_rec(&b->w[0].p, rec);
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
	struct recs {
		uint32_t *r;
		size_t n;
		bool made;
	} *w, *p; /* per word, per pair of the table */
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
static void put_exact(struct buf *out, unsigned char flag, const struct words_post *p,
		      const uint32_t *r, size_t n, size_t nrecs, const uint32_t *base, size_t nb,
		      unsigned char bflag)
{
	size_t best = p->plen, form = WORDS_PAIR_LIST, c;
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
	unsigned char fb = (unsigned char)(form | flag |
					   (form == WORDS_PAIR_SUB || form == WORDS_FORM_SUBEF ? bflag
											       : 0));
	buf_add(out, &fb, 1);
	if (form == WORDS_PAIR_LIST)
		buf_add(out, p->post, p->plen);
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
		put_exact(out, flag, &p->p, r.r, r.n, nrecs, base, nb, bflag);
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

/* The end of a part of n keys (pairs' or triples'; compact, their keys padded to 8): the offsets of their postings in post
 * (offs[0..n), offs[n] its length), x->ow bytes each, padded to 8 bytes, the postings, padded to
 * 8 bytes; post and offs freed. x->over when an offset does not fit. */
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
		const struct recs *base =
		    !l1 && !l2 ? NULL
		    : second   ? recs_of(&x->p[p2], &b->pt.p[p2].p)
			       : recs_of(&x->p[p1], &b->pt.p[p1].p);
		render_pair(x, &one, 0, all && !sub, base ? base->r : NULL, base ? base->n : 0,
			    second ? WORDS_FORM_BASE2 : 0, &post);
	}
	add_postings(x, out, offs, n, &post);
	free(t);
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
	free(idx);
	free(pcnt);
}

uint64_t words_triple_bound(size_t nrecs)
{
	size_t share = nrecs / DAYINDEX_TRIPLE_SHARE;
	return share > DAYINDEX_RARE_WORD ? share : DAYINDEX_RARE_WORD;
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
		put_exact(&post, 0, &b->w[k].p, r.r, r.n, x->nrecs, NULL, 0, 0);
		free(r.r);
	}
	add_postings(x, out, offs, b->nw, &post);
	if (b->pairs)
		render_pairs(x, out);
}

void words_render(const struct words_build *b, size_t nrecs, struct buf *out)
{
	struct render x = {b, nrecs, false, false, 8, NULL, NULL};
	render(&x, out);
}

void words_render_compact(const struct words_build *b, size_t nrecs, struct buf *out)
{
	size_t at = out->len; /* on 8 bytes: after a .tix's header of 128 */
	for (unsigned ow = 4; ow <= 8; ow += 4) {
		struct render x = {b, nrecs, true, false, ow, NULL, NULL};
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
