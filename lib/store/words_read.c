/* words_read: a text section read back (words.h): its words and pairs, and the candidates of
 * free-text terms and phrases. */
#include "lib/store/words.h"

#include "lib/store/postings.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/bits.h"
#include "lib/base/mem.h"
#include "lib/base/utf8.h"

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* Key j of keys (v->kw bytes each), as a 64-bit key (words.h, WORDS_PAIR_GAP). */
static inline uint64_t key_of(const struct words_view *v, const unsigned char *keys, size_t j)
{
	uint64_t x = 0;
	if (v->kw == 8) {
		memcpy(&x, keys + 8 * j, 8);
		return x;
	}
	memcpy(&x, keys + WORDS_KEY6 * j, WORDS_KEY6);
	return words_key6_unpack(x);
}

/* The bytes of n + 1 offsets of v, padded to 8. */
static size_t offs_len(const struct words_view *v, size_t n)
{
	return pad8(v->ow * (n + 1));
}

/* The pairs' part at p[0..n) into v: their number, (with a rare bound) the bound, keys, offsets
 * and postings. */
static bool open_pairs(struct words_view *v, const char *p, size_t n, bool bound)
{
	uint64_t np;
	size_t head = bound ? 16 : 8;
	if (n < head + 8)
		return false;
	memcpy(&np, p, sizeof np);
	if (bound)
		memcpy(&v->rare, p + 8, sizeof v->rare);
	if (np < 1 || np > WORDS_MAX_PAIRS || (n - head) / (v->kw + v->ow) < np + 1)
		return false;
	size_t at = pad8(v->kw * (size_t)np) + head + offs_len(v, np);
	if (at > n)
		return false;
	v->pkeys = (const unsigned char *)p + head;
	v->ppoffs = v->pkeys + pad8(v->kw * (size_t)np);
	v->ppost = (const unsigned char *)p + at;
	v->ppost_len = words_off_at(v, v->ppoffs, np);
	if (key_of(v, v->pkeys, 0) != 0 || words_off_at(v, v->ppoffs, 0) != 0 ||
	    v->ppost_len > n - at)
		return false;
	v->npairs = np;
	v->len += at + pad8(v->ppost_len);
	return true;
}

/* The triples' part at p[0..n) into v: their number, bound, keys, offsets and postings. */
static bool open_triples(struct words_view *v, const char *p, size_t n)
{
	uint64_t nt;
	if (n < 24)
		return false;
	memcpy(&nt, p, sizeof nt);
	memcpy(&v->tbound, p + 8, sizeof v->tbound);
	if (nt < 1 || nt > WORDS_MAX_TRIPLES + 1 || (n - 16) / (v->kw + v->ow) < nt + 1)
		return false;
	size_t at = pad8(v->kw * (size_t)nt) + 16 + offs_len(v, nt);
	if (at > n)
		return false;
	v->tkeys = (const unsigned char *)p + 16;
	v->tpoffs = v->tkeys + pad8(v->kw * (size_t)nt);
	v->tpost = (const unsigned char *)p + at;
	v->tpost_len = words_off_at(v, v->tpoffs, nt);
	if (key_of(v, v->tkeys, 0) != 0 || words_off_at(v, v->tpoffs, 0) != 0 ||
	    v->tpost_len > n - at)
		return false;
	v->ntri = nt;
	v->len += at + pad8(v->tpost_len);
	return true;
}

bool words_open(struct words_view *v, const void *p, size_t n, size_t nwords, size_t blob_len,
		enum words_pairs pairs)
{
	memset(v, 0, sizeof *v);
	v->ow = v->kw = 8;
	size_t head = 0;
	if (pairs >= WORDS_PAIRS_COMPACT) { /* version 11: the offsets' bytes, then zero */
		uint32_t h[2];
		if (n < sizeof h)
			return false;
		memcpy(h, p, sizeof h);
		if ((h[0] != 4 && h[0] != 8) || h[1])
			return false;
		v->ow = h[0];
		v->kw = WORDS_KEY6;
		v->compact = true;
		head = sizeof h;
	}
	if (nwords < 1 || nwords > DAYINDEX_MAX_WORDS || blob_len > n - head)
		return false;
	size_t at = head + pad8(blob_len), need = at + pad8(4 * (nwords + 1)) + offs_len(v, nwords);
	if (need > n)
		return false;
	v->blob = (const char *)p + head;
	v->blob_len = blob_len;
	v->nwords = nwords;
	v->starts = (const uint32_t *)(const void *)((const char *)p + at);
	v->poffs = (const char *)p + at + pad8(4 * (nwords + 1));
	v->post = (const unsigned char *)p + need;
	v->post_len = words_off_at(v, v->poffs, nwords);
	if (v->post_len > n - need || v->starts[0] != 0 || v->starts[nwords] != blob_len ||
	    words_off_at(v, v->poffs, 0) != 0)
		return false;
	v->len = need + pad8(v->post_len);
	if (v->len > n)
		return false;
	if (pairs == WORDS_PAIRS_NONE)
		return true;
	if (!open_pairs(v, (const char *)p + v->len, n - v->len, pairs != WORDS_PAIRS_EVERY))
		return false;
	v->rare_common = pairs >= WORDS_PAIRS_RARE;
	if (pairs >= WORDS_PAIRS_TRIPLES && !open_triples(v, (const char *)p + v->len, n - v->len))
		return false;
	return pairs < WORDS_PAIRS_CTX || words_ctx_open(v, (const char *)p + v->len, n - v->len);
}

