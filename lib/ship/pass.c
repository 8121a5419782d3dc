/* pass: one ship pass of a workspace (ship_pass): cut the committed lines under the workspace
 * locks, compare each day with what was shipped, and create the next object of the
 * workspace's log with If-None-Match: a delta of the bytes appended since, or a snapshot
 * (snap.c) when a day changed otherwise, the log grew long, or it is the first pass. A create
 * that finds the key taken is resolved: this host's own object from a pass killed before its
 * state was written is taken as shipped; another host's means the workspace was taken over.
 * docs/ARCHITECTURE.md, "The bucket", has the why. */
#include "lib/ship/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <limits.h>
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/json/jsonw.h"

void pass_stores(struct ship *s, struct store st[2])
{
	store_init(&st[STORE_SPANS], s->root, true);
	store_judgements(&st[STORE_JUDGEMENTS], &st[STORE_SPANS]);
}

/* ---- the cut ---- */

struct want_ctx {
	struct pass *p;
	enum store_kind kind;
	const struct ops_cut *cut;
	bool all;
};

/* A day's files are opened when it may have changed since the last pass (or its bytes since
 * the last snapshot are needed to write the next). */
static bool want_day(void *ctx, int32_t day, uint64_t recs, uint64_t sealed)
{
	struct want_ctx *w = ctx;
	struct sday *sd = state_day(&w->p->state, w->kind, day);
	if (w->all || !sd || sd->recs != recs || sd->sealed != sealed || sd->snap_end < sd->end)
		return true;
	for (size_t i = 0; i < w->cut->nrewritten; i++)
		if (w->cut->rewritten[i] == day)
			return true;
	return false;
}

static void pass_uncut(struct pass *p)
{
	for (int k = 0; k < 2; k++)
		if (p->cut_done[k])
			ops_cut_free(&p->cut[k]);
	memset(p->cut_done, 0, sizeof p->cut_done);
	free(p->days);
	p->days = NULL;
	p->ndays = 0;
}

/* Cuts both kinds (all: every day's files opened). ST_NOT_FOUND: no such workspace here. */
static enum status pass_cut(struct pass *p, bool all, struct err *e)
{
	pass_uncut(p);
	p->opened_all = all;
	for (int k = 0; k < 2; k++) {
		struct want_ctx w = {
		    .p = p, .kind = (enum store_kind)k, .cut = &p->cut[k], .all = all};
		enum status st = ops_cut(&p->st[k], p->ws, want_day, &w, &p->cut[k], e);
		if (st == ST_NOT_FOUND && k == STORE_JUDGEMENTS)
			continue; /* no judgements (yet) */
		if (st != ST_OK)
			return st;
		p->cut_done[k] = true;
	}
	return ST_OK;
}

/* ---- what changed ---- */

static bool day_named(const struct ops_cut *c, int32_t day)
{
	for (size_t i = 0; i < c->nrewritten; i++)
		if (c->rewritten[i] == day)
			return true;
	return false;
}

/* Whether the day still holds, unchanged, the stream shipped: its record sd->recs - 1 is the
 * one shipped and ends where the shipped stream did. */
static bool day_continues(const struct ops_day *d, const struct sday *sd)
{
	struct ops_line l;
	if (d->recs < sd->recs)
		return false;
	if (!sd->recs)
		return sd->end == 0;
	return ops_day_record(d, sd->recs - 1, &l, NULL) == ST_OK && l.h == sd->last_h &&
	       l.ingested == sd->last_ing && l.off + l.len + 1 == sd->end;
}

static enum day_change classify(const struct ops_cut *c, const struct ops_day *d,
				const struct sday *sd)
{
	if (!sd && d->sealed)
		return DAY_RESEALED; /* sealed before it was ever shipped: a snapshot takes it */
	if (!sd)
		return d->recs ? DAY_NEW : DAY_SAME;
	if (day_named(c, d->day))
		return DAY_REWRITTEN;
	if (!d->opened)
		return DAY_SAME;
	if (!day_continues(d, sd))
		return DAY_REWRITTEN;
	if (d->sealed != sd->sealed)
		return DAY_RESEALED;
	return d->recs > sd->recs ? DAY_APPEND : DAY_SAME;
}

