/* engine: the parts of lib/query shared by its files, and by nothing outside it.
 *   db.c      the days a query reads: shards opened lazily, the budget of bytes, time and memory
 *   plan.c    a filter compiled into record tests and line checks, and the days it can match
 *   narrow.c  narrowing by index: the records of a day to visit, the checks on each, the scan
 *   topk.c    top-k selection; page.c the page asked for
 *   htab.c    the hash table of 64-bit keys
 *   spans.c groups.c traces.c sessions.c stats.c breakdown.c: one file per answer (query.h) */
#ifndef SPANDEX_QUERY_ENGINE_H
#define SPANDEX_QUERY_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include "lib/query/query.h"
#include "lib/query/htab.h"
#include "lib/base/bits.h"
#include "lib/base/arena.h"
#include "lib/base/mem.h"
#include "lib/base/utf8.h"

struct rec_filter;

/* ---- Shards: the workspace's days, opened lazily (db.c) ---- */

/* What a query may still spend: bytes of records and lines read, and time. The clock is
 * read once every 1024 records, and after every line a predicate or a search term was tested
 * on (budget_clock), since one such test can cost as much as thousands of records. */
struct budget {
	uint64_t bytes, max_bytes;
	int64_t deadline_ns;
	const struct arena *a; /* the query's arena, and what it may hold */
	size_t max_mem;
	uint64_t resident; /* bytes of records and lines read since the shards' pages were last
			      given back (db_forget) */
	uint64_t max_resident;
	unsigned tick;
	bool over, mem; /* mem: over because of the arena */
	/* The query's admission (query.admit), until it is asked; what it refused with. It is
	 * asked once the query has read heavy_bytes, or once its request has spent heavy_cpu_ns
	 * of CPU since cpu0 (the thread's CPU clock, looked at no more than once every
	 * QUERY_CPU_LOOK_NS). */
	enum status (*admit)(void *ctx, struct err *e);
	void *admit_ctx;
	uint64_t heavy_bytes;
	int64_t cpu0, heavy_cpu_ns, cpu_look_ns;
	struct err *err;
	enum status refused;
};

/* How often a query looks at its CPU clock (a system call, where the monotonic clock is
 * not): a query that crosses the threshold asks for its slot within this much more time. */
#define QUERY_CPU_LOOK_NS 1000000

static inline int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The CPU time this thread has used, in ns. */
static inline int64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Asks the query's admission, once; over when it refuses. */
static inline void budget_admit(struct budget *b)
{
	enum status s = b->admit(b->admit_ctx, b->err);
	b->admit = NULL;
	if (s != ST_OK)
		b->over = true, b->refused = s;
}

/* Reads the clock: over past the deadline; the admission asked once the request has spent
 * its CPU threshold. True once the budget is gone. */
static inline bool budget_clock(struct budget *b)
{
	int64_t now = mono_ns();
	if (now > b->deadline_ns)
		b->over = true;
	if (b->admit && now >= b->cpu_look_ns) {
		b->cpu_look_ns = now + QUERY_CPU_LOOK_NS;
		if (cpu_ns() - b->cpu0 > b->heavy_cpu_ns)
			budget_admit(b);
	}
	return b->over;
}

/* Spends n bytes; true once the budget is gone (and from then on). */
static inline bool spend(struct budget *b, size_t n)
{
	b->bytes += n;
	if (b->bytes > b->max_bytes)
		b->over = true;
	if (!(++b->tick & 1023)) {
		budget_clock(b);
		if (arena_size(b->a) > b->max_mem)
			b->over = b->mem = true;
	}
	if (b->admit && b->bytes > b->heavy_bytes)
		budget_admit(b);
	return b->over;
}

struct scan;
struct scan_day {
	struct shard sh;
	bool open, missing;
	struct budget *b;
	struct scan *db;
	size_t charged;	    /* 1 + the record whose line was last charged to the budget */
	uint64_t mapped_to; /* the end of the block of lines last read (db_line) */
	const struct query *q;
	/* The day's indexes, the .tix and the tail's as one (store_index_*). */
	struct store_index ix;
	/* With search terms, what the indexes answer (store_index_text): */
	size_t xcovered; /* the records they answer for: [0, xcovered) */
	uint64_t *tbits; /* the candidates ... */
	uint64_t *tsure; /* ... and those known to match (NULL: none) */
};

