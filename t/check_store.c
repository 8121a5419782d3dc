/* check_store: the storage engine: append, get, versions, recovery, reindex, verify. */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/store/store.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/model/workspace.h"
#include "t/storecase.h"
#include "t/storefix.h"

/* Whether the journal names no batch: empty, or (format 3, lib/store/record.h) a header with
 * no entries. */
static bool journal_idle(void)
{
	char p[PATH_MAX], h[16];
	snprintf(p, sizeof(p), "%s/ws1/journal", root);
	int fd = open(p, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ssize_t n = pread(fd, h, sizeof(h), 0);
	close(fd);
	uint32_t entries;
	memcpy(&entries, h + 8, 4);
	return n == 0 || (n == 16 && !memcmp(h, "SPXJRN3\n", 8) && !entries);
}

/* Points the slot of span id at loc in ids.tab. */
static void ids_point(const char *id, uint64_t loc)
{
	uint64_t h = hash_bytes(id, strlen(id));
	off_t n = (fsize("ids.tab") - STORE_TAB_HDR) / STORE_TAB_SLOT;
	for (off_t i = 0; i < n; i++)
		if (get_u64("ids.tab", STORE_TAB_HDR + i * STORE_TAB_SLOT) == h)
			put_u64("ids.tab", STORE_TAB_HDR + i * STORE_TAB_SLOT + 8, loc);
}

/* A workspace directory that holds no span (its days retained away): verify and reindex
 * resolve zero versions. qsort was handed NULL for them, which UBSan stops (CI's sanitizer
 * run of admin_kill.test.mjs met it at random). */
START_TEST(test_empty_workspace)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/ws1", root);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_eq(verify(), 0);
	struct err e = {ST_OK, ""};
	ck_assert_msg(store_reindex(&st, "ws1", NULL, NULL, NULL, NULL, &e) == ST_OK, "reindex: %s",
		      err_text(&e));
	ck_assert_int_eq(verify(), 0);
}
END_TEST

