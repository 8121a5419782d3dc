/* write: the write path (docs/ARCHITECTURE.md, "Writing a batch"). A batch goes through
 * phases, each a function: render (no lock held), lock (the workspace lock, then what every
 * writer does first), plan (the shards, locked, and the journal naming them), commit (per
 * shard: lines, records, commit count), ids (the id and range tables), and durability (the
 * locks released, then fdatasync); rollback when a commit fails. store_update (update.c) reads
 * and merges between lock and plan, so nothing can come between its read and its write. */
#include "lib/store/write.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/json/jline.h"
#include "lib/json/jsonw.h"
#include "lib/store/io.h"
#include "lib/store/journal.h"
#include "lib/store/layout.h"
#include "lib/store/rebuild.h"
#include "lib/store/record.h"
#include "lib/store/refused.h"
#include "lib/store/tailindex.h"
#include "lib/store/settle.h"
#include "lib/store/writeset.h"

void write_batch_init(struct batch *b, struct store *st, const char *ws)
{
	memset(b, 0, sizeof(*b));
	b->st = st;
	b->ws = ws;
	b->k = rec_kind_of(st->kind);
	b->lockfd = b->jfd = -1;
	b->t = (struct keytable_set)TAB_SET_CLOSED;
	b->set = (struct writeset_set){.st = st, .ws = ws};
	buf_init(&b->lines);
	buf_init(&b->data);
}

void write_batch_free(struct batch *b)
{
	writeset_set_close(&b->set);
	keytable_close_all(&b->t);
	if (b->jfd >= 0)
		close(b->jfd);
	if (b->lockfd >= 0)
		close(b->lockfd);
	buf_free(&b->lines);
	buf_free(&b->data);
	free(b->pd);
	for (size_t i = 0; i < b->ntext; i++)
		tailindex_words_free(&b->text[i]);
	free(b->text);
	free(b->at);
	free(b->pre);
	free(b->recs);
	free(b->locs);
	writeset_olds_free(&b->olds);
}

static int cmp_pending(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;
	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return (x->span > y->span) - (x->span < y->span);
}

/* Object i of the batch. */
static void *obj(const struct batch *b, size_t i)
{
	return b->objs + i * b->k->size;
}

static const char *obj_id(const struct batch *b, size_t i)
{
	return b->k->id(obj(b, i));
}

/* Every object starts in a day a file can be named for (years 1-9999). The surfaces' parsers
 * refuse other times (time_parse); one that got past them is refused here, before a day file
 * is named for it. */
enum status write_days_ok(const struct rec_kind *k, const void *objs, size_t n, struct err *e)
{
	for (size_t i = 0; i < n; i++) {
		int64_t t = k->started((const char *)objs + i * k->size);
		if (!time_day_valid(time_day(t)))
			return err_set(e, ST_INTERNAL,
				       "%s %zu of the batch starts outside years 1-9999", k->noun,
				       i);
	}
	return ST_OK;
}

/* The words of day's tail segment in b->text: a table of the batch's days (days[0..2^k), each
 * 0 free, else 1 + its index in b->text) found by the day's number, so that each line's words
 * are cut right after it is rendered, while it is in the cache: a later pass over the 1.3 MB of
 * a batch's lines met each out of a 1 MB L2 (12% of a direct batch's L2 misses of reads under
 * cachegrind's model). A day's records are its lines in the batch's order either way. */
static struct tailindex_words *day_text(struct batch *b, int32_t *dday, uint32_t *days, size_t mask,
					int32_t day)
{
	size_t i = (size_t)((uint32_t)day * 0x9e3779b1u) & mask;
	for (; days[i]; i = (i + 1) & mask)
		if (dday[days[i] - 1] == day)
			return &b->text[days[i] - 1];
	dday[b->ntext] = day;
	days[i] = (uint32_t)++b->ntext;
	tailindex_words_init(&b->text[b->ntext - 1]);
	return &b->text[b->ntext - 1];
}

/* A day of the batch and its words' index in b->text, for text_by_day. */
struct day_text {
	int32_t day;
	uint32_t k;
};