struct scan {
	struct query *q;
	int32_t *days;
	size_t ndays;
	struct scan_day *sh;
	struct budget b;
	struct utf8_needle *text;      /* q->search, prepared once */
	uint64_t look;		       /* the query's look at its workspace (store_look) */
	const struct store_snap *snap; /* the run's snapshot (db_snapshot), or NULL */
	/* The id table's records of a set of span ids of the query (query.keys by span; one
	 * store_locate a query, narrow.c): STORE_LOC values, ascending; ok false when the table
	 * could not answer. */
	struct {
		const struct query_keys *of;
		bool ok;
		uint64_t *loc;
		size_t n;
	} kloc;
	/* The last range-table lookup (db_key_days): its table, key and answer. */
	struct {
		bool done;
		enum store_key which;
		uint64_t h;
		enum status s;
		int32_t first, last;
	} key;
};

/* One record of the scan: false once the query's budget is spent. Its bytes count towards
 * what the scan keeps mapped, given back at the next line read past the threshold (db_line). */
static inline bool db_rec(struct scan *db)
{
	db->b.resident += sizeof(struct idx_rec);
	return !spend(&db->b, sizeof(struct idx_rec));
}

enum status db_open(struct query *q, struct scan *db, const struct rec_filter *c);
/* Runs run(q, arg), an answer that resets its output first, as one snapshot of the workspace
 * (FORMAT.md, "What a reader sees"): run again while a batch reached its commit point
 * during it (store_batches), QUERY_TRIES times in all, the last holding the workspace lock
 * shared so that no batch commits during it; only while a run takes less than QUERY_RETRY_MS,
 * and when a writer holds the lock, the run before stands (as of its snapshot, store_snap). A visit
 * is run so only when its caller can set its callback's state back (query.visit_reset): its run is
 * given a struct visit_run. */
enum status db_snapshot(struct query *q, enum status (*run)(struct query *q, void *arg), void *arg);
struct visit_run {
	query_span_fn span_fn;
	query_trace_fn trace_fn;
	void *ctx;
	int runs; /* the runs begun: from the second on, q->visit_reset(ctx) first */
};
void db_close(struct scan *db);
enum status db_over(struct scan *db);
bool db_fits(struct scan *db, size_t bytes);
struct scan_day *db_shard(struct scan *db, size_t di);
/* The place of day among db's days (ascending), db->ndays when it is none of them. */
size_t db_day_at(const struct scan *db, int32_t day);
/* The shard of day among db's, or NULL (none, or it cannot be opened: db_shard). */
struct scan_day *db_day(struct scan *db, int32_t day);
bool db_line(struct scan_day *s, size_t ri, const char **p, size_t *n);
/* db_line for a line to be served (a page's row, a visited span or trace): false too when
 * the line was damaged since it was written (rec_line_sound), so that no answer carries its
 * bytes. */
bool db_row(struct scan_day *s, size_t ri, const char **p, size_t *n);
/* The trace (STORE_KEY_TRACE) or session id of record ri as its line holds it (the JSON
 * literal) into *v, *vn: from the day's index when it has it, so that no line is read (on a
 * sealed day a line costs a block decompressed), else from the line (row: read as db_row reads
 * one served). Valid until the next line of s is read; false when neither has it. */
bool db_id(struct scan_day *s, size_t ri, enum store_key which, bool row, const char **v,
	   size_t *vn);
void db_window(struct scan *db, int64_t smin, int64_t smax, size_t *lo, size_t *hi);
bool db_key_window(struct scan *db, enum store_key which, uint64_t h, size_t *lo, size_t *hi);
/* The first and last day of key h in the range table (store_key_days): ST_NOT_FOUND when no span
 * has it, another status when the table cannot say. The last answer is kept in db. */
enum status db_key_days(struct scan *db, enum store_key which, uint64_t h, int32_t *first,
			int32_t *last);

/* ---- Compiled filter: record-level tests, then confirmations on the line (plan.c) ---- */

