/* check_query_snap: answers from one state under a writer (docs/FORMAT.md, "What a reader
 * sees"): listings, trace gets and visits while batches commit, a snapshot taken in a batch's
 * publish, and runs a batch overlaps (store_snap), in the index case of check_query. */
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>

#include "t/check_query.h"

/* FORMAT.md, "What a reader sees": a writer re-sends the six spans of trace "tr" (a
 * root and five children, moved to other days by every batch) with three new spans of their
 * own trace, each batch over three days, while a reader lists every span and gets the trace.
 * Every answer holds each batch whole or not at all: the six spans once each, of one batch,
 * three spans of every new trace, and a trace of six spans. Without db_snapshot 16 to 28 of
 * some 900 answers here held two versions of a span, part of a batch or no trace at all. The
 * same listing as a visit with a reset (query.visit_reset) is checked alike: without the
 * reset, 21 of some 400 visits held part of a batch. */
static void snap_batch(int k, int64_t base)
{
	struct span b[9];
	char name[32], trace[32];
	snprintf(name, sizeof name, "v%d", k);
	snprintf(trace, sizeof trace, "nt%d", k);
	for (int i = 0; i < 9; i++) {
		char id[32];
		if (i < 6)
			snprintf(id, sizeof id, "r%d", i);
		else
			snprintf(id, sizeof id, "n%d-%d", k, i - 6);
		bool resent = i < 6;
		b[i] = mk(arena_strdup(A, id), resent ? "tr" : arena_strdup(A, trace),
			  i == 0 || i == 6 ? ""
			  : resent	   ? "r0"
					   : b[6].span_id,
			  "snap-sess", "2024-03-01T00:00:00Z", 1, KIND_LLM, SPST_SUCCESS, NULL, 1,
			  NAN);
		b[i].name = arena_strdup(A, name);
		b[i].started_at = base + (int64_t)((i + k) % 3) * 86400000000LL + i;
		b[i].ended_at = b[i].started_at + 1000;
	}
	struct err e = {ST_OK, ""};
	if (store_append(&fx_st, "snap", b, 9, &e) != ST_OK)
		_exit(2);
}

/* Batches the writer sends: 6 + 3 * 300 spans, one page of the listing. */
#define SNAP_BATCHES 300

/* The answer's problems: 0 when it holds each batch whole or not at all. */
static int snap_check(const struct query_rows *r, int *batches)
{
	static unsigned char seen[1 << 16];
	int resent = 0, version = -1, bad = 0, maxk = 0;
	memset(seen, 0, sizeof seen);
	for (size_t i = 0; i < r->n; i++) {
		const char *l = r->rows[i].line, *id = strstr(l, "\"span_id\":\"");
		const char *nm = strstr(l, "\"name\":\"v");
		ck_assert(id && nm);
		id += 11;
		int v = atoi(nm + 9), k;
		if (*id == 'r') {
			resent++;
			bad += version >= 0 && v != version;
			version = v;
		} else if (sscanf(id, "n%d-", &k) == 1 && k > 0 && k < (1 << 16)) {
			seen[k]++;
			maxk = k > maxk ? k : maxk;
		}
	}
	for (int k = 1; k <= maxk; k++)
		bad += seen[k] != 3;
	*batches = maxk;
	return bad + (resent != 6);
}

/* A visit's rows, copied: a visit with a reset (query.visit_reset) is a snapshot too. */
struct snap_visit {
	struct query_rows r;
	size_t cap;
	int resets;
};

static void snap_row(void *ctx, const struct query_row *row)
{
	struct snap_visit *v = ctx;
	if (v->r.n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 64;
		struct query_row *n = arena_alloc(Q.a, v->cap * sizeof *n);
		if (v->r.n)
			memcpy(n, v->r.rows, v->r.n * sizeof *n);
		v->r.rows = n;
	}
	v->r.rows[v->r.n++] =
	    (struct query_row){arena_strndup(Q.a, row->line, row->len), row->len, row->started_us};
}

static void snap_reset(void *ctx)
{
	struct snap_visit *v = ctx;
	v->r.n = 0;
	v->resets++;
}

static int64_t elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The rule holds for every answer: one whose run takes over QUERY_RETRY_MS (lib/query/query.h;
 * a loaded CI machine) is not run again, and answers as of its snapshot (store_snap). */
