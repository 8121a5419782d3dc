/* pull: a workspace built from the bucket (ship_pull): the log listed, its consecutive tail
 * replayed from the snapshot it starts with into DATA/.spandex-ship/pull/<ws>, a takeover
 * object created after the last object (so the old host's next create fails and it stops),
 * every index rebuilt from the lines (reindex), and the copy put in place of DATA/<ws>. */
#include "lib/ship/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "lib/auth/auth.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/model/workspace.h"

#define PULL_COPY (1u << 20) /* bytes copied at a time from a delta into a day's file */
#define PULL_TAKE_TRIES 1000 /* takeovers tried while the old host keeps writing (take) */

/* A pull under way: the copy it builds and where each day's stream ends in it. */
struct pull {
	struct ship *s;
	const char *ws;
	char root[PATH_MAX - 128]; /* DATA/.spandex-ship/pull: a data directory of one workspace */
	struct store st[2];
	struct sstate got;   /* the days as written (end, sealed), snap_end from the snapshot */
	uint64_t snap, last; /* the snapshot replayed from, the last object replayed */
	bool copy;	     /* a copy to read: no takeover, it takes no writes */
	struct buf keys;     /* the keys to take once the workspace is ours */
	bool have_keys;
	struct ship_pulled *r;
};

static double now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- listing the log ---- */

struct seqs {
	uint64_t *v;
	size_t n;
	size_t skip;
};

static bool seq_add(void *ctx, const struct s3_obj *o)
{
	struct seqs *q = ctx;
	uint64_t k;
	if (logobj_seq_of(o->key, q->skip, &k)) {
		q->v = xrealloc(q->v, (q->n + 1) * sizeof(*q->v));
		q->v[q->n++] = k;
	}
	return true;
}

/* The first object of the log's consecutive tail: where a replay starts (the snapshot that
 * compaction left, or 1). */
static uint64_t tail_start(const struct seqs *q)
{
	size_t i = q->n - 1;
	while (i > 0 && q->v[i - 1] + 1 == q->v[i])
		i--;
	return q->v[i];
}

/* ---- writing the copy ---- */

/* The path of a day's file in the copy (the judgements' directory made on the first). */
static bool day_file(struct pull *pl, enum store_kind k, int32_t day, enum ops_day_file f, char *p)
{
	char dir[PATH_MAX];
	if (k == STORE_JUDGEMENTS && snprintf(dir, sizeof dir, "%s/%s/%s", pl->root, pl->ws,
					      STORE_JUDGEMENTS_DIR) < (int)sizeof dir)
		mkdir(dir, 0750);
	return ops_day_path(p, &pl->st[k], pl->ws, day, f);
}

/* Opens the file that holds stream offset at of a day written so far (*sd): its plain lines,
 * or the late lines of a sealed one, checking it ends exactly there. */
static int day_append_fd(struct pull *pl, struct sday *sd, uint64_t at, struct err *e)
{
	char p[PATH_MAX], d[11];
	time_day_format(sd->day, d);
	if (at != sd->end) {
		err_set(e, ST_INVALID,
			"the bucket's %s/%s of %s continues at byte %" PRIu64
			" where it ends at %" PRIu64,
			logobj_kind_names[sd->kind], d, pl->ws, at, sd->end);
		return -1;
	}
	if (!day_file(pl, sd->kind, sd->day, sd->sealed ? OPS_DAY_LATE : OPS_DAY_PLAIN, p)) {
		err_set(e, ST_BAD_REQUEST, "%s: path too long", pl->ws);
		return -1;
	}
	int fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		err_sys(e, errno, "%s", p);
	return fd;
}

static struct sday *got_day(struct pull *pl, enum store_kind k, int32_t day)
{
	struct sday *sd = state_day(&pl->got, k, day);
	if (!sd) {
		state_add_day(&pl->got, k, day);
		state_sort(&pl->got);
		sd = state_day(&pl->got, k, day);
	}
	return sd;
}

