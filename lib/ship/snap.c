/* snap: a snapshot of a workspace (one object per day's stream, content-keyed so an unchanged
 * one is uploaded once and named again, and a log object naming them all, created with
 * If-None-Match like any other), then the compaction it allows: log objects below it (not
 * the takeovers, which fence old hosts for good), older snapshots' copies, and data objects
 * it no longer names. docs/FORMAT.md, "The bucket". */
#include "lib/ship/internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/mem.h"
#include "lib/base/time.h"

static const struct lo_day *prev_day(const struct lo_hdr *prev, enum store_kind k, int32_t day)
{
	for (size_t i = 0; prev && i < prev->ndays; i++)
		if (prev->days[i].kind == k && prev->days[i].day == day)
			return &prev->days[i];
	return NULL;
}

static void piece_add(struct lo_day *o, const char *key, uint64_t at, uint64_t len)
{
	o->pieces = xrealloc(o->pieces, (o->npieces + 1) * sizeof(*o->pieces));
	struct lo_piece *x = &o->pieces[o->npieces++];
	snprintf(x->key, sizeof x->key, "%s", key);
	x->at = at;
	x->len = len;
}

/* An object the snapshot needs uploaded (content-keyed) and where its key goes: a day's
 * sealed file (o, piece -1), one of its pieces (o, piece), or a file's (key). They are queued
 * while the header is built and uploaded after, so each one's hash is made while the one before
 * it is sent (s3_hashq). */
struct sput {
	struct s3_part part;
	struct lo_day *o;
	long piece;
	char *key;
	bool counted; /* in the report's bytes and objects */
};
struct sputs {
	struct sput *v;
	size_t n;
};

static void sput_add(struct sputs *q, struct s3_part part, struct lo_day *o, long piece, char *key,
		     bool counted)
{
	q->v = xrealloc(q->v, (q->n + 1) * sizeof(*q->v));
	q->v[q->n++] = (struct sput){part, o, piece, key, counted};
}

/* Queues [from, to) of an opened day's plain (or late) lines as a piece of o. */
static enum status piece_put(const struct ops_day *d, uint64_t from, uint64_t to, struct lo_day *o,
			     struct sputs *q, struct err *e)
{
	if (from < d->base || d->fd < 0)
		return err_set(e, ST_INTERNAL, "day bytes %" PRIu64 " are not in its plain lines",
			       from);
	piece_add(o, "", from, to - from);
	struct s3_part part = {.fd = d->fd, .off = from - d->base, .len = to - from};
	sput_add(q, part, o, (long)o->npieces - 1, NULL, true);
	return ST_OK;
}

/* The whole day: its sealed file and its late lines, or its plain lines. */
static enum status day_full(const struct ops_day *d, struct lo_day *o, struct sputs *q,
			    struct err *e)
{
	if (d->sealed) {
		struct s3_part z = {.fd = d->zfd, .off = 0, .len = d->zsize};
		sput_add(q, z, o, -1, NULL, true);
		o->zbytes = d->sealed;
		o->zsize = d->zsize;
	}
	return d->end > d->sealed ? piece_put(d, d->sealed, d->end, o, q, e) : ST_OK;
}

/* Uploads what q holds, hashing each next object while one is sent. */
static enum status snap_upload(struct pass *p, const struct sputs *q, struct err *e)
{
	struct s3_body *b = xcalloc(q->n + 1, sizeof(*b));
	for (size_t i = 0; i < q->n; i++)
		b[i] = (struct s3_body){&q->v[i].part, 1};
	struct s3_hashq *hq = s3_hashq_new(b, q->n);
	enum status st = ST_OK;
	for (size_t i = 0; st == ST_OK && i < q->n; i++) {
		const struct sput *u = &q->v[i];
		char sha[65];
		char *key = u->key	   ? u->key
			    : u->piece < 0 ? u->o->zkey
					   : u->o->pieces[u->piece].key;
		st = s3_hashq_get(hq, i, sha, e);
		if (st == ST_OK)
			st = fetch_put_data(p->s, p->ws, &u->part, 1, sha, key, e);
		if (st == ST_OK && u->counted) {
			p->r->bytes += u->part.len;
			p->r->objects++;
		}
	}
	s3_hashq_free(hq);
	free(b);
	return st;
}

