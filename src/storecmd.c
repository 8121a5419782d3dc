/* storecmd: the store commands (reindex, verify, index, stats) over one workspace or all of
 * them; their logic is in lib/store. */
#include "src/cli.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/model/price.h"

/* What reindex cut and kept (a damaged end of a day's data): always said, on stderr. */
static void note(void *ctx, const char *msg)
{
	if (ctx)
		progress_end(ctx);
	fprintf(stderr, "spandex: %s\n", msg);
}

static void report(void *ctx, const char *msg)
{
	if (ctx)
		progress_end(ctx);
	printf("%s\n", msg);
}

/* reindex --prices: the costs of ws priced again from the table, for the spans whose costs
 * were computed before or that have none (a cost the client sent is never touched). */
struct repricing {
	const struct prices *table;
	size_t changed;
};

static enum status reprice(void *ctx, struct arena *a, const char *id, const struct span *cur,
			   struct span *out, struct err *e)
{
	struct repricing *r = ctx;
	(void)a, (void)id, (void)e;
	if (!cur)
		return ST_OK;
	span_copy(out, cur);
	/* A table that gives the same costs and the same date writes nothing: a second run over
	 * an unchanged table leaves every span as it was. */
	if (prices_apply(r->table, out, true) && !prices_same(cur, out)) {
		r->changed++;
		return ST_OK;
	}
	span_clear(out);
	span_init(out); /* out->span_id NULL: no change */
	return ST_OK;
}

static int reprice_ws(struct store *st, const char *ws, const struct prices *table,
		      struct progress *pg, size_t *changed)
{
	int32_t *days;
	size_t nd, nid = 0;
	struct err e = {ST_OK, ""};
	struct repricing r = {table, 0};
	struct arena *a = arena_new();
	const char **ids = xmalloc(1000 * sizeof *ids);
	int rc = 0;
	if (store_days(st, ws, &days, &nd) != ST_OK) {
		fprintf(stderr, "spandex: reindex %s: cannot list its days\n", ws);
		free(ids);
		arena_free(a);
		return 1;
	}
	for (size_t d = 0; d < nd && !rc; d++) {
		struct shard sh;
		if (shard_open(st, ws, days[d], &sh) != ST_OK)
			continue;
		struct buf line;
		buf_init(&line);
		/* Live spans only; the merge decides which of them change. */
		for (size_t k = 0; k <= sh.nrecs && !rc; k++) {
			if (k < sh.nrecs) {
				const struct idx_rec *rec = &sh.recs[k];
				struct span s;
				json_t *root;
				line.len = 0;
				if ((rec->flags & REC_SUPERSEDED) ||
				    shard_line(&sh, k, &line) != ST_OK ||
				    !span_parse(line.p, line.len, &s, &root))
					continue;
				ids[nid++] = arena_strdup(a, s.span_id);
				span_clear(&s);
				json_decref(root);
			}
			if (nid == 1000 || (k == sh.nrecs && nid)) {
				if (store_update(st, ws, a, ids, nid, reprice, &r, &e) != ST_OK) {
					fprintf(stderr, "spandex: reindex %s --prices: %s\n", ws,
						err_text(&e));
					rc = 1;
				}
				nid = 0;
				arena_reset(a);
			}
		}
		buf_free(&line);
		shard_close(&sh);
		progress_days(pg, d + 1, nd);
	}
	*changed += r.changed;
	free(days);
	free(ids);
	arena_free(a);
	return rc;
}

/* Whether ws still has a shard of day. */
static bool day_listed(struct store *st, const char *ws, int32_t day)
{
	int32_t *days;
	size_t n;
	bool found = false;
	if (store_days(st, ws, &days, &n) != ST_OK)
		return true;
	for (size_t i = 0; i < n && !found; i++)
		found = days[i] == day;
	free(days);
	return found;
}

/* The text and field index of day of ws, built when it does not cover the day's records; counts a
 * build into *built. 0, or 1 after saying what failed. */
int cli_index_day(struct store *st, const char *ws, int32_t day, size_t *built)
{
	bool b;
	size_t covered;
	enum status s = store_text_index(st, ws, day, &b, &covered);
	/* A day gone since it was listed: retain removed it (reindex takes no admin lock). */
	if (s != ST_OK && s != ST_NOT_FOUND && errno == ENOENT && !day_listed(st, ws, day))
		return 0;
	if (s != ST_OK && s != ST_NOT_FOUND) {
		char d[11];
		time_day_format(day, d);
		fprintf(stderr, "spandex: index %s/%s: %s\n", ws, d, strerror(errno));
		return 1;
	}
	*built += b;
	return 0;
}

/* How many processes build a workspace's day indexes at once (spandex index, reindex): the
 * CPUs online, or SPANDEX_INDEX_JOBS, at most INDEX_MAX_JOBS and never more than the days.
 * The days are independent: each is written aside under its own temporary's lock and renamed
 * (store_text_index), so two builders never share a file. */
