/* check_store_ops: the store's operations on the fixture of t/check_store.c (t/storecase.h):
 * sealed shards (seal.c), backup, retention rules (rules.c), the commit order (commits.c) and
 * the forwarder's files (forward.c); the "ops" case of t/check_store. */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/store/ops.h"
#include "lib/store/store.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "t/storecase.h"
#include "t/storefix.h"

/* ws1's workspace lock, taken as a writer takes it (the caller closes it). */
static int hold_ws_lock(void)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/ws1/lock", root);
	int fd = open(p, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	return fd;
}

/* ---- sealed shards ---- */

enum { SEAL_N = 3000 }; /* several zstd blocks per day */

/* SEAL_N spans over days T0..T0+2 (about 2 KB each), then new versions of some of them. */
static void seal_fixture(void)
{
	static char pad[2048];
	memset(pad, 'x', sizeof(pad) - 1);
	for (int b = 0; b < SEAL_N / 500; b++) {
		struct span s[500];
		for (int i = 0; i < 500; i++) {
			char id[32];
			int k = b * 500 + i;
			snprintf(id, sizeof(id), "span-%d", k);
			/* Start times not in ingest order, so the start-time order is a real one.
			 */
			s[i] = mk(id, T0 + (int64_t)(k % 3) * DAY +
					  (int64_t)((k * 7919) % 5000) * 1000);
			s[i].input = pad + (k % 1000);
		}
		append(s, 500);
		arena_reset(A);
	}
	struct span v = mk("span-7", T0 + DAY + 5);
	v.name = "second";
	append(&v, 1);
}

/* Every line of every day and every span by id, as one string. */
static char *snapshot(void)
{
	struct buf b;
	buf_init(&b);
	int32_t *days;
	size_t nd;
	ck_assert_int_eq(store_days(&st, "ws1", &days, &nd), ST_OK);
	for (size_t d = 0; d < nd; d++) {
		struct shard sh;
		ck_assert_int_eq(shard_open(&st, "ws1", days[d], &sh), ST_OK);
		for (size_t i = 0; i < sh.nrecs; i++) {
			const char *p;
			size_t n;
			size_t at = b.len;
			ck_assert_int_eq(shard_line(&sh, i, &b), ST_OK);
			ck_assert(shard_view(&sh, i, &p, &n));
			ck_assert_uint_eq(n, b.len - at);
			ck_assert(!memcmp(p, b.p + at, n));
			buf_printf(&b, " %d\n", (int)(sh.recs[i].flags & REC_SUPERSEDED));
		}
		shard_close(&sh);
	}
	free(days);
	for (int k = 0; k < SEAL_N; k += 37) {
		char id[32];
		snprintf(id, sizeof(id), "span-%d", k);
		char *x = get(id);
		ck_assert_msg(x != NULL, "missing %s", id);
		buf_adds(&b, x);
		free(x);
	}
	return b.p;
}

/* The store answers as it did when snapshot() gave before, and verifies. */
static void same_as(const char *before)
{
	char *now = snapshot();
	ck_assert_str_eq(before, now);
	free(now);
	ck_assert_int_eq(verify(), 0);
}

static void seal_all(uint64_t *in_total)
{
	int32_t *days;
	size_t nd;
	struct err e = {ST_OK, ""};
	*in_total = 0;
	ck_assert_int_eq(store_days(&st, "ws1", &days, &nd), ST_OK);
	for (size_t d = 0; d < nd; d++) {
		uint64_t in, out;
		ck_assert_msg(store_seal(&st, "ws1", days[d], &in, &out, &e) == ST_OK, "seal: %s",
			      err_text(&e));
		ck_assert_uint_le(out, in);
		*in_total += in;
	}
	free(days);
}