START_TEST(snapshot_under_writer)
{
	int64_t base;
	ck_assert(time_parse("2024-03-01T00:00:00Z", true, &base));
	snap_batch(0, base);
	struct query_trace t;
	q_init("started_at", 0, 0, NULL, FILTER_SPANS);
	Q.ws = "snap";
	ck_assert_int_eq(query_trace_find(&Q, "tr", &t), ST_OK);
	ck_assert_int_eq(t.u.spans, 6);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		for (int k = 1; k <= SNAP_BATCHES; k++) {
			snap_batch(k, base);
			struct timespec nap = {0, 1000000};
			nanosleep(&nap, NULL);
		}
		_exit(0);
	}
	int queries = 0, bad = 0, batches = 0, status = 0, resets = 0, slow = 0;
	char first[160] = "";
	while (waitpid(pid, &status, WNOHANG) == 0) {
		q_init("started_at", 0, 0, NULL, FILTER_SPANS);
		Q.ws = "snap";
		Q.limit = 1000;
		Q.a = arena_new(); /* the query's own, as a request's */
		struct query_rows r;
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ck_assert_msg(query_span_rows(&Q, &r) == ST_OK, "%s", Q.err.msg);
		int b = snap_check(&r, &batches);
		if (query_trace_find(&Q, "tr", &t) != ST_OK)
			t.u.spans = 0;
		struct snap_visit sv = {0};
		Q.visit_reset = snap_reset;
		ck_assert_msg(query_span_visit(&Q, snap_row, &sv) == ST_OK, "%s", Q.err.msg);
		Q.visit_reset = NULL;
		int vb = snap_check(&sv.r, &batches);
		slow += elapsed_ms(&t0) >= QUERY_RETRY_MS;
		if (vb && !bad)
			snprintf(first, sizeof first, "query %d: the visit has %d problems",
				 queries, vb);
		bad += vb != 0;
		resets += sv.resets;
		if ((b || t.u.spans != 6) && !bad)
			snprintf(first, sizeof first, "query %d: %d problems, trace of %lld spans",
				 queries, b, (long long)t.u.spans);
		bad += b || t.u.spans != 6;
		queries++;
		arena_free(Q.a);
	}
	ck_assert(WIFEXITED(status) && !WEXITSTATUS(status));
	fprintf(stderr,
		"snapshot: %d queries and visits under %d batches (%d of them over %d ms), "
		"%d answers not of one state, %d visits run again%s%s\n",
		queries, batches, slow, QUERY_RETRY_MS, bad, resets, *first ? "; first: " : "",
		first);
	ck_assert_int_gt(batches, 10);
	ck_assert_int_gt(queries, 10);
	ck_assert_int_eq(bad, 0);
}
END_TEST

/* A snapshot taken while a batch is between its commit point and its ids (a writer slower than
 * STORE_PUBLISH_WAIT_US there; here one killed there, its lock held by another reader so that
 * no query finishes it): the answer is of before the batch, each span once in its old version,
 * none of the batch's new ones. Once the lock is free, a query finishes the batch, and the
 * answer is of after it. */
/* The rows of trace tp (snapshot_in_publish) in r, each checked to carry name, else -1. */
static int pub_rows(const struct query_rows *r, const char *name)
{
	char want[32];
	int n = 0;
	snprintf(want, sizeof want, "\"name\":\"%s\"", name);
	for (size_t i = 0; i < r->n; i++) {
		if (!strstr(r->rows[i].line, "\"trace_id\":\"tp\""))
			continue;
		if (!strstr(r->rows[i].line, want))
			return -1;
		n++;
	}
	return n;
}

START_TEST(snapshot_in_publish)
{
	struct span s[9];
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < 9; i++) {
			char id[16];
			snprintf(id, sizeof id, i < 6 ? "p%d" : "q%d", i);
			s[i] = mk(arena_strdup(A, id), "tp", i ? "p0" : "", "pub-sess",
				  "2024-03-01T00:00:00Z", 1, KIND_LLM, SPST_SUCCESS, NULL, 1, NAN);
			s[i].name = k ? "v1" : "v0";
			s[i].started_at += (int64_t)((i + k) % 3) * 86400000000LL + i;
		}
		if (k == 0)
			append(s, 6);
		else
			append_killed_by("SPANDEX_TEST_KILL_IN_IDS", s, 9);
	}
	int hold = store_hold(&fx_st, "ws");
	ck_assert_int_ge(hold, 0);
	struct query_trace t;
	q_init("started_at", 0, 0, NULL, FILTER_SPANS);
	ck_assert_int_eq(query_trace_find(&Q, "tp", &t), ST_OK);
	ck_assert_int_eq(t.u.spans, 6);
	struct query_rows r;
	q_init("started_at", 0, 0, NULL, FILTER_SPANS);
	Q.limit = 100;
	ck_assert_msg(query_span_rows(&Q, &r) == ST_OK, "%s", Q.err.msg);
	ck_assert_int_eq(pub_rows(&r, "v0"), 6);
	store_release(hold);
	q_init("started_at", 0, 0, NULL, FILTER_SPANS);
	ck_assert_int_eq(query_trace_find(&Q, "tp", &t), ST_OK);
	ck_assert_int_eq(t.u.spans, 9);
	q_init("started_at", 0, 0, NULL, FILTER_SPANS);
	Q.limit = 100;
	ck_assert_msg(query_span_rows(&Q, &r) == ST_OK, "%s", Q.err.msg);
	ck_assert_int_eq(pub_rows(&r, "v1"), 9);
}
END_TEST

