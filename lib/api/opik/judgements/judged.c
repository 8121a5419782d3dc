/* judged: Opik's view of the judgement store beside its spans and traces (judged.h). */
#include "lib/api/opik/judgements/judged.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/api/common/api.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/json/jline.h"
#include "lib/json/jsonw.h"
#include "lib/query/judgements.h"

enum judgement_target opik_target(enum opik_entity ent)
{
	return ent == OPIK_SPAN ? JT_SPAN : JT_TRACE;
}

const char *opik_line_id(struct arena *a, enum opik_entity ent, const char *line, size_t n)
{
	const char *v;
	size_t vn;
	if (!jline_get(line, n, ent == OPIK_SPAN ? "span_id" : "trace_id", &v, &vn))
		return NULL;
	return jline_text(a, v, vn);
}

const char *opik_author(const struct judgement *j)
{
	return j->author ? j->author : OPIK_DEFAULT_USER;
}

/* ---- a page's marks ---- */

struct gather {
	struct arena *a;
	struct opik_marks *marks;
	bool scores_only;
	size_t n; /* items: an id past them is the root span of item which - n */
};

static void mark_add(void *ctx, size_t which, const struct judgement *j)
{
	struct gather *g = ctx;
	struct opik_marks *m = &g->marks[which % g->n];
	if (!judgement_shows(j, &opik_view_score) &&
	    (g->scores_only || !judgement_shows(j, &opik_view_comment)))
		return;
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 4;
		const struct judgement **v = arena_alloc(g->a, cap * sizeof *v);
		if (m->n)
			memcpy(v, m->v, m->n * sizeof *v);
		m->v = v, m->cap = cap;
	}
	m->v[m->n++] = j;
}

/* The marks of ids (scores only, or comments too), in req's arena; roots: the traces' root
 * span ids (NULL: none other than the trace ids). */
static enum status marks_read(struct http_req *req, enum opik_entity ent, const char *const *ids,
			      const char *const *roots, size_t n, bool scores_only,
			      struct opik_marks **out)
{
	struct opik_marks *marks = arena_alloc(req->arena, (n ? n : 1) * sizeof *marks);
	memset(marks, 0, (n ? n : 1) * sizeof *marks);
	*out = marks;
	struct jfilter f = {.targets = 1u << opik_target(ent)};
	struct jquery q = {.st = api_store(req), .a = req->arena, .ws = req->ws, .f = &f};
	struct gather g = {req->arena, marks, scores_only, n ? n : 1};
	enum status st = query_judgements_of(&q, opik_target(ent), ids, n, mark_add, &g);
	/* An Opik trace is a span of the trace's id, and its root span when another API wrote
	 * the trace: what Scale GP and NeMo put on either (an assessment of the trace lands on
	 * its root) is the trace's too. Both ids, the root's only where it differs. */
	struct jfilter fs = {.targets = 1u << JT_SPAN};
	q.f = &fs;
	if (st == ST_OK && ent == OPIK_TRACE) {
		const char **both = arena_alloc(req->arena, 2 * g.n * sizeof *both);
		bool other = false;
		for (size_t i = 0; i < n; i++) {
			both[i] = ids[i];
			both[n + i] = roots && strcmp(roots[i], ids[i]) ? roots[i] : "";
			other = other || *both[n + i];
		}
		st = query_judgements_of(&q, JT_SPAN, both, other ? 2 * n : n, mark_add, &g);
	}
	if (st != ST_OK)
		return http_fail(req, st, "%s", err_text(&q.err));
	return ST_OK;
}

enum status opik_marks_of(struct http_req *req, enum opik_entity ent, const char *const *ids,
			  const char *const *roots, size_t n, struct opik_marks **out)
{
	return marks_read(req, ent, ids, roots, n, false, out);
}

enum status opik_trace_marks(struct http_req *req, const char *id, struct query_trace *t,
			     bool *found, struct opik_marks **out)
{
	struct query q;
	api_query_init(req, &q);
	enum status st = query_trace_find(&q, id, t);
	*found = st == ST_OK;
	if (st != ST_OK && st != ST_NOT_FOUND)
		return http_fail(req, st, "%s", err_text(&q.err));
	const char *root =
	    *found ? opik_line_id(req->arena, OPIK_SPAN, t->root.line, t->root.len) : NULL;
	return opik_marks_of(req, OPIK_TRACE, &id, root ? &root : NULL, 1, out);
}

enum status opik_item_marks(struct http_req *req, enum opik_entity ent, const char *id,
			    struct opik_marks **out)
{
	struct query_trace t;
	bool found;
	if (ent == OPIK_TRACE)
		return opik_trace_marks(req, id, &t, &found, out);
	return opik_marks_of(req, ent, &id, NULL, 1, out);
}

