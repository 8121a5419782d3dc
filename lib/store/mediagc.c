/* mediagc: the media files of a workspace that no line references any more, removed by a mark
 * and sweep (ops_media_sweep, ops.h), and those of a day retention archives put beside it
 * (mediagc_archive_day). A mark and sweep, not a count of references: the lines are the only
 * record of what references what, so nothing else has to be kept right through a crash, and a
 * file that a killed batch left without a reference is collected like any other. */
#include "lib/store/mediagc.h"
#include "lib/store/ops.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/store/io.h"
#include "lib/store/layout.h"
#include "lib/store/media.h"
#include "lib/store/opsfs.h"

/* The media names the lines reference, and the name prefixes their tags do (store.h,
 * store_media_refs), each sorted once marked. */
struct marks {
	char (*hex)[STORE_MEDIA_HEX + 1];
	size_t n, cap;
	char (*tag)[STORE_MEDIA_TAG_HEX + 1];
	size_t nt, capt;
};

/* p, an array of n items of size bytes with room for *cap, with room for one more. */
static void *room(void *p, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 64;
	return xrealloc(p, *cap * size);
}

/* One of store_media_refs's: a reference's name, or the prefix a tag's id names. */
static void mark(void *ctx, const char *hex)
{
	struct marks *m = ctx;
	if (strlen(hex) == STORE_MEDIA_HEX) {
		m->hex = room(m->hex, m->n, &m->cap, sizeof *m->hex);
		memcpy(m->hex[m->n++], hex, STORE_MEDIA_HEX + 1);
	} else {
		m->tag = room(m->tag, m->nt, &m->capt, sizeof *m->tag);
		memcpy(m->tag[m->nt++], hex, STORE_MEDIA_TAG_HEX + 1);
	}
}

static int cmp_hex(const void *a, const void *b)
{
	return memcmp(a, b, STORE_MEDIA_HEX);
}

static int cmp_tag(const void *a, const void *b)
{
	return memcmp(a, b, STORE_MEDIA_TAG_HEX);
}

static bool marked(const struct marks *m, const char *hex)
{
	return (m->n && bsearch(hex, m->hex, m->n, sizeof *m->hex, cmp_hex)) ||
	       (m->nt && bsearch(hex, m->tag, m->nt, sizeof *m->tag, cmp_tag));
}

/* Every committed line of ws/day, each version (an older one is live again when retention
 * takes the newer), into m. */
static enum status mark_day(struct store *st, const char *ws, int32_t day, struct marks *m)
{
	struct shard sh;
	enum status rc = shard_open(st, ws, day, &sh);
	if (rc != ST_OK)
		return rc;
	for (size_t k = 0; rc == ST_OK && k < sh.nrecs; k++) {
		const char *line;
		size_t n;
		if (!shard_view(&sh, k, &line, &n))
			rc = ST_UNAVAILABLE;
		else
			store_media_refs(line, n, mark, m);
	}
	shard_forget_lines(&sh);
	shard_close(&sh);
	return rc;
}

/* The mark: every day of ws. A day whose lines cannot all be read might reference any file:
 * then nothing is swept (spandex verify says what is wrong with it). */
static enum status mark_all(struct store *st, const char *ws, struct marks *m, struct err *e)
{
	int32_t *days = NULL, *any = NULL;
	size_t nd = 0, na = 0;
	enum status rc = store_days(st, ws, &days, &nd);
	if (rc == ST_OK)
		rc = layout_shard_days(st, ws, &any, &na);
	if (rc != ST_OK)
		rc = err_set(e, rc, "%s: cannot list its days: %s", ws, strerror(errno));
	else if (na != nd)
		rc = err_set(
		    e, ST_UNAVAILABLE,
		    "%s: a day without its index (spandex verify names it): its media stay", ws);
	for (size_t i = 0; rc == ST_OK && i < nd; i++) {
		char d[11];
		if ((rc = mark_day(st, ws, days[i], m)) != ST_OK) {
			time_day_format(days[i], d);
			rc = err_set(e, rc, "%s/%s: its lines cannot all be read: its media stay",
				     ws, d);
		}
	}
	free(days);
	free(any);
	if (m->n)
		qsort(m->hex, m->n, sizeof *m->hex, cmp_hex);
	if (m->nt)
		qsort(m->tag, m->nt, sizeof *m->tag, cmp_tag);
	return rc;
}

/* A <hex>.sweep a killed sweep left goes back to its name (unless a writer put it there
 * again). */
static bool put_back(void *ctx, const struct media_file *f)
{
	(void)ctx;
	size_t n = strlen(f->name), sn = strlen(MEDIA_SWEEP);
	if (f->media || n != STORE_MEDIA_HEX + sn || strcmp(f->name + STORE_MEDIA_HEX, MEDIA_SWEEP))
		return true;
	char to[PATH_MAX];
	snprintf(to, sizeof to, "%.*s", (int)(strlen(f->path) - sn), f->path);
	if (access(to, F_OK) == 0)
		unlink(f->path);
	else
		rename(f->path, to);
	return true;
}

struct sweep {
	const struct marks *m;
	int64_t before; /* a file changed from then on is kept: a writer may be about to use it */
	struct ops_media_swept *out;
};

/* One file: kept while referenced or young; else renamed aside, looked at again (a writer
 * that found it there has given it a new time, store_media_put), and removed or put back. */
