/* judgements: lists, gets, score filters and rollups over a workspace's judgement store. The
 * record of a judgement (store.h, rec_from_judgement) holds its id, its target's ids, kind,
 * target, value, times and the hash of its name, so every condition but the strings is
 * decided there; a line is read only for a candidate a list may show or a string decides. */
#include "lib/query/judgements.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/query/engine.h"
#include "lib/query/htab.h"

/* A scan of the judgement store beside a query's spans: the engine's days, budget and reads
 * (lib/query/db.c) over the judgements' files. */
struct jscan {
	struct store jst;
	struct query eq;
	struct scan db;
	struct rec_filter c;
};

/* Opens s for q, on the days f's trace, session or span judged can be on (the judgements'
 * sessions table holds the spans', keytable.h): only the day range narrows here, rec_may
 * decides. */
static enum status jscan_open(struct jquery *q, const struct jfilter *f, struct jscan *s)
{
	store_judgements(&s->jst, q->st);
	memset(&s->eq, 0, sizeof s->eq);
	s->eq.st = &s->jst;
	s->eq.a = q->a;
	s->eq.ws = q->ws;
	memset(&s->c, 0, sizeof s->c);
	s->c.smin = INT64_MIN;
	s->c.smax = INT64_MAX;
	const char *key = f ? f->trace_id     ? f->trace_id
			      : f->session_id ? f->session_id
					      : f->span_id
			    : NULL;
	if (key) {
		s->c.need |= f->trace_id ? NEED_TRACE : NEED_SESSION;
		s->c.trace_h = s->c.session_h = hash_bytes(key, strlen(key));
	}
	enum status st = db_open(&s->eq, &s->db, &s->c);
	if (st == ST_NOT_FOUND) { /* no such workspace: no judgements */
		s->db.ndays = 0;
		st = ST_OK;
	}
	if (st != ST_OK)
		q->err = s->eq.err;
	return st;
}

/* Closes s: ST_OK, or the budget's refusal (its reason in q->err). */
static enum status jscan_close(struct jquery *q, struct jscan *s)
{
	enum status st = ST_OK;
	if (s->db.b.over) {
		st = db_over(&s->db);
		q->err = s->eq.err;
	}
	db_close(&s->db);
	return st;
}

static uint64_t hash_of(const char *s)
{
	return hash_bytes(s, strlen(s));
}

/* Whether record r may hold a judgement that view v shows (judgement_shows): what the record
 * can tell, as the view says (a score filter reads the records alone: NeMo's evaluator results
 * are no label, REC_J_ANNOTATION). */
static bool view_may(const struct judgement_view *v, const struct idx_rec *r)
{
	return (!v->kinds || (v->kinds >> r->kind & 1)) &&
	       (!v->targets || (v->targets >> r->status & 1)) && (!v->span || r->parent_h) &&
	       (!v->session || r->session_h) && (!v->named || store_rec_judgement_name(r)) &&
	       (!v->no_label || !(r->flags & REC_J_ANNOTATION));
}

/* Whether record r may hold a judgement f matches: everything but the strings. */
static bool rec_may(const struct jfilter *f, const struct idx_rec *r)
{
	if (!store_rec_live(r))
		return false;
	if (!f)
		return true;
	if ((f->id && r->span_h != hash_of(f->id)) ||
	    (f->span_id && r->parent_h != hash_of(f->span_id)) ||
	    (f->trace_id && r->trace_h != hash_of(f->trace_id)) ||
	    (f->session_id && r->session_h != hash_of(f->session_id)) ||
	    (f->name && store_rec_judgement_name(r) != hash_of(f->name)) ||
	    (f->targets && !(f->targets >> r->status & 1)) ||
	    (f->kinds && !(f->kinds >> r->kind & 1)) ||
	    (f->api && !store_rec_judgement_api(r, hash_of(f->api))))
		return false;
	if (f->cmin | f->cmax && (r->started_us < f->cmin || r->started_us > f->cmax))
		return false;
	if ((f->scored && (r->flags & REC_J_FAILED)) ||
	    (f->view && !view_may(f->view, r) && !(f->trace_too && r->status == JT_TRACE)))
		return false;
	if (f->has_vmin || f->has_vmax) {
		if (!(r->flags & REC_HAS_COST_TOTAL) || (f->has_vmin && r->cost_total < f->vmin) ||
		    (f->has_vmax && r->cost_total > f->vmax))
			return false;
	}
	return true;
}

