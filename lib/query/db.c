/* db: the days of a query's workspace, each day's shard opened on first need, and what the
 * query may spend reading them (its budget of bytes, time and memory). */
#include "lib/query/engine.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/bits.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/json/jline.h"
#include "lib/json/jsonw.h"
#include "lib/model/workspace.h"

/* The status of a query that ran out of budget, with what to do about it. */
enum status db_over(struct scan *db)
{
	const struct query *q = db->q;
	if (db->b.refused)
		return db->b.refused; /* the admission's reason is in q->err */
	if (db->b.mem)
		return err_set(&db->q->err, ST_BAD_REQUEST,
			       "This query needs more memory than its limit (%zu bytes; "
			       "SPANDEX_QUERY_MEM): ask for fewer rows (a smaller limit or page "
			       "size) or narrow it with a time window or a more selective filter.",
			       db->b.max_mem);
	return err_set(&db->q->err, ST_BAD_REQUEST,
		       "This query needs more than its budget (%lld ms, %llu bytes read; "
		       "SPANDEX_QUERY_MS, SPANDEX_QUERY_BYTES): narrow it with a time window "
		       "or a more selective filter.",
		       q->budget_ms > 0 ? q->budget_ms : QUERY_BUDGET_MS,
		       q->budget_bytes > 0 ? q->budget_bytes : QUERY_BUDGET_BYTES);
}

/* Whether bytes more (rows about to be copied out) fit the memory the query may hold; when
 * they do not, the budget is over (db_over says why), before the first is copied. */
bool db_fits(struct scan *db, size_t bytes)
{
	if (arena_size(db->b.a) + bytes <= db->b.max_mem)
		return true;
	db->b.over = db->b.mem = true;
	return false;
}

/* The first and last day of key h (store_key_days), asked once per query. */
enum status db_key_days(struct scan *db, enum store_key which, uint64_t h, int32_t *first,
			int32_t *last)
{
	if (!db->key.done || db->key.which != which || db->key.h != h) {
		db->key.done = true;
		db->key.which = which;
		db->key.h = h;
		db->key.s = store_key_days(db->q->st, db->q->ws, db->look, which, h, &db->key.first,
					   &db->key.last);
	}
	*first = db->key.first;
	*last = db->key.last;
	return db->key.s;
}

void db_close(struct scan *db)
{
	for (size_t i = 0; i < db->ndays; i++)
		if (db->sh[i].open) {
			shard_close(&db->sh[i].sh);
			free(db->sh[i].tbits);
			free(db->sh[i].tsure);
			store_index_free(&db->sh[i].ix);
		}
	free(db->sh);
	free(db->days);
	free(db->kloc.loc);
}

static int day_cmp(const void *k, const void *e)
{
	int32_t a = *(const int32_t *)k, b = *(const int32_t *)e;
	return (a > b) - (a < b);
}

size_t db_day_at(const struct scan *db, int32_t day)
{
	const int32_t *at = bsearch(&day, db->days, db->ndays, sizeof *db->days, day_cmp);
	return at ? (size_t)(at - db->days) : db->ndays;
}

struct scan_day *db_day(struct scan *db, int32_t day)
{
	size_t di = db_day_at(db, day);
	return di < db->ndays ? db_shard(db, di) : NULL;
}

/* The days db_shard has opened (query_days_opened). */
static uint64_t days_opened;

uint64_t query_days_opened(void)
{
	return days_opened;
}

