/* spandex: the operator's command line over a data directory: its usage, the parsing of its
 * options and the command table. The store commands (reindex, verify, index, stats) are in
 * src/storecmd.c, the jobs cron runs in src/jobs.c (their logic in lib/store/ops.c), the API
 * keys in src/key.c, the redaction rules tried in src/redactcmd.c, what they share in src/cli.c,
 * the progress bars in src/progress.c. */
#include "src/cli.h"
#include "src/key.h"
#include "src/redactcmd.h"
#include "src/shipcmd.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/mem.h"
#include "lib/store/ops.h"
#include "src/commit.h"

/* What spandex is, the first lines of its help (issue 54). */
static const char what[] =
    "spandex: the admin command of spandex, a self-hosted store for LLM and agent traces: it\n"
    "looks after the data directory the FastCGI programs serve (indexes, retention, backups,\n"
    "export and import, API keys). The programs: spandex-fcgi(8).\n\n";

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
    "       spandex export DATA --workspace W [--format jsonl|otlp-json|csv] [--from T] [--to T]\n"
    "                      [--filter FIELD=VALUE]... [--search TEXT] [--out FILE] [--media DIR]\n"
    "                                  the live spans (T: RFC 3339 or YYYY-MM-DD)\n"
    "       spandex import DATA --workspace W [--media DIR] FILE...\n"
    "                                  JSONL spans, checked as ingest does\n"
    "       spandex forward DATA [--every SECONDS]   send every span on to the OTLP endpoints\n"
    "                                  configured (docs/forwarding.md)\n"
    "       spandex erase DATA --workspace W (--trace T | --session S | --user U | --from D --to "
    "D\n"
    "                      | --judgement J)\n"
    "                                  erase spans (or a judgement) from every answer; --pending\n"
    "                                  (cron) then takes their bytes out of every file\n"
    "                                  (docs/erasure.md)\n"
    "       spandex key create|list|revoke DATA ...   API keys (spandex key --help)\n"
    "       spandex redact [--rules FILE] ... < TEXT   the text as the redaction rules store it\n"
    "       spandex ship DATA [--every S] [--status]   lines to the bucket (SPANDEX_S3)\n"
    "       spandex pull DATA [--workspace W]...   workspaces from the bucket, taken over\n"
    "       spandex help [COMMAND] | COMMAND --help | --version\n"
    "index, seal, retain, backup, restore and import take DATA/.spandex-admin.lock: a second run "
    "fails at\n"
    "once unless --wait. --verbose prints a summary; otherwise only problems are printed.\n"
    "reindex, verify, index and seal show progress on a terminal (--progress: always,\n"
    "--no-progress: never; cron stays quiet). Exit status: 0 ok, 1 a problem was found or an "
    "operation\n"
    "failed, 2 usage.\n";
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
	O_KEEP_REVOKED = 1 << 12,
	O_FORMAT = 1 << 13,
	O_FILTER = 1 << 14,
	O_SEARCH = 1 << 15,
	O_EVERY = 1 << 16,
	O_MEDIA = 1 << 17,
	O_TRACE = 1 << 18,
	O_SESSION = 1 << 19,
	O_USER = 1 << 20,
	O_PENDING = 1 << 21,
	O_BY = 1 << 22,
	O_JUDGEMENT = 1 << 23,
	O_DICTIONARY = 1 << 24,
};