static bool str_eq(const char *want, const char *have)
{
	return !want || (have && !strcmp(want, have));
}

/* Whether the parsed judgement j matches f's strings and view. */
static bool strings_ok(const struct jfilter *f, const struct judgement *j)
{
	if (!f)
		return true;
	return str_eq(f->id, j->id) && str_eq(f->span_id, j->span_id) &&
	       str_eq(f->trace_id, j->trace_id) && str_eq(f->session_id, j->session_id) &&
	       str_eq(f->name, j->name) &&
	       (str_eq(f->project, j->project) || (f->project_or_none && !j->project)) &&
	       str_eq(f->author, j->author) && str_eq(f->subtype, j->subtype) &&
	       str_eq(f->label, j->label) && str_eq(f->error, j->error) &&
	       (!f->subtype_prefix || (j->subtype && !strncmp(j->subtype, f->subtype_prefix,
							      strlen(f->subtype_prefix)))) &&
	       (!f->failed || j->error) && (!f->scored || !j->error) &&
	       (!f->api || judgement_api_is(j, f->api)) &&
	       (!f->view || judgement_shows(j, f->view) || (f->trace_too && j->target == JT_TRACE));
}

static void root_release(void *p)
{
	json_decref(p);
}

/* Parses line[0..n) into *j, whose strings and payload then live as long as the arena: the
 * parsed document is the arena's, and j holds no reference of its own (rows are copied by
 * value, and nobody clears them). */
static bool parse_in(struct arena *a, const char *line, size_t n, struct judgement *j)
{
	json_t *root;
	if (!judgement_parse(line, n, j, &root))
		return false;
	json_decref(j->payload); /* still held by root */
	arena_defer(a, root_release, root);
	return true;
}

/* Parses the line of record i of day s into *j, alive as long as the arena. */
static bool read_one(struct arena *a, struct scan_day *s, size_t i, struct judgement *j)
{
	const char *p;
	size_t n;
	return db_line(s, i, &p, &n) && parse_in(a, p, n, j);
}

/* Which names of the judgements a scan meets are equal to name ignoring ASCII case (q's
 * name_nocase): the answer for each name's hash, decided on the line of its first record
 * that can be read. */
struct names_nocase {
	const char *name; /* NULL: the records' name hash decides (rec_may) */
	uint64_t exact;	  /* the hash of name as given: equal without a look */
	struct htab seen; /* the others: key a name's hash; count 1 equal, 0 not */
};

static void names_nocase_init(struct names_nocase *nn, const struct jquery *q, struct jfilter *f)
{
	nn->name = q->name_nocase ? f->name : NULL;
	if (nn->name) {
		nn->exact = hash_of(nn->name);
		f->name = NULL; /* rec_may's test of that hash would refuse the other cases */
		htab_init(&nn->seen, 16);
	}
}

/* Whether record i of day s, r, has the name nn wants. */
static bool names_nocase_ok(struct jquery *q, struct names_nocase *nn, struct scan_day *s, size_t i,
			    const struct idx_rec *r)
{
	if (!nn->name || store_rec_judgement_name(r) == nn->exact)
		return true;
	bool fresh;
	struct hslot *h = htab_find(&nn->seen, store_rec_judgement_name(r), 0, &fresh);
	if (fresh || h->count < 0) { /* -1: its line could not be read; the next one decides */
		struct judgement j;
		h->count = !read_one(q->a, s, i, &j) ? -1 : j.name && !strcasecmp(j.name, nn->name);
	}
	return h->count > 0;
}

static void names_nocase_free(struct names_nocase *nn)
{
	if (nn->name)
		htab_free(&nn->seen);
}

/* A match of a list, before its page is chosen. */
struct jcand {
	struct judgement *j;
	int64_t created;
	double value; /* NAN: none */
};