START_TEST(test_seal_same_answers)
{
	seal_fixture();
	char *before = snapshot();
	off_t plain = fsize("2023-11-14.jsonl");
	uint64_t in;
	seal_all(&in);
	ck_assert_int_gt(in, 0);
	ck_assert_int_eq(fsize("2023-11-14.jsonl"), -1);
	ck_assert_int_gt(fsize("2023-11-14.jsonl.zst"), 0);
	ck_assert_int_lt(fsize("2023-11-14.jsonl.zst"), plain);
	same_as(before);
	/* The start-time order: sorted, and a window gives exactly the records inside it. */
	struct shard sh;
	ck_assert_int_eq(shard_open(&st, "ws1", time_day(T0), &sh), ST_OK);
	ck_assert_uint_eq(sh.nsealed, sh.nrecs);
	const uint32_t *o;
	size_t lo, hi, inside = 0;
	int64_t a = T0 + 1000000, z = T0 + 2000000;
	ck_assert(shard_by_start(&sh, a, z, &o, &lo, &hi));
	for (size_t i = 0; i < sh.nrecs; i++)
		inside += sh.recs[i].started_us >= a && sh.recs[i].started_us <= z;
	ck_assert_uint_eq(hi - lo, inside);
	ck_assert_uint_gt(inside, 0);
	for (size_t k = lo; k < hi; k++)
		ck_assert(sh.recs[o[k]].started_us >= a && sh.recs[o[k]].started_us <= z);
	shard_close(&sh);
	/* After a reboot (another boot id in ids.tab), while a writer holds the workspace lock,
	 * gets scan the days: through the sealed id tables, with the same answers. */
	put_u64("ids.tab", STORE_TAB_BOOT_AT, 12345);
	int held = hold_ws_lock();
	char *now = snapshot();
	ck_assert_str_eq(before, now);
	free(now);
	ck_assert_uint_eq(get_u64("ids.tab", STORE_TAB_BOOT_AT), 12345);
	close(held);
	same_as(before);
	/* Nothing new: a second seal leaves the files as they are. */
	seal_all(&in);
	ck_assert_uint_eq(in, 0);
	free(before);
}
END_TEST

START_TEST(test_seal_late_spans)
{
	seal_fixture();
	uint64_t in;
	seal_all(&in);
	/* A late span for a sealed day, and a new version of a sealed span. */
	struct span late[2] = {mk("late-1", T0 + 77), mk("span-3", T0 + 2 * DAY + 1)};
	late[1].name = "third";
	append(late, 2);
	ck_assert_int_gt(fsize("2023-11-14.late.jsonl"), 0);
	char *x = get("late-1");
	ck_assert_ptr_nonnull(x);
	free(x);
	x = get("span-3");
	ck_assert_ptr_nonnull(strstr(x, "\"name\":\"third\""));
	free(x);
	ck_assert_int_eq(verify(), 0);
	char *before = snapshot();
	/* Sealing again folds the late lines into the sealed file. */
	seal_all(&in);
	ck_assert_int_gt(in, 0);
	ck_assert_int_eq(fsize("2023-11-14.late.jsonl"), -1);
	same_as(before);
	free(before);
}
END_TEST

static void sh_ok(const char *fmt)
{
	char cmd[4 * PATH_MAX];
	snprintf(cmd, sizeof(cmd), fmt, root, root, root, root);
	ck_assert_msg(system(cmd) == 0, "%s", cmd);
}

/* The states a killed seal can leave, made by hand: each must read like the old or the new
 * shard, verify clean, and be tidied by the next seal. */
