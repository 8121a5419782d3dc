/* check_crash: writers and admin commands killed (SIGKILL) or failing (EIO) at every step:
 * what a reader sees meanwhile, and that nothing acknowledged is lost (docs/ARCHITECTURE.md,
 * "Crash rules"). */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/time.h"
#include "lib/query/query.h"
#include "lib/store/ops.h"
#include "lib/store/store.h"
#include "t/check_timeout.h"
#include "t/storefix.h"

static char root[256];
static struct store st;
static struct arena *A;

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/spandex-check-crash-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	store_init(&st, root, false);
	A = arena_new();
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
	arena_free(A);
}

static const int64_t DAY = 86400000000ll;
static const int64_t T0 = 1700000000000000ll; /* 2023-11-14T22:13:20Z */

/* A span with id, start time (us) and name; everything else fixed. */
static struct span mk(const char *id, int64_t start, const char *name)
{
	return storefix_span(A, id, start, name);
}

static size_t verify(void)
{
	return store_verify(&st, "ws1", storefix_note, NULL, NULL, NULL);
}

/* Runs fn in a child with environment variable var=val; expects it killed by SIGKILL when
 * killed, else exit 0. */
static void in_child(void (*fn)(void), const char *var, const char *val, bool killed)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setenv(var, val, 1);
		fn();
		_exit(0);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (killed)
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "status %d",
			      status);
	else
		ck_assert_msg(WIFEXITED(status) && !WEXITSTATUS(status), "status %d", status);
}

static void reindex(void)
{
	struct err e = {ST_OK, ""};
	if (store_reindex(&st, "ws1", NULL, NULL, storefix_note, NULL, &e) != ST_OK)
		_exit(2);
}

/* Item 1 of issue 30: 3 spans re-sent 300 times, their start moving over 3 days; reindex
 * killed after each rename of a day's new index. Every instant after the kill, and after
 * the next writer, 3 spans are live, each its newest version, and verify is clean. */
START_TEST(test_reindex_killed)
{
	static const char *const ids[] = {"a", "b", "c"};
	char name[32];
	for (int v = 0; v < 300; v++) {
		struct span b[3];
		snprintf(name, sizeof(name), "v%d", v);
		for (int i = 0; i < 3; i++)
			b[i] = mk(ids[i], T0 + ((v + i) % 3) * DAY, name);
		storefix_append(&st, b, 3);
	}
	for (int k = 1; k <= 3; k++) {
		char n[8];
		snprintf(n, sizeof(n), "%d", k);
		in_child(reindex, "SPANDEX_TEST_KILL_IN_REINDEX", n, true);
		ck_assert_uint_eq(storefix_live(&st), 3);
		for (int i = 0; i < 3; i++) {
			char *line = storefix_get(&st, ids[i]);
			ck_assert_msg(line && strstr(line, "\"name\":\"v299\""),
				      "%s after kill %d: %s", ids[i], k, line ? line : "(none)");
			free(line);
		}
		ck_assert_uint_eq(verify(), 0);
		ck_assert_uint_eq(storefix_live(&st), 3);
	}
	/* Whole, it gives the same. */
	in_child(reindex, "SPANDEX_TEST_KILL_IN_REINDEX", "", false);
	ck_assert_uint_eq(storefix_live(&st), 3);
	ck_assert_uint_eq(verify(), 0);
}
END_TEST

/* The fault shim linked in (t/fault/fault.c). */
void fault_arm(const char *spec);
unsigned fault_calls(void);

/* Item 3: six spans stored, then a three-day batch of their new versions and four new ids. */
static const char *const B_IDS[] = {"r0", "r1", "r2", "r3", "r4", "r5", "n0", "n1", "n2", "n3"};

static void base_store(void)
{
	struct span s[6];
	for (int i = 0; i < 6; i++)
		s[i] = mk(B_IDS[i], T0 + (i % 3) * DAY, "v1");
	storefix_append(&st, s, 6);
}

static void batch_b(struct span *b)
{
	for (int i = 0; i < 10; i++)
		b[i] = mk(B_IDS[i], T0 + ((i + 1) % 3) * DAY, "v2");
}

/* What a reader sees of batch B now: 1 whole, 0 absent; fails the test on anything between
 * (a version of each id, the live records in the lists). */
