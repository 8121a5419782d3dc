/* check_power: power cuts at every step of a batch (issue 30, docs/FORMAT.md, "Crash
 * rules"). A writer runs under the fault shim (t/fault/fault.c, plog=), which records each
 * call that changes a file of the workspace and, at each fdatasync, the file as it then is.
 * The writer is killed before its Nth such call, or fails with EIO at it, or finishes; then
 * the files are rebuilt as a disk may hold them after the power went: each as at its last
 * sync, plus none, all, some or the first of the pages written after it (per file, by a
 * seed and the call), and the machine "boots" again (SPANDEX_TEST_BOOT_ID). The next writer
 * and verify must find the batch whole or absent: whole when it was answered OK, absent when
 * it was answered "not stored". With recovery walking back record by record instead of by
 * batch, a one-day batch's first lines survive a cut and this fails. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/store/store.h"
#include "t/storefix.h"

/* The fault shim linked in. */
void fault_arm(const char *spec);
unsigned fault_calls(void);

static char root[256];
static struct store st;
static struct arena *A;
static unsigned boots;

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/spandex-check-power-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	A = arena_new();
	/* The disk is rebuilt from what the shim records: the real syncs would only cost time. */
	fault_arm("nosync");
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (!getenv("SPANDEX_KEEP"))
		ck_assert_int_eq(system(cmd), 0);
	arena_free(A);
	unsetenv("SPANDEX_TEST_BOOT_ID");
}

/* A new boot of the machine: the boot id every later call sees. */
static void boot(void)
{
	char b[32];
	snprintf(b, sizeof b, "boot-%u", ++boots);
	setenv("SPANDEX_TEST_BOOT_ID", b, 1);
}

static const int64_t DAY = 86400000000ll;
static const int64_t T0 = 1700000000000000ll; /* 2023-11-14T22:13:20Z */

static struct span mk(const char *id, int64_t start, const char *name)
{
	struct span s = storefix_span(A, id, start, name);
	s.output_tokens = SPAN_NONE_I64;
	/* Lines of about 1.5 KB: a batch's lines take several pages, which a disk may keep some
	 * of. */
	static char text[1501];
	if (!text[0])
		for (int i = 0; i < 1500; i++)
			text[i] = "lorem ipsum dolor "[i % 18];
	s.input = text;
	return s;
}

/* ---- the disk after a power cut ---- */

/* A record of the shim's plog (t/fault/fault.c). */
struct plog_rec {
	char type, pad[3];
	uint32_t plen;
	uint64_t off, len;
};

/* The unit a disk writes whole. */
#define PAGE 4096

/* A file being rebuilt: its bytes now, and the writes after its last sync. */
struct pfile {
	char name[64];
	struct buf now;
	struct plog_op {
		char type;
		uint64_t off, len;
		const char *p;
	} * ops;
	size_t nops;
};

static struct pfile *pfile_of(struct pfile *f, size_t *n, const char *path, const char *base)
{
	const char *name = strrchr(path, '/') + 1;
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(f[i].name, name))
			return &f[i];
	struct pfile *p = &f[(*n)++];
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "%s", name);
	buf_init(&p->now);
	/* As the disk held it when the recording began (every file synced then), or empty. */
	char bp[PATH_MAX];
	snprintf(bp, sizeof bp, "%s/%s", base, name);
	FILE *in = fopen(bp, "rb");
	if (in) {
		char chunk[65536];
		size_t k;
		while ((k = fread(chunk, 1, sizeof chunk, in)) > 0)
			buf_add(&p->now, chunk, k);
		fclose(in);
	}
	return p;
}

static void apply(struct buf *b, const struct plog_op *o)
{
	if (o->type == 'T') {
		while (b->len < o->off)
			buf_addc(b, 0);
		b->len = o->off;
		return;
	}
	while (b->len < o->off + o->len)
		buf_addc(b, 0);
	memcpy(b->p + o->off, o->p, o->len);
}

/* Whether write k of the n after file's last sync reaches the disk, for seed: seed 0 loses
 * every unsynced write, seed 1 keeps them all; others choose per file none, all, each at
 * random, or the first of them (a disk that wrote the file in order and stopped). */
static bool kept(unsigned seed, const char *file, size_t k, size_t n)
{
	if (seed < 2)
		return seed == 1;
	uint64_t h = hash_bytes(file, strlen(file)) ^ (seed * 0x9e3779b97f4a7c15ull);
	uint64_t r = hash_bytes(&h, sizeof h);
	switch (h % 4) {
	case 0:
		return false;
	case 1:
		return true;
	case 2:
		return (r ^ (k * 0xff51afd7ed558ccdull)) >> 7 & 1;
	default:
		return k < r % (n + 1);
	}
}

/* Rebuilds the files of dir from base (a copy taken when the recording began) and plog, as
 * the disk holds them after the power went (see kept). Each is written aside and renamed, a
 * new file as after a reboot. */