START_TEST(test_seal_interrupted)
{
	seal_fixture();
	char *before = snapshot();
	sh_ok("mkdir %s/old && cp -p %s/ws1/2023-11-14.* %s/old/ && true %s");
	uint64_t in;
	seal_all(&in);
	/* 1. Renamed into place, header not rewritten: the old files are the shard. */
	sh_ok("cp -p %s/old/* %s/ws1/ && echo junk > %s/ws1/2023-11-14.jsonl.zst.tmp && true %s");
	same_as(before);
	/* 2. Header rewritten, plain lines not yet removed: the sealed file is the shard. */
	seal_all(&in);
	ck_assert_int_eq(fsize("2023-11-14.jsonl.zst.tmp"), -1);
	sh_ok("cp -p %s/old/2023-11-14.jsonl %s/ws1/ && true %s %s");
	same_as(before);
	seal_all(&in);
	ck_assert_int_eq(fsize("2023-11-14.jsonl"), -1);
	/* 3. A re-seal that stopped before removing the late lines it folded in: the next
	 * writer cuts them, and its own late line is found. */
	struct span late = mk("late-1", T0 + 3);
	append(&late, 1);
	sh_ok("cp -p %s/ws1/2023-11-14.late.jsonl %s/old/late && true %s %s");
	seal_all(&in);
	sh_ok("cp -p %s/old/late %s/ws1/2023-11-14.late.jsonl && true %s %s");
	ck_assert_int_eq(verify(), 0);
	struct span late2 = mk("late-2", T0 + 4);
	append(&late2, 1);
	char *x = get("late-2");
	ck_assert_ptr_nonnull(x);
	free(x);
	x = get("late-1");
	ck_assert_ptr_nonnull(x);
	free(x);
	ck_assert_int_eq(verify(), 0);
	free(before);
}
END_TEST

/* A re-seal SIGKILLed between renaming its sealed file into place and rewriting the header
 * (admin_kill.test.mjs): the new sealed file holds the late lines too, in the block the old
 * extent ends in, while the header still names the old extent and the late file. A reindex
 * then must index the sealed file only up to that extent, and the late lines after it. */
START_TEST(test_seal_killed_then_reindex)
{
	seal_fixture();
	uint64_t in;
	seal_all(&in);
	struct span late[2] = {mk("late-1", T0 + 3), mk("late-2", T0 + 4)};
	append(late, 2);
	char *before = snapshot();
	/* The re-seal folds the late lines into one block with the sealed ones; then the old
	 * header and late file come back, as if it had stopped before its commit. */
	sh_ok("mkdir %s/old && cp -p %s/ws1/2023-11-14.idx %s/ws1/2023-11-14.late.jsonl %s/old/");
	seal_all(&in);
	sh_ok("cp -p %s/old/* %s/ws1/ && true %s %s");
	ck_assert_int_eq(verify(), 0);
	same_as(before);
	struct err e = {ST_OK, ""};
	ck_assert_msg(store_reindex(&st, "ws1", NULL, NULL, NULL, NULL, &e) == ST_OK, "%s",
		      err_text(&e));
	ck_assert_int_eq(verify(), 0);
	same_as(before);
	struct span late3 = mk("late-3", T0 + 5);
	append(&late3, 1);
	ck_assert_int_eq(verify(), 0);
	char *x = get("late-3");
	ck_assert_ptr_nonnull(x);
	free(x);
	x = get("late-1");
	ck_assert_ptr_nonnull(x);
	free(x);
	free(before);
}
END_TEST

START_TEST(test_seal_reindex)
{
	seal_fixture();
	uint64_t in;
	seal_all(&in);
	struct span late = mk("late-1", T0 + 3);
	append(&late, 1);
	char *before = snapshot();
	/* The index from the sealed and late lines alone equals the one the writers kept. */
	sh_ok("mkdir %s/orig && cp %s/ws1/*.idx %s/orig/ && rm %s/ws1/2023-11-14.idx");
	struct err e = {ST_OK, ""};
	ck_assert_msg(store_reindex(&st, "ws1", NULL, NULL, NULL, NULL, &e) == ST_OK, "%s",
		      err_text(&e));
	sh_ok("for f in %s/orig/*.idx; do g=%s/ws1/$(basename $f); cmp -n 48 $f $g && cmp -i 64 $f "
	      "$g "
	      "|| exit 1; done; true %s %s");
	same_as(before);
	free(before);
}
END_TEST