/* The plan: each day's change, the days gone, the bytes not yet shipped, delta or snapshot. */
static void pass_plan(struct pass *p)
{
	size_t n = 0;
	for (int k = 0; k < 2; k++)
		n += p->cut_done[k] ? p->cut[k].n : 0;
	p->days = xcalloc(n + 1, sizeof(*p->days));
	p->new_bytes = p->new_recs = 0;
	bool changed_form = false;
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; p->cut_done[k] && i < p->cut[k].n; i++) {
			const struct ops_day *d = &p->cut[k].days[i];
			struct pday *pd = &p->days[p->ndays++];
			pd->d = d;
			pd->sd = state_day(&p->state, (enum store_kind)k, d->day);
			pd->ch = classify(&p->cut[k], d, pd->sd);
			uint64_t from = pd->ch == DAY_APPEND ? pd->sd->end : 0;
			uint64_t rfrom = pd->ch == DAY_APPEND ? pd->sd->recs : 0;
			if (pd->ch != DAY_SAME) {
				p->new_bytes += d->end - from;
				p->new_recs += d->recs - rfrom;
			}
			changed_form |= pd->ch == DAY_REWRITTEN || pd->ch == DAY_RESEALED;
		}
	}
	p->removed = 0;
	for (size_t i = 0; i < p->state.n; i++) {
		const struct sday *sd = &p->state.days[i];
		bool here = false;
		for (size_t j = 0; j < p->ndays && !here; j++)
			here = p->days[j].d->kind == sd->kind && p->days[j].d->day == sd->day;
		p->removed += !here;
	}
	uint64_t filebytes = 0;
	for (int i = 0; i < PASS_FILES; i++)
		filebytes += p->files[i].changed ? p->files[i].data.len : 0;
	p->snapshot = !p->state.snap || changed_form || p->removed ||
		      p->new_bytes + filebytes > SHIP_LOG_MAX ||
		      p->state.log_objects + 1 >= SHIP_SNAP_OBJECTS ||
		      p->state.log_bytes + p->new_bytes > SHIP_SNAP_BYTES;
}

static bool pass_nothing(const struct pass *p)
{
	if (p->snapshot && (!p->state.snap || p->removed))
		return false;
	for (size_t i = 0; i < p->ndays; i++)
		if (p->days[i].ch != DAY_SAME)
			return false;
	for (int i = 0; i < PASS_FILES; i++)
		if (p->files[i].changed)
			return false;
	return true;
}

/* ---- a delta ---- */

/* The delta's header and the parts of its body: each appended or new day's new bytes, then
 * each changed file. */
static size_t delta_build(struct pass *p, uint64_t seq, struct lo_hdr *h, struct buf *line,
			  struct s3_part **parts)
{
	*h = (struct lo_hdr){.type = LOGOBJ_DELTA, .seq = seq, .at = time_now()};
	snprintf(h->ws, sizeof h->ws, "%s", p->ws);
	memcpy(h->host, p->s->host, sizeof h->host);
	h->parts = xcalloc(p->ndays + 1, sizeof(*h->parts));
	h->files = xcalloc(PASS_FILES + 1, sizeof(*h->files));
	*parts = xcalloc(p->ndays + PASS_FILES + 2, sizeof(**parts));
	size_t np = 1;
	for (size_t i = 0; i < p->ndays; i++) {
		const struct pday *pd = &p->days[i];
		if (pd->ch != DAY_APPEND && pd->ch != DAY_NEW)
			continue;
		const struct ops_day *d = pd->d;
		uint64_t from = pd->ch == DAY_APPEND ? pd->sd->end : 0;
		uint64_t rfrom = pd->ch == DAY_APPEND ? pd->sd->recs : 0;
		h->parts[h->nparts++] =
		    (struct lo_part){d->kind, d->day, from, d->end - from, d->recs - rfrom};
		/* Appended bytes are past the sealed part: the plain (or late) lines hold them. */
		(*parts)[np++] =
		    (struct s3_part){.fd = d->fd, .off = from - d->base, .len = d->end - from};
	}
	for (int i = 0; i < PASS_FILES; i++) {
		const struct pfile *f = &p->files[i];
		if (!f->changed)
			continue;
		struct lo_file *lf = &h->files[h->nfiles++];
		snprintf(lf->name, sizeof lf->name, "%s", f->name);
		lf->len = f->data.len;
		snprintf(lf->sha, sizeof lf->sha, "%s", f->sha);
		(*parts)[np++] = (struct s3_part){.mem = f->data.p, .len = f->data.len};
	}
	logobj_encode(h, line);
	(*parts)[0] = (struct s3_part){.mem = line->p, .len = line->len};
	return np;
}

