/* spandex: the operator's command line over a data directory: its usage, the parsing of its
 * options, and the store commands (reindex, verify, index, stats); the jobs cron runs are in
 * src/jobs.c (their logic in lib/store/ops.c), the progress bars in src/progress.c. */
#include "src/cli.h"
#include "src/key.h"
#include "lib/auth/auth.h"
#include "lib/ingest/import.h"
#include "lib/store/ops.h"
#include "lib/store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/model/price.h"
#include "lib/model/workspace.h"
#include "src/commit.h"

static const char usage[] =
    "usage: spandex reindex DATA [--workspace W] [--prices FILE]\n"
    "                                  rebuild every index from the JSONL (and the costs)\n"
    "       spandex verify DATA [--workspace W]    check every index against its data\n"
    "       spandex stats DATA [--workspace W]     workspaces, days, spans and bytes\n"
    "       spandex index DATA [--workspace W]     build the text and field indexes\n"
    "       spandex seal DATA [--older-than N] [--workspace W]\n"
    "                                  compress the days before today minus N (default 1)\n"
    "       spandex retain DATA --days N [--archive DIR] [--workspace W]\n"
    "                                  remove (or move to DIR) the days older than N days\n"
    "       spandex backup DATA DEST         consistent, incremental snapshot in DEST/<time>/\n"
    "       spandex restore BACKUP DATA [--force]   put a backup back, then verify it\n"
    "       spandex export DATA --workspace W [--from T] [--to T] [--out FILE]\n"
    "                                  the live spans as JSONL (T: RFC 3339 or YYYY-MM-DD)\n"
    "       spandex import DATA --workspace W FILE...   JSONL spans, checked as ingest does\n"
    "       spandex key create|list|revoke DATA ...   API keys (spandex key --help)\n"
    "       spandex help [COMMAND] | COMMAND --help | --version\n"
    "index, seal, retain, backup, restore and import take DATA/.spandex-admin.lock: a second run "
    "fails at\n"
    "once unless --wait. --verbose prints a summary; otherwise only problems are printed.\n"
    "reindex, verify, index and seal show progress on a terminal (--progress: always,\n"
    "--no-progress: never; cron stays quiet). Exit status: 0 ok, 1 a problem was found or an "
    "operation\n"
    "failed, 2 usage.\n";
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

/* The workspaces a command covers: the one named, or all of them. */
int cli_workspaces(struct store *st, const char *only, char ***names, size_t *n)
{
	if (only && !workspace_valid(only)) {
		fprintf(stderr, "spandex: invalid workspace name '%s'\n", only);
		return -1;
	}
	if (store_workspaces(st, names, n) != ST_OK) {
		fprintf(stderr, "spandex: cannot list %s: %s\n", st->root, strerror(errno));
		return -1;
	}
	if (!only)
		return 0;
	/* A name typed wrong is said, not answered with an empty row and exit 0 (issue 31). */
	size_t k = 0;
	while (k < *n && strcmp((*names)[k], only))
		k++;
	bool found = k < *n;
	for (size_t i = 0; i < *n; i++)
		if (i != k)
			free((*names)[i]);
	if (!found) {
		free(*names);
		*names = NULL;
		*n = 0;
		fprintf(stderr, "spandex: %s has no workspace '%s'\n", st->root, only);
		return -1;
	}
	(*names)[0] = (*names)[k];
	*n = 1;
	return 0;
}

struct progress cli_progress_for(const struct opts *o)
{
	bool tty = isatty(STDERR_FILENO);
	return (struct progress){.show = (tty || o->progress) && !o->no_progress,
				 .tty = tty,
				 .label = "",
				 .began = time_now()};
}

void cli_free_names(char **ws, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ws[i]);
	free(ws);
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

/* The text and field index of day of ws, built when it does not cover the day's records; counts a
 * build into *built. 0, or 1 after saying what failed. */
