/* jobs: the commands cron runs over a data directory (seal, retain, backup, restore, export,
 * import), split from src/spandex.c (issue 32); their logic is in lib/store/ops.c. Export is
 * src/export.c's. */
#include "src/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/auth/auth.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/ingest/import.h"
#include "lib/ingest/media.h"
#include "lib/store/ops.h"

/* A number of days for option opt: 0 or more. -1 (after a message) when it is not one. */
static long parse_days(const char *opt, const char *v)
{
	char *end;
	long days = strtol(v, &end, 10);
	if (!*v || *end || days < 0 || days > 1000000) {
		fprintf(stderr, "spandex: %s wants a number of days (0 or more), not '%s'\n", opt,
			v);
		return -1;
	}
	return days;
}

/* seal and retain: the store, the workspaces they cover, and the cutoff day: today (UTC)
 * minus the number of days option opt gives (v, or dflt when absent). 0, or an exit status. */
static int days_setup(struct opts *o, const char *opt, const char *v, long dflt, struct store *st,
		      char ***ws, size_t *n, int32_t *cutoff)
{
	long days = v ? parse_days(opt, v) : dflt;
	if (days < 0)
		return 2;
	store_init(st, o->pos[0], true);
	if (cli_workspaces(st, o->workspace, ws, n) < 0)
		return 1;
	*cutoff = time_day(time_now()) - (int32_t)days;
	return 0;
}

int cmd_seal(const char *cmd, struct opts *o)
{
	(void)cmd;
	struct err e = {ST_OK, ""};
	struct store st;
	char **ws = NULL;
	size_t n = 0;
	int32_t cutoff;
	/* Sealed: the days before today minus N; by default every day before yesterday, so
	 * late spans of the previous day still land in a plain file. */
	int rc = days_setup(o, "--older-than", o->older_than, 1, &st, &ws, &n, &cutoff);
	if (rc)
		return rc;
	st.seal_dict = o->dictionary;
	int64_t t0 = time_now();
	unsigned long long tin = 0, tout = 0;
	size_t sealed = 0, indexed = 0;
	struct progress pg = cli_progress_for(o);
	struct store jst;
	store_judgements(&jst, &st);
	/* Each workspace, then its judgements (i odd) when it has any. */
	for (size_t k = 0; k < 2 * n; k++) {
		size_t i = k / 2;
		struct store *sst = k % 2 ? &jst : &st;
		if (k % 2 && !store_has_judgements(&st, ws[i]))
			continue;
		progress_start(&pg, ws[i]);
		int32_t *dl;
		size_t nd;
		if (store_days(sst, ws[i], &dl, &nd) != ST_OK) {
			fprintf(stderr, "spandex: seal %s: cannot list its days: %s\n", ws[i],
				strerror(errno));
			rc = 1;
			continue;
		}
		size_t due = 0; /* the days to seal: the progress counts these, not every day */
		while (due < nd && dl[due] < cutoff)
			due++;
		for (size_t d = 0; d < due; d++) {
			uint64_t in, out;
			enum status s = store_seal(sst, ws[i], dl[d], &in, &out, &e);
			if (s != ST_OK && s != ST_NOT_FOUND) {
				fprintf(stderr, "spandex: seal %s: %s\n", ws[i], err_text(&e));
				rc = 1;
			}
			if (s == ST_OK && in) {
				sealed++;
				tin += in;
				tout += out;
			}
			/* Judgements are read without a text index. */
			if (s == ST_OK && sst == &st && cli_index_day(sst, ws[i], dl[d], &indexed))
				rc = 1;
			progress_days(&pg, d + 1, due);
		}
		free(dl);
	}
	progress_end(&pg);
	double secs = (double)(time_now() - t0) / 1e6;
	if (o->verbose)
		printf("seal: %zu day%s, %llu bytes into %llu (%.1fx) in %.2f s (%.1f MB/s)\n",
		       sealed, sealed == 1 ? "" : "s", tin, tout, tout ? (double)tin / tout : 0.0,
		       secs, secs > 0 ? (double)tin / 1e6 / secs : 0.0);
	cli_free_names(ws, n);
	return rc;
}

/* The first day retain keeps of ws: the operator's cutoff, or an earlier one its enabled
 * retention rules keep (store_rules_cutoff: a rule only lengthens what --days keeps). false
 * when the rules cannot be read: nothing of ws is removed then. */