struct linechk {
	const char *key, *sub;
	const char **lits; /* JSON literals of the accepted values */
	uint64_t *lit_h;   /* their store_dayindex_hash */
	size_t nlits;
	bool empty;  /* an absent field, or "", matches too (the filter value "") */
	bool absent; /* an absent field matches too (filter_cond.or_absent) */
	int col;     /* the field's column in the day's index, or -1 */
	int id;	     /* trace_id or session_id: 1 + its enum store_key (the index's id strings
			confirm it), else 0 */
};

enum {
	NEED_TRACE = 1,
	NEED_SESSION = 2,
	NEED_PARENT = 4,
	NEED_SOURCE = 8,
	NEED_IDS = 16,
	NEED_SPAN = 32,
	NEED_SPAN_IDS = 64,
	NEED_KEYS = 128
};

_Static_assert(KIND__COUNT <= 32 && SPST__COUNT <= 32, "kind and status sets are 32-bit masks");

struct rec_filter {
	unsigned need;
	bool nothing; /* contradictory conditions */
	uint64_t trace_h, session_h, parent_h, span_h, sig;
	uint32_t source_h;
	uint32_t kinds, statuses; /* bit v: kind or status v may match; 0: any */
	bool roots;		  /* root spans only: no parent */
	int64_t smin, smax;
	int64_t imin, imax; /* ingested_at (created_at, updated_at) */
	uint64_t *ids;	    /* TraceFilter id $in hashes */
	size_t nids;
	uint64_t *sids; /* span id $in hashes */
	size_t nsids;
	const struct query_keys *keys; /* the query's sets of ids (query.keys) */
	size_t nkeys;
	struct linechk chk[FILTER_MAX_CONDS];
	size_t nchk;
};

void plan_build(struct arena *a, const struct filter *f, const char *ws, struct rec_filter *c);
/* plan_build of q's filter, with q's sets of ids. */
void plan_query(const struct query *q, struct rec_filter *c);
/* Opens db on the days the range tables name for the trace or session "ff = id", and
 * compiles that filter into c (matching nothing for an empty id). */
enum status plan_open_key(struct query *q, struct scan *db, enum filter_field ff, const char *id,
			  struct rec_filter *c);
void plan_one(struct arena *a, enum filter_field ff, const char *value, struct rec_filter *c);
void plan_window(struct scan *db, struct rec_filter *c, size_t *lo, size_t *hi);

static inline int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Where h is among the ascending hs[0..n), or n. */
static inline size_t find_sorted(const uint64_t *hs, size_t n, uint64_t h)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (hs[m] < h)
			lo = m + 1;
		else
			hi = m;
	}
	return lo < n && hs[lo] == h ? lo : n;
}

/* Whether h is among the ascending hs[0..n). */
static inline bool in_sorted(const uint64_t *hs, size_t n, uint64_t h)
{
	return find_sorted(hs, n, h) < n;
}

/* The key of id hash h in a QO_KEYS order: its value as an int64 that orders as the doubles
 * do, or past every value (either direction) when order_keys has none for it. */
static inline int64_t keys_order(const struct query *q, uint64_t h)
{
	const struct query_keys *k = q->order_keys;
	size_t i = k && k->v ? find_sorted(k->h, k->n, h) : 0;
	if (!k || !k->v || i == k->n)
		return !q->sort || q->sort[0] != '-' ? INT64_MAX : INT64_MIN;
	uint64_t u;
	memcpy(&u, &k->v[i], sizeof u);
	u = (u >> 63) ? ~u : u | (1ull << 63);
	return (int64_t)(u ^ (1ull << 63));
}

/* The filter's started_at window, kinds and statuses: what an entry of the roots holds too. */
static inline bool start_kind_status_ok(const struct rec_filter *c, int64_t started, unsigned kind,
					unsigned status)
{
	return started >= c->smin && started <= c->smax && bits_in_set(c->kinds, kind) &&
	       bits_in_set(c->statuses, status);
}

/* No condition but the started_at window, kinds, statuses, roots and equalities on string
 * fields: what the day counts and the roots' entries can answer for (with no equality, or one
 * on an index column). */
static inline bool cf_plain(const struct query *q, const struct rec_filter *c)
{
	return !c->nothing && !c->need && c->imin == INT64_MIN && c->imax == INT64_MAX &&
	       !q->nsearch && !q->npreds;
}