static void power_cut(const char *dir, const char *base, const char *plog, unsigned seed)
{
	struct buf log;
	buf_init(&log);
	FILE *in = fopen(plog, "rb");
	if (in) {
		char chunk[65536];
		size_t k;
		while ((k = fread(chunk, 1, sizeof chunk, in)) > 0)
			buf_add(&log, chunk, k);
		fclose(in);
	}
	struct pfile f[64];
	size_t nf = 0;
	for (size_t at = 0; at + sizeof(struct plog_rec) <= log.len;) {
		struct plog_rec r;
		memcpy(&r, log.p + at, sizeof r);
		char path[PATH_MAX];
		memcpy(path, log.p + at + sizeof r, r.plen);
		path[r.plen] = 0;
		const char *data = log.p + at + sizeof r + r.plen;
		at += sizeof r + r.plen + r.len;
		ck_assert_uint_lt(nf, 63);
		struct pfile *p = pfile_of(f, &nf, path, base);
		if (r.type == 'S') {
			p->now.len = 0;
			buf_add(&p->now, data, r.len);
			p->nops = 0;
			continue;
		}
		/* A write reaches the disk page by page: each page of it is a write of its own. */
		for (uint64_t o = r.off, end = r.off + r.len; r.type == 'T' || o < end;) {
			uint64_t next = r.type == 'T' ? o : (o / PAGE + 1) * PAGE;
			if (next > end)
				next = end;
			p->ops = realloc(p->ops, (p->nops + 1) * sizeof *p->ops);
			p->ops[p->nops++] =
			    (struct plog_op){r.type, o, next - o, data + (o - r.off)};
			if (r.type == 'T')
				break;
			o = next;
		}
	}
	for (size_t i = 0; i < nf; i++) {
		for (size_t k = 0; k < f[i].nops; k++)
			if (kept(seed, f[i].name, k, f[i].nops))
				apply(&f[i].now, &f[i].ops[k]);
		char p[PATH_MAX], t[PATH_MAX + 8];
		snprintf(p, sizeof p, "%s/%s", dir, f[i].name);
		snprintf(t, sizeof t, "%s.cut", p);
		FILE *out = fopen(t, "wb");
		ck_assert_ptr_nonnull(out);
		ck_assert_uint_eq(fwrite(f[i].now.p ? f[i].now.p : "", 1, f[i].now.len, out),
				  f[i].now.len);
		fclose(out);
		ck_assert_int_eq(rename(t, p), 0);
		buf_free(&f[i].now);
		free(f[i].ops);
	}
	buf_free(&log);
}

/* ---- the batch ---- */

/* Six spans stored, then batch B: their new versions and four new ids, over three days or
 * one (then every version is in one shard: the batch touches one). */
static const char *const B_IDS[] = {"r0", "r1", "r2", "r3", "r4", "r5", "n0", "n1", "n2", "n3"};

static void batch_b(struct span *b, int days)
{
	for (int i = 0; i < 10; i++)
		b[i] = mk(B_IDS[i], T0 + ((i + 1) % days) * DAY, "v2");
}

/* The store of case name under its own root, holding the six spans over days days, synced;
 * base: a copy of its workspace (the disk then). */
static void fresh_case(const char *name, int days, char *dir, char *base)
{
	char p[400];
	snprintf(p, sizeof(p), "%s/%s", root, name);
	ck_assert_int_eq(mkdir(p, 0750), 0);
	boot();
	store_init(&st, arena_strdup(A, p), true);
	struct span s[6];
	for (int i = 0; i < 6; i++)
		s[i] = mk(B_IDS[i], T0 + (i % days) * DAY, "v1");
	storefix_append(&st, s, 6);
	snprintf(dir, PATH_MAX, "%s/ws1", p);
	snprintf(base, PATH_MAX, "%s/base", p);
	char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", dir, base);
	ck_assert_int_eq(system(cmd), 0);
}

/* How the writer of batch B ended. */
enum outcome { STORED, NOT_STORED, UNKNOWN, KILLED };

/* Writes batch B in a child under the shim armed with spec (recording into plog): how it
 * ended. */
static enum outcome write_b(int days, const char *spec, const char *plog)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct span b[10];
		batch_b(b, days);
		char armed[PATH_MAX + 128];
		snprintf(armed, sizeof armed, "nosync,count=/ws1/,plog=%s%s%s", plog,
			 *spec ? "," : "", spec);
		fault_arm(armed);
		struct err e = {ST_OK, ""};
		enum status rc = store_append(&st, "ws1", b, 10, &e);
		_exit(rc == ST_OK ? 0 : strstr(err_text(&e), "outcome is unknown") ? 2 : 1);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		return KILLED;
	ck_assert_msg(WIFEXITED(status), "status %d", status);
	return WEXITSTATUS(status) == 0 ? STORED : WEXITSTATUS(status) == 1 ? NOT_STORED : UNKNOWN;
}

/* After the power cut and the boot: the next writer (another span), then what readers see
 * of batch B: whole or absent, whole when it was answered OK, absent when "not stored";
 * then verify. */