/* Issue 55, item 6: a query that a batch's commit overlaps answers as of the state it began in,
 * however long it runs (store_snap), as a query over QUERY_RETRY_MS must, which is never run
 * again. A visit with a reset shows its first run at the reset, before the run again: its
 * visitor re-sends, on the first row, two spans it has not reached (the 41st of the first day,
 * and one of the second day, not opened yet), deletes a third and stores a new one. That run
 * holds every span of before the batch once, in its old version, and not the new span. Without
 * the versions' batch named (<day>.sup), the re-sent spans were missing from it. */
#define LONG_SPANS 50

struct long_visit {
	struct snap_visit v;
	bool wrote;
	int first;  /* the first run's problems, judged at the reset; -1 before it */
	bool lock;  /* after the batch, hold the workspace lock as a writer (lockfd) */
	int lockfd; /* -1: none held */
};

/* The problems of a visit's rows: each span of the two days once, with the name given before
 * the batch (old) or after it, and nothing else. */
static int long_check(const struct query_rows *r, bool old)
{
	int seen[2][LONG_SPANS] = {{0}}, bad = 0;
	for (size_t i = 0; i < r->n; i++) {
		const char *l = r->rows[i].line, *id = strstr(l, "\"span_id\":\"");
		int d, k;
		ck_assert_ptr_nonnull(id);
		if (sscanf(id + 11, "d%d-%d\"", &d, &k) != 2 || d < 0 || d > 1 || k < 0 ||
		    k >= LONG_SPANS) {
			bad++; /* the new span, stored during the run */
			continue;
		}
		seen[d][k]++;
		bool resent = (d == 0 && k == 40) || (d == 1 && k == 10);
		bad += resent && old != (strstr(l, "\"name\":\"v0\"") != NULL);
	}
	for (int d = 0; d < 2; d++)
		for (int k = 0; k < LONG_SPANS; k++)
			bad += seen[d][k] != (old || d != 1 || k != 20);
	return bad;
}

static struct span long_span(int d, int k, const char *name)
{
	char id[32];
	snprintf(id, sizeof id, "d%d-%d", d, k);
	struct span s = mk(arena_strdup(A, id), d ? "lt1" : "lt0", k ? (d ? "d1-0" : "d0-0") : "",
			   "long-sess", d ? "2024-04-02T00:00:00Z" : "2024-04-01T00:00:00Z", 1,
			   KIND_LLM, SPST_SUCCESS, NULL, 1, NAN);
	s.workspace = "long";
	s.name = name;
	s.started_at += k;
	return s;
}

static void long_row(void *ctx, const struct query_row *row)
{
	struct long_visit *lv = ctx;
	snap_row(&lv->v, row);
	if (lv->wrote)
		return;
	lv->wrote = true;
	struct span b[4] = {
	    long_span(0, 40, "v1"), long_span(1, 10, "v1"), {0}, long_span(0, 7, "new")};
	struct span gone = long_span(1, 20, "v0");
	span_init(&b[2]);
	span_tombstone(&b[2], &gone);
	b[3].span_id = "new-span";
	struct err e = {ST_OK, ""};
	ck_assert_msg(store_append(&fx_st, "long", b, 4, &e) == ST_OK, "%s", err_text(&e));
	json_decref(b[2].raw_attributes);
	if (lv->lock) {
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s/long/lock", fx_st.root);
		lv->lockfd = open(p, O_RDONLY | O_CLOEXEC);
		ck_assert_int_ge(lv->lockfd, 0);
		ck_assert_int_eq(flock(lv->lockfd, LOCK_EX), 0);
	}
}

