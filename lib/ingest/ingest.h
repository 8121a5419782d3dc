/* ingest: the one step every surface's write ends in: costs from the price table for the
 * spans that came without any, then the store. Nothing returned needs freeing. */
#ifndef SPANDEX_INGEST_INGEST_H
#define SPANDEX_INGEST_INGEST_H

#include "lib/model/verr.h"
#include "lib/store/store.h"

/* Where a surface's field table (its map.c: one hook per JSON member) puts what it reads: the
 * span, the arena its strings go in, the 422 items and the location (loc) of the object. */
struct ingest_put {
	struct arena *a;
	struct span *s;
	struct verrs *v;
	json_t *loc;
	bool create; /* a whole new object, not a PATCH */
};

/* A write that merges over what is stored (store_update) instead of appending: the ids, in
 * the order fn is to see them, and the arena the merged versions live in. */
struct ingest_merge {
	struct arena *a;
	const char *const *ids;
	size_t nids;
	store_merge_fn fn;
	void *ctx;
};

/* A surface's apply of a JSON object onto a span (its map.c): a create or a PATCH. how is its
 * own (the workspace, the entity); the 422 items go to v. */
typedef void ingest_apply_fn(const void *how, struct arena *a, json_t *obj, bool create,
			     struct span *s, struct verrs *v);

/* A PATCH as a merge of store_update (ctx of ingest_patch_merge): each stored version copied,
 * then body applied over it, body having been checked on a scratch span first (so the items
 * of this apply are dropped). */
struct ingest_patch {
	ingest_apply_fn *apply;
	const void *how;
	json_t *body;
	/* An id not stored yet: NULL leaves it absent (no change); else writes what stands for
	 * it into out. */
	void (*absent)(const struct ingest_patch *p, struct arena *a, const char *id,
		       struct span *out);
	/* After body was applied over the stored version cur (NULL: nothing more). */
	void (*patched)(const struct ingest_patch *p, const struct span *cur, struct span *out);
	bool found; /* set when an id was stored */
	/* Price the merged version (price, with the table setting prices as ingest_store takes
	 * it): a span whose costs are computed is priced again, as its counts may have changed;
	 * one with a cost of its own is not. */
	bool price;
	const char *prices;
};
/* The store_merge_fn of a PATCH (ctx: struct ingest_patch); the merged version's cost is
 * checked as ingest_store checks a new span's, then priced when p->price says so. */
enum status ingest_patch_merge(void *ctx, struct arena *a, const char *id, const struct span *cur,
			       struct span *out, struct err *e);

/* Sets aside the cost of a span that cannot be one (catalog_check_cost), then prices the n
 * spans (prices_apply: those without a cost) by the table that prices names
 * (SPANDEX_PRICES; NULL the default table, PRICES_OFF none), then stores them in ws: appended
 * (store_append) when m is NULL, else merged (store_update, m's ids and merge). A table that
 * cannot be read costs the spans their computed costs, never the spans (the reason goes to
 * stderr). e (may be NULL) gets the store's reason. */
enum status ingest_store(struct store *st, const char *ws, const char *prices, struct span *spans,
			 size_t n, const struct ingest_merge *m, struct err *e);

#endif
