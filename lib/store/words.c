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
#include "lib/json/jline.h"
#include "lib/model/fields.h"
#include "lib/store/wordmask.h"

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

/* ---- building ---- */

/* The zeros past a value words_add copies: a block of 64 bytes from its last start. */
#define WORDS_PAD 64

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
 * slot. It was hash_mem's chain of two or three steps, each
 * waiting for the one before: 5 to 8 instructions a word more. A longer word is hash_mem's.
 * It was FNV-1a before, a multiply per byte in one chain. */
static inline uint64_t word_hash16(uint64_t head, uint64_t head2, size_t n)
{
	uint64_t h = (head ^ n) * 0x9e3779b97f4a7c15ull;
	if (n > 8)
		h ^= head2 * 0xbf58476d1ce4e5b9ull;
	return h ^ h >> 32;
}

/* A word of at most 8 bytes' slot in slots8: a multiply's high bits (its low ones are the word's
 * first bytes'). */
static inline size_t slot8_of(uint64_t head, unsigned shift)
{
	return (size_t)((head * 0x9e3779b97f4a7c15ull) >> shift);
}

static void grow_slots8(struct words_build *b)
{
	size_t n = b->nslots8 ? b->nslots8 * 2 : 1024;
	unsigned shift = 64 - (unsigned)__builtin_ctzll(n);
	struct words_slot8 *s = xcalloc(n, sizeof *s);
	for (size_t j = 0; j < b->nslots8; j++) {
		if (!b->slots8[j].head)
			continue;
		size_t i = slot8_of(b->slots8[j].head, shift);
		while (s[i].head)
			i = (i + 1) & (n - 1);
		s[i] = b->slots8[j];
	}
	free(b->slots8);
	b->slots8 = s;
	b->nslots8 = n;
	b->shift8 = shift;
}