static int cmp_day_text(const void *a, const void *b)
{
	const struct day_text *x = a, *y = b;
	return (x->day > y->day) - (x->day < y->day);
}

/* b->text[0..ntext), made in the order each day first came (dday[k] the day of text k), into
 * day order, pd's. */
static void text_by_day(struct batch *b, const int32_t *dday)
{
	if (b->ntext < 2)
		return;
	struct day_text *o = xmalloc(b->ntext * sizeof(*o));
	for (size_t k = 0; k < b->ntext; k++)
		o[k] = (struct day_text){dday[k], (uint32_t)k};
	qsort(o, b->ntext, sizeof(*o), cmp_day_text);
	struct tailindex_words *t = xmalloc(b->n * sizeof(*t));
	for (size_t k = 0; k < b->ntext; k++)
		t[k] = b->text[o[k].k];
	free(o);
	free(b->text);
	b->text = t;
}

/* Render: every line but ingested_at, the last field, which waits for the lock; every record
 * but what the lock decides (build_shard); and the words of each day's tail segment: each made
 * while the object and its line are in the cache, and not under the lock. A kind's rec reads
 * ingested_at into ingested_us and nowhere else. */
void write_batch_render(struct batch *b, void *objs, size_t n)
{
	b->objs = objs;
	b->n = n;
	b->pd = xmalloc(n * sizeof(*b->pd));
	b->pre = xmalloc(n * sizeof(*b->pre));
	b->at = b->k->render_at ? xmalloc(n * REC_MAX_AT * sizeof(*b->at)) : NULL;
	b->text = xmalloc(n * sizeof(*b->text));
	size_t nslots = 4;
	while (nslots < 2 * n)
		nslots *= 2;
	uint32_t *days = xcalloc(nslots, sizeof(*days));
	int32_t *dday = xmalloc(n * sizeof(*dday));
	for (size_t i = 0; i < n; i++) {
		struct pending *p = &b->pd[i];
		int64_t *ing = b->k->ingested(obj(b, i)), keep = *ing;
		*ing = SPAN_NONE_I64;
		p->span = i;
		p->day = time_day(b->k->started(obj(b, i)));
		p->lo = b->lines.len;
		p->nat = 0;
		struct jline_at *at = b->at ? b->at + i * REC_MAX_AT : NULL;
		if (at)
			b->k->render_at(obj(b, i), &b->lines, at, &p->nat);
		else
			b->k->render(obj(b, i), &b->lines);
		b->lines.len--; /* the closing brace comes back with ingested_at */
		p->ll = b->lines.len - p->lo;
		b->k->rec(obj(b, i), &b->pre[i]);
		*ing = keep;
		tailindex_words_add(day_text(b, dday, days, nslots - 1, p->day), b->lines.p + p->lo,
				    p->ll, at, p->nat);
	}
	/* Sorted already when the batch's days come in order (a batch of one day): the check
	 * costs a compare a span, qsort about 225 (callgrind, a batch of 1,000). */
	size_t k = 1;
	while (k < n && cmp_pending(&b->pd[k - 1], &b->pd[k]) < 0)
		k++;
	if (k < n)
		qsort(b->pd, n, sizeof(*b->pd), cmp_pending);
	text_by_day(b, dday);
	free(days);
	free(dday);
}

/* Lock: takes the workspace lock and settles the workspace (journal, reboot). */
enum status write_batch_lock(struct batch *b, struct err *e)
{
	/* Again when the directory went away in between (write_batch_forget of another writer). */
	for (int tries = 0; tries < 3; tries++) {
		if (layout_mkdir(b->st, b->ws) < 0)
			break;
		if ((b->lockfd = layout_ws_lock(b->st, b->ws, true)) >= 0 || errno != ENOENT)
			break;
	}
	if (b->lockfd < 0)
		return err_set(e, ST_UNAVAILABLE, "workspace lock: %s", strerror(errno));
	enum status rc = settle_prepare(b->st, b->ws, &b->t, &b->jfd, e);
	return rc == ST_OK ? store_hook_before(b->st, b->ws, e) : rc;
}

