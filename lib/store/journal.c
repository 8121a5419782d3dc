/* journal: naming a batch in progress, and finishing one whose writer died. Every step of
 * the recovery is idempotent, so a crash during recovery is recovered the same way. */
#include "lib/store/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/mem.h"
#include "lib/store/io.h"
#include "lib/store/layout.h"
#include "lib/store/record.h"
#include "lib/store/lines.h"
#include "lib/store/tailindex.h"
#include "lib/store/writeset.h"

int journal_open(struct store *st, const char *ws)
{
	char p[PATH_MAX];
	if (!layout_path(p, st, ws, LAYOUT_JOURNAL))
		return -1;
	return open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
}

/* The file: a header, then the entries. Format 3 (struct jrn_hdr, record.h) adds the batch's
 * number, whether it is still open, and its writer's boot; it is never made shorter than
 * JOURNAL_HDR again once it has one, since readers map it. Format 2 (magic SPXJRN2, an entry
 * count) and format 1 (no header; day and start only, 8 bytes each) were left by older
 * writers: they are settled as those writers would have. No valid day reads as a magic. */
#define JOURNAL_MAGIC2 "SPXJRN2\n"
struct jhdr2 {
	char magic[8];
	uint32_t n, pad;
};
struct jent1 {
	int32_t day;
	uint32_t start;
};

/* The format 3 header of jfd, or a fresh one (seq 0) when it has none. */
static void hdr_read(int jfd, struct jrn_hdr *h)
{
	if (io_pread_all(jfd, h, sizeof(*h), 0) < 0 || memcmp(h->magic, JOURNAL_MAGIC3, 8)) {
		memset(h, 0, sizeof(*h));
		memcpy(h->magic, JOURNAL_MAGIC3, 8);
	}
}

int journal_write(int jfd, const struct jent *j, size_t n, uint32_t count, int64_t base,
		  uint64_t *seq)
{
	struct jrn_hdr h;
	struct stat sb;
	hdr_read(jfd, &h);
	h.n = (uint32_t)n;
	h.count = count;
	h.base = base;
	h.boot = io_boot_id();
	h.open = *seq = ++h.seq;
	off_t size = (off_t)(JOURNAL_HDR + n * sizeof(*j));
	/* The entries, then the header that names them; a longer file keeps its length. */
	if (io_pwrite_all(jfd, j, n * sizeof(*j), JOURNAL_HDR) < 0 || fstat(jfd, &sb) < 0 ||
	    (sb.st_size < size && ftruncate(jfd, size) < 0) ||
	    io_pwrite_all(jfd, &h, sizeof(h), 0) < 0)
		return -1;
	return 0;
}

/* The boot id of the journal's last writer or settle (0: none recorded). */
static uint64_t journal_boot(int jfd)
{
	struct jrn_hdr h;
	if (io_pread_all(jfd, &h, sizeof(h), 0) < 0 || memcmp(h.magic, JOURNAL_MAGIC3, 8))
		return 0;
	return h.boot;
}

int journal_mark_boot(int jfd)
{
	struct jrn_hdr h;
	hdr_read(jfd, &h);
	h.boot = io_boot_id();
	return io_pwrite_all(jfd, &h, sizeof(h), 0);
}

int journal_publish(int jfd)
{
	uint64_t zero = 0, open = 1;
	off_t at = offsetof(struct jrn_hdr, open);
	if (io_pwrite_all(jfd, &zero, sizeof(zero), at) == 0)
		return 0;
	/* A write that failed after moving some of the bytes: what the record reads now decides,
	 * for readers as for the next writer. */
	int e = errno;
	if (io_pread_all(jfd, &open, sizeof(open), at) < 0)
		open = 1;
	errno = e;
	return open ? -1 : 1;
}

int journal_clear(int jfd)
{
	struct jrn_hdr h;
	struct stat sb;
	if (fstat(jfd, &sb) < 0)
		return -1;
	if (sb.st_size && sb.st_size < JOURNAL_HDR)
		return ftruncate(jfd, 0); /* an older format's: no reader maps it */
	if (!sb.st_size)
		return 0;
	hdr_read(jfd, &h);
	h.n = 0;
	h.open = 0;
	return io_pwrite_all(jfd, &h, sizeof(h), 0);
}

/* Clears the pending batch of shard w's header (it is settled). */
static enum status hdr_settled(struct writeset_shard *w)
{
	struct idx_hdr h;
	if (io_pread_all(w->idx_fd, &h, sizeof(h), 0) < 0)
		return ST_UNAVAILABLE;
	if (!h.pend_seq)
		return ST_OK;
	h.pend_seq = h.pend_from = 0;
	return io_pwrite_all(w->idx_fd, &h, sizeof(h), 0) < 0 ? ST_UNAVAILABLE : ST_OK;
}

/* Enters the records of shard w from record start on into the tables, as the batch would
 * have. */
