/* check_damage: every kind of file of a small store damaged one byte at a time, and cut short
 * at several points (issue 55): no reader (the programs' requests, run in-process as plain CGI
 * through each surface: gets, lists with time filters, traces, sessions, search, Opik and
 * Scale GP; the judgements' files too, which the Opik lists read) and no tool (verify,
 * export, backup, index, seal, the retention rules, reindex)
 * may crash or hang, reindex leaves verify clean, and every span whose line the damage did not
 * touch is served after it, and can be written to again.
 *
 * Each case runs in a child of its own (a crash is its signal, a hang its alarm), on a fresh
 * copy of the store. Bounded in CI: DAMAGE_CI_POSITIONS positions a file (positions()) and
 * five cuts, about 24 ms of CPU a case. On demand: SPANDEX_DAMAGE=N takes N positions a file,
 * SPANDEX_DAMAGE=all every byte of every file (about 117,000 cases, some 47 minutes of CPU;
 * docs/development.md). The cases of one kind of damage each (a sealed day's footer, a day's
 * index that does not open) are in check_damage_kinds.c, the fixture both share in
 * check_damage_fixture.c (check_damage.h). */
#include "t/check_damage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/api/egp/surface.h"
#include "lib/api/opik/surface.h"
#include "lib/store/ops.h"
#include "t/check_timeout.h"

#define DAMAGE_CI_POSITIONS 15 /* positions a file in the bounded run */
#define DAMAGE_IDS_POSITIONS 4 /* more in a .tix's id strings and as many in its value lists */

/* ---- one case, in its child ---- */

/* One request through a surface as plain CGI (lib/http, as cgi-bin/<program> runs it): its
 * status, or -1 when it gave no reply. */
static int request(const struct http_surface *s, const char *uri, const char *header,
		   const char *value)
{
	return request_body(s, uri, header, value, NULL);
}

/* Every read a client can make of the fixture: none may crash; a 5xx other than 503 is a
 * failure too (the store answers what it can read). */
static void readers(const char *when)
{
	static const char *const intake[] = {
	    WSP "/spans?page_size=100",
	    WSP "/spans?" SGE "2023-11-14T22:13:25Z&page_size=5",
	    WSP "/spans?" SGE "2023-11-14T22:13:20Z&filter%5Bstarted_at%5D%5B%24lte%5D=2023-11-"
		"14T22:13:40Z",
	    WSP "/spans?sort=started_at&" SGE "2023-11-15T00:00:00Z",
	    WSP "/spans?search=word7",
	    WSP "/spans?search=s0-05",
	    WSP "/spans?filter%5Btrace_id%5D=tb",
	    WSP "/spans?filter%5Bmodel%5D=gpt-y",
	    WSP "/spans/groups?by=trace_id",
	    WSP "/spans/groups?by=session_id",
	    WSP "/traces?page_size=50",
	    WSP "/traces/tc",
	    WSP "/sessions/session-odd",
	};
	static const char *const opik[] = {
	    "/v1/private/spans?project_name=Default%20Project",
	    "/v1/private/spans?project_name=Default%20Project&search=word3",
	    "/v1/private/traces?project_name=Default%20Project",
	    "/v1/private/spans?project_name=Default%20Project&sorting=%5B%7B%22field%22%3A%22"
	    "feedback_scores.quality%22%2C%22direction%22%3A%22DESC%22%7D%5D",
	    "/v1/private/spans/stats?project_name=Default%20Project",
	    "/v1/private/retention/rules",
	};
	char uri[256];
	for (size_t i = 0; i < sizeof intake / sizeof *intake; i++) {
		const struct http_surface *s = strstr(intake[i], "/traces") ? &intake_traces_surface
					       : strstr(intake[i], "/sessions")
						   ? &intake_sessions_surface
						   : &intake_spans_surface;
		int code = request(s, intake[i], NULL, NULL);
		if (code < 200 || (code >= 500 && code != 503)) {
			fprintf(stderr, "%s: %s answered %d\n", when, intake[i], code);
			case_fail("a reader answered 5xx or nothing");
		}
	}
	/* Gets of a sample of the spans, of every kind (sealed, late, superseded, plain). */
	for (size_t i = 0; i < nspans; i += 3) {
		snprintf(uri, sizeof uri, WSP "/spans/%s", spans[i].id);
		int code = request(&intake_spans_surface, uri, NULL, NULL);
		snprintf(uri, sizeof uri, "/v5/spans/%s", spans[i].id);
		int sgp = request(&egp_surface, uri, "HTTP_X_SELECTED_ACCOUNT_ID", "ws1");
		if (code < 200 || (code >= 500 && code != 503) || sgp < 200 ||
		    (sgp >= 500 && sgp != 503)) {
			fprintf(stderr, "%s: get %s answered %d, %d\n", when, spans[i].id, code,
				sgp);
			case_fail("a get answered 5xx or nothing");
		}
	}
	for (size_t i = 0; i < sizeof opik / sizeof *opik; i++) {
		int code = request(&opik_surface, opik[i], "HTTP_COMET_WORKSPACE", "ws1");
		if (code < 200 || (code >= 500 && code != 503)) {
			fprintf(stderr, "%s: %s answered %d\n", when, opik[i], code);
			case_fail("an Opik reader answered 5xx or nothing");
		}
	}
	if (request(&egp_surface, "/v5/spans?limit=50", "HTTP_X_SELECTED_ACCOUNT_ID", "ws1") >= 500)
		case_fail("a Scale GP list answered 5xx");
}