START_TEST(test_workspace_names)
{
	ck_assert(workspace_valid("default"));
	ck_assert(workspace_valid("llama-3.2-3b"));
	ck_assert(workspace_valid("a@b.c+d_e"));
	ck_assert(!workspace_valid("a"));
	ck_assert(!workspace_valid("Default"));
	ck_assert(!workspace_valid("1abc"));
	ck_assert(!workspace_valid("ab--c"));
	ck_assert(!workspace_valid("abc-"));
	ck_assert(!workspace_valid(".."));
	ck_assert(!workspace_valid("a/b"));
	ck_assert(!workspace_valid("a b"));
	ck_assert(!workspace_valid(""));
	ck_assert(!workspace_valid(NULL));
	char long64[65];
	memset(long64, 'a', 64);
	long64[64] = 0;
	ck_assert(!workspace_valid(long64));
	long64[63] = 0;
	ck_assert(workspace_valid(long64));
	/* A volume's lost+found at the root of DATA is no workspace: every command read it. */
	ck_assert(!workspace_valid("lost+found"));
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/lost+found", root);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	struct span s = mk("a", T0);
	append(&s, 1);
	char **names;
	size_t n;
	ck_assert_int_eq(store_workspaces(&st, &names, &n), ST_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(names[0], "ws1");
	free(names[0]);
	free(names);
}
END_TEST

START_TEST(test_append_get)
{
	struct span s[3] = {mk("a", T0), mk("b", T0 + 1), mk("c", T0 + DAY)};
	append(s, 3);
	char *a = get("a");
	ck_assert_ptr_nonnull(a);
	ck_assert_msg(
	    !strncmp(a,
		     "{\"span_id\":\"a\",\"session_id\":\"session-1\",\"workspace\":\"ws1\","
		     "\"kind\":\"LLM\",\"name\":\"step\",\"source\":\"test\",\"trace_id\":"
		     "\"trace-1\",\"started_at\":\"2023-11-14T22:13:20Z\",\"ended_at\":"
		     "\"2023-11-14T22:13:20.001500Z\",\"status\":\"success\",\"model\":"
		     "\"gpt-x\",\"input_tokens\":10,\"output_tokens\":5,\"usage_details\":{},"
		     "\"cost_total_usd\":0.25,\"cost_details\":{},\"input\":\"hello "
		     "\\\"world\\\"\\n\",\"ingested_at\":\"",
		     strlen("{\"span_id\":\"a\",\"session_id\":\"session-1\",\"workspace\":"
			    "\"ws1\",\"kind\":\"LLM\",\"name\":\"step\",\"source\":\"test\","
			    "\"trace_id\":\"trace-1\",\"started_at\":\"2023-11-14T22:13:20Z\","
			    "\"ended_at\":\"2023-11-14T22:13:20.001500Z\",\"status\":"
			    "\"success\",\"model\":\"gpt-x\",\"input_tokens\":10,"
			    "\"output_tokens\":5,\"usage_details\":{},\"cost_total_usd\":0.25,"
			    "\"cost_details\":{},\"input\":\"hello \\\"world\\\"\\n\","
			    "\"ingested_at\":\"")),
	    "line: %s", a);
	free(a);
	char *c = get("c");
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(strstr(c, "\"started_at\":\"2023-11-15T22:13:20Z\""));
	free(c);
	ck_assert_ptr_null(get("zzz"));
	ck_assert_ptr_null(get("\"a"));
	ck_assert_int_eq(verify(), 0);
	int32_t *days;
	size_t nd;
	ck_assert_int_eq(store_days(&st, "ws1", &days, &nd), ST_OK);
	ck_assert_uint_eq(nd, 2);
	ck_assert_int_eq(days[1] - days[0], 1);
	free(days);
}
END_TEST

START_TEST(test_versions)
{
	struct span s[2] = {mk("a", T0), mk("b", T0)};
	append(s, 2);
	/* The new version moves to another day: it must still win everywhere. */
	struct span v2 = mk("a", T0 + 3 * DAY);
	v2.name = "second";
	append(&v2, 1);
	char *a = get("a");
	ck_assert_ptr_nonnull(strstr(a, "\"name\":\"second\""));
	free(a);
	struct shard sh;
	ck_assert_int_eq(shard_open(&st, "ws1", time_day(T0), &sh), ST_OK);
	ck_assert_uint_eq(sh.nrecs, 2);
	ck_assert(sh.recs[0].flags & REC_SUPERSEDED);
	ck_assert(!(sh.recs[1].flags & REC_SUPERSEDED));
	shard_close(&sh);
	/* The same id twice in one batch: the later one wins. */
	struct span dup[2] = {mk("d", T0), mk("d", T0 + 5)};
	dup[1].name = "later";
	append(dup, 2);
	char *d = get("d");
	ck_assert_ptr_nonnull(strstr(d, "\"name\":\"later\""));
	free(d);
	ck_assert_int_eq(verify(), 0);
}
END_TEST

/* A deleting version (span_tombstone) hides the id from store_get and the live count, across
 * days and after a reindex; verify agrees; a newer version brings the span back. */
START_TEST(test_deleted)
{
	struct span s[2] = {mk("a", T0), mk("b", T0)};
	append(s, 2);
	struct span t;
	span_init(&t);
	span_tombstone(&t, &s[0]);
	append(&t, 1);
	json_decref(t.raw_attributes);
	ck_assert_ptr_null(get("a"));
	char *b = get("b");
	ck_assert_ptr_nonnull(b);
	free(b);
	struct store_stats ss;
	ck_assert_int_eq(store_stats(&st, "ws1", &ss), ST_OK);
	ck_assert_uint_eq(ss.spans, 1);
	ck_assert_int_eq(verify(), 0);
	struct err e = {ST_OK, ""};
	ck_assert_msg(store_reindex(&st, "ws1", NULL, NULL, NULL, NULL, &e) == ST_OK, "%s",
		      err_text(&e));
	ck_assert_ptr_null(get("a"));
	ck_assert_int_eq(verify(), 0);
	struct span again = mk("a", T0 + DAY);
	append(&again, 1);
	char *a = get("a");
	ck_assert_ptr_nonnull(a);
	free(a);
	ck_assert_int_eq(verify(), 0);
}
END_TEST

START_TEST(test_key_ranges)
{
	/* A trace that crosses two midnights, and a session with it. */
	struct span s[3] = {mk("a", T0), mk("b", T0 + DAY), mk("c", T0 + 2 * DAY)};
	s[2].trace_id = "trace-2";
	append(s, 3);
	int32_t lo, hi, d0 = time_day(T0);
	ck_assert_int_eq(
	    store_key_days(&st, "ws1", 0, STORE_KEY_TRACE, hash_bytes("trace-1", 7), &lo, &hi),
	    ST_OK);
	ck_assert_int_eq(lo, d0);
	ck_assert_int_eq(hi, d0 + 1);
	ck_assert_int_eq(
	    store_key_days(&st, "ws1", 0, STORE_KEY_SESSION, hash_bytes("session-1", 9), &lo, &hi),
	    ST_OK);
	ck_assert_int_eq(hi - lo, 2);
	ck_assert_int_eq(
	    store_key_days(&st, "ws1", 0, STORE_KEY_TRACE, hash_bytes("nope", 4), &lo, &hi),
	    ST_NOT_FOUND);
	/* A rebuild from the data alone gives the same ranges. */
	struct err e = {ST_OK, ""};
	ck_assert_int_eq(store_reindex(&st, "ws1", NULL, NULL, NULL, NULL, &e), ST_OK);
	ck_assert_int_eq(
	    store_key_days(&st, "ws1", 0, STORE_KEY_TRACE, hash_bytes("trace-2", 7), &lo, &hi),
	    ST_OK);
	ck_assert_int_eq(lo, d0 + 2);
	ck_assert_int_eq(hi, d0 + 2);
	ck_assert_int_eq(verify(), 0);
}
END_TEST

START_TEST(test_torn_tail_repaired)
{
	struct span s = mk("a", T0);
	append(&s, 1);
	char d[11], p[PATH_MAX];
	time_day_format(time_day(T0), d);
	off_t data0 = fsize("2023-11-14.jsonl"), idx0 = fsize("2023-11-14.idx");
	/* A crash mid-write: half a line and half a record, no journal. */
	snprintf(p, sizeof(p), "%s/ws1/%s.jsonl", root, d);
	int fd = open(p, O_WRONLY | O_APPEND);
	ck_assert_int_eq(write(fd, "{\"span_id\":\"tor", 15), 15);
	close(fd);
	snprintf(p, sizeof(p), "%s/ws1/%s.idx", root, d);
	fd = open(p, O_WRONLY | O_APPEND);
	ck_assert_int_eq(write(fd, "0123456789", 10), 10);
	close(fd);
	/* Readers trust only committed records. */
	char *a = get("a");
	ck_assert_ptr_nonnull(a);
	free(a);
	struct span b = mk("b", T0 + 7);
	append(&b, 1);
	ck_assert_int_gt(fsize("2023-11-14.jsonl"), data0);
	ck_assert_int_eq(fsize("2023-11-14.idx"), idx0 + (off_t)sizeof(struct idx_rec));
	b.span_id = "b";
	char *bb = get("b");
	ck_assert_ptr_nonnull(bb);
	free(bb);
	ck_assert_int_eq(verify(), 0);
}
END_TEST

START_TEST(test_journal_roll_forward)
{
	struct span s[3] = {mk("a", T0), mk("b", T0), mk("c", T0)};
	append(s, 3);
	struct span v2 = mk("a", T0 + 9);
	v2.name = "v2";
	append(&v2, 1);
	/* Simulate a writer killed after appending the records of a 2-span batch but before its
	 * commit count and id table updates: put the commit count back and leave a journal. */
	char p[PATH_MAX];
	ck_assert_uint_eq(get_u64("2023-11-14.idx", STORE_IDX_COMMITTED_AT), 4);
	put_u64("2023-11-14.idx", STORE_IDX_COMMITTED_AT, 3);
	int fd = open_file("2023-11-14.idx");
	struct idx_rec r;
	ck_assert_int_eq(pread(fd, &r, sizeof(r), STORE_IDX_HDR), sizeof(r));
	r.flags &= (uint16_t)~REC_SUPERSEDED;
	ck_assert_int_eq(pwrite(fd, &r, sizeof(r), STORE_IDX_HDR), sizeof(r));
	close(fd);
	/* ...and the id table still names the first version. */
	ids_point("a", STORE_LOC(time_day(T0), 0));
	snprintf(p, sizeof(p), "%s/ws1/journal", root);
	fd = open(p, O_RDWR | O_TRUNC);
	int32_t j[2] = {time_day(T0), 3};
	ck_assert_int_eq(write(fd, j, sizeof(j)), sizeof(j));
	close(fd);
	/* Verify finishes the batch first, as the next writer would. */
	ck_assert_int_eq(verify(), 0);
	char *a = get("a");
	ck_assert_ptr_nonnull(strstr(a, "\"name\":\"v2\""));
	free(a);
	ck_assert(journal_idle());
}
END_TEST

/* A writer of a three-day batch SIGKILLed (the test hook of lib/store/write.c) after it
 * committed `after` shards, before the id table. */
static void append_killed(struct span *s, size_t n, const char *after)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct err e = {ST_OK, ""};
		setenv("SPANDEX_TEST_KILL_AFTER_SHARDS", after, 1);
		store_append(&st, "ws1", s, n, &e);
		_exit(3); /* not reached: the hook kills */
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "status %d", status);
}