/* A day of the snapshot: the previous snapshot's objects and a piece of what came since, when
 * it still holds (the day only grew, in the same form, and has few pieces); else whole.
 * ST_NOT_FOUND: the day's files are needed and the cut left them closed. */
static enum status snap_day(const struct pday *pd, const struct lo_hdr *prev, struct lo_day *o,
			    struct sputs *q, struct err *e)
{
	const struct ops_day *d = pd->d;
	const struct sday *sd = pd->sd;
	uint64_t end = d->opened ? d->end : sd ? sd->end : 0;
	o->kind = d->kind;
	o->day = d->day;
	o->end = end;
	o->recs = d->opened ? d->recs : sd ? sd->recs : 0;
	const struct lo_day *pv = prev_day(prev, d->kind, d->day);
	bool reuse = (pd->ch == DAY_SAME || pd->ch == DAY_APPEND) && sd && pv && sd->snap_end &&
		     pv->end == sd->snap_end && pv->end <= end &&
		     (pv->zkey[0] ? pv->zbytes : 0) == (d->opened ? d->sealed : sd->sealed) &&
		     pv->npieces < SHIP_MAX_PIECES;
	if (reuse) {
		snprintf(o->zkey, sizeof o->zkey, "%s", pv->zkey);
		o->zbytes = pv->zbytes;
		o->zsize = pv->zsize;
		for (size_t i = 0; i < pv->npieces; i++)
			piece_add(o, pv->pieces[i].key, pv->pieces[i].at, pv->pieces[i].len);
		if (end == pv->end)
			return ST_OK;
		return d->opened ? piece_put(d, pv->end, end, o, q, e) : ST_NOT_FOUND;
	}
	return d->opened ? day_full(d, o, q, e) : ST_NOT_FOUND;
}

/* The snapshot's header: every day with lines, and the files; the objects it names that are
 * not in the bucket yet are uploaded first. */
static enum status snap_build(struct pass *p, uint64_t seq, const struct lo_hdr *prev,
			      struct lo_hdr *h, struct err *e)
{
	*h = (struct lo_hdr){.type = LOGOBJ_SNAPSHOT, .seq = seq, .at = time_now()};
	snprintf(h->ws, sizeof h->ws, "%s", p->ws);
	memcpy(h->host, p->s->host, sizeof h->host);
	h->days = xcalloc(p->ndays + 1, sizeof(*h->days));
	h->files = xcalloc(PASS_FILES + 1, sizeof(*h->files));
	struct sputs q = {0};
	enum status st = ST_OK;
	for (size_t i = 0; st == ST_OK && i < p->ndays; i++) {
		const struct pday *pd = &p->days[i];
		uint64_t end = pd->d->opened ? pd->d->end : pd->sd ? pd->sd->end : 0;
		if (!end)
			continue; /* a day without a line has nothing to hold */
		st = snap_day(pd, prev, &h->days[h->ndays++], &q, e);
	}
	for (int i = 0; st == ST_OK && i < PASS_FILES; i++) {
		const struct pfile *f = &p->files[i];
		struct lo_file *lf = &h->files[h->nfiles++];
		snprintf(lf->name, sizeof lf->name, "%s", f->name);
		snprintf(lf->sha, sizeof lf->sha, "%s", f->sha);
		lf->len = f->data.len;
		struct s3_part part = {.mem = f->data.p, .len = f->data.len};
		if (f->data.len)
			sput_add(&q, part, NULL, 0, lf->key, false);
	}
	if (st == ST_OK)
		st = snap_upload(p, &q, e);
	free(q.v);
	return st;
}