static void after_cut(const char *when, enum outcome o)
{
	struct span z = mk("z", T0, "z");
	struct err e = {ST_OK, ""};
	ck_assert_msg(store_append(&st, "ws1", &z, 1, &e) == ST_OK, "%s: the next writer: %s", when,
		      err_text(&e));
	int seen = -1;
	for (int i = 0; i < 10; i++) {
		char *line = storefix_get(&st, B_IDS[i]);
		int v = line && strstr(line, "\"name\":\"v2\"") ? 1 : 0;
		ck_assert_msg(line || i >= 6, "%s: %s lost", when, B_IDS[i]);
		ck_assert_msg(seen < 0 || v == seen, "%s: %s is %s, %s was %s", when, B_IDS[i],
			      v ? "new" : "old", B_IDS[0], seen ? "new" : "old");
		seen = v;
		free(line);
	}
	uint64_t live = storefix_live(&st) - 1;
	ck_assert_msg(live == (seen ? 10u : 6u), "%s: %llu list rows, %s batch", when,
		      (unsigned long long)live, seen ? "a whole" : "no");
	ck_assert_msg(o != STORED || seen, "%s: the batch answered OK is gone", when);
	ck_assert_msg(o != NOT_STORED || !seen, "%s: the batch answered \"not stored\" is back",
		      when);
	ck_assert_msg(store_verify(&st, "ws1", storefix_note, NULL, NULL, NULL) == 0, "%s: verify",
		      when);
}

/* The calls of batch B that change a file of ws1. */
static unsigned b_calls(int days)
{
	char dir[PATH_MAX], base[PATH_MAX], plog[PATH_MAX + 8], name[32];
	snprintf(name, sizeof name, "count-%d", days);
	fresh_case(name, days, dir, base);
	snprintf(plog, sizeof plog, "%s.plog", base);
	struct span b[10];
	batch_b(b, days);
	char spec[PATH_MAX + 32];
	snprintf(spec, sizeof spec, "nosync,count=/ws1/,plog=%s", plog);
	fault_arm(spec);
	storefix_append(&st, b, 10);
	unsigned n = fault_calls();
	fault_arm("nosync");
	fprintf(stderr, "batch B over %d day(s): %u calls that change a file\n", days, n);
	return n;
}

/* Seeds of the disk's choices per cut (kept). */
#define POWER_SEEDS 6

/* Every call k of batch B (and past the last: after it was answered), the writer killed
 * there, failing with EIO there, or torn there, moving 8 bytes of it and failing from then on
 * (fault: "kill-at", "eio-at" or "torn-at"), then the power cut for each seed. */
static void power_each_call(int days, const char *fault)
{
	unsigned n = b_calls(days);
	for (unsigned k = 1; k <= n + 1; k++)
		for (unsigned seed = 0; seed < POWER_SEEDS; seed++) {
			char dir[PATH_MAX], base[PATH_MAX], plog[PATH_MAX + 8], name[64], spec[64],
			    when[128];
			snprintf(name, sizeof name, "%d-%s-%u-%u", days, fault, k, seed);
			fresh_case(name, days, dir, base);
			snprintf(plog, sizeof plog, "%s.plog", base);
			snprintf(spec, sizeof spec, "%s=%u%s", fault, k,
				 strcmp(fault, "torn-at") ? "" : ",torn=8");
			enum outcome o = write_b(days, spec, plog);
			/* Past none (0) and all (1), the disk's choices differ per call too. */
			power_cut(dir, base, plog, seed < 2 ? seed : seed + 16 * k);
			boot();
			snprintf(when, sizeof when,
				 "%d-day batch, %s at call %u (%s), power cut with seed %u", days,
				 fault, k,
				 o == STORED	   ? "answered OK"
				 : o == NOT_STORED ? "answered not stored"
				 : o == UNKNOWN	   ? "answered outcome unknown"
						   : "killed",
				 seed);
			after_cut(when, o);
		}
}

START_TEST(test_power_one_day_killed)
{
	power_each_call(1, "kill-at");
}
END_TEST

START_TEST(test_power_one_day_eio)
{
	power_each_call(1, "eio-at");
}
END_TEST

START_TEST(test_power_days_killed)
{
	power_each_call(3, "kill-at");
}
END_TEST

START_TEST(test_power_days_eio)
{
	power_each_call(3, "eio-at");
}
END_TEST

/* Issue 55: a small write torn (8 bytes of a header or the journal's commit record moved,
 * every call after it failing), then the power cut. */
START_TEST(test_power_one_day_torn)
{
	power_each_call(1, "torn-at");
}
END_TEST

START_TEST(test_power_days_torn)
{
	power_each_call(3, "torn-at");
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("power");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_power_one_day_killed);
	tcase_add_test(tc, test_power_one_day_eio);
	tcase_add_test(tc, test_power_days_killed);
	tcase_add_test(tc, test_power_days_eio);
	tcase_add_test(tc, test_power_one_day_torn);
	tcase_add_test(tc, test_power_days_torn);
	suite_add_tcase(s, tc);
	return s;
}
