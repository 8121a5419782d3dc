/* tailphrase: the pairs and triples of words of a day's tail, which an idle worker builds from
 * the tail's lines while no request waits (store_tail_idle, a bounded step at a time) and
 * appends, a part at a time, to a file beside the day (<day>.tpx, tailpart.h) that every worker
 * maps and a restart keeps, so that a phrase of common words on fresh data reads the lines of
 * the records whose pairs and triples may hold it, as on an indexed day (docs/FORMAT.md, "The
 * tail's pairs of words"). One worker builds a day: the one that takes the file's flock without
 * waiting; the others read its parts. A search never builds: it asks the parts written so far
 * and reads the lines of the rest, as before. Ingest writes nothing of it and never waits for
 * it. Private to lib/store. */
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
/* A build begins at the end of the parts the day's file holds only when the records past them
 * are due: none built yet, or 1/TAILPHRASE_PART_SHARE of those before. The records tokenised
 * are rendered (as a .tix's text section) as a part, appended to the file, asked from then on,
 * and the build begun again past them, once their lines reach this many bytes
 * (so a build holds at most about this much again: every pair and triple of its records, where
 * a part keeps those the rules keep), or once built to the tail's end and they are
 * 1/TAILPHRASE_PART_SHARE of the records before (so the records past the parts, whose
 * candidates the lines decide, stay under 3% of the tail, and a tail grown from one record to n
 * keeps at most 32 ln(n) parts beside its full ones). */
#define TAILPHRASE_PART_BYTES (8u << 20)
#define TAILPHRASE_PART_SHARE 32
/* A search asks the parts for every record they reach (tailphrase_reach), single words as
 * phrases: a part is a .tix's text section of its records, their words as their pairs, so its
 * look-up answers for them where the tail's segments' words were asked one by one before (tens
 * of thousands of segments a day at 5M spans; a new worker's first phrase 2.2-6.7 s against
 * `rg`'s 19.7, BENCHMARKS-HISTORY.md, "A part's words for the records it covers"). The tail's
 * segments answer only for the records past them. */
/* What a worker keeps of the builds of its days: past it the days searched longest ago are let
 * go (their parts stay in their files). */
#define TAILPHRASE_KEEP_BYTES (512ull << 20)
/* A day is built without a phrase search asking it once its tail's index (<day>.tdx) passes this
 * many bytes (about 1,000 spans of bench/gen's text, 1 KB of text each: a .tdx is ~4% of the
 * lines), so that a store searched for the first time is already built: an idle worker looks
 * for such days at most every TAILPHRASE_SCAN_MS (a listing of the workspaces and their days'
 * .tdx, a stat each). Smaller tails are built once a phrase asks them. */
#define TAILPHRASE_AUTO_BYTES (1u << 20)
#define TAILPHRASE_SCAN_MS 10000

struct tailpart_file;
/* Whether terms[0..nterms) hold a phrase: a term of two words or more, which pairs narrow. */
bool tailphrase_wanted(const char *const *terms, size_t nterms);
/* The parts of st's ws/day's file, as this worker read them now, for a search of sh's records
 * from from on (those before, the .tix's); with want (a phrase), the day marked wanted when the
 * records past them are due to be built (tailphrase.c, due_start): from now on the idle steps
 * build them, unless another worker holds the file's lock. Without want, a day this worker does
 * not know and that has no file is left unknown. NULL when no part answers for a record of
 * [from, sh->nrecs). */
const struct tailpart_file *tailphrase_kept(const struct store *st, const char *ws,
					    const struct shard *sh, size_t from, bool want);
/* The end of the records from from on that the parts of f answer for, sh's records as they
 * are: the parts that follow each other from one that holds from, each current
 * (tailpart_current) and within sh's records; from when none does. */
size_t tailphrase_reach(const struct tailpart_file *f, const struct shard *sh, size_t from);
/* all and *yes (bits of sh's records, n of them; *yes NULL: none sure) told by the parts of f
 * for the records [from, reach) (tailphrase_reach): a record is a candidate as its part's
 * words, pairs and triples say, and put in *yes (made when NULL) when its part knows it holds
 * every term, else taken out of it; a part whose look-up fails leaves its records candidates,
 * none sure. */
void tailphrase_answer(const struct tailpart_file *f, const char *const *terms, size_t nterms,
		       uint64_t *all, uint64_t **yes, size_t from, size_t reach, size_t n);
/* Records from from on of st's ws/sh->day (those before, the .tix's) looked at without a search
 * (lib/store/tailscan.c): the day's parts read and the day marked wanted when the records past
 * them are due. */
void tailphrase_look(const struct store *st, const char *ws, const struct shard *sh, size_t from);
/* Whether a day is wanted; one step of the most recently searched wanted day's build (the file
 * opened and locked, a part rendered and written, or at most TAILPHRASE_STEP_BYTES of lines
 * tokenised): true while a day is still wanted (store_tail_idle, tailscan.c). */
bool tailphrase_wanted_any(void);
bool tailphrase_step(void);
/* The mappings of the files of the days this worker knows and does not build let go when the
 * file is no longer at its path (the fold of `spandex index`, reindex and retention remove it):
 * a stat a day, at most every TAILPHRASE_SCAN_MS (store_tail_idle), so a removed file's blocks
 * are not kept by a worker until its next search of the day. */
void tailphrase_let_gone(void);
/* The bytes a test hook's variable name holds (a test's step), else dflt. */
size_t tailphrase_env_bytes(const char *name, size_t dflt);

#endif