/* Copies len bytes of the object in fd at off to the end of out. */
static int copy_range(int fd, uint64_t off, uint64_t len, int out)
{
	char *b = xmalloc(PULL_COPY);
	int rc = 0;
	while (len && rc == 0) {
		size_t k = len < PULL_COPY ? (size_t)len : PULL_COPY;
		ssize_t n = pread(fd, b, k, (off_t)off);
		if (n <= 0 || write(out, b, (size_t)n) != n) {
			if (n == 0)
				errno = EIO;
			rc = -1;
			break;
		}
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	free(b);
	return rc;
}

/* A file of the workspace: the rules into the copy now, the keys once it is taken. */
static enum status take_file(struct pull *pl, const struct lo_file *f, int fd, uint64_t off,
			     struct err *e)
{
	if (!strcmp(f->name, "keys")) {
		pl->keys.len = 0;
		buf_reserve(&pl->keys, f->len);
		if (f->len && pread(fd, pl->keys.p, f->len, (off_t)off) != (ssize_t)f->len)
			return err_sys(e, errno ? errno : EIO, "keys of %s", pl->ws);
		pl->keys.len = f->len;
		pl->have_keys = true;
		return ST_OK;
	}
	return files_apply(pl->root, pl->s->root, pl->ws, f->name, fd, off, f->len, e);
}

static enum status apply_delta(struct pull *pl, const struct lo_hdr *h, int fd, struct err *e)
{
	uint64_t off = h->body;
	for (size_t i = 0; i < h->nparts; i++) {
		const struct lo_part *x = &h->parts[i];
		struct sday *sd = got_day(pl, x->kind, x->day);
		int out = day_append_fd(pl, sd, x->at, e);
		if (out < 0)
			return e ? e->st : ST_INVALID;
		int rc = copy_range(fd, off, x->len, out);
		close(out);
		if (rc < 0)
			return err_sys(e, errno, "writing the lines of %s", pl->ws);
		sd->end += x->len;
		sd->recs += x->recs;
		off += x->len;
		pl->r->bytes += x->len;
	}
	for (size_t i = 0; i < h->nfiles; i++) {
		enum status st = take_file(pl, &h->files[i], fd, off, e);
		if (st != ST_OK)
			return st;
		off += h->files[i].len;
	}
	return ST_OK;
}

/* Downloads object key (len bytes) to the end of the file p. */
static enum status get_to(struct pull *pl, const char *key, uint64_t len, const char *p,
			  struct err *e)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		return err_sys(e, errno, "%s", p);
	uint64_t got = 0;
	enum status st = s3_get_fd(pl->s->s3, key, 0, 0, fd, &got, e);
	if (st == ST_NOT_FOUND)
		st = err_set(e, st, "%s: named by a snapshot, then deleted: the log moved on", key);
	if (st == ST_OK && got != len)
		st = err_set(e, ST_INVALID, "%s: %" PRIu64 " bytes where %" PRIu64 " were named",
			     key, got, len);
	close(fd);
	pl->r->objects++;
	return st;
}

static enum status snap_day_get(struct pull *pl, const struct lo_day *o, struct err *e)
{
	char p[PATH_MAX];
	struct sday *sd = got_day(pl, o->kind, o->day);
	enum status st = ST_OK;
	if (o->zkey[0]) {
		if (!day_file(pl, o->kind, o->day, OPS_DAY_SEALED, p))
			return err_set(e, ST_BAD_REQUEST, "%s: path too long", pl->ws);
		if ((st = get_to(pl, o->zkey, o->zsize, p, e)) != ST_OK)
			return st;
		sd->sealed = sd->end = o->zbytes;
		pl->r->bytes += o->zsize;
	}
	for (size_t i = 0; st == ST_OK && i < o->npieces; i++) {
		const struct lo_piece *x = &o->pieces[i];
		if (!day_file(pl, o->kind, o->day, sd->sealed ? OPS_DAY_LATE : OPS_DAY_PLAIN, p))
			return err_set(e, ST_BAD_REQUEST, "%s: path too long", pl->ws);
		if (x->at != sd->end)
			return err_set(e, ST_INVALID,
				       "%s: a piece at %" PRIu64 " where the day ends at %" PRIu64,
				       x->key, x->at, sd->end);
		if ((st = get_to(pl, x->key, x->len, p, e)) == ST_OK) {
			sd->end += x->len;
			pl->r->bytes += x->len;
		}
	}
	sd->recs = o->recs;
	sd->snap_end = sd->end;
	sd->snap_sealed = o->zkey[0] != '\0';
	return st;
}

/* Empties the copy: a snapshot says every day whole. */
static enum status copy_reset(struct pull *pl, struct err *e)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", pl->root, pl->ws);
	if (ops_rm_rf(p) < 0 || (mkdir(pl->root, 0750) < 0 && errno != EEXIST) ||
	    mkdir(p, 0750) < 0)
		return err_sys(e, errno, "%s", p);
	free(pl->got.days);
	memset(&pl->got, 0, sizeof pl->got);
	return ST_OK;
}

