/* layout: the store's file names, its paths, its listings and the workspace lock. A name
 * appears here once; every other file of lib/store asks for it by its enum layout_file. */
#include "lib/store/layout.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/store/io.h"
#include "lib/store/mapcache.h"

static const struct {
	const char *name;
	bool shard;	      /* <day>.<name>, else a file of the workspace */
	bool aside;	      /* a temporary, renamed over its file when complete */
	enum layout_file tmp; /* the temporary this file is written under, or itself */
	bool beside;	      /* named by day, but no part of the shard (no day of its own) */
} files[LAYOUT__COUNT] = {
    [LAYOUT_IDX] = {"idx", true, false, LAYOUT_IDX_TMP},
    [LAYOUT_IDX_TMP] = {"idx.tmp", true, true, LAYOUT_IDX_TMP},
    [LAYOUT_JSONL] = {"jsonl", true, false, LAYOUT_JSONL},
    [LAYOUT_ZST] = {"jsonl.zst", true, false, LAYOUT_ZST_TMP},
    [LAYOUT_ZST_TMP] = {"jsonl.zst.tmp", true, true, LAYOUT_ZST_TMP},
    [LAYOUT_LATE] = {"late.jsonl", true, false, LAYOUT_LATE},
    /* Not *.jsonl*: a leftover of a killed reindex is never read as spans. */
    [LAYOUT_LINES_TMP] = {"lines.tmp", true, true, LAYOUT_LINES_TMP},
    /* Not *.jsonl.zst*: a seal's temporary is another name (they may run at once). */
    [LAYOUT_FOOTER_TMP] = {"footer.tmp", true, true, LAYOUT_FOOTER_TMP},
    /* Derived: a text index alone makes no day (its shard must match it to be read). */
    [LAYOUT_DAYINDEX] = {"tix", true, false, LAYOUT_DAYINDEX_TMP, true},
    [LAYOUT_DAYINDEX_TMP] = {"tix.tmp", true, true, LAYOUT_DAYINDEX_TMP},
    [LAYOUT_TAILINDEX] = {"tdx", true, false, LAYOUT_TAILINDEX, true},
    [LAYOUT_SUP] = {"sup", true, false, LAYOUT_SUP, true},
    [LAYOUT_TAILPAIRS] = {"tpx", true, false, LAYOUT_TAILPAIRS, true},
    [LAYOUT_IDS] = {"ids.tab", false, false, LAYOUT_IDS_TMP},
    [LAYOUT_IDS_TMP] = {"ids.tab.tmp", false, true, LAYOUT_IDS_TMP},
    [LAYOUT_TRACES] = {"traces.tab", false, false, LAYOUT_TRACES_TMP},
    [LAYOUT_TRACES_TMP] = {"traces.tab.tmp", false, true, LAYOUT_TRACES_TMP},
    [LAYOUT_SESSIONS] = {"sessions.tab", false, false, LAYOUT_SESSIONS_TMP},
    [LAYOUT_SESSIONS_TMP] = {"sessions.tab.tmp", false, true, LAYOUT_SESSIONS_TMP},
    [LAYOUT_JOURNAL] = {"journal", false, false, LAYOUT_JOURNAL},
    [LAYOUT_LOCK] = {"lock", false, false, LAYOUT_LOCK},
    /* Not *.jsonl*: analytics/spandex.sql and the jq recipe never read it as spans. */
    [LAYOUT_QUARANTINE] = {"quarantine", true, false, LAYOUT_QUARANTINE, true},
    [LAYOUT_RULES] = {STORE_RULES_FILE, false, false, LAYOUT_RULES_TMP},
    [LAYOUT_RULES_TMP] = {STORE_RULES_FILE ".tmp", false, true, LAYOUT_RULES_TMP},
};

const char *layout_name(enum layout_file f)
{
	return files[f].name;
}

bool layout_per_day(enum layout_file f)
{
	return files[f].shard;
}

enum layout_file layout_tmp(enum layout_file f)
{
	return files[f].tmp;
}

void store_init(struct store *st, const char *root, bool sync)
{
	io_more_files();
	st->root = root;
	st->sync = sync;
	st->kind = STORE_SPANS;
	st->hook = NULL;
	st->seal_dict = false;
}

void store_judgements(struct store *jst, const struct store *st)
{
	*jst = *st;
	jst->kind = STORE_JUDGEMENTS;
}