static enum status replay(struct store *st, const char *ws, struct writeset_set *set,
			  struct writeset_shard *w, uint64_t start, struct keytable_set *t,
			  struct buf *lit)
{
	for (uint64_t k = start; k < w->committed; k++) {
		struct idx_rec r;
		if (rec_read(w->idx_fd, k, &r) < 0 || lines_id_lit(&w->d, &r, lit) != ST_OK)
			return ST_UNAVAILABLE;
		if (keytable_reserve_all(st, ws, t, 1) != ST_OK ||
		    writeset_upsert_id(set, &t->id, r.span_h, lit, LOC(w->day, k)) != ST_OK)
			return ST_UNAVAILABLE;
		keytable_add_ranges(t, &r, w->day);
		if (r.ingested_us > t->id.hdr->last_ingested)
			t->id.hdr->last_ingested = r.ingested_us;
	}
	return ST_OK;
}

/* Takes shard w back to its first `start` records: the bytes of the later ones go. */
static enum status undo(struct writeset_shard *w, uint64_t start)
{
	struct idx_rec r;
	struct idx_hdr h;
	if (w->committed <= start)
		return hdr_settled(w);
	if (rec_read(w->idx_fd, start, &r) < 0 || r.off < w->d.base ||
	    io_pread_all(w->idx_fd, &h, sizeof(h), 0) < 0)
		return ST_UNAVAILABLE;
	/* The count first: from then on readers stop at start, whatever is cut after. */
	h.committed = start;
	h.pend_seq = h.pend_from = 0;
	if (h.durable > start)
		h.durable = start;
	rec_ends_prune(&h);
	if (io_pwrite_all(w->idx_fd, &h, sizeof(h), 0) < 0 ||
	    (w->d.fd >= 0 && ftruncate(w->d.fd, (off_t)(r.off - w->d.base)) < 0) ||
	    ftruncate(w->idx_fd, (off_t)(STORE_IDX_HDR + start * sizeof(struct idx_rec))) < 0)
		return ST_UNAVAILABLE;
	w->committed = start;
	w->data_end = r.off;
	return ST_OK;
}

/* The entries of the journal, any format; *n 0 when it is empty or unreadable. *undo: the
 * batch must be undone whatever its shards hold (format 3: still open, by a writer of this
 * boot, so it never reached its commit point). */
static struct jent *entries(int jfd, off_t size, size_t *n, bool *undo, struct jrn_hdr *h3)
{
	struct jhdr2 h;
	*n = 0;
	*undo = false;
	memset(h3, 0, sizeof(*h3));
	if (size >= (off_t)sizeof(h) && io_pread_all(jfd, &h, sizeof(h), 0) == 0 &&
	    (!memcmp(h.magic, JOURNAL_MAGIC2, 8) || !memcmp(h.magic, JOURNAL_MAGIC3, 8))) {
		bool v3 = !memcmp(h.magic, JOURNAL_MAGIC3, 8);
		off_t at = v3 ? JOURNAL_HDR : (off_t)sizeof(h);
		if ((v3 ? size < at + (off_t)((size_t)h.n * sizeof(struct jent))
			: size != at + (off_t)((size_t)h.n * sizeof(struct jent))))
			return NULL;
		if (v3) {
			if (io_pread_all(jfd, h3, sizeof(*h3), 0) < 0)
				return NULL;
			*undo = h3->open && h3->boot == io_boot_id();
		}
		struct jent *j = xmalloc((h.n ? h.n : 1) * sizeof(*j));
		if (io_pread_all(jfd, j, h.n * sizeof(*j), at) < 0) {
			free(j);
			return NULL;
		}
		*n = h.n;
		return j;
	}
	size_t k = (size_t)size / sizeof(struct jent1);
	struct jent1 *old = xmalloc((k ? k : 1) * sizeof(*old));
	struct jent *j = xmalloc((k ? k : 1) * sizeof(*j));
	if (io_pread_all(jfd, old, k * sizeof(*old), 0) < 0)
		k = 0;
	for (size_t i = 0; i < k; i++) /* the end is unknown: finish it, as its writer would */
		j[i] = (struct jent){old[i].day, old[i].start, 0};
	free(old);
	*n = k;
	return j;
}

/* Whether shard w holds the batch's records from entry j's start on: the record there is one
 * of the batch's ingest times (h). A journal written before those were kept says nothing:
 * yes. */
static bool holds(struct writeset_shard *w, const struct jent *j, const struct jrn_hdr *h)
{
	struct idx_rec r;
	if (!j->end) /* format 1: the end is unknown, finish it as its writer would */
		return true;
	if (w->committed <= j->start)
		return false;
	if (!h->count)
		return true;
	return rec_read(w->idx_fd, j->start, &r) == 0 && r.ingested_us >= h->base &&
	       r.ingested_us < h->base + (int64_t)h->count;
}

/* Shard w made durable after an undo (a power cut must not bring the batch back). */
static enum status sync_undone(struct store *st, struct writeset_shard *w)
{
	if (st->sync && ((w->d.fd >= 0 && fdatasync(w->d.fd) < 0) || fdatasync(w->idx_fd) < 0))
		return ST_UNAVAILABLE;
	return ST_OK;
}