static int b_view(const char *when, unsigned k)
{
	int seen = -1;
	for (int i = 0; i < 10; i++) {
		char *line = storefix_get(&st, B_IDS[i]);
		int v = line && strstr(line, "\"name\":\"v2\"") ? 1 : 0;
		ck_assert_msg(line || i >= 6, "%s at call %u: %s lost", when, k, B_IDS[i]);
		ck_assert_msg(seen < 0 || v == seen, "%s at call %u: %s is %s, %s was %s", when, k,
			      B_IDS[i], v ? "new" : "old", B_IDS[0], seen ? "new" : "old");
		seen = v;
		free(line);
	}
	uint64_t live = storefix_live(&st);
	ck_assert_msg(live == (seen ? 10u : 6u), "%s at call %u: %llu list rows, %s batch", when, k,
		      (unsigned long long)live, seen ? "a whole" : "no");
	return seen;
}

/* store_update's merge for batch B (ctx): each id's new version is B's span of that id. */
static enum status merge_b(void *ctx, struct arena *a, const char *id, const struct span *cur,
			   struct span *out, struct err *e)
{
	(void)a, (void)cur, (void)e;
	const struct span *b = ctx;
	for (int i = 0; i < 10; i++)
		if (!strcmp(b[i].span_id, id))
			*out = b[i];
	return ST_OK;
}

/* Batch B written as an append, or (update) as store_update's read-merge-write of its ids:
 * the path of Opik's PATCH and of OTLP logs. */
static enum status write_b(bool update, struct span *b, struct err *e)
{
	if (!update)
		return store_append(&st, "ws1", b, 10, e);
	return store_update(&st, "ws1", A, B_IDS, 10, merge_b, b, e);
}

/* A fresh store under its own root for case k, holding the six spans, and batch B (synced,
 * so that every fdatasync is one of the calls that fail). */
static void fresh_case(unsigned k, struct span *b)
{
	char p[PATH_MAX + 16];
	snprintf(p, sizeof(p), "%s/%u", root, k);
	ck_assert_int_eq(mkdir(p, 0750), 0);
	store_init(&st, arena_strdup(A, p), true);
	base_store();
	batch_b(b);
}

/* The calls that change a file of ws1 in a whole batch B, written as write_b does. */
static unsigned b_calls(bool update)
{
	struct span b[10];
	struct err e = {ST_OK, ""};
	fresh_case(update ? 100000 : 0, b);
	fault_arm("count=/ws1/");
	ck_assert_int_eq(write_b(update, b, &e), ST_OK);
	unsigned n = fault_calls();
	fault_arm("");
	ck_assert_uint_gt(n, 5);
	fprintf(stderr, "batch B (%s): %u calls that change a file\n", update ? "update" : "append",
		n);
	return n;
}

/* After the failure: the next writer of the workspace (another span), then verify. The batch
 * is whole or absent, as the reader saw it just before when seen >= 0. */
static void after_next_writer(const char *when, unsigned k, int seen, bool must_be_absent)
{
	struct span z = mk("z", T0, "z");
	storefix_append(&st, &z, 1);
	/* z is one more live span: b_view counts without it, so take it away from the count. */
	uint64_t live = storefix_live(&st) - 1;
	char *first = storefix_get(&st, B_IDS[0]);
	int now = first && strstr(first, "\"name\":\"v2\"") ? 1 : 0;
	free(first);
	ck_assert_msg(live == (now ? 10u : 6u), "%s at call %u, after the next writer: %llu rows",
		      when, k, (unsigned long long)live);
	ck_assert_msg(!must_be_absent || !now,
		      "%s at call %u: the batch answered 503 was stored by the next writer", when,
		      k);
	ck_assert_msg(seen < 0 || now == seen, "%s at call %u: the next writer %s the batch", when,
		      k, now ? "stored" : "dropped");
	ck_assert_uint_eq(verify(), 0);
}

/* Item 3 of issue 30: EIO at each call that changes a file during the batch. A batch
 * answered with an error is absent to every reader at once and stays so; one answered OK is
 * whole. */
START_TEST(test_batch_eio_each_call)
{
	bool update = _i;
	unsigned n = b_calls(update);
	for (unsigned k = 1; k <= n; k++) {
		struct span b[10];
		fresh_case(k + (update ? 100000 : 0), b);
		char spec[64];
		snprintf(spec, sizeof(spec), "count=/ws1/,eio-at=%u", k);
		fault_arm(spec);
		struct err e = {ST_OK, ""};
		enum status rc = write_b(update, b, &e);
		fault_arm("");
		int seen = b_view("EIO", k);
		ck_assert_msg(rc == ST_OK ? seen == 1 : seen == 0,
			      "EIO at call %u: answered %d (%s) but the batch is %s", k, rc,
			      err_text(&e), seen ? "whole" : "absent");
		after_next_writer("EIO", k, seen, rc != ST_OK);
	}
}
END_TEST