/* Whether each of a, b and c (the batch below) is stored. */
static void expect_abc(bool stored)
{
	static const char *const ids[] = {"a", "b", "c"};
	for (size_t i = 0; i < 3; i++) {
		char *v = get(ids[i]);
		ck_assert_msg((v != NULL) == stored, "%s: %s", ids[i],
			      stored ? "lost from a batch that was whole"
				     : "kept from a batch that did not finish");
		free(v);
	}
}

/* The multi-day batch: spans on three days and a new version of x. */
static void three_days(struct span *b)
{
	b[0] = mk("a", T0);
	b[1] = mk("b", T0 + DAY);
	b[2] = mk("c", T0 + 2 * DAY);
	b[3] = mk("x", T0 + DAY);
	b[3].name = "x-v2";
}

/* Killed after the first of three shards: the next writer undoes the batch. None of it is
 * stored, the version it would have replaced is still the live one, verify is clean. */
START_TEST(test_journal_undoes_partial_batch)
{
	struct span x = mk("x", T0);
	append(&x, 1);
	struct span b[4];
	three_days(b);
	append_killed(b, 4, "1");
	ck_assert(!journal_idle());
	struct span z = mk("z", T0 + DAY);
	append(&z, 1);
	ck_assert(journal_idle());
	expect_abc(false);
	char *xs = get("x");
	ck_assert_ptr_nonnull(xs);
	ck_assert_ptr_nonnull(strstr(xs, "\"name\":\"step\""));
	free(xs);
	struct store_stats ss;
	ck_assert_int_eq(store_stats(&st, "ws1", &ss), ST_OK);
	ck_assert_uint_eq(ss.spans, 2);
	ck_assert_uint_eq(ss.versions, 2);
	ck_assert_int_eq(verify(), 0);
	/* The batch sent again (the client's retry) is stored whole. */
	three_days(b);
	append(b, 4);
	expect_abc(true);
	ck_assert_int_eq(verify(), 0);
}
END_TEST

/* Killed after all three shards, before the batch's commit point (the journal still has it
 * open, so no reader saw any of it): the next writer undoes it. A batch killed after its
 * commit point is finished instead (t/check_crash.c kills one at every call). */
START_TEST(test_journal_undoes_unpublished_batch)
{
	struct span x = mk("x", T0);
	append(&x, 1);
	struct span b[4];
	three_days(b);
	append_killed(b, 4, "3");
	expect_abc(false);
	ck_assert_int_eq(verify(), 0); /* verify settles the journal as a writer would */
	ck_assert(journal_idle());
	expect_abc(false);
	char *xs = get("x");
	ck_assert_ptr_nonnull(strstr(xs, "\"name\":\"step\""));
	free(xs);
}
END_TEST

START_TEST(test_journal_recounts_slots)
{
	/* A writer killed after publishing a slot and before counting it: the replay finds the
	 * slot there, and the count must still come out right. */
	struct span s[3] = {mk("a", T0), mk("b", T0), mk("c", T0)};
	append(s, 3);
	put_u64("ids.tab", STORE_TAB_COUNT_AT, get_u64("ids.tab", STORE_TAB_COUNT_AT) - 1);
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/ws1/journal", root);
	int fd = open(p, O_RDWR | O_TRUNC);
	int32_t j[2] = {time_day(T0), 0};
	ck_assert_int_eq(write(fd, j, sizeof(j)), sizeof(j));
	close(fd);
	ck_assert_int_eq(verify(), 0);
	ck_assert_uint_eq(get_u64("ids.tab", STORE_TAB_COUNT_AT), 3);
}
END_TEST

/* A span outside years 1-9999, which every parser refuses (time_parse), is refused by the
 * store too, before a day file is named for it: the whole batch, nothing written. An
 * update that would move one there too. */