static enum status apply_snapshot(struct pull *pl, const struct lo_hdr *h, struct err *e)
{
	enum status st = copy_reset(pl, e);
	for (size_t i = 0; st == ST_OK && i < h->ndays; i++)
		st = snap_day_get(pl, &h->days[i], e);
	for (size_t i = 0; st == ST_OK && i < h->nfiles; i++) {
		const struct lo_file *f = &h->files[i];
		int fd = fetch_tmp(pl->s->root);
		uint64_t got = 0;
		if (fd < 0)
			return err_sys(e, errno, "a temporary file");
		if (f->len)
			st = s3_get_fd(pl->s->s3, f->key, 0, 0, fd, &got, e);
		if (st == ST_OK)
			st = take_file(pl, f, fd, 0, e);
		close(fd);
	}
	pl->snap = h->seq;
	return st;
}

/* Replays object seq into the copy. */
static enum status replay(struct pull *pl, uint64_t seq, bool first, struct err *e)
{
	char key[LOGOBJ_KEY_MAX];
	struct lo_hdr h;
	int fd;
	logobj_log_key(key, pl->ws, seq);
	enum status st = fetch_obj(pl->s, key, &fd, &h, e);
	if (st == ST_NOT_FOUND)
		return err_set(e, st, "%s: listed, then deleted (a compaction): the log moved on",
			       key);
	if (st != ST_OK)
		return st;
	pl->r->objects++;
	if (first && seq > 1 && h.type != LOGOBJ_SNAPSHOT)
		st = err_set(e, ST_INVALID,
			     "%s: the log of %s starts here after a gap, and this is no snapshot",
			     key, pl->ws);
	else if (h.type == LOGOBJ_SNAPSHOT)
		st = apply_snapshot(pl, &h, e);
	else if (h.type == LOGOBJ_DELTA)
		st = apply_delta(pl, &h, fd, e);
	pl->last = seq;
	close(fd);
	logobj_free(&h);
	return st;
}

/* ---- taking it over ---- */

/* Creates the takeover object seq; then its marker, which compaction keeps it by (a takeover
 * whose marker a crash lost is still the fence until the new owner's first snapshot, and in
 * sync mode an old host looks past its every create anyway). ST_CONFLICT: another object took
 * seq first. */
static enum status takeover(struct pull *pl, uint64_t seq, struct err *e)
{
	char key[LOGOBJ_KEY_MAX];
	struct lo_hdr h = {.type = LOGOBJ_TAKEOVER, .seq = seq, .at = time_now()};
	struct buf line;
	snprintf(h.ws, sizeof h.ws, "%s", pl->ws);
	memcpy(h.host, pl->s->host, sizeof h.host);
	buf_init(&line);
	logobj_encode(&h, &line);
	struct s3_part part = {.mem = line.p, .len = line.len};
	logobj_log_key(key, pl->ws, seq);
	enum status st = s3_put(pl->s->s3, key, &part, 1, NULL, S3_CREATE, e);
	if (st == ST_OK) {
		logobj_takeover_key(key, pl->ws, seq);
		st = s3_put(pl->s->s3, key, &part, 1, NULL, S3_REPLACE, e);
	}
	buf_free(&line);
	return st;
}

/* Every index of the copy rebuilt from its lines, then its days as the state will know them. */
static enum status copy_index(struct pull *pl, struct err *e)
{
	for (int k = 0; k < 2; k++) {
		struct ops_cut c;
		char p[PATH_MAX];
		struct stat sb;
		snprintf(p, sizeof p, "%s/%s%s", pl->root, pl->ws,
			 k ? "/" STORE_JUDGEMENTS_DIR : "");
		if (stat(p, &sb) < 0)
			continue;
		enum status st = store_reindex(&pl->st[k], pl->ws, NULL, NULL, NULL, NULL, e);
		if (st != ST_OK)
			return st;
		if ((st = ops_cut(&pl->st[k], pl->ws, NULL, NULL, &c, e)) != ST_OK)
			return st == ST_NOT_FOUND ? ST_OK : st;
		for (size_t i = 0; i < c.n; i++) {
			const struct ops_day *d = &c.days[i];
			struct sday *sd = got_day(pl, (enum store_kind)k, d->day);
			if (d->end != sd->end || d->recs != sd->recs) {
				char day[11];
				time_day_format(d->day, day);
				st = err_set(e, ST_INVALID,
					     "%s/%s: the bucket names %" PRIu64 " lines in %" PRIu64
					     " bytes, the lines index as %" PRIu64 " in %" PRIu64,
					     pl->ws, day, sd->recs, sd->end, d->recs, d->end);
				break;
			}
			sd->last_h = d->last_h;
			sd->last_ing = d->last_ing;
			sd->sealed = d->sealed;
		}
		ops_cut_free(&c);
		if (st != ST_OK)
			return st;
	}
	return ST_OK;
}

