/* cli: what the commands of the spandex command line share (src/cli.h): the check of DATA,
 * the workspaces a command covers, its progress. */
#include "src/cli.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/time.h"
#include "lib/model/workspace.h"

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

bool cli_data_dir(const char *cmd, const char *p)
{
	struct stat sb;
	if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
		return true;
	fprintf(stderr, "spandex: %s%s%s is not a data directory\n", cmd ? cmd : "",
		cmd ? ": " : "", p);
	return false;
}

int cli_become_owner(const char *cmd, const char *p)
{
	struct stat sb;
	if (geteuid() != 0 || stat(p, &sb) < 0 || sb.st_uid == 0)
		return 0;
	/* Root-owned files in DATA could not be read by the programs (a sealed day vanished from
	 * every answer, every ingest after a reindex was a 503). */
	const struct passwd *pw = getpwuid(sb.st_uid);
	if ((pw ? initgroups(pw->pw_name, sb.st_gid) : setgroups(0, NULL)) == 0 &&
	    setgid(sb.st_gid) == 0 && setuid(sb.st_uid) == 0)
		return 0;
	fprintf(stderr, "spandex: %s: cannot run as %s's owner (uid %u): %s\n", cmd, p,
		(unsigned)sb.st_uid, strerror(errno));
	return 1;
}

bool cli_inside(const char *p, const char *dir)
{
	char d[PATH_MAX], q[PATH_MAX], r[PATH_MAX];
	if (!realpath(dir, d) || snprintf(q, sizeof q, "%s", p) >= (int)sizeof q)
		return false;
	/* The nearest ancestor of p that exists: what is below it is made under it. */
	while (!realpath(q, r)) {
		char *slash = strrchr(q, '/');
		if (!strcmp(q, ".")) /* no working directory (removed under the command) */
			return false;
		if (!slash) /* a relative name: under the working directory */
			snprintf(q, sizeof q, ".");
		else
			slash[slash == q] = 0; /* "/x" is under "/" */
	}
	size_t n = strlen(d);
	return !strncmp(r, d, n) && (r[n] == 0 || r[n] == '/' || n == 1);
}

bool cli_time_opt(const char *name, const char *v, int64_t *us)
{
	if (time_parse(v, false, us))
		return true;
	fprintf(stderr, "spandex: %s wants an RFC 3339 time or YYYY-MM-DD, not '%s'\n", name, v);
	return false;
}
