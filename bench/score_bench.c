/* score_bench: score filters and orders (issue 34) over N generated spans, run in-process
 * against lib/query and against the same data in SQLite with an index on the scores (name,
 * value) and on each span's id: an "accuracy" score on every LLM span and a "helpfulness"
 * score on every trace, as an evaluator would leave them. Prints p50 per query, spandex and
 * SQLite, and their ratio. Usage: score_bench SPANS DIR [iterations]. DIR is filled on the
 * first run (the store and DIR/scores.sqlite) and reused afterwards. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "bench/gen.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/query/judgements.h"
#include "lib/query/query.h"

static const char *const WS = "bench-0";

static const char *const schema =
    "CREATE TABLE spans(id INTEGER PRIMARY KEY, span_id TEXT NOT NULL, trace_id TEXT,"
    " parent_span_id TEXT, started_at INTEGER, body TEXT);"
    "CREATE UNIQUE INDEX spans_id ON spans(span_id);"
    "CREATE INDEX spans_trace ON spans(trace_id);"
    "CREATE INDEX spans_started ON spans(started_at);"
    "CREATE TABLE scores(target TEXT NOT NULL, span_id TEXT, trace_id TEXT, name TEXT NOT NULL,"
    " value REAL);"
    /* the index a score filter needs, and the one of a span's scores */
    "CREATE INDEX scores_name_value ON scores(name, value);"
    "CREATE INDEX scores_span ON scores(span_id);";

