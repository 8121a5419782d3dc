/* erase_pass: the pass that finishes the pending erasures (store_erase_pending; `spandex
 * erase --pending` from cron): each request applied again, then every version of what they
 * erased but its erasure version taken out of the workspace's files by a reindex that leaves
 * them out, the quarantine cut, the leftovers of killed jobs removed, an audit line kept. The
 * same reindex leaves out every older version of an edited span or judgement (an Opik PATCH, a
 * score or span sent again under its id), in every workspace, requests or none. */
#include "lib/store/erase.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/json/jsonw.h"
#include "lib/store/io.h"
#include "lib/store/keytable.h"
#include "lib/store/layout.h"
#include "lib/store/quarantine.h"
#include "lib/store/rebuild.h"
#include "lib/store/record.h"

/* One pending request, as its file holds it. */
struct pending {
	char name[64]; /* <id>.json */
	json_t *req;
	const char *ws;
};

static int cmp_pending(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;
	int c = strcmp(x->ws, y->ws);
	return c ? c : strcmp(x->name, y->name);
}

/* The pending requests of DATA, by workspace (*out, caller frees with pending_free). A file
 * that does not parse is left where it is and said in e (the pass goes on with the others). */
static enum status pending_load(struct store *st, struct pending **out, size_t *n, struct err *e)
{
	char dir[PATH_MAX], p[PATH_MAX];
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	DIR *d = erase_path(dir, st, NULL) ? opendir(dir) : NULL;
	if (!d)
		return errno == ENOENT ? ST_OK
				       : err_set(e, ST_UNAVAILABLE, "%s: %s", dir, strerror(errno));
	for (struct dirent *de; (de = readdir(d));) {
		size_t k = strlen(de->d_name);
		if (strncmp(de->d_name, ERASE_ID_PREFIX, strlen(ERASE_ID_PREFIX)) || k < 6 ||
		    k >= sizeof((*out)->name) || strcmp(de->d_name + k - 5, ".json"))
			continue;
		json_t *req = erase_path(p, st, de->d_name) ? json_load_file(p, 0, NULL) : NULL;
		const char *ws = json_string_value(json_object_get(req, "workspace"));
		if (!ws) {
			err_set(e, ST_INVALID, "%s: not an erase request; left as it is", p);
			json_decref(req);
			continue;
		}
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		struct pending *q = &(*out)[(*n)++];
		snprintf(q->name, sizeof q->name, "%s", de->d_name);
		q->req = req;
		q->ws = ws;
	}
	closedir(d);
	if (*n)
		qsort(*out, *n, sizeof **out, cmp_pending);
	return ST_OK;
}

static void pending_free(struct pending *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(v[i].req);
	free(v);
}

/* What request r names, back from its file: w's values point into r. */
static bool what_of(json_t *r, struct store_erase_what *w, const char ***vals)
{
	json_t *what = json_object_get(r, "what");
	*vals = NULL;
	memset(w, 0, sizeof *w);
	const char *from = json_string_value(json_object_get(what, "from")),
		   *to = json_string_value(json_object_get(what, "to"));
	if (from && to) {
		w->by = STORE_ERASE_TIME;
		return time_parse(from, true, &w->from_us) && time_parse(to, true, &w->to_us);
	}
	for (int by = STORE_ERASE_TRACE; by <= STORE_ERASE_JUDGEMENT; by++) {
		json_t *a =
		    by == STORE_ERASE_TIME ? NULL : json_object_get(what, store_erase_by_names[by]);
		if (!json_is_array(a) || !json_array_size(a))
			continue;
		w->by = (enum store_erase_by)by;
		w->n = json_array_size(a);
		*vals = xmalloc(w->n * sizeof **vals);
		for (size_t k = 0; k < w->n; k++)
			if (!((*vals)[k] = json_string_value(json_array_get(a, k))))
				return false;
		w->values = *vals;
		return true;
	}
	return false;
}

/* ---- the versions that go ---- */

/* A reindex's question (rebuild_drop): whether the line of r is a version of an erased id
 * older than its erasure version. */
