/* tailphrase: the pairs and triples of words of a day's tail, which a worker builds from the
 * tail's lines while no request waits (store_tail_idle, a bounded step at a time) and keeps
 * apart from the tail's mapping, so that a phrase of common words on fresh data reads the lines
 * of the records whose pairs and triples may hold it, as on an indexed day (docs/FORMAT.md,
 * "The tail's pairs of words"). A search never builds: it asks the parts built so far and reads
 * the lines of the rest, as before. Nothing is written: ingest pays nothing. Private to
 * lib/store. */
#ifndef SPANDEX_STORE_TAILPHRASE_H
#define SPANDEX_STORE_TAILPHRASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/store/store.h"

/* An idle step either tokenises at most this many bytes of a tail's lines into its pairs
 * (words, pairs and triples cost about 30-400 ns a byte on this project's loaded 2-CPU
 * machines, bench/gen's text to prose: a step's p50 7 ms at 1M of bench/gen's text, 50-100 ms
 * on prose at load 9-18), or renders a part (below): a request that comes during a step waits
 * for it (BENCHMARKS-HISTORY.md, "The tail's pairs built between requests": a step's p99 68 ms
 * and 370-900 ms, the longest 230 ms and 590-1,530 ms). */
#define TAILPHRASE_STEP_BYTES (256u << 10)
/* The records tokenised are rendered (as a .tix's text section) as a part of the pairs, asked
 * from then on, and the build begun again past them, once their lines reach this many bytes
 * (so a build holds at most about this much again: every pair and triple of its records, where
 * a part keeps those the rules keep), or once built to the tail's end and they are
 * 1/TAILPHRASE_PART_SHARE of the records before (so the records past the parts, whose
 * candidates the lines decide, stay under 3% of the tail, and a tail grown from one record to n
 * keeps at most 32 ln(n) parts beside its full ones). */
#define TAILPHRASE_PART_BYTES (8u << 20)
#define TAILPHRASE_PART_SHARE 32
/* A search asks a part only when more than 1/TAILPHRASE_ASK_SHARE of its records are candidates
 * after the words (tailphrase_narrow): a look-up decodes the lists of the phrase's common words
 * and pairs, a bit per record of the part, and cost more than reading the lines of a rare word's
 * candidates (1.4% of prose's records: 22-24 ms asked, 8-12 not, as before the pairs;
 * BENCHMARKS-HISTORY.md, "The phrase of a rare word: a part asked only when it may narrow"),
 * while a part's pairs cannot narrow a rare word's records (they stand for its pairs). The
 * lines read past it are at most 1/16 of a tail's, so a phrase stays past 10x `rg`. */
#define TAILPHRASE_ASK_SHARE 16
/* What a worker keeps of every day's pairs, parts and build: past it the days searched longest
 * ago are let go (built again once a phrase asks them). */
#define TAILPHRASE_KEEP_BYTES (512ull << 20)

struct tailphrase;
/* Whether terms[0..nterms) hold a phrase: a term of two words or more, which pairs narrow. */
bool tailphrase_wanted(const char *const *terms, size_t nterms);
/* The pairs this worker keeps of st's ws/day, for a search of sh's records from from on (those
 * before, the .tix's), with the day marked wanted: from now on the idle steps build it (to the
 * records committed then). Parts whose first and last records are not sh's (a reindex or an
 * erasure rewrote the day) are let go. NULL when no part answers for a record of [from,
 * sh->nrecs). */
const struct tailphrase *tailphrase_kept(const struct store *st, const char *ws,
					 const struct shard *sh, size_t from);
/* all and *yes (bits of the day's records, n of them; *yes NULL: none sure) narrowed by the
 * parts for the records from from on they cover: a record they rule out is taken out of all,
 * one they know holds every term is put in *yes (made when NULL). */
void tailphrase_narrow(const struct tailphrase *p, const char *const *terms, size_t nterms,
		       uint64_t *all, uint64_t **yes, size_t from, size_t n);
/* The bytes a test hook's variable name holds (a test's step), else dflt. */
size_t tailphrase_env_bytes(const char *name, size_t dflt);

#endif