START_TEST(test_seal_verify_finds_damage)
{
	seal_fixture();
	uint64_t in;
	seal_all(&in);
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/ws1/2023-11-15.jsonl.zst", root);
	int fd = open(p, O_RDWR);
	char c;
	ck_assert_int_eq(pread(fd, &c, 1, 100), 1);
	c ^= 0x55;
	ck_assert_int_eq(pwrite(fd, &c, 1, 100), 1);
	close(fd);
	ck_assert_int_ge(verify(), 1);
	/* A reader gets an error for a line of the damaged block, never a wrong line. */
	struct shard sh;
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(shard_open(&st, "ws1", time_day(T0) + 1, &sh), ST_OK);
	ck_assert_int_eq(shard_line(&sh, 0, &b), ST_UNAVAILABLE);
	shard_close(&sh);
	buf_free(&b);
}
END_TEST

/* A backup whose workspace folder takes PATH_MAX - 1 bytes, so that a file in it cannot be
 * named: a clean error that names the folder. (A path that would not fit must leave the buffer
 * it was built in terminated: the error prints it. Under the sanitizers, a read past its end
 * fails this test.) */
START_TEST(test_backup_path_too_long)
{
	struct span s = mk("s1", T0);
	append(&s, 1);
	char dest[PATH_MAX];
	size_t n = (size_t)snprintf(dest, sizeof dest, "%s/b", root);
	ck_assert_int_eq(mkdir(dest, 0755), 0);
	/* DEST/.tmp-<16-byte generation>/ws1 is PATH_MAX - 1 bytes: folders of 'd' up to that. */
	const size_t want = PATH_MAX - 1 - strlen("/.tmp-") - 16 - strlen("/ws1");
	while (n < want) {
		size_t k = want - n - 1 > 200 ? 200 : want - n - 1;
		if (want - n - 1 - k == 1) /* leave no single byte: a folder needs two */
			k--;
		dest[n++] = '/';
		memset(dest + n, 'd', k);
		n += k;
		dest[n] = 0;
		ck_assert_int_eq(mkdir(dest, 0755), 0);
	}
	ck_assert_uint_eq(strlen(dest), want);
	struct ops_backup_stats stats;
	struct err e = {ST_OK, ""};
	ck_assert_int_eq(ops_backup(&st, dest, NULL, &stats, NULL, &e), ST_UNAVAILABLE);
	ck_assert_msg(strlen(e.msg) > 256 && !strncmp(e.msg, dest, 256),
		      "the error names the folder: %s", e.msg);
}
END_TEST

/* ---- retention rules (rules.c) ---- */

static enum status rules_add(void *ctx, struct arena *a, struct store_rules *r, struct err *e)
{
	const struct store_rule *add = ctx;
	(void)e;
	struct store_rule *v = arena_alloc(a, (r->n + 1) * sizeof *v);
	if (r->n)
		memcpy(v, r->v, r->n * sizeof *v);
	v[r->n++] = *add;
	r->v = v;
	return ST_OK;
}

static enum status rules_refuse(void *ctx, struct arena *a, struct store_rules *r, struct err *e)
{
	(void)ctx, (void)a;
	r->n = 0; /* dropped, were it written */
	return err_set(e, ST_BAD_REQUEST, "no");
}

/* Rules written and read back whole, none for a workspace without a file, a refused change
 * writing nothing, and a damaged file refused (retain then leaves the workspace alone). */
