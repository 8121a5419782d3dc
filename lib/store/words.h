/* words: the word dictionary of spandex's two text indexes, a day's .tix and the tail segments of
 * its .tdx (docs/FORMAT.md, "The text and field index"): cutting a field's text into words,
 * building a dictionary of folded words with the records holding each, rendering it as a text
 * section, and reading one back: the candidates of free-text terms. Private to lib/store. */
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

/* A dictionary being built: each folded word once, with its records ascending. Word 0 is empty:
 * its records are those every term may match (a word over DAYINDEX_MAX_WORD bytes, a line that
 * could not be read, a word past DAYINDEX_MAX_WORDS). */
struct words_word;
struct words_build {
	struct buf blob; /* the words, each followed by '\n' */
	struct words_word *w;
	size_t nw, capw;
	uint64_t *slots; /* 0 free, else a hash tag over 1 + word index (words.c) */
	size_t nslots;
	char fold[DAYINDEX_MAX_WORD + 8]; /* a word folded, zero-padded to 8 bytes past it */
};
void words_init(struct words_build *b);
void words_free(struct words_build *b);
/* The words of a field's value p[0..n) as the line stores it (JSON text, so an escape's letter
 * joins the word after it, as it does for the search), for record rec. Records are added in
 * ascending order. */
void words_add(struct words_build *b, const char *p, size_t n, uint32_t rec);
/* Record rec may match every term (its line could not be read). */
void words_add_any(struct words_build *b, uint32_t rec);
/* The text section, appended to out (each part padded to 8 bytes): the words; their start
 * offsets (uint32, nwords + 1); the offsets of their postings (uint64, nwords + 1); the
 * postings: record numbers ascending, each the LEB128 varint of its distance from the one
 * before minus one (the first: itself). */
void words_render(const struct words_build *b, struct buf *out);

/* A text section read back, its parts checked against the bytes that hold it. */
struct words_view {
	const char *blob;
	size_t blob_len, nwords;
	const uint32_t *starts;
	const uint64_t *poffs;
	const unsigned char *post;
	size_t post_len;
	size_t len; /* bytes of the whole section */
};
/* The section at p[0..n) of nwords words and blob_len bytes of words into v; false when its
 * parts do not fit in n bytes or its first offsets are wrong. */
bool words_open(struct words_view *v, const void *p, size_t n, size_t nwords, size_t blob_len);
/* Word k's records into bits (nrecs bits): false when they are malformed (bounds out of order,
 * a record past nrecs). */
bool words_or(const struct words_view *v, size_t k, uint64_t *bits, size_t nrecs);
/* The records of nrecs that may hold every one of terms[0..nterms) (store_dayindex_text): *bits,
 * and *sure (NULL unless every term is one word) those that do. ST_NOT_FOUND when no term has
 * a letter or digit, or a posting list is malformed. */
enum status words_terms(const struct words_view *v, const char *const *terms, size_t nterms,
			size_t nrecs, uint64_t **bits, uint64_t **sure);
/* The first malformed word (its bounds, its terminator, its postings), or SIZE_MAX. */
size_t words_check(const struct words_view *v, size_t nrecs);

#endif
