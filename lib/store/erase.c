/* erase: an erase request (issue 52, "Erasure that finishes"): its file, what it names and
 * the erasure versions that hide it from every reader at once (see erase.h; the pass that
 * takes the bytes out is erase_pass.c). */
#include "lib/store/erase.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/base/utf8.h"
#include "lib/json/jline.h"
#include "lib/json/jsonw.h"
#include "lib/model/catalog.h"
#include "lib/model/workspace.h"
#include "lib/store/io.h"

const char *const store_erase_by_names[] = {"trace", "session", "user", "time", "judgement"};

/* Ids per store_update: one batch of the journal each, as Opik's deletes write them. */
#define ERASE_BATCH 1000
/* The attribute OpenTelemetry names the end user by, beside the catalog's user keys. */
#define ERASE_ENDUSER "enduser.id"

/* ---- sets of ids ---- */

void erase_set_add(struct erase_set *s, const char *id, size_t n)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = xrealloc(s->v, s->cap * sizeof *s->v);
	}
	char *c = xmalloc(n + 1);
	memcpy(c, id, n);
	c[n] = 0;
	s->v[s->n++] = (struct erase_id){.h = hash_bytes(id, n), .id = c, .upto = INT64_MAX};
}

static int cmp_id(const void *a, const void *b)
{
	const struct erase_id *x = a, *y = b;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return strcmp(x->id, y->id);
}

void erase_set_sort(struct erase_set *s)
{
	size_t k = 0;
	if (s->n)
		qsort(s->v, s->n, sizeof *s->v, cmp_id);
	for (size_t i = 0; i < s->n; i++) {
		if (k && !cmp_id(&s->v[k - 1], &s->v[i])) {
			if (s->v[i].upto > s->v[k - 1].upto)
				s->v[k - 1].upto = s->v[i].upto;
			free(s->v[i].id);
			continue;
		}
		s->v[k++] = s->v[i];
	}
	s->n = k;
}

static int cmp_hash(const void *key, const void *x)
{
	uint64_t h = *(const uint64_t *)key, y = ((const struct erase_id *)x)->h;
	return (h > y) - (h < y);
}

struct erase_id *erase_set_find(const struct erase_set *s, uint64_t h)
{
	struct erase_id *x = s->n ? bsearch(&h, s->v, s->n, sizeof *s->v, cmp_hash) : NULL;
	while (x && x > s->v && x[-1].h == h)
		x--;
	return x;
}

/* Whether the set holds id (a string of the line, unquoted). */
static bool set_has(const struct erase_set *s, uint64_t h, const char *id)
{
	for (struct erase_id *x = erase_set_find(s, h); x && x < s->v + s->n && x->h == h; x++)
		if (!strcmp(x->id, id))
			return true;
	return false;
}

void erase_set_free(struct erase_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].id);
	free(s->v);
	*s = (struct erase_set){0};
}

bool erase_line_str(const char *p, size_t n, const char *key, char *out, size_t size)
{
	const char *v;
	size_t vn, m;
	if (!jline_get(p, n, key, &v, &vn) || !vn || v[0] != '"' ||
	    (m = jline_unquote(v, vn, out, size - 1)) == (size_t)-1)
		return false;
	out[m] = 0;
	return true;
}

bool erase_path(char *out, const struct store *st, const char *name)
{
	int k = snprintf(out, PATH_MAX, "%s/%s%s%s", st->root, ERASE_DIR, name ? "/" : "",
			 name ? name : "");
	return k > 0 && k < PATH_MAX;
}

/* ---- what a request names ---- */

/* Whether the span line p[0..n) names user u (a catalog user key, or enduser.id). */
static bool line_user_is(const char *p, size_t n, const char *u, struct span_line *m)
{
	size_t ns, un = strlen(u);
	const struct catalog_source *src = catalog_sources(&ns);
	char buf[STORE_ERASE_MAX_VALUE + 1];
	span_line_scan(p, n, m);
	if (m->attrs_state < 0)
		return false;
	for (size_t i = 0; i <= ns; i++) {
		const char *key = i < ns ? src[i].key : ERASE_ENDUSER, *v;
		size_t vn, k;
		if (i < ns && src[i].field != CATALOG_USER)
			continue;
		if (m->attrs_state == 0) {
			/* Attributes too long for the quick walk: a quoted "key":"u" anywhere in
			 * them is the same test, on the escaped text (u as a JSON string holds no
			 * quote or backslash of its own when it matches here). */
			char pat[STORE_ERASE_MAX_VALUE + 300];
			int pn = snprintf(pat, sizeof pat, "\\\"%s\\\":\\\"%s\\\"", key, u);
			if (pn > 0 && (size_t)pn < sizeof pat && memmem(p, n, pat, (size_t)pn))
				return true;
			continue;
		}
		if (span_line_attr(m, key, &v, &vn) != 1 || !vn || v[0] != '"' ||
		    (k = jline_unquote(v, vn, buf, sizeof buf - 1)) == (size_t)-1)
			continue;
		if (k == un && !memcmp(buf, u, un))
			return true;
	}
	return false;
}