/* The state of a workspace just taken: this host's from object seq on. */
static void pull_state(struct pull *pl, uint64_t seq, const struct stat *dir)
{
	struct sstate *s = &pl->got;
	s->exists = true;
	snprintf(s->bucket, sizeof s->bucket, "%s", pl->s->bucket);
	s->seq = seq;
	s->snap = pl->snap;
	s->log_objects = seq - pl->snap;
	s->dev = (uint64_t)dir->st_dev;
	s->ino = (uint64_t)dir->st_ino;
	s->pass_at = s->caught_up_at = time_now();
	/* The files as the bucket has them are as the copy holds them: not changed. The keys
	 * are read from this host's file, which may hold more "*" keys: the next pass looks. */
}

/* The numbers of the log's objects after after (0: all) added to q, ascending. */
static enum status list_log(struct pull *pl, uint64_t after, struct seqs *q, struct err *e)
{
	char pfx[LOGOBJ_KEY_MAX], from[LOGOBJ_KEY_MAX];
	snprintf(pfx, sizeof pfx, "%s/log/", pl->ws);
	q->skip = strlen(pfx);
	if (after)
		logobj_log_key(from, pl->ws, after);
	return s3_list(pl->s->s3, pfx, after ? from : NULL, 0, seq_add, q, e);
}

/* Takes the workspace over: a takeover right after the last object, listing again after each
 * race lost (its old host may write an object a pass; a try is a listing and a PUT, so it
 * wins long before PULL_TAKE_TRIES). *taken: its number. */
static enum status take(struct pull *pl, struct seqs *q, uint64_t *taken, struct err *e)
{
	for (int tries = 0; tries < PULL_TAKE_TRIES; tries++) {
		uint64_t last = q->n ? q->v[q->n - 1] : 0;
		enum status st = takeover(pl, last + 1, e);
		if (st == ST_OK)
			*taken = last + 1;
		if (st != ST_CONFLICT)
			return st;
		if ((st = list_log(pl, last, q, e)) != ST_OK)
			return st;
	}
	return err_set(e, ST_UNAVAILABLE,
		       "%s: its host writes the log faster than %d takeovers could follow: stop "
		       "it, or freeze the workspace's writes, and pull again",
		       pl->ws, PULL_TAKE_TRIES);
}

/* Replays the log's consecutive tail below end (its takeover, or one past the last object of
 * a copy), listing again when a compaction deleted an object meanwhile (it wrote a snapshot
 * to start from). */
static enum status replay_below(struct pull *pl, struct seqs *q, uint64_t end, struct err *e)
{
	enum status st = ST_OK;
	for (int tries = 0; tries < SHIP_PULL_TRIES; tries++) {
		while (q->n && q->v[q->n - 1] >= end)
			q->n--;
		if (!q->n)
			return err_set(e, ST_NOT_FOUND, "the bucket holds no workspace %s", pl->ws);
		uint64_t start = tail_start(q), last = q->v[q->n - 1];
		if ((st = copy_reset(pl, e)) != ST_OK)
			return st;
		for (uint64_t k = start; st == ST_OK && k <= last; k++)
			st = replay(pl, k, k == start, e);
		if (st != ST_NOT_FOUND)
			return st;
		q->n = 0;
		if ((st = list_log(pl, 0, q, e)) != ST_OK)
			return st;
	}
	return st;
}

/* Lists the log; takes the workspace over (unless a copy); replays what lies below. */
static enum status pull_log(struct pull *pl, uint64_t *taken, struct err *e)
{
	struct seqs q = {0};
	enum status st = list_log(pl, 0, &q, e);
	if (st == ST_OK && !q.n)
		st = err_set(e, ST_NOT_FOUND, "the bucket holds no workspace %s", pl->ws);
	uint64_t end = q.n ? q.v[q.n - 1] + 1 : 0;
	if (st == ST_OK && !pl->copy && (st = take(pl, &q, taken, e)) == ST_OK)
		end = *taken;
	if (st == ST_OK)
		st = replay_below(pl, &q, end, e);
	free(q.v);
	return st;
}

