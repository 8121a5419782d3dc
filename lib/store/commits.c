/* commits: the versions of a workspace in the order they were committed (store.h,
 * store_commits_open), what `spandex forward` sends on. Versions are ordered by ingested_at,
 * strictly increasing per workspace under its lock (ARCHITECTURE.md, "Versions: newest wins"),
 * and a day's records number its lines in the order they were written, sealed or not
 * (FORMAT.md, "Sealed shards"): so each day's records after a time are a binary search away,
 * and the commit order is a merge of the days' runs. */
#include <stdlib.h>
#include <string.h>
#include "lib/base/mem.h"
#include "lib/store/store.h"

/* The first record of sh committed after after_us. */
static size_t first_after(const struct shard *sh, int64_t after_us)
{
	size_t lo = 0, hi = sh->nrecs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sh->recs[mid].ingested_us <= after_us)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* One run: the days' records after the cursor, merged by ingested_us, at most max. */
static enum status gather(struct store *st, const char *ws, uint64_t look, int64_t after_us,
			  size_t max, struct store_commits *c)
{
	int32_t *days = NULL;
	size_t nd = 0;
	enum status s = store_days_at(st, ws, look, &days, &nd);
	if (s == ST_NOT_FOUND)
		s = ST_OK; /* no workspace yet: nothing committed */
	c->sh = xcalloc(nd ? nd : 1, sizeof *c->sh);
	size_t *at = xcalloc(nd ? nd : 1, sizeof *at);
	for (size_t i = 0; s == ST_OK && i < nd; i++) {
		struct shard sh;
		enum status o = shard_open_at(st, ws, days[i], look, &sh);
		if (o == ST_NOT_FOUND)
			continue; /* removed since the listing (retention) */
		if (o != ST_OK) {
			s = o;
			break;
		}
		size_t k = first_after(&sh, after_us);
		if (k == sh.nrecs) {
			shard_close(&sh);
			continue;
		}
		c->pending += sh.nrecs - k;
		if (!c->oldest_us || sh.recs[k].ingested_us < c->oldest_us)
			c->oldest_us = sh.recs[k].ingested_us;
		at[c->nsh] = k;
		c->sh[c->nsh++] = sh;
	}
	free(days);
	c->v = xmalloc((max ? max : 1) * sizeof *c->v);
	while (s == ST_OK && c->n < max) {
		size_t best = c->nsh;
		for (size_t i = 0; i < c->nsh; i++)
			if (at[i] < c->sh[i].nrecs &&
			    (best == c->nsh || c->sh[i].recs[at[i]].ingested_us <
						   c->sh[best].recs[at[best]].ingested_us))
				best = i;
		if (best == c->nsh)
			break;
		const struct idx_rec *r = &c->sh[best].recs[at[best]];
		c->v[c->n++] = (struct store_commit){.ingested_us = r->ingested_us,
						     .shard = best,
						     .rec = at[best]++,
						     .flags = r->flags};
	}
	c->more = c->n < c->pending;
	free(at);
	return s;
}

void store_commits_close(struct store_commits *c)
{
	/* Each batch's lines are read once: their pages go back, or a forwarder's backlog would
	 * stay mapped in it whole (the mappings outlive the shard, lib/store/mapcache.c). */
	for (size_t i = 0; i < c->nsh; i++) {
		shard_forget_lines(&c->sh[i]);
		shard_forget_records(&c->sh[i]);
		shard_close(&c->sh[i]);
	}
	free(c->sh);
	free(c->v);
	memset(c, 0, sizeof *c);
}

enum status store_commits_open(struct store *st, const char *ws, int64_t after_us, size_t max,
			       struct store_commits *c)
{
	memset(c, 0, sizeof *c);
	if (!workspace_valid(ws))
		return ST_BAD_REQUEST;
	/* A snapshot, as lib/query's (db_snapshot): a batch that commits while the days are read
	 * could be seen on one day and not on another, and a cursor moved past it would skip the
	 * rest for good. So the run is repeated while batches commit under it, and the last try
	 * holds the workspace lock shared. */
	for (int t = 1;; t++) {
		int hold = t == STORE_COMMITS_TRIES ? store_hold(st, ws) : -1;
		uint64_t look = store_look(st, ws);
		uint64_t before = store_batches(st, ws, look);
		if ((before & 3) == 1 && store_finish(st, ws))
			before = store_batches(st, ws, look);
		enum status s = gather(st, ws, look, after_us, max, c);
		bool same = hold >= 0 || store_batches(st, ws, look) == before;
		store_release(hold);
		if (s != ST_OK || same)
			return s;
		store_commits_close(c);
		if (t == STORE_COMMITS_TRIES) /* the lock could not be had: say so */
			return ST_UNAVAILABLE;
	}
}

bool store_commits_line(struct store_commits *c, size_t i, const char **p, size_t *n)
{
	struct shard *sh = &c->sh[c->v[i].shard];
	const struct idx_rec *r = &sh->recs[c->v[i].rec];
	return shard_view(sh, c->v[i].rec, p, n) && rec_line_sound(STORE_SPANS, *p, *n, r);
}