/* What one scan of the newest versions looks for, and what it found. */
struct scan {
	const struct store_erase_what *w;
	struct erase_set want;	 /* hashes of w's traces or sessions, or of the users' traces */
	bool by_trace;		 /* want holds traces (else sessions) */
	struct erase_set spans;	 /* found: span ids */
	struct erase_set traces; /* found: their traces */
	struct span_line *m;
	int32_t lo, hi; /* the days that can hold them */
};

/* Whether newest version r (line p[0..n)) is one the scan names. */
static bool scan_match(struct scan *s, const struct idx_rec *r, const char *p, size_t n)
{
	char id[STORE_ERASE_MAX_VALUE + 1];
	const struct store_erase_what *w = s->w;
	if (w->by == STORE_ERASE_TIME)
		return r->started_us >= w->from_us && r->started_us < w->to_us;
	if (w->by == STORE_ERASE_USER && !s->want.n) {
		for (size_t k = 0; k < w->n && !(r->flags & REC_DELETED); k++)
			if (line_user_is(p, n, w->values[k], s->m))
				return true;
		return false;
	}
	uint64_t h = s->by_trace ? r->trace_h : r->session_h;
	return erase_set_find(&s->want, h) &&
	       erase_line_str(p, n, s->by_trace ? "trace_id" : "session_id", id, sizeof id) &&
	       set_has(&s->want, h, id);
}

/* One walk over the newest version of every span of ws: those s names into s->spans (and
 * their traces into s->traces). */
static enum status scan_days(struct store *st, const char *ws, struct scan *s)
{
	int32_t *days;
	size_t nd;
	char id[STORE_ERASE_MAX_VALUE + 1];
	enum status rc = store_days(st, ws, &days, &nd);
	if (rc == ST_NOT_FOUND) /* no such workspace (yet): nothing to erase */
		return ST_OK;
	for (size_t d = 0; rc == ST_OK && d < nd; d++) {
		struct shard sh;
		if (days[d] < s->lo || days[d] > s->hi)
			continue;
		if ((rc = shard_open(st, ws, days[d], &sh)) != ST_OK)
			break;
		for (size_t i = 0; i < sh.nrecs; i++) {
			const struct idx_rec *r = &sh.recs[i];
			const char *p;
			size_t n;
			if ((r->flags & REC_SUPERSEDED) || !shard_view(&sh, i, &p, &n) ||
			    !scan_match(s, r, p, n))
				continue;
			if (erase_line_str(p, n, "span_id", id, sizeof id))
				erase_set_add(&s->spans, id, strlen(id));
			if (erase_line_str(p, n, "trace_id", id, sizeof id))
				erase_set_add(&s->traces, id, strlen(id));
		}
		shard_forget_lines(&sh);
		shard_close(&sh);
	}
	free(days);
	return rc;
}

/* The days the range tables give for the traces or sessions of s->want (into s->lo, s->hi):
 * an erase of a trace opens its days only. Every day when a table cannot say. */
static void key_days(struct store *st, const char *ws, struct scan *s)
{
	uint64_t look = store_look(st, ws);
	s->lo = INT32_MAX;
	s->hi = INT32_MIN;
	for (size_t k = 0; k < s->want.n; k++) {
		int32_t first, last;
		enum status rc =
		    store_key_days(st, ws, look, s->by_trace ? STORE_KEY_TRACE : STORE_KEY_SESSION,
				   s->want.v[k].h, &first, &last);
		if (rc == ST_NOT_FOUND)
			continue;
		if (rc != ST_OK) {
			s->lo = INT32_MIN;
			s->hi = INT32_MAX;
			return;
		}
		s->lo = first < s->lo ? first : s->lo;
		s->hi = last > s->hi ? last : s->hi;
	}
}