static int cmp_id(const struct jcand *x, const struct jcand *y)
{
	return strcmp(x->j->id, y->j->id);
}

/* arg: the jquery, whose desc says the direction. */
static int cmp_created(const void *a, const void *b, void *arg)
{
	const struct jcand *x = a, *y = b;
	bool desc = ((const struct jquery *)arg)->desc;
	if (x->created != y->created)
		return (x->created < y->created) == !desc ? -1 : 1;
	return cmp_id(x, y);
}

static int cmp_value(const void *a, const void *b, void *arg)
{
	const struct jcand *x = a, *y = b;
	bool desc = ((const struct jquery *)arg)->desc;
	bool nx = isnan(x->value), ny = isnan(y->value);
	if (nx != ny)
		return nx ? 1 : -1;
	if (!nx && x->value != y->value)
		return (x->value < y->value) == !desc ? -1 : 1;
	return cmp_id(x, y);
}

enum status query_judgements(struct jquery *q, struct jrows *out)
{
	memset(out, 0, sizeof *out);
	struct jscan js;
	enum status s = jscan_open(q, q->f, &js);
	if (s != ST_OK)
		return s;
	struct jcand *v = NULL;
	size_t n = 0, cap = 0;
	for (size_t di = 0; di < js.db.ndays; di++) {
		struct scan_day *sh = db_shard(&js.db, di);
		for (size_t i = 0; sh && i < sh->sh.nrecs && db_rec(&js.db); i++) {
			const struct idx_rec *r = &sh->sh.recs[i];
			if (!rec_may(q->f, r))
				continue;
			struct judgement *j = arena_alloc(q->a, sizeof *j);
			if (!read_one(q->a, sh, i, j) || !strings_ok(q->f, j))
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				v = xrealloc(v, cap * sizeof *v);
			}
			v[n++] = (struct jcand){j, j->created_at, j->value};
		}
	}
	if ((s = jscan_close(q, &js)) != ST_OK) {
		free(v);
		return s;
	}
	if (n)
		qsort_r(v, n, sizeof *v, q->order == JQ_VALUE ? cmp_value : cmp_created, q);
	size_t from = q->offset > 0 ? (size_t)q->offset : 0, take = n > from ? n - from : 0;
	if (q->limit > 0 && (size_t)q->limit < take)
		take = (size_t)q->limit;
	out->rows = arena_alloc(q->a, (take ? take : 1) * sizeof *out->rows);
	for (size_t k = 0; k < take; k++)
		out->rows[k] = *v[from + k].j;
	out->n = take;
	out->total = n;
	free(v);
	return ST_OK;
}

enum status query_judgement_get(struct jquery *q, const char *id, struct judgement *out)
{
	struct store jst;
	store_judgements(&jst, q->st);
	struct buf line;
	buf_init(&line);
	enum status s = store_get(&jst, q->ws, id, &line);
	if (s == ST_OK) {
		if (!parse_in(q->a, line.p, line.len, out))
			s = err_set(&q->err, ST_UNAVAILABLE,
				    "judgement %s: its line is not canonical", id);
		else if (out->deleted)
			s = ST_NOT_FOUND;
	}
	buf_free(&line);
	return s;
}

/* The target hash of record r by kind. */
static uint64_t target_h(const struct idx_rec *r, enum judgement_target by)
{
	return by == JT_SPAN ? r->parent_h : by == JT_TRACE ? r->trace_h : r->session_h;
}

/* A target's hash with what goes with it: the index of its id (query_judgements_of), or a
 * value (query_judged); sorted by hash. */
struct keyed {
	uint64_t h;
	size_t which;
	double v;
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	return (x->h > y->h) - (x->h < y->h);
}

/* Up to this many targets, their judgements' days come from the range tables (a lookup
 * each), and only the days between the first and the last are read. */
#define JUDGED_DAYS_MAX 256

/* The days [*lo, *hi) of db that can hold a judgement of the targets ks[0..n): from the range
 * tables of the judgements (by trace, session, or span judged: keytable.h), left as they are
 * when a table cannot answer or there are too many targets. */