static void long_reset(void *ctx)
{
	struct long_visit *lv = ctx;
	if (lv->first < 0)
		lv->first = long_check(&lv->v.r, true);
	snap_reset(&lv->v);
}

/* The two days of LONG_SPANS spans each, in their first versions. */
static void long_store(void)
{
	struct span s[2 * LONG_SPANS];
	for (int d = 0; d < 2; d++)
		for (int k = 0; k < LONG_SPANS; k++)
			s[d * LONG_SPANS + k] = long_span(d, k, "v0");
	struct err e = {ST_OK, ""};
	ck_assert_int_eq(store_append(&fx_st, "long", s, 2 * LONG_SPANS, &e), ST_OK);
}

/* The visit that long_row's batch overlaps, judged at its reset and after its run again; or,
 * its first run over QUERY_RETRY_MS (a busy machine: the batch's fsyncs are in it), judged as
 * that run, which is not run again and answers as of the state it began in. */
static void long_run(void)
{
	struct long_visit lv = {.first = -1};
	q_init("started_at", 0, 0, NULL, FILTER_SPANS);
	Q.ws = "long";
	Q.a = arena_new();
	Q.visit_reset = long_reset;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_msg(query_span_visit(&Q, long_row, &lv) == ST_OK, "%s", Q.err.msg);
	Q.visit_reset = NULL;
	if (lv.v.resets == 0) {
		ck_assert_int_ge(elapsed_ms(&t0), QUERY_RETRY_MS);
		ck_assert_int_eq(long_check(&lv.v.r, true), 0);
		arena_free(Q.a);
		return;
	}
	/* Run again (the batch committed during the first run): the answer is of after it. */
	ck_assert_int_eq(lv.v.resets, 1);
	ck_assert_int_eq(lv.first, 0);
	ck_assert_int_eq(long_check(&lv.v.r, false), 1); /* the new span */
	arena_free(Q.a);
}

START_TEST(long_query_under_batch)
{
	long_store();
	long_run();
}
END_TEST

/* The upgrade converts nothing (docs/FORMAT.md, "Versions superseded during a query"): a store
 * of a spandex from before <day>.sup holds versions superseded and no side file. A batch during
 * a long query there makes the days' files, and the query holds every span once all the same:
 * the versions superseded before it began left out (the file's 0 for them), the batch's in
 * their old version. */
START_TEST(long_query_after_upgrade)
{
	long_store();
	/* The two spans long_row re-sends, re-sent once before, as an older spandex stored them:
	 * their first versions superseded and no side file naming the batch. */
	struct span again[2] = {long_span(0, 40, "v0"), long_span(1, 10, "v0")};
	struct err e = {ST_OK, ""};
	ck_assert_int_eq(store_append(&fx_st, "long", again, 2, &e), ST_OK);
	for (int d = 0; d < 2; d++) {
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s/long/2024-04-0%d.sup", fx_st.root, d + 1);
		ck_assert_int_eq(unlink(p), 0);
	}
	long_run();
}
END_TEST

/* A query a batch overlapped, whose writers hold the workspace lock when it would run again (the
 * next batch, or this one's fsyncs of two days, under the lock): its first run's answer stands,
 * as of the state it began in (store_snap), with no wait for the lock. Without that, the run
 * again waited up to STORE_HOLD_WAIT_MS for the lock, then ran without it (a reset here), which
 * was most of the list page's p99 under bench/soak.mjs's writers. With the lock free, the run
 * again is long_query_under_batch's. */
START_TEST(writer_holds_lock)
{
	long_store();
	struct long_visit lv = {.first = -1, .lock = true, .lockfd = -1};
	q_init("started_at", 0, 0, NULL, FILTER_SPANS);
	Q.ws = "long";
	Q.a = arena_new();
	Q.visit_reset = long_reset;
	ck_assert_msg(query_span_visit(&Q, long_row, &lv) == ST_OK, "%s", Q.err.msg);
	Q.visit_reset = NULL;
	ck_assert_int_ge(lv.lockfd, 0);
	close(lv.lockfd);
	ck_assert_int_eq(lv.v.resets, 0);
	ck_assert_int_eq(long_check(&lv.v.r, true), 0);
	arena_free(Q.a);
}
END_TEST

void check_query_snap(TCase *index)
{
	tcase_add_test(index, snapshot_under_writer);
	tcase_add_test(index, snapshot_in_publish);
	tcase_add_test(index, long_query_under_batch);
	tcase_add_test(index, long_query_after_upgrade);
	tcase_add_test(index, writer_holds_lock);
}