struct dropper {
	const struct erase_set *set;
	const struct erase_set *edited; /* the ids with an older version (superseded_ids) */
	const char *key;		/* "span_id", or a judgement's "id" */
	int32_t *days;			/* the days written again ... */
	bool *sealed;			/* ... which of them were sealed */
	size_t ndays, cap, lines;
	struct store *st; /* where a day written again is named for the bucket's shipper */
	const char *ws;
	struct err marked; /* the first failure to name one */
};

/* A reindex's note (rebuild_drop): day was written again without lines of its. */
static void dropped_day(void *ctx, int32_t day, bool sealed, size_t lines)
{
	struct dropper *d = ctx;
	if (d->ndays == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 16;
		d->days = xrealloc(d->days, d->cap * sizeof *d->days);
		d->sealed = xrealloc(d->sealed, d->cap * sizeof *d->sealed);
	}
	d->days[d->ndays] = day;
	d->sealed[d->ndays++] = sealed;
	d->lines += lines;
	/* Under the workspace lock, as the rewrite: the next ship pass replaces the day in the
	 * bucket and deletes the objects that held the erased bytes (docs/bucket.md). */
	if (d->marked.st == ST_OK)
		ops_day_rewritten(d->st, d->ws, day, &d->marked);
}

/* Whether set holds id (the line of r's) with a version ingested after r's. */
static bool older_in(const struct erase_set *set, const struct idx_rec *r, const char *id)
{
	for (struct erase_id *x = erase_set_find(set, r->span_h);
	     x && x < set->v + set->n && x->h == r->span_h; x++)
		if (!strcmp(x->id, id))
			return r->ingested_us < x->upto;
	return false;
}

static bool drop_line(void *ctx, const char *p, size_t n, const struct idx_rec *r)
{
	const struct dropper *d = ctx;
	char id[STORE_ERASE_MAX_VALUE + 1];
	if ((!erase_set_find(d->set, r->span_h) && !erase_set_find(d->edited, r->span_h)) ||
	    !erase_line_str(p, n, d->key, id, sizeof id))
		return false;
	return older_in(d->set, r, id) || older_in(d->edited, r, id);
}

/* A version whose id is read from its line (ids_of_lines). */
struct line_at {
	uint64_t loc;
	int64_t ingested;
};

static int cmp_line_at(const void *a, const void *b)
{
	const struct line_at *x = a, *y = b;
	return (x->loc > y->loc) - (x->loc < y->loc);
}