static bool retain_cutoff(struct store *st, const char *ws, int32_t cutoff, bool verbose,
			  int32_t *out)
{
	struct err e = {ST_OK, ""};
	struct store_rules r;
	struct arena *a = arena_new();
	bool ok = store_rules_read(st, ws, a, &r, &e) == ST_OK;
	int32_t today = time_day(time_now());
	if (!ok)
		fprintf(stderr, "spandex: retain %s: its retention rules: %s; nothing removed\n",
			ws, err_text(&e));
	*out = ok ? store_rules_cutoff(&r, today, cutoff) : cutoff;
	if (ok && verbose && *out < cutoff) {
		if (*out == INT32_MIN)
			printf("retain: %s: a retention rule keeps every day\n", ws);
		else
			printf("retain: %s: retention rules keep %ld days\n", ws,
			       (long)(today - *out));
	}
	arena_free(a);
	return ok;
}

/* The store's own clock for retention: the newest ingested_at of every workspace's spans and
 * judgements (their id tables), or now when that is later or there is none. A host clock
 * ahead of it cannot age what was ingested before (issue 55, item 7). */
static int64_t retain_now(struct store *st, int64_t now)
{
	char **ws;
	size_t n;
	int64_t newest = 0;
	struct store jst;
	store_judgements(&jst, st);
	if (cli_workspaces(st, NULL, &ws, &n) < 0)
		return now;
	for (size_t i = 0; i < n; i++) {
		int64_t a = ops_ingested_last(st, ws[i]), b = ops_ingested_last(&jst, ws[i]);
		newest = a > newest ? a : newest;
		newest = b > newest ? b : newest;
	}
	cli_free_names(ws, n);
	return newest && newest < now ? newest : now;
}

/* Retains one workspace (its spans, then its judgements) by what keep and ref allow: the days
 * before keep, but those that hold a version ingested in as many days before ref (the store's
 * clock) as keep keeps before today. 0, or 1 after saying why. */
static int retain_ws(struct store *st, const char *ws, int32_t today, int32_t keep, int64_t ref,
		     struct opts *o)
{
	struct err e = {ST_OK, ""};
	struct store jst;
	store_judgements(&jst, st);
	/* A rule that keeps every day: nothing to remove, nothing to read. */
	if (keep == INT32_MIN)
		return 0;
	struct ops_retention r = {.cutoff_day = keep,
				  .recent_us =
				      ((int64_t)time_day(ref) - (today - keep)) * 86400000000LL,
				  .archive = o->archive};
	struct ops_retained sp = {0}, ju = {0};
	int rc = 0;
	if (ops_retain(st, ws, &r, &sp, &e) != ST_OK) {
		fprintf(stderr, "spandex: retain %s: %s\n", ws, err_text(&e));
		rc = 1;
	}
	/* Its judgements go with the days they were made on, unless their spans stay. */
	r.spans = st;
	if (store_has_judgements(st, ws) && ops_retain(&jst, ws, &r, &ju, &e) != ST_OK) {
		fprintf(stderr, "spandex: retain %s/%s: %s\n", ws, STORE_JUDGEMENTS_DIR,
			err_text(&e));
		rc = 1;
	}
	if (o->verbose && sp.removed)
		printf("retain: %s: %zu day%s %s\n", ws, sp.removed, sp.removed == 1 ? "" : "s",
		       o->archive ? "archived" : "removed");
	if (o->verbose && sp.kept_recent + ju.kept_recent)
		printf("retain: %s: %zu older day%s kept: %s spans or judgements ingested in the "
		       "kept days\n",
		       ws, sp.kept_recent + ju.kept_recent,
		       sp.kept_recent + ju.kept_recent == 1 ? "" : "s",
		       sp.kept_recent + ju.kept_recent == 1 ? "it holds" : "they hold");
	if (o->verbose && ju.kept_judged)
		printf("retain: %s: %zu older day%s of judgements kept with the spans they judge\n",
		       ws, ju.kept_judged, ju.kept_judged == 1 ? "" : "s");
	const struct ops_media_swept *m = &sp.media;
	if (o->verbose && m->removed + m->kept + m->young + m->leftovers)
		printf("retain: %s: media: %zu file%s no span references removed (%llu bytes), %zu "
		       "kept, %zu kept as written within the hour\n",
		       ws, m->removed, m->removed == 1 ? "" : "s",
		       (unsigned long long)m->bytes_removed, m->kept, m->young);
	return rc;
}