START_TEST(test_rules_roundtrip)
{
	struct store_rules r;
	struct err e = {ST_OK, ""};
	ck_assert_int_eq(store_rules_read(&st, "ws1", A, &r, &e), ST_OK);
	ck_assert_uint_eq(r.n, 0);
	struct store_rule a = {"r1", NULL, STORE_RULE_WORKSPACE, 60, true, true, "k1", "k1",
			       T0,   T0};
	struct store_rule b = {
	    "r2",   "p-1", STORE_RULE_PROJECT, STORE_RULE_FOREVER, false, false, NULL, NULL,
	    T0 + 1, T0 + 2};
	ck_assert_int_eq(store_rules_update(&st, "ws1", A, rules_add, &a, &e), ST_OK);
	ck_assert_int_eq(store_rules_update(&st, "ws1", A, rules_add, &b, &e), ST_OK);
	ck_assert_int_eq(store_rules_update(&st, "ws1", A, rules_refuse, NULL, &e), ST_BAD_REQUEST);
	ck_assert_int_eq(store_rules_read(&st, "ws1", A, &r, &e), ST_OK);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_str_eq(r.v[0].id, "r1");
	ck_assert_ptr_null(r.v[0].project_id);
	ck_assert_int_eq(r.v[0].level, STORE_RULE_WORKSPACE);
	ck_assert_int_eq(r.v[0].days, 60);
	ck_assert(r.v[0].apply_to_past && r.v[0].enabled);
	ck_assert_str_eq(r.v[0].created_by, "k1");
	ck_assert_int_eq(r.v[0].created_at, T0);
	ck_assert_str_eq(r.v[1].project_id, "p-1");
	ck_assert_int_eq(r.v[1].days, STORE_RULE_FOREVER);
	ck_assert(!r.v[1].apply_to_past && !r.v[1].enabled);
	ck_assert_ptr_null(r.v[1].updated_by);
	ck_assert_int_eq(r.v[1].updated_at, T0 + 2);
	ck_assert_int_eq(store_rules_read(&st, "ws2", A, &r, &e), ST_OK);
	ck_assert_uint_eq(r.n, 0);

	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/ws1/retention.json", root);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"rules\":[{\"id\":\"r1\",\"level\":\"galaxy\"}]}\n", f);
	fclose(f);
	ck_assert_int_eq(store_rules_read(&st, "ws1", A, &r, &e), ST_UNAVAILABLE);
	ck_assert_msg(strstr(e.msg, "damaged"), "%s", e.msg);
}
END_TEST

/* A workspace's rules go into its backup and come back with a restore (issue 30: without
 * them the next retain --days drops the days they keep); a restore --force over a workspace
 * puts back the rules the backup holds. */
START_TEST(test_rules_backup)
{
	struct span s = mk("s1", T0);
	append(&s, 1);
	struct store_rule a = {"r1", NULL, STORE_RULE_WORKSPACE, 400, true, true, NULL, NULL,
			       T0,   T0};
	struct err e = {ST_OK, ""};
	ck_assert_int_eq(store_rules_update(&st, "ws1", A, rules_add, &a, &e), ST_OK);
	char dest[PATH_MAX], fresh[PATH_MAX];
	snprintf(dest, sizeof dest, "%s/backups", root);
	snprintf(fresh, sizeof fresh, "%s/fresh", root);
	struct ops_backup_stats bs;
	ck_assert_msg(ops_backup(&st, dest, NULL, &bs, NULL, &e) == ST_OK, "%s", err_text(&e));
	struct store fst;
	store_init(&fst, fresh, false);
	struct ops_restored r;
	ck_assert_msg(ops_restore(dest, &fst, false, NULL, &r, &e) == ST_OK, "%s", err_text(&e));
	ops_restored_free(&r);
	struct store_rules got;
	ck_assert_int_eq(store_rules_read(&fst, "ws1", A, &got, &e), ST_OK);
	ck_assert_uint_eq(got.n, 1);
	ck_assert_str_eq(got.v[0].id, "r1");
	ck_assert_int_eq(got.v[0].days, 400);
	/* Over a workspace whose rules changed since: the backup's come back. */
	struct store_rule b = {"r2", NULL, STORE_RULE_WORKSPACE, 30, true, true, NULL, NULL,
			       T0,   T0};
	ck_assert_int_eq(store_rules_update(&fst, "ws1", A, rules_add, &b, &e), ST_OK);
	ck_assert_msg(ops_restore(dest, &fst, true, NULL, &r, &e) == ST_OK, "%s", err_text(&e));
	ops_restored_free(&r);
	ck_assert_int_eq(store_rules_read(&fst, "ws1", A, &got, &e), ST_OK);
	ck_assert_uint_eq(got.n, 1);
	/* A generation whose rules file is not the size its MANIFEST records is refused. */
	char gen[2 * PATH_MAX];
	snprintf(gen, sizeof gen, "%s/%s/ws1/retention.json", dest, bs.gen);
	FILE *f = fopen(gen, "a");
	ck_assert_ptr_nonnull(f);
	fputs(" ", f);
	fclose(f);
	ck_assert_int_eq(ops_restore(dest, &fst, true, NULL, &r, &e), ST_INVALID);
	ck_assert_msg(strstr(e.msg, "retention.json"), "%s", e.msg);
	ops_restored_free(&r);
}
END_TEST