bool store_has_judgements(const struct store *st, const char *ws)
{
	char p[PATH_MAX];
	struct store j;
	struct stat sb;
	store_judgements(&j, st);
	return layout_dir(p, &j, ws) && stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Appends s to the path of *n bytes in out (PATH_MAX); false when it would not fit, out then
 * holding the path as it was (a caller may name it in its error). (One pass of the C library's:
 * GCC turned a strlen and a memcpy bounded by PATH_MAX into `rep movsq`, whose start-up cost was
 * most of a path's.) */
static bool path_add(char *out, size_t *n, const char *s)
{
	char *e = memccpy(out + *n, s, 0, PATH_MAX - *n);
	if (!e) {
		out[*n] = 0; /* memccpy stopped at the end of out, with no terminator */
		return false;
	}
	*n = (size_t)(e - 1 - out);
	return true;
}

/* <root>/<ws> (and /judgements for a judgement store), then /<name> and .<ext> when not
 * NULL. Joined by hand, not by printf: a query builds a few paths for every day it opens. */
static bool path_of(char *out, const struct store *st, const char *ws, const char *name,
		    const char *ext)
{
	size_t n = 0;
	if (path_add(out, &n, st->root) && path_add(out, &n, "/") && path_add(out, &n, ws) &&
	    (st->kind != STORE_JUDGEMENTS || path_add(out, &n, "/" STORE_JUDGEMENTS_DIR)) &&
	    (!name || (path_add(out, &n, "/") && path_add(out, &n, name))) &&
	    (!ext || (path_add(out, &n, ".") && path_add(out, &n, ext))))
		return true;
	errno = ENAMETOOLONG;
	return false;
}

bool layout_dir(char *out, const struct store *st, const char *ws)
{
	return path_of(out, st, ws, NULL, NULL);
}

bool layout_path(char *out, const struct store *st, const char *ws, enum layout_file f)
{
	return path_of(out, st, ws, files[f].name, NULL);
}

bool layout_shard_path(char *out, const struct store *st, const char *ws, int32_t day,
		       enum layout_file f)
{
	/* A day outside years 1-9999 has no file: the parsers refuse its times, and an id table
	 * written before they did may still name one (a version of 0000-12-31 or 10000-01-01). */
	if (!time_day_valid(day)) {
		errno = ENOENT;
		return false;
	}
	char d[11];
	time_day_format(day, d);
	return path_of(out, st, ws, d, files[f].name);
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

bool layout_day_among(const int32_t *days, size_t n, int32_t day)
{
	return n && bsearch(&day, days, n, sizeof day, cmp_i32);
}

/* Whether name is <YYYY-MM-DD>.<files[f].name> for a day a store may hold, in *day. */
static bool shard_name(const char *name, enum layout_file f, int32_t *day)
{
	const char *ext = files[f].name;
	char d[11];
	if (strlen(name) != 11 + strlen(ext) || name[10] != '.' || strcmp(name + 11, ext))
		return false;
	memcpy(d, name, 10);
	d[10] = 0;
	return time_day_parse(d, day);
}

enum status layout_days(struct store *st, const char *ws, enum layout_file f, int32_t **days,
			size_t *n)
{
	char p[PATH_MAX];
	*days = NULL;
	*n = 0;
	if (!layout_dir(p, st, ws))
		return ST_NOT_FOUND;
	DIR *d = opendir(p);
	if (!d)
		return errno == ENOENT ? ST_OK : status_from_errno(errno);
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		int32_t dn;
		if (!shard_name(e->d_name, f, &dn))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*days = xrealloc(*days, cap * sizeof(**days));
		}
		(*days)[(*n)++] = dn;
	}
	closedir(d);
	if (*n)
		qsort(*days, *n, sizeof(**days), cmp_i32);
	return ST_OK;
}

enum status layout_shard_days(struct store *st, const char *ws, int32_t **days, size_t *n)
{
	*days = NULL;
	*n = 0;
	for (int f = 0; f < LAYOUT__COUNT; f++) {
		int32_t *d;
		size_t nd;
		if (!files[f].shard || files[f].aside || files[f].beside)
			continue;
		enum status rc = layout_days(st, ws, f, &d, &nd);
		if (rc != ST_OK) {
			free(*days);
			*days = NULL;
			*n = 0;
			return rc;
		}
		*days = xrealloc(*days, (*n + nd + 1) * sizeof(**days));
		if (nd)
			memcpy(*days + *n, d, nd * sizeof(*d));
		*n += nd;
		free(d);
	}
	if (*n)
		qsort(*days, *n, sizeof(**days), cmp_i32);
	size_t k = 0;
	for (size_t i = 0; i < *n; i++)
		if (!k || (*days)[k - 1] != (*days)[i])
			(*days)[k++] = (*days)[i];
	*n = k;
	return ST_OK;
}

bool layout_day_lines(struct store *st, const char *ws, int32_t day)
{
	static const enum layout_file lines[] = {LAYOUT_JSONL, LAYOUT_ZST, LAYOUT_LATE};
	char p[PATH_MAX];
	struct stat sb;
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		if (!layout_shard_path(p, st, ws, day, lines[i]) ||
		    (stat(p, &sb) == 0 ? sb.st_size > 0 : errno != ENOENT))
			return true;
	return false;
}

bool layout_day_unborn(struct store *st, const char *ws, int32_t day)
{
	char p[PATH_MAX];
	struct stat sb;
	return layout_shard_path(p, st, ws, day, LAYOUT_IDX) && stat(p, &sb) == 0 &&
	       sb.st_size < STORE_IDX_HDR && !layout_day_lines(st, ws, day);
}

enum status store_days(struct store *st, const char *ws, int32_t **days, size_t *n)
{
	return layout_days(st, ws, LAYOUT_IDX, days, n);
}

/* ---- Looks (store_look): what a process found in a workspace directory, while it holds ---- */

/* Directories a process remembers (the least recently looked at is forgotten first). */
#define LOOK_DIRS 64

static struct look {
	char *dir;
	dev_t dev;
	ino_t ino;
	struct timespec mtime, ctime;
	uint64_t look; /* 0: changed too recently to take anything found in it */
	uint64_t used;
	bool listed; /* days: its days, listed under look; those with a .tix, a .sup */
	int32_t *days, *dayindex, *sup;
	size_t ndays, ndayindex, nsup;
} looks[LOOK_DIRS];
static size_t nlooks;
static uint64_t look_seq, look_clock;

static bool ts_eq(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/* Whether the times of a stat taken now are STORE_LOOK_SETTLE_MS old. */
static bool settled(const struct stat *sb)
{
	struct timespec now;
	struct timespec t = sb->st_mtim;
	if (sb->st_ctim.tv_sec > t.tv_sec ||
	    (sb->st_ctim.tv_sec == t.tv_sec && sb->st_ctim.tv_nsec > t.tv_nsec))
		t = sb->st_ctim;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t ms = (int64_t)(now.tv_sec - t.tv_sec) * 1000 + (now.tv_nsec - t.tv_nsec) / 1000000;
	return ms >= STORE_LOOK_SETTLE_MS;
}

uint64_t store_look(struct store *st, const char *ws)
{
	char p[PATH_MAX];
	struct stat sb;
	if (!layout_dir(p, st, ws) || stat(p, &sb) < 0)
		return 0;
	struct look *l = NULL;
	for (size_t i = 0; i < nlooks && !l; i++)
		if (!strcmp(looks[i].dir, p))
			l = &looks[i];
	if (l && l->look && l->dev == sb.st_dev && l->ino == sb.st_ino &&
	    ts_eq(l->mtime, sb.st_mtim) && ts_eq(l->ctime, sb.st_ctim)) {
		l->used = ++look_clock;
		return l->look;
	}
	if (!l && nlooks < LOOK_DIRS) {
		l = &looks[nlooks++];
		l->dir = xstrdup(p);
	} else if (!l) {
		l = &looks[0];
		for (size_t i = 1; i < nlooks; i++)
			if (looks[i].used < l->used)
				l = &looks[i];
		free(l->dir);
		l->dir = xstrdup(p);
	}
	free(l->days);
	free(l->dayindex);
	free(l->sup);
	l->days = l->dayindex = l->sup = NULL;
	l->ndays = l->ndayindex = l->nsup = 0;
	l->listed = false;
	l->dev = sb.st_dev;
	l->ino = sb.st_ino;
	l->mtime = sb.st_mtim;
	l->ctime = sb.st_ctim;
	l->used = ++look_clock;
	l->look = settled(&sb) ? ++look_seq : 0;
	return l->look;
}

static int32_t *days_copy(const int32_t *days, size_t n)
{
	int32_t *c = xmalloc((n ? n : 1) * sizeof *c);
	if (n)
		memcpy(c, days, n * sizeof *c);
	return c;
}

void store_forget_day(struct store *st, const char *ws, int32_t day)
{
	char p[PATH_MAX];
	for (int f = 0; f < LAYOUT__COUNT; f++)
		if (files[f].shard && layout_shard_path(p, st, ws, day, f))
			mapcache_drop_path(p);
}

enum status store_days_at(struct store *st, const char *ws, uint64_t look, int32_t **days,
			  size_t *n)
{
	struct look *l = NULL;
	for (size_t i = 0; look && i < nlooks && !l; i++)
		if (looks[i].look == look)
			l = &looks[i];
	if (l && l->listed) {
		*n = l->ndays;
		*days = days_copy(l->days, l->ndays);
		return ST_OK;
	}
	enum status rc = layout_days(st, ws, LAYOUT_IDX, days, n);
	if (l) { /* a listing of this look that failed before left these */
		free(l->dayindex);
		free(l->sup);
		l->dayindex = l->sup = NULL;
	}
	if (rc == ST_OK && l &&
	    layout_days(st, ws, LAYOUT_DAYINDEX, &l->dayindex, &l->ndayindex) == ST_OK &&
	    layout_days(st, ws, LAYOUT_SUP, &l->sup, &l->nsup) == ST_OK) {
		l->days = days_copy(*days, *n);
		l->ndays = *n;
		l->listed = true;
	}
	return rc;
}

bool layout_lacks(uint64_t look, enum layout_file f, int32_t day)
{
	for (size_t i = 0; look && i < nlooks; i++) {
		const struct look *l = &looks[i];
		if (l->look != look || !l->listed)
			continue;
		const int32_t *d = f == LAYOUT_DAYINDEX ? l->dayindex
				   : f == LAYOUT_SUP	? l->sup
							: NULL;
		size_t n = f == LAYOUT_DAYINDEX ? l->ndayindex : f == LAYOUT_SUP ? l->nsup : 0;
		return (f == LAYOUT_DAYINDEX || f == LAYOUT_SUP) && !layout_day_among(d, n, day);
	}
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether directory p holds a file of a workspace: a table, the journal, the lock, the rules,
 * the judgements, or a day's file. A directory of another program under DATA (or a DATA given
 * by mistake: `spandex verify /etc`) is none, and nothing is made in it. */
static bool holds_workspace(const char *p)
{
	DIR *d = opendir(p);
	if (!d) /* one this user cannot read is taken, so the command fails on it and names it */
		return errno != ENOENT && errno != ENOTDIR;
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d))) {
		const char *m = e->d_name;
		int32_t dn;
		found = !strcmp(m, "judgements");
		for (int f = 0; !found && f < LAYOUT__COUNT; f++)
			found = files[f].shard ? shard_name(m, f, &dn) : !strcmp(m, files[f].name);
	}
	closedir(d);
	return found;
}