static const struct {
	const char *name;
	unsigned bit;
	bool flag;  /* no value: sets a bool */
	size_t off; /* where it goes in struct opts */
	bool many;  /* may be given again: each value appended (export's --filter) */
} options[] = {
    {"--workspace", O_WORKSPACE, false, offsetof(struct opts, workspace), false},
    {"--days", O_DAYS, false, offsetof(struct opts, days), false},
    {"--archive", O_ARCHIVE, false, offsetof(struct opts, archive), false},
    {"--from", O_FROM, false, offsetof(struct opts, from), false},
    {"--to", O_TO, false, offsetof(struct opts, to), false},
    {"--out", O_OUT, false, offsetof(struct opts, out), false},
    {"--force", O_FORCE, true, offsetof(struct opts, force), false},
    {"--wait", O_WAIT, true, offsetof(struct opts, wait), false},
    {"--verbose", O_VERBOSE, true, offsetof(struct opts, verbose), false},
    {"--older-than", O_OLDER_THAN, false, offsetof(struct opts, older_than), false},
    {"--progress", O_PROGRESS, true, offsetof(struct opts, progress), false},
    {"--no-progress", O_PROGRESS, true, offsetof(struct opts, no_progress), false},
    {"--prices", O_PRICES, false, offsetof(struct opts, prices), false},
    {"--keep-revoked", O_KEEP_REVOKED, true, offsetof(struct opts, keep_revoked), false},
    {"--format", O_FORMAT, false, offsetof(struct opts, format), false},
    {"--filter", O_FILTER, false, offsetof(struct opts, filters), true},
    {"--search", O_SEARCH, false, offsetof(struct opts, search), false},
    {"--every", O_EVERY, false, offsetof(struct opts, every), false},
    {"--media", O_MEDIA, false, offsetof(struct opts, media), false},
    {"--trace", O_TRACE, false, offsetof(struct opts, trace), false},
    {"--session", O_SESSION, false, offsetof(struct opts, session), false},
    {"--user", O_USER, false, offsetof(struct opts, user), false},
    {"--judgement", O_JUDGEMENT, false, offsetof(struct opts, judgement), false},
    {"--pending", O_PENDING, true, offsetof(struct opts, pending), false},
    {"--dictionary", O_DICTIONARY, true, offsetof(struct opts, dictionary), false},
    {"--by", O_BY, false, offsetof(struct opts, by), false},
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
	bool as_owner;	  /* writes into DATA: run as root, runs as its owner (cli_become_owner) */
} commands[] = {
    {"reindex", 1, O_WORKSPACE | O_VERBOSE | O_PROGRESS | O_PRICES, 0, -1, cmd_store,
     "usage: spandex reindex DATA [--workspace W] [--prices FILE] [--verbose] "
     "[--progress|--no-progress]\n"
     "Rebuilds every index of each workspace (or of W) from its JSONL alone: the day indexes, the\n"
     "id table and the superseded flags. A day whose data ends in bytes that are no complete\n"
     "span (a torn write, damage) has them cut: they are kept in <day>.quarantine beside it, and\n"
     "what was cut is said on stderr with the span ids still readable in it.\n"
     "--prices FILE  then prices again the spans whose costs were computed (or that have none)\n"
     "               from the table FILE (prices/prices.tsv format); sent costs stay, and\n"
     "               only spans whose cost changes get a new version.\n"
     "--verbose      a summary on stdout.\n",
     true},
    {"verify", 1, O_WORKSPACE | O_VERBOSE | O_PROGRESS, 0, -1, cmd_store,
     "usage: spandex verify DATA [--workspace W] [--verbose] [--progress|--no-progress]\n"
     "Checks every index against its data and prints each problem; exit 1 when there is one.\n"
     "--verbose  says so on stdout when there is none.\n",
     true},
    {"index", 1, O_WORKSPACE | O_PROGRESS | ADMIN, 0, 0, cmd_store,
     "usage: spandex index DATA [--workspace W] [--wait] [--verbose] [--progress|--no-progress]\n"
     "Builds the text and field index (<day>.tix) of every day whose index is missing, damaged\n"
     "or behind its spans, so that a free-text search reads only the lines that can hold its\n"
     "terms, and a filter on project, model, provider, agent, tool, prompt or name none.\n"
     "Spans stored after a day was indexed are read line by line until the next run: run it\n"
     "from cron (every few minutes); seal and reindex index the days they touch.\n",
     true},
    {"stats", 1, O_WORKSPACE, 0, -1, cmd_store,
     "usage: spandex stats DATA [--workspace W]\n"
     "Per workspace: days, live spans, stored versions, data and index bytes.\n",
     false},
    {"seal", 1, O_OLDER_THAN | O_WORKSPACE | O_PROGRESS | O_DICTIONARY | ADMIN, 0, 0, cmd_seal,
     "usage: spandex seal DATA [--older-than N] [--workspace W] [--dictionary] [--wait] "
     "[--verbose] [--progress|--no-progress]\n"
     "Compresses the days before today minus N (default 1) into .jsonl.zst; readers see the\n"
     "same spans before, during and after. --dictionary: each day with a zstd dictionary\n"
     "trained on it (smaller; zstdcat and DuckDB then cannot read the file, spandex export\n"
     "can). --verbose: bytes in and out, and the speed.\n",
     true},
    {"retain", 1, O_DAYS | O_ARCHIVE | O_WORKSPACE | ADMIN, O_DAYS, 0, cmd_retain,
     "usage: spandex retain DATA --days N [--archive DIR] [--workspace W] [--wait] [--verbose]\n"
     "Removes the days older than N days (keeps today and the N before it), or moves them to\n"
     "DIR/<workspace>/ with --archive. A day holding spans or judgements ingested in those\n"
     "days (by the store's record, from its newest ingestion) stays, and so do judgements\n"
     "whose spans stay.\n",
     true},
    {"backup", 2, ADMIN, 0, 0, cmd_backup,
     "usage: spandex backup DATA DEST [--wait] [--verbose]\n"
     "A consistent, incremental snapshot of DATA in DEST/<time>/ (unchanged files hard-linked\n"
     "to the previous snapshot), the API keys (DATA/.spandex-keys) and the media URLs' signing\n"
     "secret (DATA/.spandex-sign) with it, mode 0600. A run killed halfway leaves\n"
     "DEST/.tmp-<time>: the next backup removes it. Run as root, it writes as DATA's owner, so\n"
     "that the owner's restore and next backup read what it wrote.\n",
     true},
    {"restore", 2, O_FORCE | O_KEEP_REVOKED | ADMIN, 0, 1, cmd_restore,
     "usage: spandex restore BACKUP DATA [--force] [--keep-revoked] [--wait] [--verbose]\n"
     "Puts a snapshot back into DATA (which must be empty unless --force), then verifies it.\n"
     "Refused while programs serve DATA (stop them first) and for an unfinished DEST/.tmp-*.\n"
     "The backup's API keys and signing secret come back when DATA has none; DATA's own are\n"
     "kept. Keys that a newer generation beside the one restored no longer holds were revoked\n"
     "after it was taken: restore lists them, and --keep-revoked keeps them revoked.\n",
     false},
    /* Read-only: exports may overlap each other and any job. */
    {"export", 1,
     O_WORKSPACE | O_FROM | O_TO | O_OUT | O_VERBOSE | O_FORMAT | O_FILTER | O_SEARCH | O_MEDIA,
     O_WORKSPACE, -1, cmd_export,
     "usage: spandex export DATA --workspace W [--format jsonl|otlp-json|csv] [--from T] [--to T]\n"
     "                      [--filter FIELD=VALUE]... [--search TEXT] [--out FILE] [--media DIR]\n"
     "                      [--verbose]\n"
     "The live spans of W that start at or after --from and before --to (T: RFC 3339 or\n"
     "YYYY-MM-DD, midnight UTC), to stdout or FILE; --from must be before --to.\n"
     "--format    jsonl (default): the stored lines, the body of GET .../spans/{id};\n"
     "            otlp-json: {\"resourceSpans\": [...]}, for any OpenTelemetry tool;\n"
     "            csv: a header row, then a row per span, a column per field of the line.\n"
     "--filter    a span field equal to a value, as the list APIs' filter= takes it\n"
     "            (status=error, model=gpt-4o, session_id=S, trace_id=T, kind=LLM ...); again\n"
     "            for more, all must hold.\n"
     "--search    words and \"quoted phrases\" in the name, input or output, as search= takes "
     "them.\n"
     "--media DIR  the media files the spans reference too, as DIR/<sha256> (docs/media.md).\n",
     false},
    {"import", 1, O_WORKSPACE | O_MEDIA | ADMIN, O_WORKSPACE, 0, cmd_import,
     "usage: spandex import DATA --workspace W [--media DIR] FILE... [--wait] [--verbose]\n"
     "JSONL spans (an export) into W, each checked as direct ingest checks it (a span its own\n"
     "parent, or ending before its start, imports as stored); a file with a bad\n"
     "line imports nothing. A span's media reference needs its file in W or in --media DIR\n"
     "(an export's), whose bytes must hash to its name; inline base64 moves out as at ingest\n"
     "(SPANDEX_MEDIA_MIN). Each span is redacted as the programs redact (SPANDEX_REDACT,\n"
     "else the installed rules; SPANDEX_REDACT_KEY).\n",
     false /* it becomes DATA's owner itself, after it opens the files */},
    /* A request needs no admin lock (the API takes them too); --pending takes it. */
    {"erase", 1,
     O_WORKSPACE | O_TRACE | O_SESSION | O_USER | O_JUDGEMENT | O_FROM | O_TO | O_PENDING | O_BY |
	 ADMIN,
     0, -1, cmd_erase,
     "usage: spandex erase DATA --workspace W (--trace T | --session S | --user U |\n"
     "                     --from D --to D | --judgement J) [--by WHO]\n"
     "       spandex erase DATA --pending [--wait] [--verbose]\n"
     "Erases spans of W: those of trace T, of session S, those whose user (user.id, enduser.id\n"
     "or a client's user key) is U with every span of their traces, or those that start in\n"
     "[D, D) (RFC 3339 or YYYY-MM-DD), with their judgements; or judgement J alone (a score,\n"
     "comment, annotation or assessment, by its id). From its answer no API, viewer,\n"
     "export or query shows them; it prints the request's id. --by names who asked (default\n"
     "the user running it) for the audit line.\n"
     "--pending  the pass that finishes every pending erasure (run it from cron, like index):\n"
     "           every older version of an erased span or judgement is taken out of the lines,\n"
     "           the sealed files, the text indexes and the quarantine, and one audit line per\n"
     "           erasure is kept in DATA/.spandex-erase/audit.jsonl (docs/erasure.md); in every\n"
     "           workspace, so is every version older than a span's or judgement's newest\n"
     "           (an edit's previous text).\n",
     true},
    /* Reads like export; its own lock (DATA/.spandex-forward/lock) keeps a second one out. */
    {"forward", 1, O_EVERY | O_WAIT | O_VERBOSE, 0, -1, cmd_forward,
     "usage: spandex forward DATA [--every SECONDS] [--wait] [--verbose]\n"
     "Sends every span stored in DATA, of every API, to each OTLP/HTTP endpoint configured\n"
     "(DATA/.spandex-forward.conf, /etc/spandex/forward.conf or SPANDEX_FORWARD_ENDPOINT;\n"
     "docs/forwarding.md), in the order of its commit, at least once: a cursor per endpoint\n"
     "and workspace, replaced once the endpoint has answered, survives a kill. Without --every\n"
     "one pass (cron; exit 1 when an endpoint failed); with it, a pass every SECONDS until\n"
     "SIGTERM, the configuration read again at each. How far behind each endpoint is, and its\n"
     "last error, are in GET /healthz. --wait: wait for another forwarder to end.\n",
     true},
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
	o->filters = xmalloc((size_t)argc * sizeof(*o->filters));
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
		else if (options[k].many && i + 1 < argc)
			o->filters[o->nfilters++] = argv[++i];
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
	/* Past a file-size limit (`ulimit -f`, LimitFSIZE=) a write fails with EFBIG, which each
	 * command reports and undoes as any failed write, rather than SIGXFSZ killing it. */
	signal(SIGXFSZ, SIG_IGN);
	if (a1 && !strcmp(a1, "key"))
		return key_main(argc, argv);
	if (a1 && !strcmp(a1, "redact"))
		return redactcmd_main(argc, argv);
	if (a1 && (!strcmp(a1, "ship") || !strcmp(a1, "pull")))
		return shipcmd_main(argc, argv);
	if (a1 && (!strcmp(a1, "--version") || !strcmp(a1, "version"))) {
		printf("spandex %s (%s)\n", PACKAGE_VERSION, SPANDEX_COMMIT);
		return 0;
	}
	if (a1 && (!strcmp(a1, "help") || !strcmp(a1, "--help") || !strcmp(a1, "-h"))) {
		const struct command *h = command(argc >= 3 ? argv[2] : NULL);
		if (argc >= 3 && !strcmp(argv[2], "key"))
			return key_main(3, (char *[]){argv[0], "key", "--help", NULL});
		if (argc >= 3 && !strcmp(argv[2], "redact"))
			return redactcmd_main(3, (char *[]){argv[0], "redact", "--help", NULL});
		if (argc >= 3 && (!strcmp(argv[2], "ship") || !strcmp(argv[2], "pull"))) {
			fputs(shipcmd_usage, stdout);
			return 0;
		}
		if (argc >= 3 && !h) {
			fprintf(stderr, "spandex: unknown command '%s'\n%s", argv[2], usage);
			return 2;
		}
		if (!h)
			fputs(what, stdout);
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
	if (c->as_owner && (rc = cli_become_owner(c->name, o.pos[0])))
		goto out;
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
	free(o.filters);
	return rc;
}