/* A day's state once shipped to the end of d. */
static void day_shipped(struct sstate *s, struct sday *sd, const struct ops_day *d)
{
	if (!sd)
		sd = state_add_day(s, d->kind, d->day);
	sd->recs = d->recs;
	sd->end = d->end;
	sd->sealed = d->sealed;
	sd->last_h = d->last_h;
	sd->last_ing = d->last_ing;
}

static enum status delta_write(struct pass *p, uint64_t seq, struct err *e)
{
	struct lo_hdr h;
	struct buf line;
	struct s3_part *parts;
	char key[LOGOBJ_KEY_MAX];
	buf_init(&line);
	size_t np = delta_build(p, seq, &h, &line, &parts);
	logobj_log_key(key, p->ws, seq);
	enum status st = s3_put(p->s->s3, key, parts, np, NULL, S3_CREATE, e);
	if (st == ST_OK) {
		for (size_t i = 0; i < p->ndays; i++)
			if (p->days[i].ch == DAY_APPEND || p->days[i].ch == DAY_NEW)
				day_shipped(&p->state, p->days[i].sd, p->days[i].d);
		for (int i = 0; i < PASS_FILES; i++)
			if (p->files[i].changed)
				state_set_file(&p->state, p->files[i].name, p->files[i].sha);
		state_sort(&p->state);
		p->state.seq = seq;
		p->state.log_objects++;
		p->state.log_bytes += line.len + logobj_delta_bytes(&h);
		p->r->bytes += p->new_bytes;
		p->r->objects++;
	}
	free(parts);
	buf_free(&line);
	logobj_free(&h);
	return st;
}

/* ---- resolving a create that found its key taken ---- */

/* The lines of an opened day's records [from, to) as ids into a JSON array (a lost report). */
static void report_ids(const struct ops_day *d, uint64_t from, uint64_t to, struct buf *out,
		       size_t *left)
{
	struct buf line;
	struct ops_line l;
	buf_init(&line);
	buf_addc(out, '[');
	for (uint64_t i = from; i < to && *left; i++) {
		if (ops_day_record(d, i, &l, &line) != ST_OK)
			continue;
		/* The id opens the line: {"span_id":"..." or {"id":"...". */
		const char *q = memchr(line.p, ':', line.len < 16 ? line.len : 16);
		const char *end =
		    q ? memchr(q + 2, '"', line.len - (size_t)(q + 2 - line.p)) : NULL;
		if (!end || q[1] != '"')
			continue;
		if (out->p[out->len - 1] != '[')
			buf_addc(out, ',');
		jsonw_string(out, q + 2, (size_t)(end - q - 2));
		--*left;
	}
	buf_addc(out, ']');
	buf_free(&line);
}

/* What this copy holds that the bucket does not (the writes acknowledged here since the last
 * pass): per day the stream and the lines past what was shipped, with their ids. */
static void lost_report(struct pass *p, struct buf *out)
{
	size_t left[2] = {SHIP_LOST_IDS, SHIP_LOST_IDS};
	uint64_t lines[2] = {0, 0};
	buf_printf(out, "{\"since\":%" PRId64 ",\"days\":[", p->state.caught_up_at);
	bool first = true;
	for (size_t i = 0; i < p->ndays; i++) {
		const struct pday *pd = &p->days[i];
		if (pd->ch == DAY_SAME)
			continue;
		const struct ops_day *d = pd->d;
		uint64_t from = pd->ch == DAY_APPEND ? pd->sd->end : 0;
		uint64_t rfrom = pd->ch == DAY_APPEND ? pd->sd->recs : 0;
		char day[11];
		time_day_format(d->day, day);
		buf_printf(out,
			   "%s{\"kind\":\"%s\",\"day\":\"%s\",\"from\":%" PRIu64 ",\"to\":%" PRIu64
			   ",\"lines\":%" PRIu64 ",\"ids\":",
			   first ? "" : ",", logobj_kind_names[d->kind], day, from, d->end,
			   d->recs - rfrom);
		report_ids(d, rfrom, d->recs, out, &left[d->kind]);
		buf_addc(out, '}');
		lines[d->kind] += d->recs - rfrom;
		first = false;
	}
	buf_printf(out, "],\"spans\":%" PRIu64 ",\"judgements\":%" PRIu64 "}", lines[0], lines[1]);
}

