/* words: the word dictionary of spandex's two text indexes, a day's .tix and the tail segments of
 * its .tdx (docs/FORMAT.md, "The text and field index"): cutting a field's text into words,
 * building a dictionary of folded words with the records holding each, and (a .tix's) of the
 * pairs of words next to each other with the records holding each pair, rendering them as a text
 * section, and reading one back (words_read.c): the candidates of free-text terms and phrases.
 * Private to lib/store. */
#ifndef SPANDEX_STORE_WORDS_H
#define SPANDEX_STORE_WORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/base/buf.h"
#include "lib/store/store.h"

/* The next word of s[*at..n): a run of ASCII letters and digits and non-ASCII bytes, [*a, *at)
 * after the call. False when there is none. The terms are cut by it, the indexed text by
 * words_add, both by the one test of a word byte (words.c, word_byte). */
bool words_next(const char *s, size_t n, size_t *at, size_t *a);
/* Whether top-level key k[0..kn) of a span line is one whose words are indexed: a text field
 * of lib/model/fields.h (name, input, output). */
bool words_field(const char *k, size_t kn);

/* The pairs of a dictionary: at most this many distinct pairs of adjacent words (a day of 16 MB
 * of prose has about a million); a record with a pair past them is in pair 0, a candidate for
 * every phrase. It bounds the build's memory (about 48 bytes a pair) as DAYINDEX_MAX_WORDS does
 * the words'. */
#define WORDS_MAX_PAIRS (4u << 20)
/* A pair's key: its first word's number in the high 32 bits, then WORDS_PAIR_GAP when the two
 * words are apart by anything but one space, then its second word's number. Key 0 is pair 0. */
#define WORDS_PAIR_GAP 0x80000000u
/* The triples of a dictionary (three words in a row, version 9): at most this many distinct ones,
 * as for the pairs (about 48 bytes a triple while building); a record with a triple past them is
 * in triple 0, a candidate for every phrase of three words. */
#define WORDS_MAX_TRIPLES (4u << 20)

/* A dictionary being built: each folded word once, with its records ascending. Word 0 is empty:
 * its records are those every term may match (a word over DAYINDEX_MAX_WORD bytes, a line that
 * could not be read, a word past DAYINDEX_MAX_WORDS). And each pair of words next to each other
 * in a field (their key, above), with its records; pair 0's records are those every phrase may
 * match (a pair past WORDS_MAX_PAIRS). */
/* A word being indexed (words.c; rendered by words_render.c). Most words of a day are rare (ids,
 * numbers, names), so a word's postings start at 8 bytes and double: about 64 bytes a word. */
struct words_post {
	uint32_t last; /* 1 + the last record added, 0 for none */
	uint32_t plen, pcap;
	unsigned char *post;
};
struct words_word {
	uint32_t off, len; /* in blob */
	struct words_post p;
};
/* A slot of the build's table of words: the word's first and second 8 folded bytes (zero-padded),
 * so that a word of up to 16 bytes is found in the slot alone, its hash (kept for the table's
 * growth), its length (0: the slot is free; no word is empty but word 0, which is not in the
 * table) and its number. */
struct words_slot {
	uint64_t head, head2, h;
	uint32_t len, k;
};
/* A slot of the build's table of words of at most 8 bytes (most words of prose; 97% of
 * bench/ingest.mjs's), apart from the longer ones': the word's folded bytes zero-padded (0: the
 * slot is free; no word byte is 0, so they are the word and its length) and its number. A find is
 * one multiply, and a compare a probe; nothing stored holds the table's layout (the dictionary is
 * written in the order its words came, either table's). */
struct words_slot8 {
	uint64_t head;
	uint32_t k, pad;
};
struct words_pair {
	uint64_t key;
	struct words_post p;
};
struct words_pslot {
	uint64_t key;
	uint64_t k; /* the pair's index */
};