/* Shard of day index di, or NULL when it cannot be opened (deleted since store_days). */
struct scan_day *db_shard(struct scan *db, size_t di)
{
	struct scan_day *s = &db->sh[di];
	if (s->open)
		return s;
	if (s->missing)
		return NULL;
	enum status rc = shard_open_at(db->q->st, db->q->ws, db->days[di], db->look, &s->sh);
	if (rc != ST_OK) {
		/* Gone since it was listed, or no record there yet: nothing left out. */
		if (rc != ST_NOT_FOUND && !db->q->unread++)
			db->q->unread_day = db->days[di];
		s->missing = true;
		return NULL;
	}
	store_snap_shard(&s->sh, db->snap);
	days_opened++;
	s->open = true;
	s->b = &db->b;
	s->db = db;
	s->q = db->q;
	store_index_init(&s->ix, db->q->st, db->q->ws, &s->sh);
	/* Free text: the day's indexes rule out the records whose words cannot hold the terms
	 * (none: every line is read). */
	if (db->q->nsearch)
		s->xcovered =
		    store_index_text(&s->ix, db->q->search, db->q->nsearch, &s->tbits, &s->tsure);
	return s;
}

/* What a page fault on a mapped file maps around it (Linux's fault_around_bytes, 64 KiB by
 * default), where the page cache holds it. */
#define DB_FAULT_AROUND (64u << 10)

/* Gives back the pages of the records and lines read so far, in every shard open (the views
 * given stay valid; what is read again is read from the page cache). */
static void db_forget(struct scan *db)
{
	for (size_t i = 0; i < db->ndays; i++)
		if (db->sh[i].open) {
			shard_forget_lines(&db->sh[i].sh);
			shard_forget_records(&db->sh[i].sh);
		}
	db->b.resident = 0;
}

/* The JSON line of record ri, open or sealed shard alike, valid until the next line of the
 * same shard is read: every caller uses or copies it first. False for a record the data does
 * not hold. */
bool db_line(struct scan_day *s, size_t ri, const char **p, size_t *n)
{
	if (!shard_view(&s->sh, ri, p, n))
		return false;
	/* A line read again for the next check of the same candidate is not read twice. */
	if (s->charged != ri + 1) {
		spend(s->b, *n);
		/* What a read leaves mapped: the line, and around a line away from the last one
		 * the kernel's fault-around block of it (a filter that reads one span in twenty
		 * maps them all). */
		uint64_t off = s->sh.recs[ri].off, held = *n;
		if (off + *n > s->mapped_to + DB_FAULT_AROUND || off < s->mapped_to)
			held += DB_FAULT_AROUND;
		s->mapped_to = (off + *n + DB_FAULT_AROUND - 1) & ~(uint64_t)(DB_FAULT_AROUND - 1);
		if ((s->b->resident += held) > s->b->max_resident)
			db_forget(s->db);
	}
	s->charged = ri + 1;
	return true;
}

bool db_row(struct scan_day *s, size_t ri, const char **p, size_t *n)
{
	return db_line(s, ri, p, n) && rec_line_sound(s->q->st->kind, *p, *n, &s->sh.recs[ri]);
}

bool db_id(struct scan_day *s, size_t ri, enum store_key which, bool row, const char **v,
	   size_t *vn)
{
	static const char *const key[] = {"trace_id", "session_id"};
	const char *p;
	size_t n;
	if (store_index_id(&s->ix, which, ri, v, vn))
		return true;
	return (row ? db_row(s, ri, &p, &n) : db_line(s, ri, &p, &n)) &&
	       jline_get(p, n, key[which], v, vn);
}

/* Day index range [*lo, *hi) whose shards can hold started_at in [smin, smax]. */
void db_window(struct scan *db, int64_t smin, int64_t smax, size_t *lo, size_t *hi)
{
	int32_t dmin = time_day(smin), dmax = time_day(smax);
	size_t i = 0, j = db->ndays;
	while (i < j && db->days[i] < dmin)
		i++;
	while (j > i && db->days[j - 1] > dmax)
		j--;
	*lo = i;
	*hi = j;
}

/* Narrows [*lo, *hi) to the days the range table gives for key h (lib/store.h). False when
 * no span has that key. */
bool db_key_window(struct scan *db, enum store_key which, uint64_t h, size_t *lo, size_t *hi)
{
	int32_t first, last;
	enum status s = db_key_days(db, which, h, &first, &last);
	if (s == ST_NOT_FOUND)
		return false;
	if (s != ST_OK)
		return true; /* no table to ask: every day */
	while (*lo < *hi && db->days[*lo] < first)
		(*lo)++;
	while (*hi > *lo && db->days[*hi - 1] > last)
		(*hi)--;
	return true;
}

