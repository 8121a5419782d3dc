/* query_bench: the query set of issue 3, run in-process against lib/query and against the
 * same data in SQLite (C API, with the indexes below); prints p50/p99 per query and the
 * ratio SQLite/spandex. Usage: query_bench SPANS DIR [iterations [seal]]. DIR is filled on
 * the first run (store shards plus DIR/bench.sqlite) and reused afterwards. Search is timed
 * reading every line, then with the writer's tail index (<day>.tdx) alone, then with the day
 * text indexes `spandex index` builds; building them folds the tail index away, so only the
 * run that loads DIR has a tail to time (later runs show the scan twice).
 * With "seal" (issue 5), the store's queries are timed open, then every day of every
 * workspace is sealed (store_seal, timed) and the same queries are timed again on the sealed
 * store: the same data twice in one run, so the ratio holds on a noisy machine; the searches
 * on the sealed days are then timed against `rg -z` over the same .jsonl.zst files. This
 * seals DIR in place (it stays readable, but is sealed from then on): run it on a copy.
 * With "load", DIR is filled and nothing else is done: the store as ingest leaves it, before
 * any `spandex index` (issue 35's fresh data; QB_DAYS=7 spreads it over 7 days). The load
 * appends each trace as a batch of its own, or QB_BATCH spans of a workspace at a time. With
 * "serve", SQLite answers the query set one query at a time for bench/query_http.mjs
 * --sqlite (serve_sqlite). With "copy", every span of DIR/bench.sqlite goes to stdout in
 * PostgreSQL's COPY text format (qb_copy; bench/pg_bench.mjs). For a profile of one query on one
 * path: QB_ONLY=TEXT times only the queries whose name holds TEXT (or one of TEXT's comma-separated
 * parts; the others print 0), and QB_NOSCAN=1 leaves out the first table (every record read);
 * QB_TAILONLY=1 times the tail's searches against ripgrep alone and stops: no SQLite, no text
 * index built, DIR left as it was (so two builds can be timed on one fresh store in turn).
 * QB_NOSQL=1 with "load" fills DIR's spandex store alone (no SQLite row). QB_TEXT=FILE cuts every
 * input and output from FILE (bench/gen's TEXT) when DIR is filled. QB_SEAL_DICT=1 seals with a
 * dictionary a day (`spandex seal --dictionary`). The rows of groups after a change (struct bq's
 * ev) change bench-0 before each of their first QB_DROPS runs of a pass, so each is timed only
 * when QB_ONLY holds its word (run them on a copy): "dropped" (its oldest day dropped),
 * "changed" (one span sent again, not before the warm-up: a process's first change), "pass" (one
 * span sent again, then the erasure pass that writes its day again), "sealed" (its next open day
 * sealed).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "bench/gen.h"
#include "bench/qb_age.h"
#include "bench/qb_load.h"
#include "lib/api/intake/filter.h"
#include "lib/api/intake/pages.h"
#include "lib/query/query.h"
#include "lib/store/ops.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"

/* ---- the query set ---- */

enum qkind { Q_SPANS, Q_GROUPS, Q_TRACES, Q_TRACE, Q_SESSION, Q_GET };
/* What a row changes before each timed run (issue 57: groups by trace after each). */
enum qb_event { QE_NONE, QE_DROP, QE_CHANGE, QE_PASS, QE_SEAL };
static const char *const qb_event_word[] = {"", "dropped", "changed", "pass", "sealed"};

struct bq {
	const char *name;
	enum qkind kind;
	const char *filter; /* spandex filter JSON; %s takes the trace id or a window bound */
	long long page;
	bool summary;
	const char *sql[3]; /* page query, count query, per-row rollup (traces detailed) */
	const char *
	    search; /* a free-text term or phrase (GET spans search=); ripgrep is timed on it too */
	bool replace; /* before each run (untimed), the span of "get span" sent again with another
			 name: a page after one span replaced (replace_one) */
	enum qb_event ev; /* before each of the first QB_DROPS runs (untimed), bench-0 changed
			     (qb_change); only timed when QB_ONLY names its word (qb_event_word) */
};

static char trace_id[64], session_id[64], span_id[80], win_lo[40], win_hi[40];
static int64_t win_lo_us, win_hi_us;

/* Rows leave out the fields they do not use (search, the third SQL statement). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
/* Groups by trace of every span, and their count (three rows). */
#define GROUPS_SQL                                                                                 \
	{                                                                                          \
		"SELECT trace_id, count(*) c FROM spans WHERE ws=?1 AND trace_id IS NOT NULL "     \
		"GROUP BY "                                                                        \
		"trace_id ORDER BY c DESC, trace_id LIMIT 10",                                     \
		    "SELECT count(DISTINCT trace_id) FROM spans WHERE ws=?1"                       \
	}