static void days_of(struct store *jst, const char *ws, struct scan *db, enum judgement_target by,
		    const struct keyed *ks, size_t n, size_t *lo, size_t *hi)
{
	int32_t first = INT32_MAX, last = INT32_MIN;
	for (size_t i = 0; i < n && n <= JUDGED_DAYS_MAX; i++) {
		int32_t a, b;
		enum status s = store_key_days(jst, ws, db->look,
					       by == JT_TRACE ? STORE_KEY_TRACE : STORE_KEY_SESSION,
					       ks[i].h, &a, &b);
		if (s == ST_NOT_FOUND)
			continue;
		if (s != ST_OK)
			return;
		first = a < first ? a : first;
		last = b > last ? b : last;
	}
	if (n > JUDGED_DAYS_MAX)
		return;
	while (*lo < *hi && db->days[*lo] < first)
		++*lo;
	while (*hi > *lo && db->days[*hi - 1] > last)
		--*hi;
}

enum status query_judgements_of(struct jquery *q, enum judgement_target by, const char *const *ids,
				size_t n, query_judgement_fn fn, void *ctx)
{
	if (!n)
		return ST_OK;
	struct keyed *ks = arena_alloc(q->a, n * sizeof *ks);
	for (size_t i = 0; i < n; i++)
		ks[i] = (struct keyed){hash_of(ids[i]), i, 0};
	qsort(ks, n, sizeof *ks, cmp_keyed);
	/* One trace, session or span: its days only. */
	struct jfilter one = q->f ? *q->f : (struct jfilter){0};
	if (n == 1 && by == JT_TRACE)
		one.trace_id = ids[0];
	else if (n == 1 && by == JT_SESSION)
		one.session_id = ids[0];
	else if (n == 1)
		one.span_id = ids[0];
	struct jscan js;
	enum status s = jscan_open(q, &one, &js);
	if (s != ST_OK)
		return s;
	size_t lo = 0, hi = js.db.ndays;
	if (n > 1)
		days_of(&js.jst, q->ws, &js.db, by, ks, n, &lo, &hi);
	for (size_t di = lo; di < hi; di++) {
		struct scan_day *sh = db_shard(&js.db, di);
		for (size_t i = 0; sh && i < sh->sh.nrecs && db_rec(&js.db); i++) {
			const struct idx_rec *r = &sh->sh.recs[i];
			uint64_t h = target_h(r, by);
			if (!h || !rec_may(&one, r))
				continue;
			struct keyed key = {h, 0, 0},
				     *at = bsearch(&key, ks, n, sizeof *ks, cmp_keyed);
			if (!at)
				continue;
			while (at > ks && at[-1].h == h)
				at--;
			struct judgement *j = arena_alloc(q->a, sizeof *j);
			if (!read_one(q->a, sh, i, j) || !strings_ok(q->f, j))
				continue;
			for (; at < ks + n && at->h == h; at++)
				if (!strcmp(ids[at->which],
					    by == JT_SPAN ? (j->span_id ? j->span_id : "")
					    : by == JT_TRACE
						? (j->trace_id ? j->trace_id : "")
						: (j->session_id ? j->session_id : "")))
					fn(ctx, at->which, j);
		}
	}
	return jscan_close(q, &js);
}

/* The mean of each target's values in v[0..cnt) (sorted here, freed) as out's hashes and
 * values, in q->a. */
static void keyed_means(struct jquery *q, struct keyed *v, size_t cnt, struct query_keys *out)
{
	if (cnt)
		qsort(v, cnt, sizeof *v, cmp_keyed);
	uint64_t *hs = arena_alloc(q->a, (cnt ? cnt : 1) * sizeof *hs);
	double *means = arena_alloc(q->a, (cnt ? cnt : 1) * sizeof *means);
	size_t u = 0;
	for (size_t i = 0, j; i < cnt; i = j) {
		struct judgement_mean m = {0};
		for (j = i; j < cnt && v[j].h == v[i].h; j++)
			judgement_mean_add(&m, v[j].v);
		hs[u] = v[i].h;
		means[u++] = judgement_mean_of(&m);
	}
	out->h = hs;
	out->v = means;
	out->n = u;
	free(v);
}

