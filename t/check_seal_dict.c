/* check_seal_dict: a day sealed with a dictionary (`spandex seal --dictionary`, sealed file
 * version 2; docs/FORMAT.md, "Sealed shards"): every span served as before the seal and smaller
 * than without one, a re-seal for late spans keeps the dictionary and the frames before them, a
 * day too small for one is sealed as before (version 1), and a damaged byte of the dictionary
 * loses the day's sealed lines with verify naming the file and the dictionary, never a crash,
 * until reindex mends the day. */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/time.h"
#include "t/storecase.h"

/* The magic of a sealed file's dictionary frame, its first (docs/FORMAT.md, "Sealed shards");
 * a day of at least 1 MiB gets one (SEAL_DICT_MIN_DAY). */
#define DICT_FRAME 0x184D2A5Du

/* Spans of a day: each input one of PROMPTS prompts of about 3 KB (as agents repeat their
 * system prompts), then letters of its own, so that the day passes 1 MiB and its
 * frames share what a dictionary learns, beyond what one 64 KiB frame sees of itself. */
enum { NSPANS = 400, PROMPTS = 8 };

static void add_letters(char *p, size_t *n, size_t upto, unsigned x)
{
	while (*n < upto) {
		x = x * 1103515245u + 12345u;
		p[(*n)++] = (char)('a' + (x >> 16) % 26);
	}
	p[*n] = 0;
}

static const char *words(int i)
{
	char *p = arena_alloc(A, 3500);
	size_t n = 0;
	add_letters(p, &n, 3072, (unsigned)(i % PROMPTS) + 7);
	add_letters(p, &n, 3300, (unsigned)i * 2654435761u + 1);
	return p;
}

static void fill(int from, int to, int64_t at)
{
	for (int i = from; i < to; i++) {
		char id[16];
		snprintf(id, sizeof id, "d%04d", i);
		struct span s = mk(arena_strdup(A, id), at + i);
		s.input = words(i);
		append(&s, 1);
	}
}

static uint64_t seal(bool dict)
{
	uint64_t in, out;
	struct err e = {ST_OK, ""};
	st.seal_dict = dict;
	ck_assert_msg(store_seal(&st, "ws1", time_day(T0), &in, &out, &e) == ST_OK, "%s",
		      err_text(&e));
	return out;
}

static uint32_t u32_at(const char *name, off_t at)
{
	uint64_t v = get_u64(name, at);
	return (uint32_t)v;
}

#define ZST "2023-11-14.jsonl.zst"

/* The lines before the seal, then each served the same after it. */
static char **lines_now(int n)
{
	char **l = calloc((size_t)n, sizeof *l);
	for (int i = 0; i < n; i++) {
		char id[16];
		snprintf(id, sizeof id, "d%04d", i);
		l[i] = get(id);
		ck_assert_ptr_nonnull(l[i]);
	}
	return l;
}

static void same_lines(char **l, int n)
{
	for (int i = 0; i < n; i++) {
		char id[16];
		snprintf(id, sizeof id, "d%04d", i);
		char *g = get(id);
		ck_assert_msg(g && !strcmp(g, l[i]), "%s is not served as before the seal", id);
		free(g);
	}
}