/* The first day retain keeps: the operator's, or earlier for a longer enabled rule. */
START_TEST(test_rules_cutoff)
{
	struct store_rule v[3] = {
	    {"a", NULL, STORE_RULE_WORKSPACE, 14, true, true, NULL, NULL, 0, 0},
	    {"b", "p", STORE_RULE_PROJECT, 400, true, false, NULL, NULL, 0, 0},
	    {"c", "q", STORE_RULE_PROJECT, 60, false, true, NULL, NULL, 0, 0},
	};
	struct store_rules r = {v, 0};
	ck_assert_int_eq(store_rules_cutoff(&r, 1000, 910), 910); /* none: --days */
	r.n = 1;
	ck_assert_int_eq(store_rules_cutoff(&r, 1000, 910), 910); /* shorter: --days */
	r.n = 3;
	ck_assert_int_eq(store_rules_cutoff(&r, 1000, 910), 910); /* 60 days < --days 90 */
	ck_assert_int_eq(store_rules_cutoff(&r, 1000, 999), 940); /* the 60 days; b is disabled */
	v[1].enabled = true;
	ck_assert_int_eq(store_rules_cutoff(&r, 1000, 999), 600);
	v[0].days = STORE_RULE_FOREVER;
	ck_assert_int_eq(store_rules_cutoff(&r, 1000, 999), INT32_MIN);
}
END_TEST

/* A day that retain removed and late spans made again: an id table slot of the removed day
 * names a record of the new one, which is another span's. A span re-sent from that slot must
 * not mark the record it now names superseded (it hid D from every list). */
START_TEST(test_retain_day_made_again)
{
	struct span s[2] = {mk("A", T0), mk("B", T0 + 1000)};
	append(s, 2);
	struct ops_retention r = {.cutoff_day = time_day(T0) + 1, .recent_us = INT64_MAX};
	struct ops_retained out;
	struct err e = {0};
	ck_assert_int_eq(ops_retain(&st, "ws1", &r, &out, &e), ST_OK);
	ck_assert_uint_eq(out.removed, 1);
	struct span late[2] = {mk("C", T0), mk("D", T0 + 1000)};
	append(late, 2);
	struct span again = mk("B", T0 + DAY);
	append(&again, 1);
	ck_assert_uint_eq(verify(), 0);
	ck_assert_uint_eq(storefix_live(&st), 3);
	char *d = get("D");
	ck_assert_ptr_nonnull(d);
	free(d);
	ck_assert_ptr_null(get("A"));
}
END_TEST

/* ---- the commit order (commits.c) and the forwarder's files (forward.c) ---- */

/* The ids of ws1's versions after after (at most max), in the order store_commits_open gives,
 * joined by spaces; a superseded one marked with a '*'. */
static void commits_of(int64_t after, size_t max, char *out, size_t cap, struct store_commits *c)
{
	ck_assert_int_eq(store_commits_open(&st, "ws1", after, max, c), ST_OK);
	out[0] = '\0';
	for (size_t i = 0; i < c->n; i++) {
		const char *p, *v;
		size_t n;
		ck_assert(store_commits_line(c, i, &p, &n));
		v = strstr(p, "\"span_id\":\"") + 11;
		snprintf(out + strlen(out), cap - strlen(out), "%s%.*s%s", i ? " " : "",
			 (int)(strchr(v, '"') - v), v, (c->v[i].flags & REC_SUPERSEDED) ? "*" : "");
		if (i)
			ck_assert_int_gt(c->v[i].ingested_us, c->v[i - 1].ingested_us);
	}
}