/* Plan: room in the tables (before anything is written, so that a full disk fails the batch
 * cleanly), every shard of the batch opened and settled, and the journal naming them. */
static enum status batch_plan(struct batch *b, struct err *e)
{
	enum status rc = keytable_reserve_all(b->st, b->ws, &b->t, b->n);
	if (rc != ST_OK)
		return err_set(e, rc, "id table: %s", strerror(errno));
	struct jent *j = xmalloc(b->n * sizeof(*j));
	size_t nj = 0;
	for (size_t i = 0; rc == ST_OK && i < b->n; i++) {
		if (i && b->pd[i].day == b->pd[i - 1].day)
			continue;
		struct writeset_shard *w = writeset_get(&b->set, b->pd[i].day);
		if (!w) {
			char d[11];
			time_day_format(b->pd[i].day, d);
			rc = err_set(e, ST_UNAVAILABLE, "%s: %s", d, strerror(errno));
		} else {
			size_t g = i;
			while (g < b->n && b->pd[g].day == b->pd[i].day)
				g++;
			j[nj++] = (struct jent){w->day, (uint32_t)w->committed,
						(uint32_t)(w->committed + (g - i))};
		}
	}
	/* Versions are ordered by ingested_at, strictly increasing per workspace under its
	 * lock; the journal names the batch's range of them. */
	b->base = time_now();
	if (b->base <= b->t.id.hdr->last_ingested)
		b->base = b->t.id.hdr->last_ingested + 1;
	/* With more than one shard, the journal is on disk before any of them commits: after a
	 * power cut, a day committed without the others is found and undone. */
	b->jsynced = nj > 1 && b->st->sync;
	b->jtried = rc == ST_OK;
	if (rc == ST_OK && (journal_write(b->jfd, j, nj, (uint32_t)b->n, b->base, &b->seq) < 0 ||
			    (b->jsynced && fdatasync(b->jfd) < 0)))
		rc = err_set(e, ST_UNAVAILABLE, "journal: %s", strerror(errno));
	free(j);
	return rc;
}

/* The lines and records of pd[i, g), all of one day, for shard w; each span gets its
 * ingested_at now, and the location its id will point at. */
static void build_shard(struct batch *b, struct writeset_shard *w, size_t i, size_t g)
{
	b->data.len = 0;
	for (size_t k = i; k < g; k++) {
		const struct pending *p = &b->pd[k];
		void *o = obj(b, p->span);
		int64_t *ing = b->k->ingested(o);
		static const char key[] = ",\"ingested_at\":\"";
		char ts[32];
		*ing = b->base + (int64_t)p->span;
		size_t tn = time_format(*ing, ts);
		size_t off = b->data.len;
		buf_add(&b->data, b->lines.p + p->lo, p->ll);
		buf_add(&b->data, key, sizeof key - 1);
		buf_add(&b->data, ts, tn);
		buf_add(&b->data, "\"}", 2);
		struct idx_rec *r = &b->recs[k - i];
		*r = b->pre[p->span];
		r->ingested_us = *ing;
		r->off = w->data_end + off;
		r->len = (uint32_t)(b->data.len - off);
		r->crc = rec_crc(r);
		buf_addc(&b->data, '\n');
		b->locs[p->span] = LOC(w->day, w->committed + (k - i));
	}
}

/* Test hook (t/integration/search_index.test.mjs): SPANDEX_TEST_KILL_IN_TEXT set kills the
 * writer with SIGKILL after a shard's lines, records and text segment are written, before the
 * header write that commits them. Unset in every real deployment. */
#define TEST_KILL_IN_TEXT "SPANDEX_TEST_KILL_IN_TEXT"
/* Test hook (t/check_query_snap.c, snapshot_in_publish): SPANDEX_TEST_KILL_IN_IDS set kills
 * the writer after the commit point, once the batch's first id is entered and the version it
 * replaced flagged, before the others. Unset in every real deployment. */
