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
 * docs/development.md). */
#include <check.h>
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
#include "lib/api/intake/intake.h"
#include "lib/api/opik/surface.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/time.h"
#include "lib/http/http.h"
#include "lib/model/export.h"
#include "lib/model/judgement.h"
#include "lib/query/query.h"
#include "lib/store/ops.h"
#include "lib/store/store.h"
#include "t/check_timeout.h"
#include "t/storefix.h"

#define DAMAGE_CI_POSITIONS 15 /* positions a file in the bounded run */
#define DAMAGE_IDS_POSITIONS 4 /* more in a .tix's id strings (a few hundred bytes at its end) */
#define DAMAGE_CASE_SECONDS 60 /* a case's child is killed past this: a hang */
#define NSPANS 40

static const int64_t DAY = 86400000000ll;
static const int64_t T0 = 1700000000000000ll; /* 2023-11-14T22:13:20Z */

static char root[256], tmpl[PATH_MAX];
static struct arena *A;

/* The spans of the fixture: id, day (0 sealed, with two late spans; 1 plain, indexed, with a
 * tail), and the file and bytes their lines hold in the template (found after it is made). */
struct fspan {
	char id[16];
	int day;
	bool late;
	char file[32];	   /* the file name (in ws1) that holds the line */
	uint64_t from, to; /* its bytes there: the line, or (sealed) its frame */
};
static struct fspan spans[NSPANS];
static size_t nspans;

/* ---- the fixture ---- */

static struct span fixture_span(const char *id, int day, int i, const char *name)
{
	struct span s = storefix_span(A, id, T0 + day * DAY + i * 1000000, name);
	s.trace_id = arena_strdup(A, (char[]){'t', (char)('a' + i % 5), 0});
	s.session_id = i % 2 ? "session-odd" : "session-even";
	s.str[SS_MODEL] = i % 3 ? "gpt-x" : "gpt-y";
	/* Day 0: enough text that the sealed day takes two frames (SEAL_BLOCK), compressible;
	 * day 1: a little. */
	struct buf b;
	buf_init(&b);
	for (int k = 0; k < (day ? 12 : 300); k++)
		buf_printf(&b, "word%d %s ", k % 40, id);
	s.input = arena_strdup(A, b.p);
	buf_free(&b);
	s.output = arena_strdup(A, id);
	return s;
}

static void append_one(struct store *st, const char *id, int day, int i, bool late)
{
	struct span s = fixture_span(id, day, i, late ? "late" : "step");
	struct err e = {ST_OK, ""};
	ck_assert_msg(store_append(st, "ws1", &s, 1, &e) == ST_OK, "%s", err_text(&e));
	struct fspan *f = &spans[nspans++];
	snprintf(f->id, sizeof f->id, "%s", id);
	f->day = day;
	f->late = late;
}

static enum status rule_add(void *ctx, struct arena *a, struct store_rules *r, struct err *e)
{
	(void)ctx, (void)e;
	struct store_rule *v = arena_alloc(a, sizeof *v);
	*v =
	    (struct store_rule){"r1", NULL, STORE_RULE_WORKSPACE, 60, true, true, "k", "k", T0, T0};
	r->v = v;
	r->n = 1;
	return ST_OK;
}

/* Where each span's line lies in the template's files: a plain line's bytes, or the frame
 * (sealed.h: block table entries after the footer's 64-byte header) that holds it. */