enum status opik_judged_keys(struct jquery *q, enum opik_entity ent, const char *name,
			     struct query_keys *out)
{
	/* A trace's scores are those marks_read gives it: its own and its root spans'. */
	if (ent == OPIK_TRACE)
		return query_judged_roots(q, name, out);
	return query_judged(q, JT_SPAN, name, false, 0, false, 0, out);
}

/* ---- scores by name and author ---- */

static int64_t last_time(const struct judgement *j)
{
	return j->updated_at != JUDGEMENT_NONE ? j->updated_at : j->created_at;
}

/* By name, then author, the newest first; ties by id. */
static int cmp_score(const void *a, const void *b)
{
	const struct judgement *x = *(const struct judgement *const *)a,
			       *y = *(const struct judgement *const *)b;
	int c = strcmp(x->name, y->name);
	if (!c)
		c = strcmp(opik_author(x), opik_author(y));
	if (!c && last_time(x) != last_time(y))
		c = last_time(x) > last_time(y) ? -1 : 1;
	return c ? c : strcmp(x->id, y->id);
}

/* The marks view shows, sorted by cmp: *k of them, in a. */
static const struct judgement **shown(struct arena *a, const struct opik_marks *m,
				      const struct judgement_view *view,
				      int (*cmp)(const void *, const void *), size_t *k)
{
	const struct judgement **v = arena_alloc(a, (m && m->n ? m->n : 1) * sizeof *v);
	*k = 0;
	for (size_t i = 0; m && i < m->n; i++)
		if (judgement_shows(m->v[i], view))
			v[(*k)++] = m->v[i];
	if (*k)
		qsort(v, *k, sizeof *v, cmp);
	return v;
}

/* The scores among m, one per name and author (the newest), sorted by cmp_score: *n of them,
 * in a. */
static const struct judgement **scores_of(struct arena *a, const struct opik_marks *m, size_t *n)
{
	size_t k;
	const struct judgement **v = shown(a, m, &opik_view_score, cmp_score, &k);
	size_t u = 0;
	for (size_t i = 0; i < k; i++)
		if (!u || strcmp(v[u - 1]->name, v[i]->name) ||
		    strcmp(opik_author(v[u - 1]), opik_author(v[i])))
			v[u++] = v[i];
	*n = u;
	return v;
}

/* The end of the group of one name that starts at v[i]. */
static size_t group_end(const struct judgement **v, size_t n, size_t i)
{
	size_t j = i + 1;
	while (j < n && !strcmp(v[j]->name, v[i]->name))
		j++;
	return j;
}

/* The value of a name with k authors: the one, or their mean to 9 decimals (Opik's
 * feedback_scores_final: toDecimal64(arrayAvg(values), 9)). */
static double group_value(const struct judgement *const *g, size_t k)
{
	if (k == 1)
		return g[0]->value;
	struct judgement_mean m = {0};
	double mean;
	for (size_t i = 0; i < k; i++)
		judgement_mean_add(&m, g[i]->value);
	mean = judgement_mean_of(&m);
	/* Past 1e297 a double has no 9th decimal to round, and mean * 1e9 could overflow. */
	return fabs(mean) > 1e297 ? mean : round(mean * 1e9) / 1e9;
}

/* Opik's sources: its own words back; what another API's people wrote is "ui", its
 * evaluators "online_scoring". */
static const char *source_word(const struct judgement *j)
{
	switch (j->source) {
	case JS_HUMAN:
		return "ui";
	case JS_EVALUATOR:
	case JS_ONLINE:
		return "online_scoring";
	default:
		return "sdk";
	}
}

void opik_out_key(struct buf *b, const char *k)
{
	buf_printf(b, ",\"%s\":", k);
}

void opik_out_str(struct buf *b, const char *s)
{
	if (s)
		jsonw_string(b, s, strlen(s));
	else
		buf_adds(b, "null");
}

void opik_out_time(struct buf *b, int64_t us)
{
	char ts[40];
	time_format(us, ts);
	opik_out_str(b, ts);
}

/* The strings of the group's authors (field: 0 authors, 1 category labels, 2 reasons) joined
 * with ", " as Opik's arrayStringConcat does, in a; reasons stand in "<no reason>" for a
 * missing one, labels leave missing ones out. NULL when there is nothing to write. */
static const char *joined(struct arena *a, const struct judgement *const *g, size_t k, int field)
{
	struct buf *t = arena_buf(a);
	bool any = false;
	for (size_t i = 0; i < k; i++) {
		const char *s = field == 0   ? opik_author(g[i])
				: field == 1 ? g[i]->label
					     : g[i]->text;
		any |= s != NULL;
		if (!s && field == 1)
			continue;
		if (t->len)
			buf_adds(t, ", ");
		buf_adds(t, s ? s : "<no reason>");
	}
	return any ? arena_strndup(a, t->p ? t->p : "", t->len) : NULL;
}

