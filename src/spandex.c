/* spandex: the operator's command line: reindex, verify and stats over a data directory. */
#include "lib/store.h"
#include "lib/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
	"usage: spandex reindex DATA [--workspace W]   rebuild every index from the JSONL\n"
	"       spandex verify DATA [--workspace W]    check every index against its data\n"
	"       spandex stats DATA [--workspace W]     workspaces, days, spans and bytes\n"
	"Exit status: 0 ok, 1 a problem was found or an operation failed, 2 usage.\n";

/* A progress bar on stderr, only when it is a terminal (cron stays quiet). */
struct progress {
	bool tty;
	const char *label;
};

static void progress_cb(void *ctx, size_t done, size_t total)
{
	struct progress *p = ctx;
	if (!p->tty || !total)
		return;
	int width = 40, fill = (int)(done * (size_t)width / total);
	fprintf(stderr, "\r%-24.24s [%.*s%*s] %zu/%zu", p->label, fill,
		"########################################", width - fill, "", done, total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

static void report(void *ctx, const char *msg)
{
	(void)ctx;
	printf("%s\n", msg);
}

/* The workspaces a command covers: the one named, or all of them. */
static int workspaces(struct store *st, const char *only, char ***names, size_t *n)
{
	if (only) {
		if (!workspace_valid(only)) {
			fprintf(stderr, "spandex: invalid workspace name '%s'\n", only);
			return -1;
		}
		*names = xmalloc(sizeof(**names));
		(*names)[0] = xstrdup(only);
		*n = 1;
		return 0;
	}
	if (store_workspaces(st, names, n) != ST_OK) {
		fprintf(stderr, "spandex: cannot list %s: %s\n", st->root, strerror(errno));
		return -1;
	}
	return 0;
}

static int cmd_reindex(struct store *st, char **ws, size_t n, struct progress *pg)
{
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		char err[512] = "";
		pg->label = ws[i];
		if (store_reindex(st, ws[i], progress_cb, pg, err, sizeof(err)) != ST_OK) {
			fprintf(stderr, "spandex: reindex %s: %s\n", ws[i], *err ? err : strerror(errno));
			rc = 1;
		}
	}
	return rc;
}

static int cmd_verify(struct store *st, char **ws, size_t n, struct progress *pg)
{
	size_t problems = 0;
	for (size_t i = 0; i < n; i++) {
		pg->label = ws[i];
		problems += store_verify(st, ws[i], report, NULL, progress_cb, pg);
	}
	if (problems)
		fprintf(stderr, "spandex: %zu problem%s found\n", problems, problems == 1 ? "" : "s");
	return problems ? 1 : 0;
}

static off_t file_size(struct store *st, const char *ws, int32_t day, const char *ext)
{
	char p[4096];
	struct stat sb;
	return shard_path(p, st, ws, day, ext) && stat(p, &sb) == 0 ? sb.st_size : 0;
}

static int cmd_stats(struct store *st, char **ws, size_t n)
{
	printf("%-32s %6s %12s %12s %14s %14s\n", "workspace", "days", "spans", "versions",
	       "data_bytes", "index_bytes");
	unsigned long long tspans = 0, tdata = 0, tidx = 0;
	for (size_t i = 0; i < n; i++) {
		int32_t *days;
		size_t nd;
		if (store_days(st, ws[i], &days, &nd) != ST_OK)
			return 1;
		unsigned long long spans = 0, versions = 0, data = 0, idx = 0;
		for (size_t d = 0; d < nd; d++) {
			struct shard sh;
			if (shard_open(st, ws[i], days[d], &sh) == ST_OK) {
				for (size_t k = 0; k < sh.nrecs; k++)
					spans += !(sh.recs[k].flags & REC_SUPERSEDED);
				versions += sh.nrecs;
				shard_close(&sh);
			}
			data += (unsigned long long)file_size(st, ws[i], days[d], "jsonl");
			idx += (unsigned long long)file_size(st, ws[i], days[d], "idx");
		}
		char p[4096];
		struct stat sb;
		if (store_path(p, st, ws[i], "ids.tab") && stat(p, &sb) == 0)
			idx += (unsigned long long)sb.st_size;
		printf("%-32s %6zu %12llu %12llu %14llu %14llu\n", ws[i], nd, spans, versions, data,
		       idx);
		tspans += spans;
		tdata += data;
		tidx += idx;
		free(days);
	}
	printf("%-32s %6s %12llu %12s %14llu %14llu\n", "total", "", tspans, "", tdata, tidx);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fputs(usage, stderr);
		return 2;
	}
	const char *cmd = argv[1], *only = NULL;
	struct store st;
	store_init(&st, argv[2], true);
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--workspace") && i + 1 < argc) {
			only = argv[++i];
		} else {
			fprintf(stderr, "spandex: unknown argument '%s'\n%s", argv[i], usage);
			return 2;
		}
	}
	struct stat sb;
	if (stat(st.root, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "spandex: %s is not a data directory\n", st.root);
		return 1;
	}
	char **ws = NULL;
	size_t n = 0;
	int rc;
	struct progress pg = {isatty(STDERR_FILENO), ""};
	if (strcmp(cmd, "reindex") && strcmp(cmd, "verify") && strcmp(cmd, "stats")) {
		fprintf(stderr, "spandex: unknown command '%s'\n%s", cmd, usage);
		return 2;
	}
	if (workspaces(&st, only, &ws, &n) < 0)
		return 1;
	if (!strcmp(cmd, "reindex"))
		rc = cmd_reindex(&st, ws, n, &pg);
	else if (!strcmp(cmd, "verify"))
		rc = cmd_verify(&st, ws, n, &pg);
	else
		rc = cmd_stats(&st, ws, n);
	for (size_t i = 0; i < n; i++)
		free(ws[i]);
	free(ws);
	return rc;
}
