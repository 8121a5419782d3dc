/* check_seal_frames: the frames of sealed files a process keeps decompressed from one query to
 * the next (lib/store/frames.h). A line read again costs no decompression; a sealed file
 * replaced since (renamed over, as a re-seal, an erasure pass or a reindex writes it) or written
 * over in place (damage) is never answered from the frames of the file before; an erased span
 * is never served, its frame kept or not. */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/time.h"
#include "lib/store/ops.h"
#include "t/storecase.h"

/* Spans of one day, each with an input of its own letters: about 1.3 MB of lines, twenty-odd
 * frames of 64 KiB, all of which a process keeps (FRAMES_KEEP_BYTES, 8 MiB); test_frames_bounded
 * writes MANY, about 10 MB of lines, past what it keeps. */
enum { NSPANS = 400, MANY = 3000, INPUT = 3300 };
static int nspans = NSPANS;

#define ZST "2023-11-14.jsonl.zst"

/* Span i's input under seed: letters of the same length whatever the seed, so two stores of
 * the same spans under two seeds hold their lines at the same offsets. */
static const char *letters(int i, unsigned seed)
{
	char *p = arena_alloc(A, INPUT + 1);
	unsigned x = (unsigned)i * 2654435761u + seed;
	for (int k = 0; k < INPUT; k++) {
		x = x * 1103515245u + 12345u;
		p[k] = (char)('a' + (x >> 16) % 26);
	}
	p[INPUT] = 0;
	return p;
}

/* The day's spans under seed, appended to s and sealed. */
static void fill_sealed(struct store *s, unsigned seed)
{
	struct err e = {ST_OK, ""};
	for (int i = 0; i < nspans; i++) {
		char id[16];
		snprintf(id, sizeof id, "f%04d", i);
		struct span sp = mk(arena_strdup(A, id), T0 + i);
		sp.input = letters(i, seed);
		ck_assert_msg(store_append(s, "ws1", &sp, 1, &e) == ST_OK, "%s", err_text(&e));
	}
	uint64_t in, out;
	ck_assert_msg(store_seal(s, "ws1", time_day(T0), &in, &out, &e) == ST_OK, "%s",
		      err_text(&e));
	ck_assert_uint_gt(in, 16u << 16);
}

static char *get_from(struct store *s, int i)
{
	char id[16];
	struct buf b;
	snprintf(id, sizeof id, "f%04d", i);
	buf_init(&b);
	if (store_get(s, "ws1", id, &b) != ST_OK) {
		buf_free(&b);
		return NULL;
	}
	return b.p;
}

static char **lines_of(struct store *s)
{
	char **l = calloc((size_t)nspans, sizeof *l);
	for (int i = 0; i < nspans; i++) {
		l[i] = get_from(s, i);
		ck_assert_ptr_nonnull(l[i]);
	}
	return l;
}

/* Spans [from, nspans) of ws1 served as l says, and the frames decompressed meanwhile. */
static uint64_t served_from(char **l, int from)
{
	uint64_t f0 = store_sealed_frames();
	for (int i = from; i < nspans; i++) {
		char *g = get_from(&st, i);
		ck_assert_msg(g && !strcmp(g, l[i]), "f%04d is not served as its file holds it", i);
		free(g);
	}
	return store_sealed_frames() - f0;
}

static uint64_t served_as(char **l)
{
	return served_from(l, 0);
}

static void free_lines(char **l)
{
	for (int i = 0; i < nspans; i++)
		free(l[i]);
	free(l);
}

static char *file_bytes(const char *dir, size_t *n)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/ws1/" ZST, dir);
	int fd = open(p, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	off_t size = lseek(fd, 0, SEEK_END);
	char *b = malloc((size_t)size);
	ck_assert_int_eq(pread(fd, b, (size_t)size, 0), size);
	close(fd);
	*n = (size_t)size;
	return b;
}

/* The frames read once serve every later read of their lines. */
START_TEST(test_frames_kept)
{
	fill_sealed(&st, 1);
	char **l = lines_of(&st);
	ck_assert_uint_eq(served_as(l), 0);
	ck_assert_int_eq(verify(), 0);
	free_lines(l);
}
END_TEST

/* Past what a process keeps (8 MiB of frames no reader holds, about 128 of them: 10 MB of
 * lines read in order), the least recently used frames are given up and their room reused:
 * every line is still served as the file holds it, a second pass in the same order
 * decompresses again what was given up, and the day's last lines, just read, none. */
START_TEST(test_frames_bounded)
{
	nspans = MANY;
	fill_sealed(&st, 3);
	uint64_t f0 = store_sealed_frames();
	char **l = lines_of(&st);
	uint64_t first = store_sealed_frames() - f0;
	ck_assert_uint_gt(first, 140);
	uint64_t again = served_as(l);
	ck_assert_uint_ge(again, first - 128);
	ck_assert_uint_eq(served_from(l, MANY - 20), 0);
	free_lines(l);
	nspans = NSPANS;
}
END_TEST