int cmd_retain(const char *cmd, struct opts *o)
{
	(void)cmd;
	struct store st;
	char **ws = NULL;
	size_t n = 0;
	int32_t cutoff;
	/* Kept: today and the N days before it (UTC), whatever the time of day cron runs; more
	 * where a workspace's retention rules keep more. */
	int rc = days_setup(o, "--days", o->days, 0, &st, &ws, &n, &cutoff);
	if (rc)
		return rc;
	int64_t now = time_now(), ref = retain_now(&st, now);
	int32_t today = time_day(now);
	if (o->verbose && time_day(ref) < today) {
		char d[11];
		time_day_format(time_day(ref), d);
		printf("retain: the store's newest ingestion is of %s: days that hold spans "
		       "ingested in "
		       "the kept days before it stay\n",
		       d);
	}
	for (size_t i = 0; i < n; i++) {
		int32_t keep;
		if (!retain_cutoff(&st, ws[i], cutoff, o->verbose, &keep)) {
			rc = 1;
			continue;
		}
		rc |= retain_ws(&st, ws[i], today, keep, ref, o);
	}
	cli_free_names(ws, n);
	return rc;
}

/* What backup carries beside the workspaces and restore brings back: the API keys, and the
 * secret the media URLs handed out are signed with (a URL signed before the backup works after
 * the restore). */
static const char *const beside[] = {AUTH_FILE, AUTH_SIGN_FILE, NULL};

/* A day or workspace a job left out and went past (ops_skipped): said on stderr at once. */
static void said_skipped(void *ctx, const char *msg)
{
	fprintf(stderr, "spandex: %s: %s\n", (const char *)ctx, msg);
}

int cmd_backup(const char *cmd, struct opts *o)
{
	(void)cmd;
	struct err e = {ST_OK, ""};
	struct store st;
	struct ops_backup_stats bs;
	/* Inside DATA, a backup would be read as a workspace and copied into the next one. */
	if (cli_inside(o->pos[1], o->pos[0])) {
		fprintf(stderr, "spandex: backup: %s is inside the data directory %s\n", o->pos[1],
			o->pos[0]);
		return 2;
	}
	store_init(&st, o->pos[0], true);
	struct ops_skipped sk = {said_skipped, "backup", 0};
	if (ops_backup(&st, o->pos[1], beside, &bs, &sk, &e) != ST_OK) {
		fprintf(stderr, "spandex: backup: %s\n", err_text(&e));
		return 1;
	}
	if (o->verbose)
		printf("backup: %s/%s: %zu days copied (%llu bytes), %zu linked (%llu bytes), %zu "
		       "media files copied and %zu linked (%llu bytes)%s%s\n",
		       o->pos[1], bs.gen, bs.days_copied, (unsigned long long)bs.bytes_copied,
		       bs.days_linked, (unsigned long long)bs.bytes_linked, bs.media_copied,
		       bs.media_linked, (unsigned long long)bs.media_bytes,
		       bs.extra & 1 ? ", and the API keys" : "",
		       bs.extra & 2 ? ", and the signing secret" : "");
	/* One damaged day never stops the rest (issue 55); the run still fails, naming it. */
	if (sk.n)
		fprintf(stderr,
			"spandex: backup: %s/%s written without the %zu day%s or workspace%s named "
			"above\n",
			o->pos[1], bs.gen, sk.n, sk.n == 1 ? "" : "s", sk.n == 1 ? "" : "s");
	return sk.n ? 1 : 0;
}

/* The keys of a generation's key file (gen/.spandex-keys): false, with none, when it has no
 * such file or it cannot be read. */
static bool gen_keys(const char *gen, struct auth_key **ks, size_t *n)
{
	char p[PATH_MAX];
	struct err e = {ST_OK, ""};
	*ks = NULL;
	*n = 0;
	if (snprintf(p, sizeof p, "%s/%s", gen, AUTH_FILE) >= (int)sizeof p || access(p, F_OK) < 0)
		return false;
	if (auth_list(gen, NULL, ks, n, &e) == ST_OK)
		return true;
	fprintf(stderr, "spandex: restore: %s: %s\n", p, err_text(&e));
	return false;
}

/* After the backup's key file came back into DATA (issue 55, item 9): the keys a newer
 * generation beside the one restored no longer holds were revoked after the backup was taken.
 * Lists them; with keep_revoked, revokes them in DATA again. Without a newer generation, lists
 * every key that came back, since any of them may have been revoked since. 0, or 1 after
 * saying what failed. */
