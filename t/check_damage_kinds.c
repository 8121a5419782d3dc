/* check_damage_kinds: damage of one kind each, checked for more than the byte-flip sweep of
 * check_damage.c asks (issue 55): a sealed day's footer and trailer flipped and cut, every span
 * still served, the window's total right, export, backup and a write whole; a day whose index
 * does not open while the tables are to be made again, the other days written and served. */
#include "t/check_damage.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/store/ops.h"

/* ---- a sealed day whose footer or trailer is damaged, before any reindex ---- */

/* The total of a windowed listing over the sealed day (its start-time order): the number
 * after "total_results". */
static long window_total(void)
{
	struct buf b;
	buf_init(&b);
	int code =
	    request_body(&intake_spans_surface,
			 WSP "/spans?" SGE "2023-11-14T22:13:25Z&page_size=5", NULL, NULL, &b);
	const char *t = code == 200 && b.p ? strstr(b.p, "\"total_results\":") : NULL;
	long n = t ? strtol(t + 16, NULL, 10) : -1;
	buf_free(&b);
	return n;
}

/* In the child: the damaged sealed day answers as the undamaged one did (want: the window's
 * total then): every span served, the window's total, export and backup whole, a write to the
 * day taken. Before, a sealed file missing its last 7 bytes made the day 404, export wrote
 * nothing and writes to the day answered 503 for good; a flipped footer byte crashed the
 * windowed listing. */
static void sealed_case(const char *dir, long want)
{
	alarm(DAMAGE_CASE_SECONDS);
	fault_arm("nosync");
	store_init(&st, dir, false);
	setenv("SPANDEX_DATA", dir, 1);
	for (size_t i = 0; i < nspans; i++) {
		struct buf line;
		buf_init(&line);
		if (store_get(&st, "ws1", spans[i].id, &line) != ST_OK) {
			fprintf(stderr, "%s is not served\n", spans[i].id);
			case_fail("a span of the damaged day is not served");
		}
		buf_free(&line);
	}
	long got = window_total();
	if (got != want) {
		fprintf(stderr, "the window's total is %ld, not %ld\n", got, want);
		case_fail("the windowed listing counts wrong");
	}
	char p[PATH_MAX + 32];
	struct err e = {ST_OK, ""};
	struct ops_skipped sk = {said, NULL, 0};
	size_t unread;
	if (export_all(EXPORT_JSONL, &unread) != nspans || unread)
		case_fail("export left spans out");
	snprintf(p, sizeof p, "%s.backup", dir);
	struct ops_backup_stats bs;
	if (ops_backup(&st, p, NULL, &bs, &sk, &e) != ST_OK || sk.n)
		case_fail("backup left the day out");
	struct span w = fixture_span("w0", 0, 50, "written");
	if (store_append(&st, "ws1", &w, 1, &e) != ST_OK) {
		fprintf(stderr, "write: %s\n", err_text(&e));
		case_fail("a write to the damaged sealed day was refused");
	}
	_exit(case_failed ? 1 : 0);
}

/* Each byte of the sealed file's footer and trailer (the last ones of the file; a sample in
 * CI) flipped, and the file cut by 1 to 16 bytes. */
START_TEST(test_sealed_footer)
{
	char d0[11], file[64], p[PATH_MAX + 128], dir[PATH_MAX];
	time_day_format(time_day(T0), d0);
	snprintf(file, sizeof file, "%s.jsonl.zst", d0);
	snprintf(p, sizeof p, "%s/ws1/%s", tmpl, file);
	snprintf(dir, sizeof dir, "%s/case", root);
	struct stat sb;
	ck_assert_int_eq(stat(p, &sb), 0);
	uint64_t n = (uint64_t)sb.st_size, foot;
	int fd = open(p, O_RDONLY);
	ck_assert(fd >= 0 && pread(fd, &foot, 8, (off_t)n - 8) == 8);
	close(fd);
	/* The window's total on the undamaged copy. */
	case_dir(dir, file, 0, 0, false);
	pid_t pid = fork();
	if (pid == 0) {
		store_init(&st, dir, false);
		setenv("SPANDEX_DATA", dir, 1);
		_exit((int)window_total());
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) > 0);
	long want = WEXITSTATUS(status);
	const char *v = getenv("SPANDEX_DAMAGE");
	uint64_t step = v && !strcmp(v, "all") ? 1 : (n - foot) / 40 + 1, failed = 0, cases = 0;
	for (uint64_t at = foot; at < n + 16; at += at < n ? step : 1, cases++) {
		bool cut = at >= n;
		case_dir(dir, file, cut ? n - (at - n + 1) : at, at % 3 ? 0x01 : 0xff, cut);
		if ((pid = fork()) == 0)
			sealed_case(dir, want);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "damage: %s %s %llu: failed\n", file,
				cut ? "cut by" : "byte",
				(unsigned long long)(cut ? at - n + 1 : at));
			failed++;
		}
	}
	ck_assert_msg(!failed, "%llu of %llu cases failed (stderr names each)",
		      (unsigned long long)failed, (unsigned long long)cases);
}
END_TEST