/* Every tool over the damaged store; each must come back (what it says is its own). */
static void tools(void)
{
	char p[PATH_MAX + 32];
	struct err e = {ST_OK, ""};
	struct ops_skipped sk = {said, NULL, 0};
	struct store_rules r;
	struct store jst;
	store_judgements(&jst, &st);
	(void)store_verify(&st, "ws1", said, NULL, NULL, NULL);
	(void)store_verify(&jst, "ws1", said, NULL, NULL, NULL);
	for (int f = 0; f < EXPORT__COUNT; f++) {
		size_t unread;
		(void)export_all((enum export_format)f, &unread);
	}
	snprintf(p, sizeof p, "%s.backup", st.root);
	struct ops_backup_stats bs;
	(void)ops_backup(&st, p, NULL, &bs, &sk, &e);
	(void)store_rules_read(&st, "ws1", A, &r, &e);
	for (int d = 0; d < 2; d++) {
		bool built;
		size_t covered;
		uint64_t in, out;
		(void)store_text_index(&st, "ws1", time_day(T0 + d * DAY), &built, &covered);
		(void)store_seal(&st, "ws1", time_day(T0 + d * DAY), &in, &out, &e);
	}
}

/* After reindex: verify clean, every span whose line is untouched served, and a write to each
 * day taken. */
static void mended(const char *file, uint64_t lo, uint64_t hi)
{
	struct err e = {ST_OK, ""};
	struct store jst;
	store_judgements(&jst, &st);
	/* As `spandex reindex` runs them: the judgements first. */
	if (store_reindex(&jst, "ws1", NULL, NULL, said, NULL, &e) != ST_OK ||
	    store_reindex(&st, "ws1", NULL, NULL, said, NULL, &e) != ST_OK) {
		fprintf(stderr, "reindex: %s\n", err_text(&e));
		case_fail("reindex failed");
		return;
	}
	if (store_verify(&st, "ws1", storefix_note, NULL, NULL, NULL) ||
	    store_verify(&jst, "ws1", storefix_note, NULL, NULL, NULL))
		case_fail("verify is not clean after reindex");
	for (size_t i = 0; i < nspans; i++) {
		const struct fspan *f = &spans[i];
		bool touched = !strcmp(f->file, file) && f->from < hi && lo < f->to;
		struct buf line;
		buf_init(&line);
		if (!touched && store_get(&st, "ws1", f->id, &line) != ST_OK) {
			fprintf(stderr, "%s is not served after reindex\n", f->id);
			case_fail("an undamaged span is lost");
		}
		buf_free(&line);
	}
	for (int d = 0; d < 2; d++) {
		struct span s = fixture_span(d ? "w1" : "w0", d, 50, "written");
		if (store_append(&st, "ws1", &s, 1, &e) != ST_OK) {
			fprintf(stderr, "write to day %d: %s\n", d, err_text(&e));
			case_fail("a write after reindex was refused");
		}
	}
	if (store_verify(&st, "ws1", storefix_note, NULL, NULL, NULL))
		case_fail("verify is not clean after the writes");
}