/* Appends ,"k":"s" when s is not NULL. */
static void opt(struct buf *b, const char *k, const char *s)
{
	if (s)
		opik_out_key(b, k), opik_out_str(b, s);
}

/* One author's entry of value_by_author. */
static void by_author(struct buf *b, const struct judgement *j)
{
	buf_adds(b, "{\"value\":");
	jsonw_number(b, j->value);
	if (j->text)
		opik_out_key(b, "reason"), opik_out_str(b, j->text);
	if (j->label)
		opik_out_key(b, "category_name"), opik_out_str(b, j->label);
	opik_out_key(b, "source"), opik_out_str(b, source_word(j));
	opik_out_key(b, "last_updated_at"), opik_out_time(b, last_time(j));
	buf_addc(b, '}');
}

/* The FeedbackScore of one name, g its k authors' judgements. */
static void group_out(struct buf *b, struct arena *a, const struct judgement *const *g, size_t k)
{
	int64_t created = g[0]->created_at, updated = last_time(g[0]);
	for (size_t i = 1; i < k; i++) {
		if (g[i]->created_at < created)
			created = g[i]->created_at;
		if (last_time(g[i]) > updated)
			updated = last_time(g[i]);
	}
	const char *authors = joined(a, g, k, 0);
	buf_adds(b, "{\"name\":");
	opik_out_str(b, g[0]->name);
	opt(b, "category_name", joined(a, g, k, 1));
	opik_out_key(b, "value");
	jsonw_number(b, group_value(g, k));
	opt(b, "reason", joined(a, g, k, 2));
	opik_out_key(b, "source"), opik_out_str(b, source_word(g[0]));
	opik_out_key(b, "created_at"), opik_out_time(b, created);
	opik_out_key(b, "last_updated_at"), opik_out_time(b, updated);
	opt(b, "created_by", authors);
	opt(b, "last_updated_by", authors);
	buf_adds(b, ",\"value_by_author\":{");
	for (size_t i = 0; i < k; i++) {
		if (i)
			buf_addc(b, ',');
		opik_out_str(b, opik_author(g[i]));
		buf_addc(b, ':');
		by_author(b, g[i]);
	}
	buf_adds(b, "}}");
}

static int cmp_legacy(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "name"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "name"));
	return strcmp(x ? x : "", y ? y : "");
}

void opik_scores_out(struct buf *b, struct arena *a, const struct opik_marks *m, json_t *legacy)
{
	size_t n, i = 0, l = 0, nl = json_array_size(legacy);
	const struct judgement **v = scores_of(a, m, &n);
	json_t **old = arena_alloc(a, (nl ? nl : 1) * sizeof *old);
	for (size_t k = 0; k < nl; k++)
		old[k] = json_array_get(legacy, k);
	if (nl)
		qsort(old, nl, sizeof *old, cmp_legacy);
	/* The groups and the legacy scores merged by name; a name of both shows the groups'. */
	buf_addc(b, '[');
	for (bool first = true; i < n || l < nl; first = false) {
		const char *ln = l < nl ? json_string_value(json_object_get(old[l], "name")) : NULL;
		int c = i == n ? 1 : l == nl ? -1 : strcmp(v[i]->name, ln ? ln : "");
		if (!first)
			buf_addc(b, ',');
		if (c <= 0) {
			size_t e = group_end(v, n, i);
			group_out(b, a, v + i, e - i);
			i = e;
			l += c == 0;
		} else {
			jsonw_value(b, old[l++]);
		}
	}
	buf_addc(b, ']');
}

static const char *comment_updater(const struct judgement *j)
{
	const char *u = json_string_value(json_object_get(j->payload, "last_updated_by"));
	return u ? u : opik_author(j);
}

void opik_comment_out(struct buf *b, const struct judgement *j)
{
	buf_adds(b, "{\"id\":");
	opik_out_str(b, j->id);
	opik_out_key(b, "text"), opik_out_str(b, j->text ? j->text : "");
	opik_out_key(b, "created_at"), opik_out_time(b, j->created_at);
	opik_out_key(b, "last_updated_at"), opik_out_time(b, last_time(j));
	opik_out_key(b, "created_by"), opik_out_str(b, opik_author(j));
	opik_out_key(b, "last_updated_by"), opik_out_str(b, comment_updater(j));
	buf_addc(b, '}');
}

static int cmp_comment(const void *a, const void *b)
{
	const struct judgement *x = *(const struct judgement *const *)a,
			       *y = *(const struct judgement *const *)b;
	if (x->created_at != y->created_at)
		return x->created_at < y->created_at ? -1 : 1;
	return strcmp(x->id, y->id);
}

