/* hook: the shipper seen from the write path (the store hook) and from /healthz and
 * `spandex ship --status` (what this host knows of each workspace, from its files alone). */
#include "lib/ship/internal.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/model/workspace.h"

const char *const ship_owner_names[] = {"new", "owner", "lost", "behind", "copy", NULL};

/* A write to a workspace that is not this host's to write is refused before it starts. */
static enum status hook_before(void *ctx, struct store *st, const char *ws, struct err *e)
{
	struct ship *s = ctx;
	(void)st;
	struct err fe = {0};
	if (state_fenced(s->root, ws, &fe))
		return err_set(e, ST_UNAVAILABLE, "%s", fe.msg);
	return ST_OK;
}

/* Sync mode: the write is answered only once a pass has put it in the bucket. The pass takes
 * the workspace's pass lock, so writers that arrive while one runs wait, and the first of them
 * ships what all of them committed; the others find nothing left and return at once. */
static enum status hook_after(void *ctx, struct store *st, const char *ws, struct err *e)
{
	struct ship *s = ctx;
	(void)st;
	if (!s->c.sync)
		return ST_OK;
	struct ship_report r;
	struct err pe = {0};
	if (ship_pass(s, ws, &r, &pe) == ST_OK)
		return ST_OK;
	return err_set(e, ST_UNAVAILABLE,
		       "the write is stored on this host but not in the bucket, so it is not "
		       "acknowledged (SPANDEX_S3_SYNC=1): %s",
		       pe.msg);
}

const struct store_hook *ship_hook(struct ship *s)
{
	s->hook = (struct store_hook){.before = hook_before, .after = hook_after, .ctx = s};
	return &s->hook;
}

/* The marker's member name, or NULL. */
static json_t *marker(const char *root, const char *ws)
{
	char p[PATH_MAX];
	return state_path(p, root, ws, ".lost") ? json_load_file(p, 0, NULL) : NULL;
}

enum status ship_status(const char *root, const char *ws, struct ship_status *out)
{
	struct sstate s;
	memset(out, 0, sizeof(*out));
	enum status st = state_load(root, ws, &s, NULL);
	if (st != ST_OK)
		return st;
	out->owner = s.exists && s.seq ? SHIP_OWNER : SHIP_NEW;
	out->seq = s.seq;
	out->pass_at = s.pass_at;
	out->caught_up_at = s.caught_up_at;
	out->lag_bytes = s.lag_bytes;
	out->error_at = s.error_at;
	snprintf(out->error, sizeof out->error, "%s", s.error);
	json_t *m = marker(root, ws);
	if (m) {
		const char *kind = json_string_value(json_object_get(m, "kind"));
		out->owner = !kind || !strcmp(kind, "lost") ? SHIP_LOST
			     : !strcmp(kind, "copy")	    ? SHIP_COPY
							    : SHIP_BEHIND;
		snprintf(out->lost_to, sizeof out->lost_to, "%s",
			 json_string_value(json_object_get(m, "to")) ?: "");
		out->lost_seq = (uint64_t)json_integer_value(json_object_get(m, "seq"));
		int64_t at;
		const char *when = json_string_value(json_object_get(m, "at"));
		out->lost_at = when && time_parse(when, true, &at) ? at : 0;
		json_decref(m);
	}
	state_free(&s);
	return ST_OK;
}

enum status ship_lost_report(const char *root, const char *ws, struct buf *out)
{
	json_t *m = marker(root, ws), *r = json_object_get(m, "report");
	if (r && json_object_size(r)) {
		logobj_json(r, out);
	}
	json_decref(m);
	return ST_OK;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum status ship_known(const char *root, char ***names, size_t *n)
{
	char p[PATH_MAX];
	*names = NULL;
	*n = 0;
	snprintf(p, sizeof p, "%s/%s", root, SHIP_DIR);
	DIR *d = opendir(p);
	if (!d)
		return errno == ENOENT ? ST_OK : status_from_errno(errno);
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char name[64];
		if (len < 7 || len - 6 >= sizeof name || strcmp(de->d_name + len - 6, ".state"))
			continue;
		memcpy(name, de->d_name, len - 6);
		name[len - 6] = '\0';
		if (!workspace_valid(name))
			continue;
		*names = xrealloc(*names, (*n + 1) * sizeof(**names));
		(*names)[(*n)++] = xstrdup(name);
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof(**names), name_cmp);
	return ST_OK;
}