START_TEST(test_append_refuses_out_of_range)
{
	struct span ok = mk("a", T0);
	append(&ok, 1);
	const int64_t bad[] = {TIME_MIN_US - 1, TIME_MAX_US + 1, INT64_MIN / 2, INT64_MAX / 2};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct span s[2] = {mk("b", T0), mk("c", bad[i])};
		struct err e = {ST_OK, ""};
		ck_assert_int_eq(store_append(&st, "ws1", s, 2, &e), ST_INTERNAL);
		ck_assert_ptr_nonnull(strstr(e.msg, "outside years 1-9999"));
		ck_assert_ptr_null(get("b"));
	}
	char cmd[PATH_MAX + 64];
	snprintf(cmd, sizeof(cmd), "test \"$(ls %s/ws1 | grep -c '^[0-9]')\" = 3", root);
	ck_assert_int_eq(system(cmd), 0); /* 2023-11-14's .jsonl, .idx, .tdx alone */
	struct span edge[2] = {mk("min", TIME_MIN_US), mk("max", TIME_MAX_US)};
	edge[1].ended_at = TIME_MAX_US;
	append(edge, 2);
	ck_assert_int_eq(fsize("0001-01-01.jsonl") > 0 && fsize("9999-12-31.jsonl") > 0, 1);
	ck_assert_msg(verify() == 0, "%s", problems_seen);
}
END_TEST

/* A trace and session that cross 1970-01-01: reindex gives the ranges the writers gave. It
 * sorted a key's days as the unsigned high bits of RANGE, so 1969-12-31 came after
 * 2023-11-14 and the range was [2023-11-14, 1969-12-31], which held neither: verify found 4
 * problems and the trace and session were not found. */
START_TEST(test_key_ranges_before_1970)
{
	struct span s[3] = {mk("a", -DAY), mk("b", T0), mk("c", -2 * DAY)};
	s[2].trace_id = "trace-2";
	s[2].session_id = "session-2";
	append(s, 3);
	const struct {
		enum store_key which;
		const char *key;
		int32_t lo, hi;
	} want[] = {{STORE_KEY_TRACE, "trace-1", -1, time_day(T0)},
		    {STORE_KEY_SESSION, "session-1", -1, time_day(T0)},
		    {STORE_KEY_TRACE, "trace-2", -2, -2},
		    {STORE_KEY_SESSION, "session-2", -2, -2}};
	for (int pass = 0; pass < 2; pass++) {
		ck_assert_msg(verify() == 0, "pass %d: %s", pass, problems_seen);
		for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
			int32_t lo, hi;
			uint64_t h = hash_bytes(want[i].key, strlen(want[i].key));
			ck_assert_int_eq(store_key_days(&st, "ws1", 0, want[i].which, h, &lo, &hi),
					 ST_OK);
			ck_assert_msg(lo == want[i].lo && hi == want[i].hi, "pass %d %s: [%d, %d]",
				      pass, want[i].key, lo, hi);
		}
		struct err e = {ST_OK, ""};
		ck_assert_msg(store_reindex(&st, "ws1", NULL, NULL, NULL, NULL, &e) == ST_OK, "%s",
			      err_text(&e));
	}
}
END_TEST

START_TEST(test_reindex_equal)
{
	struct span s[4] = {mk("a", T0), mk("b", T0 + DAY), mk("c", T0), mk("a", T0 + 2 * DAY)};
	append(s, 2);
	append(s + 2, 2);
	char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof(cmd),
		 "mkdir %s/orig && cp %s/ws1/*.idx %s/orig/ && rm %s/ws1/2023-11-15.idx", root,
		 root, root, root);
	ck_assert_int_eq(system(cmd), 0);
	struct err e = {ST_OK, ""};
	ck_assert_msg(store_reindex(&st, "ws1", NULL, NULL, NULL, NULL, &e) == ST_OK, "%s",
		      err_text(&e));
	snprintf(cmd, sizeof(cmd),
		 "for f in %s/orig/*.idx; do g=%s/ws1/$(basename $f); cmp -n 48 $f $g && "
		 "cmp -i 64 $f $g || exit 1; done",
		 root, root);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(verify(), 0);
	char *a = get("a");
	ck_assert_ptr_nonnull(strstr(a, "2023-11-16"));
	free(a);
}
END_TEST

START_TEST(test_verify_finds_damage)
{
	struct span s[2] = {mk("a", T0), mk("b", T0)};
	append(s, 2);
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/ws1/2023-11-14.jsonl", root);
	int fd = open(p, O_RDWR);
	/* Change the model of the first line without touching its index record. */
	char line[4096];
	ssize_t n = pread(fd, line, sizeof(line) - 1, 0);
	ck_assert_int_gt(n, 0);
	line[n] = 0;
	char *m = strstr(line, "gpt-x");
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(pwrite(fd, "gpt-y", 5, m - line), 5);
	close(fd);
	ck_assert_int_ge(verify(), 1);
}
END_TEST

/* Each field a record takes from its line, changed in the line alone (same length): verify
 * names the field. And damage that leaves no span (a control byte or a byte that is not UTF-8
 * in a string, a broken number) is said as such. These lines go through the fast reading
 * (lib/store/record.c), or span_parse where it leaves them (the whitespace below). */