#define TEST_KILL_IN_IDS "SPANDEX_TEST_KILL_IN_IDS"

/* The batch's end on shard w joins the ends of h (the header about to commit it) that a power
 * cut may have left without their lines: with IDX_ENDS of them there already, the shard is
 * synced first under its lock (rare: as many batches between their commit and their
 * fdatasync on one day), which makes every record before the batch durable. 0, or -1 with
 * errno. */
static int shard_ends(struct store *st, struct writeset_shard *w, struct idx_hdr *h)
{
	/* Without syncs (SPANDEX_NOSYNC) nothing is promised after a power cut: the header
	 * stays as before these fields, trusted whole. */
	if (!st->sync)
		return 0;
	/* A header from before these fields: its records are trusted whole, so durable. */
	if (rec_hdr_legacy(h))
		h->durable = w->committed;
	rec_ends_prune(h);
	if (rec_ends_push(h, h->committed))
		return 0;
	if (st->sync && ((w->d.fd >= 0 && fdatasync(w->d.fd) < 0) || fdatasync(w->idx_fd) < 0))
		return -1;
	h->durable = w->committed;
	rec_ends_prune(h);
	(void)rec_ends_push(h, h->committed); /* past 2^32 records: the last batch has no end */
	return 0;
}

/* One write of the lines, one of the records, one of the text segment, then the commit count
 * (and the text's end): the shard's commit point. */
static enum status commit_shard(struct batch *b, struct writeset_shard *w, size_t nr,
				const struct tailindex_words *text, struct err *e)
{
	struct idx_hdr h;
	if ((w->d.fd < 0 && writeset_late(b->st, b->ws, w) < 0) ||
	    io_write_all(w->d.fd, b->data.p, b->data.len) < 0 ||
	    io_pwrite_all(w->idx_fd, b->recs, nr * sizeof(*b->recs),
			  STORE_IDX_HDR + (off_t)(w->committed * sizeof(*b->recs))) < 0 ||
	    io_pread_all(w->idx_fd, &h, sizeof(h), 0) < 0)
		return err_set(e, ST_UNAVAILABLE, "append: %s", strerror(errno));
	/* The words of the batch's text, committed with its records by the header write. */
	tailindex_append(b->st, b->ws, w, &h, b->recs, nr, text);
	io_test_kill(TEST_KILL_IN_TEXT);
	/* The batch it is part of, then the count: a reader that sees the count sees the batch,
	 * and takes the day at its old count while the journal has the batch open. */
	h.pend_seq = b->seq;
	h.pend_from = w->committed;
	if (io_pwrite_all(w->idx_fd, &h.pend_seq, 2 * sizeof(uint64_t),
			  offsetof(struct idx_hdr, pend_seq)) < 0)
		return err_set(e, ST_UNAVAILABLE, "commit: %s", strerror(errno));
	h.committed = w->committed + nr;
	if (shard_ends(b->st, w, &h) < 0)
		return err_set(e, ST_UNAVAILABLE, "fdatasync: %s", strerror(errno));
	if (io_pwrite_all(w->idx_fd, &h, sizeof(h), 0) < 0)
		return err_set(e, ST_UNAVAILABLE, "commit: %s", strerror(errno));
	w->committed += nr;
	w->data_end += b->data.len;
	for (size_t k = 0; k < nr; k++)
		keytable_add_ranges(&b->t, &b->recs[k], w->day);
	return ST_OK;
}

/* Test hook (t/check_store_recovery.c, the multi-day kill tests):
 * SPANDEX_TEST_KILL_AFTER_SHARDS=N kills the writer with SIGKILL once it committed N shards of a
 * batch, before the rest and before the id table: the crash the journal must settle. Unset in
 * every real deployment. */
static void test_kill(size_t done)
{
	const char *n = getenv("SPANDEX_TEST_KILL_AFTER_SHARDS");
	if (n && *n && strtoul(n, NULL, 10) == done)
		raise(SIGKILL);
}

/* Commit: shard by shard. Versions are ordered by ingested_at, strictly increasing per
 * workspace under its lock. */