/* The span ids w names in ws, and their traces. A user's spans bring every span of their
 * traces: the user's own words are in the children (an LLM call's input) that carry no user. */
static enum status spans_named(struct store *st, const char *ws, const struct store_erase_what *w,
			       struct scan *s)
{
	s->w = w;
	s->by_trace = w->by != STORE_ERASE_SESSION;
	s->lo = w->by == STORE_ERASE_TIME ? time_day(w->from_us) : INT32_MIN;
	s->hi = w->by == STORE_ERASE_TIME ? time_day(w->to_us) : INT32_MAX;
	if (w->by == STORE_ERASE_TRACE || w->by == STORE_ERASE_SESSION) {
		for (size_t k = 0; k < w->n; k++) {
			erase_set_add(&s->want, w->values[k], strlen(w->values[k]));
			if (w->by == STORE_ERASE_TRACE) /* a trace's judgements, spans or none */
				erase_set_add(&s->traces, w->values[k], strlen(w->values[k]));
		}
		erase_set_sort(&s->want);
		key_days(st, ws, s);
	}
	enum status rc = scan_days(st, ws, s);
	if (rc == ST_OK && w->by == STORE_ERASE_USER && s->traces.n) {
		erase_set_sort(&s->traces);
		for (size_t k = 0; k < s->traces.n; k++)
			erase_set_add(&s->want, s->traces.v[k].id, strlen(s->traces.v[k].id));
		erase_set_sort(&s->want);
		key_days(st, ws, s);
		rc = scan_days(st, ws, s);
	}
	erase_set_sort(&s->spans);
	erase_set_sort(&s->traces);
	return rc;
}

/* The judgements of ws's judgement store jst whose span (or trace, or a session erased) s
 * found: their ids into *out. */
static enum status judgements_named(struct store *jst, const char *ws, const struct scan *s,
				    struct erase_set *out)
{
	int32_t *days;
	size_t nd;
	char id[STORE_ERASE_MAX_VALUE + 1];
	enum status rc = store_days(jst, ws, &days, &nd);
	if (rc == ST_NOT_FOUND)
		return ST_OK;
	for (size_t d = 0; rc == ST_OK && d < nd; d++) {
		struct shard sh;
		if ((rc = shard_open(jst, ws, days[d], &sh)) != ST_OK)
			break;
		for (size_t i = 0; i < sh.nrecs; i++) {
			const struct idx_rec *r = &sh.recs[i];
			const char *p;
			size_t n;
			if (!store_rec_live(r) || !shard_view(&sh, i, &p, &n))
				continue;
			bool hit = (erase_set_find(&s->spans, r->parent_h) &&
				    erase_line_str(p, n, "span_id", id, sizeof id) &&
				    set_has(&s->spans, r->parent_h, id)) ||
				   (erase_set_find(&s->traces, r->trace_h) &&
				    erase_line_str(p, n, "trace_id", id, sizeof id) &&
				    set_has(&s->traces, r->trace_h, id)) ||
				   (!s->by_trace && erase_set_find(&s->want, r->session_h) &&
				    erase_line_str(p, n, "session_id", id, sizeof id) &&
				    set_has(&s->want, r->session_h, id));
			if (hit && erase_line_str(p, n, "id", id, sizeof id))
				erase_set_add(out, id, strlen(id));
		}
		shard_close(&sh);
	}
	free(days);
	erase_set_sort(out);
	return rc;
}

/* ---- the erasure versions ---- */

/* A span's erasure version: its ids, kind, status, times and project (what places it), a
 * fixed name, and the deletion mark; none of its content. */
static enum status merge_erase(void *ctx, struct arena *a, const char *id, const struct span *cur,
			       struct span *out, struct err *e)
{
	(void)ctx, (void)a, (void)id, (void)e;
	if (!cur || (span_is_deleted(cur) && cur->name && !strcmp(cur->name, ERASE_SPAN_NAME)))
		return ST_OK; /* gone, or erased already: no change */
	span_tombstone(out, cur);
	out->name = ERASE_SPAN_NAME;
	return ST_OK;
}

/* A judgement's: its id, target, kind, origin and time, deleted. ctx: a count of the ids that
 * have a version (erased already or not). */
