/* journal: naming a batch in progress, and finishing one whose writer died. Every step of
 * the recovery is idempotent, so a crash during recovery is recovered the same way. */
#include "lib/store/journal.h"

#include <fcntl.h>
#include <string.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/mem.h"
#include "lib/store/io.h"
#include "lib/store/layout.h"
#include "lib/store/record.h"
#include "lib/store/sdata.h"
#include "lib/store/wshard.h"

int journal_open(struct store *st, const char *ws)
{
	char p[PATH_MAX];
	if (!layout_path(p, st, ws, LAYOUT_JOURNAL))
		return -1;
	return open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
}

/* The file: a header (magic, entry count), then the entries. A journal without the magic is
 * one of the first format (day and start only, 8 bytes each), left by an older writer: it is
 * rolled forward as that writer would have. No valid day reads as the magic. */
#define JOURNAL_MAGIC "SPXJRN2\n"
struct jhdr {
	char magic[8];
	uint32_t n, pad;
};
struct jent1 {
	int32_t day;
	uint32_t start;
};

int journal_write(int jfd, const struct jent *j, size_t n)
{
	struct jhdr h = {.n = (uint32_t)n};
	memcpy(h.magic, JOURNAL_MAGIC, 8);
	if (io_pwrite_all(jfd, j, n * sizeof(*j), sizeof(h)) < 0 ||
	    io_pwrite_all(jfd, &h, sizeof(h), 0) < 0 ||
	    ftruncate(jfd, (off_t)(sizeof(h) + n * sizeof(*j))) < 0)
		return -1;
	return 0;
}

int journal_clear(int jfd)
{
	return ftruncate(jfd, 0);
}

/* Enters the records of shard w from record start on into the tables, as the batch would
 * have. */
static enum status replay(struct store *st, const char *ws, struct wshard_set *set,
			  struct wshard *w, uint64_t start, struct tab_set *t, struct buf *lit)
{
	for (uint64_t k = start; k < w->committed; k++) {
		struct idx_rec r;
		if (rec_read(w->idx_fd, k, &r) < 0 || sdata_id_lit(&w->d, &r, lit) != ST_OK)
			return ST_UNAVAILABLE;
		if (tab_reserve_all(st, ws, t, 1) != ST_OK ||
		    wshard_upsert_id(set, &t->id, r.span_h, lit, LOC(w->day, k)) != ST_OK)
			return ST_UNAVAILABLE;
		tab_add_ranges(t, &r, w->day);
		if (r.ingested_us > t->id.hdr->last_ingested)
			t->id.hdr->last_ingested = r.ingested_us;
	}
	return ST_OK;
}

/* Takes shard w back to its first `start` records: the bytes of the later ones go. */
static enum status undo(struct wshard *w, uint64_t start)
{
	struct idx_rec r;
	struct idx_hdr h;
	if (w->committed <= start)
		return ST_OK;
	if (rec_read(w->idx_fd, start, &r) < 0 || r.off < w->d.base ||
	    io_pread_all(w->idx_fd, &h, sizeof(h), 0) < 0)
		return ST_UNAVAILABLE;
	/* The count first: from then on readers stop at start, whatever is cut after. */
	h.committed = start;
	if (io_pwrite_all(w->idx_fd, &h, sizeof(h), 0) < 0 ||
	    (w->d.fd >= 0 && ftruncate(w->d.fd, (off_t)(r.off - w->d.base)) < 0) ||
	    ftruncate(w->idx_fd, (off_t)(STORE_IDX_HDR + start * sizeof(struct idx_rec))) < 0)
		return ST_UNAVAILABLE;
	w->committed = start;
	w->data_end = r.off;
	return ST_OK;
}

/* The entries of the journal, either format; *n 0 when it is empty or unreadable. */
static struct jent *entries(int jfd, off_t size, size_t *n)
{
	struct jhdr h;
	*n = 0;
	if (size >= (off_t)sizeof(h) && io_pread_all(jfd, &h, sizeof(h), 0) == 0 &&
	    !memcmp(h.magic, JOURNAL_MAGIC, 8)) {
		if ((off_t)(sizeof(h) + (size_t)h.n * sizeof(struct jent)) != size)
			return NULL;
		struct jent *j = xmalloc((h.n ? h.n : 1) * sizeof(*j));
		if (io_pread_all(jfd, j, h.n * sizeof(*j), sizeof(h)) < 0) {
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

enum status journal_recover(struct store *st, const char *ws, int jfd, struct tab_set *t)
{
	struct stat sb;
	if (fstat(jfd, &sb) < 0)
		return ST_UNAVAILABLE;
	if (!sb.st_size)
		return ST_OK;
	size_t n;
	struct jent *j = entries(jfd, sb.st_size, &n);
	if (!n) {
		free(j);
		return journal_clear(jfd) < 0 ? ST_UNAVAILABLE : ST_OK;
	}
	struct wshard_set set = {.st = st, .ws = ws, .roll_forward = true};
	struct buf lit;
	buf_init(&lit);
	enum status rc = ST_UNAVAILABLE;
	/* Open (and so settle) every shard of the batch before replaying or undoing any of it;
	 * the batch is whole when every shard reached its end. */
	bool whole = true;
	for (size_t i = 0; i < n; i++) {
		struct wshard *w = wshard_get(&set, j[i].day);
		if (!w)
			goto out;
		whole &= w->committed >= j[i].end;
	}
	for (size_t i = 0; i < n; i++) {
		struct wshard *w = wshard_get(&set, j[i].day);
		if ((whole ? replay(st, ws, &set, w, j[i].start, t, &lit) : undo(w, j[i].start)) != ST_OK)
			goto out;
	}
	/* A writer killed between publishing a slot and counting it left the count one short,
	 * and the replay finds the slot already there: count the slots again. */
	tab_recount(&t->id);
	tab_recount(&t->tr);
	tab_recount(&t->se);
	rc = journal_clear(jfd) < 0 ? ST_UNAVAILABLE : ST_OK;
out:
	buf_free(&lit);
	wshard_set_close(&set);
	free(j);
	return rc;
}