static inline bool rec_ok(const struct rec_filter *c, const struct idx_rec *r)
{
	if (!start_kind_status_ok(c, r->started_us, r->kind, r->status))
		return false;
	if (r->ingested_us < c->imin || r->ingested_us > c->imax)
		return false;
	if (c->roots && !store_rec_root(r))
		return false;
	if ((r->sig & c->sig) != c->sig)
		return false;
	if (!c->need)
		return true;
	if ((c->need & NEED_TRACE) && (!(r->flags & REC_HAS_TRACE) || r->trace_h != c->trace_h))
		return false;
	if ((c->need & NEED_SESSION) && r->session_h != c->session_h)
		return false;
	if ((c->need & NEED_PARENT) && r->parent_h != c->parent_h)
		return false;
	if ((c->need & NEED_SOURCE) && r->source_h != c->source_h)
		return false;
	if ((c->need & NEED_SPAN) && r->span_h != c->span_h)
		return false;
	if ((c->need & NEED_IDS) &&
	    (!(r->flags & REC_HAS_TRACE) || !in_sorted(c->ids, c->nids, r->trace_h)))
		return false;
	if ((c->need & NEED_SPAN_IDS) && !in_sorted(c->sids, c->nsids, r->span_h))
		return false;
	for (size_t k = 0; (c->need & NEED_KEYS) && k < c->nkeys; k++) {
		const struct query_keys *s = &c->keys[k];
		uint64_t h = s->by == QK_SPAN	 ? r->span_h
			     : s->by == QK_TRACE ? r->trace_h
						 : r->session_h;
		if (!in_sorted(s->h, s->n, h))
			return false;
	}
	return true;
}

/* ---- Top-k selection (topk.c) and the page (page.c) ---- */

struct cand {
	int64_t key;
	uint32_t a, b;	 /* day index, record index */
	uint64_t tp, sp; /* first 8 bytes of trace_id and span_id (q->ties_by_ids only) */
};
/* The order of two candidates of the same key (<0: x first). */
typedef int (*cand_cmp)(void *ctx, const struct cand *x, const struct cand *y);

/* The first k candidates in the order of their keys (ascending when asc), then of tie. */
struct topk {
	struct cand *h;
	size_t n, k;
	bool asc;
	cand_cmp tie;
	void *ctx;
};

/* Whether q sorts ascending (its sort names no "-" before the field). */
static inline bool sort_asc(const struct query *q)
{
	return !q->sort || q->sort[0] != '-';
}

/* <0: x comes first. The keys settle nearly every comparison without a call. */
static inline int topk_cmp(const struct topk *t, const struct cand *x, const struct cand *y)
{
	if (x->key != y->key)
		return (x->key < y->key) == t->asc ? -1 : 1;
	return t->tie(t->ctx, x, y);
}

/* Whether no candidate of this key can be kept any more: by its key alone, it comes after
 * every kept one of a full heap. */
static inline bool topk_past(const struct topk *t, int64_t key)
{
	return t->n == t->k && (!t->k || (key != t->h[0].key && (key < t->h[0].key) != t->asc));
}

void topk_init(struct topk *t, size_t k, bool asc, cand_cmp tie, void *ctx);
void topk_push(struct topk *t, struct cand c);
void topk_finish(struct topk *t);

size_t page_keep(const struct query *q, size_t avail, bool extra, size_t *offset);
enum status page_check(struct query *q);

/* ---- Traces (traces.c) and sessions (sessions.c) ---- */

static inline void rollup_add(struct query_rollup *u, const struct idx_rec *r)
{
	static const uint16_t tokf[4] = {REC_HAS_IN_TOK, REC_HAS_OUT_TOK, REC_HAS_CACHED_TOK,
					 REC_HAS_TOTAL_TOK};
	static const uint16_t costf[3] = {REC_HAS_COST_TOTAL, REC_HAS_COST_IN, REC_HAS_COST_OUT};
	const uint32_t tok[4] = {r->in_tok, r->out_tok, r->cached_tok, r->total_tok};
	const double cost[3] = {r->cost_total, r->cost_in, r->cost_out};
	for (int i = 0; i < 4; i++)
		if (r->flags & tokf[i]) {
			u->tok[i] += tok[i];
			u->has_tok[i] = true;
		}
	for (int i = 0; i < 3; i++)
		if (r->flags & costf[i]) {
			u->cost[i] += cost[i];
			u->has_cost[i] = true;
		}
	u->spans++;
	u->errors += r->status == SPST_ERROR;
	u->llm += r->kind == KIND_LLM;
	u->tools += r->kind == KIND_TOOL;
}