/* The opened day of the cut that is (kind, day), or NULL. */
static const struct ops_day *cut_day(const struct pass *p, enum store_kind kind, int32_t day)
{
	for (size_t i = 0; i < p->ndays; i++)
		if (p->days[i].d->kind == kind && p->days[i].d->day == day)
			return p->days[i].d->opened ? p->days[i].d : NULL;
	return NULL;
}

/* The marker's report, from a cut made once the marker is there: every writer that takes the
 * workspace lock after it is refused (the store hook looks under that lock), so the cut holds
 * every write acknowledged here, and the report names all that the bucket lacks. */
static enum status mark_report(struct pass *p, const char *kind, const char *to, uint64_t seq,
			       struct err *e)
{
	struct buf report;
	enum status st = pass_cut(p, false, e);
	if (st != ST_OK)
		return st;
	pass_plan(p);
	buf_init(&report);
	lost_report(p, &report);
	st = state_mark(p->s->root, p->ws, kind, to, seq, &report, e);
	buf_free(&report);
	return st;
}

/* Takes this host's own object seq (from a pass killed before it wrote its state) as shipped:
 * each part must start where the day's shipped stream ends, and this copy must hold what it
 * carried. A snapshot or takeover of its own makes the next pass write a snapshot, which
 * replaces what the state does not follow. */
static bool adopt(struct pass *p, const struct lo_hdr *h)
{
	if (h->type == LOGOBJ_DELTA) {
		for (size_t i = 0; i < h->nparts; i++) {
			const struct lo_part *x = &h->parts[i];
			struct sday *sd = state_day(&p->state, x->kind, x->day);
			const struct ops_day *d = cut_day(p, x->kind, x->day);
			if ((sd ? sd->end : 0) != x->at || !d ||
			    d->recs < (sd ? sd->recs : 0) + x->recs)
				return false;
		}
		for (size_t i = 0; i < h->nparts; i++) {
			const struct lo_part *x = &h->parts[i];
			struct sday *sd = state_day(&p->state, x->kind, x->day);
			const struct ops_day *d = cut_day(p, x->kind, x->day);
			uint64_t recs = (sd ? sd->recs : 0) + x->recs, end = x->at + x->len;
			struct ops_line l;
			if (!sd) {
				state_add_day(&p->state, x->kind, x->day);
				state_sort(&p->state);
				sd = state_day(&p->state, x->kind, x->day);
			}
			sd->recs = recs;
			sd->end = end;
			sd->sealed = d->sealed;
			if (ops_day_record(d, recs - 1, &l, NULL) == ST_OK) {
				sd->last_h = l.h;
				sd->last_ing = l.ingested;
			}
		}
		p->state.log_objects++;
	} else {
		p->state.snap = 0;
	}
	p->state.seq = h->seq;
	return true;
}

/* The create of seq found it taken. ST_OK: it was this host's and is taken (pass again);
 * ST_CONFLICT: another host's (the workspace is lost; marked, e says so). */
static enum status resolve(struct pass *p, uint64_t seq, struct err *e)
{
	char key[LOGOBJ_KEY_MAX];
	struct lo_hdr h;
	logobj_log_key(key, p->ws, seq);
	enum status st = fetch_head(p->s, key, &h, e);
	if (st == ST_NOT_FOUND) /* deleted since: only a compaction does, after a snapshot */
		return err_set(e, ST_UNAVAILABLE, "%s: taken, then gone: try again", key);
	if (st != ST_OK)
		return st;
	if (!strcmp(h.host, p->s->host) && adopt(p, &h)) {
		logobj_free(&h);
		return ST_OK;
	}
	bool own = !strcmp(h.host, p->s->host);
	const char *kind = own ? "behind" : "lost";
	st = state_mark(p->s->root, p->ws, kind, h.host, seq, NULL, e);
	if (st == ST_OK)
		st = mark_report(p, kind, h.host, seq, e);
	if (st == ST_OK) {
		if (own)
			err_set(
			    e, ST_CONFLICT,
			    "workspace %s: object %" PRIu64 " of the bucket does not follow what "
			    "this host shipped (its copy was restored or copied): no write until "
			    "`spandex pull DATA --workspace %s`",
			    p->ws, seq, p->ws);
		else
			err_set(
			    e, ST_CONFLICT,
			    "workspace %s was taken over by host %s (object %" PRIu64 ", %s): this "
			    "host takes no more writes for it; `spandex ship --status` names what "
			    "it held that the bucket does not",
			    p->ws, h.host, seq, logobj_type_names[h.type]);
		st = ST_CONFLICT;
	}
	p->r->lost = true;
	logobj_free(&h);
	return st;
}