static int restored_keys(const struct ops_restored *r, const char *data, bool keep_revoked)
{
	struct auth_key *gk, *nk = NULL;
	size_t ng, nn = 0, nrev = 0;
	int rc = 0;
	if (!gen_keys(r->gen, &gk, &ng))
		return 0;
	bool known = r->newer[0] && gen_keys(r->newer, &nk, &nn);
	for (size_t i = 0; i < ng; i++) {
		bool kept = false;
		for (size_t k = 0; known && k < nn && !kept; k++)
			kept = !strcmp(gk[i].id, nk[k].id);
		if (known && kept)
			continue;
		struct err e = {ST_OK, ""};
		bool again = known && keep_revoked;
		if (again && auth_revoke(data, gk[i].id, &e) != ST_OK) {
			fprintf(stderr, "spandex: restore: key %s: %s\n", gk[i].id, err_text(&e));
			rc = 1;
			again = false;
		}
		fprintf(stderr, "spandex: restore: key %s (workspace %s, %s%s%s): %s\n", gk[i].id,
			gk[i].workspace, auth_role_names[gk[i].role], *gk[i].label ? ", " : "",
			gk[i].label,
			!known	? "live again"
			: again ? "revoked after this backup was taken, and revoked again"
				: "revoked after this backup was taken, and live again");
		nrev += known;
	}
	if (!known && ng)
		fprintf(
		    stderr,
		    "spandex: restore: no newer generation beside %s tells which keys were revoked "
		    "after it was taken: revoke again any that was (spandex key revoke %s ID)\n",
		    r->gen, data);
	else if (nrev && !keep_revoked)
		fprintf(
		    stderr,
		    "spandex: restore: %zu key%s that the newer generation %s no longer holds %s "
		    "live again: restore with --keep-revoked, or spandex key revoke %s ID\n",
		    nrev, nrev == 1 ? "" : "s", r->newer, nrev == 1 ? "is" : "are", data);
	free(gk);
	free(nk);
	return rc;
}

/* The erasures after a restore of gen (docs/erasure.md, "Backups"): the generation's audit
 * lines and pending requests merged into DATA's, each erasure DATA's log records done since
 * that backup pending again, and the pass run at once, so nothing erased comes back. Then what
 * the pass and the merge wrote goes to DATA's owner. */
static int restore_erasures(struct store *st, const char *gen, const struct opts *o)
{
	struct err e = {ST_OK, ""};
	struct store_erase_done d = {0};
	size_t audit = 0, pending = 0;
	/* The admin lock is held (cmd_restore runs under it), as the pass needs. */
	enum status rc = store_erase_restored(st, gen, &audit, &pending, &e);
	if (rc == ST_OK && pending) {
		fprintf(stderr,
			"spandex: restore: %zu erasure%s done after this backup was taken (or "
			"pending in it): erasing again\n",
			pending, pending == 1 ? "" : "s");
		rc = store_erase_pending(st, &d, &e);
	}
	char **ws = NULL;
	size_t nws = 0;
	int bad = rc != ST_OK || e.st != ST_OK;
	if (bad)
		fprintf(stderr, "spandex: restore: erasures: %s\n", err_text(&e));
	if (ops_give_to_owner(st->root, STORE_ERASE_DIR) < 0 && errno != ENOENT)
		bad = 1;
	if ((d.requests || d.days) && store_workspaces(st, &ws, &nws) != ST_OK)
		nws = 0;
	for (size_t i = 0; i < nws; i++) {
		bad |= ops_give_to_owner(st->root, ws[i]) < 0;
		free(ws[i]);
	}
	free(ws);
	if (o->verbose && !bad)
		printf("restore: %zu audit line%s of the backup added, %zu erasure%s done again\n",
		       audit, audit == 1 ? "" : "s", d.requests, d.requests == 1 ? "" : "s");
	return bad;
}

