/* check_damage_fixture: what the files of t/check_damage share (check_damage.h): the template
 * store, made once (setup) with the spans it holds and where their lines lie, a case's fresh copy
 * damaged, and the checks a case's child makes through the surfaces and the export. */
#include "t/check_damage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/store/ops.h"

char root[256], tmpl[PATH_MAX];
struct arena *A;
struct fspan spans[NSPANS];
size_t nspans;

/* ---- the fixture ---- */

struct span fixture_span(const char *id, int day, int i, const char *name)
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

struct store st;
const char *case_failed;

void case_fail(const char *what)
{
	fprintf(stderr, "damage: %s\n", what);
	case_failed = what;
}

int request_body(const struct http_surface *s, const char *uri, const char *header,
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
	http_main(s, 0, NULL);
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

void said(void *ctx, const char *msg)
{
	(void)ctx, (void)msg;
}

static void export_row(void *ctx, const struct query_row *row)
{
	export_line(ctx, row->line, row->len);
}

size_t export_all(enum export_format f, size_t *unread)
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

void case_dir(const char *dir, const char *file, uint64_t pos, int x, bool cut)
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

/* The template, made once for every case (in the parent: the cases fork from it). */
void setup(void)
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

void teardown(void)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
	arena_free(A);
}