static void grow_slots(struct words_build *b)
{
	size_t n = b->nslots ? b->nslots * 2 : 1024;
	struct words_slot *s = xcalloc(n, sizeof *s);
	for (size_t j = 0; j < b->nslots; j++) {
		if (!b->slots[j].len)
			continue;
		size_t i = b->slots[j].h & (n - 1);
		while (s[i].len)
			i = (i + 1) & (n - 1);
		s[i] = b->slots[j];
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
	b->wide = words_wide() && !getenv("SPANDEX_TEST_WORDS_NARROW");
	buf_init(&b->blob);
	new_word(b, "", 0);
	grow_slots(b);
	grow_slots8(b);
	tab_init(&b->pt);
	if (pairs)
		tab_init(&b->tt);
}

void words_free(struct words_build *b)
{
	for (size_t k = 0; k < b->nw; k++)
		free(b->w[k].p.post);
	free(b->w);
	for (size_t k = 0; k < b->capctx; k++)
		free(b->ctx[k].e);
	free(b->ctx);
	free(b->slots);
	free(b->slots8);
	free(b->copy);
	tab_free(&b->pt);
	tab_free(&b->tt);
	buf_free(&b->blob);
}

/* The word b->fold[0..n) (folded; h its word_hash, head and head2 as for word_find), not in
 * the dictionary, for record rec: it takes free slot i, or one of the table doubled; its number.
 * 0 when the dictionary is full (DAYINDEX_MAX_WORDS): then the record goes to word 0. */
static uint32_t add_new(struct words_build *b, size_t n, uint64_t h, uint64_t head, uint64_t head2,
			size_t i, uint32_t rec)
{
	if (b->nw >= DAYINDEX_MAX_WORDS || b->blob.len + n + 1 > UINT32_MAX)
		return 0;
	if (2 * (b->nlong + 1) > b->nslots) { /* at most half full: it doubles, i moves */
		grow_slots(b);
		for (i = h & (b->nslots - 1); b->slots[i].len; i = (i + 1) & (b->nslots - 1))
			;
	}
	b->nlong++;
	uint32_t k = new_word(b, b->fold, n);
	b->slots[i] = (struct words_slot){head, head2, h, (uint32_t)n, k};
	add_rec(&b->w[k].p, rec);
	return k;
}

/* The slot of the word b->fold[0..n) (folded, zero-padded past n; h its word_hash, head and
 * head2 its first and second 8 bytes), or the free slot it would take (len 0) when the dictionary
 * has none: a slot, not a number, so that the caller's test of a find is the loop's own. A word
 * of up to 16 bytes is its slot's head, head2 and length (no word byte is 0, so a free slot's
 * head, 0, matches none); a longer one's bytes past the 16th are read in the blob. */
static inline const struct words_slot *word_find(const struct words_build *b, size_t n, uint64_t h,
						 uint64_t head, uint64_t head2)
{
	size_t mask = b->nslots - 1, i = h & mask;
	for (;; i = (i + 1) & mask) {
		const struct words_slot *sl = &b->slots[i];
		if (sl->head == head && sl->head2 == head2 && sl->len == (uint32_t)n &&
		    (n <= 16 || !memcmp(b->blob.p + b->w[sl->k].off + 16, b->fold + 16, n - 16)))
			return sl;
		if (!sl->len)
			return sl;
	}
}

/* The word b->fold[0..n) (folded, zero-padded past n; h its word_hash, head and head2 its
 * first and second 8 bytes, as the caller has them in registers: read back from fold just
 * after it was written, they waited for the stores, a stall a word) for record rec; its number, 0
 * when it went to word 0 (add_new). Inline in both callers, and the table's growth and a new word
 * out of line (add_new): a word is nearly always found, and the call was a fifth of its cost. */
static inline uint32_t add_word(struct words_build *b, size_t n, uint64_t h, uint64_t head,
				uint64_t head2, uint32_t rec)
{
	const struct words_slot *sl = word_find(b, n, h, head, head2);
	uint32_t k;
	if (__builtin_expect(!sl->len, 0)) {
		if (!(k = add_new(b, n, h, head, head2, (size_t)(sl - b->slots), rec)))
			add_rec(&b->w[0].p, rec);
		return k;
	}
	k = sl->k;
	add_rec(&b->w[k].p, rec);
	return k;
}

/* The word of n bytes, at most 8, folded in head (zero-padded), not in the dictionary, for record
 * rec: it takes free slot i of slots8, or one of the table doubled; its number, 0 when the
 * dictionary is full (as add_new). */
static uint32_t add_new8(struct words_build *b, uint64_t head, size_t n, size_t i, uint32_t rec)
{
	if (b->nw >= DAYINDEX_MAX_WORDS || b->blob.len + n + 1 > UINT32_MAX)
		return 0;
	if (2 * (b->nshort + 1) > b->nslots8) { /* at most half full: it doubles, i moves */
		grow_slots8(b);
		for (i = slot8_of(head, b->shift8); b->slots8[i].head;
		     i = (i + 1) & (b->nslots8 - 1))
			;
	}
	b->nshort++;
	char w[8];
	memcpy(w, &head, 8); /* little-endian, as every head of this file */
	uint32_t k = new_word(b, w, n);
	b->slots8[i] = (struct words_slot8){head, k, 0};
	add_rec(&b->w[k].p, rec);
	return k;
}

/* The slot of the word of at most 8 bytes folded in head (zero-padded), or the free slot it
 * would take (head 0). */
static inline const struct words_slot8 *word_find8(const struct words_build *b, uint64_t head)
{
	size_t mask = b->nslots8 - 1, i = slot8_of(head, b->shift8);
	for (;; i = (i + 1) & mask) {
		const struct words_slot8 *sl = &b->slots8[i];
		if (sl->head == head || !sl->head)
			return sl;
	}
}

/* As add_word for a word of n bytes, at most 8, folded in head (zero-padded): the table of
 * short words, whose slot is the word itself (no hash kept, no length, no second half). */
static inline uint32_t add_word8(struct words_build *b, uint64_t head, size_t n, uint32_t rec)
{
	const struct words_slot8 *sl = word_find8(b, head);
	uint32_t k;
	if (__builtin_expect(!sl->head, 0)) {
		if (!(k = add_new8(b, head, n, (size_t)(sl - b->slots8), rec)))
			add_rec(&b->w[0].p, rec);
		return k;
	}
	k = sl->k;
	add_rec(&b->w[k].p, rec);
	return k;
}

/* The word s[a, a + len) of the text s[0..n) for record rec: folded 8 bytes at a time (an
 * ASCII word byte is a letter or a digit, and setting bit 0x20 folds a letter to lower case
 * and leaves a digit as it is, utf8_fold); a word with a non-ASCII byte is folded again by
 * utf8_fold_text, which keeps its length. Then hashed (word_hash). Its number, 0 when it went
 * to word 0. */
static __attribute__((noinline)) uint32_t add_one(struct words_build *b, const unsigned char *s,
						  size_t n, size_t a, size_t len, uint32_t rec)
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
		if (len <= 8) /* fold's bytes 8 past the word are zeros, the rest not */
			head[1] = 0;
	}
	if (len <= 8)
		return add_word8(b, head[0], len, rec);
	uint64_t h = len > 16 ? hash_mem(b->fold, len) : word_hash16(head[0], head[1], len);
	return add_word(b, len, h, head[0], head[1], rec);
}