enum status store_workspaces(struct store *st, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	DIR *d = opendir(st->root);
	if (!d)
		return errno == ENOENT ? ST_OK : status_from_errno(errno);
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!workspace_valid(e->d_name))
			continue;
		char p[PATH_MAX];
		struct stat sb;
		if (!layout_path(p, st, e->d_name, LAYOUT_IDS) || stat(p, &sb) < 0) {
			/* A workspace is a directory with shards; the id table marks it, or
			 * another file of a workspace when it has none (yet). */
			if (!layout_dir(p, st, e->d_name) || stat(p, &sb) < 0 ||
			    !S_ISDIR(sb.st_mode) || !holds_workspace(p))
				continue;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*names = xrealloc(*names, cap * sizeof(**names));
		}
		(*names)[(*n)++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof(**names), cmp_str);
	return ST_OK;
}

int layout_mkdir(struct store *st, const char *ws)
{
	char p[PATH_MAX];
	struct store spans = *st;
	spans.kind = STORE_SPANS;
	if (io_mkdir(st->root) < 0 || !layout_dir(p, &spans, ws) || io_mkdir(p) < 0)
		return -1;
	return st->kind == STORE_SPANS ? 0 : layout_dir(p, st, ws) ? io_mkdir(p) : -1;
}

void layout_sync_dir(struct store *st, const char *ws)
{
	char p[PATH_MAX];
	if (layout_dir(p, st, ws))
		io_sync_dir(p);
	/* The judgements' directory may be new in the workspace's. */
	struct store spans = *st;
	spans.kind = STORE_SPANS;
	if (st->kind != STORE_SPANS && layout_dir(p, &spans, ws))
		io_sync_dir(p);
}

int layout_ws_lock(struct store *st, const char *ws, bool create)
{
	char p[PATH_MAX];
	return layout_path(p, st, ws, LAYOUT_LOCK) ? io_lock_open(p, create) : -1;
}