static void free_lines(char **l, int n)
{
	for (int i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

START_TEST(test_dict_sealed)
{
	fill(0, NSPANS, T0);
	char **l = lines_now(NSPANS);
	/* A copy of the open store, sealed without a dictionary below, for the sizes. */
	char cmd[600];
	snprintf(cmd, sizeof cmd, "cp -a '%s' '%s.plain'", root, root);
	ck_assert_int_eq(system(cmd), 0);
	uint64_t with = seal(true);
	ck_assert_uint_eq(u32_at(ZST, 0), DICT_FRAME);
	same_lines(l, NSPANS);
	ck_assert_int_eq(verify(), 0);
	/* The same day sealed without one: larger, and version 1 (no dictionary frame). */
	char saved[256];
	memcpy(saved, root, sizeof saved);
	snprintf(root, sizeof root, "%.200s.plain", saved);
	st.root = root;
	uint64_t without = seal(false);
	ck_assert_uint_ne(u32_at(ZST, 0), DICT_FRAME);
	ck_assert_msg(with < without, "with a dictionary %llu bytes, without %llu",
		      (unsigned long long)with, (unsigned long long)without);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
	memcpy(root, saved, sizeof root);
	st.root = root;
	/* Late spans, then a re-seal (the store no longer asking for a dictionary): the sealed
	 * file keeps its dictionary, byte for byte, so the frames of the lines it held come out
	 * the same. */
	off_t before = fsize(ZST);
	int fd = open_file(ZST);
	char *old = malloc((size_t)before);
	ck_assert_int_eq(pread(fd, old, (size_t)before, 0), before);
	close(fd);
	uint64_t dbytes = 8 + (uint64_t)u32_at(ZST, 4), zbytes = get_u64(ZST, before - 8);
	fill(NSPANS, NSPANS + 20, T0);
	seal(false);
	char **all = lines_now(NSPANS + 20);
	ck_assert_uint_eq(u32_at(ZST, 0), DICT_FRAME);
	fd = open_file(ZST);
	char *now = malloc((size_t)before);
	ck_assert_int_eq(pread(fd, now, (size_t)before, 0), before);
	close(fd);
	ck_assert(dbytes < zbytes);
	ck_assert_int_eq(memcmp(old, now, (size_t)dbytes), 0);
	same_lines(l, NSPANS);
	ck_assert_int_eq(verify(), 0);
	free(old);
	free(now);
	free_lines(all, NSPANS + 20);
	free_lines(l, NSPANS);
}
END_TEST

/* A day under SEAL_DICT_MIN_DAY gets no dictionary: its file is as before (version 1). */
START_TEST(test_small_day)
{
	struct span s[3] = {mk("a", T0), mk("b", T0 + 1), mk("c", T0 + 2)};
	append(s, 3);
	seal(true);
	ck_assert_uint_ne(u32_at(ZST, 0), DICT_FRAME);
	char *g = get("b");
	ck_assert_ptr_nonnull(g);
	free(g);
	ck_assert_int_eq(verify(), 0);
}
END_TEST

/* A damaged byte in the dictionary frame (its magic, its size, its header, its middle, its last
 * byte): no read crashes,
 * the day's sealed spans are not served (a wrong line never is), verify names the file and its
 * dictionary, and reindex leaves verify clean. */
START_TEST(test_dict_damaged)
{
	fill(0, NSPANS, T0);
	struct span other = mk("other", T0 + DAY);
	append(&other, 1);
	seal(true);
	uint64_t dbytes = 8 + (uint64_t)u32_at(ZST, 4);
	const off_t at[] = {0, 5, 12, 20, (off_t)dbytes / 2, (off_t)dbytes - 1};
	char cmd[600], saved[256];
	memcpy(saved, root, sizeof saved);
	for (size_t k = 0; k < sizeof at / sizeof *at; k++) {
		snprintf(root, sizeof root, "%.200s.%zu", saved, k);
		snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", saved, root);
		ck_assert_int_eq(system(cmd), 0);
		st.root = root;
		int fd = open_file(ZST);
		char c;
		ck_assert_int_eq(pread(fd, &c, 1, at[k]), 1);
		c ^= 0x20;
		ck_assert_int_eq(pwrite(fd, &c, 1, at[k]), 1);
		close(fd);
		ck_assert_ptr_null(get("d0001"));
		char *g = get("other");
		ck_assert_ptr_nonnull(g);
		free(g);
		ck_assert_int_gt(verify(), 0);
		ck_assert_msg(strstr(problems_seen, ZST) && strstr(problems_seen, "dictionary"),
			      "byte %lld: verify said: %.300s", (long long)at[k], problems_seen);
		struct err e = {ST_OK, ""};
		ck_assert_msg(store_reindex(&st, "ws1", NULL, NULL, NULL, NULL, &e) == ST_OK, "%s",
			      err_text(&e));
		ck_assert_int_eq(verify(), 0);
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
		ck_assert_int_eq(system(cmd), 0);
	}
	memcpy(root, saved, sizeof root);
	st.root = root;
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("seal_dict");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dict_sealed);
	tcase_add_test(tc, test_small_day);
	tcase_add_test(tc, test_dict_damaged);
	suite_add_tcase(s, tc);
	return s;
}
