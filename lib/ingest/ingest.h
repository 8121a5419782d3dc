/* ingest: the one step every surface's write ends in, in this order: the base64 payloads of
 * every version that is stored moved into media files (lib/ingest/media.h), the redaction
 * rules on it (lib/redact), costs from the price table for the spans that came without any,
 * then the store. No surface writes to the store but through here (t/layers.sh), so no
 * version of a span or a judgement is stored unredacted or with a payload in it, whatever API
 * it came by. Nothing returned needs freeing. */
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

/* Where a request's writes go and what they are stored by: the store and workspace, the arena
 * the redacted strings and merged versions live in, and the settings of the request's
 * environment (NULL: each one's default). */
struct ingest_to {
	struct store *st;
	const char *ws;
	struct arena *a;
	const char *prices; /* SPANDEX_PRICES: the price table (PRICES_OFF: none) */
	const char *rules;  /* SPANDEX_REDACT: the redaction rules (REDACT_OFF: none) */
	const char *key;    /* SPANDEX_REDACT_KEY: their hashes' key (NULL: the file's key-file) */
	const char *media;  /* SPANDEX_MEDIA_MIN: the payloads moved out (lib/ingest/media.h) */
};
/* The settings of a struct ingest_to, by the names of the environment that get(ctx, name)
 * reads (http_env, getenv): {.st = ..., .ws = ..., .a = ..., INGEST_SETTINGS(http_env, req)}. */
#define INGEST_SETTINGS(get, ctx)                                                                  \
	.prices = get(ctx, "SPANDEX_PRICES"), .rules = get(ctx, "SPANDEX_REDACT"),                 \
	.key = get(ctx, "SPANDEX_REDACT_KEY"), .media = get(ctx, "SPANDEX_MEDIA_MIN")

/* A write that merges over what is stored (store_update) instead of appending: the ids, in
 * the order fn is to see them. For an id nothing is stored under, fn's version must be the
 * batch's span (copied or moved): the batch is redacted before the lock, and only a version
 * over a stored one is redacted again under it. */
struct ingest_merge {
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

/* Moves the payloads of the n spans into media files (media_span, to's threshold), sets aside
 * the cost of a span that cannot be one (catalog_check_cost), then prices the n spans
 * (prices_apply: those without a cost) by to's table and redacts them by to's rules, then
 * stores them: appended (store_append) when m is NULL; else merged (store_update, m's ids and
 * merge, its versions over stored spans redacted again). A table that cannot be read costs the
 * spans their computed costs, never the spans (the reason goes to stderr); rules that cannot be
 * applied cost the write (ST_UNAVAILABLE: nothing is stored); a payload over MEDIA_MAX_BYTES is
 * ST_TOO_LARGE and a media file that cannot be written the store's status: nothing is stored
 * then. e (may be NULL) gets the reason. */
enum status ingest_store(const struct ingest_to *to, struct span *spans, size_t n,
			 const struct ingest_merge *m, struct err *e);
/* store_update of to with fn, the payloads of each new version fn gives moved into media files
 * (media_span), then redacted by to's rules, before it is written, under the workspace lock (a
 * version that only deletes needs neither: a deletion is stored whatever the rules). */
enum status ingest_update(const struct ingest_to *to, const char *const *ids, size_t n,
			  store_merge_fn fn, void *ctx, struct err *e);
/* The same two for judgements, in the judgement store beside to's spans: the n of js, each
 * redacted (in place) before it is stored (store_put_judgements); a merge's versions
 * (store_update_judgements). */
enum status ingest_judgements(const struct ingest_to *to, struct judgement *js, size_t n,
			      struct err *e);
enum status ingest_update_judgements(const struct ingest_to *to, const char *const *ids, size_t n,
				     store_jmerge_fn fn, void *ctx, struct err *e);

#endif