/* The state once snapshot seq holds every day to its end. */
static void snap_shipped(struct pass *p, const struct lo_hdr *h, uint64_t bytes)
{
	struct sstate *s = &p->state;
	struct sstate next = *s;
	next.days = NULL;
	next.n = next.cap = 0;
	for (size_t i = 0; i < h->ndays; i++) {
		const struct lo_day *o = &h->days[i];
		const struct pday *pd = NULL;
		for (size_t j = 0; j < p->ndays && !pd; j++)
			if (p->days[j].d->kind == o->kind && p->days[j].d->day == o->day)
				pd = &p->days[j];
		struct sday *sd = state_add_day(&next, o->kind, o->day);
		if (pd->d->opened) {
			sd->recs = pd->d->recs;
			sd->end = pd->d->end;
			sd->sealed = pd->d->sealed;
			sd->last_h = pd->d->last_h;
			sd->last_ing = pd->d->last_ing;
		} else {
			*sd = *pd->sd;
		}
		sd->snap_end = o->end;
		sd->snap_sealed = o->zkey[0] != '\0';
	}
	free(s->days);
	*s = next;
	state_sort(s);
	for (int i = 0; i < PASS_FILES; i++)
		state_set_file(s, p->files[i].name, p->files[i].sha);
	s->seq = s->snap = h->seq;
	s->log_objects = 0;
	s->log_bytes = bytes;
}

/* Whether the snapshot replaces bytes that must leave the bucket now: a day rewritten (erasure,
 * a reindex that cut damage) or removed (retention). */
static bool snap_erases(const struct pass *p)
{
	for (size_t i = 0; i < p->ndays; i++)
		if (p->days[i].ch == DAY_REWRITTEN)
			return true;
	return p->removed > 0;
}

enum status snap_write(struct pass *p, uint64_t seq, struct err *e)
{
	char key[LOGOBJ_KEY_MAX];
	struct lo_hdr prev = {0}, h;
	bool have_prev = false;
	if (p->state.snap) {
		logobj_log_key(key, p->ws, p->state.snap);
		have_prev =
		    fetch_head(p->s, key, &prev, NULL) == ST_OK && prev.type == LOGOBJ_SNAPSHOT;
		if (!have_prev && !p->opened_all) {
			logobj_free(&prev);
			return ST_NOT_FOUND; /* it cannot be followed: every day whole */
		}
	}
	struct buf line;
	buf_init(&line);
	enum status st = snap_build(p, seq, have_prev ? &prev : NULL, &h, e);
	if (st == ST_OK) {
		logobj_encode(&h, &line);
		struct s3_part part = {.mem = line.p, .len = line.len};
		logobj_log_key(key, p->ws, seq);
		st = s3_put(p->s->s3, key, &part, 1, NULL, S3_CREATE, e);
		if (st == ST_OK) {
			/* A copy where tools find the newest snapshot without reading the log. */
			logobj_snap_key(key, p->ws, seq);
			s3_put(p->s->s3, key, &part, 1, NULL, S3_REPLACE, NULL);
			snap_shipped(p, &h, line.len);
			p->r->snapshot = true;
			p->r->objects++;
			for (int k = 0; k < 2; k++)
				if (p->cut_done[k])
					ops_rewritten_taken(&p->st[k], p->ws,
							    p->cut[k].rewritten_bytes, NULL);
			p->r->deleted = snap_compact(p->s, p->ws, seq, have_prev ? &prev : NULL, &h,
						     snap_erases(p), p->cut[STORE_SPANS].at);
		}
	}
	buf_free(&line);
	logobj_free(&h);
	logobj_free(&prev);
	return st;
}

/* ---- compaction ---- */

struct keys {
	char **k;
	int64_t *mtime;
	size_t n;
};

static bool keys_add(void *ctx, const struct s3_obj *o)
{
	struct keys *ks = ctx;
	ks->k = xrealloc(ks->k, (ks->n + 1) * sizeof(*ks->k));
	ks->mtime = xrealloc(ks->mtime, (ks->n + 1) * sizeof(*ks->mtime));
	ks->k[ks->n] = xstrdup(o->key);
	ks->mtime[ks->n++] = o->mtime;
	return true;
}

