/* export: `spandex export`: the live spans of a workspace that a window, filters and a search
 * select, read through lib/query as the list APIs read them, written out as they are found as
 * JSONL (the stored lines), OTLP/JSON or CSV (lib/model/export.h), in the memory of one span
 * whatever the count (BENCHMARKS-HISTORY.md, "Export and forwarding"). */
#include "src/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/model/export.h"
#include "lib/query/query.h"
#include "lib/query/search.h"
#include "lib/store/ops.h"

/* Bytes written at a time. */
#define EXPORT_CHUNK (64u << 10)

struct sink {
	int fd;
	struct buf out;
	struct export x;
	int err; /* errno of the first failed write; nothing more is written after it */
	/* --media: where the media files of the lines go (docs/media.md); NULL: none */
	struct store *st;
	const char *ws, *media;
};

static void flush(struct sink *k, bool all)
{
	if (k->err || !(all ? k->out.len : k->out.len >= EXPORT_CHUNK))
		return;
	for (size_t done = 0; done < k->out.len && !k->err;) {
		ssize_t w = write(k->fd, k->out.p + done, k->out.len - done);
		if (w > 0)
			done += (size_t)w;
		else if (w < 0 && errno != EINTR)
			k->err = errno;
	}
	k->out.len = 0;
}

static void visit(void *ctx, const struct query_row *row)
{
	struct sink *k = ctx;
	if (k->err)
		return;
	if (k->media && ops_export_media(k->st, k->ws, row->line, row->len, k->media) < 0) {
		k->err = errno;
		return;
	}
	export_line(&k->x, row->line, row->len);
	flush(k, false);
}

/* The conditions of the command line into q: the window [from, to) on started_at and each
 * --filter FIELD=VALUE, the equalities the list APIs' filters take (lib/query/cond.h); the
 * terms of --search. 0, or 2 after saying what is wrong. */
static int conditions(const struct opts *o, int64_t from, int64_t to, struct query *q,
		      struct filter *f)
{
	struct err e;
	f->conds = arena_alloc(q->a, FILTER_MAX_CONDS * sizeof *f->conds);
	if (o->nfilters + 2 > FILTER_MAX_CONDS) {
		fprintf(stderr, "spandex: export: at most %d --filter\n", FILTER_MAX_CONDS - 2);
		return 2;
	}
	struct filter_cond *c = f->conds;
	c[f->n++] = (struct filter_cond){.field = FF_STARTED_AT, .op = FOP_GTE, .us = from};
	c[f->n++] = (struct filter_cond){.field = FF_STARTED_AT, .op = FOP_LTE, .us = to - 1};
	for (size_t i = 0; i < o->nfilters; i++) {
		const char *eq = strchr(o->filters[i], '=');
		int ff = eq ? cond_field(
				  arena_strndup(q->a, o->filters[i], (size_t)(eq - o->filters[i])))
			    : -1;
		if (ff < 0) {
			fprintf(
			    stderr,
			    "spandex: export: --filter wants FIELD=VALUE, FIELD one of the "
			    "span's (status, model, session_id, trace_id, kind ...), not '%s'\n",
			    o->filters[i]);
			return 2;
		}
		if (cond_eq(q->a, &c[f->n++], ff, eq + 1, &e) != ST_OK) {
			fprintf(stderr, "spandex: export: %s\n", e.msg);
			return 2;
		}
	}
	q->f = f;
	const char **terms = NULL;
	enum search_parse r = o->search ? search_terms_parse(q->a, o->search, SEARCH_MAX_TERMS,
							     SEARCH_MAX_TERM, &terms, &q->nsearch)
					: SEARCH_OK;
	q->search = terms;
	if (r != SEARCH_OK) {
		fprintf(stderr, "spandex: export: --search: %s\n", search_parse_msg(r));
		return 2;
	}
	return 0;
}

/* Where the export goes: stdout, or --out. A file appears whole or not at all: written aside,
 * renamed when complete (finish). What is not a regular file (a device, a FIFO: --out
 * /dev/stdout) is written in place: renamed over, /dev/full became a file. -1 after saying
 * why. */