/* The case in the child: the readers, the tools, reindex and what it must leave. Exit 0
 * when every check held. */
static void run_case(const char *dir, const char *file, uint64_t lo, uint64_t hi)
{
	alarm(DAMAGE_CASE_SECONDS);
	/* No fdatasync: a case is about what the bytes say, and the syncs were most of its time. */
	fault_arm("nosync");
	store_init(&st, dir, false);
	setenv("SPANDEX_DATA", dir, 1);
	readers("damaged");
	tools();
	readers("after the tools");
	mended(file, lo, hi);
	readers("after reindex");
	if (getenv("SPANDEX_DAMAGE_ONE"))
		fprintf(stderr, "damage: the case %s\n", case_failed ? "failed" : "held");
	_exit(case_failed ? 1 : 0);
}

/* ---- the cases ---- */

/* One case: a fresh copy damaged, run in a child; its failure named. SPANDEX_DAMAGE_ONE=
 * "FILE POS XOR" (XOR 0: cut at POS) runs that one case alone, in this process, for a
 * debugger. */
static bool one_case(const char *file, uint64_t pos, int x, bool cut)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/case", root);
	case_dir(dir, file, pos, x, cut);
	fflush(stderr);
	if (getenv("SPANDEX_DAMAGE_ONE"))
		run_case(dir, file, pos, cut ? UINT64_MAX : pos + 1);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		run_case(dir, file, cut ? pos : pos, cut ? UINT64_MAX : pos + 1);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	bool ok = WIFEXITED(status) && !WEXITSTATUS(status);
	if (!ok)
		fprintf(stderr, "damage: %s %s %llu (xor 0x%02x): %s %d\n", file,
			cut ? "cut at" : "byte", (unsigned long long)pos, x,
			WIFSIGNALED(status) ? "killed by signal" : "exit",
			WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	return ok;
}

/* The positions of a file of size n this run damages: every byte (SPANDEX_DAMAGE=all), or k
 * of them (SPANDEX_DAMAGE=k, else DAMAGE_CI_POSITIONS): a third in its first 256 bytes (the
 * headers), a third in its last 1024 (a sealed file's footer and trailer, the last records),
 * and the rest spread over the whole, each off a round number so that every byte of a field
 * gets its turn. */
static size_t positions(uint64_t n, uint64_t *out)
{
	const char *v = getenv("SPANDEX_DAMAGE");
	size_t k = DAMAGE_CI_POSITIONS, m = 0;
	if (v && !strcmp(v, "all"))
		k = SIZE_MAX;
	else if (v && *v)
		k = strtoul(v, NULL, 10);
	if (k >= n) {
		for (uint64_t i = 0; i < n; i++)
			out[m++] = i;
		return m;
	}
	size_t h = k / 3, t = k / 3, r = k - h - t;
	uint64_t hw = n < 256 ? n : 256, tw = n < 1024 ? n : 1024;
	for (size_t i = 0; i < h; i++)
		out[m++] = (i * hw / h + i % 7) % n;
	for (size_t i = 0; i < t; i++)
		out[m++] = n - tw + (i * tw / t + i % 5) % tw;
	for (size_t i = 0; i < r; i++)
		out[m++] = (2 * i + 1) * n / (2 * r);
	return m;
}

/* DAMAGE_IDS_POSITIONS positions spread over each of the two sections that end a .tix of
 * version 8 (the file p of n bytes): the id strings and the value lists after them (the file's
 * last 8 bytes are the lists' number of bytes, the 8 before the lists the strings'), into out:
 * their number (0 when the file has neither). */