/* Item 3 of issue 55: each call that changes a file during the batch torn, a write moving only
 * its first 8 or 16 bytes (half of a shorter one: the journal's commit record) and every call
 * after it failing with EIO, so the batch cannot be taken back either (t/fault/fault.c,
 * torn-at). Readers see the batch whole or absent, never part of it and never fewer of the
 * spans acknowledged before it, before and after the next writer; verify is clean after. */
START_TEST(test_batch_torn_each_call)
{
	bool update = _i & 1;
	unsigned torn = _i & 2 ? 16 : 8;
	unsigned n = b_calls(update);
	for (unsigned k = 1; k <= n; k++) {
		struct span b[10];
		fresh_case(k + (update ? 100000 : 0) + torn * 1000, b);
		char spec[64], when[32];
		snprintf(spec, sizeof(spec), "count=/ws1/,torn-at=%u,torn=%u", k, torn);
		snprintf(when, sizeof(when), "torn (%u bytes)", torn);
		fault_arm(spec);
		struct err e = {ST_OK, ""};
		enum status rc = write_b(update, b, &e);
		fault_arm("");
		bool unknown = rc != ST_OK && strstr(err_text(&e), "outcome is unknown");
		int seen = b_view(when, k);
		ck_assert_msg(unknown || (rc == ST_OK ? seen == 1 : seen == 0),
			      "%s at call %u: answered %d (%s) but the batch is %s", when, k, rc,
			      err_text(&e), seen ? "whole" : "absent");
		after_next_writer(when, k, seen, rc != ST_OK && !unknown);
	}
}
END_TEST

/* The same with the writer killed before each such call: readers see the batch whole or not
 * at all, before and after the next writer settles it. */
START_TEST(test_batch_killed_each_call)
{
	bool update = _i;
	unsigned n = b_calls(update), finished = 0;
	for (unsigned k = 1; k <= n; k++) {
		struct span b[10];
		fresh_case(k + (update ? 100000 : 0), b);
		char spec[64];
		snprintf(spec, sizeof(spec), "count=/ws1/,kill-at=%u", k);
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			struct err e = {ST_OK, ""};
			fault_arm(spec);
			write_b(update, b, &e);
			_exit(0);
		}
		int status;
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "status %d",
			      status);
		int seen = b_view("SIGKILL", k);
		/* Killed past the commit point and before the journal was emptied: the first
		 * reader that finds it so finishes it (store_finish), so no reader waits out
		 * STORE_PUBLISH_WAIT_US again, and sees the same batch. */
		if ((store_batches(&st, "ws1", 0) & 3) == 1) {
			ck_assert_msg(store_finish(&st, "ws1"), "SIGKILL at call %u: not finished",
				      k);
			ck_assert_uint_eq(store_batches(&st, "ws1", 0) & 3, 0);
			ck_assert_int_eq(b_view("SIGKILL, finished", k), seen);
			finished++;
		} else { /* no batch stuck there: nothing for a reader to finish */
			ck_assert(!store_finish(&st, "ws1"));
			ck_assert_int_eq(b_view("SIGKILL, untouched", k), seen);
		}
		after_next_writer("SIGKILL", k, seen, false);
	}
	ck_assert_uint_gt(finished, 0);
}
END_TEST

/* ---- issue 55, item 1: the first batch of a day, refused or killed ---- */

/* The day the batch below is the first of: the base store has T0 to T0 + 2 days. */
#define NEW_DAY_AT (T0 + 5 * DAY)

static enum status new_day_batch(struct err *e)
{
	struct span s = mk("new", NEW_DAY_AT, "new");
	return store_append(&st, "ws1", &s, 1, e);
}

/* A file of the new day that is there (idx, jsonl, tdx), or NULL. */
static const char *new_day_file(void)
{
	static const char *const ext[] = {"idx", "jsonl", "tdx"};
	char d[11], p[PATH_MAX + 64];
	time_day_format(time_day(NEW_DAY_AT), d);
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s/ws1/%s.%s", st.root, d, ext[i]);
		if (access(p, F_OK) == 0)
			return ext[i];
	}
	return NULL;
}

static void count_skip(void *ctx, const char *msg)
{
	fprintf(stderr, "skipped: %s\n", msg);
	++*(size_t *)ctx;
}

