/* rules: a workspace's retention rules (ops.h), one small JSON document beside its tables,
 * <DATA>/<ws>/retention.json: {"rules":[{...}, ...]}, oldest first. Written whole under the
 * workspace lock, aside and renamed (as the id tables are), so a crash leaves the old version
 * or the new one and `spandex retain`, which reads it without the lock, sees one of them. */
#include "lib/store/ops.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include "lib/base/buf.h"
#include "lib/base/time.h"
#include "lib/json/jsonw.h"
#include "lib/store/io.h"
#include "lib/store/layout.h"

const char *const store_rule_level_names[] = {"organization", "workspace", "project", NULL};

/* ---- the document ---- */

static const char *str_in(struct arena *a, json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? arena_strdup(a, s) : NULL;
}

static bool time_in(json_t *o, const char *k, int64_t *us)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s && time_parse(s, false, us);
}

/* One rule from its object; false when a member is missing or odd. */
static bool rule_in(struct arena *a, json_t *o, struct store_rule *r)
{
	const char *level = json_string_value(json_object_get(o, "level"));
	json_t *days = json_object_get(o, "days");
	int k = 0;
	memset(r, 0, sizeof *r);
	while (level && store_rule_level_names[k] && strcmp(store_rule_level_names[k], level))
		k++;
	if (!level || !store_rule_level_names[k] || !(r->id = str_in(a, o, "id")) ||
	    !(json_is_null(days) || (json_is_integer(days) && json_integer_value(days) >= 0 &&
				     json_integer_value(days) <= INT32_MAX)) ||
	    !time_in(o, "created_at", &r->created_at) || !time_in(o, "updated_at", &r->updated_at))
		return false;
	r->level = (enum store_rule_level)k;
	r->days = json_is_null(days) ? STORE_RULE_FOREVER : (int32_t)json_integer_value(days);
	r->project_id = str_in(a, o, "project_id");
	r->apply_to_past = json_is_true(json_object_get(o, "apply_to_past"));
	r->enabled = json_is_true(json_object_get(o, "enabled"));
	r->created_by = str_in(a, o, "created_by");
	r->updated_by = str_in(a, o, "updated_by");
	return true;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *time_out(int64_t us)
{
	char ts[40];
	time_format(us, ts);
	return json_string(ts);
}

static json_t *rule_out(const struct store_rule *r)
{
	return json_pack(
	    "{s:o,s:o,s:s,s:o,s:b,s:b,s:o,s:o,s:o,s:o}", "id", str_or_null(r->id), "project_id",
	    str_or_null(r->project_id), "level", store_rule_level_names[r->level], "days",
	    r->days == STORE_RULE_FOREVER ? json_null() : json_integer(r->days), "apply_to_past",
	    r->apply_to_past, "enabled", r->enabled, "created_by", str_or_null(r->created_by),
	    "created_at", time_out(r->created_at), "updated_by", str_or_null(r->updated_by),
	    "updated_at", time_out(r->updated_at));
}

/* ---- read ---- */

/* The file's bytes into a NUL-terminated string of a, or NULL with *n 0 when there is none;
 * -1 with errno on a failure (EFBIG over STORE_RULES_MAX_BYTES). */
static int file_read(const char *p, struct arena *a, char **text, size_t *n)
{
	struct stat sb;
	int rc = -1;
	*text = NULL;
	*n = 0;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &sb) < 0) {
		/* errno says why */
	} else if ((uint64_t)sb.st_size > STORE_RULES_MAX_BYTES) {
		errno = EFBIG;
	} else {
		char *t = arena_alloc(a, (size_t)sb.st_size + 1);
		if (io_pread_all(fd, t, (size_t)sb.st_size, 0) == 0) {
			t[sb.st_size] = 0;
			*text = t;
			*n = (size_t)sb.st_size;
			rc = 0;
		}
	}
	int en = errno;
	close(fd);
	errno = en;
	return rc;
}

/* Errors name the file as <ws>/retention.json, inside the data directory, never by its
 * absolute path: an API answers with them (issue 55, item 8). */