static int open_out(const struct opts *o, char *tmp, size_t cap, bool *aside)
{
	struct stat sb;
	int fd;
	*aside = o->out && !(stat(o->out, &sb) == 0 && !S_ISREG(sb.st_mode));
	if (!o->out)
		return STDOUT_FILENO;
	if (!*aside)
		fd = open(o->out, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
	else if (snprintf(tmp, cap, "%s.tmp", o->out) >= (int)cap)
		fd = -1, errno = ENAMETOOLONG;
	else
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		fprintf(stderr, "spandex: export: %s: %s\n", *aside ? tmp : o->out,
			strerror(errno));
	return fd;
}

static enum status finish(const struct opts *o, int fd, const char *tmp, bool aside, enum status rc,
			  struct err *e)
{
	if (aside) {
		if (rc == ST_OK && (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, o->out) < 0))
			rc = err_set(e, ST_UNAVAILABLE, "%s: %s", o->out, strerror(errno));
		if (rc != ST_OK) {
			close(fd);
			unlink(tmp);
		}
	} else if (o->out && close(fd) < 0 && rc == ST_OK)
		rc = err_set(e, ST_UNAVAILABLE, "%s: %s", o->out, strerror(errno));
	return rc;
}

int cmd_export(const char *cmd, struct opts *o)
{
	(void)cmd;
	struct err e = {ST_OK, ""};
	char tmp[PATH_MAX];
	int64_t from = INT64_MIN / 2, to = INT64_MAX / 2;
	int fmt = export_format_parse(o->format ? o->format : "jsonl");
	if (fmt < 0) {
		fprintf(stderr, "spandex: export: --format is jsonl, otlp-json or csv, not '%s'\n",
			o->format);
		return 2;
	}
	if ((o->from && !cli_time_opt("--from", o->from, &from)) ||
	    (o->to && !cli_time_opt("--to", o->to, &to)))
		return 2;
	if (from >= to) { /* an empty window is a mistake, not an empty export */
		fprintf(stderr, "spandex: export: --from (%s) must be before --to (%s)\n", o->from,
			o->to);
		return 2;
	}
	struct store st;
	store_init(&st, o->pos[0], true);
	char **ws;
	size_t nws;
	if (cli_workspaces(&st, o->workspace, &ws, &nws) < 0)
		return 1;
	cli_free_names(ws, nws);
	struct arena *a = arena_new();
	struct filter f = {0};
	struct query q = {.st = &st,
			  .a = a,
			  .ws = o->workspace,
			  .sort = "started_at",
			  .budget_ms = EXPORT_BUDGET_MS,
			  .budget_bytes = EXPORT_BUDGET_BYTES,
			  .budget_resident = EXPORT_RESIDENT};
	int rc2 = conditions(o, from, to, &q, &f);
	bool aside;
	int fd = rc2 ? -1 : open_out(o, tmp, sizeof tmp, &aside);
	if (fd < 0) {
		arena_free(a);
		return rc2 ? rc2 : 1;
	}
	/* What the mapping parses lives in the arena, given back span by span. */
	arena_json(a);
	struct sink k = {.fd = fd, .st = &st, .ws = o->workspace, .media = o->media};
	buf_init(&k.out);
	export_begin(&k.x, (enum export_format)fmt, a, &k.out);
	enum status rc = query_span_visit(&q, visit, &k);
	export_end(&k.x);
	flush(&k, true);
	arena_json(NULL);
	if (rc != ST_OK)
		err_set(&e, rc, "%s", q.err.msg[0] ? q.err.msg : status_message(rc));
	else if (k.err)
		rc = err_set(&e, ST_UNAVAILABLE, "writing: %s", strerror(k.err));
	rc = finish(o, fd, tmp, aside, rc, &e);
	buf_free(&k.out);
	arena_free(a);
	if (rc != ST_OK) {
		fprintf(stderr, "spandex: export: %s\n", err_text(&e));
		return 1;
	}
	if (o->verbose)
		fprintf(stderr, "export: %zu spans\n", k.x.spans);
	if (k.x.skipped)
		fprintf(stderr, "spandex: export: %zu damaged lines left out (spandex verify)\n",
			k.x.skipped);
	/* A day it could not read never stops the rest (issue 55), but the run fails, naming it. */
	if (q.unread) {
		char d[11];
		time_day_format(q.unread_day, d);
		fprintf(stderr,
			"spandex: export: %s/%s%s: unreadable day left out of the export, the rest "
			"written (spandex verify names the damage, spandex reindex mends it)\n",
			o->workspace, d, q.unread > 1 ? " and more days" : "");
		return 1;
	}
	return 0;
}
