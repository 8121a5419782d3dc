/* shipcmd: `spandex ship` (a pass, or a loop of passes, of every workspace to the bucket; or what
 * this host knows of each, --status) and `spandex pull` (workspaces built from the bucket and
 * taken over); the logic is lib/ship's. docs/operations.md, "The bucket". */
#include "src/shipcmd.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/json/jsonw.h"
#include "lib/model/workspace.h"
#include "lib/ship/ship.h"
#include "lib/store/ops.h"
#include "src/cli.h"

#define SHIP_EVERY_MAX 86400 /* --every: a day between passes at most */
#define SHIP_MAX_NAMED 1024  /* --workspace given this many times at most */

const char shipcmd_usage[] =
    "usage: spandex ship DATA [--workspace W]... [--every SECONDS] [--verbose]\n"
    "       spandex ship DATA --status [--workspace W]... [--json]\n"
    "       spandex pull DATA [--workspace W]... [--copy] [--verbose]\n"
    "ship puts every line committed in DATA's workspaces into the bucket SPANDEX_S3 names\n"
    "(SPANDEX_S3_ENDPOINT, SPANDEX_S3_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) and exits "
    "0\n"
    "once it is there; --every loops (systemd, a supervisor), a pass every SECONDS. --status says\n"
    "per workspace what this host knows: its owner state, how far the bucket is behind, the last\n"
    "error, and for a workspace another host took over what was acknowledged here and is not in\n"
    "the bucket. pull builds each workspace (or those named) from the bucket, takes it over (its\n"
    "old host stops taking writes for it) and puts it in place in DATA, indexed; --copy takes\n"
    "nothing over: a copy to read, which takes no writes.\n";

struct args {
	const char *data;
	const char *named[SHIP_MAX_NAMED];
	size_t nnamed;
	long every;
	bool status, json, verbose, copy;
};

static int usage_error(const char *cmd, const char *why, const char *arg)
{
	fprintf(stderr, "spandex %s: %s%s%s\n%s", cmd, why, arg ? " " : "", arg ? arg : "",
		shipcmd_usage);
	return 2;
}

static int parse(const char *cmd, int argc, char **argv, struct args *a)
{
	bool pull = !strcmp(cmd, "pull");
	memset(a, 0, sizeof(*a));
	for (int i = 2; i < argc; i++) {
		const char *v = argv[i];
		if (!strcmp(v, "--help") || !strcmp(v, "-h")) {
			fputs(shipcmd_usage, stdout);
			return -1;
		}
		if (!strcmp(v, "--workspace") && i + 1 < argc) {
			if (a->nnamed == SHIP_MAX_NAMED)
				return usage_error(cmd, "too many --workspace", NULL);
			if (!workspace_valid(argv[i + 1]))
				return usage_error(cmd, "not a workspace name:", argv[i + 1]);
			a->named[a->nnamed++] = argv[++i];
		} else if (!pull && !strcmp(v, "--every") && i + 1 < argc) {
			char *end;
			a->every = strtol(argv[++i], &end, 10);
			if (*end || a->every < 1 || a->every > SHIP_EVERY_MAX)
				return usage_error(cmd, "--every wants seconds (1 to 86400), not",
						   argv[i]);
		} else if (!pull && !strcmp(v, "--status")) {
			a->status = true;
		} else if (!pull && !strcmp(v, "--json")) {
			a->json = true;
		} else if (pull && !strcmp(v, "--copy")) {
			a->copy = true;
		} else if (!strcmp(v, "--verbose")) {
			a->verbose = true;
		} else if (v[0] == '-' || a->data) {
			return usage_error(cmd, "unexpected argument", v);
		} else {
			a->data = v;
		}
	}
	if (!a->data)
		return usage_error(cmd, "DATA is needed", NULL);
	if (a->status && a->every)
		return usage_error(cmd, "--status and --every do not go together", NULL);
	return 0;
}

