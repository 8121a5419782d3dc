/* tailread: the reads of a day's tail (<day>.tdx; tailindex.h has its writing and the format),
 * which lib/store/index.c asks for the records past what the .tix covers (store_index_* in
 * store.h, what the query engine and the tests ask). Private to lib/store. */
#ifndef SPANDEX_STORE_TAILREAD_H
#define SPANDEX_STORE_TAILREAD_H

#include "lib/store/store.h"

/* The text of the tail (<day>.tdx; docs/FORMAT.md, "The text of the tail"): the writer's
 * index of the words of each batch, for the records past what the .tix covers. Given *bits and
 * *sure as store_dayindex_text made them for records [0, from) (both NULL when from is 0), extends
 * them (caller frees) to every record of sh: the records of the segments that hold them as
 * their words say, any other one a candidate whose line decides. A worker keeps the segments'
 * words merged with the tail's mapping ("The tail's words") and merges a step more each call.
 * Returns the records the bits now cover: from itself (the arrays untouched) when the tail has
 * nothing to say. */
size_t store_tailindex_text(struct store *st, const char *ws, const struct shard *sh, size_t from,
			    const char *const *terms, size_t nterms, uint64_t **bits,
			    uint64_t **sure);

/* The keys of the tail (<day>.tdx, the same file): the records of sh from from on that may have
 * one of the trace (STORE_KEY_TRACE) or session hashes hs[0..nh), ascending, in *recs (caller
 * frees) and *n: those the segments' key maps name, and every record no segment answers for
 * (of an older spandex, damaged). Returns the records the list
 * answers for: sh->nrecs, or from itself (*recs NULL) when no segment answered. */
size_t store_tailindex_keyed(struct store *st, const char *ws, const struct shard *sh, size_t from,
			     enum store_key which, const uint64_t *hs, size_t nh, uint32_t **recs,
			     size_t *n);
/* Likewise the root spans (store_rec_root) of sh from from on. */
size_t store_tailindex_roots(struct store *st, const char *ws, const struct shard *sh, size_t from,
			     uint32_t **recs, size_t *n);
/* Returns sh->nrecs, or from itself (c empty) when no segment answered. */
size_t store_tailindex_cols(struct store *st, const char *ws, const struct shard *sh, size_t from,
			    struct store_tailindex_cols *c);
void store_tailindex_cols_free(struct store_tailindex_cols *c);

/* The value lists of the tail (the same file), as a .tix's (lists.h), for list key k (a column,
 * STORE_LIST_KIND, STORE_LIST_STATUS) and sh's records from from on: *out (NULL when no segment
 * answered), to give back with store_tailvals_put. A worker keeps them with the tail's mapping
 * and merges in the segments written since (docs/FORMAT.md, "The text of the tail"). Returns
 * the records they answer for, [from, to): from itself when no segment answered. */
struct store_tailvals;
size_t store_tailindex_vals(struct store *st, const char *ws, const struct shard *sh, size_t from,
			    int k, struct store_tailvals **out);
/* The records t lists for value v, by start, then record (*r, *n; none: NULL, 0), valid while t
 * is held. */
void store_tailvals_find(const struct store_tailvals *t, uint64_t v, const uint32_t **r, size_t *n);
/* The records of t's range that no list answers for (their lines decide), ascending. */
const uint32_t *store_tailvals_loose(const struct store_tailvals *t, size_t *n);
void store_tailvals_put(struct store_tailvals *t);

/* What tailread.c keeps with a tail's mapping for tailtext.c (the merged words of its
 * segments): its slot, NULL until a search makes them, freed with text_free when the mapping
 * goes; and their bytes, text_bytes, counted with all it keeps and the mapping's
 * (mapcache_aux_size). */
struct mapcache_ent;
void **tailread_kept_text(struct mapcache_ent *mc, void (*text_free)(void *));
void tailread_kept_counted(struct mapcache_ent *mc, size_t text_bytes);

/* Likewise the records of sh from from on, the tail's (<day>.tdx): from the counts each segment
 * holds for its records, taken by the writer. False when they cannot say for every one of
 * them: a segment without counts (of an older spandex) or that does not check, records no
 * segment answers for, flags written in the day since a segment was (sh->flag_gen moved). */
bool store_tailindex_count(struct store *st, const char *ws, const struct shard *sh, size_t from,
			   const struct store_dayindex_q *q, uint64_t *n);

#endif
