/* postings: the coding of one list of records (a word's, a pair's, a triple's) of a text index
 * (docs/FORMAT.md, "The text and field index"): LEB128 deltas, a bit per record, and (a .tix of
 * version 11) an Elias-Fano sequence and the relative forms, written in the shortest form and
 * read back into an array or a set of records. Private to lib/store (words.c, words_render.c,
 * words_read.c, words_ctx.c, words_merge.c). */
#ifndef SPANDEX_STORE_POSTINGS_H
#define SPANDEX_STORE_POSTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/base/bits.h"
#include "lib/base/buf.h"
#include "lib/store/words.h"

/* An exact list of n records r (of a section of nrecs) in the shortest of version 11's forms
 * (words.h, WORDS_FORM_EF), appended to out with flag in its form byte: its LEB128 bytes
 * leb[0..leblen), a bit per record, Elias-Fano; and with a base (its records base[0..nb), which
 * hold all of r; bflag ORed in for it) a bit per record of the base or the Elias-Fano of the
 * indexes among them. Ties go to the form read fastest (in that order). */
void postings_put_exact(struct buf *out, unsigned char flag, const unsigned char *leb,
			size_t leblen, const uint32_t *r, size_t n, size_t nrecs,
			const uint32_t *base, size_t nb, unsigned char bflag);

/* Where the records of a list go: into out (room for all of them), bits and exact (NULL: not
 * there); n counts them. */
struct postings_sink {
	uint32_t *out;
	size_t n;
	uint64_t *bits, *exact;
};

static inline void postings_put(struct postings_sink *s, uint32_t rec)
{
	if (s->out)
		s->out[s->n] = rec;
	s->n++;
	if (s->bits)
		bits_set(s->bits, rec);
	if (s->exact)
		bits_set(s->exact, rec);
}

/* The records of LEB128 postings post[a, z) (of post_len bytes) into s: false when they are
 * malformed (bounds out of order, a record past nrecs). */
bool postings_leb(const unsigned char *post, size_t post_len, uint64_t a, uint64_t z, size_t nrecs,
		  struct postings_sink *s);
/* The same into bits (nrecs bits; NULL: only checked). */
bool postings_or(const unsigned char *post, size_t post_len, uint64_t a, uint64_t z, uint64_t *bits,
		 size_t nrecs);
/* The count at the head of an Elias-Fano sequence p[0..len), and its bytes into *hl; SIZE_MAX
 * when the head is malformed. */
size_t postings_ef_count(const unsigned char *p, size_t len, size_t *hl);
/* The values of the Elias-Fano sequence p[0..len) of values below u, each mapped through base
 * when not NULL, into s: false when it is malformed. */
bool postings_ef(const unsigned char *p, size_t len, uint64_t u, const uint32_t *base,
		 struct postings_sink *s);
/* The set bits of p[0..(u + 7) / 8), each mapped through base when not NULL, into s. */
bool postings_bits(const unsigned char *p, size_t len, size_t u, const uint32_t *base,
		   struct postings_sink *s);
/* A list of version 11 at post[a, z) (its form byte at a) of a section of nrecs records into s:
 * LIST, BITS or EF; SUB and SUBEF with rel, through base (its nb records; NULL: only checked
 * against nb). False when it is malformed, or of another form (ALL). */
bool postings_exact(const unsigned char *post, size_t len, uint64_t a, uint64_t z, size_t nrecs,
		    bool rel, const uint32_t *base, size_t nb, struct postings_sink *s);
/* The records of such a list counted, then into a new array *r (base NULL: not relative). */
bool postings_exact_recs(const unsigned char *post, size_t len, uint64_t a, uint64_t z,
			 size_t nrecs, const uint32_t *base, size_t nb, uint32_t **r, size_t *n);

/* Word k of view v's records into bits (nrecs bits; NULL: only checked): false when they are
 * malformed (bounds out of order, a record past nrecs). Here, under words_ctx.c and words_read.c,
 * which both read a word's records. */
bool postings_word_or(const struct words_view *v, size_t k, uint64_t *bits, size_t nrecs);

#endif
