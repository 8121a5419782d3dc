/* check_store: the storage engine's writes and reads: append, get, versions and deletes, the
 * trace and session day ranges, workspace names, the id table growing, and the shards' mapped
 * indexes and lines (seal, backup and retention: t/check_store_ops.c). A writer's crash is
 * t/check_store_recovery.c, reindex and verify t/check_store_verify.c, store_update
 * t/check_store_update.c. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/store/store.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/model/workspace.h"
#include "t/storecase.h"

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

/* A batch sent again with some of its spans twice in it (writeset_olds: only a span's second
 * copy looks again at the entries the batch found before it): 300 stored spans, then all of them
 * again, every sixth twice with its later copy renamed; each later copy wins, each span is counted
 * once, and verify agrees. */
START_TEST(test_sent_again_twice)
{
	enum { N = 300 };
	static char ids[N][8];
	struct span s[N], again[N + N / 6];
	size_t n = 0;
	for (size_t i = 0; i < N; i++) {
		snprintf(ids[i], sizeof ids[i], "t%zu", i);
		s[i] = mk(ids[i], T0 + (int64_t)i);
		again[n++] = s[i];
		if (i % 6 == 0) {
			again[n] = mk(ids[i], T0 + (int64_t)i);
			again[n++].name = "later";
		}
	}
	append(s, N);
	append(again, n);
	for (size_t i = 0; i < N; i++) {
		char *g = get(ids[i]);
		ck_assert_ptr_nonnull(g);
		ck_assert_int_eq(strstr(g, "\"name\":\"later\"") != NULL, i % 6 == 0);
		free(g);
	}
	struct store_stats ss;
	ck_assert_int_eq(store_stats(&st, "ws1", &ss), ST_OK);
	ck_assert_uint_eq(ss.spans, N);
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

/* A shard opened again reuses its index mapping (lib/store/mapcache.c): the same records at the
 * same address, new ones included, until the file outgrows the mapping's slack. */

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
	tcase_add_test(tc, test_workspace_names);
	tcase_add_test(tc, test_mapping_kept);
	tcase_add_test(tc, test_lines_read_late);
	tcase_add_test(tc, test_append_get);
	tcase_add_test(tc, test_versions);
	tcase_add_test(tc, test_sent_again_twice);
	tcase_add_test(tc, test_deleted);
	tcase_add_test(tc, test_key_ranges);
	tcase_add_test(tc, test_append_refuses_out_of_range);
	tcase_add_test(tc, test_key_ranges_before_1970);
	tcase_add_test(tc, test_id_table_grows);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, check_store_ops_tcase());
	return s;
}