static struct bq queries[] = {
    {"spans p1",
     Q_SPANS,
     NULL,
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 ORDER BY started_at DESC, id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1"}},
    {"spans trace_id",
     Q_SPANS,
     "{\"trace_id\":\"%T\"}",
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND trace_id=?2 ORDER BY started_at DESC, id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND trace_id=?2"}},
    {"spans model+status",
     Q_SPANS,
     "{\"model\":\"gpt-4o\",\"status\":\"error\"}",
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND model='gpt-4o' AND status='error' ORDER BY "
      "started_at DESC, id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND model='gpt-4o' AND status='error'"}},
    {"spans window",
     Q_SPANS,
     "{\"started_at\":{\"$gte\":\"%L\",\"$lte\":\"%H\"}}",
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND started_at BETWEEN ?3 AND ?4 ORDER BY started_at "
      "DESC, id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND started_at BETWEEN ?3 AND ?4"}},
    {"groups trace_id", Q_GROUPS, NULL, 1, false, GROUPS_SQL},
    {"groups kind=LLM",
     Q_GROUPS,
     "{\"kind\":\"LLM\"}",
     1,
     false,
     {"SELECT trace_id, count(*) c FROM spans WHERE ws=?1 AND kind='LLM' AND trace_id IS NOT NULL "
      "GROUP BY trace_id ORDER BY c DESC, trace_id LIMIT 10",
      "SELECT count(DISTINCT trace_id) FROM spans WHERE ws=?1 AND kind='LLM'"}},
    {"groups replaced", Q_GROUPS, NULL, 1, false, GROUPS_SQL, NULL, true},
#define ROOTS                                                                                      \
	"SELECT body, trace_id FROM spans WHERE ws=?1 AND parent_span_id IS NULL ORDER BY "        \
	"started_at DESC, trace_id LIMIT 10 OFFSET ?5"
#define NROOTS "SELECT count(*) FROM spans WHERE ws=?1 AND parent_span_id IS NULL"
#define ROLLUP                                                                                     \
	"SELECT "                                                                                  \
	"sum(in_tok),sum(out_tok),sum(cached_tok),sum(total_tok),sum(cost),sum(cost_in),sum(cost_" \
	"out),count(*),sum(status='error') FROM spans WHERE ws=?1 AND trace_id=?2"
    {"traces p1 summary", Q_TRACES, NULL, 1, true, {ROOTS, NROOTS}},
    {"traces p1 detailed", Q_TRACES, NULL, 1, false, {ROOTS, NROOTS, ROLLUP}},
    {"traces p100 summary", Q_TRACES, NULL, 100, true, {ROOTS, NROOTS}},
    {"traces p100 detailed", Q_TRACES, NULL, 100, false, {ROOTS, NROOTS, ROLLUP}},
    {"get trace",
     Q_TRACE,
     NULL,
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND trace_id=?2 AND parent_span_id IS NULL ORDER BY "
      "started_at LIMIT 1",
      NULL, ROLLUP}},
    {"get session",
     Q_SESSION,
     NULL,
     1,
     false,
     {"SELECT min(started_at), max(ended_at), count(*), count(DISTINCT trace_id), "
      "sum(in_tok),sum(out_tok),"
      "sum(cached_tok),sum(total_tok),sum(cost),sum(cost_in),sum(cost_out),sum(status='error') "
      "FROM spans WHERE ws=?1 AND session_id=?6"}},
    /* one line: on a sealed shard, the id table's lookup and one block decompressed */
    {"get span", Q_GET, NULL, 1, false, {"SELECT body FROM spans WHERE ws=?1 AND span_id=?7"}},
    /* Free text (the generated words are in nearly every span): a term no span has, one in
     * 1% of spans, one in 30%, and one most spans have (bench/gen plants the middle two). */
    {"search none",
     Q_SPANS,
     NULL,
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND body LIKE '%zqxjv%' ORDER BY started_at DESC, id "
      "LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND body LIKE '%zqxjv%'"},
     "zqxjv"},
    {"search rare (1%)",
     Q_SPANS,
     NULL,
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND body LIKE '%zanzibar%' ORDER BY started_at DESC, "
      "id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND body LIKE '%zanzibar%'"},
     "ZANZIBAR"},
    {"search 30%",
     Q_SPANS,
     NULL,
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND body LIKE '%lisbon%' ORDER BY started_at DESC, "
      "id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND body LIKE '%lisbon%'"},
     "Lisbon"},
    {"search common",
     Q_SPANS,
     NULL,
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND body LIKE '%weather%' ORDER BY started_at DESC, "
      "id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND body LIKE '%weather%'"},
     "WEATHER"},
    /* Phrases (issue 35): words every span has, together in that order in few spans and in
     * many. The word index cannot narrow them, so each is confirmed on the line: the worst
     * case of a phrase, against LIKE and rg -F over the same text. */
    {"phrase rare",
     Q_SPANS,
     NULL,
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND body LIKE '%agent calls a tool%' ORDER BY "
      "started_at DESC, id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND body LIKE '%agent calls a tool%'"},
     "Agent calls a tool"},
    {"phrase common",
     Q_SPANS,
     NULL,
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND body LIKE '%weather flights%' ORDER BY "
      "started_at DESC, id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND body LIKE '%weather flights%'"},
     "weather flights"},
    /* Issue 57: common words of prose with the last one cut short, as a user types it. With
     * QB_TEXT=/usr/share/common-licenses cat into one file, about 1.4% of spans hold it;
     * bench/gen's pool has none of its words. */
    {"phrase prefix",
     Q_SPANS,
     NULL,
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND body LIKE '%with the wo%' ORDER BY "
      "started_at DESC, id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND body LIKE '%with the wo%'"},
     "With the wo"},
    /* Issue 57: a phrase with a rare word among common ones ("accordance" is once in the
     * licences: about 1.4% of spans), whose pairs a .tix of version 6 leaves out: the rare
     * word's own records stand for them. */
    {"phrase rare word",
     Q_SPANS,
     NULL,
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND body LIKE '%in accordance with the%' ORDER BY "
      "started_at DESC, id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND body LIKE '%in accordance with the%'"},
     "in accordance with the"},
    /* Issue 57: groups by trace after retention dropped a day (the last row: it takes days
     * from the store, so only with QB_ONLY naming "dropped"). */
    {"groups day dropped", Q_GROUPS, NULL, 1, false, GROUPS_SQL, NULL, false, QE_DROP},
    /* ... after a process's first change, after the nightly erasure pass wrote a day again,
     * after `spandex seal` wrote one (each a full read of every record before issue 57's
     * groups4). */
    {"groups first changed", Q_GROUPS, NULL, 1, false, GROUPS_SQL, NULL, false, QE_CHANGE},
    {"groups erase pass", Q_GROUPS, NULL, 1, false, GROUPS_SQL, NULL, false, QE_PASS},
    {"groups day sealed", Q_GROUPS, NULL, 1, false, GROUPS_SQL, NULL, false, QE_SEAL}};
