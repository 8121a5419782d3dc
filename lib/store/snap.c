/* snap: a query's snapshot of a workspace (store_snap, store.h; docs/FORMAT.md, "What a reader
 * sees"): its horizon, the days it opens taken as of it, and the versions superseded since. */
#include "lib/store/store.h"

#include <stdint.h>
#include "lib/store/io.h"
#include "lib/store/keytable.h"
#include "lib/store/lines.h"
#include "lib/store/mapcache.h"
#include "lib/store/record.h"
#include "lib/store/sup.h"

/* The batches of journal j as store_batches gives them (its token). */
static uint64_t token_of(const struct jrn_hdr *j)
{
	uint64_t n = __atomic_load_n(&j->n, __ATOMIC_ACQUIRE);
	uint64_t open = __atomic_load_n(&j->open, __ATOMIC_ACQUIRE);
	uint64_t seq = __atomic_load_n(&j->seq, __ATOMIC_ACQUIRE);
	return seq << 2 | (open ? 2 : 0) | (n ? 1 : 0);
}

/* A batch past its commit point whose ids are being entered (write.c, batch_ids: its old
 * versions flagged one after another, the id table's newest set last), its writer not yet
 * answered, or dead there: the snapshot is of before it. Every version older than its first
 * is published (each batch starts past the last: batch_plan), so the horizon is just below
 * its base, and the snapshot reads as moved from the start: each day leaves out the batch's
 * records and reads the versions it supersedes as live (<day>.sup names it). A base read
 * between two equal tokens is this batch's; one of a batch after it (the token read in the
 * middle of that batch's header) would be as good: this one is finished by then. None when
 * the batch is of another boot, or of a journal written before its base was kept. */
static void snap_before_batch(struct store_snap *s)
{
	const struct jrn_hdr *j = s->journal;
	int64_t base = __atomic_load_n(&j->base, __ATOMIC_ACQUIRE);
	uint32_t count = __atomic_load_n(&j->count, __ATOMIC_ACQUIRE);
	if (count && j->boot == io_boot_id() && token_of(j) == s->token) {
		s->horizon = base - 1;
		s->moved = true;
	}
}

void store_snap_take(struct store *st, const char *ws, uint64_t look, uint64_t token,
		     struct store_snap *s)
{
	struct mapcache_ent *mc;
	const struct keytable_hdr *t;
	*s = (struct store_snap){.horizon = INT64_MAX, .token = token, .st = st, .ws = ws};
	if (!(s->journal = lines_journal(st, ws, look, &s->mc)))
		return;
	if ((token & 3) == 1) {
		snap_before_batch(s);
		return;
	}
	/* The journal first (token), then the id table: a batch that finished in between is
	 * in the horizon, and the journal has moved since the token, so every day is cut to it.
	 * The table names the newest version a finished batch entered: every version up to it
	 * is published, and every batch after it starts past it (write.c, batch_plan). */
	if ((t = keytable_view(st, ws, LAYOUT_IDS, look, &mc))) {
		if (t->boot == io_boot_id())
			s->horizon = __atomic_load_n(&t->last_ingested, __ATOMIC_ACQUIRE);
		mapcache_put(mc);
	}
}

void store_snap_drop(struct store_snap *s)
{
	mapcache_put(s->mc);
	s->mc = NULL;
	s->journal = NULL;
}

bool store_snap_moved(const struct store_snap *s)
{
	return s->horizon != INT64_MAX && s->journal &&
	       (s->moved || token_of(s->journal) != s->token);
}

/* The day's side file mapped into sh, with at least need bytes: false when there is none or it
 * holds fewer. First as a stat under the query's look found it (no system call), when it held
 * need bytes then; else as a stat finds it now. A batch writes the file before its commit point
 * moves the journal, so it is looked at again only when the journal moved since the last stat:
 * a version marked since then has its value in the file by then. */
static bool sup_mapped(struct shard *sh, size_t need)
{
	if (sh->sup && sh->sup_len >= need)
		return true;
	struct mapcache_ent *mc;
	size_t len;
	const char *m = NULL;
	if (!sh->sup && !sh->sup_tried && sh->d.look)
		m = sup_view(sh->snap->st, sh->snap->ws, sh->day, sh->d.look, need, &len, &mc);
	if (!m) {
		uint64_t token = token_of(sh->snap->journal);
		if (sh->sup_tried && token == sh->sup_token)
			return false;
		m = sup_view(sh->snap->st, sh->snap->ws, sh->day, 0, need, &len, &mc);
		sh->sup_tried = true; /* a stat, at sup_token */
		sh->sup_token = token;
	}
	if (!m)
		return false;
	mapcache_put(sh->sup_mc);
	sh->sup = m;
	sh->sup_len = len;
	sh->sup_mc = mc;
	return true;
}

void store_snap_shard(struct shard *sh, const struct store_snap *s)
{
	sh->snap = s && s->horizon != INT64_MAX ? s : NULL;
	if (!sh->snap || !sh->nrecs || !store_snap_moved(s))
		return;
	/* Versions are appended in the order of their ingest times, batch after batch: those
	 * past the horizon are the day's last records. */
	size_t n = sh->nrecs;
	while (n && sh->recs[n - 1].ingested_us > s->horizon)
		n--;
	sh->nrecs = n;
	if (sh->nsealed > n)
		sh->nsealed = n;
	/* The header's flag generation was read before the side file: a version superseded
	 * since the horizon and before the open has raised its newest by then. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (sup_mapped(sh, SUP_HDR) && sup_newest(sh->sup, sh->sup_len) > s->horizon)
		sh->flag_gen = UINT64_MAX;
}

bool store_snap_superseded(struct shard *sh, size_t i)
{
	/* A flag is written after the journal moved for its batch: a query that finds the
	 * journal as it took it finds no flag written since. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (!store_snap_moved(sh->snap) || !sup_mapped(sh, SUP_HDR))
		return false;
	int64_t h = sh->snap->horizon;
	if (sup_newest(sh->sup, sh->sup_len) <= h)
		return false;
	size_t need = SUP_HDR + (i + 1) * sizeof(int64_t);
	return (sh->sup_len >= need || sup_mapped(sh, need)) && sup_by(sh->sup, sh->sup_len, i) > h;
}