/* ---- the pass ---- */

static bool first_key(void *ctx, const struct s3_obj *o)
{
	*(bool *)ctx = o != NULL;
	return false;
}

/* Whether this host may ship ws: a state of this bucket, of objects it created, for this very
 * directory; or none, and nothing of ws in the bucket. ST_CONFLICT (marked behind) otherwise. A
 * host that never created one asks the bucket, whatever its state says: a key compaction
 * deleted would let its create-only write through. */
static enum status pass_owner(struct pass *p, struct err *e)
{
	char dir[PATH_MAX];
	struct stat ds;
	snprintf(dir, sizeof dir, "%s/%s", p->s->root, p->ws);
	if (stat(dir, &ds) < 0)
		return errno == ENOENT ? ST_NOT_FOUND : err_sys(e, errno, "%s", dir);
	bool mine = p->state.exists && p->state.seq && !strcmp(p->state.bucket, p->s->bucket);
	const char *why = NULL;
	if (mine && (p->state.dev != (uint64_t)ds.st_dev || p->state.ino != (uint64_t)ds.st_ino)) {
		why = "its directory was replaced since it was last shipped (a restore?)";
	} else if (!mine) {
		char pfx[LOGOBJ_KEY_MAX];
		bool any = false;
		snprintf(pfx, sizeof pfx, "%s/log/", p->ws);
		enum status st = s3_list(p->s->s3, pfx, NULL, 1, first_key, &any, e);
		if (st != ST_OK)
			return st;
		if (any)
			why = "the bucket holds it, but this host never shipped it";
		/* Shipped to another bucket (or never): this one starts from a snapshot. */
		struct sstate fresh = {0};
		fresh.pass_at = p->state.pass_at;
		fresh.caught_up_at = p->state.caught_up_at;
		state_free(&p->state);
		p->state = fresh;
	}
	if (!why)
		return ST_OK;
	state_mark(p->s->root, p->ws, "behind", "?", p->state.seq, NULL, NULL);
	p->r->lost = true;
	return err_set(e, ST_CONFLICT,
		       "workspace %s: %s: not shipped, and no write here until `spandex pull DATA "
		       "--workspace %s` takes the bucket's copy",
		       p->ws, why, p->ws);
}

/* Records the outcome in the state, for /healthz and ship --status. */
static void pass_status(struct pass *p, enum status st, const struct err *e, bool caught_up)
{
	p->state.pass_at = p->cut_done[0] ? p->cut[0].at : time_now();
	if (st == ST_OK) {
		p->state.error[0] = '\0';
		if (caught_up)
			p->state.caught_up_at = p->state.pass_at;
		p->state.lag_bytes = 0;
	} else {
		snprintf(p->state.error, sizeof p->state.error, "%s", err_text(e));
		p->state.error_at = time_now();
		p->state.lag_bytes = p->new_bytes;
	}
}

/* A pass with nothing to ship looks, once a SHIP_IDLE_CHECK_SEC, whether another host has
 * written the next object (a takeover): a host that takes no writes learns it lost the
 * workspace too, and says so in its status. */
static enum status pass_idle(struct pass *p, struct err *e)
{
	int64_t now = time_now();
	if (!p->state.seq || now - p->state.checked_at < (int64_t)SHIP_IDLE_CHECK_SEC * 1000000)
		return ST_OK;
	char key[LOGOBJ_KEY_MAX];
	logobj_log_key(key, p->ws, p->state.seq + 1);
	enum status st = s3_head(p->s->s3, key, NULL, e);
	if (st == ST_OK)
		return resolve(p, p->state.seq + 1, e);
	if (st == ST_NOT_FOUND) {
		p->state.checked_at = now;
		p->r->nothing = true;
		return ST_OK;
	}
	return st;
}

/* One attempt: plan, then create the next object. *again: an own object was taken, or the
 * snapshot needs every day's files: cut and plan again. */