bool words_blob_ok(const struct words_view *v)
{
	if (v->nwords < 1 || v->starts[0] != 0 || v->starts[1] != 1 || v->blob_len < 1)
		return false;
	for (size_t k = 0; k < v->nwords; k++) {
		uint32_t a = v->starts[k], z = v->starts[k + 1];
		if (a >= z || z > v->blob_len || v->blob[z - 1] != '\n')
			return false;
	}
	return true;
}

/* Word k's records (version 11) into a new array. */
static bool word_recs(const struct words_view *v, size_t k, size_t nrecs, uint32_t **r, size_t *n)
{
	return postings_exact_recs(v->post, v->post_len, words_off_at(v, v->poffs, k),
				   words_off_at(v, v->poffs, k + 1), nrecs, NULL, 0, r, n);
}

/* The records of a pair's or triple's postings post[a, z) (of len bytes) into bits, in their form
 * (words.h, WORDS_PAIR_LIST), and into exact (when not NULL) those that hold it: all of them but
 * when they are every record as its candidates (WORDS_PAIR_ALL), which do not all hold it. With
 * bits NULL the postings are only checked: a check of every key must not fill nrecs bits a key
 * (a day of 552k spans has as many triples of the every-record forms: quadratic). Before version
 * 11. */
static bool form_or(const unsigned char *post, size_t len, uint64_t a, uint64_t z, uint64_t *bits,
		    size_t nrecs, uint64_t *exact)
{
	uint64_t bytes = (nrecs + 7) / 8;
	if (a >= z || z > len)
		return false;
	const unsigned char *p = post + a + 1;
	switch (post[a] & ~WORDS_PAIR_TRIPLED) {
	case WORDS_PAIR_LIST:
		return postings_or(post, len, a + 1, z, bits, nrecs) &&
		       (!exact || postings_or(post, len, a + 1, z, exact, nrecs));
	case WORDS_PAIR_ALL:
		for (size_t i = 0; bits && z == a + 1 && i < nrecs; i++)
			bits_set(bits, i);
		return z == a + 1;
	case WORDS_PAIR_SUB: /* read by tri_sub: taken here as every record, a candidate */
		for (size_t i = 0; bits && z - a - 1 <= WORDS_SUB_BYTES && i < nrecs; i++)
			bits_set(bits, i);
		return z - a - 1 <= WORDS_SUB_BYTES;
	case WORDS_PAIR_BITS:
		if (z - a - 1 != bytes || (nrecs % 8 && p[bytes - 1] >> nrecs % 8))
			return false;
		for (size_t i = 0; bits && i < bytes; i++) {
			bits[i / 8] |= (uint64_t)p[i] << (8 * (i % 8));
			if (exact)
				exact[i / 8] |= (uint64_t)p[i] << (8 * (i % 8));
		}
		return true;
	default:
		return false;
	}
}

static size_t pair_find(const struct words_view *v, uint32_t a, uint32_t b, bool gap);

/* The base of a relative list of version 11 (words.h, WORDS_FORM_BASE2) of pair j: the word it
 * names; of triple j (triple true): the pair, the first or the one of its second and third word.
 * SIZE_MAX when there is none. */