START_TEST(test_verify_names_each_field)
{
	struct span s = mk("a", T0);
	s.evaluation_context = json_pack("{s:s}", "dataset_id", "d1");
	s.raw_attributes = json_pack("{s:b}", SPAN_DELETED, 0);
	append(&s, 1);
	span_clear(&s);
	static const struct {
		const char *from, *to, *says;
	} cases[] = {
	    {"\"span_id\":\"a\"", "\"span_id\":\"c\"", "span_h differs"},
	    {"\"trace-1\"", "\"trace-2\"", "trace_h differs"},
	    {"\"session-1\"", "\"session-2\"", "session_h differs"},
	    {"\"source\":\"test\"", "\"source\":\"tesu\"", "source_h differs"},
	    {"T22:13:20Z", "T22:13:21Z", "started_us differs"},
	    {"20.001500Z", "20.001501Z", "ended_us differs"},
	    {"\"input_tokens\":10", "\"input_tokens\":11", "in_tok differs"},
	    {"\"output_tokens\":5", "\"output_tokens\":6", "out_tok differs"},
	    {"\"cost_total_usd\":0.25", "\"cost_total_usd\":0.26", "costs differs"},
	    {"gpt-x", "gpt-y", "sig differs"},
	    {"\"d1\"", "\"d2\"", "sig differs"},
	    {"\":false}", "\":true }", "flags differs"},
	    {"\"kind\":\"LLM\"", "\"kind\":\"LLX\"", "not a canonical span"},
	    {"hello", "he\001lo", "not a canonical span"},
	    {"hello", "he\377lo", "not a canonical span"},
	    {"\"input_tokens\":10", "\"input_tokens\":1.", "not a canonical span"},
	};
	char p[PATH_MAX], orig[8192], line[8192];
	snprintf(p, sizeof(p), "%s/ws1/2023-11-14.jsonl", root);
	int fd = open(p, O_RDWR);
	ssize_t n = pread(fd, orig, sizeof(orig) - 1, 0);
	ck_assert_int_gt(n, 0);
	orig[n] = 0;
	ck_assert_int_eq(verify(), 0);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		memcpy(line, orig, (size_t)n + 1);
		char *at = strstr(line, cases[i].from);
		ck_assert_msg(at != NULL, "%s", cases[i].from);
		ck_assert_uint_eq(strlen(cases[i].from), strlen(cases[i].to));
		memcpy(at, cases[i].to, strlen(cases[i].to));
		ck_assert_int_eq(pwrite(fd, line, (size_t)n, 0), n);
		ck_assert_int_ge(verify(), 1);
		ck_assert_msg(strstr(problems_seen, cases[i].says), "%s: %s", cases[i].to,
			      problems_seen);
	}
	ck_assert_int_eq(pwrite(fd, orig, (size_t)n, 0), n);
	close(fd);
	ck_assert_int_eq(verify(), 0);
}
END_TEST

/* ---- reading a record off its line (reindex, verify) ---- */

/* The spans whose lines the fast reading is checked on: every member the record takes,
 * escapes, non-ASCII text, attributes (deleted or not), an evaluation context, no trace. */
static size_t line_spans(struct span *s)
{
	size_t n = 0;
	s[n++] = mk("a", T0);
	s[n] = mk("b\"\\/\t\u00e9\u4e2d\U0001F600", T0 + 7);
	s[n].trace_id = "t\u00e9";
	s[n].parent_span_id = "a";
	s[n].session_id = "t\u00e9"; /* the trace's default session */
	s[n].str[SS_PROVIDER] = "openai";
	s[n].str[SS_PROMPT_NAME] = "p\n1";
	s[n].str[SS_ERROR_TYPE] = "E";
	s[n].cached_tokens = 0;
	s[n].total_tokens = 4000000000ll;
	s[n].cost_input_usd = 1e-7;
	s[n].cost_output_usd = 3;
	s[n].input = "\x01\x1f caf\u00e9 \\ \"q\" \u2028";
	s[n].usage_details = json_pack("{s:i,s:f}", "a", 1, "b", 0.5);
	s[n].cost_details = json_pack("{s:f,s:[i,s,n,b]}", "x", 1.5e30, "y", -3, "z", 1);
	s[n].evaluation_context =
	    json_pack("{s:s,s:s,s:i,s:{s:s}}", "evaluation_id", "ev\"1", "dataset_name", "d\u00e9",
		      "test_case_id", 7, "more", "k", "v");
	s[n++].raw_attributes =
	    json_pack("{s:s,s:{s:[i,f]},s:b}", "k\u00e9y", "v\"w", "o", "p", 1, 2.5, "flag", 0);
	s[n] = mk("c", T0 + 9);
	s[n].trace_id = NULL;
	s[n].kind = KIND_TOOL;
	s[n].status = SPST_ERROR;
	s[n].ended_at = SPAN_NONE_I64;
	s[n].input_tokens = s[n].output_tokens = SPAN_NONE_I64;
	s[n++].cost_total_usd = NAN;
	s[n] = mk("d", T0 + 11);
	span_tombstone(&s[n], &s[0]);
	s[n++].span_id = "d";
	for (size_t i = 0; i < n; i++)
		s[i].ingested_at = T0 + 100 + (int64_t)i;
	return n;
}

/* Whether line[0..len) reads the same both ways: the fast reading either leaves the line to
 * span_parse or gives the record rec_from_span gives. Counts the lines span_parse reads into
 * *parsed; true when the fast reading took the line. */
static bool same_reading(const char *line, size_t len, struct buf *scratch, size_t *parsed)
{
	struct idx_rec fast, slow;
	struct span s;
	json_t *root;
	memset(&fast, 0, sizeof fast);
	bool took = rec_line_fast(line, len, scratch, &fast);
	char *copy = strndup(line, len);
	bool ok = span_parse(line, len, &s, &root);
	ck_assert_msg(ok || !took, "the fast reading took what span_parse refuses: %s", copy);
	if (ok) {
		rec_from_span(&s, &slow);
		ck_assert_msg(!took || !memcmp(&fast, &slow, sizeof fast), "the records differ: %s",
			      copy);
		span_clear(&s);
		json_decref(root);
		++*parsed;
	}
	free(copy);
	return took;
}