static void count_row(void *ctx, const struct query_row *row)
{
	(void)row;
	++*(size_t *)ctx;
}

/* The spans an export gives (`spandex export` visits them so: src/export.c), counted;
 * *unread: the days it left out, unable to read them. */
static size_t export_count(size_t *unread)
{
	struct arena *a = arena_new();
	struct query q = {.st = &st, .a = a, .ws = "ws1", .sort = "started_at"};
	size_t n = 0;
	enum status rc = query_span_visit(&q, count_row, &n);
	*unread = q.unread;
	arena_free(a);
	return rc == ST_OK ? n : SIZE_MAX;
}

/* Every tool over the store left by the batch (stored whole, or absent): verify clean, a
 * backup and an export of every span with nothing left out, the new day sealed and indexed (or
 * passed over), reindex, and verify clean again. */
static void new_day_tools(const char *when, unsigned k, bool stored)
{
	char dest[PATH_MAX + 16];
	struct err e = {ST_OK, ""};
	size_t said = 0;
	struct ops_skipped sk = {count_skip, &said, 0};
	ck_assert_msg(verify() == 0, "%s at call %u: verify", when, k);
	snprintf(dest, sizeof dest, "%s/backup", st.root);
	struct ops_backup_stats bs;
	ck_assert_msg(ops_backup(&st, dest, NULL, &bs, &sk, &e) == ST_OK && !sk.n,
		      "%s at call %u: backup: %s", when, k, err_text(&e));
	size_t unread;
	ck_assert_msg(export_count(&unread) == (stored ? 7u : 6u) && !unread,
		      "%s at call %u: export", when, k);
	uint64_t in, out;
	enum status s = store_seal(&st, "ws1", time_day(NEW_DAY_AT), &in, &out, &e);
	ck_assert_msg(s == ST_OK || s == ST_NOT_FOUND, "%s at call %u: seal: %s", when, k,
		      err_text(&e));
	bool built;
	size_t covered;
	s = store_text_index(&st, "ws1", time_day(NEW_DAY_AT), &built, &covered);
	ck_assert_msg(s == ST_OK || s == ST_NOT_FOUND, "%s at call %u: index", when, k);
	ck_assert_msg(store_reindex(&st, "ws1", NULL, NULL, NULL, NULL, &e) == ST_OK,
		      "%s at call %u: reindex: %s", when, k, err_text(&e));
	ck_assert_msg(verify() == 0, "%s at call %u: verify after reindex", when, k);
	ck_assert_msg(stored || !new_day_file(), "%s at call %u: reindex left the empty day's %s",
		      when, k, new_day_file());
	ck_assert_uint_eq(storefix_live(&st), stored ? 7 : 6);
	ck_assert_int_eq(said, 0);
}

/* A batch refused (EIO at each call that changes a file, mode 0), killed before each (1), or
 * refused by a full disk for the new day's files (2), for a day the workspace has no file of
 * yet (on a full disk at midnight, the first batch of every workspace). Refused, it leaves no
 * file of the day; killed, what it leaves every reader and tool takes as empty. Before, a
 * 0-byte <day>.idx stopped backup, seal, index, export and reindex of the workspace. */
START_TEST(test_new_day_refused)
{
	int mode = _i;
	struct span b[10];
	struct err e = {ST_OK, ""};
	fresh_case(300000 + 1000 * (unsigned)mode, b);
	fault_arm("count=/ws1/");
	ck_assert_int_eq(new_day_batch(&e), ST_OK);
	unsigned n = mode == 2 ? 1 : fault_calls();
	fault_arm("");
	for (unsigned k = 1; k <= n; k++) {
		char spec[64], d[11];
		time_day_format(time_day(NEW_DAY_AT), d);
		fresh_case(300000 + 1000 * (unsigned)mode + k, b);
		if (mode == 2)
			snprintf(spec, sizeof spec, "enospc=%s", d);
		else
			snprintf(spec, sizeof spec, "count=/ws1/,%s-at=%u", mode ? "kill" : "eio",
				 k);
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			fault_arm(spec);
			/* 2: refused past its commit point (its sync failed): stored or not. */
			_exit(new_day_batch(&e) == ST_OK		   ? 0
			      : strstr(err_text(&e), "outcome is unknown") ? 2
									   : 1);
		}
		int status;
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		char *line = storefix_get(&st, "new");
		if (mode != 1) {
			ck_assert_msg(WIFEXITED(status), "status %d", status);
			int answer = WEXITSTATUS(status);
			ck_assert_msg(answer == 2 || !answer == (line != NULL),
				      "%s at call %u: answered %s", spec, k,
				      answer ? "refused" : "stored");
			ck_assert_msg(line || !new_day_file(),
				      "%s at call %u: the refused batch left the day's %s", spec, k,
				      new_day_file());
		}
		/* The tools' own syncs are no part of the case: the shim makes them nothing. */
		fault_arm("nosync");
		new_day_tools(spec, k, line != NULL);
		fault_arm("");
		free(line);
	}
}
END_TEST