#pragma GCC diagnostic pop

/* The filter text with %T, %L, %H replaced by the trace id and window bounds. */
static const char *fill(const char *f, char *out, size_t len)
{
	if (!f)
		return NULL;
	size_t o = 0;
	for (; *f && o + 64 < len; f++) {
		const char *r = NULL;
		if (*f == '%' && f[1] == 'T')
			r = trace_id;
		else if (*f == '%' && f[1] == 'L')
			r = win_lo;
		else if (*f == '%' && f[1] == 'H')
			r = win_hi;
		if (r) {
			o += snprintf(out + o, len - o, "%s", r);
			f++;
		} else {
			out[o++] = *f;
		}
	}
	out[o] = 0;
	return out;
}

static size_t run_spandex(struct store *st, struct arena *a, const struct bq *b, struct buf *out)
{
	static const enum query_group_by by = QG_TRACE_ID;
	char ftext[512];
	struct filter f;
	struct query q = {.st = st,
			  .a = a,
			  .ws = "bench-0",
			  .page = b->page,
			  .page_size = 10,
			  .summary = b->summary,
			  .sort = b->kind == Q_GROUPS ? "-span_count" : "-started_at"};
	intake_filter_parse(a, b->kind == Q_TRACES ? FILTER_TRACES : FILTER_SPANS,
			    fill(b->filter, ftext, sizeof ftext), NULL, NULL, 0, &f, NULL);
	q.f = &f;
	q.search = &b->search;
	q.nsearch = b->search ? 1 : 0;
	out->len = 0;
	enum status s = b->kind == Q_SPANS    ? intake_pages_spans(&q, out)
			: b->kind == Q_GROUPS ? intake_pages_groups(&q, &by, 1, out)
			: b->kind == Q_TRACES ? intake_pages_traces(&q, out)
			: b->kind == Q_TRACE  ? intake_pages_trace(&q, trace_id, out)
			: b->kind == Q_GET    ? store_get(st, q.ws, span_id, out)
					      : intake_pages_session(&q, session_id, out);
	if (s != ST_OK)
		fprintf(stderr, "%s: status %d %s\n", b->name, s, q.err.msg);
	return out->len;
}