static const char *env_get(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

/* The shipper of the settings in the environment, its bucket checked: NULL after saying why. */
static struct ship *open_ship(const char *cmd, const char *data, bool looping)
{
	struct ship_conf c;
	struct err e = {ST_OK, ""};
	enum status st = ship_conf_read(&c, env_get, NULL, &e);
	if (st == ST_NOT_FOUND) {
		fprintf(stderr,
			"spandex %s: SPANDEX_S3 is not set: there is no bucket to %s "
			"(docs/operations.md, \"The bucket\")\n",
			cmd, strcmp(cmd, "pull") ? "ship to" : "pull from");
		return NULL;
	}
	struct ship *s = st == ST_OK ? ship_open(data, &c, &e) : NULL;
	if (!s) {
		fprintf(stderr, "spandex %s: %s\n", cmd, err_text(&e));
		return NULL;
	}
	if (ship_check(s, &e) != ST_OK) {
		/* Kept for /healthz and --status. The loop goes on and checks again every pass;
		 * a single pass (or pull) has nothing to do. */
		fprintf(stderr, "spandex %s: %s%s\n", cmd, err_text(&e),
			looping ? " (checking again every pass)" : "");
		if (!looping) {
			ship_close(s);
			s = NULL;
		}
	}
	return s;
}

/* The workspaces named, or those of DATA (ship) or of the bucket (pull). */
static int names_of(struct ship *s, const struct args *a, bool bucket, char ***ws, size_t *n)
{
	if (a->nnamed) {
		*ws = xmalloc(a->nnamed * sizeof(**ws));
		for (size_t i = 0; i < a->nnamed; i++)
			(*ws)[i] = xstrdup(a->named[i]);
		*n = a->nnamed;
		return 0;
	}
	struct err e = {ST_OK, ""};
	if (bucket && ship_bucket_workspaces(s, ws, n, &e) != ST_OK) {
		fprintf(stderr, "spandex pull: %s\n", err_text(&e));
		return -1;
	}
	if (!bucket) {
		struct store st;
		store_init(&st, a->data, true);
		return cli_workspaces(&st, NULL, ws, n);
	}
	return 0;
}

/* What the loop last said of each workspace, so a failure repeated every pass is said once. */
struct said {
	char **ws, **msg;
	size_t n;
};

/* Whether msg ("" once a pass succeeds) is news for ws; remembered. */
static bool said_new(struct said *sd, const char *ws, const char *msg)
{
	size_t i = 0;
	if (!sd)
		return msg[0] != '\0';
	while (i < sd->n && strcmp(sd->ws[i], ws))
		i++;
	if (i == sd->n) {
		sd->ws = xrealloc(sd->ws, (i + 1) * sizeof(*sd->ws));
		sd->msg = xrealloc(sd->msg, (i + 1) * sizeof(*sd->msg));
		sd->ws[i] = xstrdup(ws);
		sd->msg[i] = xstrdup("");
		sd->n++;
	}
	if (!strcmp(sd->msg[i], msg))
		return false;
	free(sd->msg[i]);
	sd->msg[i] = xstrdup(msg);
	return true;
}

/* One pass of every workspace: 0 when each is in the bucket (or was another host's before).
 * sd: the loop's memory of what it said (NULL for a single pass, which says everything). */
static int pass_all(struct ship *s, const struct args *a, char **ws, size_t n, struct said *sd)
{
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		struct ship_status was;
		struct ship_report r;
		struct err e = {ST_OK, ""};
		if (ship_status(a->data, ws[i], &was) == ST_OK && was.owner > SHIP_OWNER) {
			if (a->verbose)
				printf("%s: %s (spandex ship --status); not shipped\n", ws[i],
				       ship_owner_names[was.owner]);
			continue;
		}
		enum status st = ship_pass(s, ws[i], &r, &e);
		bool news = said_new(sd, ws[i], st == ST_OK ? "" : err_text(&e));
		if (st != ST_OK) {
			if (news)
				fprintf(stderr, "spandex ship: %s: %s\n", ws[i], err_text(&e));
			rc = 1;
		} else if (news) {
			fprintf(stderr, "spandex ship: %s: shipping again\n", ws[i]);
		} else if (a->verbose && r.nothing) {
			printf("%s: nothing new (object %" PRIu64 ")\n", ws[i], r.seq);
		} else if (a->verbose) {
			printf("%s: object %" PRIu64 "%s, %" PRIu64
			       " bytes in %zu objects, %zu deleted\n",
			       ws[i], r.seq, r.snapshot ? " (snapshot)" : "", r.bytes, r.objects,
			       r.deleted);
		}
	}
	return rc;
}

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* --every: passes until SIGTERM or SIGINT; a failed pass is said and the next one tries
 * again (the state records it for /healthz and --status). */