/* Whether entries j can be a batch's: each names a day of ws whose index exists (a batch
 * opens its shards before it writes the journal) and counts that do not go backwards. A
 * journal whose bytes were damaged (its magic, making it read as format 1, or an entry) names
 * days no batch wrote: settled as it is, every writer would fail on a day that is no shard. */
static bool entries_sound(struct store *st, const char *ws, const struct jent *j, size_t n)
{
	char p[PATH_MAX];
	for (size_t i = 0; i < n; i++)
		if (!layout_shard_path(p, st, ws, j[i].day, LAYOUT_IDX) || access(p, F_OK) < 0 ||
		    (j[i].end && j[i].end < j[i].start))
			return false;
	return true;
}

enum status journal_recover(struct store *st, const char *ws, int jfd, struct keytable_set *t,
			    bool settle)
{
	struct stat sb;
	if (fstat(jfd, &sb) < 0)
		return ST_UNAVAILABLE;
	if (!sb.st_size)
		return ST_OK;
	size_t n;
	bool must_undo;
	struct jrn_hdr h;
	struct jent *j = entries(jfd, sb.st_size, &n, &must_undo, &h);
	if (!n) {
		free(j);
		return journal_clear(jfd) < 0 ? ST_UNAVAILABLE : ST_OK;
	}
	if (!entries_sound(st, ws, j, n)) {
		free(j);
		errno = JOURNAL_DAMAGED;
		return ST_UNAVAILABLE;
	}
	struct writeset_set set = {.st = st, .ws = ws, .next = {.settle = settle}};
	struct buf lit;
	buf_init(&lit);
	enum status rc = ST_UNAVAILABLE;
	bool *has = xcalloc(n, sizeof(*has));
	/* Open (and so settle) every shard of the batch before replaying or undoing any of it,
	 * each rolled forward up to the batch's end on it; the batch is whole when every shard
	 * holds it to its end. */
	bool whole = !must_undo;
	for (size_t i = 0; i < n; i++) {
		set.next.roll_to = j[i].end ? j[i].end : UINT64_MAX;
		struct writeset_shard *w = writeset_get(&set, j[i].day);
		if (!w)
			goto out;
		has[i] = holds(w, &j[i], &h);
		whole &= has[i] && w->committed >= j[i].end;
	}
	set.next.roll_to = 0;
	/* Undone on the shards that hold it, and only those: one whose records there are
	 * another batch's holds none of it (a journal left behind by a power cut). */
	for (size_t i = 0; i < n; i++) {
		struct writeset_shard *w = writeset_get(&set, j[i].day);
		if ((whole    ? replay(st, ws, &set, w, j[i].start, t, &lit)
		     : has[i] ? undo(w, j[i].start)
			      : hdr_settled(w)) != ST_OK)
			goto out;
	}
	/* Only the shards undone are synced: a batch that never reached a shard (one whose
	 * journal sync failed, say) leaves nothing to make durable. */
	for (size_t i = 0; !whole && i < n; i++)
		if (has[i] && sync_undone(st, writeset_get(&set, j[i].day)) != ST_OK)
			goto out;
	/* Readers stop looking at the journal for these days: the batch is settled. */
	for (size_t i = 0; whole && i < n; i++)
		if (hdr_settled(writeset_get(&set, j[i].day)) != ST_OK)
			goto out;
	/* A writer killed between publishing a slot and counting it left the count one short,
	 * and the replay finds the slot already there: count the slots again. */
	keytable_recount(&t->id);
	keytable_recount(&t->tr);
	keytable_recount(&t->se);
	rc = journal_clear(jfd) < 0 ? ST_UNAVAILABLE : ST_OK;
out:
	free(has);
	buf_free(&lit);
	writeset_set_close(&set);
	free(j);
	return rc;
}

enum status journal_settle(struct store *st, const char *ws, int jfd, struct keytable_set *t)
{
	/* A journal of this boot: this boot's first writer or settle has been here. */
	bool cut = journal_boot(jfd) != io_boot_id();
	enum status rc = journal_recover(st, ws, jfd, t, cut);
	if (rc != ST_OK || !cut)
		return rc;
	int32_t *days = NULL;
	size_t nd = 0;
	struct wopen o = {.settle = true};
	if ((rc = layout_shard_days(st, ws, &days, &nd)) != ST_OK)
		return rc;
	for (size_t i = 0; rc == ST_OK && i < nd; i++) {
		struct writeset_shard w;
		char p[PATH_MAX];
		/* The side file names batches of queries that ran before the boot
		 * (lib/store/sup.h); never synced, a power cut may have left any part of it. */
		if (layout_shard_path(p, st, ws, days[i], LAYOUT_SUP))
			unlink(p);
		/* A day with lines and no index is reindex's (writeset_open would refuse it). */
		if (!layout_shard_path(p, st, ws, days[i], LAYOUT_IDX) || access(p, F_OK) < 0)
			continue;
		if ((rc = writeset_open(st, ws, days[i], &o, &w)) != ST_OK)
			break;
		tailindex_settle(st, ws, &w);
		writeset_close(&w);
	}
	free(days);
	if (rc == ST_OK && journal_mark_boot(jfd) < 0)
		rc = ST_UNAVAILABLE;
	return rc;
}