int cli_index_day(struct store *st, const char *ws, int32_t day, size_t *built)
{
	bool b;
	size_t covered;
	enum status s = store_text_index(st, ws, day, &b, &covered);
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

bool cli_data_dir(const char *cmd, const char *p)
{
	struct stat sb;
	if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
		return true;
	fprintf(stderr, "spandex: %s%s%s is not a data directory\n", cmd ? cmd : "",
		cmd ? ": " : "", p);
	return false;
}

/* reindex, index, verify and stats: over one workspace or all of them (main has checked that
 * DATA is a directory). */
static int cmd_store(const char *cmd, struct opts *o)
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
/* Options: each command lists the ones it takes. */
enum {
	O_WORKSPACE = 1 << 0,
	O_DAYS = 1 << 1,
	O_ARCHIVE = 1 << 2,
	O_FROM = 1 << 3,
	O_TO = 1 << 4,
	O_OUT = 1 << 5,
	O_FORCE = 1 << 6,
	O_WAIT = 1 << 7,
	O_VERBOSE = 1 << 8,
	O_OLDER_THAN = 1 << 9,
	O_PROGRESS = 1 << 10,
	O_PRICES = 1 << 11,
};

static const struct {
	const char *name;
	unsigned bit;
	bool flag;  /* no value: sets a bool */
	size_t off; /* where it goes in struct opts */
} options[] = {
    {"--workspace", O_WORKSPACE, false, offsetof(struct opts, workspace)},
    {"--days", O_DAYS, false, offsetof(struct opts, days)},
    {"--archive", O_ARCHIVE, false, offsetof(struct opts, archive)},
    {"--from", O_FROM, false, offsetof(struct opts, from)},
    {"--to", O_TO, false, offsetof(struct opts, to)},
    {"--out", O_OUT, false, offsetof(struct opts, out)},
    {"--force", O_FORCE, true, offsetof(struct opts, force)},
    {"--wait", O_WAIT, true, offsetof(struct opts, wait)},
    {"--verbose", O_VERBOSE, true, offsetof(struct opts, verbose)},
    {"--older-than", O_OLDER_THAN, false, offsetof(struct opts, older_than)},
    {"--progress", O_PROGRESS, true, offsetof(struct opts, progress)},
    {"--no-progress", O_PROGRESS, true, offsetof(struct opts, no_progress)},
    {"--prices", O_PRICES, false, offsetof(struct opts, prices)},
};

#define ADMIN (O_WAIT | O_VERBOSE)
static const struct command {
	const char *name;
	size_t npos;	   /* positional arguments; import takes files after them */
	unsigned opts;	   /* options it accepts */
	unsigned required; /* options it needs */
	int lock_pos;	   /* the DATA argument whose admin lock it takes, or -1 */
	int (*run)(const char *cmd, struct opts *o);
	const char *help; /* spandex COMMAND --help */
} commands[] = {
    {"reindex", 1, O_WORKSPACE | O_VERBOSE | O_PROGRESS | O_PRICES, 0, -1, cmd_store,
     "usage: spandex reindex DATA [--workspace W] [--prices FILE] [--verbose] [--progress]\n"
     "Rebuilds every index of each workspace (or of W) from its JSONL alone: the day indexes, the\n"
     "id table and the superseded flags. A day whose data ends in bytes that are no complete\n"
     "span (a torn write, damage) has them cut: they are kept in <day>.quarantine beside it, and\n"
     "what was cut is said on stderr with the span ids still readable in it.\n"
     "--prices FILE  then prices again the spans whose costs were computed (or that have none)\n"
     "               from the table FILE (prices/prices.tsv format); sent costs stay, and\n"
     "               only spans whose cost changes get a new version.\n"
     "--verbose      a summary on stdout.\n"},
    {"verify", 1, O_WORKSPACE | O_VERBOSE | O_PROGRESS, 0, -1, cmd_store,
     "usage: spandex verify DATA [--workspace W] [--verbose] [--progress]\n"
     "Checks every index against its data and prints each problem; exit 1 when there is one.\n"
     "--verbose  says so on stdout when there is none.\n"},
    {"index", 1, O_WORKSPACE | O_PROGRESS | ADMIN, 0, 0, cmd_store,
     "usage: spandex index DATA [--workspace W] [--wait] [--verbose] [--progress]\n"
     "Builds the text and field index (<day>.tix) of every day whose index is missing, damaged\n"
     "or behind its spans, so that a free-text search reads only the lines that can hold its\n"
     "terms, and a filter on project, model, provider, agent, tool, prompt or name none.\n"
     "Spans stored after a day was indexed are read line by line until the next run: run it\n"
     "from cron (every few minutes); seal and reindex index the days they touch.\n"},
    {"stats", 1, O_WORKSPACE, 0, -1, cmd_store,
     "usage: spandex stats DATA [--workspace W]\n"
     "Per workspace: days, live spans, stored versions, data and index bytes.\n"},
    {"seal", 1, O_OLDER_THAN | O_WORKSPACE | O_PROGRESS | ADMIN, 0, 0, cmd_seal,
     "usage: spandex seal DATA [--older-than N] [--workspace W] [--wait] [--verbose] [--progress]\n"
     "Compresses the days before today minus N (default 1) into .jsonl.zst; readers see the\n"
     "same spans before, during and after. --verbose: bytes in and out, and the speed.\n"},
    {"retain", 1, O_DAYS | O_ARCHIVE | O_WORKSPACE | ADMIN, O_DAYS, 0, cmd_retain,
     "usage: spandex retain DATA --days N [--archive DIR] [--workspace W] [--wait] [--verbose]\n"
     "Removes the days older than N days (keeps today and the N before it), or moves them to\n"
     "DIR/<workspace>/ with --archive.\n"},
    {"backup", 2, ADMIN, 0, 0, cmd_backup,
     "usage: spandex backup DATA DEST [--wait] [--verbose]\n"
     "A consistent, incremental snapshot of DATA in DEST/<time>/ (unchanged files hard-linked\n"
     "to the previous snapshot), the API keys (DATA/.spandex-keys) with it, mode 0600. A run\n"
     "killed halfway leaves DEST/.tmp-<time>: the next backup removes it.\n"},
    {"restore", 2, O_FORCE | ADMIN, 0, 1, cmd_restore,
     "usage: spandex restore BACKUP DATA [--force] [--wait] [--verbose]\n"
     "Puts a snapshot back into DATA (which must be empty unless --force), then verifies it.\n"
     "Refused while programs serve DATA (stop them first) and for an unfinished DEST/.tmp-*.\n"
     "The backup's API keys come back when DATA has no key file; DATA's own are kept.\n"},
    /* Read-only: exports may overlap each other and any job. */
    {"export", 1, O_WORKSPACE | O_FROM | O_TO | O_OUT | O_VERBOSE, O_WORKSPACE, -1, cmd_export,
     "usage: spandex export DATA --workspace W [--from T] [--to T] [--out FILE] [--verbose]\n"
     "The live spans of W that start at or after --from and before --to as JSONL (T: RFC\n"
     "3339 or YYYY-MM-DD, midnight UTC), to stdout or FILE; --from must be before --to.\n"},
    {"import", 1, O_WORKSPACE | ADMIN, O_WORKSPACE, 0, cmd_import,
     "usage: spandex import DATA --workspace W FILE... [--wait] [--verbose]\n"
     "JSONL spans (an export) into W, each checked as direct ingest checks it; a file with a bad\n"
     "line imports nothing.\n"},
};

/* A command line c cannot take: the reason, then c's own usage (not every command's). */
static int usage_error(const struct command *c, const char *fmt, const char *arg)
{
	fprintf(stderr, "spandex: %s: ", c->name);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", c->help);
	return 2;
}

/* Parses the command line of c; -1 after printing its help (--help, -h anywhere). */
static int parse(const struct command *c, int argc, char **argv, struct opts *o)
{
	unsigned seen = 0;
	memset(o, 0, sizeof(*o));
	o->files = xmalloc((size_t)argc * sizeof(*o->files));
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(c->help, stdout);
			return -1;
		}
	for (int i = 2; i < argc; i++) {
		size_t k = 0, nopt = sizeof(options) / sizeof(*options);
		if (strncmp(argv[i], "--", 2)) {
			if (o->npos < c->npos)
				o->pos[o->npos++] = argv[i];
			else if (!strcmp(c->name, "import"))
				o->files[o->nfiles++] = argv[i];
			else
				return usage_error(c, "unexpected argument '%s'", argv[i]);
			continue;
		}
		while (k < nopt && strcmp(options[k].name, argv[i]))
			k++;
		if (k == nopt || !(c->opts & options[k].bit))
			return usage_error(c, "unknown option '%s' for this command", argv[i]);
		seen |= options[k].bit;
		char *field = (char *)o + options[k].off;
		if (options[k].flag)
			*(bool *)field = true;
		else if (i + 1 < argc)
			*(const char **)field = argv[++i];
		else
			return usage_error(c, "%s needs a value", argv[i]);
	}
	if (o->npos < c->npos)
		return usage_error(c, "%s", "too few arguments");
	if (!strcmp(c->name, "import") && !o->nfiles)
		return usage_error(c, "%s", "at least one FILE is needed");
	for (size_t k = 0; k < sizeof(options) / sizeof(*options); k++)
		if ((c->required & options[k].bit) && !(seen & options[k].bit))
			return usage_error(c, "this command needs %s", options[k].name);
	return 0;
}

