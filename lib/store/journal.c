/* journal: naming a batch in progress, and finishing one whose writer died. Every step of
 * the recovery is idempotent, so a crash during recovery is recovered the same way. */
#include "lib/store/journal.h"

#include <fcntl.h>
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

int journal_write(int jfd, const struct jent *j, size_t n)
{
	if (io_pwrite_all(jfd, j, n * sizeof(*j), 0) < 0 ||
	    ftruncate(jfd, (off_t)(n * sizeof(*j))) < 0)
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

enum status journal_recover(struct store *st, const char *ws, int jfd, struct tab_set *t)
{
	struct stat sb;
	if (fstat(jfd, &sb) < 0)
		return ST_UNAVAILABLE;
	size_t n = (size_t)sb.st_size / sizeof(struct jent);
	if (!n)
		return sb.st_size ? (journal_clear(jfd) < 0 ? ST_UNAVAILABLE : ST_OK) : ST_OK;
	struct jent *j = xmalloc(n * sizeof(*j));
	struct wshard_set set = {.st = st, .ws = ws, .roll_forward = true};
	struct buf lit;
	buf_init(&lit);
	enum status rc = ST_UNAVAILABLE;
	if (io_pread_all(jfd, j, n * sizeof(*j), 0) < 0)
		goto out;
	/* Open (and so settle) every shard of the batch before replaying any of it. */
	for (size_t i = 0; i < n; i++)
		if (!wshard_get(&set, j[i].day))
			goto out;
	for (size_t i = 0; i < n; i++)
		if (replay(st, ws, &set, wshard_get(&set, j[i].day), j[i].start, t, &lit) != ST_OK)
			goto out;
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
