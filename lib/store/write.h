/* write: the batch of the write path (write.c; docs/ARCHITECTURE.md, "Writing a batch") and its
 * phases, for update.c's read-merge-write, which reads and merges between lock and write.
 * Private to lib/store. */
#ifndef SPANDEX_STORE_WRITE_H
#define SPANDEX_STORE_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/base/buf.h"
#include "lib/store/keytable.h"
#include "lib/store/record.h"
#include "lib/store/tailindex.h"
#include "lib/store/writeset.h"

/* One record of a batch and where its rendered line is. */
struct pending {
	size_t span; /* index in the batch's objects */
	int32_t day;
	size_t lo, ll; /* rendered line (without ingested_at and the closing brace) in lines */
	size_t nat;    /* its members at at + span * REC_MAX_AT (render_at) */
};

/* A batch on its way through the phases; each phase fills what it names. */
struct batch {
	struct store *st;
	const char *ws;
	const struct rec_kind *k; /* what the objects are: spans or judgements */
	char *objs; /* n of k->size bytes, all of ws, validated; the caller's order decides "later
		       wins" */
	size_t n;
	struct buf lines;	      /* render: every line but its ingested_at */
	struct pending *pd;	      /* render: sorted by day, then by span */
	struct tailindex_words *text; /* render: the words of each day's part, in day order */
	struct jline_at *at;	      /* render: the members of each line, when the kind has them */
	struct idx_rec *pre; /* render: each object's record, by object, but for its place in its
				shard and its ingested_us (commit) */
	size_t ntext;
	int lockfd, jfd;	 /* lock: the workspace lock; the journal */
	uint64_t seq;		 /* plan: the batch's number in the journal */
	bool jsynced;		 /* plan: the journal reached the disk naming the batch open */
	bool jtried;		 /* plan: the journal was written to (it may name the batch) */
	struct keytable_set t;	 /* lock: the id and range tables */
	struct writeset_set set; /* plan: the shards of the batch, locked */
	int64_t base;		 /* plan: spans[i] gets ingested_at base + i */
	uint64_t *locs;		 /* commit: LOC of each span's new record */
	struct wolds olds;	 /* olds: what the id table names under each span's hash */
	struct buf data;	 /* commit: one shard's lines */
	struct idx_rec *recs;	 /* commit: one shard's records */
};

/* An empty batch of ws, which write_batch_free frees whatever phase it reached. */
void write_batch_init(struct batch *b, struct store *st, const char *ws);
void write_batch_free(struct batch *b);
/* Whether every object of objs[0..n) (of kind k) starts in a day a file can be named for. */
enum status write_days_ok(const struct rec_kind *k, const void *objs, size_t n, struct err *e);
/* Render: every line of objs[0..n) but its ingested_at, with no lock held. */
void write_batch_render(struct batch *b, void *objs, size_t n);
/* Lock: the workspace lock, then what every writer does first (settle, tables). */
enum status write_batch_lock(struct batch *b, struct err *e);
/* The phases after render and lock: plan, commit, the commit point, ids, durability. */
enum status write_batch_write(struct batch *b, struct err *e);
/* After a failed write, under the workspace lock: a workspace that holds no span is taken
 * away again. */
void write_batch_forget(struct batch *b);

#endif