/* A trace or session whose range of days is longer than this is looked for in the days the
 * workspace lists, not in each day of its range. */
#define QUERY_KEY_DAYS 64

/* The days of a filter c that names one trace or session, from the range tables with no
 * listing of the workspace: true with db->days set (none: no span has that key), false when
 * the tables cannot answer or the range is longer than QUERY_KEY_DAYS (then list them). */
static bool db_key_open(struct scan *db, const struct rec_filter *c)
{
	enum store_key which = (c->need & NEED_TRACE) ? STORE_KEY_TRACE : STORE_KEY_SESSION;
	int32_t first, last;
	enum status s = db_key_days(db, which, which == STORE_KEY_TRACE ? c->trace_h : c->session_h,
				    &first, &last);
	if (s == ST_NOT_FOUND)
		return true;
	if (s != ST_OK || first > last || last - first >= QUERY_KEY_DAYS)
		return false;
	db->ndays = (size_t)(last - first) + 1;
	db->days = xmalloc(db->ndays * sizeof *db->days);
	for (size_t i = 0; i < db->ndays; i++)
		db->days[i] = first + (int32_t)i; /* a day with no shard opens as missing */
	return true;
}

/* The look and the snapshot db_snapshot took for the run in progress, which db_open takes too
 * for the same store and workspace (look 0: none, or a look that found the directory changing:
 * db_open looks again; snap NULL: none). A run within a run (another store's query) puts the
 * outer one's back when it ends. */
static struct run_look {
	uint64_t look;
	const struct store *st;
	const char *ws;
	const struct store_snap *snap;
} run_look;

enum status db_snapshot(struct query *q, enum status (*run)(struct query *q, void *arg), void *arg)
{
	if (!workspace_valid(q->ws))
		return run(q, arg); /* which says so */
	const struct run_look outer = run_look;
	enum status s = ST_OK;
	bool snapped = false; /* the last run answered as of its snapshot (it had a horizon) */
	for (int t = 1;; t++) {
		int hold = -1;
		/* The last run holds the lock. When a writer has it now (a batch of two days syncs
		 * under it), the run before stands: it answered as of its snapshot, as a run over
		 * QUERY_RETRY_MS does, and waiting for the lock cost a cheap page up to
		 * STORE_HOLD_WAIT_MS under ingest (BENCHMARKS-HISTORY.md, "The list page under the
		 * soak with phrases"). A run with no horizon read the state as it found it: it
		 * waits for the lock as before. */
		if (t == QUERY_TRIES) {
			hold = snapped ? store_hold_now(q->st, q->ws) : store_hold(q->st, q->ws);
			if (hold < 0 && snapped)
				return s;
		}
		uint64_t look = store_look(q->st, q->ws);
		/* After a reboot the first query rebuilds the tables a writer would (else every
		 * lookup reads every day, and no run has a horizon, until the next write). */
		if (t == 1 && store_settle_boot(q->st, q->ws, look))
			look = store_look(q->st, q->ws);
		run_look.look = look, run_look.st = q->st, run_look.ws = q->ws;
		uint64_t before = store_batches(q->st, q->ws, look);
		/* A batch past its commit point and not published after the wait: its writer may
		 * be dead, and then every query would wait; the first finishes it. */
		if ((before & 3) == 1 && store_finish(q->st, q->ws))
			before = store_batches(q->st, q->ws, look);
		/* However long the run, it answers as of this state (store_snap). */
		struct store_snap snap;
		store_snap_take(q->st, q->ws, look, before, &snap);
		run_look.snap = &snap;
		int64_t t0 = mono_ns();
		q->unread = 0;
		s = run(q, arg);
		bool same = hold >= 0 || store_batches(q->st, q->ws, look) == before;
		/* A run with no horizon (tables of another boot, a journal of another boot stuck
		 * past its commit point) read the state as it found it day by day: run again
		 * however long it took. */
		snapped = snap.horizon != INT64_MAX;
		bool slow = snapped && mono_ns() - t0 > QUERY_RETRY_MS * 1000000LL;
		run_look = outer;
		store_snap_drop(&snap);
		store_release(hold);
		if (same || t == QUERY_TRIES || slow)
			return s;
	}
}