START_TEST(test_commits_order)
{
	struct span one[3] = {mk("a", T0), mk("b", T0 + 2 * DAY), mk("c", T0 + DAY)};
	append(one, 3);
	struct span two[2] = {mk("b", T0 + 2 * DAY + 5), mk("d", T0)};
	append(two, 2);
	struct store_commits c;
	char ids[256];
	/* Every day's records, merged in the order of their commits, whatever their days. */
	commits_of(0, 10, ids, sizeof ids, &c);
	ck_assert_str_eq(ids, "a b* c b d");
	ck_assert_uint_eq(c.pending, 5);
	ck_assert(!c.more);
	int64_t second = c.v[1].ingested_us, first = c.v[0].ingested_us;
	store_commits_close(&c);
	commits_of(second, 10, ids, sizeof ids, &c);
	ck_assert_str_eq(ids, "c b d");
	store_commits_close(&c);
	/* A page of them: the oldest ones, what is left counted. */
	commits_of(0, 2, ids, sizeof ids, &c);
	ck_assert_str_eq(ids, "a b*");
	ck_assert(c.more);
	ck_assert_uint_eq(c.pending, 5);
	ck_assert_int_eq(c.oldest_us, first);
	store_commits_close(&c);
	/* Sealed days keep their records in the order written: the same answer. */
	uint64_t in;
	seal_all(&in);
	commits_of(0, 10, ids, sizeof ids, &c);
	ck_assert_str_eq(ids, "a b* c b d");
	int64_t last = c.v[4].ingested_us;
	store_commits_close(&c);
	commits_of(last, 10, ids, sizeof ids, &c);
	ck_assert_str_eq(ids, "");
	ck_assert_uint_eq(c.pending, 0);
	ck_assert_int_eq(c.oldest_us, 0);
	store_commits_close(&c);
	/* A workspace never written has nothing committed. */
	ck_assert_int_eq(store_commits_open(&st, "ws-none", 0, 10, &c), ST_OK);
	ck_assert_uint_eq(c.n + c.pending, 0);
	store_commits_close(&c);
}
END_TEST