static void keyed_push(struct keyed **v, size_t *cnt, size_t *cap, struct keyed k)
{
	if (*cnt == *cap) {
		*cap = *cap ? 2 * *cap : 256;
		*v = xrealloc(*v, *cap * sizeof **v);
	}
	(*v)[(*cnt)++] = k;
}

/* A scored judgement of a span that is not its trace's id: the span, its trace (0: none
 * recorded), its value. */
struct span_scored {
	uint64_t span_h, trace_h;
	double v;
};

static int cmp_span_scored(const void *a, const void *b)
{
	const struct span_scored *x = a, *y = b;
	return (x->span_h > y->span_h) - (x->span_h < y->span_h);
}

/* The values of ss[0..n) (sorted by span) whose span is a live span of the workspace, a root
 * span when roots is set (of the trace the judgement recorded, when it recorded one), pushed
 * by that span's trace. */
static enum status spans_scored(struct jquery *q, const struct span_scored *ss, size_t n,
				bool roots, struct keyed **v, size_t *cnt, size_t *cap)
{
	uint64_t *hs = arena_alloc(q->a, n * sizeof *hs);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (!u || hs[u - 1] != ss[i].span_h)
			hs[u++] = ss[i].span_h;
	struct query eq = {.st = q->st, .a = q->a, .ws = q->ws};
	struct rec_filter c = {.need = NEED_SPAN_IDS, .roots = roots, .sids = hs, .nsids = u};
	c.smin = c.imin = INT64_MIN;
	c.smax = c.imax = INT64_MAX;
	struct scan db;
	enum status st = db_open(&eq, &db, &c);
	if (st == ST_NOT_FOUND) /* no spans: no roots */
		return ST_OK;
	if (st != ST_OK) {
		q->err = eq.err;
		return st;
	}
	for (size_t di = 0; di < db.ndays; di++) {
		struct scan_day *sh = db_shard(&db, di);
		for (size_t i = 0; sh && i < sh->sh.nrecs && db_rec(&db); i++) {
			const struct idx_rec *r = &sh->sh.recs[i];
			if (!shard_live(&sh->sh, i) || !(r->flags & REC_HAS_TRACE) ||
			    !rec_ok(&c, r))
				continue;
			struct span_scored key = {.span_h = r->span_h},
					   *at = bsearch(&key, ss, n, sizeof *ss, cmp_span_scored);
			while (at && at > ss && at[-1].span_h == r->span_h)
				at--;
			for (; at && at < ss + n && at->span_h == r->span_h; at++)
				if (!at->trace_h || at->trace_h == r->trace_h)
					keyed_push(v, cnt, cap,
						   (struct keyed){r->trace_h, 0, at->v});
		}
	}
	if (db.b.over) {
		st = db_over(&db);
		q->err = eq.err;
	}
	db_close(&db);
	return st;
}

static void ss_push(struct span_scored **ss, size_t *n, size_t *cap, struct span_scored x)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 256;
		*ss = xrealloc(*ss, *cap * sizeof **ss);
	}
	(*ss)[(*n)++] = x;
}

/* The end of a scan of scores (query_judged, query_judged_roots): the spans of ss[0..ns) taken
 * to their traces (spans_scored, roots or any span), then the means of v as out. Frees ss. */
static enum status judged_end(struct jquery *q, struct names_nocase *nn, struct jscan *js,
			      struct span_scored *ss, size_t ns, bool roots, struct keyed *v,
			      size_t cnt, size_t cap, struct query_keys *out)
{
	names_nocase_free(nn);
	enum status s = jscan_close(q, js);
	if (s == ST_OK && ns) {
		qsort(ss, ns, sizeof *ss, cmp_span_scored);
		s = spans_scored(q, ss, ns, roots, &v, &cnt, &cap);
	}
	free(ss);
	if (s != ST_OK) {
		free(v);
		return s;
	}
	keyed_means(q, v, cnt, out);
	return ST_OK;
}

