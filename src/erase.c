/* erase: `spandex erase`, an erase request from the command line, and the pass that finishes
 * the pending ones (--pending, from cron); the logic is lib/store/erase.c and erase_pass.c,
 * the operator's page docs/erasure.md. */
#include "src/cli.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "lib/base/time.h"
#include "lib/store/ops.h"

/* Who asks, for the audit line: --by, else the user running the command. */
static const char *asker(const struct opts *o, char *buf, size_t size)
{
	if (o->by)
		return o->by;
	struct passwd *pw = getpwuid(getuid());
	snprintf(buf, size, "cli:%s", pw ? pw->pw_name : "unknown");
	return buf;
}

/* The pass: every pending erasure finished, under the admin lock. */
static int pass(struct store *st, const struct opts *o)
{
	struct err e = {ST_OK, ""};
	struct store_erase_done d;
	int lockfd = ops_lock(o->pos[0], "erase", o->wait, &e);
	if (lockfd < 0) {
		fprintf(stderr, "spandex: erase: %s\n", err_text(&e));
		return 1;
	}
	int64_t t0 = time_now();
	enum status rc = store_erase_pending(st, &d, &e);
	close(lockfd);
	if (rc != ST_OK || e.st != ST_OK)
		fprintf(stderr, "spandex: erase: %s\n", err_text(&e));
	if (o->verbose)
		printf("erase: %zu requests in %zu workspaces done (and edits in %zu more): %zu "
		       "versions taken out of %zu days, %zu quarantine lines cut, in %.3f s\n",
		       d.requests, d.workspaces, d.edited, d.versions, d.days, d.quarantined,
		       (double)(time_now() - t0) / 1e6);
	return rc != ST_OK || e.st != ST_OK;
}

int cmd_erase(const char *cmd, struct opts *o)
{
	(void)cmd;
	struct store st;
	struct store_erase_what w = {0};
	struct store_erase_ack ack;
	struct err e = {ST_OK, ""};
	char who[300];
	const char *one[1];
	int named = !!o->trace + !!o->session + !!o->user + !!o->judgement + !!(o->from || o->to);
	store_init(&st, o->pos[0], true);
	if (o->pending) {
		if (named || o->workspace) {
			fprintf(stderr, "spandex: erase: --pending takes no workspace or ids\n");
			return 2;
		}
		return pass(&st, o);
	}
	if (!o->workspace || named != 1 || (o->from && !o->to) || (o->to && !o->from)) {
		fprintf(stderr, "spandex: erase: --workspace W and one of --trace T, --session S, "
				"--user U, --from D --to D, --judgement J (or --pending)\n");
		return 2;
	}
	w.values = one;
	w.n = 1;
	if (o->trace)
		w.by = STORE_ERASE_TRACE, one[0] = o->trace;
	else if (o->session)
		w.by = STORE_ERASE_SESSION, one[0] = o->session;
	else if (o->user)
		w.by = STORE_ERASE_USER, one[0] = o->user;
	else if (o->judgement)
		w.by = STORE_ERASE_JUDGEMENT, one[0] = o->judgement;
	else {
		w.by = STORE_ERASE_TIME;
		w.n = 0;
		if (!cli_time_opt("--from", o->from, &w.from_us) ||
		    !cli_time_opt("--to", o->to, &w.to_us))
			return 2;
	}
	if (store_erase(&st, o->workspace, &w, asker(o, who, sizeof who), &ack, &e) != ST_OK) {
		fprintf(stderr, "spandex: erase: %s\n", err_text(&e));
		return 1;
	}
	printf("%s: %zu spans and %zu judgements erased from every answer; the next `spandex "
	       "erase --pending` takes them out of the files\n",
	       ack.id, ack.spans, ack.judgements);
	return 0;
}