static enum status batch_commit(struct batch *b, struct err *e)
{
	b->recs = xmalloc(b->n * sizeof(*b->recs));
	b->locs = xmalloc(b->n * sizeof(*b->locs));
	size_t done = 0;
	for (size_t i = 0, g; i < b->n; i = g) {
		struct writeset_shard *w = writeset_get(&b->set, b->pd[i].day);
		for (g = i; g < b->n && b->pd[g].day == b->pd[i].day; g++)
			;
		build_shard(b, w, i, g);
		enum status rc = commit_shard(b, w, g - i, &b->text[done], e);
		if (rc != ST_OK)
			return rc;
		test_kill(++done);
	}
	return ST_OK;
}

/* Rollback: nothing of a failed batch stays; its shards go back to where they were, on disk
 * too before the answer, so that no power cut brings back a batch answered "not stored".
 * Readers never saw it (the journal has it open). On failure, e says the outcome is unknown. */
static void batch_rollback(struct batch *b, struct err *e)
{
	bool all = true;
	for (size_t i = 0; i < b->set.n; i++)
		all &= writeset_rollback(&b->set.sh[i]) == 0;
	for (size_t i = 0; all && b->st->sync && i < b->set.n; i++) {
		struct writeset_shard *w = &b->set.sh[i];
		all = (w->d.fd < 0 || fdatasync(w->d.fd) == 0) && fdatasync(w->idx_fd) == 0;
	}
	/* If a shard could not be rolled back, or the journal cannot be emptied, the journal
	 * still has the batch open: readers keep the old counts, and the next writer undoes it;
	 * but a power cut before that may find the batch whole on disk. */
	if (all)
		all = journal_clear(b->jfd) == 0 && (!b->jsynced || fdatasync(b->jfd) == 0);
	/* No journal names the batch now: a day it was the first of goes. */
	if (all)
		refused_days(b->st, b->ws, &b->set);
	if (!all) {
		char why[sizeof e->msg];
		snprintf(why, sizeof why, "%s", err_text(e));
		err_set(
		    e, ST_UNAVAILABLE,
		    "%s; the outcome is unknown: the batch could not be taken back for certain, "
		    "and sending it again is safe",
		    why);
	}
}

/* Olds: before the commit point, what the id table names under each span's hash and whether
 * it is that span, with every read that needs (and every shard it needs, locked and mapped),
 * so that publishing the batch cannot fail halfway. */
static enum status batch_olds(struct batch *b, struct err *e)
{
	struct buf lit;
	buf_init(&lit);
	enum status rc = ST_OK;
	for (size_t i = 0; i < b->n; i++)
		keytable_prefetch(&b->t.id, b->pre[i].span_h);
	for (size_t i = 0; rc == ST_OK && i < b->n; i++)
		rc = writeset_olds(&b->set, &b->t.id, b->pre[i].span_h, obj_id(b, i), &lit,
				   &b->olds);
	/* The batch's own shards too: a span sent twice in it supersedes its first copy. */
	for (size_t i = 0; rc == ST_OK && i < b->set.n; i++)
		if (writeset_map(&b->set.sh[i]) < 0)
			rc = ST_UNAVAILABLE;
	buf_free(&lit);
	writeset_olds_sort(&b->olds);
	if (rc != ST_OK)
		return err_set(e, rc, "id table: %s", strerror(errno));
	/* The versions it will mark superseded name the batch, for the queries that began
	 * before it (lib/store/sup.h; no query of judgements takes a snapshot). */
	if (b->st->kind == STORE_SPANS && writeset_sup(&b->set, &b->olds, b->base) < 0)
		return err_set(e, ST_UNAVAILABLE, "superseded versions: %s", strerror(errno));
	return ST_OK;
}

/* same_new of writeset_publish_id: the version at loc is a copy of span i earlier in this
 * batch. */
struct same_in_batch {
	struct batch *b;
	size_t i;
};