/* The span of "get span" sent again with another name (its n-th): a version superseded in
 * place, so the day's flag generation moves (the SQLite side is left as it was: its index is
 * kept by every UPDATE anyway). */
static void replace_one(struct store *st, int n)
{
	struct buf line;
	struct span s;
	json_t *root = NULL;
	char name[32];
	struct err e = {ST_OK, ""};
	buf_init(&line);
	if (store_get(st, "bench-0", span_id, &line) != ST_OK ||
	    !span_parse(line.p, line.len, &s, &root)) {
		fprintf(stderr, "replace: no span %s\n", span_id);
		exit(1);
	}
	snprintf(name, sizeof name, "replaced-%d", n);
	s.name = name;
	if (store_append(st, "bench-0", &s, 1, &e) != ST_OK) {
		fprintf(stderr, "replace: %s\n", err_text(&e));
		exit(1);
	}
	span_clear(&s);
	json_decref(root);
	buf_free(&line);
}

/* The runs of a phase that drop a day first (the rest time pages with nothing changed). */
#define QB_DROPS 2

/* bench-0's oldest day dropped, as `spandex retain` drops a day past its cutoff (the SQLite
 * side keeps its rows: its groups are timed over every day, a little more than spandex's). */
static void drop_oldest(struct store *st)
{
	int32_t *days;
	size_t nd;
	struct ops_retained kept;
	struct err e = {ST_OK, ""};
	if (store_days(st, "bench-0", &days, &nd) != ST_OK || nd < 2) {
		fprintf(stderr, "drop: bench-0 has no day to drop\n");
		exit(1);
	}
	struct ops_retention r = {.cutoff_day = days[0] + 1, .recent_us = INT64_MAX};
	free(days);
	if (ops_retain(st, "bench-0", &r, &kept, &e) != ST_OK || kept.removed != 1) {
		fprintf(stderr, "drop: %s\n", err_text(&e));
		exit(1);
	}
}

/* bench-0 changed before run i of a row of event ev (QE_NONE: not). */
static void qb_change(struct store *st, enum qb_event ev, int i)
{
	struct store_erase_done done;
	int32_t *days;
	size_t nd;
	uint64_t in, out;
	struct err e = {ST_OK, ""};
	if (ev == QE_DROP)
		drop_oldest(st);
	if (ev == QE_CHANGE || ev == QE_PASS)
		replace_one(st, 100 + i);
	if (ev == QE_PASS && store_erase_pending(st, &done, &e) != ST_OK) {
		fprintf(stderr, "erase pass: %s\n", err_text(&e));
		exit(1);
	}
	if (ev == QE_PASS)
		fprintf(stderr, "erase pass: %zu days written again\n", done.days);
	if (ev != QE_SEAL || store_days(st, "bench-0", &days, &nd) != ST_OK)
		return;
	for (size_t k = 0; k < nd; k++) /* the first day not sealed yet */
		if (store_seal(st, "bench-0", days[k], &in, &out, &e) == ST_OK && in) {
			fprintf(stderr, "sealed day %zu: %.1f MB\n", k, in / 1e6);
			break;
		}
	free(days);
}

static void bind_all(sqlite3_stmt *s, const struct bq *b)
{
	for (int i = 1; i <= sqlite3_bind_parameter_count(s); i++) {
		const char *n = sqlite3_bind_parameter_name(s, i);
		if (!n)
			continue;
		if (!strcmp(n, "?1"))
			sqlite3_bind_text(s, i, "bench-0", -1, SQLITE_STATIC);
		else if (!strcmp(n, "?2") || !strcmp(n, "?6"))
			sqlite3_bind_text(s, i, n[1] == '2' ? trace_id : session_id, -1,
					  SQLITE_STATIC);
		else if (!strcmp(n, "?3") || !strcmp(n, "?4"))
			sqlite3_bind_int64(s, i, n[1] == '3' ? win_lo_us : win_hi_us);
		else if (!strcmp(n, "?5"))
			sqlite3_bind_int64(s, i, (b->page - 1) * 10);
		else if (!strcmp(n, "?7"))
			sqlite3_bind_text(s, i, span_id, -1, SQLITE_STATIC);
	}
}