enum status query_judged(struct jquery *q, enum judgement_target by, const char *name,
			 bool has_vmin, double vmin, bool has_vmax, double vmax,
			 struct query_keys *out)
{
	static const enum query_key_by key_by[JT__COUNT] = {QK_SPAN, QK_TRACE, QK_SESSION};
	memset(out, 0, sizeof *out);
	out->by = key_by[by];
	/* q->f's conditions too; its targets, when it names them, instead of by alone. */
	struct jfilter f = q->f ? *q->f : (struct jfilter){0};
	f.name = name;
	f.targets = f.targets ? f.targets : 1u << by;
	f.has_vmin = has_vmin;
	f.vmin = vmin;
	f.has_vmax = has_vmax;
	f.vmax = vmax;
	struct jscan js;
	enum status s = jscan_open(q, &f, &js);
	if (s != ST_OK)
		return s;
	struct names_nocase nn;
	names_nocase_init(&nn, q, &f);
	struct keyed *v = NULL;
	struct span_scored *ss = NULL;
	size_t cnt = 0, cap = 0, ns = 0, scap = 0;
	for (size_t di = 0; di < js.db.ndays; di++) {
		struct scan_day *sh = db_shard(&js.db, di);
		for (size_t i = 0; sh && i < sh->sh.nrecs && db_rec(&js.db); i++) {
			const struct idx_rec *r = &sh->sh.recs[i];
			uint64_t h = target_h(r, by);
			/* A span's judgement written before its span was stored recorded no trace
			 * (Opik's SDK sends spans and their scores in batches of their own, which a
			 * busy host may take in either order): it counts for its span's trace. */
			bool untraced = !h && by == JT_TRACE && r->status == JT_SPAN && r->parent_h;
			/* A score needs a value: no bound given still means "has one". */
			if ((!h && !untraced) || !rec_may(&f, r) ||
			    !(r->flags & REC_HAS_COST_TOTAL) || !names_nocase_ok(q, &nn, sh, i, r))
				continue;
			if (h) {
				keyed_push(&v, &cnt, &cap, (struct keyed){h, 0, r->cost_total});
				continue;
			}
			ss_push(&ss, &ns, &scap,
				(struct span_scored){r->parent_h, 0, r->cost_total});
		}
	}
	return judged_end(q, &nn, &js, ss, ns, false, v, cnt, cap, out);
}

enum status query_judged_roots(struct jquery *q, const char *name, struct query_keys *out)
{
	memset(out, 0, sizeof *out);
	out->by = QK_TRACE;
	struct jfilter f = {.name = name, .targets = 1u << JT_TRACE | 1u << JT_SPAN};
	struct jscan js;
	enum status s = jscan_open(q, &f, &js);
	if (s != ST_OK)
		return s;
	struct names_nocase nn;
	names_nocase_init(&nn, q, &f);
	struct keyed *v = NULL;
	struct span_scored *ss = NULL;
	size_t cnt = 0, cap = 0, ns = 0, scap = 0;
	for (size_t di = 0; di < js.db.ndays; di++) {
		struct scan_day *sh = db_shard(&js.db, di);
		for (size_t i = 0; sh && i < sh->sh.nrecs && db_rec(&js.db); i++) {
			const struct idx_rec *r = &sh->sh.recs[i];
			if (!rec_may(&f, r) || !(r->flags & REC_HAS_COST_TOTAL) ||
			    !names_nocase_ok(q, &nn, sh, i, r))
				continue;
			/* The trace's own, and its span of the trace's id (an Opik trace's row). */
			if (r->status == JT_TRACE || (r->parent_h && r->parent_h == r->trace_h)) {
				if (r->trace_h)
					keyed_push(&v, &cnt, &cap,
						   (struct keyed){r->trace_h, 0, r->cost_total});
				continue;
			}
			if (!r->parent_h)
				continue;
			ss_push(&ss, &ns, &scap,
				(struct span_scored){r->parent_h, r->trace_h, r->cost_total});
		}
	}
	return judged_end(q, &nn, &js, ss, ns, true, v, cnt, cap, out);
}