static const struct command *command(const char *name)
{
	for (size_t i = 0; name && i < sizeof(commands) / sizeof(*commands); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const char *a1 = argc >= 2 ? argv[1] : NULL;
	if (a1 && !strcmp(a1, "key"))
		return key_main(argc, argv);
	if (a1 && (!strcmp(a1, "--version") || !strcmp(a1, "version"))) {
		printf("spandex %s (%s)\n", PACKAGE_VERSION, SPANDEX_COMMIT);
		return 0;
	}
	if (a1 && (!strcmp(a1, "help") || !strcmp(a1, "--help") || !strcmp(a1, "-h"))) {
		const struct command *h = command(argc >= 3 ? argv[2] : NULL);
		if (argc >= 3 && !strcmp(argv[2], "key"))
			return key_main(3, (char *[]){argv[0], "key", "--help", NULL});
		if (argc >= 3 && !h) {
			fprintf(stderr, "spandex: unknown command '%s'\n%s", argv[2], usage);
			return 2;
		}
		fputs(h ? h->help : usage, stdout);
		return 0;
	}
	const struct command *c = command(a1);
	if (!c) {
		if (a1)
			fprintf(stderr, "spandex: unknown command '%s'\n", a1);
		fputs(usage, stderr);
		return 2;
	}
	struct opts o;
	int rc = parse(c, argc, argv, &o);
	if (rc < 0)
		rc = 0; /* its help was asked for */
	if (rc || o.npos < c->npos)
		goto out;
	int lockfd = -1;
	bool made = false; /* restore made DATA: a refused one takes it away again */
	bool restore = !strcmp(c->name, "restore");
	/* restore may create DATA (its second argument); the others read an existing one. */
	if (!restore && !cli_data_dir(NULL, o.pos[0])) {
		rc = 1;
		goto out;
	}
	const char *data = c->lock_pos >= 0 ? o.pos[c->lock_pos] : NULL;
	if (data) {
		struct err e = {ST_OK, ""};
		if (restore) {
			if (mkdir(data, 0750) == 0)
				made = true;
			else if (errno != EEXIST) {
				fprintf(stderr, "spandex: %s: %s\n", data, strerror(errno));
				rc = 1;
				goto out;
			}
		}
		if ((lockfd = ops_lock(data, c->name, o.wait, &e)) < 0) {
			fprintf(stderr, "spandex: %s: %s\n", c->name, err_text(&e));
			rc = 1;
			goto out;
		}
	}
	rc = c->run(c->name, &o);
	if (lockfd >= 0)
		close(lockfd);
	if (rc && made) {
		char p[PATH_MAX];
		if (snprintf(p, sizeof p, "%s/%s", data, OPS_LOCK_NAME) < (int)sizeof p)
			unlink(p);
		rmdir(data); /* only when the refused restore left it empty */
	}
out:
	free(o.files);
	return rc;
}