static size_t base_of(const struct words_view *v, bool triple, size_t j, unsigned char fb)
{
	bool second = fb & WORDS_FORM_BASE2;
	if (!triple) {
		uint64_t key = key_of(v, v->pkeys, j);
		size_t k = second ? (size_t)(key & ~(uint64_t)WORDS_PAIR_GAP & UINT32_MAX)
				  : (size_t)(key >> 32);
		return k < v->nwords ? k : SIZE_MAX;
	}
	uint64_t key = key_of(v, v->tkeys, j);
	size_t p1 = (size_t)(key >> 32);
	if (p1 >= v->npairs)
		return SIZE_MAX;
	if (!second)
		return p1;
	uint32_t b = (uint32_t)(key_of(v, v->pkeys, p1) & ~(uint64_t)WORDS_PAIR_GAP);
	size_t j2 =
	    pair_find(v, b, (uint32_t)(key & ~(uint64_t)WORDS_PAIR_GAP), key & WORDS_PAIR_GAP);
	return j2 < v->npairs ? j2 : SIZE_MAX;
}

static bool pair_recs(const struct words_view *v, size_t j, size_t nrecs, uint32_t **r, size_t *n);

/* List j of a part (triple: the triples', else the pairs'): its postings' bytes *post (of *len)
 * and its bounds [*a, *z) there; false when they are out of range or hold no form byte. */
static bool part_list(const struct words_view *v, bool triple, size_t j, const unsigned char **post,
		      size_t *len, uint64_t *a, uint64_t *z)
{
	const void *offs = triple ? v->tpoffs : v->ppoffs;
	*post = triple ? v->tpost : v->ppost;
	*len = triple ? v->tpost_len : v->ppost_len;
	*a = words_off_at(v, offs, j);
	*z = words_off_at(v, offs, j + 1);
	return *a < *z && *z <= *len;
}

/* Pair j's (triple j's, triple true) list of version 11 into s, through its base's records when
 * relative (made here); ALL as form_or. */
static bool compact_read(const struct words_view *v, bool triple, size_t j, size_t nrecs,
			 struct postings_sink *s)
{
	const unsigned char *post;
	size_t len;
	uint64_t a, z;
	if (!part_list(v, triple, j, &post, &len, &a, &z))
		return false;
	unsigned form = post[a] & WORDS_FORM_MASK;
	if (form == WORDS_PAIR_ALL) {
		if (s->bits && z == a + 1) { /* every record: a word at a time */
			memset(s->bits, 0xff, nrecs / 64 * sizeof *s->bits);
			if (nrecs % 64)
				s->bits[nrecs / 64] |= (1ull << nrecs % 64) - 1;
		}
		return z == a + 1;
	}
	if (form != WORDS_PAIR_SUB && form != WORDS_FORM_SUBEF)
		return postings_exact(post, len, a, z, nrecs, false, NULL, 0, s);
	size_t bk = base_of(v, triple, j, post[a]), nb;
	uint32_t *base;
	if (!j || bk == SIZE_MAX || (triple && !bk) ||
	    !(triple ? pair_recs(v, bk, nrecs, &base, &nb) : word_recs(v, bk, nrecs, &base, &nb)))
		return false;
	bool ok = postings_exact(post, len, a, z, nrecs, true, base, nb, s);
	free(base);
	return ok;
}

/* Pair j's records (version 11, not ALL) into a new array. */
static bool pair_recs(const struct words_view *v, size_t j, size_t nrecs, uint32_t **r, size_t *n)
{
	struct postings_sink s = {NULL, 0, NULL, NULL};
	*r = NULL;
	*n = 0;
	uint64_t a = words_off_at(v, v->ppoffs, j);
	if (a >= v->ppost_len || (v->ppost[a] & WORDS_FORM_MASK) == WORDS_PAIR_ALL ||
	    !compact_read(v, false, j, nrecs, &s))
		return false;
	struct postings_sink t = {xmalloc((s.n ? s.n : 1) * sizeof(uint32_t)), 0, NULL, NULL};
	if (!compact_read(v, false, j, nrecs, &t)) {
		free(t.out);
		return false;
	}
	*r = t.out;
	*n = t.n;
	return true;
}

/* Pair j's records into bits (and exact), as form_or. */
static bool pair_or(const struct words_view *v, size_t j, uint64_t *bits, size_t nrecs,
		    uint64_t *exact)
{
	if (v->compact) {
		struct postings_sink s = {NULL, 0, bits, exact};
		return compact_read(v, false, j, nrecs, &s);
	}
	return form_or(v->ppost, v->ppost_len, words_off_at(v, v->ppoffs, j),
		       words_off_at(v, v->ppoffs, j + 1), bits, nrecs, exact);
}

/* Triple j's records into bits (and exact), as form_or. */
static bool tri_or(const struct words_view *v, size_t j, uint64_t *bits, size_t nrecs,
		   uint64_t *exact)
{
	if (v->compact) {
		struct postings_sink s = {NULL, 0, bits, exact};
		return compact_read(v, true, j, nrecs, &s);
	}
	return form_or(v->tpost, v->tpost_len, words_off_at(v, v->tpoffs, j),
		       words_off_at(v, v->tpoffs, j + 1), bits, nrecs, exact);
}