static int loop(struct ship *s, const struct args *a)
{
	struct sigaction sa = {.sa_handler = on_stop};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	struct said sd = {0};
	char first[ERR_MSG];
	int64_t first_at;
	if (ship_check_failed(a->data, first, &first_at))
		said_new(&sd, "", first); /* open_ship said it */
	while (!stopping) {
		char **ws = NULL, was[ERR_MSG];
		size_t n = 0;
		int64_t at;
		struct err e = {ST_OK, ""};
		/* While the bucket's check fails, each pass checks again (and says when it mends).
		 */
		if (ship_check_failed(a->data, was, &at) && ship_check(s, &e) == ST_OK)
			fprintf(stderr, "spandex ship: the bucket answers again\n");
		else if (e.st != ST_OK && said_new(&sd, "", err_text(&e)))
			fprintf(stderr, "spandex ship: %s\n", err_text(&e));
		if (names_of(s, a, false, &ws, &n) == 0) {
			pass_all(s, a, ws, n, &sd);
			cli_free_names(ws, n);
		}
		fflush(stdout);
		struct timespec ts = {a->every, 0};
		while (!stopping && nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	cli_free_names(sd.ws, sd.n);
	cli_free_names(sd.msg, sd.n);
	return 0;
}

/* s as a JSON string into b, or null when it is "". */
static void json_or_null(struct buf *b, const char *s)
{
	if (s[0])
		jsonw_string(b, s, strlen(s));
	else
		buf_adds(b, "null");
	buf_addc(b, '\0');
}

static void print_status(const char *data, const char *ws, bool json)
{
	struct ship_status st;
	uint64_t bytes = 0, lines = 0;
	struct buf report;
	char at[40] = "-";
	buf_init(&report);
	if (ship_status(data, ws, &st) != ST_OK) {
		printf("%s: its state in %s/%s cannot be read\n", ws, data, SHIP_DIR);
		return;
	}
	ship_unshipped(data, ws, &bytes, &lines, NULL);
	ship_lost_report(data, ws, &report);
	int64_t now = time_now();
	double lag = st.caught_up_at ? (double)(now - st.caught_up_at) / 1e6 : -1;
	if (json) {
		struct buf err;
		buf_init(&err);
		json_or_null(&err, st.error);
		printf("{\"workspace\":\"%s\",\"owner\":\"%s\",\"seq\":%" PRIu64
		       ",\"lag_bytes\":%" PRIu64 ",\"lag_lines\":%" PRIu64 ",\"lag_seconds\":%.1f,"
		       "\"error\":%s,\"lost_to\":\"%s\",\"lost_seq\":%" PRIu64
		       ",\"unshipped\":%s}\n",
		       ws, ship_owner_names[st.owner], st.seq, bytes, lines, lag, err.p, st.lost_to,
		       st.lost_seq, report.len ? report.p : "null");
		buf_free(&err);
		buf_free(&report);
		return;
	}
	if (st.caught_up_at)
		time_format(st.caught_up_at, at);
	printf("%s: %s, object %" PRIu64 ", %" PRIu64 " bytes (%" PRIu64
	       " lines) not in the bucket, all in it as of %s\n",
	       ws, ship_owner_names[st.owner], st.seq, bytes, lines, at);
	if (st.error[0])
		printf("  last error: %s\n", st.error);
	if (st.owner == SHIP_LOST)
		printf("  taken over by host %s (object %" PRIu64
		       "); this host takes no writes for it\n",
		       st.lost_to, st.lost_seq);
	if (st.owner == SHIP_BEHIND)
		printf("  the bucket holds more of it than this copy: spandex pull %s --workspace "
		       "%s\n",
		       data, ws);
	if (report.len)
		printf("  acknowledged here, not in the bucket: %s\n", report.p);
	buf_free(&report);
}

/* --status: the bucket's last check when it failed, then the workspaces of DATA and those
 * with state, or those named. */
static int status(const struct args *a)
{
	char **known = NULL, **local = NULL, why[ERR_MSG], at_text[40];
	size_t nk = 0, nl = 0;
	int64_t at;
	if (ship_check_failed(a->data, why, &at)) {
		time_format(at, at_text);
		if (a->json) {
			struct buf b;
			buf_init(&b);
			json_or_null(&b, why);
			printf("{\"bucket_error\":%s,\"at\":\"%s\"}\n", b.p, at_text);
			buf_free(&b);
		} else {
			printf("the bucket: %s (checked %s)\n", why, at_text);
		}
	}
	if (a->nnamed) {
		for (size_t i = 0; i < a->nnamed; i++)
			print_status(a->data, a->named[i], a->json);
		return 0;
	}
	struct store st;
	store_init(&st, a->data, true);
	ship_known(a->data, &known, &nk);
	store_workspaces(&st, &local, &nl);
	for (size_t i = 0, j = 0; i < nk || j < nl;) {
		int c = i == nk ? 1 : j == nl ? -1 : strcmp(known[i], local[j]);
		print_status(a->data, c <= 0 ? known[i] : local[j], a->json);
		i += c <= 0;
		j += c >= 0;
	}
	cli_free_names(known, nk);
	cli_free_names(local, nl);
	return 0;
}

static int pull_all(struct ship *s, const struct args *a)
{
	char **ws = NULL;
	size_t n = 0;
	int rc = names_of(s, a, true, &ws, &n) < 0 ? 1 : 0;
	for (size_t i = 0; i < n; i++) {
		struct ship_pulled r;
		struct err e = {ST_OK, ""};
		if (ship_pull(s, ws[i], a->copy, &r, &e) != ST_OK) {
			fprintf(stderr, "spandex pull: %s: %s\n", ws[i], err_text(&e));
			rc = 1;
			continue;
		}
		if (a->verbose)
			printf("%s: %zu days, %" PRIu64
			       " bytes from %zu objects in %.2f s, indexed in "
			       "%.2f s; taken over as object %" PRIu64 "\n",
			       ws[i], r.days, r.bytes, r.objects, r.fetch_sec, r.index_sec, r.seq);
	}
	cli_free_names(ws, n);
	return rc;
}

int shipcmd_main(int argc, char **argv)
{
	const char *cmd = argv[1];
	struct args a;
	int rc = parse(cmd, argc, argv, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	bool pull = !strcmp(cmd, "pull");
	if (pull && mkdir(a.data, 0750) < 0 && errno != EEXIST) {
		fprintf(stderr, "spandex pull: %s: %s\n", a.data, strerror(errno));
		return 1;
	}
	if (!cli_data_dir(cmd, a.data) || cli_become_owner(cmd, a.data))
		return 1;
	if (a.status)
		return status(&a);
	struct ship *s = open_ship(cmd, a.data, a.every > 0);
	if (!s)
		return 1;
	if (pull) {
		struct err e = {ST_OK, ""};
		int lockfd = ops_lock(a.data, "pull", true, &e);
		if (lockfd < 0) {
			fprintf(stderr, "spandex pull: %s\n", err_text(&e));
			rc = 1;
		} else {
			rc = pull_all(s, &a);
			close(lockfd);
		}
	} else if (a.every) {
		rc = loop(s, &a);
	} else {
		char **ws = NULL;
		size_t n = 0;
		rc = names_of(s, &a, false, &ws, &n) < 0 ? 1 : pass_all(s, &a, ws, n, NULL);
		cli_free_names(ws, n);
	}
	ship_close(s);
	return rc;
}