/* Adds the sums of from to to. */
static inline void rollup_merge(struct query_rollup *to, const struct query_rollup *from)
{
	for (int i = 0; i < 4; i++) {
		to->tok[i] += from->tok[i];
		to->has_tok[i] |= from->has_tok[i];
	}
	for (int i = 0; i < 3; i++) {
		to->cost[i] += from->cost[i];
		to->has_cost[i] |= from->has_cost[i];
	}
	to->spans += from->spans;
	to->errors += from->errors;
	to->llm += from->llm;
	to->tools += from->tools;
}

/* What a visit of the spans of some traces does with each: add it to the trace's slot. */
typedef void (*slot_fn)(struct hslot *h, const struct idx_rec *r, size_t di, size_t ri);
void narrow_traces(struct scan *db, struct htab *want, bool all_days, slot_fn add);
void traces_rollups(struct scan *db, struct htab *want, bool all_days);
/* Keeps in roots (by the trace's key) the earliest root of a trace: a root started at started,
 * record ri of day di; §7.2: ties by root_span_id (tpage.c, below the listings that offer). */
void tpage_root_offer(struct scan *db, struct htab *roots, int64_t started, size_t di, size_t ri,
		      uint64_t key);
bool traces_row(struct scan *db, const struct hslot *h, struct query_trace *t);
enum status sessions_plan(struct query *q, struct rec_filter *c);

/* ---- A page of traces by start time from the counts (twins.c, tpage.c) ---- */

/* The roots a process has seen of a workspace, by trace: which traces have roots of more than
 * one span (a trace's versions of one span are one root: at most one is live to a query), and
 * which roots name no trace. Kept across queries (a few workspaces; not thread-safe: a program
 * serves one request at a time), taken up to the records db holds of each of its days [lo, hi)
 * (made again whole when a day's record done - 1 is no longer the one taken: a day rebuilt, a
 * batch undone). NULL when the workspace has more roots than are kept, or the budget ran out. */
struct twins;
struct twins *twins_of(struct scan *db, size_t lo, size_t hi);
/* The traces with roots of more than one span, *n of them (those of every day taken). */
const uint64_t *twins_list(const struct twins *t, size_t *n);
/* The first and last day with a root of trace_h; false when none was taken. */
bool twins_days(const struct twins *t, uint64_t trace_h, int32_t *lo, int32_t *hi);
/* The roots of day that name no trace, ascending record numbers, *n of them. */
const uint32_t *twins_bare(struct twins *t, int32_t day, size_t *n);
/* The roots of day that name a trace, each as TWIN_START packs it: [0, *nsorted) ascending (by
 * start, then record), [*nsorted, *n) taken since, in no order; they are of the day's records
 * [0, *done). NULL when a root does not pack (a start off its day, a record number past
 * 2^TWIN_START_RBITS): the day's records are read then. */
#define TWIN_DAY_US 86400000000LL
#define TWIN_START_RBITS 27 /* 2^37 microseconds hold a day */
#define TWIN_START_OFF(x) ((int64_t)((x) >> TWIN_START_RBITS))
#define TWIN_START_REC(x) ((uint32_t)((x) & ((1u << TWIN_START_RBITS) - 1)))
const uint64_t *twins_starts(struct twins *t, int32_t day, size_t *nsorted, size_t *n,
			     size_t *done);

/* ---- What a worker keeps of a workspace across its queries (kept.c) ---- */

/* The workspace an entry kept is of, and when it was last asked (a query count). */
struct kept_of {
	char *root, *ws;
	enum store_kind kind;
	uint64_t used;
};
/* Among the n entries of stride bytes from base, each starting with its struct kept_of: the
 * index of q's workspace's (its used set to asked), else n + the index of the least recently
 * asked (to let go for it). */