int cmd_restore(const char *cmd, struct opts *o)
{
	(void)cmd;
	struct err e = {ST_OK, ""};
	struct ops_restored r;
	struct store st;
	if (cli_inside(o->pos[0], o->pos[1])) {
		fprintf(stderr, "spandex: restore: %s is inside the data directory %s\n", o->pos[0],
			o->pos[1]);
		return 2;
	}
	store_init(&st, o->pos[1], true);
	enum status s = ops_restore(o->pos[0], &st, o->force, beside, &r, &e);
	if (r.unfinished)
		fprintf(stderr,
			"spandex: restore: %zu unfinished generation%s (.tmp-*) in %s passed over: "
			"left "
			"by a backup that was killed or failed; the next backup removes %s\n",
			r.unfinished, r.unfinished == 1 ? "" : "s", o->pos[0],
			r.unfinished == 1 ? "it" : "them");
	if (r.repaired)
		fprintf(stderr,
			"spandex: restore: %zu workspace%s that a killed restore had moved aside "
			"(.old-<ws>) put back in %s\n",
			r.repaired, r.repaired == 1 ? "" : "s", st.root);
	if (s != ST_OK) {
		fprintf(stderr, "spandex: restore: %s\n", err_text(&e));
		ops_restored_free(&r);
		return 1;
	}
	if (r.extra_kept & 1)
		fprintf(
		    stderr,
		    "spandex: restore: %s keeps its own API keys (%s); the backup's are in %s/%s\n",
		    st.root, AUTH_FILE, r.gen, AUTH_FILE);
	/* DATA had no key file, so authentication was off: say so in the words of `key create`. */
	if (r.extra_restored & 1)
		fprintf(
		    stderr,
		    "spandex: restore: the backup's API keys (%s) restored: authentication is now "
		    "on for every workspace of %s: a request without a valid key gets 401\n",
		    AUTH_FILE, st.root);
	int rc = r.extra_restored & 1 ? restored_keys(&r, st.root, o->keep_revoked) : 0;
	/* The restored store must pass verify as it is, without a reindex. */
	struct progress pg = cli_progress_for(o);
	struct opts quiet = {.verbose = false};
	rc |= cmd_verify(&st, r.names, r.n, &pg, &quiet);
	rc |= restore_erasures(&st, r.gen, o);
	/* What verify made (a journal), run as root, goes to DATA's owner too. */
	for (size_t i = 0; i < r.n; i++)
		if (ops_give_to_owner(st.root, r.names[i]) < 0) {
			fprintf(stderr, "spandex: restore: %s/%s: %s\n", st.root, r.names[i],
				strerror(errno));
			rc = 1;
		}
	if (o->verbose && !rc)
		printf("restore: %zu workspace%s%s restored into %s and verified\n", r.n,
		       r.n == 1 ? "" : "s", r.extra_restored & 1 ? " and the API keys" : "",
		       st.root);
	ops_restored_free(&r);
	return rc;
}

#define IMPORT_MAX_REPORTS 100 /* bad lines printed; the count covers them all */

static void import_report(void *ctx, const char *msg)
{
	size_t *shown = ctx;
	if ((*shown)++ < IMPORT_MAX_REPORTS)
		fprintf(stderr, "%s\n", msg);
}

int cmd_import(const char *cmd, struct opts *o)
{
	struct err e = {ST_OK, ""};
	size_t shown = 0;
	struct store st;
	store_init(&st, o->pos[0], true);
	/* Redacted as the programs redact: the rules and key of the environment, else the
	 * installed rules (docs/redaction.md). */
	struct import im = {.st = &st,
			    .ws = o->workspace,
			    .rules = getenv("SPANDEX_REDACT"),
			    .key = getenv("SPANDEX_REDACT_KEY"),
			    .check_only = true,
			    .media = o->media,
			    .media_min = media_min(getenv(MEDIA_SETTING), NULL),
			    .report = import_report,
			    .ctx = &shown};
	/* The files are opened by whoever runs the command (root's own export, say), and only
	 * then does a root run become DATA's owner, which writes the spans (cli_become_owner). */
	FILE **fs = xcalloc(o->nfiles ? o->nfiles : 1, sizeof *fs);
	int rc = 0;
	for (size_t i = 0; !rc && i < o->nfiles; i++)
		if (!(fs[i] = fopen(o->files[i], "re"))) {
			fprintf(stderr, "spandex: import: %s: %s\n", o->files[i], strerror(errno));
			rc = 1;
		}
	if (!rc)
		rc = cli_become_owner(cmd, o->pos[0]);
	/* Every line of every file is checked before anything is stored. */
	for (size_t pass = 0; !rc && pass < 2; pass++) {
		for (size_t i = 0; !rc && i < o->nfiles; i++) {
			if ((pass && fseek(fs[i], 0, SEEK_SET) < 0) ||
			    import_stream(&im, o->files[i], fs[i], &e) != ST_OK) {
				fprintf(stderr, "spandex: import: %s\n",
					e.st ? err_text(&e) : strerror(errno));
				rc = 1;
			}
		}
		if (rc)
			break;
		if (im.bad) {
			fprintf(stderr, "spandex: import: %zu bad line%s; nothing was stored\n",
				im.bad, im.bad == 1 ? "" : "s");
			rc = 1;
		} else if (!pass) {
			im.check_only = false;
			im.spans = 0;
		}
	}
	for (size_t i = 0; i < o->nfiles; i++)
		if (fs[i])
			fclose(fs[i]);
	free(fs);
	if (!rc && o->verbose)
		printf("import: %zu spans into %s\n", im.spans, o->workspace);
	return rc;
}