#ifdef __SSE2__
/* 16 bytes of 0xff, then 16 of zero: the 16 bytes at 16 - len keep the first len of a load. */
static const unsigned char keep16[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* add_one for a word of at most 16 bytes with 16 bytes to read at s + a (nearly every word):
 * the word in one load, masked, folded and tested for a non-ASCII byte in the register, its
 * hash of one or two steps, and no loop. False for a word with a non-ASCII byte, which add_one
 * takes; else true, *k as add_one's number (a flag and the number apart: the caller without
 * pairs reads no number, and the compiler drops it). The same folded bytes and hash as
 * add_one's. */
static inline bool add_short(struct words_build *b, const unsigned char *s, size_t a, size_t len,
			     uint32_t rec, uint32_t *k)
{
	__m128i keep = _mm_loadu_si128((const __m128i *)(const void *)(keep16 + 16 - len));
	__m128i x = _mm_and_si128(_mm_loadu_si128((const __m128i *)(const void *)(s + a)), keep);
	if (_mm_movemask_epi8(x))
		return false;
	x = _mm_or_si128(x, _mm_and_si128(keep, _mm_set1_epi8(0x20)));
	_mm_storeu_si128((__m128i *)(void *)b->fold, x); /* read only when the word is new */
	uint64_t head = (uint64_t)_mm_cvtsi128_si64(x),
		 head2 = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(x, x));
	*k = add_word(b, len, word_hash16(head, head2, len), head, head2, rec);
	return true;
}
#endif

/* add_one for an ASCII word p[0..len) of at most 8 bytes with 8 bytes to read at p: loaded,
 * folded and masked in one register, which is its key in slots8. False for a word with a
 * non-ASCII byte (add_one takes it). */
static inline bool add_short8(struct words_build *b, const unsigned char *p, size_t len,
			      uint32_t rec, uint32_t *k)
{
	static const uint64_t keep8[9] = {0,
					  0xffull,
					  0xffffull,
					  0xffffffull,
					  0xffffffffull,
					  0xffffffffffull,
					  0xffffffffffffull,
					  0xffffffffffffffull,
					  ~0ull};
	uint64_t x;
	memcpy(&x, p, 8);
	x = (x | 0x2020202020202020ull) & keep8[len];
	if (x & 0x8080808080808080ull)
		return false;
	*k = add_word8(b, x, len, rec);
	return true;
}

/* A word s[a, a + len) of the text s[0..n) for record rec, with 16 bytes to read at s + a
 * (words_add's copy); its number, 0 for word 0. */
static inline __attribute__((always_inline)) uint32_t
add_any(struct words_build *b, const unsigned char *s, size_t n, size_t a, size_t len, uint32_t rec)
{
	uint32_t k;
	if (len <= 8) {
		if (add_short8(b, s + a, len, rec, &k))
			return k;
	}
#ifdef __SSE2__
	else if (len <= 16 && add_short(b, s, a, len, rec, &k))
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
	uint32_t w[5]; /* the last five words (0 for none), the newest last */
	bool sp[4];    /* sp[i]: w[i] and w[i + 1] apart by a single space */
};