static enum status merge_jerase(void *ctx, struct arena *a, const char *id,
				const struct judgement *cur, struct judgement *out, struct err *e)
{
	(void)a, (void)id, (void)e;
	*(size_t *)ctx += cur != NULL;
	if (!cur || (cur->deleted && cur->subtype && !strcmp(cur->subtype, ERASE_SUBTYPE)))
		return ST_OK;
	out->id = cur->id;
	out->workspace = cur->workspace;
	out->target = cur->target;
	out->span_id = cur->span_id;
	out->trace_id = cur->trace_id;
	out->session_id = cur->session_id;
	out->project = cur->project;
	out->name = cur->name;
	out->kind = cur->kind;
	out->source = cur->source;
	out->api = cur->api;
	out->subtype = ERASE_SUBTYPE;
	out->created_at = cur->created_at;
	out->deleted = true;
	return ST_OK;
}

/* The erasure versions of the ids in s, ERASE_BATCH at a time; *have: how many of the ids are
 * judgements that have a version. */
static enum status write_erased(struct store *st, const char *ws, const struct erase_set *s,
				size_t *have, struct err *e)
{
	enum status rc = ST_OK;
	const char **ids = xmalloc((s->n ? s->n : 1) * sizeof *ids);
	for (size_t i = 0; i < s->n; i++)
		ids[i] = s->v[i].id;
	for (size_t i = 0; rc == ST_OK && i < s->n; i += ERASE_BATCH) {
		size_t k = s->n - i < ERASE_BATCH ? s->n - i : ERASE_BATCH;
		struct arena *a = arena_new();
		rc = st->kind == STORE_SPANS
			 ? store_update(st, ws, a, ids + i, k, merge_erase, NULL, e)
			 : store_update_judgements(st, ws, a, ids + i, k, merge_jerase, have, e);
		arena_free(a);
	}
	free(ids);
	return rc;
}

enum status erase_apply(struct store *st, const char *ws, const struct store_erase_what *w,
			size_t *spans, size_t *judgements, struct err *e)
{
	struct scan s = {0};
	struct erase_set js = {0};
	struct store jst;
	size_t have = 0;
	bool alone = w->by == STORE_ERASE_JUDGEMENT; /* judgements by id: no span named */
	s.m = xmalloc(sizeof *s.m);
	*spans = *judgements = 0;
	enum status rc = alone ? ST_OK : spans_named(st, ws, w, &s);
	if (rc != ST_OK)
		err_set(e, rc, "%s: reading the spans: %s", ws, strerror(errno));
	for (size_t k = 0; alone && k < w->n; k++)
		erase_set_add(&js, w->values[k], strlen(w->values[k]));
	erase_set_sort(&js);
	/* The judgements first: a kill between the two leaves the spans still named by the
	 * request, and the pass finds both again. */
	store_judgements(&jst, st);
	if (rc == ST_OK && !alone && store_has_judgements(st, ws) &&
	    (rc = judgements_named(&jst, ws, &s, &js)) != ST_OK)
		err_set(e, rc, "%s: reading the judgements: %s", ws, strerror(errno));
	if (rc == ST_OK && js.n && store_has_judgements(st, ws))
		rc = write_erased(&jst, ws, &js, &have, e);
	/* Test hook (t/integration/erasure.test.mjs): SPANDEX_TEST_KILL_IN_ERASE=0 kills an erase
	 * with SIGKILL between its judgements and its spans (the pass's N: erase_pass.c). */
	const char *kill = getenv("SPANDEX_TEST_KILL_IN_ERASE");
	if (rc == ST_OK && kill && !strcmp(kill, "0"))
		io_test_kill("SPANDEX_TEST_KILL_IN_ERASE");
	if (rc == ST_OK && s.spans.n)
		rc = write_erased(st, ws, &s.spans, NULL, e);
	*spans = s.spans.n;
	*judgements = alone ? have : js.n;
	erase_set_free(&s.want);
	erase_set_free(&s.spans);
	erase_set_free(&s.traces);
	erase_set_free(&js);
	free(s.m);
	return rc;
}

/* ---- the request's file ---- */

/* Writes the request r as DATA/ERASE_DIR/<id>.json: aside, synced, renamed, the directory
 * synced; so a request is whole or absent. */