static void die_sql(sqlite3 *db, const char *what)
{
	fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

/* A value in [0, 1) fixed by the id: the same in both engines, spread evenly. */
static double value_of(const char *id, uint64_t salt)
{
	return (double)((hash_bytes(id, strlen(id)) ^ salt) % 100000) / 100000.0;
}

static struct judgement judged(struct arena *a, const struct span *s, bool trace, int64_t t)
{
	struct judgement j;
	judgement_init(&j);
	const char *target = trace ? s->trace_id : s->span_id;
	const char *parts[2] = {trace ? "trace" : "span", target};
	j.id = judgement_key_id(a, "fs-", parts, 2);
	j.workspace = WS;
	j.target = trace ? JT_TRACE : JT_SPAN;
	j.span_id = trace ? NULL : s->span_id;
	j.trace_id = s->trace_id;
	j.session_id = s->session_id;
	j.name = trace ? "helpfulness" : "accuracy";
	j.kind = JK_NUMBER;
	j.value = value_of(target, trace);
	j.source = JS_EVALUATOR;
	j.api = "opik";
	j.subtype = "feedback_score";
	j.created_at = t;
	return j;
}

static void load(const char *dir, long long want, sqlite3 *db)
{
	struct gen g;
	struct store st, jst;
	struct arena *a = arena_new();
	struct buf body;
	sqlite3_stmt *ins, *sins;
	buf_init(&body);
	gen_init(&g, 1, 30, 1, 1717200000000000LL);
	store_init(&st, dir, false);
	store_judgements(&jst, &st);
	if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK)
		die_sql(db, "schema");
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO spans(span_id,trace_id,parent_span_id,started_at,body)"
			       " VALUES(?,?,?,?,?)",
			       -1, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "INSERT INTO scores(target,span_id,trace_id,name,value)"
			       " VALUES(?,?,?,?,?)",
			       -1, &sins, NULL) != SQLITE_OK)
		die_sql(db, "prepare insert");
	for (long long made = 0; made < want;) {
		struct span tr[50];
		struct judgement js[51];
		int ws;
		size_t n = gen_trace(&g, a, tr, &ws), nj = 0;
		struct err e = {ST_OK, ""};
		for (size_t i = 0; i < n; i++)
			tr[i].workspace = WS;
		if (store_append(&st, WS, tr, n, &e) != ST_OK) {
			fprintf(stderr, "store_append: %s\n", err_text(&e));
			exit(1);
		}
		for (size_t i = 0; i < n; i++) {
			struct span *s = &tr[i];
			body.len = 0;
			span_render(s, &body);
			sqlite3_bind_text(ins, 1, s->span_id, -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 2, s->trace_id, -1, SQLITE_STATIC);
			if (s->parent_span_id && *s->parent_span_id)
				sqlite3_bind_text(ins, 3, s->parent_span_id, -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(ins, 3);
			sqlite3_bind_int64(ins, 4, s->started_at);
			sqlite3_bind_text(ins, 5, body.p, body.len, SQLITE_TRANSIENT);
			if (sqlite3_step(ins) != SQLITE_DONE)
				die_sql(db, "insert");
			sqlite3_reset(ins);
			bool root = !s->parent_span_id || !*s->parent_span_id;
			if (s->kind == KIND_LLM || root)
				js[nj++] = judged(a, s, root, s->started_at + 1000);
		}
		for (size_t i = 0; i < nj; i++) {
			struct judgement *j = &js[i];
			sqlite3_bind_text(sins, 1, judgement_target_names[j->target], -1,
					  SQLITE_STATIC);
			if (j->span_id)
				sqlite3_bind_text(sins, 2, j->span_id, -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(sins, 2);
			sqlite3_bind_text(sins, 3, j->trace_id, -1, SQLITE_STATIC);
			sqlite3_bind_text(sins, 4, j->name, -1, SQLITE_STATIC);
			sqlite3_bind_double(sins, 5, j->value);
			if (sqlite3_step(sins) != SQLITE_DONE)
				die_sql(db, "insert score");
			sqlite3_reset(sins);
		}
		if (store_put_judgements(&jst, WS, js, nj, &e) != ST_OK) {
			fprintf(stderr, "store_put_judgements: %s\n", err_text(&e));
			exit(1);
		}
		made += n;
		arena_reset(a);
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(sins);
	sqlite3_exec(db, "COMMIT; ANALYZE;", NULL, NULL, NULL);
	buf_free(&body);
	arena_free(a);
}

/* ---- the queries ---- */

enum sk { S_FILTER, S_ORDER, S_TRACES, S_OF_SPAN };

struct sq {
	const char *name;
	enum sk kind;
	double vmin, vmax; /* the score's range (S_FILTER, S_TRACES) */
	const char *sql[2];
};

static char span_id[80];

/* The page: 10 rows, newest first; with the total count as the API pages give it. */
static const struct sq queries[] = {
    {"spans accuracy < 0.01 p1",
     S_FILTER,
     -1,
     0.01,
     {"SELECT s.body FROM scores j JOIN spans s ON s.span_id=j.span_id WHERE j.name='accuracy' "
      "AND j.value<=?1 ORDER BY s.started_at DESC LIMIT 10",
      "SELECT count(*) FROM scores WHERE name='accuracy' AND value<=?1"}},
    {"spans accuracy < 0.5 p1",
     S_FILTER,
     -1,
     0.5,
     {"SELECT s.body FROM scores j JOIN spans s ON s.span_id=j.span_id WHERE j.name='accuracy' "
      "AND j.value<=?1 ORDER BY s.started_at DESC LIMIT 10",
      "SELECT count(*) FROM scores WHERE name='accuracy' AND value<=?1"}},
    {"spans by accuracy p1",
     S_ORDER,
     -1,
     2,
     {"SELECT s.body FROM scores j JOIN spans s ON s.span_id=j.span_id WHERE j.name='accuracy' "
      "ORDER BY j.value DESC LIMIT 10",
      "SELECT count(*) FROM spans"}},
    {"traces helpfulness >= 0.9 p1",
     S_TRACES,
     0.9,
     2,
     {"SELECT s.body FROM scores j JOIN spans s ON s.trace_id=j.trace_id AND s.parent_span_id "
      "IS NULL WHERE j.name='helpfulness' AND j.target='trace' AND j.value>=?2 ORDER BY "
      "s.started_at DESC LIMIT 10",
      "SELECT count(*) FROM scores WHERE name='helpfulness' AND target='trace' AND value>=?2"}},
    {"scores of a span", S_OF_SPAN, 0, 0, {"SELECT * FROM scores WHERE span_id=?3", NULL}},
};
#define NQ (sizeof queries / sizeof queries[0])

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static size_t run_spandex(struct store *st, struct arena *a, const struct sq *b)
{
	struct jquery jq = {.st = st, .a = a, .ws = WS};
	struct query q = {.st = st, .a = a, .ws = WS, .sort = "-started_at", .limit = 10};
	struct query_keys k;
	struct query_rows r;
	struct query_traces t;
	enum status s;
	if (b->kind == S_OF_SPAN) {
		struct jfilter f = {.span_id = span_id};
		struct jrows rows;
		jq.f = &f;
		s = query_judgements(&jq, &rows);
		return s == ST_OK ? rows.n : 0;
	}
	bool traces = b->kind == S_TRACES;
	s = query_judged(&jq, traces ? JT_TRACE : JT_SPAN, traces ? "helpfulness" : "accuracy",
			 b->vmin >= 0, b->vmin, b->vmax <= 1, b->vmax, &k);
	if (s != ST_OK)
		return 0;
	if (b->kind == S_ORDER) {
		q.order = QO_KEYS;
		q.order_keys = &k;
		q.sort = "-accuracy";
	} else {
		q.keys = &k;
		q.nkeys = 1;
	}
	if (traces) {
		q.page = 1;
		q.page_size = 10;
		q.summary = true;
		q.roots_only = true;
		s = query_trace_rows(&q, &t);
		return s == ST_OK ? t.n + t.total : 0;
	}
	s = query_span_rows(&q, &r);
	if (s != ST_OK)
		fprintf(stderr, "%s: %s\n", b->name, q.err.msg);
	return s == ST_OK ? r.n + r.total : 0;
}

static size_t run_sqlite(sqlite3_stmt **st, const struct sq *b)
{
	size_t n = 0;
	for (int k = 0; k < 2; k++) {
		if (!st[k])
			continue;
		sqlite3_bind_double(st[k], 1, b->vmax);
		sqlite3_bind_double(st[k], 2, b->vmin);
		sqlite3_bind_text(st[k], 3, span_id, -1, SQLITE_STATIC);
		while (sqlite3_step(st[k]) == SQLITE_ROW)
			n += k ? (size_t)sqlite3_column_int64(st[k], 0) : 1;
		sqlite3_reset(st[k]);
	}
	return n;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double p50(double *v, int n)
{
	qsort(v, n, sizeof *v, cmp_d);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: score_bench SPANS DIR [iterations]\n");
		return 2;
	}
	long long want = atoll(argv[1]);
	const char *dir = argv[2];
	int iters = argc > 3 ? atoi(argv[3]) : 20;
	char dbpath[4096];
	snprintf(dbpath, sizeof dbpath, "%s/scores.sqlite", dir);
	struct stat sb;
	bool fresh = stat(dbpath, &sb) < 0;
	mkdir(dir, 0755);
	sqlite3 *db;
	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		die_sql(db, dbpath);
	if (fresh) {
		double t0 = now_ms();
		load(dir, want, db);
		printf("loaded %lld spans and their scores in %.1f s\n", want,
		       (now_ms() - t0) / 1e3);
	}
	sqlite3_stmt *one;
	if (sqlite3_prepare_v2(db,
			       "SELECT span_id FROM scores WHERE span_id IS NOT NULL LIMIT 1 "
			       "OFFSET (SELECT count(*)/2 FROM scores)",
			       -1, &one, NULL) != SQLITE_OK ||
	    sqlite3_step(one) != SQLITE_ROW)
		die_sql(db, "a span");
	snprintf(span_id, sizeof span_id, "%s", (const char *)sqlite3_column_text(one, 0));
	sqlite3_finalize(one);
	struct store st;
	store_init(&st, dir, false);
	struct arena *a = arena_new();
	double *ts = xmalloc(iters * sizeof *ts), *tq = xmalloc(iters * sizeof *tq);
	struct timespec settle = {STORE_LOOK_SETTLE_MS / 1000 + 1, 0};
	nanosleep(&settle, NULL);
	printf("%-32s %12s %12s %8s\n", "query (p50 ms)", "spandex", "SQLite", "ratio");
	for (size_t qi = 0; qi < NQ; qi++) {
		const struct sq *b = &queries[qi];
		sqlite3_stmt *sq[2] = {0};
		for (int k = 0; k < 2; k++)
			if (b->sql[k] && sqlite3_prepare_v2(db, b->sql[k], -1, &sq[k], NULL))
				die_sql(db, b->name);
		size_t ns = run_spandex(&st, a, b), nq = run_sqlite(sq, b); /* warm both */
		arena_reset(a);
		if (!ns || ns != nq)
			printf("  (%s: spandex %zu, SQLite %zu rows and count)\n", b->name, ns, nq);
		for (int i = 0; i < iters; i++) {
			double t0 = now_ms();
			run_spandex(&st, a, b);
			ts[i] = now_ms() - t0;
			arena_reset(a);
			t0 = now_ms();
			run_sqlite(sq, b);
			tq[i] = now_ms() - t0;
		}
		double s = p50(ts, iters), q = p50(tq, iters);
		printf("%-32s %12.3f %12.3f %7.1fx\n", b->name, s, q, s > 0 ? q / s : 0);
		for (int k = 0; k < 2; k++)
			sqlite3_finalize(sq[k]);
	}
	free(ts);
	free(tq);
	arena_free(a);
	sqlite3_close(db);
	return 0;
}
