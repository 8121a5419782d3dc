/* cli: what the files of the spandex command line share: the parsed options, the workspaces
 * a command covers, its progress (src/cli.c), and the commands each file runs (src/storecmd.c:
 * the store commands; src/jobs.c: the jobs cron runs); src/spandex.c parses and calls them. */
#ifndef SPANDEX_SRC_CLI_H
#define SPANDEX_SRC_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/store/store.h"
#include "src/progress.h"

/* The command line, parsed. */
struct opts {
	const char *pos[2]; /* DATA, and DEST or DATA for backup and restore */
	char **files;	    /* import: the FILE arguments */
	char **filters;	    /* export: each --filter */
	size_t npos, nfiles, nfilters;
	const char *workspace, *archive, *from, *to, *out, *days, *older_than, *prices;
	const char *format, *search, *every, *media;
	const char *trace, *session, *user, *judgement, *by; /* erase */
	bool force, wait, verbose, progress, no_progress, keep_revoked, pending, dictionary;
};

/* Whether p is a directory, the DATA a command reads; else says so, as spandex CMD: (cmd NULL:
 * spandex:). */
bool cli_data_dir(const char *cmd, const char *p);
/* Run as root, becomes the owner of DATA p (its user, that user's groups) when that is not
 * root: what a command then makes in DATA (a sealed day, an index, an id table, a workspace)
 * is the programs' to read and write, as if run as `sudo -u OWNER`. 0, or 1 after saying why
 * it could not. */
int cli_become_owner(const char *cmd, const char *p);
/* Whether path p (which need not exist yet: its nearest existing ancestor is resolved) is the
 * directory dir or lies under it, symbolic links followed. */
bool cli_inside(const char *p, const char *dir);
/* The workspaces a command covers: the one named (only), or all of them. 0, or -1 after
 * saying why. */
int cli_workspaces(struct store *st, const char *only, char ***names, size_t *n);
void cli_free_names(char **ws, size_t n);
/* The progress the options ask for: shown on a terminal, or with --progress. */
struct progress cli_progress_for(const struct opts *o);
/* The text and field index of day of ws, built when it does not cover the day's records;
 * counts a build into *built. 0, or 1 after saying what failed. */
int cli_index_day(struct store *st, const char *ws, int32_t day, size_t *built);
/* reindex, index, verify or stats (cmd) over one workspace or all of them (src/storecmd.c):
 * the exit status. */
int cmd_store(const char *cmd, struct opts *o);
/* verify over the workspaces ws[0..n): the exit status. */
int cmd_verify(struct store *st, char **ws, size_t n, struct progress *pg, const struct opts *o);

/* --from or --to (name) v: RFC 3339, or a date (midnight UTC), into *us; else says so. */
bool cli_time_opt(const char *name, const char *v, int64_t *us);
/* spandex erase (src/erase.c). */
int cmd_erase(const char *cmd, struct opts *o);

/* The jobs (src/jobs.c): each returns the exit status. */
int cmd_seal(const char *cmd, struct opts *o);
int cmd_retain(const char *cmd, struct opts *o);
int cmd_backup(const char *cmd, struct opts *o);
int cmd_restore(const char *cmd, struct opts *o);
int cmd_export(const char *cmd, struct opts *o);
int cmd_import(const char *cmd, struct opts *o);
/* spandex forward (src/forward.c). */
int cmd_forward(const char *cmd, struct opts *o);

#endif