static enum status request_put(struct store *st, const char *id, json_t *r, struct err *e)
{
	char dir[PATH_MAX], p[PATH_MAX], tp[PATH_MAX], name[64];
	snprintf(name, sizeof name, "%s.json", id);
	if (!erase_path(dir, st, NULL) || !erase_path(p, st, name) ||
	    snprintf(tp, sizeof tp, "%s.tmp", p) >= (int)sizeof tp)
		return err_set(e, ST_BAD_REQUEST, "%s", strerror(ENAMETOOLONG));
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", dir, strerror(errno));
	struct buf s;
	buf_init(&s);
	jsonw_value(&s, r);
	buf_addc(&s, '\n');
	int fd = open(tp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	enum status rc = ST_OK;
	if (fd < 0 || io_write_all(fd, s.p, s.len) < 0 || (st->sync && fdatasync(fd) < 0) ||
	    rename(tp, p) < 0) {
		rc = err_set(e, ST_UNAVAILABLE, "%s: %s", p, strerror(errno));
		unlink(tp);
	} else if (st->sync)
		io_sync_dir(dir);
	if (fd >= 0)
		close(fd);
	buf_free(&s);
	return rc;
}

/* "what" of a request: {"trace": [...]} (session, user), or {"from": T, "to": T}. */
static json_t *what_json(const struct store_erase_what *w)
{
	char t[40];
	if (w->by == STORE_ERASE_TIME) {
		json_t *o = json_object();
		time_format(w->from_us, t);
		json_object_set_new(o, "from", json_string(t));
		time_format(w->to_us, t);
		json_object_set_new(o, "to", json_string(t));
		return o;
	}
	json_t *a = json_array();
	for (size_t k = 0; k < w->n; k++)
		json_array_append_new(a, json_string(w->values[k]));
	return json_pack("{so}", store_erase_by_names[w->by], a);
}

/* Whether w is a request spandex takes (e says why not). */
static enum status what_valid(const char *ws, const struct store_erase_what *w, const char *by,
			      struct err *e)
{
	if (!workspace_valid(ws))
		return err_set(e, ST_BAD_REQUEST, "invalid workspace name '%s'", ws);
	if (!by || !*by || strlen(by) > STORE_ERASE_MAX_BY || !utf8_valid(by, strlen(by)))
		return err_set(e, ST_BAD_REQUEST, "who asks must be named (at most %d bytes)",
			       STORE_ERASE_MAX_BY);
	if (w->by == STORE_ERASE_TIME)
		return w->from_us < w->to_us
			   ? ST_OK
			   : err_set(e, ST_BAD_REQUEST, "the time range must end after it starts");
	if (!w->n || w->n > STORE_ERASE_MAX_VALUES)
		return err_set(e, ST_BAD_REQUEST, "1 to %d %s ids", STORE_ERASE_MAX_VALUES,
			       store_erase_by_names[w->by]);
	for (size_t k = 0; k < w->n; k++) {
		size_t n = w->values[k] ? strlen(w->values[k]) : 0;
		if (!n || n > STORE_ERASE_MAX_VALUE || !utf8_valid(w->values[k], n))
			return err_set(e, ST_BAD_REQUEST, "a %s id must be 1 to %d bytes of UTF-8",
				       store_erase_by_names[w->by], STORE_ERASE_MAX_VALUE);
	}
	return ST_OK;
}

enum status store_erase(struct store *st, const char *ws, const struct store_erase_what *w,
			const char *by, struct store_erase_ack *ack, struct err *e)
{
	unsigned char r[12];
	char t[40];
	enum status rc = what_valid(ws, w, by, e);
	if (rc != ST_OK)
		return rc;
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		return err_set(e, ST_UNAVAILABLE, "no random id: %s", strerror(errno));
	int k = snprintf(ack->id, sizeof ack->id, "%s", ERASE_ID_PREFIX);
	for (size_t i = 0; i < sizeof r; i++)
		k += snprintf(ack->id + k, sizeof ack->id - (size_t)k, "%02x", r[i]);
	time_format(time_now(), t);
	json_t *req = json_pack("{ss ss ss so ss}", "id", ack->id, "status", "pending", "workspace",
				ws, "what", what_json(w), "requested_at", t);
	json_object_set_new(req, "by", json_string(by));
	/* The request is on disk before anything is hidden: from here a kill leaves it pending. */
	if ((rc = request_put(st, ack->id, req, e)) == ST_OK &&
	    (rc = erase_apply(st, ws, w, &ack->spans, &ack->judgements, e)) == ST_OK) {
		ack->at_us = time_now();
		time_format(ack->at_us, t);
		json_object_set_new(req, "acknowledged_at", json_string(t));
		json_object_set_new(req, "spans", json_integer((json_int_t)ack->spans));
		json_object_set_new(req, "judgements", json_integer((json_int_t)ack->judgements));
		/* Only the counts: a kill before this line leaves the request pending anyway. */
		(void)request_put(st, ack->id, req, NULL);
	}
	json_decref(req);
	return rc;
}

/* Whether id has the shape store_erase gives one (so it is a safe file name). */
static bool id_valid(const char *id)
{
	size_t n = strlen(id), np = strlen(ERASE_ID_PREFIX);
	if (n != np + 24 || strncmp(id, ERASE_ID_PREFIX, np))
		return false;
	for (size_t i = np; i < n; i++)
		if (!strchr("0123456789abcdef", id[i]))
			return false;
	return true;
}

/* Appends to out the line of f that is request id's, if ws (or any ws) is its workspace. */
static bool line_of(FILE *f, const char *ws, const char *id, struct buf *out)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool found = false;
	while (!found && (n = getline(&line, &cap, f)) > 0) {
		char v[STORE_ERASE_MAX_VALUE + 1];
		while (n && line[n - 1] == '\n')
			line[--n] = 0;
		found = erase_line_str(line, (size_t)n, "id", v, sizeof v) && !strcmp(v, id) &&
			(!ws || (erase_line_str(line, (size_t)n, "workspace", v, sizeof v) &&
				 !strcmp(v, ws)));
		if (found)
			buf_add(out, line, (size_t)n);
	}
	free(line);
	return found;
}