/* A table of pairs (or triples) being built: entry 0 first (key 0, not in the slots). */
struct words_tab {
	struct words_pair *p;
	size_t n, cap;
	struct words_pslot *slots; /* key 0 free */
	size_t nslots;
};
/* The words around a rare word (version 12): for each of its records while it is in at most
 * DAYINDEX_RARE_WORD, the words two and one before it and one and two after it in a field, each
 * only when apart by single spaces from it (0 for none), when every occurrence of it in the record
 * has those same four (else the record's c[0] is WORDS_CTX_MIXED). */
#define WORDS_CTX_MIXED UINT32_MAX
struct words_ctx1 {
	uint32_t rec;
	uint32_t c[4];
};
struct words_ctxs {
	uint32_t n, cap; /* n WORDS_CTX_MIXED: in more than DAYINDEX_RARE_WORD records, none kept */
	struct words_ctx1 *e;
};
/* A rare word's four words around it are kept (version 12) when at least this many of its records
 * have them at every occurrence (a phrase of a word in one record reads one line). */
#define WORDS_CTX_MIN 2
/* The bytes of a word's number among the four (DAYINDEX_MAX_WORDS is 1 << 21). */
#define WORDS_CTX_WORD 3
struct words_build {
	struct buf blob; /* the words, each followed by '\n' */
	struct words_word *w;
	size_t nw, capw;
	struct words_slot *slots;   /* words of more than 8 bytes: open addressing on the hash */
	size_t nslots, nlong;	    /* slots, and words in them */
	struct words_slot8 *slots8; /* words of at most 8 bytes (words.c) */
	size_t nslots8, nshort;
	unsigned shift8;     /* 64 - log2(nslots8): a slot is the hash's high bits */
	unsigned char *copy; /* a value copied with room past it (words_add) */
	size_t copycap;
	struct words_tab pt;	/* the pairs: key as above */
	struct words_tab tt;	/* the triples: first pair << 32, second pair */
	bool pairs;		/* pairs and triples built */
	bool wide;		/* words_add's AVX2 path (words.c), unless the test hook says not */
	struct words_ctxs *ctx; /* with pairs: the words around each rare word */
	size_t capctx;
	char fold[DAYINDEX_MAX_WORD + 8]; /* a word folded, zero-padded to 8 bytes past it */
};
/* With pairs, the pairs of words are built and rendered too (a .tix of version 6: those of two
 * words past DAYINDEX_RARE_WORD records), and (version 9) the triples of two pairs, one common; a
 * tail segment has none. */
void words_init(struct words_build *b, bool pairs);
void words_free(struct words_build *b);
/* The words of a field's value p[0..n) as the line stores it (JSON text, so an escape's letter
 * joins the word after it, as it does for the search), for record rec. Records are added in
 * ascending order. */
void words_add(struct words_build *b, const char *p, size_t n, uint32_t rec);
/* Whether words_add takes its AVX2 path on this CPU (a block's mask 32 bytes a step, with BMI;
 * else SSE2's 16): the same words either way. The test hook SPANDEX_TEST_WORDS_NARROW, set when a
 * build starts (words_init), makes it take the other (t/check_query_words.c runs both). */
bool words_wide(void);
/* Record rec may match every term (its line could not be read). */
void words_add_any(struct words_build *b, uint32_t rec);
/* The words of the text fields (words_field) of span line p[0..n) for record rec, each member
 * whose key is one (as a .tix's builder adds them, dayindex.c). */
void words_add_line(struct words_build *b, const char *p, size_t n, uint32_t rec);
/* The bytes b holds: its words, pairs, triples, their tables and lists' room. */
size_t words_build_bytes(const struct words_build *b);
/* The form of a pair's postings, their first byte: the list of its records as a word's follows;
 * or none follows, since the pair is in at least half of the section's records (a phrase's
 * other conditions narrow it, and such a list would cost a byte a record); or a bit per record
 * of the section follows, when that is shorter than the list. */