/* Runs the SQL of b, copying every returned body into out like a server would. */
static size_t run_sqlite(sqlite3_stmt **st, const struct bq *b, struct buf *out)
{
	out->len = 0;
	char traces[10][64];
	int nt = 0;
	for (int k = 0; k < 2; k++) {
		if (!st[k])
			continue;
		bind_all(st[k], b);
		while (sqlite3_step(st[k]) == SQLITE_ROW) {
			for (int c = 0; c < sqlite3_column_count(st[k]); c++) {
				const unsigned char *t = sqlite3_column_text(st[k], c);
				if (t)
					buf_add(out, t, sqlite3_column_bytes(st[k], c));
			}
			if (k == 0 && (b->kind == Q_TRACES || b->kind == Q_TRACE) && nt < 10) {
				const unsigned char *t =
				    sqlite3_column_text(st[k], b->kind == Q_TRACES ? 1 : 0);
				snprintf(traces[nt++], 64, "%s",
					 b->kind == Q_TRACES && t ? (const char *)t : trace_id);
			}
		}
		sqlite3_reset(st[k]);
	}
	for (int i = 0; st[2] && i < nt; i++) {
		bind_all(st[2], b);
		sqlite3_bind_text(st[2], 2, traces[i], -1, SQLITE_TRANSIENT);
		while (sqlite3_step(st[2]) == SQLITE_ROW)
			buf_printf(out, "%lld", (long long)sqlite3_column_int64(st[2], 7));
		sqlite3_reset(st[2]);
	}
	return out->len;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double pct(double *v, int n, double p)
{
	qsort(v, n, sizeof *v, cmp_d);
	int i = (int)(p * (n - 1) + 0.5);
	return v[i];
}

#define NQ (sizeof queries / sizeof queries[0])

/* Whether query qi is timed: QB_ONLY is not set, or one of its comma-separated parts is part
 * of the query's name; a row that changes the store only when QB_ONLY holds its word. */
static bool chosen(size_t qi)
{
	const char *only = getenv("QB_ONLY");
	char part[64];
	if (queries[qi].ev)
		return only && strstr(only, qb_event_word[queries[qi].ev]);
	if (!only)
		return true;
	for (const char *p = only; *p;) {
		size_t n = strcspn(p, ",");
		snprintf(part, sizeof part, "%.*s", (int)n, p);
		if (n && strstr(queries[qi].name, part))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

/* p50 and p99 (ms) of each query of the set, for spandex and (when db) SQLite; the frames of
 * sealed files a spandex run decompressed, on average (store_sealed_frames). */
struct timing {
	double s50[NQ], s99[NQ], q50[NQ], q99[NQ], frames[NQ];
};

/* QB_IDLE=1: after a query's warm-up, a worker's idle steps (store_tail_idle: the fresh days'
 * pairs of words its phrase asked) taken until none is left, as a worker does while no request
 * waits: their count, time, and p50, p99 and longest step (what a request that came during one
 * would wait). */
static void idle_build(const char *name)
{
	size_t n = 0, cap = 0;
	double *t = NULL, total = 0;
	for (bool more = true; more; n++) {
		double t0 = qb_now_ms();
		more = store_tail_idle(NULL);
		if (n == cap)
			t = xrealloc(t, (cap = cap ? 2 * cap : 256) * sizeof *t);
		t[n] = qb_now_ms() - t0;
		total += t[n];
	}
	fprintf(stderr, "%s: %zu idle steps, %.1f s; a step p50 %.1f ms, p99 %.1f, longest %.1f\n",
		name, n, total / 1000, pct(t, (int)n, .5), pct(t, (int)n, .99), pct(t, (int)n, 1));
	free(t);
}

/* Times every query iters times after one warm-up run; spandex and SQLite alternate, so a
 * burst of load on the machine hits both. */
static void time_queries(struct store *st, sqlite3 *db, int iters, struct timing *t)
{
	struct arena *a = arena_new();
	struct buf out;
	buf_init(&out);
	double *ts = xmalloc(iters * sizeof *ts), *tq = xmalloc(iters * sizeof *tq);
	/* A store changed just now (text indexes removed or built, days sealed) has every file
	 * looked at by each query for STORE_LOOK_SETTLE_MS (store_look, lib/store/store.h). A
	 * worker spends most of its life on a store whose last new day, index or seal is older
	 * than that, so each pass waits that long first. */
	struct timespec settle = {STORE_LOOK_SETTLE_MS / 1000 + 1, 0};
	nanosleep(&settle, NULL);
	memset(t, 0, sizeof *t);
	for (size_t qi = 0; qi < NQ; qi++) {
		struct bq *b = &queries[qi];
		sqlite3_stmt *sq[3] = {0};
		if (!chosen(qi))
			continue;
		for (int k = 0; db && k < 3; k++)
			if (b->sql[k] &&
			    sqlite3_prepare_v2(db, b->sql[k], -1, &sq[k], NULL) != SQLITE_OK)
				qb_die_sql(db, b->name);
		if (b->replace)
			replace_one(st, -1);
		run_spandex(st, a, b, &out); /* warm both */
		arena_reset(a);
		if (getenv("QB_IDLE"))
			idle_build(b->name);
		if (db)
			run_sqlite(sq, b, &out);
		uint64_t frames = 0;
		int runs = b->ev ? (iters < QB_DROPS ? iters : QB_DROPS) : iters;
		for (int i = 0; i < runs; i++) {
			if (b->replace)
				replace_one(st, i);
			qb_change(st, b->ev, i);
			uint64_t f0 = store_sealed_frames();
			double t0 = qb_now_ms();
			run_spandex(st, a, b, &out);
			ts[i] = qb_now_ms() - t0;
			frames += store_sealed_frames() - f0;
			arena_reset(a);
			if (!db)
				continue;
			t0 = qb_now_ms();
			run_sqlite(sq, b, &out);
			tq[i] = qb_now_ms() - t0;
		}
		for (int i = 0; b->ev && i < runs; i++) /* each page after a change */
			fprintf(stderr, "%s run %d: %.3f ms, SQLite %.3f\n", b->name, i + 1, ts[i],
				db ? tq[i] : 0);
		t->frames[qi] = (double)frames / runs;
		t->s50[qi] = pct(ts, runs, .5);
		t->s99[qi] = pct(ts, runs, .99);
		if (db) {
			t->q50[qi] = pct(tq, runs, .5);
			t->q99[qi] = pct(tq, runs, .99);
		}
		for (int k = 0; k < 3; k++)
			sqlite3_finalize(sq[k]);
	}
	buf_free(&out);
	free(ts);
	free(tq);
	arena_free(a);
}

/* p50 (ms) of `rg -c -i -F term` over bench-0's open .jsonl files (sealed: `rg -z` over its
 * .jsonl.zst files), iters runs after one warm-up; -1 when ripgrep is not installed. */
static double time_rg(const char *dir, const char *term, int iters, bool sealed)
{
	char cmd[8192];
	double *t = xmalloc(iters * sizeof *t);
	snprintf(cmd, sizeof cmd,
		 "rg %s-c -i -F --glob '*.jsonl%s' -- '%s' %s/bench-0 >/dev/null 2>&1",
		 sealed ? "-z " : "", sealed ? ".zst" : "", term, dir);
	if (system("command -v rg >/dev/null 2>&1") != 0 || system(cmd) > 1 << 8) {
		free(t);
		return -1;
	}
	for (int i = 0; i < iters; i++) {
		double t0 = qb_now_ms();
		if (system(cmd) == -1)
			break;
		t[i] = qb_now_ms() - t0;
	}
	double r = pct(t, iters, .5);
	free(t);
	return r;
}

/* The table of every query, spandex against SQLite (ratio = SQLite p50 / spandex p50: above
 * 1 means spandex is faster). */
static void print_vs_sqlite(const char *title, const struct timing *t)
{
	printf("%-22s %10s %10s %10s %10s %8s\n", title, "spandex p50", "p99", "sqlite p50", "p99",
	       "ratio");
	for (size_t qi = 0; qi < NQ; qi++)
		printf("%-22s %10.3f %10.3f %10.3f %10.3f %8.2f\n", queries[qi].name, t->s50[qi],
		       t->s99[qi], t->q50[qi], t->q99[qi], t->q50[qi] / t->s50[qi]);
}

/* serve (bench/query_http.mjs --sqlite): SQLite's side of an alternated comparison. Prints
 * "ids TRACE SESSION SPAN LO_US HI_US" (the query set's ids and window), then for each query
 * name read from stdin runs that query once in-process and prints the milliseconds it took
 * ("-1" for an unknown name). */
static int serve_sqlite(sqlite3 *db)
{
	char line[256];
	struct buf out;
	buf_init(&out);
	printf("ids %s %s %s %lld %lld\n", trace_id, session_id, span_id, (long long)win_lo_us,
	       (long long)win_hi_us);
	fflush(stdout);
	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\n")] = 0;
		struct bq *b = NULL;
		for (size_t qi = 0; qi < NQ && !b; qi++)
			if (!strcmp(queries[qi].name, line))
				b = &queries[qi];
		double ms = -1;
		if (b) {
			sqlite3_stmt *sq[3] = {0};
			for (int k = 0; k < 3; k++)
				if (b->sql[k] && sqlite3_prepare_v2(db, b->sql[k], -1, &sq[k],
								    NULL) != SQLITE_OK)
					qb_die_sql(db, b->name);
			double t0 = qb_now_ms();
			run_sqlite(sq, b, &out);
			ms = qb_now_ms() - t0;
			for (int k = 0; k < 3; k++)
				sqlite3_finalize(sq[k]);
		}
		printf("%.4f\n", ms);
		fflush(stdout);
	}
	buf_free(&out);
	sqlite3_close(db);
	return 0;
}

/* Each chosen search's p50 and p99 in t beside ripgrep's p50 over the same files of dir (with z,
 * the sealed ones, rg -z), and their ratio (above 1: spandex is faster). */
static void print_vs_rg(const char *title, const char *col, const struct timing *t, const char *dir,
			int iters, bool z)
{
	printf("%-22s %10s %10s %10s %8s\n", title, col, "p99", z ? "rg -z p50" : "rg p50",
	       z ? "rg/index" : "rg/tail");
	for (size_t qi = 0; qi < NQ; qi++) {
		if (!queries[qi].search || !chosen(qi))
			continue;
		double rg = time_rg(dir, queries[qi].search, iters, z);
		printf("%-22s %10.3f %10.3f %10.3f %8.2f\n", queries[qi].name, t->s50[qi],
		       t->s99[qi], rg, rg < 0 ? 0.0 : rg / t->s50[qi]);
	}
}

int main(int argc, char **argv)
{
	bool serve = argc == 5 && !strcmp(argv[4], "serve");
	bool load_only = argc == 5 && !strcmp(argv[4], "load");
	bool copy = argc == 5 && !strcmp(argv[4], "copy");
	if (argc < 3 || (argc > 4 && strcmp(argv[4], "seal") && !serve && !load_only && !copy)) {
		fprintf(stderr,
			"usage: query_bench SPANS DIR [iterations [seal|serve|load|copy]]\n");
		return 2;
	}
	mem_keep_for_reuse(); /* as a FastCGI worker does */
	long long want = atoll(argv[1]);
	const char *dir = argv[2];
	int iters = argc > 3 ? atoi(argv[3]) : 30;
	bool seal = argc > 4 && !serve && !load_only;
	if (iters < 1)
		iters = 1;
	char path[4096];
	snprintf(path, sizeof path, "%s/bench.sqlite", dir);
	struct stat stt;
	bool fresh = stat(path, &stt) != 0;
	if (copy && fresh) {
		fprintf(stderr, "query_bench: %s: no store's SQLite twin to copy\n", path);
		return 1;
	}
	mkdir(dir, 0755);
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		qb_die_sql(db, "open");
	sqlite3_exec(db,
		     "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144; "
		     "PRAGMA mmap_size=8589934592;",
		     NULL, NULL, NULL);
	if (copy) { /* bench/pg_bench.mjs: the spans for PostgreSQL's COPY FROM STDIN */
		qb_copy(db, stdout);
		sqlite3_close(db);
		return 0;
	}
	if (fresh) {
		double t0 = qb_now_ms();
		qb_load(dir, want, db);
		fprintf(stderr, "loaded %lld spans into both stores in %.1f s\n", want,
			(qb_now_ms() - t0) / 1e3);
	}
	const char *nosql = getenv("QB_NOSQL");
	if (load_only && nosql && !strcmp(nosql, "1")) { /* no row to pick from (qb_load) */
		sqlite3_close(db);
		return 0;
	}
	/* A trace, its root span and its session from the middle of bench-0, and a one-day
	 * window. */
	sqlite3_stmt *pick;
	sqlite3_prepare_v2(db,
			   "SELECT trace_id, session_id, started_at, span_id FROM spans WHERE "
			   "ws='bench-0' AND parent_span_id IS NULL"
			   " ORDER BY started_at LIMIT 1 OFFSET (SELECT count(*)/2 FROM spans "
			   "WHERE ws='bench-0' AND parent_span_id IS NULL)",
			   -1, &pick, NULL);
	if (sqlite3_step(pick) != SQLITE_ROW)
		qb_die_sql(db, "pick");
	snprintf(trace_id, sizeof trace_id, "%s", sqlite3_column_text(pick, 0));
	snprintf(session_id, sizeof session_id, "%s", sqlite3_column_text(pick, 1));
	snprintf(span_id, sizeof span_id, "%s", sqlite3_column_text(pick, 3));
	win_lo_us = sqlite3_column_int64(pick, 2) / 86400000000LL * 86400000000LL;
	win_hi_us = win_lo_us + 86400000000LL - 1;
	time_format(win_lo_us, win_lo);
	time_format(win_hi_us, win_hi);
	sqlite3_finalize(pick);
	if (serve)
		return serve_sqlite(db);
	if (load_only) { /* the store as ingest leaves it: no text index built */
		sqlite3_close(db);
		return 0;
	}

	struct store st;
	store_init(&st, dir, false);
	struct timing open, tail, indexed, sealed;
	/* The first pass reads every line a search needs: no text index (one left by an earlier
	 * run is removed, and the writer's tail index, <day>.tdx, is moved aside). The second
	 * has the tail index back: the store a query meets before `spandex index` first runs. */
	char sh[4200];
	snprintf(sh, sizeof sh,
		 "rm -f %s/*/*.tix; for f in %s/*/*.tdx; do [ -e \"$f\" ] && mv \"$f\" \"$f.off\"; "
		 "done; true",
		 dir, dir);
	if (system(sh) != 0)
		fprintf(stderr, "could not remove the old text indexes\n");
	if (!getenv("QB_NOSCAN"))
		time_queries(&st, db, iters, &open);
	print_vs_sqlite("query (bench-0, ms)", &open);
	snprintf(
	    sh, sizeof sh,
	    "for f in %s/*/*.tdx.off; do [ -e \"$f\" ] && mv \"$f\" \"${f%%.off}\"; done; true",
	    dir);
	if (system(sh) != 0)
		fprintf(stderr, "could not put the tail indexes back\n");
	/* QB_TAILONLY=1: the tail's searches against ripgrep alone, no SQLite and no text index
	 * built, so DIR stays as ingest left it and can be timed again (a build against another).
	 */
	bool tail_only = getenv("QB_TAILONLY") != NULL;
	time_queries(&st, tail_only ? NULL : db, iters, &tail);
	if (tail_only) {
		print_vs_rg("tail search (ms)", "tail p50", &tail, dir, iters, false);
		sqlite3_close(db);
		return 0;
	}
	/* Every query again with the writer's tail index (its words, key maps and roots): the
	 * store as ingest leaves it, before `spandex index` first runs. */
	print_vs_sqlite("tail (bench-0, ms)", &tail);
	/* Free text, read line by line (above) and with the text index, against ripgrep on the
	 * same files (ratio = ripgrep p50 / spandex p50; above 1 means spandex is faster).
	 * ripgrep starts a process each run, as a user would. */
	qb_index_all(&st, dir);
	time_queries(&st, db, iters, &indexed); /* SQLite too: the same interleaving */
	/* Every query again with the text and field index (its columns, key maps and words). */
	print_vs_sqlite("indexed (bench-0, ms)", &indexed);
	printf("%-22s %10s %10s %10s %10s %10s %10s %8s %8s\n", "search (bench-0, ms)", "scan p50",
	       "tail p50", "index p50", "p99", "sqlite p50", "rg p50", "rg/tail", "rg/index");
	for (size_t qi = 0; qi < NQ; qi++) {
		if (!queries[qi].search || !chosen(qi))
			continue;
		double rg = time_rg(dir, queries[qi].search, iters, false);
		printf("%-22s %10.3f %10.3f %10.3f %10.3f %10.3f %10.3f %8.2f %8.2f\n",
		       queries[qi].name, open.s50[qi], tail.s50[qi], indexed.s50[qi],
		       indexed.s99[qi], open.q50[qi], rg, rg < 0 ? 0.0 : rg / tail.s50[qi],
		       rg < 0 ? 0.0 : rg / indexed.s50[qi]);
	}
	if (seal) {
		qb_seal_all(&st);
		time_queries(&st, db, iters,
			     &sealed); /* SQLite too: the same interleaving as the open pass */
		/* ratio = sealed p50 / open p50 (the text index built in both): above 1 means
		 * sealed is slower */
		printf("%-22s %10s %10s %10s %10s %8s %8s\n", "query (bench-0, ms)", "open p50",
		       "p99", "sealed p50", "p99", "ratio", "frames");
		for (size_t qi = 0; qi < NQ; qi++)
			printf("%-22s %10.3f %10.3f %10.3f %10.3f %8.2f %8.1f\n", queries[qi].name,
			       indexed.s50[qi], indexed.s99[qi], sealed.s50[qi], sealed.s99[qi],
			       sealed.s50[qi] / indexed.s50[qi], sealed.frames[qi]);
		/* Search on the sealed days against ripgrep decompressing the same files. */
		print_vs_rg("sealed search (ms)", "index p50", &sealed, dir, iters, true);
	}
	sqlite3_close(db);
	return 0;
}
