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
 * when QB_ONLY holds its word (run them on a copy): "dropped" (its oldest day dropped; with
 * QB_DROP_MIDDLE=1 its middle day's index removed, as an operator removes a day),
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
#include "bench/qb_age.h"
#include "bench/qb_load.h"
#include "bench/qb_rows.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"

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

/* p50 and p99 (ms) of each query of the set, for spandex and (when db) SQLite; the frames of
 * sealed files a spandex run decompressed, on average (store_sealed_frames). */
struct timing {
	double s50[QB_NQ], s99[QB_NQ], q50[QB_NQ], q99[QB_NQ], frames[QB_NQ];
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
	for (size_t qi = 0; qi < QB_NQ; qi++) {
		struct bq *b = &qb_queries[qi];
		sqlite3_stmt *sq[3] = {0};
		if (!qb_chosen(qi))
			continue;
		for (int k = 0; db && k < 3; k++)
			if (b->sql[k] &&
			    sqlite3_prepare_v2(db, b->sql[k], -1, &sq[k], NULL) != SQLITE_OK)
				qb_die_sql(db, b->name);
		if (b->replace)
			qb_replace_one(st, -1);
		qb_run_spandex(st, a, b, &out); /* warm both */
		arena_reset(a);
		if (getenv("QB_IDLE"))
			idle_build(b->name);
		if (db)
			qb_run_sqlite(sq, b, &out);
		uint64_t frames = 0;
		int runs = b->ev ? (iters < QB_DROPS ? iters : QB_DROPS) : iters;
		for (int i = 0; i < runs; i++) {
			if (b->replace)
				qb_replace_one(st, i);
			qb_change(st, b->ev, i);
			uint64_t f0 = store_sealed_frames();
			double t0 = qb_now_ms();
			qb_run_spandex(st, a, b, &out);
			ts[i] = qb_now_ms() - t0;
			frames += store_sealed_frames() - f0;
			arena_reset(a);
			if (!db)
				continue;
			t0 = qb_now_ms();
			qb_run_sqlite(sq, b, &out);
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
	for (size_t qi = 0; qi < QB_NQ; qi++)
		printf("%-22s %10.3f %10.3f %10.3f %10.3f %8.2f\n", qb_queries[qi].name, t->s50[qi],
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
	qb_ids_print(stdout);
	fflush(stdout);
	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\n")] = 0;
		struct bq *b = NULL;
		for (size_t qi = 0; qi < QB_NQ && !b; qi++)
			if (!strcmp(qb_queries[qi].name, line))
				b = &qb_queries[qi];
		double ms = -1;
		if (b) {
			sqlite3_stmt *sq[3] = {0};
			for (int k = 0; k < 3; k++)
				if (b->sql[k] && sqlite3_prepare_v2(db, b->sql[k], -1, &sq[k],
								    NULL) != SQLITE_OK)
					qb_die_sql(db, b->name);
			double t0 = qb_now_ms();
			qb_run_sqlite(sq, b, &out);
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
	for (size_t qi = 0; qi < QB_NQ; qi++) {
		if (!qb_queries[qi].search || !qb_chosen(qi))
			continue;
		double rg = time_rg(dir, qb_queries[qi].search, iters, z);
		printf("%-22s %10.3f %10.3f %10.3f %8.2f\n", qb_queries[qi].name, t->s50[qi],
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
	qb_pick(db);
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
	for (size_t qi = 0; qi < QB_NQ; qi++) {
		if (!qb_queries[qi].search || !qb_chosen(qi))
			continue;
		double rg = time_rg(dir, qb_queries[qi].search, iters, false);
		printf("%-22s %10.3f %10.3f %10.3f %10.3f %10.3f %10.3f %8.2f %8.2f\n",
		       qb_queries[qi].name, open.s50[qi], tail.s50[qi], indexed.s50[qi],
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
		for (size_t qi = 0; qi < QB_NQ; qi++)
			printf("%-22s %10.3f %10.3f %10.3f %10.3f %8.2f %8.1f\n",
			       qb_queries[qi].name, indexed.s50[qi], indexed.s99[qi],
			       sealed.s50[qi], sealed.s99[qi], sealed.s50[qi] / indexed.s50[qi],
			       sealed.frames[qi]);
		/* Search on the sealed days against ripgrep decompressing the same files. */
		print_vs_rg("sealed search (ms)", "index p50", &sealed, dir, iters, true);
	}
	sqlite3_close(db);
	return 0;
}