static int same_in_batch(void *ctx, uint64_t loc)
{
	struct same_in_batch *c = ctx;
	for (size_t j = 0; j < c->i; j++)
		if (c->b->locs[j] == loc)
			return !strcmp(obj_id(c->b, j), obj_id(c->b, c->i));
	return 0;
}

/* A batch of more than one shard is synced before its commit point, under the lock: after a
 * power cut, a batch the journal no longer names is whole on disk, and a failed sync still
 * fails the batch cleanly (batch_rollback). One shard is synced after the locks go
 * (batch_durable): its one header write commits it whole. */
static enum status batch_sync(struct batch *b, struct err *e)
{
	if (b->set.n < 2 || !b->st->sync)
		return ST_OK;
	bool created = false;
	for (size_t i = 0; i < b->set.n; i++) {
		struct writeset_shard *w = &b->set.sh[i];
		if ((w->d.fd >= 0 && fdatasync(w->d.fd) < 0) || fdatasync(w->idx_fd) < 0)
			return err_set(e, ST_UNAVAILABLE, "fdatasync: %s", strerror(errno));
		created |= w->created;
	}
	if (created)
		layout_sync_dir(b->st, b->ws);
	return ST_OK;
}

/* Ids, after the commit point: the id table in the caller's order, so that a later copy of a
 * span wins, and each replaced version marked superseded, through mappings (no system call:
 * nothing here can fail, and a reader sees the old versions go a few microseconds after the
 * new ones come). Then the shards' headers stop naming the batch, and the journal is
 * emptied; a failure there leaves work the next writer redoes, no answer changes. */
static void batch_ids(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct same_in_batch c = {b, i};
		writeset_publish_id(&b->set, &b->t.id, b->pre[i].span_h, b->locs[i], &b->olds,
				    same_in_batch, &c);
		if (i == 0)
			io_test_kill(TEST_KILL_IN_IDS);
	}
	b->t.id.hdr->last_ingested = b->base + (int64_t)b->n - 1;
	/* The headers stop naming the batch; a batch synced before its commit point
	 * (batch_sync) makes every record of its shards durable. */
	bool synced = b->set.n > 1 && b->st->sync;
	for (size_t i = 0; i < b->set.n; i++) {
		struct writeset_shard *w = &b->set.sh[i];
		struct idx_hdr h = {.durable = w->committed};
		size_t at = offsetof(struct idx_hdr, pend_seq);
		(void)io_pwrite_all(w->idx_fd, (char *)&h + at,
				    (synced ? sizeof(h) : offsetof(struct idx_hdr, durable)) - at,
				    (off_t)at);
	}
	(void)journal_clear(b->jfd);
}

/* After the fdatasync of a batch's one shard w: every record up to the batch's end is on
 * disk, so the header's durable count moves there, under the shard lock again (a writer
 * that cannot take it leaves the count lower, which is only slower after a power cut). */
static void durable_raise(struct writeset_shard *w)
{
	struct idx_hdr h;
	if (io_lock_fd(w->idx_fd) < 0)
		return;
	if (io_pread_all(w->idx_fd, &h, sizeof(h), 0) == 0 && rec_hdr_ok(&h) &&
	    h.durable < w->committed && h.committed >= w->committed) {
		h.durable = w->committed;
		rec_ends_prune(&h);
		size_t at = offsetof(struct idx_hdr, durable);
		(void)io_pwrite_all(w->idx_fd, (char *)&h + at, sizeof(h) - at, (off_t)at);
	}
	flock(w->idx_fd, LOCK_UN);
}

/* Durability: release the locks, then fdatasync: other writers append meanwhile and the
 * kernel merges our syncs with theirs. */