/* ---- a day whose index does not open, with the tables to make again ---- */

/* In the child: the store of dir, whose day `bad` has a damaged index header and whose tables
 * are gone (as after a reboot: the first writer makes them again from the days). A write to
 * another day, and to a new one, is taken; the other days' spans are served, and the span
 * re-sent on day 1 (its old version sealed on day 0) is never served in its old version;
 * reindex then mends all. Before, making the tables failed on the one day ("id table: Invalid
 * argument") and every write to the workspace answered 503 until reindex. */
static void other_days_case(const char *dir, int bad)
{
	alarm(DAMAGE_CASE_SECONDS);
	fault_arm("nosync");
	store_init(&st, dir, false);
	struct err e = {ST_OK, ""};
	for (int d = 0; d < 3; d++) {
		if (d == bad)
			continue;
		struct span s = fixture_span(d == 2 ? "w2" : d ? "w1" : "w0", d, 50, "written");
		if (store_append(&st, "ws1", &s, 1, &e) != ST_OK) {
			fprintf(stderr, "day %d damaged, a write to day %d: %s\n", bad, d,
				err_text(&e));
			case_fail("a write to another day was refused");
		}
	}
	for (size_t i = 0; i < nspans; i++) {
		struct buf line;
		buf_init(&line);
		enum status rc = store_get(&st, "ws1", spans[i].id, &line);
		if (spans[i].day != bad && rc != ST_OK) {
			fprintf(stderr, "day %d damaged: %s is not served\n", bad, spans[i].id);
			case_fail("a span of another day is not served");
		}
		if (rc == ST_OK && !strcmp(spans[i].id, "s0-03") && !strstr(line.p, "again"))
			case_fail(
			    "the span re-sent on the damaged day is served in its old version");
		buf_free(&line);
	}
	if (store_reindex(&st, "ws1", NULL, NULL, said, NULL, &e) != ST_OK)
		case_fail("reindex failed");
	if (store_verify(&st, "ws1", storefix_note, NULL, NULL, NULL))
		case_fail("verify is not clean after reindex");
	struct buf line;
	buf_init(&line);
	if (store_get(&st, "ws1", "s0-03", &line) != ST_OK || !strstr(line.p, "again"))
		case_fail("after reindex the re-sent span is not its newest version");
	buf_free(&line);
	_exit(case_failed ? 1 : 0);
}

/* Each day's index with its magic, or its version, damaged; the tables removed. */
START_TEST(test_other_days)
{
	char dir[PATH_MAX], p[PATH_MAX + 128], day[11];
	snprintf(dir, sizeof dir, "%s/case", root);
	size_t failed = 0;
	for (int bad = 0; bad < 2; bad++)
		for (int pos = 0; pos < 9; pos += 8) {
			time_day_format(time_day(T0 + bad * DAY), day);
			snprintf(p, sizeof p, "%s.idx", day);
			case_dir(dir, p, (uint64_t)pos, 0x20, false);
			static const char *const tabs[] = {"ids.tab", "traces.tab", "sessions.tab"};
			for (size_t i = 0; i < 3; i++) {
				snprintf(p, sizeof p, "%s/ws1/%s", dir, tabs[i]);
				ck_assert_int_eq(unlink(p), 0);
			}
			pid_t pid = fork();
			if (pid == 0)
				other_days_case(dir, bad);
			int status;
			ck_assert_int_eq(waitpid(pid, &status, 0), pid);
			if (!WIFEXITED(status) || WEXITSTATUS(status)) {
				fprintf(stderr, "damage: day %d's index, byte %d: failed\n", bad,
					pos);
				failed++;
			}
		}
	ck_assert_msg(!failed, "%zu of 4 cases failed (stderr names each)", failed);
}
END_TEST

void check_damage_kinds(TCase *tc)
{
	tcase_add_test(tc, test_sealed_footer);
	tcase_add_test(tc, test_other_days);
}