static enum status rules_parse(struct arena *a, const char *ws, const char *text, size_t n,
			       struct store_rules *out, struct err *e)
{
	json_t *doc = json_loadb(text, n, 0, NULL), *list = json_object_get(doc, "rules"), *x;
	size_t i, k = 0;
	enum status rc = ST_OK;
	if (!json_is_array(list)) {
		json_decref(doc);
		return err_set(e, ST_UNAVAILABLE, "%s/%s: not a rules document", ws,
			       layout_name(LAYOUT_RULES));
	}
	out->v = arena_alloc(a, (json_array_size(list) + 1) * sizeof *out->v);
	json_array_foreach(list, i, x)
	{
		if (!rule_in(a, x, &out->v[k++])) {
			rc = err_set(e, ST_UNAVAILABLE, "%s/%s: rule %zu is damaged", ws,
				     layout_name(LAYOUT_RULES), i);
			break;
		}
	}
	out->n = rc == ST_OK ? k : 0;
	json_decref(doc);
	return rc;
}

enum status store_rules_read(struct store *st, const char *ws, struct arena *a,
			     struct store_rules *out, struct err *e)
{
	char p[PATH_MAX];
	char *text;
	size_t n;
	memset(out, 0, sizeof *out);
	if (!layout_path(p, st, ws, LAYOUT_RULES))
		return err_set(e, ST_BAD_REQUEST, "%s: path too long", ws);
	if (file_read(p, a, &text, &n) < 0)
		return err_sys(e, errno, "%s/%s", ws, layout_name(LAYOUT_RULES));
	return text ? rules_parse(a, ws, text, n, out, e) : ST_OK;
}

/* ---- write ---- */

/* The rules written aside, synced, and renamed over the file. */
static enum status rules_write(struct store *st, const char *ws, const struct store_rules *r,
			       struct err *e)
{
	char p[PATH_MAX], tmp[PATH_MAX];
	json_t *list = json_array();
	for (size_t i = 0; i < r->n; i++)
		json_array_append_new(list, rule_out(&r->v[i]));
	json_t *doc = json_pack("{s:o}", "rules", list);
	struct buf text;
	buf_init(&text);
	jsonw_jansson(&text, doc, JSON_COMPACT);
	buf_addc(&text, '\n');
	json_decref(doc);
	enum status rc = ST_OK;
	int fd = -1;
	if (!layout_path(p, st, ws, LAYOUT_RULES) || !layout_path(tmp, st, ws, LAYOUT_RULES_TMP)) {
		rc = err_set(e, ST_BAD_REQUEST, "%s: path too long", ws);
	} else if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0 ||
		   io_write_all(fd, text.p, text.len) < 0 || (st->sync && fdatasync(fd) < 0) ||
		   rename(tmp, p) < 0) {
		rc = err_sys(e, errno, "%s/%s", ws, layout_name(LAYOUT_RULES_TMP));
		unlink(tmp);
	} else if (st->sync) {
		layout_sync_dir(st, ws);
	}
	if (fd >= 0)
		close(fd);
	buf_free(&text);
	return rc;
}

enum status store_rules_update(struct store *st, const char *ws, struct arena *a, store_rules_fn fn,
			       void *ctx, struct err *e)
{
	if (!workspace_valid(ws))
		return err_set(e, ST_BAD_REQUEST, "invalid workspace name '%s'", ws);
	if (layout_mkdir(st, ws) < 0)
		return err_sys(e, errno, "%s", ws);
	int lockfd = layout_ws_lock(st, ws, true);
	if (lockfd < 0)
		return err_sys(e, errno, "%s: workspace lock", ws);
	struct store_rules r;
	enum status rc = store_hook_before(st, ws, e);
	if (rc == ST_OK)
		rc = store_rules_read(st, ws, a, &r, e);
	if (rc == ST_OK)
		rc = fn(ctx, a, &r, e);
	if (rc == ST_OK)
		rc = rules_write(st, ws, &r, e);
	close(lockfd);
	return rc == ST_OK ? store_hook_after(st, ws, e) : rc;
}

int32_t store_rules_cutoff(const struct store_rules *r, int32_t today, int32_t cutoff)
{
	for (size_t i = 0; r && i < r->n; i++) {
		const struct store_rule *x = &r->v[i];
		if (!x->enabled)
			continue;
		if (x->days == STORE_RULE_FOREVER)
			return INT32_MIN;
		if (today - x->days < cutoff)
			cutoff = today - x->days;
	}
	return cutoff;
}