static enum status pass_once(struct pass *p, bool *again, struct err *e)
{
	*again = false;
	pass_plan(p);
	if (pass_nothing(p)) {
		p->r->nothing = true;
		return pass_idle(p, e);
	}
	uint64_t seq = p->state.seq + 1;
	/* The media files the cut's lines reference are on disk (synced before their batch). */
	enum status st = media_ship(p->s, p->ws, &p->r->objects, e);
	if (st != ST_OK)
		return st;
	st = p->snapshot ? snap_write(p, seq, e) : delta_write(p, seq, e);
	if (st == ST_NOT_FOUND && !p->opened_all) {
		*again = true; /* snap_write: it needs the files of days the cut left closed */
		p->opened_all = true;
		return ST_OK;
	}
	if (st == ST_OK && p->s->c.sync) {
		/* A key a compaction deleted lets a create through that another host's object
		 * follows (a pass killed before its state, then a takeover): look once. */
		char key[LOGOBJ_KEY_MAX];
		logobj_log_key(key, p->ws, seq + 1);
		st = s3_head(p->s->s3, key, NULL, e);
		if (st == ST_OK)
			return resolve(p, seq + 1, e);
		if (st == ST_NOT_FOUND)
			st = ST_OK;
	}
	if (st == ST_CONFLICT) {
		st = resolve(p, seq, e);
		*again = st == ST_OK;
	}
	return st;
}

static enum status pass_run(struct pass *p, struct err *e)
{
	enum status st = state_load(p->s->root, p->ws, &p->state, e);
	if (st == ST_OK)
		st = pass_owner(p, e);
	bool all = false;
	for (int round = 0; st == ST_OK && round < SHIP_ADOPT_MAX; round++) {
		if ((st = pass_cut(p, all, e)) != ST_OK)
			return st;
		files_free(p);
		if ((st = files_read(p, e)) != ST_OK)
			return st;
		bool again;
		st = pass_once(p, &again, e);
		if (!again)
			break;
		all = p->opened_all;
	}
	return st;
}

enum status ship_pass(struct ship *s, const char *ws, struct ship_report *r, struct err *e)
{
	struct pass p = {.s = s, .ws = ws, .r = r};
	memset(r, 0, sizeof(*r));
	pass_stores(s, p.st);
	int lockfd = state_lock(s->root, ws);
	if (lockfd < 0)
		return err_sys(e, errno, "%s/%s: the lock of %s", s->root, SHIP_DIR, ws);
	enum status st;
	if (state_fenced(s->root, ws, e)) {
		r->lost = true;
		close(lockfd);
		return ST_CONFLICT;
	}
	st = pass_run(&p, e);
	if (st == ST_NOT_FOUND) {
		/* Nothing here (never written, or removed by hand): the bucket keeps what it has.
		 */
		r->nothing = true;
		st = ST_OK;
	} else if (st == ST_OK && r->nothing && !p.state.error[0] && p.cut_done[STORE_SPANS] &&
		   p.cut[STORE_SPANS].at - p.state.pass_at < (int64_t)SHIP_STATUS_SEC * 1000000) {
		/* Nothing shipped, nothing to say that the state does not say already: a writer
		 * of sync mode that found its batch shipped returns without a write. */
	} else if (st != ST_CONFLICT && st != ST_INVALID) {
		/* Saved even before anything was shipped (seq 0), so /healthz names the error. */
		p.state.exists = true;
		snprintf(p.state.bucket, sizeof p.state.bucket, "%s", s->bucket);
		if (st == ST_OK && p.cut_done[STORE_SPANS]) {
			p.state.dev = p.cut[STORE_SPANS].dir_dev;
			p.state.ino = p.cut[STORE_SPANS].dir_ino;
		}
		pass_status(&p, st, e, st == ST_OK);
		struct err se = {0};
		if (state_save(s->root, ws, &p.state, &se) != ST_OK && st == ST_OK)
			st = err_set(e, se.st, "%s", se.msg);
	}
	r->seq = p.state.seq;
	pass_uncut(&p);
	files_free(&p);
	state_free(&p.state);
	close(lockfd);
	return st;
}

enum status ship_unshipped(const char *root, const char *ws, uint64_t *bytes, uint64_t *lines,
			   struct err *e)
{
	struct ship s = {.root = (char *)root};
	struct ship_report r;
	struct pass p = {.s = &s, .ws = ws, .r = &r};
	*bytes = *lines = 0;
	pass_stores(&s, p.st);
	enum status st = state_load(root, ws, &p.state, e);
	if (st == ST_OK)
		st = pass_cut(&p, false, e);
	if (st == ST_OK) {
		pass_plan(&p);
		*bytes = p.new_bytes;
		*lines = p.new_recs;
	}
	pass_uncut(&p);
	state_free(&p.state);
	return st == ST_NOT_FOUND ? ST_OK : st;
}
