/* writeset: a shard opened for writing, under its exclusive lock: opening (creating) it and
 * repairing a torn tail, its late file, rolling a failed batch back; the set of shards one
 * write touches; and entering a new version into the id table, which marks the version it
 * replaces superseded in that version's shard. Private to lib/store. */
#ifndef SPANDEX_STORE_WRITESET_H
#define SPANDEX_STORE_WRITESET_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/base/buf.h"
#include "lib/store/store.h"
#include "lib/store/keytable.h"

struct writeset_shard {
	int32_t day;
	int idx_fd;
	struct shard_lines d;		/* d.fd: -1 for a sealed shard without late lines yet */
	uint64_t committed;		/* records committed (after repair at open, then appends) */
	uint64_t data_end;		/* bytes of data the committed records cover */
	uint64_t committed0, data_end0; /* as at open: where a failed batch rolls back to */
	uint64_t text_end0;		/* ... and the header's text_end */
	int tailindex_fd;		/* <day>.tdx, opened for the batch's first segment */
	bool created;
	char *wmap;	    /* the index mapped writable (writeset_olds), or NULL */
	uint64_t wmap_recs; /* the records it maps */
	char *dmap;	    /* the lines' file (d.fd) mapped to read ids (writeset_olds), or NULL */
	size_t dmap_len;    /* the bytes it maps */
};
/* How a shard is opened for writing (writeset_open). */
struct wopen {
	/* Crash recovery of the journal's batch: records past the committed count, up to
	 * roll_to, that are whole are committed instead of dropped (0: none). */
	uint64_t roll_to;
	/* The first open after a power cut (store_settle): the batches above the header's
	 * durable count are checked record by record and line by line, and the first that is
	 * not whole is cut off with every one after it; the records kept are durable. */
	bool settle;
};
/* Opens (creating) and locks ws/day; repairs a torn tail, as o says. */
enum status writeset_open(struct store *st, const char *ws, int32_t day, const struct wopen *o,
			  struct writeset_shard *w);
void writeset_close(struct writeset_shard *w);
/* After a failed batch was rolled back (and the journal emptied), under the shard lock: a day
 * that held nothing before it (no record, no line) is removed, index last, so that a refused
 * first batch of a day leaves no file of it (issue 55). */
void writeset_forget(struct store *st, const char *ws, struct writeset_shard *w);
/* Creates the late file of a sealed shard for its first late line: 0, or -1 with errno. */
int writeset_late(struct store *st, const char *ws, struct writeset_shard *w);
/* Cuts data and records back to where they were at open, and the commit count with them
 * (the header names no pending batch after): 0, or -1 with errno. */
int writeset_rollback(struct writeset_shard *w);

/* The shards one write touches, opened on demand and kept (locked) until the end. */
struct writeset_set {
	struct store *st;
	const char *ws;
	struct writeset_shard *sh;
	size_t n, cap;
	struct wopen next; /* how the next shard is opened */
};
/* The shard of day, opened when first asked for; NULL (errno set) when it cannot be. */
struct writeset_shard *writeset_get(struct writeset_set *set, int32_t day);
void writeset_set_close(struct writeset_set *set);
/* Points the id table entry of span h (id literal lit) at loc; a version it named before is
 * marked superseded in its shard (opened into set). Idempotent, so recovery can replay it. */
enum status writeset_upsert_id(struct writeset_set *set, struct tab *ids, uint64_t h,
			       const struct buf *lit, uint64_t loc);

/* What the id table names under a span's hash before a batch is published, and whether each
 * is that span: asked once, with the reads it needs, before the commit point, so that
 * publishing needs no system call (docs/ARCHITECTURE.md, "Writing a batch"). */
struct wold {
	uint64_t loc, h;
	int same; /* WOLD_SAME, WOLD_STALE (nothing of the span there) or 0: another span */
};
/* The span's version: marked superseded when replaced. */
#define WOLD_SAME 1
/* A slot that names no version of the span (a removed day, or one made again since): replaced,
 * and the record it names left alone. */
#define WOLD_STALE 2
struct wolds {
	struct wold *v;
	size_t n, cap;
	/* The hashes of the spans whose entries v has, a set (0 free; a hash of 0 kept as 1): only
	 * a span's second call in a batch looks for its entries in v again. */
	uint64_t *seen;
	size_t nseen, capseen;
};
/* Adds the entries of span h (id id) to o, opening their shards into set and mapping their
 * indexes writable (writeset_map). lit is scratch for the id's JSON literal, written only when
 * the table has an entry of h (most spans of a batch are new: none). Sort o with
 * writeset_olds_sort before writeset_publish_id. */
enum status writeset_olds(struct writeset_set *set, const struct tab *ids, uint64_t h,
			  const char *id, struct buf *lit, struct wolds *o);
void writeset_olds_sort(struct wolds *o);
void writeset_olds_free(struct wolds *o);
/* Before the commit point: names the batch whose first ingest time is by in the side file
 * (<day>.sup, lib/store/sup.h) of every version of o (sorted) it will mark superseded. 0, or -1
 * with errno. */
int writeset_sup(struct writeset_set *set, const struct wolds *o, int64_t by);
/* Maps the index of w writable up to its committed records: 0, or -1 with errno. */
int writeset_map(struct writeset_shard *w);
/* After the commit point: points the entry of span h at loc, and marks the version it
 * replaces superseded through the mappings; no system call. same_new(ctx, loc) says whether
 * a version of this batch at loc (an earlier copy in it) is the same span (WOLD_SAME or 0). */
void writeset_publish_id(struct writeset_set *set, struct tab *ids, uint64_t h, uint64_t loc,
			 const struct wolds *o, int (*same_new)(void *ctx, uint64_t loc),
			 void *ctx);

#endif