static void fixture_where(struct store *st)
{
	for (size_t i = 0; i < nspans; i++) {
		struct fspan *f = &spans[i];
		struct buf line;
		buf_init(&line);
		ck_assert_int_eq(store_get(st, "ws1", f->id, &line), ST_OK);
		buf_free(&line);
		struct shard sh;
		char d[11];
		time_day_format(time_day(T0 + f->day * DAY), d);
		ck_assert_int_eq(shard_open(st, "ws1", time_day(T0 + f->day * DAY), &sh), ST_OK);
		for (size_t k = 0; k < sh.nrecs; k++) {
			const char *p;
			size_t n;
			if (!shard_view(&sh, k, &p, &n) ||
			    !memmem(p, n < 40 ? n : 40, f->id, strlen(f->id)))
				continue;
			uint64_t off = sh.recs[k].off, len = sh.recs[k].len;
			if (k >= sh.nsealed) {
				snprintf(f->file, sizeof f->file, "%s.%s", d,
					 sh.nsealed ? "late.jsonl" : "jsonl");
				f->from = off - (sh.nsealed ? sh.d.base : 0);
				f->to = f->from + len + 1;
			} else {
				/* The frame: the sealed file's block table, read through the footer
				 * (its trailer gives where the footer frame starts). */
				char p2[PATH_MAX + 64];
				snprintf(f->file, sizeof f->file, "%s.jsonl.zst", d);
				snprintf(p2, sizeof p2, "%s/ws1/%s", st->root, f->file);
				int fd = open(p2, O_RDONLY);
				struct stat sb;
				ck_assert(fd >= 0 && fstat(fd, &sb) == 0);
				uint64_t foot, nblk, blk[3];
				ck_assert(pread(fd, &foot, 8, sb.st_size - 8) == 8);
				uint64_t hdr = foot + 8 + (8 - foot % 8) % 8;
				ck_assert(pread(fd, &nblk, 8, (off_t)hdr + 40) == 8);
				for (uint64_t b = 0; b < nblk; b++) {
					ck_assert(pread(fd, blk, 24, (off_t)(hdr + 64 + b * 24)) ==
						  24);
					uint32_t zlen = (uint32_t)blk[2],
						 rawlen = (uint32_t)(blk[2] >> 32);
					if (off >= blk[0] && off < blk[0] + rawlen) {
						f->from = blk[1];
						f->to = blk[1] + zlen;
					}
				}
				close(fd);
			}
			break;
		}
		ck_assert_msg(f->file[0], "%s: its line was not found", f->id);
		shard_close(&sh);
	}
}

/* Opik feedback scores on spans of both days (the judgements' own day files and tables, read
 * with the spans by the Opik lists), one scored again. */
static void fixture_judgements(struct store *st)
{
	struct store jst;
	struct judgement j[6];
	static const char *const on[] = {"s0-01", "s0-02", "s1-01", "s1-02", "s1-03", "s0-01"};
	store_judgements(&jst, st);
	for (int i = 0; i < 6; i++) {
		judgement_init(&j[i]);
		j[i].id = arena_strdup(A, (char[]){'j', (char)('0' + i % 5), 0});
		j[i].workspace = "ws1";
		j[i].target = JT_SPAN;
		j[i].span_id = on[i];
		j[i].trace_id = "tb";
		j[i].name = "quality";
		j[i].kind = JK_NUMBER;
		j[i].value = i;
		j[i].source = JS_SDK;
		j[i].api = "opik";
		j[i].subtype = "feedback_score";
		j[i].created_at = T0 + (on[i][1] - '0') * DAY + i * 1000000;
	}
	struct err e = {ST_OK, ""};
	ck_assert_msg(store_put_judgements(&jst, "ws1", j, 5, &e) == ST_OK, "%s", err_text(&e));
	ck_assert_msg(store_put_judgements(&jst, "ws1", j + 5, 1, &e) == ST_OK, "%s", err_text(&e));
	ck_assert_uint_eq(store_verify(&jst, "ws1", storefix_note, NULL, NULL, NULL), 0);
}

/* The template store: day 0 sealed (several frames) with two late spans, and a span re-sent
 * on day 1, day 1 plain with a text index and a tail, the tables, the journal, a retention
 * rule. */
static void fixture_make(void)
{
	struct store st;
	char id[16];
	store_init(&st, tmpl, false);
	for (int i = 0; i < 24; i++) {
		snprintf(id, sizeof id, "s0-%02d", i);
		append_one(&st, id, 0, i, false);
	}
	uint64_t in, out;
	struct err e = {ST_OK, ""};
	ck_assert_msg(store_seal(&st, "ws1", time_day(T0), &in, &out, &e) == ST_OK, "%s",
		      err_text(&e));
	for (int i = 0; i < 2; i++) {
		snprintf(id, sizeof id, "s0-late%d", i);
		append_one(&st, id, 0, 30 + i, true);
	}
	for (int i = 0; i < 8; i++) {
		snprintf(id, sizeof id, "s1-%02d", i);
		append_one(&st, id, 1, i, false);
	}
	bool built;
	size_t covered;
	ck_assert_int_eq(store_text_index(&st, "ws1", time_day(T0 + DAY), &built, &covered), ST_OK);
	for (int i = 8; i < 12; i++) {
		snprintf(id, sizeof id, "s1-%02d", i);
		append_one(&st, id, 1, i, false);
	}
	/* A newer version of a sealed span, on day 1: the sealed one is superseded. */
	struct span s = fixture_span("s0-03", 1, 20, "again");
	ck_assert_int_eq(store_append(&st, "ws1", &s, 1, &e), ST_OK);
	snprintf(spans[3].id, sizeof spans[3].id, "s0-03");
	spans[3].day = 1;
	ck_assert_int_eq(store_rules_update(&st, "ws1", A, rule_add, NULL, &e), ST_OK);
	fixture_judgements(&st);
	fixture_where(&st);
	ck_assert_uint_eq(store_verify(&st, "ws1", storefix_note, NULL, NULL, NULL), 0);
}