/* ws1's sealed file replaced by one of the same spans with other letters, its lines at the
 * same offsets and its blocks the same in number and size: renamed over it (a new file, as
 * every writer of sealed files makes one), every span is served as the new file holds it;
 * then the old bytes written back over it in place (the same file, as damage would be), as
 * those hold it. A process that kept frames by the file's path, or by its inode alone, would
 * serve the other file's letters. */
START_TEST(test_frames_replaced)
{
	char other[PATH_MAX], tmp[PATH_MAX], p[PATH_MAX];
	snprintf(other, sizeof other, "%s.other", root);
	ck_assert_int_eq(mkdir(other, 0750), 0);
	struct store so;
	store_init(&so, other, false);
	fill_sealed(&so, 2);
	char **lo = lines_of(&so);
	fill_sealed(&st, 1);
	char **l = lines_of(&st);
	ck_assert_uint_eq(served_as(l), 0);
	ck_assert_str_ne(l[0], lo[0]);

	size_t n, on;
	char *mine = file_bytes(root, &n), *theirs = file_bytes(other, &on);
	snprintf(tmp, sizeof tmp, "%s/ws1/" ZST ".new", root);
	snprintf(p, sizeof p, "%s/ws1/" ZST, root);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	ck_assert_int_eq(write(fd, theirs, on), (ssize_t)on);
	close(fd);
	ck_assert_int_eq(rename(tmp, p), 0);
	ck_assert_uint_gt(served_as(lo), 0);

	fd = open(p, O_WRONLY);
	ck_assert_int_eq(pwrite(fd, mine, n, 0), (ssize_t)n);
	ck_assert_int_eq(ftruncate(fd, (off_t)n), 0);
	close(fd);
	ck_assert_uint_gt(served_as(l), 0);
	ck_assert_uint_eq(served_as(l), 0);
	ck_assert_int_eq(verify(), 0);

	free(mine);
	free(theirs);
	free_lines(l);
	free_lines(lo);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", other);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* A frame written over in place after it was kept (a damaged byte in the middle of the day's
 * third frame, the file's size unchanged): its spans are not served (a wrong line never is),
 * those of the other frames still are from what was kept, and verify names the file. */
START_TEST(test_frames_damaged)
{
	fill_sealed(&st, 1);
	char **l = lines_of(&st);
	ck_assert_uint_eq(served_as(l), 0);
	size_t n;
	char *b = file_bytes(root, &n);
	/* The third zstd frame (magic 28 b5 2f fd) of the file, and a byte in its middle. */
	size_t at = 0;
	for (int seen = 0; at + 4 <= n; at++)
		if (!memcmp(b + at, "\x28\xb5\x2f\xfd", 4) && ++seen == 3)
			break;
	size_t next = at + 4;
	while (next + 4 <= n && memcmp(b + next, "\x28\xb5\x2f\xfd", 4))
		next++;
	ck_assert_uint_lt(next, n);
	int fd = open_file(ZST);
	char c = (char)(b[(at + next) / 2] ^ 0x55);
	ck_assert_int_eq(pwrite(fd, &c, 1, (off_t)(at + next) / 2), 1);
	close(fd);
	int lost = 0;
	for (int i = 0; i < NSPANS; i++) {
		char *g = get_from(&st, i);
		if (!g)
			lost++;
		else
			ck_assert_str_eq(g, l[i]);
		free(g);
	}
	ck_assert_int_gt(lost, 0);
	ck_assert_int_lt(lost, NSPANS / 4);
	ck_assert_int_gt(verify(), 0);
	ck_assert_ptr_nonnull(strstr(problems_seen, "2023-11-14"));
	free(b);
	free_lines(l);
}
END_TEST

/* A span erased after its frame was kept is not served; its neighbours in that frame are. */
START_TEST(test_frames_erased)
{
	fill_sealed(&st, 1);
	char **l = lines_of(&st);
	ck_assert_uint_eq(served_as(l), 0);
	struct store_erase_what w = {.by = STORE_ERASE_TIME, .from_us = T0 + 5, .to_us = T0 + 6};
	struct store_erase_ack ack;
	struct err e = {ST_OK, ""};
	ck_assert_msg(store_erase(&st, "ws1", &w, "check", &ack, &e) == ST_OK, "%s", err_text(&e));
	ck_assert_uint_eq(ack.spans, 1);
	char *g = get_from(&st, 5);
	ck_assert_ptr_null(g);
	for (int i = 0; i < 10; i++) {
		if (i == 5)
			continue;
		g = get_from(&st, i);
		ck_assert_ptr_nonnull(g);
		ck_assert_str_eq(g, l[i]);
		free(g);
	}
	free_lines(l);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("seal_frames");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_frames_kept);
	tcase_add_test(tc, test_frames_bounded);
	tcase_add_test(tc, test_frames_replaced);
	tcase_add_test(tc, test_frames_damaged);
	tcase_add_test(tc, test_frames_erased);
	suite_add_tcase(s, tc);
	return s;
}