static int cmp_day(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* The ids of the versions nw[0..n) (read from their lines, key: "span_id" or "id") put in set,
 * each with its version's ingested_at as upto; with mark_key, only of the lines whose mark_key
 * holds mark (an erasure version's). */
static enum status ids_of_lines(struct store *st, const char *ws, struct line_at *nw, size_t n,
				const char *key, const char *mark_key, const char *mark,
				struct erase_set *set)
{
	struct shard sh = {.day = INT32_MIN};
	bool open = false;
	enum status rc = ST_OK;
	char val[STORE_ERASE_MAX_VALUE + 1];
	if (n)
		qsort(nw, n, sizeof *nw, cmp_line_at);
	for (size_t i = 0; i < n; i++) {
		if (!open || sh.day != LOC_DAY(nw[i].loc)) {
			if (open)
				shard_close(&sh);
			if (!(open = (rc = shard_open(st, ws, LOC_DAY(nw[i].loc), &sh)) == ST_OK))
				break;
		}
		const char *p;
		size_t k;
		if (!shard_view(&sh, LOC_REC(nw[i].loc), &p, &k) ||
		    (mark_key &&
		     (!erase_line_str(p, k, mark_key, val, sizeof val) || strcmp(val, mark))) ||
		    !erase_line_str(p, k, key, val, sizeof val))
			continue;
		erase_set_add(set, val, strlen(val));
		set->v[set->n - 1].upto = nw[i].ingested;
	}
	if (open)
		shard_close(&sh);
	erase_set_sort(set);
	return rc;
}

/* The ids of st's ws that have an older version (an edit's previous text: an Opik PATCH, a
 * score or a span sent again under its id), each with its newest version's ingested_at
 * (set->v[].upto): every version of the id ingested before it goes, as an erased one's do. v
 * (nv versions, sorted here by hash and age) holds every version of ws; the days holding an
 * older one (by hash, so perhaps a day more) are appended to *days (*nd). Only the newest
 * line of such an id is read, for its id: the cost grows with the ids edited since the last
 * pass, not with the workspace. */
static enum status superseded_ids(struct store *st, const char *ws, struct version *v, size_t nv,
				  struct erase_set *set, int32_t **days, size_t *nd)
{
	struct line_at *nw = NULL;
	size_t nn = 0, cap = 0;
	xqsort(v, nv, sizeof *v, rebuild_cmp_version);
	for (size_t i = 0, j; i < nv; i = j) {
		for (j = i + 1; j < nv && v[j].h == v[i].h; j++)
			;
		/* One version, or all of them from one batch: none older than the newest. */
		if (v[i].ingested >= v[j - 1].ingested)
			continue;
		if (nn == cap)
			nw = xrealloc(nw, (cap = cap ? 2 * cap : 256) * sizeof *nw);
		nw[nn++] = (struct line_at){v[j - 1].loc, v[j - 1].ingested};
		for (size_t k = i; k < j && v[k].ingested < v[j - 1].ingested; k++) {
			if (*nd && (*days)[*nd - 1] == LOC_DAY(v[k].loc))
				continue;
			*days = xrealloc(*days, (*nd + 1) * sizeof **days);
			(*days)[(*nd)++] = LOC_DAY(v[k].loc);
		}
	}
	enum status rc = ids_of_lines(st, ws, nw, nn, st->kind == STORE_SPANS ? "span_id" : "id",
				      NULL, NULL, set);
	free(nw);
	/* Sorted, each day once, as reindex_without wants them. */
	size_t k = 0;
	if (*nd)
		qsort(*days, *nd, sizeof **days, cmp_day);
	for (size_t i = 0; i < *nd; i++)
		if (!k || (*days)[k - 1] != (*days)[i])
			(*days)[k++] = (*days)[i];
	*nd = k;
	return rc;
}

/* The erased ids of st's ws when it has requests: the ids with an erasure version, each with
 * the ingested_at of the newest one (set->v[].upto); and the edited ones (superseded_ids),
 * which alone take out what an erasure done before left (its version is the newest). d->days:
 * the days that hold an older version of one (the only ones the reindex writes again; by hash,
 * so perhaps a day more), sorted; *work: whether there is one. */
static enum status erased_ids(struct store *st, const char *ws, bool requests,
			      struct erase_set *set, struct erase_set *edited,
			      struct rebuild_drop *d, bool *work)
{
	struct version *v;
	size_t nv;
	int64_t last;
	bool spans = st->kind == STORE_SPANS;
	*work = false;
	enum status rc = rebuild_versions(st, ws, &v, &nv, &last, NULL);
	/* Every erasure version, the superseded too: a span sent again after its erasure keeps the
	 * new version, and its older ones still go. */
	struct line_at *er = NULL;
	size_t ne = 0, cap = 0;
	for (size_t i = 0; rc == ST_OK && requests && i < nv; i++) {
		if (!(v[i].flags & REC_DELETED))
			continue;
		if (ne == cap)
			er = xrealloc(er, (cap = cap ? 2 * cap : 256) * sizeof *er);
		er[ne++] = (struct line_at){v[i].loc, v[i].ingested};
	}
	if (rc == ST_OK)
		rc = ids_of_lines(st, ws, er, ne, spans ? "span_id" : "id",
				  spans ? "name" : "subtype",
				  spans ? ERASE_SPAN_NAME : ERASE_SUBTYPE, set);
	free(er);
	int32_t *days = NULL;
	size_t nd = 0;
	for (size_t i = 0; rc == ST_OK && i < nv; i++) {
		struct erase_id *x = erase_set_find(set, v[i].h);
		bool older = false;
		for (; x && x < set->v + set->n && x->h == v[i].h && !older; x++)
			older = v[i].ingested < x->upto;
		if (!older || (nd && days[nd - 1] == LOC_DAY(v[i].loc)))
			continue;
		days = xrealloc(days, (nd + 1) * sizeof *days);
		days[nd++] = LOC_DAY(v[i].loc);
	}
	if (rc == ST_OK)
		rc = superseded_ids(st, ws, v, nv, edited, &days, &nd);
	d->days = days;
	d->ndays = nd;
	*work = nd > 0;
	free(v);
	return rc;
}

/* The days a reindex wrote again: sealed again if they were, their text indexes built. */
static enum status days_after(struct store *st, const char *ws, const struct dropper *d,
			      struct err *e)
{
	enum status rc = ST_OK;
	for (size_t i = 0; rc == ST_OK && i < d->ndays; i++) {
		uint64_t in, out;
		bool built;
		size_t covered;
		if (d->sealed[i] && (rc = store_seal(st, ws, d->days[i], &in, &out, e)) != ST_OK)
			break;
		if (st->kind == STORE_SPANS &&
		    (rc = store_text_index(st, ws, d->days[i], &built, &covered)) != ST_OK)
			err_set(e, rc, "%s: text index: %s", ws, strerror(errno));
	}
	return rc;
}

/* The files a killed job left beside ws's days (a half-written sealed file, index or lines,
 * the plain lines a seal had replaced): what they hold of an erased span would stay. No
 * other job runs: the caller holds the admin lock. */
static void leftovers(struct store *st, const char *ws)
{
	static const enum layout_file tmp[] = {LAYOUT_IDX_TMP, LAYOUT_ZST_TMP, LAYOUT_LINES_TMP,
					       LAYOUT_DAYINDEX_TMP};
	int32_t *days;
	size_t nd;
	char p[PATH_MAX];
	if (layout_shard_days(st, ws, &days, &nd) != ST_OK)
		return;
	for (size_t i = 0; i < nd; i++) {
		struct idx_hdr h;
		for (size_t k = 0; k < sizeof tmp / sizeof *tmp; k++)
			if (layout_shard_path(p, st, ws, days[i], tmp[k]))
				unlink(p);
		int fd = layout_shard_path(p, st, ws, days[i], LAYOUT_IDX)
			     ? open(p, O_RDONLY | O_CLOEXEC)
			     : -1;
		if (fd >= 0 && io_pread_all(fd, &h, sizeof h, 0) == 0 && rec_hdr_ok(&h) &&
		    h.sealed_bytes && layout_shard_path(p, st, ws, days[i], LAYOUT_JSONL))
			unlink(p);
		if (fd >= 0)
			close(fd);
	}
	free(days);
}

/* The needles a quarantine line of ws is cut for: each erased id as its line quotes it, and
 * each trace, session or user id the requests named (a judgement's id is among the first). */
static void needles_of(const struct erase_set *s, bool spans, struct pending *q, size_t nq,
		       char ***out, size_t *n)
{
	size_t cap = s->n + 16;
	*out = xmalloc(cap * sizeof **out);
	*n = 0;
	for (size_t i = 0; i < s->n; i++) {
		size_t k = strlen(s->v[i].id) + 16;
		(*out)[*n] = xmalloc(k);
		snprintf((*out)[(*n)++], k, "\"%s\":\"%s\"", spans ? "span_id" : "id", s->v[i].id);
	}
	for (size_t i = 0; i < nq; i++) {
		json_t *what = json_object_get(q[i].req, "what"), *a, *x;
		const char *key;
		size_t k;
		json_object_foreach(what, key, a) json_array_foreach(a, k, x)
		{
			if (!json_string_value(x) ||
			    !strcmp(key, store_erase_by_names[STORE_ERASE_JUDGEMENT]))
				continue;
			if (*n == cap)
				*out = xrealloc(*out, (cap *= 2) * sizeof **out);
			(*out)[(*n)++] = xstrdup(json_string_value(x));
		}
	}
}

/* The quarantine of every day of st's ws cut of what the needles name. */
static enum status quarantines(struct store *st, const char *ws, char **needles, size_t nn,
			       size_t *cut, struct err *e)
{
	int32_t *days;
	size_t nd;
	enum status rc = layout_days(st, ws, LAYOUT_QUARANTINE, &days, &nd);
	if (rc != ST_OK)
		return rc == ST_NOT_FOUND ? ST_OK : err_set(e, rc, "%s: %s", ws, strerror(errno));
	for (size_t i = 0; rc == ST_OK && i < nd; i++) {
		size_t k;
		rc = quarantine_erase(st, ws, days[i], (const char *const *)needles, nn, &k, e);
		*cut += k;
	}
	free(days);
	return rc;
}

/* Everything the pass does to one store (spans, or judgements) of ws. */
static enum status purge(struct store *st, const char *ws, struct pending *q, size_t nq,
			 struct store_erase_done *out, struct err *e)
{
	struct erase_set set = {0}, edited = {0};
	struct dropper dr = {.set = &set,
			     .edited = &edited,
			     .key = st->kind == STORE_SPANS ? "span_id" : "id",
			     .st = st,
			     .ws = ws};
	struct rebuild_drop d = {.fn = drop_line, .day = dropped_day, .ctx = &dr};
	bool work;
	char **needles = NULL;
	size_t nn = 0;
	enum status rc = erased_ids(st, ws, nq > 0, &set, &edited, &d, &work);
	if (rc != ST_OK)
		err_set(e, rc, "%s: reading the versions: %s", ws, strerror(errno));
	if (rc == ST_OK && work &&
	    (rc = reindex_without(st, ws, &d, NULL, NULL, NULL, NULL, e)) == ST_OK)
		rc = days_after(st, ws, &dr, e);
	if (rc == ST_OK && dr.marked.st != ST_OK)
		rc = err_set(e, dr.marked.st, "%s: %s", ws, dr.marked.msg);
	out->days += dr.ndays;
	out->versions += dr.lines;
	if (rc == ST_OK) {
		leftovers(st, ws);
		needles_of(&set, st->kind == STORE_SPANS, q, nq, &needles, &nn);
		rc = nn ? quarantines(st, ws, needles, nn, &out->quarantined, e) : ST_OK;
	}
	for (size_t i = 0; i < nn; i++)
		free(needles[i]);
	free(needles);
	free(dr.days);
	free(dr.sealed);
	free((int32_t *)d.days);
	erase_set_free(&set);
	erase_set_free(&edited);
	return rc;
}

/* The audit line of request q, appended (once: a pass killed after it finds it there) and
 * synced; then its file goes. */
static enum status audit(struct store *st, struct pending *q, size_t spans, size_t judgements,
			 size_t versions, struct err *e)
{
	char p[PATH_MAX], rp[PATH_MAX], dir[PATH_MAX], t[40];
	struct buf have;
	const char *id = json_string_value(json_object_get(q->req, "id"));
	buf_init(&have);
	if (!erase_path(p, st, ERASE_AUDIT) || !erase_path(rp, st, q->name) ||
	    !erase_path(dir, st, NULL) || !id)
		return err_set(e, ST_BAD_REQUEST, "%s: %s", q->name, strerror(ENAMETOOLONG));
	enum status rc = ST_OK;
	if (store_erase_status(st, q->ws, id, &have, NULL) != ST_OK ||
	    strstr(have.p, "\"pending\"")) {
		time_format(time_now(), t);
		json_t *r = json_deep_copy(q->req);
		json_object_set_new(r, "status", json_string("done"));
		if (!json_object_get(r, "spans"))
			json_object_set_new(r, "spans", json_integer((json_int_t)spans));
		if (!json_object_get(r, "judgements"))
			json_object_set_new(r, "judgements", json_integer((json_int_t)judgements));
		json_object_set_new(r, "done_at", json_string(t));
		json_object_set_new(r, "versions_removed", json_integer((json_int_t)versions));
		int fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		struct buf line;
		buf_init(&line);
		jsonw_value(&line, r);
		buf_addc(&line, '\n');
		if (fd < 0 || io_write_all(fd, line.p, line.len) < 0 || fdatasync(fd) < 0)
			rc = err_set(e, ST_UNAVAILABLE, "%s: %s", p, strerror(errno));
		if (fd >= 0)
			close(fd);
		buf_free(&line);
		json_decref(r);
	}
	buf_free(&have);
	if (rc == ST_OK && unlink(rp) < 0 && errno != ENOENT)
		rc = err_set(e, ST_UNAVAILABLE, "%s: %s", rp, strerror(errno));
	if (rc == ST_OK)
		io_sync_dir(dir);
	return rc;
}

/* Test hook (t/integration/erasure.test.mjs): SPANDEX_TEST_KILL_IN_ERASE=N kills the pass
 * with SIGKILL once it has applied the requests of its N-th workspace, before the reindex
 * that takes the bytes out. Unset in every real deployment. */
#define TEST_KILL_IN_ERASE "SPANDEX_TEST_KILL_IN_ERASE"

/* The requests q[0..n) of workspace ws (n 0: none, its edits' older versions alone). */
static enum status pass_ws(struct store *st, const char *ws, struct pending *q, size_t n,
			   size_t nth, struct store_erase_done *out, struct err *e)
{
	size_t *spans = xmalloc((n ? n : 1) * sizeof *spans),
	       *judged = xmalloc((n ? n : 1) * sizeof *judged);
	size_t before = out->versions;
	enum status rc = ST_OK;
	struct store jst;
	for (size_t i = 0; rc == ST_OK && i < n; i++) {
		struct store_erase_what w;
		const char **vals;
		spans[i] = judged[i] = 0;
		/* An acknowledged request's erasure versions are written: applied again it would
		 * also erase what was sent since (a trace Opik deleted and a client sent again). */
		if (json_object_get(q[i].req, "acknowledged_at"))
			continue;
		if (!what_of(q[i].req, &w, &vals))
			rc = err_set(e, ST_INVALID, "%s: not an erase request", q[i].name);
		else
			rc = erase_apply(st, ws, &w, &spans[i], &judged[i], e);
		free(vals);
	}
	if (rc == ST_OK && n && getenv(TEST_KILL_IN_ERASE) &&
	    strtoul(getenv(TEST_KILL_IN_ERASE), NULL, 10) == nth)
		io_test_kill(TEST_KILL_IN_ERASE);
	store_judgements(&jst, st);
	if (rc == ST_OK)
		rc = purge(st, ws, q, n, out, e);
	if (rc == ST_OK && store_has_judgements(st, ws))
		rc = purge(&jst, ws, q, n, out, e);
	/* The media files only erased versions referenced (docs/media.md): swept now, but those
	 * a writer touched in the last ERASE_MEDIA_GRACE_S, which it may be about to reference. */
	struct ops_media_swept sw;
	if (rc == ST_OK && (n || out->versions > before))
		rc = ops_media_sweep(
		    st, ws,
		    time_now() + (int64_t)(OPS_MEDIA_GRACE_S - ERASE_MEDIA_GRACE_S) * 1000000, &sw,
		    e);
	for (size_t i = 0; rc == ST_OK && i < n; i++, out->requests++)
		rc = audit(st, &q[i], spans[i], judged[i], out->versions - before, e);
	out->workspaces += n > 0;
	out->edited += out->versions > before && !n;
	free(spans);
	free(judged);
	return rc;
}

enum status store_erase_pending(struct store *st, struct store_erase_done *out, struct err *e)
{
	struct pending *q;
	char **ws = NULL;
	size_t n, nws = 0;
	memset(out, 0, sizeof *out);
	enum status rc = pending_load(st, &q, &n, e), failed = ST_OK;
	if (rc == ST_OK && (rc = store_workspaces(st, &ws, &nws)) != ST_OK)
		err_set(e, rc, "%s: %s", st->root, strerror(errno));
	/* Every workspace, in order, with its requests if it has any (both lists are sorted): a
	 * workspace with none still loses its edits' older versions. */
	for (size_t i = 0, j, k = 0, nth = 1; rc == ST_OK && (i < n || k < nws);) {
		int c = i == n ? 1 : k == nws ? -1 : strcmp(q[i].ws, ws[k]);
		/* One that fails (a damaged day: e says which) keeps no other from its pass. */
		if (c > 0) {
			enum status r = pass_ws(st, ws[k++], NULL, 0, 0, out, e);
			failed = failed == ST_OK ? r : failed;
			continue;
		}
		for (j = i; j < n && !strcmp(q[j].ws, q[i].ws); j++)
			;
		rc = pass_ws(st, q[i].ws, q + i, j - i, nth++, out, e);
		k += c == 0;
		i = j;
	}
	for (size_t i = 0; i < nws; i++)
		free(ws[i]);
	free(ws);
	pending_free(q, n);
	return rc == ST_OK ? failed : rc;
}