#define INDEX_MAX_JOBS 16

static size_t index_jobs(size_t nd)
{
	const char *v = getenv("SPANDEX_INDEX_JOBS");
	long j = v && *v ? strtol(v, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
	if (j < 1)
		j = 1;
	if (j > INDEX_MAX_JOBS)
		j = INDEX_MAX_JOBS;
	return (size_t)j < nd ? (size_t)j : nd;
}

/* What the builders of one workspace share: the next day to take, the days done and built. */
struct index_share {
	size_t next, done, built;
};

/* Builds days of dl[0, nd) taken one at a time from sh until none is left; 0, or 1 after a
 * failure was said. */
static int index_take(struct store *st, const char *ws, const int32_t *dl, size_t nd,
		      struct index_share *sh, struct progress *pg)
{
	int rc = 0;
	for (size_t d; (d = __atomic_fetch_add(&sh->next, 1, __ATOMIC_RELAXED)) < nd;) {
		size_t b = 0;
		rc |= cli_index_day(st, ws, dl[d], &b);
		__atomic_add_fetch(&sh->built, b, __ATOMIC_RELAXED);
		size_t done = __atomic_add_fetch(&sh->done, 1, __ATOMIC_RELAXED);
		if (pg)
			progress_days(pg, done, nd);
	}
	return rc;
}

/* index_day for every day of ws, index_jobs processes at once: this one and children forked
 * for the others (a fork that fails leaves its share to the rest). */
static int index_ws(struct store *st, const char *ws, struct progress *pg, size_t *built)
{
	int32_t *dl;
	size_t nd;
	int rc = 0;
	if (store_days(st, ws, &dl, &nd) != ST_OK) {
		fprintf(stderr, "spandex: index %s: cannot list its days: %s\n", ws,
			strerror(errno));
		return 1;
	}
	size_t jobs = index_jobs(nd);
	struct index_share local = {0}, *sh = &local;
	if (jobs > 1) {
		void *m = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			jobs = 1;
		else
			sh = memset(m, 0, sizeof(*sh));
	}
	pid_t kids[INDEX_MAX_JOBS];
	size_t nkids = 0;
	fflush(stdout);
	fflush(stderr);
	for (size_t j = 1; j < jobs; j++) {
		pid_t parent = getpid(), pid = fork();
		if (pid == 0) {
			/* Killed with the command: a builder left running would hold its admin
			 * lock (inherited) past it, and the next run would find it busy. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(1);
			_exit(index_take(st, ws, dl, nd, sh, NULL));
		}
		if (pid > 0)
			kids[nkids++] = pid;
	}
	rc |= index_take(st, ws, dl, nd, sh, pg);
	for (size_t k = 0; k < nkids; k++) {
		int status = 0;
		pid_t w;
		while ((w = waitpid(kids[k], &status, 0)) < 0 && errno == EINTR)
			;
		if (w < 0 || !WIFEXITED(status)) {
			/* Its day is left to the next run (what it wrote aside is a temporary). */
			fprintf(stderr, "spandex: index %s: a builder process ended abnormally\n",
				ws);
			rc = 1;
		} else if (WEXITSTATUS(status)) {
			rc = 1; /* it said what failed */
		}
	}
	if (pg)
		progress_days(pg, nd, nd);
	*built += sh->built;
	if (sh != &local)
		munmap(sh, sizeof(*sh));
	free(dl);
	return rc;
}

static int cmd_reindex(struct store *st, char **ws, size_t n, struct progress *pg,
		       const struct opts *o)
{
	int rc = 0;
	struct err e = {ST_OK, ""};
	const struct prices *table = NULL;
	size_t changed = 0;
	if (o->prices && !(table = prices_load(o->prices, &e))) {
		fprintf(stderr, "spandex: reindex --prices %s: %s\n", o->prices, err_text(&e));
		return 1;
	}
	/* One bar per step, each named (issue 31: two bars without a word between them). */
	char label[96];
	struct store jst;
	store_judgements(&jst, st);
	for (size_t i = 0; i < n; i++) {
		size_t built = 0;
		/* Its judgements first (no prices, no text index): the spans' bars come last. */
		if (store_has_judgements(st, ws[i])) {
			snprintf(label, sizeof label, "%s/%s", ws[i], STORE_JUDGEMENTS_DIR);
			progress_start(pg, label);
			if (store_reindex(&jst, ws[i], progress_cb, pg, note, pg, &e) != ST_OK) {
				fprintf(stderr, "spandex: reindex %s: %s\n", label, err_text(&e));
				rc = 1;
			}
		}
		snprintf(label, sizeof label, "%s (indexes)", ws[i]);
		progress_start(pg, label);
		if (store_reindex(st, ws[i], progress_cb, pg, note, pg, &e) != ST_OK) {
			fprintf(stderr, "spandex: reindex %s: %s\n", ws[i], err_text(&e));
			rc = 1;
			continue;
		}
		snprintf(label, sizeof label, "%s (prices)", ws[i]);
		progress_start(pg, label);
		if (table && reprice_ws(st, ws[i], table, pg, &changed)) {
			rc = 1;
			continue;
		}
		snprintf(label, sizeof label, "%s (text index)", ws[i]);
		progress_start(pg, label);
		rc |= index_ws(st, ws[i], pg, &built);
	}
	progress_end(pg);
	if (o->verbose)
		printf("reindex: %zu workspace%s%s%s", n, n == 1 ? "" : "s", progress_summary(pg),
		       table ? "" : "\n");
	if (o->verbose && table)
		printf(", %zu span%s priced again from %s (taken %s)\n", changed,
		       changed == 1 ? "" : "s", o->prices, table->taken);
	return rc;
}

int cmd_verify(struct store *st, char **ws, size_t n, struct progress *pg, const struct opts *o)
{
	size_t problems = 0;
	struct store jst;
	store_judgements(&jst, st);
	for (size_t i = 0; i < n; i++) {
		progress_start(pg, ws[i]);
		problems += store_verify(st, ws[i], report, pg, progress_cb, pg);
		if (store_has_judgements(st, ws[i]))
			problems += store_verify(&jst, ws[i], report, pg, progress_cb, pg);
	}
	progress_end(pg);
	if (problems)
		fprintf(stderr, "spandex: %zu problem%s found\n", problems,
			problems == 1 ? "" : "s");
	else if (o->verbose)
		printf("verify: %zu workspace%s, no problem found%s\n", n, n == 1 ? "" : "s",
		       progress_summary(pg));
	return problems ? 1 : 0;
}

static int cmd_index(struct store *st, char **ws, size_t n, struct progress *pg,
		     const struct opts *o)
{
	size_t built = 0;
	int rc = 0;
	int64_t t0 = time_now();
	for (size_t i = 0; i < n; i++) {
		progress_start(pg, ws[i]);
		rc |= index_ws(st, ws[i], pg, &built);
	}
	progress_end(pg);
	if (o->verbose)
		printf("index: %zu workspace%s, %zu day%s indexed in %.2f s\n", n,
		       n == 1 ? "" : "s", built, built == 1 ? "" : "s",
		       (double)(time_now() - t0) / 1e6);
	return rc;
}

static int cmd_stats(struct store *st, char **ws, size_t n)
{
	printf("%-32s %6s %12s %12s %14s %14s\n", "workspace", "days", "spans", "versions",
	       "data_bytes", "index_bytes");
	unsigned long long tspans = 0, tdata = 0, tidx = 0;
	struct store jst;
	store_judgements(&jst, st);
	for (size_t i = 0; i < n; i++) {
		struct store_stats s;
		if (store_stats(st, ws[i], &s) != ST_OK)
			return 1;
		printf("%-32s %6zu %12llu %12llu %14llu %14llu\n", ws[i], s.days,
		       (unsigned long long)s.spans, (unsigned long long)s.versions,
		       (unsigned long long)s.data_bytes, (unsigned long long)s.index_bytes);
		tspans += s.spans;
		tdata += s.data_bytes;
		tidx += s.index_bytes;
		/* Its judgements on a row of their own: counted as judgements, not spans. */
		if (store_has_judgements(st, ws[i]) && store_stats(&jst, ws[i], &s) == ST_OK) {
			char label[96];
			snprintf(label, sizeof label, "%s/%s", ws[i], STORE_JUDGEMENTS_DIR);
			printf("%-32s %6zu %12llu %12llu %14llu %14llu\n", label, s.days,
			       (unsigned long long)s.spans, (unsigned long long)s.versions,
			       (unsigned long long)s.data_bytes, (unsigned long long)s.index_bytes);
			tdata += s.data_bytes;
			tidx += s.index_bytes;
		}
	}
	printf("%-32s %6s %12llu %12s %14llu %14llu\n", "total", "", tspans, "", tdata, tidx);
	return 0;
}

/* reindex, index, verify and stats: over one workspace or all of them (main has checked that
 * DATA is a directory). */
int cmd_store(const char *cmd, struct opts *o)
{
	struct store st;
	store_init(&st, o->pos[0], true);
	char **ws = NULL;
	size_t n = 0;
	int rc;
	struct progress pg = cli_progress_for(o);
	if (cli_workspaces(&st, o->workspace, &ws, &n) < 0)
		return 1;
	if (!strcmp(cmd, "reindex"))
		rc = cmd_reindex(&st, ws, n, &pg, o);
	else if (!strcmp(cmd, "index"))
		rc = cmd_index(&st, ws, n, &pg, o);
	else if (!strcmp(cmd, "verify"))
		rc = cmd_verify(&st, ws, n, &pg, o);
	else
		rc = cmd_stats(&st, ws, n);
	cli_free_names(ws, n);
	return rc;
}