/* The words that hold run c[0..m) (a run of word bytes as typed): at their start when left, at
 * their end when right (the term has more past that side of the run, so the text's word ends
 * there); their numbers ascending into *ks, their count returned. Each word ends in '\n' and
 * follows one (word 0 is empty), so an anchor is a '\n' in the needle. */
static size_t run_words(const struct words_view *v, const char *c, size_t m, bool left, bool right,
			uint32_t **ks)
{
	size_t nk = 0, cap = 16, nm = 0;
	uint32_t *out = xmalloc(cap * sizeof *out);
	char *needle = xmalloc(m + 2), *fold = xmalloc(m + 2);
	if (left)
		needle[nm++] = '\n';
	memcpy(needle + nm, c, m);
	nm += m;
	if (right)
		needle[nm++] = '\n';
	struct utf8_needle nd;
	utf8_needle_init(&nd, needle, nm, fold);
	const size_t nw = v->nwords, blen = v->blob_len;
	for (size_t at = 0; at < blen;) {
		size_t q = utf8_needle_pos(&nd, v->blob + at, blen - at);
		if (q == SIZE_MAX)
			break;
		q += at + left;		/* a byte of the word */
		size_t lo = 0, hi = nw; /* the word holding q: the last start at or before it */
		while (hi - lo > 1) {
			size_t mid = (lo + hi) / 2;
			if (v->starts[mid] <= q)
				lo = mid;
			else
				hi = mid;
		}
		if (nk == cap)
			out = xrealloc(out, (cap *= 2) * sizeof *out);
		out[nk++] = (uint32_t)lo;
		size_t next = v->starts[lo + 1] - left; /* its '\n' may start the next match */
		at = next > at ? next : at + 1;
	}
	free(needle);
	free(fold);
	*ks = out;
	return nk;
}

