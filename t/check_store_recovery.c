/* check_store_recovery: a writer cut short and what the next one (or verify) makes of it: a
 * torn tail, a batch the journal still names (rolled forward, or undone when a writer was
 * SIGKILLed before its commit point, by the test hook of lib/store/write.c), a slot published
 * but not counted, and an index gone, which refuses writes until reindex. */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/store/store.h"
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "t/storecase.h"

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

Suite *check_suite(void)
{
	Suite *s = suite_create("store_recovery");
	TCase *tc = tcase_create("recovery");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_torn_tail_repaired);
	tcase_add_test(tc, test_journal_roll_forward);
	tcase_add_test(tc, test_journal_recounts_slots);
	tcase_add_test(tc, test_journal_undoes_partial_batch);
	tcase_add_test(tc, test_journal_undoes_unpublished_batch);
	tcase_add_test(tc, test_missing_index_refuses_write);
	suite_add_tcase(s, tc);
	return s;
}