/* ---- item 2: admin commands killed under writers ---- */

/* How long the mix runs: SPANDEX_CRASH_MIX_SECONDS (the on-demand run; BENCHMARKS.md), else
 * CRASH_MIX_CI_SECONDS. */
#define CRASH_MIX_CI_SECONDS 15
static int mix_seconds(void)
{
	const char *v = getenv("SPANDEX_CRASH_MIX_SECONDS");
	return v && atoi(v) > 0 ? atoi(v) : CRASH_MIX_CI_SECONDS;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writer w: until the deadline, batches of 2 new ids and 2 of its own ids sent again, over 3
 * or 4 days, to ws1 (and now and then a span to ws2, which retain empties). Each span of a
 * batch answered OK goes to acks (id and name, in order); a batch answered otherwise must be
 * absent, which the check finds as an older name. */
static void mix_writer(int w, int64_t deadline, const char *acks)
{
	FILE *f = fopen(acks, "w");
	if (!f)
		_exit(3);
	srand((unsigned)(getpid() * 7919));
	size_t nids = 0;
	for (unsigned seq = 0; now_ms() < deadline; seq++) {
		struct span b[4];
		char id[4][32], name[32];
		int ndays = 3 + (int)(seq % 2);
		snprintf(name, sizeof(name), "w%d-v%u", w, seq);
		for (int i = 0; i < 4; i++) {
			if (i < 2 || nids < 4)
				snprintf(id[i], sizeof(id[i]), "w%d-%zu", w, nids++);
			else
				snprintf(id[i], sizeof(id[i]), "w%d-%zu", w,
					 (size_t)rand() % (nids - 2));
			b[i] = mk(id[i],
				  T0 + (int64_t)(i % ndays) * DAY + (int64_t)(seq % 1000) * 1000,
				  name);
		}
		if (!strcmp(id[2], id[3]))
			snprintf(id[3], sizeof(id[3]), "w%d-%zu", w, nids++), b[3].span_id = id[3];
		struct err e = {ST_OK, ""};
		if (store_append(&st, "ws1", b, 4, &e) == ST_OK) {
			for (int i = 0; i < 4; i++)
				fprintf(f, "%s %s\n", id[i], name);
			fflush(f);
		}
		if (w == 1 && seq % 16 == 0) {
			struct span o = mk(id[0], T0 + (int64_t)(seq % 3) * DAY, name);
			o.workspace = "ws2";
			store_append(&st, "ws2", &o, 1, &e);
		}
	}
	fclose(f);
}

/* An acknowledged span: id, name, and the order it was acknowledged in. */
struct ack {
	char id[32], name[32];
	size_t order;
};

static int cmp_ack(const void *a, const void *b)
{
	const struct ack *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	return c ? c : (x->order > y->order) - (x->order < y->order);
}

/* Runs `spandex ARGS` from the build tree and SIGKILLs it after ms (if it still runs). */
static void admin_killed(char *const *args, int ms)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execv(args[0], args);
		_exit(127);
	}
	usleep((useconds_t)ms * 1000);
	kill(pid, SIGKILL);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(!WIFEXITED(status) || WEXITSTATUS(status) != 127, "cannot run %s", args[0]);
}

/* Item 2 of issue 30: two writers send multi-day batches of new and re-sent ids to one
 * workspace while seal (--older-than 0), index, reindex, backup and retain (of another
 * workspace) are started and SIGKILLed at random 10 ms to 1.2 s in. Afterwards no
 * acknowledged span is lost: each id's newest acknowledged version is the one GET answers and
 * the lists show it once; verify is clean. */