/* Every canonical line is read fast, and every damage (each byte replaced by, or preceded by,
 * each byte of a list; each byte removed; JSON fragments inserted) is either left to
 * span_parse or read exactly as span_parse reads it. Checked to fail before rec_line_fast
 * checked surrogate escapes (a lone \ud800 it took, jansson refuses). */
START_TEST(test_line_record_fast_exact)
{
	static const char bytes[] = "\"\\{}[],:09-.e+Eutnf /\n\x01\x7f\x80\xbf\xc3\xc0\xe2\xed\xf0"
				    "\xf4\xf5\xff"
				    "aZ";
	static const char *const frags[] = {"\\u0000",
					    "\\ud800",
					    "\\udc00",
					    "\\ud83d\\ude00",
					    "\\u0041",
					    "\\u00e9",
					    "\\\"",
					    "\"",
					    "1e999",
					    "1e99",
					    "-0",
					    "01",
					    "12345678901234567890",
					    "1.5e-400",
					    "\xc0\x80",
					    "\xed\xa0\x80",
					    "\xf4\x90\x80\x80",
					    "\xe2\x82",
					    ",\"x\":1",
					    ",\"span_id\":\"z\"",
					    "true",
					    "{}",
					    "[]",
					    "{\"a\":1,\"a\":2}",
					    "\\\"spandex.deleted\\\":true,"};
	struct span sp[8];
	size_t n = line_spans(sp), fast = 0, parsed = 0;
	struct buf line, m, scratch;
	buf_init(&line);
	buf_init(&m);
	buf_init(&scratch);
	for (size_t k = 0; k < n; k++) {
		line.len = 0;
		span_render(&sp[k], &line);
		ck_assert_msg(same_reading(line.p, line.len, &scratch, &parsed),
			      "not read fast: %s", line.p);
		for (size_t i = 0; i < line.len; i++) {
			for (size_t b = 0; b < sizeof bytes - 1; b++) {
				for (int ins = 0; ins < 2; ins++) {
					m.len = 0;
					buf_add(&m, line.p, i);
					buf_addc(&m, bytes[b]);
					buf_add(&m, line.p + i + !ins, line.len - i - !ins);
					fast += same_reading(m.p, m.len, &scratch, &parsed);
				}
			}
			for (size_t f = 0; f < sizeof frags / sizeof *frags; f++) {
				m.len = 0;
				buf_add(&m, line.p, i);
				buf_adds(&m, frags[f]);
				buf_add(&m, line.p + i, line.len - i);
				fast += same_reading(m.p, m.len, &scratch, &parsed);
			}
			m.len = 0;
			buf_add(&m, line.p, i);
			buf_add(&m, line.p + i + 1, line.len - i - 1);
			fast += same_reading(m.p, m.len, &scratch, &parsed);
		}
	}
	/* Of the damaged lines that are still spans, the fast reading takes those whose members
	 * it knows (a member renamed by the damage is left to span_parse: about 6 in 10 here, as
	 * these lines are mostly keys; 3 in 100 on a line of bench/gen). */
	ck_assert_uint_gt(fast, parsed / 4);
	for (size_t k = 0; k < n; k++)
		span_clear(&sp[k]);
	buf_free(&line);
	buf_free(&m);
	buf_free(&scratch);
}
END_TEST

START_TEST(test_id_table_grows)
{
	/* Past the smallest table's load limit: the table is rebuilt bigger mid-way. */
	enum { N = 12000, BATCH = 1000 };
	for (int b = 0; b < N / BATCH; b++) {
		struct span s[BATCH];
		for (int i = 0; i < BATCH; i++) {
			char id[32];
			snprintf(id, sizeof(id), "span-%d", b * BATCH + i);
			s[i] = mk(id, T0 + (int64_t)(i % 3) * DAY);
		}
		append(s, BATCH);
		arena_reset(A);
	}
	for (int i = 0; i < N; i += 397) {
		char id[32];
		snprintf(id, sizeof(id), "span-%d", i);
		char *x = get(id);
		ck_assert_msg(x != NULL, "missing %s", id);
		free(x);
	}
	/* Every span has the one trace: traces.tab stays as small as a table is made. */
	ck_assert_int_gt(fsize("ids.tab"), fsize("traces.tab"));
	ck_assert_int_eq(verify(), 0);
}
END_TEST

START_TEST(test_missing_index_refuses_write)
{
	struct span s = mk("a", T0);
	append(&s, 1);
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/ws1/2023-11-14.idx", root);
	ck_assert_int_eq(unlink(p), 0);
	off_t before = fsize("2023-11-14.jsonl");
	struct span b = mk("b", T0);
	struct err e = {ST_OK, ""};
	ck_assert_int_eq(store_append(&st, "ws1", &b, 1, &e), ST_UNAVAILABLE);
	/* The data without its index is kept for reindex, never truncated. */
	ck_assert_int_eq(fsize("2023-11-14.jsonl"), before);
	ck_assert_int_ge(verify(), 1);
	ck_assert_msg(store_reindex(&st, "ws1", NULL, NULL, NULL, NULL, &e) == ST_OK, "%s",
		      err_text(&e));
	append(&b, 1);
	ck_assert_int_eq(verify(), 0);
}
END_TEST

/* ---- store_update ---- */

/* The merge the tests use: bumps the counter "n" kept in raw_attributes (1 for a new span,
 * which starts at start), and notes what it saw. */
struct bump {
	int calls, saw_null;
	char seen[64];	  /* the name of the last current version it saw */
	const char *name; /* for the new version, when set */
	int64_t start;
	bool no_change;
};