void opik_comments_out(struct buf *b, struct arena *a, const struct opik_marks *m)
{
	size_t k;
	const struct judgement **v = shown(a, m, &opik_view_comment, cmp_comment, &k);
	buf_addc(b, '[');
	for (size_t i = 0; i < k; i++) {
		if (i)
			buf_addc(b, ',');
		opik_comment_out(b, v[i]);
	}
	buf_addc(b, ']');
}

/* ---- the scores of a stream of items ---- */

struct legacy_score {
	char *name;
	double value;
};

struct titem {
	char *id, *root; /* root: a trace's root span id */
	struct legacy_score *legacy;
	size_t nlegacy;
};

struct opik_tally {
	struct http_req *req;
	enum opik_entity ent;
	opik_score_fn *fn;
	void *ctx;
	struct titem *items; /* malloc'd, OPIK_TALLY_CHUNK of them */
	size_t n;
	enum status st;
};

static void items_free(struct opik_tally *t)
{
	for (size_t i = 0; i < t->n; i++) {
		for (size_t k = 0; k < t->items[i].nlegacy; k++)
			free(t->items[i].legacy[k].name);
		free(t->items[i].legacy);
		free(t->items[i].id);
		free(t->items[i].root);
	}
	t->n = 0;
}

static void tally_free(void *p)
{
	struct opik_tally *t = p;
	items_free(t);
	free(t->items);
}

struct opik_tally *opik_tally_new(struct http_req *req, enum opik_entity ent, opik_score_fn *fn,
				  void *ctx)
{
	struct opik_tally *t = arena_alloc(req->arena, sizeof *t);
	*t = (struct opik_tally){req, ent, fn, ctx, NULL, 0, ST_OK};
	t->items = xmalloc(OPIK_TALLY_CHUNK * sizeof *t->items);
	arena_defer(req->arena, tally_free, t);
	return t;
}

/* One item's scores to fn: each name's value, then its legacy names that no judgement has. */
static void item_scores(struct opik_tally *t, const struct titem *it, const struct opik_marks *m)
{
	size_t n;
	const struct judgement **v = scores_of(t->req->arena, m, &n);
	for (size_t i = 0; i < n;) {
		size_t e = group_end(v, n, i);
		t->fn(t->ctx, v[i]->name, group_value(v + i, e - i));
		i = e;
	}
	for (size_t k = 0; k < it->nlegacy; k++) {
		bool judged = false;
		for (size_t i = 0; i < n && !judged; i++)
			judged = !strcmp(v[i]->name, it->legacy[k].name);
		if (!judged)
			t->fn(t->ctx, it->legacy[k].name, it->legacy[k].value);
	}
}

/* Reads the chunk's judgements in one pass, hands its scores on, empties it. */
static void tally_flush(struct opik_tally *t)
{
	struct arena *a = t->req->arena;
	struct arena_mark mk = arena_mark(a);
	if (t->n && t->st == ST_OK) {
		const char **ids = arena_alloc(a, t->n * sizeof *ids);
		const char **roots = arena_alloc(a, t->n * sizeof *roots);
		struct opik_marks *marks;
		for (size_t i = 0; i < t->n; i++)
			ids[i] = t->items[i].id, roots[i] = t->items[i].root;
		t->st = marks_read(t->req, t->ent, ids, roots, t->n, true, &marks);
		for (size_t i = 0; t->st == ST_OK && i < t->n; i++)
			item_scores(t, &t->items[i], &marks[i]);
	}
	arena_release(a, mk);
	items_free(t);
}

void opik_tally_add(struct opik_tally *t, const char *id, const char *root, json_t *legacy)
{
	struct titem *it = &t->items[t->n++];
	size_t i, k = 0;
	json_t *x;
	it->id = xstrdup(id);
	it->root = xstrdup(root);
	it->legacy =
	    json_array_size(legacy) ? xmalloc(json_array_size(legacy) * sizeof *it->legacy) : NULL;
	json_array_foreach(legacy, i, x)
	{
		const char *name = json_string_value(json_object_get(x, "name"));
		json_t *v = json_object_get(x, "value");
		if (name && json_is_number(v))
			it->legacy[k++] =
			    (struct legacy_score){xstrdup(name), json_number_value(v)};
	}
	it->nlegacy = k;
	if (t->n == OPIK_TALLY_CHUNK)
		tally_flush(t);
}

enum status opik_tally_end(struct opik_tally *t)
{
	tally_flush(t);
	return t->st;
}

void opik_tally_reset(struct opik_tally *t)
{
	items_free(t);
	t->st = ST_OK;
}