enum {
	WORDS_PAIR_LIST,
	WORDS_PAIR_ALL,
	WORDS_PAIR_BITS,
	WORDS_PAIR_SUB,
	WORDS_FORM_EF,
	WORDS_FORM_SUBEF
};
/* Version 11 (words_render's compact): every list, a word's too, begins with its form byte and
 * takes the shortest exact form: WORDS_PAIR_LIST, WORDS_PAIR_BITS, or WORDS_FORM_EF, the records
 * as an Elias-Fano sequence over the section's records (words_read.c, ef_read: the count as a
 * LEB128 varint, then the low bits of each record, then its high bits in unary); and a pair's or
 * triple's, relative to the records of its base (its rarer word for a pair, the rarer of its two
 * pairs for a triple, whose records hold all of its own): WORDS_PAIR_SUB, a bit per record of the
 * base, or WORDS_FORM_SUBEF, the Elias-Fano sequence of the indexes among the base's records. The
 * base is the second word (second pair) when WORDS_FORM_BASE2 is set, else the first. */
#define WORDS_FORM_BASE2 0x20
/* The form of a form byte, its flags taken off. */
#define WORDS_FORM_MASK 0x1f
/* A pair's or triple's key in a .tix of version 11 takes 6 bytes, not 8: its high half (a word,
 * under DAYINDEX_MAX_WORDS, or a pair, under WORDS_MAX_PAIRS) << 22, the gap bit << 21, then the
 * word of its low half (under DAYINDEX_MAX_WORDS = 1 << 21), little-endian: the same order. */
#define WORDS_KEY6 6
static inline uint64_t words_key6_pack(uint64_t key)
{
	return (key >> 32) << 22 | (key & WORDS_PAIR_GAP ? 1ull << 21 : 0) |
	       (key & ((1ull << 21) - 1));
}
static inline uint64_t words_key6_unpack(uint64_t x)
{
	return (x >> 22) << 32 | (x >> 21 & 1 ? WORDS_PAIR_GAP : 0) | (x & ((1ull << 21) - 1));
}

/* An Elias-Fano sequence of n values below u keeps the low words_ef_low(n, u) bits of each as they
 * are: the most that keeps n << bits at most u (so its high bits, in unary, take about 2n). */
static inline unsigned words_ef_low(uint64_t n, uint64_t u)
{
	unsigned l = 0;
	while (l < 32 && n << (l + 1) <= u)
		l++;
	return l;
}
/* WORDS_PAIR_SUB (version 10, a triple's only): a bit per record of its second pair, which is in
 * at most DAYINDEX_RARE_WORD records, follows: the i-th of that pair's records holds the triple
 * when bit i (of byte i / 8, from its low bit) is set. At most this many bytes. */
#define WORDS_SUB_BYTES ((DAYINDEX_RARE_WORD + 7) / 8)
/* ORed into a pair's form byte (version 9): the pair is common, in more than the triples' bound
 * records (words_triple_bound), so every triple of it and another kept pair is kept. */
#define WORDS_PAIR_TRIPLED 0x40
/* A section of nrecs records keeps the triples of two kept pairs of which one is in more than
 * this many records: DAYINDEX_TRIPLE_SHARE's share of them, and at least DAYINDEX_RARE_WORD. */
uint64_t words_triple_bound(size_t nrecs);

/* The text section of a section of nrecs records, appended to out (each part padded to 8
 * bytes): the words; their start offsets (uint32, nwords + 1); the offsets of their postings
 * (uint64, nwords + 1); the postings: record numbers ascending, each the LEB128 varint of its
 * distance from the one before minus one (the first: itself). Then with pairs: their number
 * (uint64); the rare bound (uint64: no pair holds a word in at most that many records); their
 * keys ascending (uint64); the offsets of their postings (uint64, npairs + 1); their postings,
 * each in its form (WORDS_PAIR_LIST, with WORDS_PAIR_TRIPLED). Then the triples: their number
 * (uint64, triple 0 included); their bound (uint64, words_triple_bound); their keys ascending
 * (uint64: the first pair's index << 32, then the second pair's gap bit and second word; triple
 * 0, key 0, first); the offsets of their postings (uint64, ntri + 1); their postings, as the
 * pairs'. */