START_TEST(test_forward_files)
{
	struct err e;
	int64_t at;
	ck_assert_int_eq(forward_cursor_read(root, "tempo", "ws1", &at, &e), ST_NOT_FOUND);
	ck_assert_int_eq(forward_cursor_write(root, "tempo", "ws1", 1234567, &e), ST_OK);
	ck_assert_int_eq(forward_cursor_read(root, "tempo", "ws1", &at, &e), ST_OK);
	ck_assert_int_eq(at, 1234567);
	/* Not one this wrote: refused, naming the file. */
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/" FORWARD_DIR "/tempo/ws1.cursor", root);
	FILE *f = fopen(p, "w");
	fputs("SPXFWD1 12x\n", f);
	fclose(f);
	ck_assert_int_eq(forward_cursor_read(root, "tempo", "ws1", &at, &e), ST_INVALID);
	ck_assert_ptr_nonnull(strstr(e.msg, "tempo/ws1.cursor"));
	struct forward_status s = {.endpoint = "tempo",
				   .checked_us = 5,
				   .pending = 7,
				   .oldest_us = 3,
				   .delivered = 100,
				   .rejected = 1,
				   .dropped = 2,
				   .error_us = 4,
				   .error = "ws1: HTTP 503: busy"};
	ck_assert_int_eq(forward_status_write(root, &s, &e), ST_OK);
	s.delivered = 9;
	snprintf(s.endpoint, sizeof s.endpoint, "archive");
	s.error[0] = '\0';
	ck_assert_int_eq(forward_status_write(root, &s, &e), ST_OK);
	struct forward_status *all;
	size_t n;
	forward_status_all(root, &all, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(all[0].endpoint, "archive");
	ck_assert_str_eq(all[1].endpoint, "tempo");
	ck_assert_uint_eq(all[1].delivered, 100);
	ck_assert_uint_eq(all[1].pending, 7);
	ck_assert_str_eq(all[1].error, "ws1: HTTP 503: busy");
	ck_assert_str_eq(all[0].error, "");
	free(all);
	ck_assert(!forward_name_valid("Tempo") && !forward_name_valid("-x") &&
		  !forward_name_valid("") && !forward_name_valid("lock") &&
		  forward_name_valid("otel_2-b"));
}
END_TEST

/* After a reboot, the tables of another boot: the first reader rebuilds them, as the first
 * writer would, so a get by id is not a scan of every day until the next write (issue 57);
 * while a writer holds the lock, the reader leaves them to it and scans. */
START_TEST(test_reboot_reader_rebuilds)
{
	struct span s[4] = {mk("a", T0), mk("b", T0 + DAY), mk("c", T0 + 2 * DAY),
			    mk("a", T0 + DAY)};
	s[3].name = "second";
	append(s, 3);
	append(s + 3, 1);
	static const char *const tabs[] = {"ids.tab", "traces.tab", "sessions.tab"};
	for (size_t i = 0; i < 3; i++)
		put_u64(tabs[i], STORE_TAB_BOOT_AT, 12345);
	int held = hold_ws_lock();
	char *x = get("a");
	ck_assert_ptr_nonnull(strstr(x, "\"name\":\"second\""));
	free(x);
	int32_t first, last;
	uint64_t trace = hash_bytes("trace-1", 7);
	ck_assert_int_eq(store_key_days(&st, "ws1", 0, STORE_KEY_TRACE, trace, &first, &last),
			 ST_UNAVAILABLE);
	for (size_t i = 0; i < 3; i++)
		ck_assert_uint_eq(get_u64(tabs[i], STORE_TAB_BOOT_AT), 12345);
	close(held);
	/* Tables of another user (root's export after the reboot): the reader, root here, would
	 * leave root's files the programs cannot write; it scans, and leaves them to their owner.
	 */
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/ws1/ids.tab", root);
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(p, 65534, 65534), 0);
		x = get("a");
		ck_assert_ptr_nonnull(strstr(x, "\"name\":\"second\""));
		free(x);
		ck_assert_uint_eq(get_u64("ids.tab", STORE_TAB_BOOT_AT), 12345);
		ck_assert_int_eq(chown(p, 0, 0), 0);
	}
	x = get("a");
	ck_assert_ptr_nonnull(strstr(x, "\"name\":\"second\""));
	free(x);
	for (size_t i = 0; i < 3; i++)
		ck_assert_uint_ne(get_u64(tabs[i], STORE_TAB_BOOT_AT), 12345);
	struct stat sb;
	ck_assert_int_eq(stat(p, &sb), 0);
	ck_assert_uint_eq(sb.st_uid, geteuid());
	ck_assert_int_eq(store_key_days(&st, "ws1", 0, STORE_KEY_TRACE, trace, &first, &last),
			 ST_OK);
	x = get("c");
	ck_assert_ptr_nonnull(x);
	free(x);
	ck_assert_int_eq(verify(), 0);
}
END_TEST

TCase *check_store_ops_tcase(void)
{
	TCase *tc = tcase_create("ops");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_seal_same_answers);
	tcase_add_test(tc, test_seal_late_spans);
	tcase_add_test(tc, test_seal_interrupted);
	tcase_add_test(tc, test_seal_killed_then_reindex);
	tcase_add_test(tc, test_seal_reindex);
	tcase_add_test(tc, test_seal_verify_finds_damage);
	tcase_add_test(tc, test_backup_path_too_long);
	tcase_add_test(tc, test_rules_roundtrip);
	tcase_add_test(tc, test_rules_backup);
	tcase_add_test(tc, test_rules_cutoff);
	tcase_add_test(tc, test_retain_day_made_again);
	tcase_add_test(tc, test_commits_order);
	tcase_add_test(tc, test_forward_files);
	tcase_add_test(tc, test_reboot_reader_rebuilds);
	return tc;
}