static size_t ids_positions(const char *p, uint64_t n, uint64_t *out)
{
	uint64_t ids = 0, lists = 0;
	int fd = open(p, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	bool ok = n >= 144 && pread(fd, &lists, 8, (off_t)n - 8) == 8 && lists &&
		  lists <= n - 136 && pread(fd, &ids, 8, (off_t)(n - lists - 8)) == 8 && ids &&
		  ids <= n - lists - 128;
	close(fd);
	for (size_t i = 0; ok && i < DAMAGE_IDS_POSITIONS; i++) {
		out[2 * i] = n - lists - ids + (2 * i + 1) * ids / (2 * DAMAGE_IDS_POSITIONS);
		out[2 * i + 1] = n - lists + (2 * i + 1) * lists / (2 * DAMAGE_IDS_POSITIONS);
	}
	return ok ? 2 * DAMAGE_IDS_POSITIONS : 0;
}

static const char *const FILES[16];

static void each_file(const char *suffix)
{
	const char *one = getenv("SPANDEX_DAMAGE_ONE");
	char f1[64];
	unsigned long long p1;
	int x1;
	if (one && sscanf(one, "%63s %llu %i", f1, &p1, &x1) == 3) {
		if (!strcmp(suffix, FILES[0]))
			one_case(f1, p1, x1, !x1);
		return;
	}
	char d0[11], d1[11], file[64], p[PATH_MAX + 128];
	time_day_format(time_day(T0), d0);
	time_day_format(time_day(T0 + DAY), d1);
	const char *day = strstr(suffix, "@1") ? d1 : d0;
	/* "j": the judgements' store (ws1/judgements/), a day's file or (j/) a table. */
	const char *jd = suffix[0] == 'j' && (suffix[1] == '.' || suffix[1] == '/')
			     ? STORE_JUDGEMENTS_DIR "/"
			     : "";
	suffix += *jd ? 1 + (suffix[1] == '/') : 0;
	if (suffix[0] == '.')
		snprintf(file, sizeof file, "%s%s%.*s", jd, day, (int)strcspn(suffix, "@"), suffix);
	else
		snprintf(file, sizeof file, "%s%s", jd, suffix);
	snprintf(p, sizeof p, "%s/ws1/%s", tmpl, file);
	struct stat sb;
	ck_assert_msg(stat(p, &sb) == 0, "%s: not in the fixture", file);
	uint64_t n = (uint64_t)sb.st_size;
	size_t failed = 0, cases = 0;
	uint64_t *pos = malloc((n + DAMAGE_CI_POSITIONS + 2 * DAMAGE_IDS_POSITIONS) * sizeof *pos);
	size_t np = positions(n, pos);
	if (strstr(file, ".tix") && np < n)
		np += ids_positions(p, n, pos + np);
	for (size_t i = 0; i < np; i++, cases++)
		failed += !one_case(file, pos[i],
				    pos[i] % 3 == 0   ? 0xff
				    : pos[i] % 3 == 1 ? 0x01
						      : 0x80,
				    false);
	static const uint64_t cuts[] = {0, 1, 7};
	uint64_t at[] = {cuts[0], cuts[1], n / 2, n - cuts[2] < n ? n - cuts[2] : 0, n - 1};
	for (size_t i = 0; i < sizeof at / sizeof *at; i++, cases++)
		failed += !one_case(file, at[i], 0, true);
	free(pos);
	fprintf(stderr, "damage: %s (%llu bytes): %zu cases, %zu failed\n", file,
		(unsigned long long)n, cases, failed);
	ck_assert_msg(!failed, "%s: %zu of %zu cases failed (stderr names each)", file, failed,
		      cases);
}

/* The files of the fixture, by suffix: a shard file of day 0 (".x") or day 1 (".x@1"), or a
 * file of the workspace; "j" before either: the judgements' own. */
static const char *const FILES[16] = {
    ".idx",   ".jsonl.zst", ".late.jsonl", ".idx@1",	     ".jsonl@1", ".tix@1",
    ".tdx@1", "ids.tab",    "traces.tab",  "sessions.tab",   "journal",	 "retention.json",
    "j.idx",  "j.jsonl",    "j/ids.tab",   "j/sessions.tab",
};

START_TEST(test_damage)
{
	each_file(FILES[_i]);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("damage");
	TCase *tc = tcase_create("core");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	/* Each file's cases in the bounded run take seconds; every byte (SPANDEX_DAMAGE=all)
	 * takes hours, and is given that long. */
	tcase_set_timeout(tc, getenv("SPANDEX_DAMAGE") ? 24 * 3600 : CHECK_TIMEOUT_S);
	tcase_add_loop_test(tc, test_damage, 0, (int)(sizeof FILES / sizeof *FILES));
	check_damage_kinds(tc);
	suite_add_tcase(s, tc);
	return s;
}