static enum status bump(void *ctx, struct arena *a, const char *id, const struct span *cur,
			struct span *out, struct err *e)
{
	struct bump *b = ctx;
	(void)a;
	(void)e;
	b->calls++;
	b->saw_null += !cur;
	if (cur)
		snprintf(b->seen, sizeof(b->seen), "%s", cur->name ? cur->name : "");
	if (b->no_change)
		return ST_OK;
	json_int_t n = 0;
	if (cur) {
		*out = *cur; /* borrows its strings; its objects need their own references */
		json_incref(out->evaluation_context);
		json_incref(out->usage_details);
		json_incref(out->cost_details);
		n = json_integer_value(json_object_get(cur->raw_attributes, "n"));
	} else {
		*out = mk(id, b->start);
	}
	out->raw_attributes = json_pack("{s:I}", "n", n + 1);
	if (b->name)
		out->name = b->name;
	return ST_OK;
}

static void update(const char *const *ids, size_t n, struct bump *b)
{
	struct err e = {ST_OK, ""};
	ck_assert_msg(store_update(&st, "ws1", A, ids, n, bump, b, &e) == ST_OK, "update: %s",
		      err_text(&e));
}

/* The counter of span id as stored (-1 when it has none). */
static long counter(const char *id)
{
	char *line = get(id);
	ck_assert_ptr_nonnull(line);
	struct span s;
	json_t *root;
	ck_assert(span_parse(line, strlen(line), &s, &root));
	json_t *v = s.raw_attributes ? json_object_get(s.raw_attributes, "n") : NULL;
	long n = json_is_integer(v) ? (long)json_integer_value(v) : -1;
	span_clear(&s);
	json_decref(root);
	free(line);
	return n;
}

START_TEST(test_update_missing)
{
	const char *ids[] = {"new"};
	struct bump b = {.start = T0};
	update(ids, 1, &b);
	ck_assert_int_eq(b.calls, 1);
	ck_assert_int_eq(b.saw_null, 1);
	ck_assert_int_eq(counter("new"), 1);
	ck_assert_int_eq(verify(), 0);
}
END_TEST

START_TEST(test_update_existing)
{
	struct span v1 = mk("a", T0), v2 = mk("a", T0 + DAY);
	v1.name = "first";
	v2.name = "second";
	append(&v1, 1);
	append(&v2, 1);
	const char *ids[] = {"a"};
	struct bump b = {.name = "third"};
	update(ids, 1, &b);
	ck_assert_int_eq(b.saw_null, 0);
	ck_assert_str_eq(b.seen, "second"); /* the newest version, not the first */
	char *x = get("a");
	ck_assert_ptr_nonnull(strstr(x, "\"name\":\"third\""));
	free(x);
	ck_assert_int_eq(counter("a"), 1);
	/* The merged version keeps v2's start, so it lands in v2's day, after it. */
	struct shard sh;
	ck_assert_int_eq(shard_open(&st, "ws1", time_day(T0 + DAY), &sh), ST_OK);
	ck_assert_uint_eq(sh.nrecs, 2);
	ck_assert(sh.recs[0].flags & REC_SUPERSEDED);
	ck_assert(!(sh.recs[1].flags & REC_SUPERSEDED));
	shard_close(&sh);
	ck_assert_int_eq(verify(), 0);
}
END_TEST

START_TEST(test_update_no_change)
{
	struct span s = mk("a", T0);
	append(&s, 1);
	char *before = get("a");
	off_t data = fsize("2023-11-14.jsonl"), idx = fsize("2023-11-14.idx");
	const char *ids[] = {"a", "missing"};
	struct bump b = {.no_change = true};
	update(ids, 2, &b);
	ck_assert_int_eq(b.calls, 2);
	ck_assert_int_eq(b.saw_null, 1);
	ck_assert_int_eq(fsize("2023-11-14.jsonl"), data);
	ck_assert_int_eq(fsize("2023-11-14.idx"), idx);
	ck_assert_ptr_null(get("missing"));
	char *after = get("a");
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	ck_assert_int_eq(verify(), 0);
}
END_TEST

START_TEST(test_update_several)
{
	struct span s[2] = {mk("a", T0), mk("b", T0 + DAY)};
	append(s, 2);
	/* Two days, a new span, and an id named twice: the second merge sees the first's
	 * version, and only the last version is written. */
	const char *ids[] = {"a", "b", "c", "a"};
	struct bump b = {.start = T0 + 5};
	update(ids, 4, &b);
	ck_assert_int_eq(b.calls, 4);
	ck_assert_int_eq(b.saw_null, 1);
	ck_assert_int_eq(counter("a"), 2);
	ck_assert_int_eq(counter("b"), 1);
	ck_assert_int_eq(counter("c"), 1);
	struct shard sh;
	ck_assert_int_eq(shard_open(&st, "ws1", time_day(T0), &sh), ST_OK);
	ck_assert_uint_eq(sh.nrecs, 3); /* a, then c and the new a of one batch */
	ck_assert(sh.recs[0].flags & REC_SUPERSEDED);
	shard_close(&sh);
	ck_assert_int_eq(shard_open(&st, "ws1", time_day(T0 + DAY), &sh), ST_OK);
	ck_assert_uint_eq(sh.nrecs, 2);
	ck_assert(sh.recs[0].flags & REC_SUPERSEDED);
	shard_close(&sh);
	ck_assert_int_eq(verify(), 0);
}
END_TEST

enum { ROUNDS = 100 };

/* ROUNDS read-merge-writes of span "x"; the exit status says whether all went through. */
static void bump_rounds(void)
{
	const char *ids[] = {"x"};
	for (int i = 0; i < ROUNDS; i++) {
		struct bump b = {.start = T0};
		struct err e = {ST_OK, ""};
		arena_reset(A);
		if (store_update(&st, "ws1", A, ids, 1, bump, &b, &e) != ST_OK) {
			fprintf(stderr, "update: %s\n", err_text(&e));
			_exit(1);
		}
	}
	_exit(0);
}