/* Opens the query's workspace: its days (with c, a compiled filter or NULL, only those a
 * trace or session key it names can have), none opened yet. */
enum status db_open(struct query *q, struct scan *db, const struct rec_filter *c)
{
	memset(db, 0, sizeof *db);
	db->q = q;
	if (q->nsearch) {
		db->text = arena_alloc(q->a, q->nsearch * sizeof *db->text);
		for (size_t k = 0; k < q->nsearch; k++) {
			size_t m = strlen(q->search[k]);
			utf8_needle_init(&db->text[k], q->search[k], m, arena_alloc(q->a, m + 1));
		}
	}
	db->b.max_bytes = q->budget_bytes > 0 ? q->budget_bytes : QUERY_BUDGET_BYTES;
	db->b.a = q->a;
	db->b.admit = q->admit;
	db->b.admit_ctx = q->admit_ctx;
	db->b.heavy_bytes = q->heavy_bytes > 0 ? q->heavy_bytes : QUERY_HEAVY_BYTES;
	db->b.cpu0 = q->admit && q->start_cpu_ns ? q->start_cpu_ns : q->admit ? cpu_ns() : 0;
	db->b.heavy_cpu_ns =
	    (int64_t)(q->heavy_cpu_ms > 0 ? q->heavy_cpu_ms : QUERY_HEAVY_CPU_MS) * 1000000;
	db->b.err = &q->err;
	db->b.max_mem = (size_t)(q->budget_mem > 0 ? q->budget_mem : QUERY_BUDGET_MEM);
	db->b.max_resident = q->budget_resident > 0 ? q->budget_resident : QUERY_LINES_RESIDENT;
	db->b.deadline_ns = (q->start_ns ? q->start_ns : mono_ns()) +
			    (q->budget_ms > 0 ? q->budget_ms : QUERY_BUDGET_MS) * 1000000;
	/* Many conditions on each line: expensive from the start (its first record stops it
	 * when refused). */
	size_t tests = q->nsearch;
	for (size_t i = 0; i < q->npreds; i++)
		tests += q->preds[i].tests ? q->preds[i].tests : 1;
	if (db->b.admit && tests >= QUERY_HEAVY_TESTS)
		budget_admit(&db->b);
	/* A request whose parse spent its time stops before its first record. */
	budget_clock(&db->b);
	if (!workspace_valid(q->ws)) {
		err_set(&q->err, ST_NOT_FOUND, "Workspace %s not found", q->ws);
		return ST_NOT_FOUND;
	}
	enum status s = ST_OK;
	bool in_run = run_look.st == q->st && run_look.st && !strcmp(run_look.ws, q->ws);
	db->look = in_run && run_look.look ? run_look.look : store_look(q->st, q->ws);
	db->snap = in_run ? run_look.snap : NULL;
	if (!(c && !c->nothing && (c->need & (NEED_TRACE | NEED_SESSION)) && db_key_open(db, c)))
		s = store_days_at(q->st, q->ws, db->look, &db->days, &db->ndays);
	if (s == ST_NOT_FOUND) { /* a workspace with no data answers like an empty one */
		db->days = NULL;
		db->ndays = 0;
		return ST_OK;
	}
	if (s != ST_OK)
		return s;
	db->sh = db->ndays ? xmalloc(db->ndays * sizeof *db->sh) : NULL;
	if (db->sh)
		memset(db->sh, 0, db->ndays * sizeof *db->sh);
	return ST_OK;
}