size_t kept_pick(void *base, size_t n, size_t stride, const struct query *q, uint64_t asked);
/* k made q's workspace's (its names before freed), asked now. */
void kept_set(struct kept_of *k, const struct query *q, uint64_t asked);
void kept_free(struct kept_of *k);
/* How far a day was taken: its records [0, done), done - 1 the record with that span hash and
 * ingest time (the rule a .tix is trusted by: a day rebuilt, a batch undone, a day re-created
 * all change it). */
struct kept_mark {
	size_t done;
	uint64_t last_span_h;
	int64_t last_ingested_us;
};
/* Whether s still holds the records m took. */
bool kept_mark_same(const struct kept_mark *m, const struct scan_day *s);
/* m at s's records [0, done). */
void kept_mark_set(struct kept_mark *m, const struct scan_day *s, size_t done);
/* The entry of day among the *n entries of size bytes at *days, ascending by their first
 * member (an int32_t day): made, zeroed but its day, when absent (*days, *cap grown). A
 * workspace has some hundreds of days at most. */
void *kept_day(void **days, size_t *n, size_t *cap, size_t size, int32_t day);

/* The records a worker took that were not superseded then (live, or a deletion: a version a
 * writer may yet mark superseded), by span hash, so that a newer version finds the one it
 * superseded (gcount.c). A slot packs the hash's top KS_HBITS bits, the day's id (1 + its place
 * in the keeper's list of days) and the record; 0 is empty. Linear probing from the hash's
 * bits, at most 3/4 full. */
struct kept_spans {
	uint64_t *slot;
	size_t nslot, n;
};
#define KS_RBITS 26 /* a day's records: 2^26 */
#define KS_DBITS 12 /* the days kept by span: 4,095 */
#define KS_HBITS (64 - KS_RBITS - KS_DBITS)
#define KS_HB(x) ((x) >> (KS_RBITS + KS_DBITS))
#define KS_DAY(x) ((uint32_t)((x) >> KS_RBITS) & ((1u << KS_DBITS) - 1))
#define KS_REC(x) ((uint32_t)(x) & ((1u << KS_RBITS) - 1))
/* The day of an id whose day retention dropped: its records kept by span are let go when met. */
#define KS_GONE INT32_MIN
/* Room in m for n records, at most 3/4 of its slots (its slots made again). */
void kept_spans_room(struct kept_spans *m, size_t n);
/* Record ri (below 2^KS_RBITS) of the day of id (below 2^KS_DBITS) kept by span hash h. */
void kept_spans_add(struct kept_spans *m, uint64_t h, uint32_t id, size_t ri);
/* Slot i emptied, the ones after it moved back where their probe finds them. */
void kept_spans_del(struct kept_spans *m, size_t i);

/* ---- Groups by trace from the counts kept (gcount.c) ---- */

/* The page of groups by trace of db's query into *out, when c is of kinds and statuses alone,
 * from what the process keeps of the workspace's traces (taken up to what db holds); false when
 * it cannot answer (another filter, a day that cannot be read, too many traces, the budget
 * spent: db->b.over then): gather every span's trace then. */
bool gcount_page(struct scan *db, const struct rec_filter *c, struct query_groups *out);

/* A page of traces by start time whose total comes from the counts (tpage.c): q, db and c its
 * query, scan and compiled filter (roots only); roots the traces offered (the table a
 * page's candidates name). */
struct tpage {
	struct query *q;
	struct scan *db;
	struct rec_filter *c;
	struct htab *roots;
	struct store_dayindex_q tq;
	size_t lo, hi; /* the days of the window */
	struct twins *tw;
};
/* The page's total into *total, its twins offered into p->roots (made here); false, nothing
 * made, when the counts cannot give it (another order, a cursor, a rollup's condition, a
 * filter the counts do not count, too many roots or twins): gather every root then. */
bool tpage_total(struct tpage *p, size_t *total);
/* The page's rows into tk (made for the page's size, from the total): the twins, then each day's
 * roots by start from the page's end while one can still be kept (twins_starts; a day with none
 * kept by start, the roots of its blocks that can still hold a row); tk finished. */
void tpage_rows(struct tpage *p, struct topk *tk);

#endif