START_TEST(test_admin_killed_under_writers)
{
	char bin[PATH_MAX], dest[PATH_MAX], acks[2][PATH_MAX];
	const char *bd = getenv("SPANDEX_BUILDDIR");
	snprintf(bin, sizeof(bin), "%s/src/spandex", bd ? bd : ".");
	snprintf(dest, sizeof(dest), "%s/backup", root);
	char data[PATH_MAX];
	snprintf(data, sizeof(data), "%s/data", root);
	ck_assert_int_eq(mkdir(data, 0750), 0);
	store_init(&st, arena_strdup(A, data), false);
	int64_t deadline = now_ms() + mix_seconds() * 1000;
	pid_t wp[2];
	for (int w = 0; w < 2; w++) {
		snprintf(acks[w], sizeof(acks[w]), "%s/acks%d", root, w);
		wp[w] = fork();
		ck_assert_int_ge(wp[w], 0);
		if (wp[w] == 0) {
			mix_writer(w, deadline, acks[w]);
			_exit(0);
		}
	}
	srand(30);
	unsigned runs = 0;
	while (now_ms() < deadline) {
		char *cmds[][9] = {
		    {bin, "seal", data, "--older-than", "0", "--wait", NULL},
		    {bin, "index", data, "--wait", NULL},
		    {bin, "reindex", data, "--workspace", "ws1", NULL},
		    {bin, "backup", data, dest, "--wait", NULL},
		    {bin, "retain", data, "--days", "1", "--workspace", "ws2", "--wait", NULL},
		};
		int c = rand() % 5;
		admin_killed(cmds[c], 10 + rand() % 1190);
		runs++;
	}
	for (int w = 0; w < 2; w++) {
		int status;
		ck_assert_int_eq(waitpid(wp[w], &status, 0), wp[w]);
		ck_assert_msg(WIFEXITED(status) && !WEXITSTATUS(status), "writer %d: %d", w,
			      status);
	}
	ck_assert_uint_eq(verify(), 0);
	/* The newest acknowledged name of each id: the last line of it (each id is one
	 * writer's). */
	size_t nids = 0, n = 0, lost = 0, stale = 0, cap = 0;
	struct ack *ak = NULL;
	for (int w = 0; w < 2; w++) {
		FILE *f = fopen(acks[w], "r");
		ck_assert_ptr_nonnull(f);
		struct ack a;
		while (fscanf(f, "%31s %31s", a.id, a.name) == 2) {
			if (n == cap)
				ak = realloc(ak, (cap = cap ? 2 * cap : 4096) * sizeof(*ak));
			a.order = n;
			ak[n++] = a;
		}
		fclose(f);
	}
	qsort(ak, n, sizeof(*ak), cmp_ack);
	for (size_t i = 0; i < n; i++)
		if (i + 1 == n || strcmp(ak[i].id, ak[i + 1].id))
			ak[nids++] = ak[i];
	for (size_t i = 0; i < nids; i++) {
		char *line = storefix_get(&st, ak[i].id), want[64];
		snprintf(want, sizeof(want), "\"name\":\"%s\"", ak[i].name);
		if (!line)
			lost++;
		else if (!strstr(line, want))
			stale++;
		if (lost + stale == 1 && (!line || !strstr(line, want)))
			fprintf(stderr, "mix: %s: want %s, have %s\n", ak[i].id, ak[i].name,
				line ? line : "(none)");
		free(line);
	}
	fprintf(stderr, "mix: %d s, %u admin runs killed or finished, %zu ids acknowledged\n",
		mix_seconds(), runs, nids);
	ck_assert_msg(nids > 0, "no batch was acknowledged");
	ck_assert_msg(!lost && !stale,
		      "%zu acknowledged spans lost, %zu not at their newest version", lost, stale);
	ck_assert_uint_eq(storefix_live(&st), nids);
	free(ak);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("crash");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reindex_killed);
	/* Each as an append (0) and as store_update (1). */
	tcase_add_loop_test(tc, test_batch_eio_each_call, 0, 2);
	tcase_add_loop_test(tc, test_batch_killed_each_call, 0, 2);
	/* Append and update, 8 and 16 bytes moved. */
	tcase_add_loop_test(tc, test_batch_torn_each_call, 0, 4);
	tcase_add_loop_test(tc, test_new_day_refused, 0, 3);
	suite_add_tcase(s, tc);
	/* Alone, so that CK_RUN_CASE=mix runs it (with SPANDEX_CRASH_MIX_SECONDS, the long run). */
	TCase *mix = tcase_create("mix");
	tcase_add_checked_fixture(mix, setup, teardown);
	/* It runs mix_seconds() by the clock, then checks: the bound of any test after that. */
	tcase_set_timeout(mix, CHECK_TIMEOUT_S + mix_seconds());
	tcase_add_test(mix, test_admin_killed_under_writers);
	suite_add_tcase(s, mix);
	return s;
}
