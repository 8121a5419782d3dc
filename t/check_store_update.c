/* check_store_update: store_update, the read-merge-write of spans by id: a missing span, the
 * newest version merged, a merge that changes nothing, several ids in one batch, and two
 * processes bumping one counter under its lock. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/store/store.h"
#include "lib/base/arena.h"
#include "lib/base/time.h"
#include "t/storecase.h"

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

Suite *check_suite(void)
{
	Suite *s = suite_create("store_update");
	TCase *tc = tcase_create("update");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_update_missing);
	tcase_add_test(tc, test_update_existing);
	tcase_add_test(tc, test_update_no_change);
	tcase_add_test(tc, test_update_several);
	tcase_add_test(tc, test_update_concurrent);
	suite_add_tcase(s, tc);
	return s;
}