START_TEST(test_update_concurrent)
{
	/* Two processes bump the same counter: were the read and the write not under one lock,
	 * some increments would be lost. */
	pid_t p[2];
	for (int k = 0; k < 2; k++) {
		p[k] = fork();
		ck_assert_int_ge(p[k], 0);
		if (p[k] == 0)
			bump_rounds();
	}
	for (int k = 0; k < 2; k++) {
		int status;
		ck_assert_int_eq(waitpid(p[k], &status, 0), p[k]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_int_eq(counter("x"), 2 * ROUNDS);
	ck_assert_int_eq(verify(), 0);
}
END_TEST

/* A shard opened again reuses its index mapping (lib/store/mapcache.c): the same records at the
 * same address, new ones included, until the file outgrows the mapping's slack. */
/* A query's shard maps its lines when it first reads one. By then a seal may have replaced
 * them (the sealed file holds the same bytes), or retention removed the day (the line is not
 * there: an error, never other bytes). */
START_TEST(test_lines_read_late)
{
	struct span s[3] = {mk("a", T0), mk("b", T0 + 1), mk("c", T0 + 2)};
	append(s, 3);
	char *want = get("b");
	ck_assert_ptr_nonnull(want);
	struct shard sh, gone;
	ck_assert_int_eq(shard_open(&st, "ws1", time_day(T0), &sh), ST_OK);
	ck_assert_int_eq(shard_open(&st, "ws1", time_day(T0), &gone), ST_OK);
	ck_assert(sh.d.lazy && sh.d.fd < 0 && !sh.d.map && !sh.d.z);
	uint64_t in, out;
	struct err e = {ST_OK, ""};
	ck_assert_int_eq(store_seal(&st, "ws1", time_day(T0), &in, &out, &e), ST_OK);
	ck_assert_int_eq(fsize("2023-11-14.jsonl"), -1);
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(shard_line(&sh, 1, &b), ST_OK);
	ck_assert_str_eq(b.p, want);
	ck_assert_ptr_nonnull(sh.d.z);
	shard_close(&sh);
	char p[PATH_MAX];
	static const char *const files[] = {"2023-11-14.idx", "2023-11-14.jsonl.zst"};
	for (size_t k = 0; k < 2; k++) {
		snprintf(p, sizeof p, "%s/ws1/%s", root, files[k]);
		ck_assert_int_eq(unlink(p), 0);
	}
	b.len = 0;
	ck_assert_int_eq(shard_line(&gone, 1, &b), ST_UNAVAILABLE);
	const char *line;
	size_t n;
	ck_assert(!shard_view(&gone, 0, &line, &n));
	shard_close(&gone);
	buf_free(&b);
	free(want);
}
END_TEST

START_TEST(test_mapping_kept)
{
	struct span s[2] = {mk("a", T0), mk("b", T0 + 1)};
	append(s, 2);
	struct shard a, b;
	ck_assert_int_eq(shard_open(&st, "ws1", time_day(T0), &a), ST_OK);
	const void *first = a.map;
	shard_close(&a);
	ck_assert_int_eq(shard_open(&st, "ws1", time_day(T0), &a), ST_OK);
	ck_assert_ptr_eq(a.map, first);
	/* One more span: the mapping is the same, and holds its record. */
	struct span c = mk("c", T0 + 2);
	append(&c, 1);
	ck_assert_int_eq(shard_open(&st, "ws1", time_day(T0), &b), ST_OK);
	ck_assert_ptr_eq(b.map, first);
	ck_assert_uint_eq(b.nrecs, 3);
	ck_assert_uint_eq(b.recs[2].started_us, T0 + 2);
	shard_close(&b);
	/* Past 1 MiB of records (8,192): mapped again, while the old one is still held. */
	enum { N = 9000 };
	struct span *many = calloc(N, sizeof *many);
	for (int i = 0; i < N; i++) {
		char id[16];
		snprintf(id, sizeof id, "m%05d", i);
		many[i] = mk(id, T0 + 10 + i);
	}
	append(many, N);
	free(many);
	ck_assert_int_eq(shard_open(&st, "ws1", time_day(T0), &b), ST_OK);
	ck_assert_ptr_ne(b.map, first);
	ck_assert_uint_eq(b.nrecs, N + 3);
	ck_assert_uint_eq(b.recs[N + 2].started_us, T0 + 10 + N - 1);
	ck_assert_uint_eq(a.recs[2].started_us, T0 + 2);
	shard_close(&a);
	shard_close(&b);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_workspace_names);
	tcase_add_test(tc, test_empty_workspace);
	tcase_add_test(tc, test_mapping_kept);
	tcase_add_test(tc, test_lines_read_late);
	tcase_add_test(tc, test_append_get);
	tcase_add_test(tc, test_versions);
	tcase_add_test(tc, test_deleted);
	tcase_add_test(tc, test_key_ranges);
	tcase_add_test(tc, test_torn_tail_repaired);
	tcase_add_test(tc, test_journal_roll_forward);
	tcase_add_test(tc, test_journal_recounts_slots);
	tcase_add_test(tc, test_journal_undoes_partial_batch);
	tcase_add_test(tc, test_journal_undoes_unpublished_batch);
	tcase_add_test(tc, test_append_refuses_out_of_range);
	tcase_add_test(tc, test_key_ranges_before_1970);
	tcase_add_test(tc, test_reindex_equal);
	tcase_add_test(tc, test_verify_finds_damage);
	tcase_add_test(tc, test_verify_names_each_field);
	tcase_add_test(tc, test_line_record_fast_exact);
	tcase_add_test(tc, test_id_table_grows);
	tcase_add_test(tc, test_missing_index_refuses_write);
	tcase_add_test(tc, test_update_missing);
	tcase_add_test(tc, test_update_existing);
	tcase_add_test(tc, test_update_no_change);
	tcase_add_test(tc, test_update_several);
	tcase_add_test(tc, test_update_concurrent);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, check_store_ops_tcase());
	return s;
}