void words_render(const struct words_build *b, size_t nrecs, struct buf *out);
/* The text section of a .tix of version 11: a head (uint32: the bytes of every offset, 4 unless
 * a part's postings pass 4 GiB, then 8; uint32 zero), then the parts as words_render's with
 * those offsets, every list in its shortest form with a form byte (WORDS_FORM_EF); with ctx
 * (version 12), then the words around the rare words: their number (uint64), their words
 * ascending (uint32 each), the offsets of their entries (uint32, n + 1), the entries (each the four
 * words, two before and two after, WORDS_CTX_WORD bytes each little-endian, 0 for none, then a bit
 * per record of the word: the i-th of its records has those four around every occurrence of it
 * when bit i, of byte i / 8 from its low bit, is set), each part padded to 8. */
void words_render_compact(const struct words_build *b, size_t nrecs, bool ctx, struct buf *out);

/* A text section read back, its parts checked against the bytes that hold it. */
struct words_view {
	const char *blob;
	size_t blob_len, nwords;
	const uint32_t *starts;
	const void *poffs; /* uint64 (ow 8) or uint32 (ow 4) */
	unsigned ow;	   /* bytes of an offset */
	bool compact;	   /* version 11: a form byte a list, the shortest form */
	const unsigned char *post;
	size_t post_len;
	size_t npairs; /* 0: a section written before the pairs */
	uint64_t rare; /* a word in at most this many records has no pairs (0: every pair kept) */
	const unsigned char *pkeys; /* kw bytes each (words_key_at) */
	unsigned kw;		    /* 8, or (version 11) WORDS_KEY6 */
	const void *ppoffs;
	const unsigned char *ppost;
	size_t ppost_len;
	size_t ntri;	  /* triples, triple 0 included (0: a section written before them) */
	uint64_t tbound;  /* the bound they were kept by (words_triple_bound) */
	bool rare_common; /* a common word's pairs with a rare one after it kept (version 10) */
	const unsigned char *tkeys;
	const void *tpoffs;
	const unsigned char *tpost;
	size_t tpost_len;
	/* Version 12: the nctx rare words with the words around them, ascending (cwords), the
	 * offsets of their entries (coffs, nctx + 1) in cblob[0..cblob_len). */
	size_t nctx;
	const uint32_t *cwords, *coffs;
	const unsigned char *cblob;
	size_t cblob_len;
	size_t len; /* bytes of the whole section */
	/* A dictionary merged from sections (words_view_built): word k's postings are built[k].p's,
	 * as words_render would write them; no pairs. NULL for a section read back. */
	const struct words_word *built;
};

/* Offset k of offs (a view's words', pairs' or triples' offsets), of v->ow bytes each. */
static inline uint64_t words_off_at(const struct words_view *v, const void *offs, size_t k)
{
	return v->ow == 4 ? ((const uint32_t *)offs)[k] : ((const uint64_t *)offs)[k];
}

/* What a text section holds of the pairs: none (a tail segment, a .tix before version 5), every
 * pair (version 5), those of two words past the rare bound the section holds (version 6), or
 * those and the triples of two pairs, one common (version 9), or those and (version 10) the
 * pairs of a common word (in more than the triples' bound records) then a rare one, and so the
 * triples of those pairs, listed when a pair is in at most the rare bound's records. */