/* Rare word k's record rec has the words around it c[0..4) (words_ctxs). */
static void ctx_note(struct words_build *b, uint32_t k, uint32_t rec, const uint32_t *c)
{
	if (k >= b->capctx) {
		size_t cap = b->capctx ? b->capctx : 1024;
		while (cap <= k)
			cap *= 2;
		b->ctx = xrealloc(b->ctx, cap * sizeof *b->ctx);
		memset(b->ctx + b->capctx, 0, (cap - b->capctx) * sizeof *b->ctx);
		b->capctx = cap;
	}
	struct words_ctxs *x = &b->ctx[k];
	if (x->n == WORDS_CTX_MIXED)
		return;
	if (x->n && x->e[x->n - 1].rec == rec) {
		struct words_ctx1 *e = &x->e[x->n - 1];
		if (e->c[0] != WORDS_CTX_MIXED && memcmp(e->c, c, sizeof e->c))
			e->c[0] = WORDS_CTX_MIXED;
		return;
	}
	if (x->n == DAYINDEX_RARE_WORD) { /* common: none kept */
		free(x->e);
		*x = (struct words_ctxs){WORDS_CTX_MIXED, 0, NULL};
		return;
	}
	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 2;
		x->e = xrealloc(x->e, x->cap * sizeof *x->e);
	}
	x->e[x->n].rec = rec;
	memcpy(x->e[x->n++].c, c, 4 * sizeof *c);
}

/* Word k of a field after at's words, single when a single space is between them (k 0 and not
 * single past the field's last word): the word two before it now has its four around it. */
static void ctx_push(struct words_build *b, struct words_at *at, uint32_t k, bool single,
		     uint32_t rec)
{
	memmove(at->w, at->w + 1, 4 * sizeof *at->w);
	memmove(at->sp, at->sp + 1, 3 * sizeof *at->sp);
	at->w[4] = k;
	at->sp[3] = single;
	if (!at->w[2])
		return;
	uint32_t c[4] = {at->sp[0] && at->sp[1] ? at->w[0] : 0, at->sp[1] ? at->w[1] : 0,
			 at->sp[2] ? at->w[3] : 0, at->sp[2] && at->sp[3] ? at->w[4] : 0};
	ctx_note(b, at->w[2], rec, c);
}

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
	bool gap = a != at->pz + 1 || s[at->pz] != ' ';
	if (at->pw && k) {
		p = add_pair(b, at->pw, k, gap, rec);
		if (at->pp && p)
			add_triple(b, at->pp, p, rec);
	}
	ctx_push(b, at, k, !gap, rec);
	at->pw = k;
	at->pz = z;
	at->pp = p;
}

/* words_add's loop, made twice by the compiler (inlined by force: gcc 12 made one function of
 * both calls, and tested pairs at every word): pairs is a constant in each call, so a tail
 * segment's (no pairs, every batch's) keeps no word before and tests nothing for a pair. wide:
 * the block's mask by AVX2 (add_words_avx2, its only caller with wide). */