static enum status pull_once(struct pull *pl, struct err *e)
{
	double t0 = now_sec();
	uint64_t taken = 0;
	uint64_t media_bytes = 0;
	enum status st = pull_log(pl, &taken, e);
	if (st == ST_OK)
		st = media_pull(pl->s, pl->ws, pl->root, &pl->r->objects, &media_bytes, e);
	double t1 = now_sec();
	if (st == ST_OK)
		st = copy_index(pl, e);
	pl->r->fetch_sec = t1 - t0;
	pl->r->index_sec = now_sec() - t1;
	char from[PATH_MAX];
	struct stat dir;
	snprintf(from, sizeof from, "%s/%s", pl->root, pl->ws);
	if (st == ST_OK && stat(from, &dir) < 0)
		st = err_sys(e, errno, "%s", from);
	if (st == ST_OK && pl->have_keys)
		st = auth_import(pl->s->root, pl->ws, pl->keys.p, pl->keys.len, e);
	if (st != ST_OK)
		return st;
	pull_state(pl, pl->copy ? pl->last : taken, &dir);
	struct store live;
	store_init(&live, pl->s->root, true);
	if ((st = ops_ws_replace(&live, pl->ws, from, e)) != ST_OK)
		return st;
	pl->r->seq = pl->copy ? pl->last : taken;
	pl->r->days = pl->got.n;
	st = state_save(pl->s->root, pl->ws, &pl->got, e);
	if (st == ST_OK && pl->copy)
		st = state_mark(pl->s->root, pl->ws, "copy", "", pl->last, NULL, e);
	else if (st == ST_OK)
		state_unmark(pl->s->root, pl->ws);
	return st;
}

enum status ship_pull(struct ship *s, const char *ws, bool copy, struct ship_pulled *r,
		      struct err *e)
{
	struct pull pl = {.s = s, .ws = ws, .r = r, .copy = copy};
	memset(r, 0, sizeof(*r));
	if (!workspace_valid(ws))
		return err_set(e, ST_BAD_REQUEST, "'%s' is not a workspace name", ws);
	if (snprintf(pl.root, sizeof pl.root, "%s/%s/pull", s->root, SHIP_DIR) >=
	    (int)sizeof pl.root)
		return err_set(e, ST_BAD_REQUEST, "%s: path too long", s->root);
	store_init(&pl.st[STORE_SPANS], pl.root, true);
	store_judgements(&pl.st[STORE_JUDGEMENTS], &pl.st[STORE_SPANS]);
	buf_init(&pl.keys);
	int lockfd = state_lock(s->root, ws);
	if (lockfd < 0)
		return err_sys(e, errno, "%s/%s: the lock of %s", s->root, SHIP_DIR, ws);
	struct sstate mine;
	enum status st = state_load(s->root, ws, &mine, e);
	if (st == ST_OK && mine.exists && mine.seq && !strcmp(mine.bucket, s->bucket) &&
	    !state_fenced(s->root, ws, NULL))
		st = err_set(e, ST_CONFLICT,
			     "workspace %s is this host's already (object %" PRIu64
			     "): a pull would "
			     "drop what it has not shipped; run spandex ship",
			     ws, mine.seq);
	state_free(&mine);
	if (st == ST_OK)
		st = pull_once(&pl, e);
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", pl.root, ws);
	ops_rm_rf(p);
	state_free(&pl.got);
	buf_free(&pl.keys);
	close(lockfd);
	return st;
}

static bool dir_add(void *ctx, const char *dir)
{
	struct {
		char **v;
		size_t n;
	} *l = ctx;
	size_t n = strlen(dir);
	char name[64];
	if (n < 2 || n > sizeof name || dir[n - 1] != '/')
		return true;
	memcpy(name, dir, n - 1);
	name[n - 1] = '\0';
	if (workspace_valid(name)) {
		l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
		l->v[l->n++] = xstrdup(name);
	}
	return true;
}

enum status ship_bucket_workspaces(struct ship *s, char ***names, size_t *n, struct err *e)
{
	struct {
		char **v;
		size_t n;
	} l = {0};
	enum status st = s3_list_dirs(s->s3, "", dir_add, &l, e);
	*names = l.v;
	*n = l.n;
	return st;
}