static enum status batch_durable(struct batch *b, struct err *e)
{
	for (size_t i = 0; i < b->set.n; i++)
		flock(b->set.sh[i].idx_fd, LOCK_UN);
	keytable_close_all(&b->t);
	close(b->lockfd);
	b->lockfd = -1;
	enum status rc = ST_OK;
	bool created = false;
	/* A batch of more than one shard was synced under the lock (batch_sync). */
	for (size_t i = 0; b->st->sync && b->set.n == 1 && i < b->set.n; i++) {
		struct writeset_shard *w = &b->set.sh[i];
		if ((w->d.fd >= 0 && fdatasync(w->d.fd) < 0) || fdatasync(w->idx_fd) < 0) {
			/* Past the commit point: readers see the batch, and it stays. */
			rc = err_set(
			    e, ST_UNAVAILABLE,
			    "fdatasync: %s; the outcome is unknown: the spans may be stored "
			    "without being durable, and sending them again is safe",
			    strerror(errno));
			break;
		}
		durable_raise(w);
		created |= w->created;
	}
	if (created)
		layout_sync_dir(b->st, b->ws);
	return rc;
}

/* The phases after render and lock. */
enum status write_batch_write(struct batch *b, struct err *e)
{
	enum status rc = batch_plan(b, e);
	/* Nothing committed: the days it was making go, once no journal can name them. */
	if (rc != ST_OK && (!b->jtried || journal_clear(b->jfd) == 0))
		refused_days(b->st, b->ws, &b->set);
	if (rc != ST_OK)
		return rc;
	if ((rc = batch_commit(b, e)) != ST_OK || (rc = batch_olds(b, e)) != ST_OK ||
	    (rc = batch_sync(b, e)) != ST_OK) {
		batch_rollback(b, e);
		return rc;
	}
	/* The commit point: readers see the whole batch from here, none of it before. */
	int pub = journal_publish(b->jfd);
	if (pub < 0) {
		rc = err_set(e, ST_UNAVAILABLE, "journal: %s", strerror(errno));
		batch_rollback(b, e);
		return rc;
	}
	/* A commit record torn after its bytes moved reads published: readers see the batch, so
	 * it is finished, and the answer says what is not known. */
	char why[sizeof e->msg];
	snprintf(why, sizeof why, "journal: %s", strerror(errno));
	batch_ids(b);
	rc = batch_durable(b, e);
	if (pub > 0)
		rc = err_set(
		    e, ST_UNAVAILABLE,
		    "%s; the outcome is unknown: the batch is committed, but not for certain "
		    "on disk, and sending it again is safe",
		    why);
	return rc;
}

/* After a failed write, under the workspace lock: a workspace its first write was is taken
 * away again (refused_workspace). A writer waiting for the lock opens it again (io_lock_open,
 * write_batch_lock). */
void write_batch_forget(struct batch *b)
{
	if (b->lockfd >= 0)
		refused_workspace(b->st, b->ws, &b->set, &b->t);
}

/* store_append and store_put_judgements: objs, n of st's kind. */
static enum status append_objs(struct store *st, const char *ws, void *objs, size_t n,
			       struct err *e)
{
	if (!workspace_valid(ws))
		return err_set(e, ST_BAD_REQUEST, "invalid workspace name '%s'", ws);
	if (!n)
		return ST_OK;
	enum status rc = write_days_ok(rec_kind_of(st->kind), objs, n, e);
	if (rc != ST_OK)
		return rc;
	struct batch b;
	write_batch_init(&b, st, ws);
	write_batch_render(&b, objs, n);
	rc = write_batch_lock(&b, e);
	if (rc == ST_OK)
		rc = write_batch_write(&b, e);
	if (rc != ST_OK)
		write_batch_forget(&b);
	write_batch_free(&b);
	return rc == ST_OK ? store_hook_after(st, ws, e) : rc;
}

enum status store_append(struct store *st, const char *ws, struct span *spans, size_t n,
			 struct err *e)
{
	if (st->kind != STORE_SPANS)
		return err_set(e, ST_INTERNAL, "spans written to a store of judgements");
	return append_objs(st, ws, spans, n, e);
}

enum status store_put_judgements(struct store *st, const char *ws, struct judgement *js, size_t n,
				 struct err *e)
{
	if (st->kind != STORE_JUDGEMENTS)
		return err_set(e, ST_INTERNAL, "judgements written to a store of spans");
	return append_objs(st, ws, js, n, e);
}