enum words_pairs {
	WORDS_PAIRS_NONE,
	WORDS_PAIRS_EVERY,
	WORDS_PAIRS_COMMON,
	WORDS_PAIRS_TRIPLES,
	WORDS_PAIRS_RARE,
	WORDS_PAIRS_COMPACT, /* as WORDS_PAIRS_RARE, in version 11's forms (words_render_compact) */
	WORDS_PAIRS_CTX	     /* and (version 12) the words around the rare words */
};
/* The section at p[0..n) of nwords words and blob_len bytes of words into v, with its pairs
 * as pairs says; false when its parts do not fit in n bytes or its first offsets are wrong. */
bool words_open(struct words_view *v, const void *p, size_t n, size_t nwords, size_t blob_len,
		enum words_pairs pairs);
/* The records of nrecs that may hold every one of terms[0..nterms) (store_dayindex_text): *bits,
 * and *sure (NULL unless every term is one word, or with pairs two words apart by one space
 * and neither rare) those that do. The words of a term's runs must be next to each other, in
 * that order, in a record's pairs, where neither is rare; a rare word's records stand for its
 * pairs. ST_NOT_FOUND when no term has a letter or digit, or a posting list is malformed. */
enum status words_terms(const struct words_view *v, const char *const *terms, size_t nterms,
			size_t nrecs, uint64_t **bits, uint64_t **sure);
/* The words around the rare words (version 12) at p[0..n) into v (words_ctx.c): false when their
 * parts do not fit. */
bool words_ctx_open(struct words_view *v, const char *p, size_t n);
/* Whether they are well formed: their words ascending, each entry in bounds, naming words of the
 * dictionary, with a bit for each record of its word (cnt[k]: word k's records; NULL: not
 * checked). */
bool words_ctx_check(const struct words_view *v, const size_t *cnt);
/* A run of a phrase's term, [a, z) of its bytes, and the words of the dictionary it may be:
 * ks[0..nk) (words_read.c). */
struct words_run {
	size_t a, z;
	uint32_t *ks;
	size_t nk;
};
/* A phrase of nr runs r (2 to 5, apart by single spaces, whole; run j may be any of the words
 * r[j].ks[0..r[j].nk)) anchored at a rare word: when run i is that one word, every other run is
 * within two of it, and the words around it in some of its records are words of the runs at their
 * places, those records hold the phrase (every occurrence of the word in them has those words
 * around it): ORed into exact (n records). Whether any run anchored it. */
bool words_ctx_exact(const struct words_view *v, const struct words_run *r, size_t nr,
		     uint64_t *exact, size_t n);
/* The first malformed word (its bounds, its terminator, its postings), or SIZE_MAX; nwords for
 * malformed pairs (keys out of order or naming no word, their postings). */
size_t words_check(const struct words_view *v, size_t nrecs);

/* Whether v's words are whole: word 0 empty, each word after the one before and ended by its
 * '\n', so that a search of the blob finds each word whole. */
bool words_blob_ok(const struct words_view *v);

/* Merging the sections of a day's tail segments into one dictionary (tailread.c keeps it): */
/* Word s[0..n) of a section's blob (folded already; word 0 when any) for records r[0..nr)
 * (ascending, past those b has of it, at least one), into b (words.c). The bytes its list's
 * room grew by. */
size_t words_add_folded(struct words_build *b, const char *s, size_t n, bool any, const uint32_t *r,
			size_t nr);
/* Adds to b (built without pairs) the words of section v of nrecs records (a tail segment's:
 * no pairs, record numbers counted from 0), each record numbered first + its own, those below
 * lo left out; *bytes grows by the bytes b's lists grew by. False (nothing added) when v is not
 * such a section or a word or list of it is malformed. */
bool words_merge(struct words_build *b, const struct words_view *v, size_t nrecs, uint32_t first,
		 uint32_t lo, size_t *bytes);
/* v as a view of b's words for words_terms (no pairs), starts[0..b->nw] the start of each
 * word in b's blob then the blob's length; valid while b and starts do not change. */
void words_view_built(struct words_view *v, const struct words_build *b, const uint32_t *starts);

#endif