static void keys_free(struct keys *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		free(ks->k[i]);
	free(ks->k);
	free(ks->mtime);
	memset(ks, 0, sizeof(*ks));
}

static bool names(const struct lo_hdr *h, const char *key)
{
	for (size_t i = 0; h && i < h->ndays; i++) {
		if (!strcmp(h->days[i].zkey, key))
			return true;
		for (size_t j = 0; j < h->days[i].npieces; j++)
			if (!strcmp(h->days[i].pieces[j].key, key))
				return true;
	}
	for (size_t i = 0; h && i < h->nfiles; i++)
		if (!strcmp(h->files[i].key, key))
			return true;
	return false;
}

static bool listed(const struct keys *ks, const char *key)
{
	for (size_t i = 0; i < ks->n; i++)
		if (!strcmp(ks->k[i], key))
			return true;
	return false;
}

size_t snap_compact(struct ship *s, const char *ws, uint64_t seq, const struct lo_hdr *prev,
		    const struct lo_hdr *now, bool erase, int64_t started)
{
	char pfx[LOGOBJ_KEY_MAX], key[LOGOBJ_KEY_MAX];
	struct keys take = {0}, logs = {0}, snaps = {0}, data = {0};
	size_t deleted = 0, skip;
	uint64_t k;
	/* What a pull under way may still be reading stays until the next snapshot: the log from
	 * the previous snapshot on, and the objects that snapshot names. An erasing snapshot
	 * deletes at once everything it replaced (a pull under way starts again). */
	uint64_t below = erase ? seq : prev ? prev->seq : 0;
	snprintf(pfx, sizeof pfx, "%s/takeover/", ws);
	if (s3_list(s->s3, pfx, NULL, 0, keys_add, &take, NULL) != ST_OK)
		goto out; /* without the takeovers nothing below is safe to delete */
	snprintf(pfx, sizeof pfx, "%s/log/", ws);
	skip = strlen(pfx);
	s3_list(s->s3, pfx, NULL, 0, keys_add, &logs, NULL);
	for (size_t i = 0; i < logs.n; i++) {
		if (!logobj_seq_of(logs.k[i], skip, &k) || k >= below)
			continue;
		logobj_takeover_key(key, ws, k);
		if (!listed(&take, key) && s3_delete(s->s3, logs.k[i], NULL) == ST_OK)
			deleted++;
	}
	snprintf(pfx, sizeof pfx, "%s/snap/", ws);
	skip = strlen(pfx);
	s3_list(s->s3, pfx, NULL, 0, keys_add, &snaps, NULL);
	for (size_t i = 0; i < snaps.n; i++)
		if (logobj_seq_of(snaps.k[i], skip, &k) && k < below &&
		    s3_delete(s->s3, snaps.k[i], NULL) == ST_OK)
			deleted++;
	/* A data object no snapshot kept names goes once it is older than SHIP_GRACE_SEC (a
	 * pass killed halfway, or another host's under way, names its objects within that
	 * time); one the previous snapshot named goes with the next snapshot. A snapshot that
	 * erases deletes every object it does not name that was there before its pass began
	 * (erased bytes leave with the pass that replaced them; what another host may be
	 * uploading now is newer). */
	snprintf(pfx, sizeof pfx, "%s/data/", ws);
	s3_list(s->s3, pfx, NULL, 0, keys_add, &data, NULL);
	int64_t old = erase ? started : time_now() - (int64_t)SHIP_GRACE_SEC * 1000000;
	for (size_t i = 0; i < data.n; i++)
		if (!names(now, data.k[i]) && (erase || !names(prev, data.k[i])) &&
		    data.mtime[i] < old && s3_delete(s->s3, data.k[i], NULL) == ST_OK)
			deleted++;
out:
	keys_free(&take);
	keys_free(&logs);
	keys_free(&snaps);
	keys_free(&data);
	return deleted;
}