/* The first of keys[0..n) (ascending) at or after key. */
static size_t key_at(const struct words_view *v, const unsigned char *keys, size_t n, uint64_t key)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (key_of(v, keys, mid) < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The first pair at or after key. */
static size_t pair_at(const struct words_view *v, uint64_t key)
{
	return key_at(v, v->pkeys, v->npairs, key);
}

/* The pair of word a then word b apart as gap says, or v->npairs when the file has none. */
static size_t pair_find(const struct words_view *v, uint32_t a, uint32_t b, bool gap)
{
	uint64_t key = (uint64_t)a << 32 | (gap ? WORDS_PAIR_GAP : 0) | b;
	size_t j = pair_at(v, key);
	return j < v->npairs && key_of(v, v->pkeys, j) == key ? j : v->npairs;
}

/* Whether pair j is common: its triples with another kept pair are kept (version 9). */
static bool pair_tripled(const struct words_view *v, size_t j)
{
	uint64_t a = words_off_at(v, v->ppoffs, j);
	return a < v->ppost_len && (v->ppost[a] & WORDS_PAIR_TRIPLED);
}

/* Whether word k is in at most bound records. Its LEB128 postings take a byte or more a record,
 * at most 5, so only a list of between bound and 5 * bound bytes is counted; version 11's other
 * forms hold their count (an Elias-Fano sequence) or are counted (a bit per record). */
static bool word_within(const struct words_view *v, size_t k, uint64_t bound)
{
	uint64_t a = words_off_at(v, v->poffs, k), z = words_off_at(v, v->poffs, k + 1), n = 0;
	if (v->compact && a < z && z <= v->post_len) {
		unsigned form = v->post[a++] & WORDS_FORM_MASK;
		size_t hl;
		if (form == WORDS_FORM_EF)
			return postings_ef_count(v->post + a, z - a, &hl) <= bound;
		if (form == WORDS_PAIR_BITS)
			return bits_count(v->post + a, z - a) <= bound;
	}
	if (z - a <= bound)
		return true;
	if (z - a > 5 * bound)
		return false;
	for (uint64_t i = a; i < z && n <= bound; i++)
		n += v->post[i] < 0x80;
	return n <= bound;
}

/* Whether word k is rare: in at most v->rare records, so that no pair holds it but (version 10)
 * one after a common word. */
static bool word_rare(const struct words_view *v, size_t k)
{
	return v->rare && word_within(v, k, v->rare);
}

/* Whether every word of ks[0..n) is common (version 10): in more than the triples' bound
 * records, so that its pairs with a rare word after it are kept. */
static bool all_common(const struct words_view *v, const uint32_t *ks, size_t n)
{
	for (size_t i = 0; v->rare_common && i < n; i++)
		if (word_within(v, ks[i], v->tbound))
			return false;
	return v->rare_common && n > 0;
}

/* all_common of ks[0..n), asked once: *memo -1 until it is. */
static bool common_once(const struct words_view *v, const uint32_t *ks, size_t n, int *memo)
{
	if (*memo < 0)
		*memo = all_common(v, ks, n);
	return *memo;
}

/* The records with a pair of a word of ka[0..na) then one of kb[0..nb), apart by one space
 * unless gap, ORed into bits: for each word of ka, its pairs are a range of keys. A rare word
 * has no pairs (DAYINDEX_RARE_WORD) but (version 10) those after a common word: unless every
 * word of ka is common, its own records stand for them, which do not all hold the pair, and are
 * not in exact (as for pair_or). */
static bool pair_bits(const struct words_view *v, const uint32_t *ka, size_t na, const uint32_t *kb,
		      size_t nb, bool gap, uint64_t *bits, uint64_t *exact, size_t n)
{
	uint64_t *inb = xcalloc((v->nwords + 63) / 64, sizeof *inb);
	bool ok = true;
	int acommon = -1; /* every word of ka common: not asked yet */
	for (size_t j = 0; ok && j < nb; j++) {
		bool rare = word_rare(v, kb[j]);
		if (!rare || v->rare_common)
			bits_set(inb, kb[j]);
		if (rare && !common_once(v, ka, na, &acommon))
			ok = postings_word_or(v, kb[j], bits, n);
	}
	for (size_t i = 0; ok && i < na; i++) {
		if (word_rare(v, ka[i])) {
			ok = postings_word_or(v, ka[i], bits, n);
			continue;
		}
		uint64_t key = (uint64_t)ka[i] << 32 | (gap ? WORDS_PAIR_GAP : 0);
		for (size_t j = pair_at(v, key);
		     ok && j < v->npairs && key_of(v, v->pkeys, j) >> 31 == key >> 31; j++) {
			uint32_t w = (uint32_t)(key_of(v, v->pkeys, j) & ~(uint64_t)WORDS_PAIR_GAP);
			if (w < v->nwords && bits_get(inb, w))
				ok = pair_or(v, j, bits, n, exact);
		}
	}
	free(inb);
	return ok;
}

/* A run of a term: where it starts and ends, and the words that may hold it. */
/* A phrase of three runs asks at most this many pairs of the file for its words (the first run's
 * words times the second's times the third's); past it, its triples are not looked at (the
 * pairs still narrow it), so a short run that many words hold costs no more than its pairs. */
#define WORDS_TRIPLE_ASKS 4096

/* The triple of pair j then word c apart as gap says, or v->ntri when the file has none. */
static size_t tri_find(const struct words_view *v, size_t j, uint32_t c, bool gap)
{
	uint64_t key = (uint64_t)j << 32 | (gap ? WORDS_PAIR_GAP : 0) | c;
	size_t t = key_at(v, v->tkeys, v->ntri, key);
	return t < v->ntri && key_of(v, v->tkeys, t) == key ? t : v->ntri;
}

/* Triple t's form (WORDS_PAIR_LIST), or -1 when it has no form byte. */
static int tri_form(const struct words_view *v, size_t t)
{
	uint64_t a = words_off_at(v, v->tpoffs, t), z = words_off_at(v, v->tpoffs, t + 1);
	return a < z && z <= v->tpost_len ? v->tpost[a] & ~WORDS_PAIR_TRIPLED : -1;
}

/* Triple t's records, a bit per record of its second pair j2 (WORDS_PAIR_SUB), ORed into bits
 * and exact; tmp room for a set. False when they are malformed (their length is not that of
 * j2's records). */
static bool tri_sub(const struct words_view *v, size_t t, size_t j2, uint64_t *bits,
		    uint64_t *exact, uint64_t *tmp, size_t n)
{
	size_t words = (n + 63) / 64, i = 0;
	memset(tmp, 0, words * sizeof *tmp);
	if (!pair_or(v, j2, tmp, n, NULL))
		return false;
	const unsigned char *m = v->tpost + words_off_at(v, v->tpoffs, t) + 1;
	size_t len = words_off_at(v, v->tpoffs, t + 1) - words_off_at(v, v->tpoffs, t) - 1;
	for (size_t w = 0; w < words; w++)
		for (uint64_t x = tmp[w]; x; x &= x - 1, i++) {
			size_t rec = 64 * w + (size_t)__builtin_ctzll(x);
			if (i / 8 >= len)
				return false;
			if (!(m[i / 8] >> i % 8 & 1))
				continue;
			bits_set(bits, rec);
			if (exact)
				bits_set(exact, rec);
		}
	return (i + 7) / 8 == len;
}

/* The records of pairs j and j2 both (neither common: each in at most the triples' bound
 * records), ORed into bits; tmp room for two sets. */
static bool pairs_both(const struct words_view *v, size_t j, size_t j2, uint64_t *bits,
		       uint64_t *tmp, size_t n)
{
	size_t words = (n + 63) / 64;
	memset(tmp, 0, 2 * words * sizeof *tmp);
	if (!pair_or(v, j, tmp, n, NULL) || !pair_or(v, j2, tmp + words, n, NULL))
		return false;
	for (size_t w = 0; w < words; w++)
		bits[w] |= tmp[w] & tmp[words + w];
	return true;
}

/* The records with words a, b, then each of r[2]'s words (rare[k] for those in at most the rare
 * bound's records) in a row, apart as g1 and g2 say, ORed into bits (and those known to hold them
 * into exact): a triple of two pairs of which one is common is kept (in every record, not exact,
 * when its list would narrow little), else the records of both pairs stand for it, and a rare
 * word's records for its pairs (but, version 10, for its pair with a common b). */
static bool tri_abc(const struct words_view *v, uint32_t a, uint32_t b, const struct words_run *c,
		    const bool *rare, bool g1, bool g2, uint64_t *bits, uint64_t *exact,
		    uint64_t *tmp, size_t n)
{
	size_t j = pair_find(v, a, b, g1);
	bool ok = true, common = j < v->npairs && all_common(v, &b, 1);
	for (size_t k = 0; ok && j < v->npairs && k < c->nk; k++) {
		if (rare[k] && !common) { /* (version 10: b then c is kept when b is common) */
			ok = postings_word_or(v, c->ks[k], bits, n);
			continue;
		}
		size_t j2 = pair_find(v, b, c->ks[k], g2), t;
		if (j2 == v->npairs)
			continue; /* no record holds b then c */
		if (!pair_tripled(v, j) && !pair_tripled(v, j2))
			ok = pairs_both(v, j, j2, bits, tmp, n);
		else if ((t = tri_find(v, j, c->ks[k], g2)) == v->ntri)
			continue; /* no record holds the three */
		else if (!v->compact && tri_form(v, t) == WORDS_PAIR_SUB)
			ok = tri_sub(v, t, j2, bits, exact, tmp, n);
		else
			ok = tri_or(v, t, bits, n, exact);
	}
	return ok;
}

/* The records with three words in a row, one of each of r[0..3)'s words, apart as g1 and g2 say,
 * ORed into bits (and those known to hold them into exact), as tri_abc; and triple 0's (the
 * records past WORDS_MAX_TRIPLES). *asked false (bits untouched) when the words are too many
 * (WORDS_TRIPLE_ASKS). */
static bool tri_bits(const struct words_view *v, const struct words_run *r, bool g1, bool g2,
		     uint64_t *bits, uint64_t *exact, size_t n, bool *asked)
{
	*asked = v->ntri && r[0].nk * r[1].nk * r[2].nk <= WORDS_TRIPLE_ASKS;
	if (!*asked)
		return true;
	bool *rare = xmalloc((r[2].nk ? r[2].nk : 1) * sizeof *rare);
	uint64_t *tmp = xmalloc((2 * ((n + 63) / 64) + 1) * sizeof *tmp);
	for (size_t k = 0; k < r[2].nk; k++)
		rare[k] = word_rare(v, r[2].ks[k]);
	bool ok = tri_or(v, 0, bits, n, NULL);
	for (size_t i = 0; ok && i < r[0].nk; i++) {
		uint32_t a = r[0].ks[i];
		if (word_rare(v, a)) {
			ok = postings_word_or(v, a, bits, n);
			continue;
		}
		for (size_t k = 0; ok && k < r[1].nk; k++)
			ok = word_rare(v, r[1].ks[k]) ? postings_word_or(v, r[1].ks[k], bits, n)
						      : tri_abc(v, a, r[1].ks[k], &r[2], rare, g1,
								g2, bits, exact, tmp, n);
	}
	free(rare);
	free(tmp);
	return ok;
}

/* all[0..words) &= one[0..words). */
static void and_into(uint64_t *all, const uint64_t *one, size_t words)
{
	for (size_t w = 0; w < words; w++)
		all[w] &= one[w];
}

/* Term s ANDed into all (n records): each run's words, then with pairs each two runs in a row
 * as a pair of words; one is room for a set, any records every term may match. *runs its
 * runs' count, *sure whether the index can know a record holds the term, and then the records
 * it does not know of are taken out of known: with pairs, of a term of two words apart by a
 * space, those of no exact pair (a pair in every record, a rare word's records). */
static bool term_and(const struct words_view *v, const char *s, const uint64_t *any, uint64_t *all,
		     uint64_t *one, uint64_t *known, size_t n, size_t *runs, bool *sure)
{
	size_t len = strlen(s), nr = 0, words = (n + 63) / 64, bytes = words * sizeof *one;
	struct words_run *r = xmalloc((len / 2 + 1) * sizeof *r); /* a run and a byte apart */
	for (size_t at = 0, a; words_next(s, len, &at, &a); nr++)
		r[nr] = (struct words_run){a, at, NULL, 0};
	bool ok = true, *gap = xcalloc(nr + 1, sizeof *gap), spaced = true;
	for (size_t i = 0; i + 1 < nr; i++) {
		gap[i] = r[i + 1].a != r[i].z + 1 || s[r[i].z] != ' ';
		spaced = spaced && !gap[i];
	}
	/* One word, or with pairs two apart by a space, or with triples three: in the record. */
	bool whole = nr && r[0].a == 0 && r[nr - 1].z == len && spaced;
	bool two = whole && nr == 2 && v->npairs, three = whole && nr == 3 && v->ntri;
	bool ctx = whole && nr >= 2 && nr <= 5 && v->nctx; /* version 12 */
	uint64_t *exact = two || three || ctx ? xcalloc(words ? words : 1, sizeof *exact) : NULL;
	for (size_t i = 0; i < nr; i++) {
		bool left = i > 0 || r[i].a > 0, right = i + 1 < nr || r[i].z < len;
		r[i].nk = run_words(v, s + r[i].a, r[i].z - r[i].a, left, right, &r[i].ks);
		memcpy(one, any, bytes);
		for (size_t j = 0; ok && j < r[i].nk; j++)
			ok = postings_word_or(v, r[i].ks[j], one, n);
		and_into(all, one, words);
	}
	for (size_t i = 0; ok && v->npairs && i + 1 < nr; i++) {
		memcpy(one, any, bytes);
		ok = pair_bits(v, r[i].ks, r[i].nk, r[i + 1].ks, r[i + 1].nk, gap[i], one,
			       two ? exact : NULL, n);
		and_into(all, one, words);
	}
	for (size_t i = 0; ok && v->ntri && i + 2 < nr; i++) {
		bool asked;
		memcpy(one, any, bytes);
		ok = tri_bits(v, r + i, gap[i], gap[i + 1], one, three ? exact : NULL, n, &asked);
		if (asked)
			and_into(all, one, words);
		three = three && asked;
	}
	if (ok && ctx)
		ctx = words_ctx_exact(v, r, nr, exact, n);
	if (two || three || ctx)
		and_into(known, exact, words);
	free(exact);
	free(gap);
	*sure = whole && (nr == 1 || two || three || ctx);
	*runs = nr;
	for (size_t i = 0; i < nr; i++)
		free(r[i].ks);
	free(r);
	return ok;
}

enum status words_terms(const struct words_view *v, const char *const *terms, size_t nterms,
			size_t n, uint64_t **out, uint64_t **sure)
{
	*out = *sure = NULL;
	size_t words = (n + 63) / 64, bytes = (words ? words : 1) * sizeof(uint64_t);
	uint64_t *all = xmalloc(bytes), *one = xmalloc(bytes), *any = xcalloc(1, bytes),
		 *known = xmalloc(bytes);
	memset(all, 0xff, bytes);
	memset(known, 0xff, bytes);
	/* The records of word 0 and pair 0 (a word too long to index, a line that could not be
	 * read, a dictionary full) are candidates for every term, never sure. */
	bool ok = postings_word_or(v, 0, any, n) && (!v->npairs || pair_or(v, 0, any, n, NULL));
	bool found = false, whole = true; /* some term has a run; every term is sure */
	for (size_t k = 0; ok && k < nterms; k++) {
		size_t runs;
		bool s;
		ok = term_and(v, terms[k], any, all, one, known, n, &runs, &s);
		found |= runs > 0;
		whole = whole && s;
	}
	if (!ok || !found) { /* damaged postings, or no term with a letter or digit */
		free(all);
		free(one);
		free(any);
		free(known);
		return ST_NOT_FOUND;
	}
	if (whole) {
		for (size_t w = 0; w < words; w++)
			one[w] = all[w] & known[w] & ~any[w];
		*sure = one;
		one = NULL;
	}
	free(one);
	free(any);
	free(known);
	*out = all;
	return ST_OK;
}

/* The records of list j of a part (triple: the triples', else the pairs') of version 11 counted
 * and checked: through its base's count (cnt: the words' for pairs, the pairs' for triples) when
 * relative; ALL (no count) as SIZE_MAX - 1; SIZE_MAX when malformed. */
static size_t compact_count(const struct words_view *v, bool triple, size_t j, size_t nrecs,
			    const size_t *cnt)
{
	const unsigned char *post;
	size_t len;
	uint64_t a, z;
	if (!part_list(v, triple, j, &post, &len, &a, &z))
		return SIZE_MAX;
	unsigned form = post[a] & WORDS_FORM_MASK;
	if (form == WORDS_PAIR_ALL)
		return z == a + 1 && j ? SIZE_MAX - 1 : SIZE_MAX;
	size_t bk = SIZE_MAX, nb = 0;
	if (form == WORDS_PAIR_SUB || form == WORDS_FORM_SUBEF) {
		bk = j ? base_of(v, triple, j, post[a]) : SIZE_MAX;
		if (bk == SIZE_MAX || (triple && !bk) || cnt[bk] >= SIZE_MAX - 1)
			return SIZE_MAX;
		nb = cnt[bk];
	}
	struct postings_sink s = {NULL, 0, NULL, NULL};
	return postings_exact(post, len, a, z, nrecs, bk != SIZE_MAX, NULL, nb, &s) ? s.n
										    : SIZE_MAX;
}

/* Whether a part of n keys (the pairs' or the triples') is well formed: key 0 first, keys
 * ascending, each naming, in its high half, an entry past entry 0 of the na before it (words for
 * pairs, pairs for triples) and, in its low half less the gap bit, a word past word 0 of nw;
 * its postings (offs into post) in range and ascending; version 11's counted into out (the
 * records of each, relative ones through cnt, compact_count), and none checked before. */
static bool keys_check(const struct words_view *v, bool triple, size_t na, size_t nrecs,
		       const size_t *cnt, size_t *out)
{
	const unsigned char *keys = triple ? v->tkeys : v->pkeys;
	size_t n = triple ? v->ntri : v->npairs;
	uint64_t prev = 0;
	for (size_t j = 0; j < n; j++) {
		uint64_t key = key_of(v, keys, j);
		uint64_t a = key >> 32, b = key & ~(uint64_t)WORDS_PAIR_GAP & UINT32_MAX;
		if (j && (key <= prev || !a || a >= na || !b || b >= v->nwords))
			return false;
		if (v->compact && (out[j] = compact_count(v, triple, j, nrecs, cnt)) == SIZE_MAX)
			return false;
		if (!v->compact &&
		    !(triple ? tri_or(v, j, NULL, nrecs, NULL) : pair_or(v, j, NULL, nrecs, NULL)))
			return false;
		prev = key;
	}
	return true;
}

size_t words_check(const struct words_view *v, size_t nrecs)
{
	size_t bad = SIZE_MAX;
	size_t *wc = v->compact ? xmalloc(v->nwords * sizeof *wc) : NULL,
	       *pc = v->compact ? xmalloc((v->npairs ? v->npairs : 1) * sizeof *pc) : NULL,
	       *tc = v->compact ? xmalloc((v->ntri ? v->ntri : 1) * sizeof *tc) : NULL;
	for (size_t k = 0; bad == SIZE_MAX && k < v->nwords; k++) {
		struct postings_sink s = {NULL, 0, NULL, NULL};
		if (v->starts[k] >= v->starts[k + 1] || v->starts[k + 1] > v->blob_len ||
		    v->blob[v->starts[k + 1] - 1] != '\n' ||
		    (!v->compact && !postings_word_or(v, k, NULL, nrecs)) ||
		    (v->compact &&
		     !postings_exact(v->post, v->post_len, words_off_at(v, v->poffs, k),
				     words_off_at(v, v->poffs, k + 1), nrecs, false, NULL, 0, &s)))
			bad = k;
		if (wc)
			wc[k] = s.n;
	}
	if (bad == SIZE_MAX &&
	    (!keys_check(v, false, v->nwords, nrecs, wc, pc) ||
	     !keys_check(v, true, v->npairs, nrecs, pc, tc) || !words_ctx_check(v, wc)))
		bad = v->nwords;
	free(wc);
	free(pc);
	free(tc);
	return bad;
}