static inline __attribute__((always_inline)) void add_words(struct words_build *b,
							    const unsigned char *s, size_t n,
							    uint32_t rec, bool pairs, bool wide)
{
	size_t open = SIZE_MAX;	  /* the start of a word that runs into this block */
	struct words_at at = {0}; /* with pairs: the words before */
	for (size_t base = 0; base < n; base += 64) {
		uint64_t w;
#ifdef WORDS_AVX2
		if (wide)
			w = word_mask64_avx2(s + base);
		else
#endif
			w = word_mask64(s + base, 64); /* zeros past n: no word bytes */
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
	if (pairs) { /* the field's last two words have none after them */
		ctx_push(b, &at, 0, false, rec);
		ctx_push(b, &at, 0, false, rec);
	}
}

#ifdef WORDS_AVX2
/* add_words compiled for a CPU with AVX2 and BMI: the block's mask 32 bytes a step, and BMI's
 * one instruction for a count of trailing zeros and for a bit taken off (callgrind, a batch of
 * 1,000 direct spans: the tail's words 8.59M -> 7.49M). */
__attribute__((target("avx2,bmi"))) static void
add_words_avx2(struct words_build *b, const unsigned char *s, size_t n, uint32_t rec, bool pairs)
{
	if (pairs)
		add_words(b, s, n, rec, true, true);
	else
		add_words(b, s, n, rec, false, true);
}

bool words_wide(void)
{
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi");
}
#else
bool words_wide(void)
{
	return false;
}
#endif

/* The words of p[0..n), 64 bytes a block: the block's word bytes as a mask (word_mask64), its
 * words' starts and ends as the bits where the mask turns on and off, taken in order with a
 * count of trailing zeros (it was two tests of a table per byte, and a branch that missed at
 * each word's end). A word open at a block's end runs on into the next. With pairs, each word
 * after the first makes a pair with the one before it, and each pair after the first a triple
 * with the one before it. */
void words_add(struct words_build *b, const char *p, size_t n, uint32_t rec)
{
	/* Copied with WORDS_PAD zeros past it, so that every word has 16 bytes to load at its
	 * start and every block 64 (a word near the value's end took add_one's loop). */
	if (b->copycap < n + WORDS_PAD) {
		b->copycap = n + WORDS_PAD > 2 * b->copycap ? n + WORDS_PAD : 2 * b->copycap;
		free(b->copy);
		b->copy = xmalloc(b->copycap);
	}
	memcpy(b->copy, p, n);
	memset(b->copy + n, 0, WORDS_PAD);
#ifdef WORDS_AVX2
	if (b->wide) {
		if (b->pairs)
			add_words_avx2(b, b->copy, n, rec, true);
		else
			add_words_avx2(b, b->copy, n, rec, false);
		return;
	}
#endif
	if (b->pairs)
		add_words(b, b->copy, n, rec, true, false);
	else
		add_words(b, b->copy, n, rec, false, false);
}

void words_add_any(struct words_build *b, uint32_t rec)
{
	add_rec(&b->w[0].p, rec);
}

void words_add_line(struct words_build *b, const char *p, size_t n, uint32_t rec)
{
	size_t pos = 0;
	struct jline_member f;
	while (jline_next(p, n, &pos, &f))
		if (words_field(f.k, f.kn))
			words_add(b, f.v, f.vn, rec);
}

/* A table's entries, their room and their lists' room. */
static size_t tab_bytes(const struct words_tab *t)
{
	size_t n = t->cap * sizeof *t->p + t->nslots * sizeof *t->slots;
	for (size_t k = 0; k < t->n; k++)
		n += t->p[k].p.pcap;
	return n;
}

size_t words_build_bytes(const struct words_build *b)
{
	size_t n = sizeof *b + b->blob.cap + b->capw * sizeof *b->w + b->nslots * sizeof *b->slots +
		   b->nslots8 * sizeof *b->slots8 + b->copycap + tab_bytes(&b->pt) +
		   (b->pairs ? tab_bytes(&b->tt) : 0) + b->capctx * sizeof *b->ctx;
	for (size_t k = 0; k < b->nw; k++)
		n += b->w[k].p.pcap;
	for (size_t k = 0; k < b->capctx; k++)
		n += b->ctx[k].cap * sizeof *b->ctx[k].e;
	return n;
}

uint64_t words_triple_bound(size_t nrecs)
{
	size_t share = nrecs / DAYINDEX_TRIPLE_SHARE;
	return share > DAYINDEX_RARE_WORD ? share : DAYINDEX_RARE_WORD;
}

/* ---- merging sections (words_read.c, words_merge) ---- */

/* As add_one once a word of text is folded: the records of one too long or past the
 * dictionary's bound to word 0. */
size_t words_add_folded(struct words_build *b, const char *s, size_t n, bool any, const uint32_t *r,
			size_t nr)
{
	uint32_t k = 0;
	size_t had = 0;
	if (!any && n <= 8) {
		uint64_t head = head8(s, n);
		const struct words_slot8 *sl = word_find8(b, head);
		if (sl->head)
			had = b->w[k = sl->k].p.pcap;
		else if ((k = add_new8(b, head, n, (size_t)(sl - b->slots8), r[0])))
			r++, nr--; /* its first record added */
	} else if (!any && n <= DAYINDEX_MAX_WORD) {
		memcpy(b->fold, s, n);
		memset(b->fold + n, 0, 8);
		uint64_t head = head8(b->fold, n), head2 = n > 8 ? head8(b->fold + 8, n - 8) : 0;
		uint64_t h = n > 16 ? hash_mem(b->fold, n) : word_hash16(head, head2, n);
		const struct words_slot *sl = word_find(b, n, h, head, head2);
		if (sl->len)
			had = b->w[k = sl->k].p.pcap;
		else if ((k = add_new(b, n, h, head, head2, (size_t)(sl - b->slots), r[0])))
			r++, nr--; /* its first record added */
	}
	if (!k)
		had = b->w[0].p.pcap;
	for (size_t j = 0; j < nr; j++)
		add_rec(&b->w[k].p, r[j]);
	return b->w[k].p.pcap - had;
}