static bool sweep_file(void *ctx, const struct media_file *f)
{
	struct sweep *s = ctx;
	struct stat sb;
	char aside[PATH_MAX];
	if (f->media && marked(s->m, f->name)) {
		s->out->kept++;
		return true;
	}
	if (f->mtime_us >= s->before) {
		s->out->young++;
		return true;
	}
	if (!f->media) { /* a put's leftover, or a stray file */
		if (unlink(f->path) == 0)
			s->out->leftovers++;
		return true;
	}
	if (snprintf(aside, sizeof aside, "%s%s", f->path, MEDIA_SWEEP) >= (int)sizeof aside ||
	    rename(f->path, aside) < 0)
		return true;
	if (lstat(aside, &sb) == 0 &&
	    (int64_t)sb.st_mtim.tv_sec * 1000000 + sb.st_mtim.tv_nsec / 1000 >= s->before) {
		rename(aside, f->path);
		s->out->young++;
		return true;
	}
	if (unlink(aside) == 0) {
		s->out->removed++;
		s->out->bytes_removed += f->size;
	}
	return true;
}

enum status ops_media_sweep(struct store *st, const char *ws, int64_t now_us,
			    struct ops_media_swept *out, struct err *e)
{
	struct marks m = {0};
	memset(out, 0, sizeof *out);
	if (!workspace_valid(ws))
		return err_set(e, ST_BAD_REQUEST, "invalid workspace name '%s'", ws);
	char dir[PATH_MAX];
	struct stat sb;
	if (!media_dir(dir, st, ws) || stat(dir, &sb) < 0)
		return ST_OK; /* no media */
	if (media_each(st, ws, put_back, NULL) < 0)
		return err_set(e, ST_UNAVAILABLE, "%s/%s: %s", ws, STORE_MEDIA_DIR,
			       strerror(errno));
	/* The grace counts from before the mark: a batch that referenced a file while its day was
	 * read (after it, or before it committed) touched the file less than that ago. */
	struct sweep s = {&m, now_us - (int64_t)OPS_MEDIA_GRACE_S * 1000000, out};
	enum status rc = mark_all(st, ws, &m, e);
	if (rc == ST_OK && media_each(st, ws, sweep_file, &s) < 0)
		rc = err_set(e, ST_UNAVAILABLE, "%s/%s: %s", ws, STORE_MEDIA_DIR, strerror(errno));
	free(m.hex);
	free(m.tag);
	return rc;
}

/* ---- archive and export ---- */

/* A media file src placed at dst: a hard link where it can (the file never changes), else a
 * copy, whole or absent under its name. 0, or -1 with errno. */
static int place(const char *src, const char *dst)
{
	char tmp[PATH_MAX];
	if (link(src, dst) == 0 || errno == EEXIST)
		return 0;
	if ((errno == EXDEV || errno == EPERM) && ops_pathf(tmp, "%s%s", dst, MEDIA_TMP) &&
	    ops_copy_path(src, tmp, NULL) == 0 && rename(tmp, dst) == 0)
		return 0;
	return -1;
}

/* Where the files of references go: the media of arch's ws (laid out as a data directory),
 * or flat into dir (arch NULL). */
struct to_place {
	struct store *st, *arch;
	const char *ws, *dir;
	int rc;
};

static void place_one(void *ctx, const char *ref)
{
	struct to_place *t = ctx;
	char src[PATH_MAX], dst[PATH_MAX], dir[PATH_MAX], sub[PATH_MAX], hex[STORE_MEDIA_HEX + 1];
	int fd;
	uint64_t size;
	/* A reference without its file (verify names it), or a tag whose upload never came, has
	 * nothing to place. */
	if (t->rc < 0 || store_media_named(t->st, t->ws, ref, hex) != ST_OK ||
	    !media_path(src, t->st, t->ws, hex) ||
	    store_media_open(t->st, t->ws, hex, &fd, &size) != ST_OK)
		return;
	close(fd);
	char aside[PATH_MAX]; /* held aside by a sweep: store_media_open found it there */
	if (access(src, F_OK) < 0 && ops_pathf(aside, "%s%s", src, MEDIA_SWEEP))
		memcpy(src, aside, sizeof src);
	bool made = t->arch ? media_path(dst, t->arch, t->ws, hex) &&
				  media_dir(dir, t->arch, t->ws) && io_mkdir(dir) == 0 &&
				  ops_pathf(sub, "%s/%.2s", dir, hex) && io_mkdir(sub) == 0
			    : io_mkdir(t->dir) == 0 && ops_pathf(dst, "%s/%s", t->dir, hex);
	if (!made || (access(dst, F_OK) < 0 && place(src, dst) < 0))
		t->rc = -1;
}

int mediagc_export_line(struct store *st, const char *ws, const char *line, size_t n,
			const char *dir)
{
	struct to_place t = {st, NULL, ws, dir, 0};
	store_media_refs(line, n, place_one, &t);
	return t.rc;
}

int mediagc_archive_day(struct store *st, const char *ws, int32_t day, struct store *arch)
{
	struct shard sh;
	struct to_place t = {st, arch, ws, NULL, 0};
	if (shard_open(st, ws, day, &sh) != ST_OK)
		return 0; /* no day: nothing of it to keep */
	for (size_t k = 0; t.rc == 0 && k < sh.nrecs; k++) {
		const char *line;
		size_t n;
		if (shard_view(&sh, k, &line, &n))
			store_media_refs(line, n, place_one, &t);
	}
	shard_close(&sh);
	return t.rc;
}
