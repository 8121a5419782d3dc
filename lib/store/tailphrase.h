/* tailphrase: the pairs and triples of words of a day's tail, which a worker builds from the
 * tail's lines a step per search and keeps with the tail's merged words (tailtext.c), so that a
 * phrase of common words on fresh data reads the lines of the records whose pairs and triples may
 * hold it, as on an indexed day (docs/FORMAT.md, "The tail's pairs of words"). Nothing is written:
 * ingest pays nothing. Private to lib/store. */
#ifndef SPANDEX_STORE_TAILPHRASE_H
#define SPANDEX_STORE_TAILPHRASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/store/store.h"

/* A search tokenises at most this many bytes of the tails' lines, over all its days, into their
 * kept pairs (the newest days it visits first), so that a store's first phrase searches share
 * the build: words, pairs and triples cost about 15-50 ns a byte of bench/gen's lines on this
 * project's loaded 2-CPU machines, so 1-4 s more for a search that builds
 * (BENCHMARKS-HISTORY.md, "The tail's pairs of words"); a search of no phrase builds nothing. */
#define TAILPHRASE_STEP_BYTES (128u << 20)
/* Once built to the tail's end, the records tokenised are rendered (as a .tix's text section) as
 * a part of the pairs, asked from then on, and the build begun again past them; the records
 * past the last part are rendered as the next once they are this share of those before (1/32:
 * records past the parts, whose words' candidates the lines decide, stay under 3% of the tail,
 * and the parts of a tail grown from one record to n number at most 32 ln(n)). */
#define TAILPHRASE_PART_SHARE 32

struct tailphrase;
/* Pairs of the records from from on, none built yet. */
struct tailphrase *tailphrase_new(size_t from);
void tailphrase_free(struct tailphrase *p);
/* Its bytes, counted with the tail's mapping (mapcache_aux_size): the build and the parts. */
size_t tailphrase_bytes(const struct tailphrase *p);
/* Whether terms[0..nterms) hold a phrase: a term of two words or more, which pairs narrow. */
bool tailphrase_wanted(const char *const *terms, size_t nterms);
/* A step of the build: the lines of sh's records past those built, up to *left bytes (a query's
 * budget over its days, taken down by the bytes read; SIZE_MAX: not begun, set to
 * TAILPHRASE_STEP_BYTES first; left NULL: that budget for this call alone) and records n at
 * most, then a part rendered when built to n (and due). */
void tailphrase_step(struct tailphrase *p, struct shard *sh, size_t n, size_t *left);
/* The records the parts answer for: [from, the returned), from when none. */
size_t tailphrase_covered(const struct tailphrase *p);
/* all and *yes (bits of the day's records, n of them; *yes NULL: none sure) narrowed by the
 * parts for the records they cover: a record they rule out is taken out of all, one they
 * know holds every term is put in *yes (made when NULL). False when they cannot say (a term of
 * no word): all and *yes untouched. */
bool tailphrase_narrow(const struct tailphrase *p, const char *const *terms, size_t nterms,
		       uint64_t *all, uint64_t **yes, size_t n);
/* The bytes a test hook's variable name holds (a test's step), else dflt. */
size_t tailphrase_env_bytes(const char *name, size_t dflt);

#endif