/* ---- one case, in its child ---- */

/* The fault shim linked in (t/fault/fault.c). */
void fault_arm(const char *spec);

static struct store st;
static const char *case_failed; /* set by a check below: the child exits 1 */

static void case_fail(const char *what)
{
	fprintf(stderr, "damage: %s\n", what);
	case_failed = what;
}

/* One request through a surface as plain CGI (lib/http, as cgi-bin/<program> runs it): its
 * status, or -1 when it gave no reply. */
static int request_body(const struct http_surface *s, const char *uri, const char *header,
			const char *value, struct buf *body);

static int request(const struct http_surface *s, const char *uri, const char *header,
		   const char *value)
{
	return request_body(s, uri, header, value, NULL);
}

/* The same, the reply's body appended to body (when not NULL). */
static int request_body(const struct http_surface *s, const char *uri, const char *header,
			const char *value, struct buf *body)
{
	char q[1024];
	const char *qm = strchr(uri, '?');
	snprintf(q, sizeof q, "%s", qm ? qm + 1 : "");
	setenv("REQUEST_METHOD", "GET", 1);
	setenv("REQUEST_URI", uri, 1);
	setenv("QUERY_STRING", q, 1);
	unsetenv("CONTENT_LENGTH");
	unsetenv("HTTP_COMET_WORKSPACE");
	unsetenv("HTTP_X_SELECTED_ACCOUNT_ID");
	if (header)
		setenv(header, value, 1);
	/* The reply in memory (a file in /tmp per request cost more than the request). */
	FILE *out = fdopen(memfd_create("reply", MFD_CLOEXEC), "w+");
	int saved = dup(1);
	fflush(stdout);
	dup2(fileno(out), 1);
	http_main(s);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	char head[64] = "";
	rewind(out);
	int status = -1;
	if (fgets(head, sizeof head, out))
		sscanf(head, "Status: %d", &status);
	char chunk[4096];
	size_t n;
	while (body && (n = fread(chunk, 1, sizeof chunk, out)) > 0)
		buf_add(body, chunk, n);
	fclose(out);
	return status;
}

#define WSP "/apis/intake/v2/workspaces/ws1"
#define SGE "filter%5Bstarted_at%5D%5B%24gte%5D="

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

static void said(void *ctx, const char *msg)
{
	(void)ctx, (void)msg;
}

static void export_row(void *ctx, const struct query_row *row)
{
	export_line(ctx, row->line, row->len);
}

/* An export of the workspace in format f, as `spandex export` makes it (src/export.c: its
 * visit through lib/query, each line written out): the spans written; *unread: the days it
 * left out, unable to read them. SIZE_MAX when the query failed. */