enum status store_erase_status(struct store *st, const char *ws, const char *id, struct buf *out,
			       struct err *e)
{
	char p[PATH_MAX], name[64];
	if (!id_valid(id))
		return err_set(e, ST_NOT_FOUND, "no erasure '%s'", id);
	snprintf(name, sizeof name, "%s.json", id);
	/* The request's file while it is pending, then its audit line: the pass appends that
	 * before it removes the file, so one of the two is always there. */
	const char *const where[] = {name, ERASE_AUDIT};
	for (size_t k = 0; k < 2; k++) {
		FILE *f = erase_path(p, st, where[k]) ? fopen(p, "re") : NULL;
		bool found = f && line_of(f, ws, id, out);
		if (f)
			fclose(f);
		if (found)
			return ST_OK;
	}
	return err_set(e, ST_NOT_FOUND, "no erasure '%s'", id);
}

/* ---- after a restore ---- */

/* The ids of the lines of the audit log at p into s, sorted. */
static void audit_ids(const char *p, struct erase_set *s)
{
	FILE *f = fopen(p, "re");
	char *line = NULL, id[STORE_ERASE_MAX_VALUE + 1];
	size_t cap = 0;
	ssize_t n;
	while (f && (n = getline(&line, &cap, f)) > 0)
		if (erase_line_str(line, (size_t)n, "id", id, sizeof id))
			erase_set_add(s, id, strlen(id));
	free(line);
	if (f)
		fclose(f);
	erase_set_sort(s);
}

static bool ids_have(const struct erase_set *s, const char *id)
{
	return set_has(s, hash_bytes(id, strlen(id)), id);
}

/* Request r (a pending request's file, or an audit line) pending again in DATA, as it was
 * asked, unless DATA has it pending already: *pending counts it. */
static enum status repend(struct store *st, json_t *r, const char *gen, size_t *pending,
			  struct err *e)
{
	char p[PATH_MAX], name[64];
	const char *id = json_string_value(json_object_get(r, "id"));
	if (!id || !id_valid(id) || !json_string_value(json_object_get(r, "workspace")))
		return ST_OK; /* no request this wrote: left as it is */
	snprintf(name, sizeof name, "%s.json", id);
	if (!erase_path(p, st, name) || access(p, F_OK) == 0)
		return ST_OK;
	/* Not acknowledged: the pass applies it again, as a request killed before its answer. */
	static const char *const done[] = {"acknowledged_at", "spans", "judgements", "done_at",
					   "versions_removed"};
	for (size_t k = 0; k < sizeof done / sizeof *done; k++)
		json_object_del(r, done[k]);
	json_object_set_new(r, "status", json_string("pending"));
	json_object_set_new(r, "restored_from", json_string(gen));
	enum status rc = request_put(st, id, r, e);
	*pending += rc == ST_OK;
	return rc;
}