static size_t export_all(enum export_format f, size_t *unread)
{
	struct arena *a = arena_new();
	struct query q = {.st = &st,
			  .a = a,
			  .ws = "ws1",
			  .sort = "started_at",
			  .budget_ms = EXPORT_BUDGET_MS,
			  .budget_bytes = EXPORT_BUDGET_BYTES,
			  .budget_resident = EXPORT_RESIDENT};
	struct export x;
	struct buf out;
	buf_init(&out);
	arena_json(a);
	export_begin(&x, f, a, &out);
	enum status rc = query_span_visit(&q, export_row, &x);
	export_end(&x);
	arena_json(NULL);
	*unread = q.unread;
	buf_free(&out);
	arena_free(a);
	return rc == ST_OK ? x.spans : SIZE_MAX;
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

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

/* Copies the regular files of directory from into to (made), and its directories alike. */
static void copy_dir(const char *from, const char *to)
{
	DIR *d = opendir(from);
	struct dirent *de;
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(mkdir(to, 0750), 0);
	while ((de = readdir(d))) {
		char a[PATH_MAX + 256], b[PATH_MAX + 256];
		struct stat sb;
		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		snprintf(a, sizeof a, "%s/%s", from, de->d_name);
		snprintf(b, sizeof b, "%s/%s", to, de->d_name);
		ck_assert_int_eq(lstat(a, &sb), 0);
		if (S_ISDIR(sb.st_mode)) {
			copy_dir(a, b);
			continue;
		}
		int in = open(a, O_RDONLY), out = open(b, O_WRONLY | O_CREAT | O_EXCL, 0640);
		ck_assert(in >= 0 && out >= 0);
		for (off_t off = 0; off < sb.st_size;) {
			ssize_t n =
			    copy_file_range(in, NULL, out, NULL, (size_t)(sb.st_size - off), 0);
			ck_assert_int_gt(n, 0);
			off += n;
		}
		close(in);
		close(out);
	}
	closedir(d);
}

/* Copies the template to dir and damages file there: the byte at pos XORed with x, or (cut)
 * the file cut to pos bytes. */
static void case_dir(const char *dir, const char *file, uint64_t pos, int x, bool cut)
{
	char p[PATH_MAX + 64];
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	snprintf(p, sizeof p, "%s.backup", dir);
	nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	copy_dir(tmpl, dir);
	snprintf(p, sizeof p, "%s/ws1/%s", dir, file);
	int fd = open(p, O_RDWR);
	ck_assert_int_ge(fd, 0);
	if (cut) {
		ck_assert_int_eq(ftruncate(fd, (off_t)pos), 0);
	} else {
		unsigned char c;
		ck_assert_int_eq(pread(fd, &c, 1, (off_t)pos), 1);
		c ^= (unsigned char)x;
		ck_assert_int_eq(pwrite(fd, &c, 1, (off_t)pos), 1);
	}
	close(fd);
}

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

/* DAMAGE_IDS_POSITIONS positions spread over the id strings that end a .tix of version 7 (the
 * file p of n bytes; its last 8 bytes are their number), into out: their number (0 when the
 * file has none). */
static size_t ids_positions(const char *p, uint64_t n, uint64_t *out)
{
	uint64_t ids = 0;
	int fd = open(p, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	bool ok = n >= 136 && pread(fd, &ids, 8, (off_t)n - 8) == 8 && ids && ids <= n - 128;
	close(fd);
	for (size_t i = 0; ok && i < DAMAGE_IDS_POSITIONS; i++)
		out[i] = n - ids + (2 * i + 1) * ids / (2 * DAMAGE_IDS_POSITIONS);
	return ok ? DAMAGE_IDS_POSITIONS : 0;
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
	uint64_t *pos = malloc((n + DAMAGE_CI_POSITIONS + DAMAGE_IDS_POSITIONS) * sizeof *pos);
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

/* The template, made once for every case (in the parent: the cases fork from it). */
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

static void setup(void)
{
	/* In memory where there is /dev/shm: a case makes and removes a store, and on ext4
	 * finding inodes among those just freed cost most of a case. */
	snprintf(root, sizeof(root), "%s/spandex-check-damage-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(tmpl, sizeof tmpl, "%s/template", root);
	ck_assert_int_eq(mkdir(tmpl, 0750), 0);
	A = arena_new();
	nspans = 0;
	memset(spans, 0, sizeof spans);
	fixture_make();
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
	arena_free(A);
}

Suite *check_suite(void)
{
	Suite *s = suite_create("damage");
	TCase *tc = tcase_create("core");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	/* Each file's cases in the bounded run take seconds; every byte (SPANDEX_DAMAGE=all)
	 * takes hours, and is given that long. */
	tcase_set_timeout(tc, getenv("SPANDEX_DAMAGE") ? 24 * 3600 : CHECK_TIMEOUT_S);
	tcase_add_loop_test(tc, test_damage, 0, (int)(sizeof FILES / sizeof *FILES));
	tcase_add_test(tc, test_sealed_footer);
	tcase_add_test(tc, test_other_days);
	suite_add_tcase(s, tc);
	return s;
}