/* The lines of the audit log at p that skip does not hold (by id): appended to DATA's (out,
 * open; *audit counts them), or with out -1, each pending again (repend). */
static enum status audit_lines(struct store *st, const char *p, const struct erase_set *skip,
			       int out, const char *gen, size_t *audit, size_t *pending,
			       struct err *e)
{
	FILE *f = fopen(p, "re");
	char *line = NULL, id[STORE_ERASE_MAX_VALUE + 1];
	size_t cap = 0;
	ssize_t n;
	enum status rc = ST_OK;
	while (rc == ST_OK && f && (n = getline(&line, &cap, f)) > 0) {
		if (!erase_line_str(line, (size_t)n, "id", id, sizeof id) || ids_have(skip, id))
			continue;
		if (out >= 0 && line[n - 1] == '\n') {
			if (io_write_all(out, line, (size_t)n) < 0)
				rc = err_set(e, ST_UNAVAILABLE, "%s: %s", ERASE_AUDIT,
					     strerror(errno));
			*audit += rc == ST_OK;
		} else if (out < 0) {
			json_t *r = json_loadb(line, (size_t)n, 0, NULL);
			rc = r ? repend(st, r, gen, pending, e) : ST_OK;
			json_decref(r);
		}
	}
	free(line);
	if (f)
		fclose(f);
	return rc;
}

/* The pending requests of the generation's erasures' directory gdir that DATA has neither
 * pending nor done (done), put back. */
static enum status gen_pending(struct store *st, const char *gdir, const struct erase_set *done,
			       const char *gen, size_t *pending, struct err *e)
{
	char p[PATH_MAX], id[64];
	DIR *d = opendir(gdir);
	enum status rc = ST_OK;
	for (struct dirent *de; rc == ST_OK && d && (de = readdir(d));) {
		size_t n = strlen(de->d_name);
		if (n < 6 || n - 5 >= sizeof id || strcmp(de->d_name + n - 5, ".json"))
			continue;
		snprintf(id, sizeof id, "%.*s", (int)(n - 5), de->d_name);
		if (!id_valid(id) || ids_have(done, id) ||
		    snprintf(p, sizeof p, "%s/%s", gdir, de->d_name) >= (int)sizeof p)
			continue;
		json_t *r = json_load_file(p, 0, NULL);
		if (r)
			rc = repend(st, r, gen, pending, e);
		json_decref(r);
	}
	if (d)
		closedir(d);
	return rc;
}

enum status store_erase_restored(struct store *st, const char *gen, size_t *audit, size_t *pending,
				 struct err *e)
{
	char gdir[PATH_MAX], ga[PATH_MAX], da[PATH_MAX], dir[PATH_MAX];
	struct erase_set have = {0}, theirs = {0};
	*audit = *pending = 0;
	if (snprintf(gdir, sizeof gdir, "%s/%s", gen, ERASE_DIR) >= (int)sizeof gdir ||
	    snprintf(ga, sizeof ga, "%s/%s", gdir, ERASE_AUDIT) >= (int)sizeof ga ||
	    !erase_path(da, st, ERASE_AUDIT) || !erase_path(dir, st, NULL))
		return err_set(e, ST_BAD_REQUEST, "%s", strerror(ENAMETOOLONG));
	audit_ids(da, &have);
	audit_ids(ga, &theirs);
	const char *name = strrchr(gen, '/') ? strrchr(gen, '/') + 1 : gen;
	/* Done in DATA after the backup (or by a DATA the backup never saw): pending again. */
	enum status rc = audit_lines(st, da, &theirs, -1, name, audit, pending, e);
	int fd = -1;
	if (rc == ST_OK && theirs.n) {
		if ((mkdir(dir, 0750) < 0 && errno != EEXIST) ||
		    (fd = open(da, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640)) < 0)
			rc = err_set(e, ST_UNAVAILABLE, "%s: %s", da, strerror(errno));
		else if ((rc = audit_lines(st, ga, &have, fd, name, audit, pending, e)) == ST_OK &&
			 fdatasync(fd) < 0)
			rc = err_set(e, ST_UNAVAILABLE, "%s: %s", da, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	if (rc == ST_OK)
		rc = gen_pending(st, gdir, &have, name, pending, e);
	erase_set_free(&have);
	erase_set_free(&theirs);
	return rc;
}
