/* thread_rows: the threads of a project built from its traces (thread.h), as Opik's
 * ThreadDAO aggregates them (judgement.md 2.4): start the first trace's start, end the last
 * end, duration between them (ms), two messages per trace, the first trace's input and the
 * last-ended trace's output, cost and usage summed over the traces' spans. One visit of the
 * project's traces (with their rollups), one read of the judgements of their sessions, and the
 * messages of the threads shown read from their traces alone. */
#include "lib/api/opik/surface.h"
#include "lib/api/opik/threads/thread.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/json/jline.h"
#include "lib/json/jsonw.h"
#include "lib/query/judgements.h"
#include "lib/query/search.h"

/* ---- ids ---- */

const char *opik_thread_state_id(struct arena *a, const char *project, const char *thread_id)
{
	const char *parts[] = {project, thread_id};
	return judgement_key_id(a, OPIK_THREAD_PREFIX, parts, 2);
}

const char *opik_thread_model_id(struct arena *a, const char *project, const char *thread_id)
{
	const char *h = opik_thread_state_id(a, project, thread_id) + strlen(OPIK_THREAD_PREFIX);
	return arena_printf(a, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

const char *opik_thread_state_of(struct arena *a, const char *model_id)
{
	static const int dash[] = {8, 13, 18, 23};
	char hex[33];
	size_t k = 0;
	if (!model_id || strlen(model_id) != 36)
		return NULL;
	for (size_t i = 0; i < 36; i++) {
		bool at_dash = i == (size_t)dash[0] || i == (size_t)dash[1] ||
			       i == (size_t)dash[2] || i == (size_t)dash[3];
		char c = model_id[i];
		if (at_dash != (c == '-'))
			return NULL;
		if (at_dash)
			continue;
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return NULL;
		hex[k++] = c;
	}
	hex[k] = 0;
	return arena_printf(a, "%s%s", OPIK_THREAD_PREFIX, hex);
}

/* ---- pass 1: the traces ---- */

/* One trace of a thread, as its root's line and rollup give it. */
struct tpoint {
	const char *thread, *project, *trace;
	int64_t start, end, created, ingested; /* created_at as the trace shows it */
	struct query_rollup u;
};

struct collect {
	struct arena *a;
	const struct opik_thread_scope *sc;
	const char *last_project, *last_id; /* opik_project_id of the last project seen */
	struct buf *points;		    /* of struct tpoint */
};

/* The members of a root's line the visit reads. */
enum { R_SESSION, R_TRACE, R_WORKSPACE, R_PROJECT, R_START, R_END, R_INGESTED, R_RAW, R__COUNT };
static const char *const root_keys[R__COUNT] = {"session_id",  "trace_id",	"workspace",
						"project",     "started_at",	"ended_at",
						"ingested_at", "raw_attributes"};

static int64_t time_of(struct arena *a, const char *v, size_t vn)
{
	const char *t = jline_text(a, v, vn);
	int64_t us;
	return t && time_parse(t, true, &us) ? us : SPAN_NONE_I64;
}

/* Whether the root's project is the scope's (by id: opik_project_id of its name). */
static bool project_ok(struct collect *c, const char *project)
{
	if (!c->sc->project_id || c->sc->project)
		return true; /* by name: the query's condition */
	if (!c->last_project || strcmp(c->last_project, project)) {
		c->last_project = project;
		c->last_id = opik_project_id(c->a, project);
	}
	return !strcmp(c->last_id, c->sc->project_id);
}

/* A trace of the listing: one point of its session's thread, unless it names no session of
 * its own (an Opik trace without thread_id) or is outside the scope. */
static void trace_seen(void *ctx, const struct query_trace *t)
{
	struct collect *c = ctx;
	const char *v[R__COUNT] = {0};
	size_t vn[R__COUNT] = {0}, pos = 0;
	struct jline_member m;
	while (jline_next(t->root.line, t->root.len, &pos, &m))
		for (int k = 0; k < R__COUNT; k++)
			if (m.kn == strlen(root_keys[k]) && !memcmp(m.k, root_keys[k], m.kn))
				v[k] = m.v, vn[k] = m.vn;
	struct span s;
	memset(&s, 0, sizeof s);
	s.trace_id = jline_text(c->a, v[R_TRACE], vn[R_TRACE]);
	s.session_id = jline_text(c->a, v[R_SESSION], vn[R_SESSION]);
	s.workspace = jline_text(c->a, v[R_WORKSPACE], vn[R_WORKSPACE]);
	const char *thread =
	    t->session ? jline_text(c->a, t->session, strlen(t->session)) : opik_thread_of(&s);
	const char *project = jline_text(c->a, v[R_PROJECT], vn[R_PROJECT]);
	if (!project)
		project = OPIK_DEFAULT_PROJECT;
	if (!thread || !*thread || !s.trace_id || !project_ok(c, project) ||
	    (c->sc->thread_id && strcmp(thread, c->sc->thread_id)))
		return;
	int64_t ingested = time_of(c->a, v[R_INGESTED], vn[R_INGESTED]);
	struct tpoint p = {thread,
			   project,
			   s.trace_id,
			   time_of(c->a, v[R_START], vn[R_START]),
			   time_of(c->a, v[R_END], vn[R_END]),
			   opik_line_created(c->a, v[R_RAW], vn[R_RAW], ingested),
			   ingested,
			   t->u};
	buf_add(c->points, &p, sizeof p);
}

/* The query of the scope's traces: roots of the project (by name through the index; by id in
 * trace_seen), of the thread's session, started within [from, to], holding the search. */
static enum status scope_query(struct http_req *req, const struct opik_thread_scope *sc,
			       struct query *q)
{
	struct filter *f = arena_alloc(req->arena, sizeof *f);
	struct filter_cond *c = arena_alloc(req->arena, 4 * sizeof *c);
	const char **vals = arena_alloc(req->arena, 2 * sizeof *vals);
	size_t n = 0;
	api_query_init(req, q);
	q->roots_only = true;
	vals[0] = sc->project;
	vals[1] = sc->thread_id;
	if (sc->project) {
		c[n] =
		    (struct filter_cond){.field = FF_PROJECT,
					 .op = FOP_EQ,
					 .vals = vals,
					 .nvals = 1,
					 .or_absent = !strcmp(sc->project, OPIK_DEFAULT_PROJECT)};
		n++;
	}
	if (sc->thread_id)
		c[n++] = (struct filter_cond){
		    .field = FF_SESSION_ID, .op = FOP_EQ, .vals = vals + 1, .nvals = 1};
	enum status st = opik_time_window(req, sc->from, sc->to, c, &n);
	if (st != ST_OK)
		return st;
	*f = (struct filter){.conds = c, .n = n};
	q->f = f;
	if (sc->search && *sc->search) {
		const char **terms;
		enum search_parse r =
		    search_phrase_terms(req->arena, sc->search, &terms, &q->nsearch);
		if (r != SEARCH_OK)
			return http_fail(req, ST_BAD_REQUEST, "%s", search_parse_msg(r));
		q->search = terms;
	}
	return ST_OK;
}

/* ---- the points folded into threads ---- */

static int cmp_point(const void *a, const void *b)
{
	const struct tpoint *x = a, *y = b;
	int c = strcmp(x->thread, y->thread);
	if (!c)
		c = strcmp(x->project, y->project);
	if (!c && x->start != y->start)
		c = x->start < y->start ? -1 : 1;
	return c ? c : strcmp(x->trace, y->trace);
}

static void rollup_sum(struct query_rollup *to, const struct query_rollup *u)
{
	for (int i = 0; i < 4; i++) {
		to->tok[i] += u->tok[i];
		to->has_tok[i] |= u->has_tok[i];
	}
	for (int i = 0; i < 3; i++) {
		to->cost[i] += u->cost[i];
		to->has_cost[i] |= u->has_cost[i];
	}
	to->spans += u->spans;
	to->errors += u->errors;
}

/* The thread of points p[0..k), sorted by start: its first trace the earliest, its last the
 * one that ended last (or, when none has ended, that started last). */
static void fold(struct arena *a, const struct tpoint *p, size_t k, struct opik_thread *t)
{
	int64_t last_end = SPAN_NONE_I64;
	memset(t, 0, sizeof *t);
	t->id = p[0].thread;
	t->project = p[0].project;
	t->model_id = opik_thread_model_id(a, t->project, t->id);
	t->start = p[0].start;
	t->end = SPAN_NONE_I64;
	t->first_trace = p[0].trace;
	t->last_trace = p[k - 1].trace;
	t->created = INT64_MAX;
	t->updated = INT64_MIN;
	t->traces = k;
	t->trace_ids = arena_alloc(a, k * sizeof *t->trace_ids);
	for (size_t i = 0; i < k; i++) {
		t->trace_ids[i] = p[i].trace;
		rollup_sum(&t->u, &p[i].u);
		if (p[i].end != SPAN_NONE_I64 &&
		    (last_end == SPAN_NONE_I64 || p[i].end >= last_end))
			last_end = p[i].end, t->last_trace = p[i].trace;
		/* Opik's ThreadDAO: the earliest created_at of the traces, which is a trace's
		 * create (its first version), not the time of its last PATCH. */
		if (p[i].created < t->created)
			t->created = p[i].created;
		if (p[i].ingested > t->updated)
			t->updated = p[i].ingested;
	}
	t->end = last_end;
	t->tags = json_array();
}

/* ---- the judgements of the threads' sessions ---- */

static int64_t last_time(const struct judgement *j)
{
	return j->updated_at != JUDGEMENT_NONE ? j->updated_at : j->created_at;
}

/* A judgement of a thread (which: its index) that Opik shows beside it. */
struct hit {
	size_t which;
	const struct judgement *j;
};

struct gather {
	struct opik_thread *v;
	struct buf *hits; /* of struct hit */
};

/* A judgement of a thread's session: its state (of its project), or a score or comment that
 * Opik shows (of its project, or of none: another API's judgement of the session). */
static void session_judged(void *ctx, size_t which, const struct judgement *j)
{
	struct gather *g = ctx;
	struct opik_thread *t = &g->v[which];
	struct hit h = {which, j};
	if (j->project && strcmp(j->project, t->project))
		return;
	if (j->kind == JK_STATE) {
		if (j->project && judgement_api_is(j, OPIK_API) && j->subtype &&
		    !strcmp(j->subtype, "thread") &&
		    (!t->state || last_time(j) > last_time(t->state)))
			t->state = j;
	} else if (judgement_shows(j, &opik_view_score) || judgement_shows(j, &opik_view_comment)) {
		buf_add(g->hits, &h, sizeof h);
	}
}

static int cmp_hit(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	return (x->which > y->which) - (x->which < y->which);
}

/* Each thread's marks: its run of the hits sorted by thread. */
static void marks_assign(struct arena *a, struct opik_thread *v, struct buf *hits)
{
	struct hit *h = (struct hit *)hits->p;
	size_t n = hits->len / sizeof *h;
	if (n)
		qsort(h, n, sizeof *h, cmp_hit);
	for (size_t i = 0, e; i < n; i = e) {
		struct opik_marks *m = &v[h[i].which].marks;
		for (e = i; e < n && h[e].which == h[i].which; e++)
			;
		m->v = arena_alloc(a, (e - i) * sizeof *m->v);
		for (size_t k = i; k < e; k++)
			m->v[m->n++] = h[k].j;
		m->cap = m->n;
	}
}

/* Status and tags from the state. A closed thread that a trace reached after the close is
 * active again, as Opik reopens it; Opik also closes a thread after a quiet time of its own
 * (OPIK_TRACE_THREAD_TIMEOUT_TO_MARK_AS_INACTIVE, 15 minutes), which spandex does not: a
 * thread stays active until it is closed. */
static void state_apply(struct opik_thread *t)
{
	const struct judgement *s = t->state;
	if (!s)
		return;
	t->inactive = s->label && !strcmp(s->label, "inactive") && last_time(s) >= t->updated;
	json_t *tags = json_object_get(s->payload, "tags");
	if (json_is_array(tags))
		t->tags = tags;
	if (last_time(s) > t->updated)
		t->updated = last_time(s);
}

static enum status judgements_read(struct http_req *req, struct opik_thread *v, size_t n)
{
	const char **ids = arena_alloc(req->arena, (n ? n : 1) * sizeof *ids);
	for (size_t i = 0; i < n; i++)
		ids[i] = v[i].id;
	struct jfilter f = {.targets = 1u << JT_SESSION};
	struct jquery q = {.st = api_store(req), .a = req->arena, .ws = req->ws, .f = &f};
	struct gather g = {v, arena_buf(req->arena)};
	enum status st = query_judgements_of(&q, JT_SESSION, ids, n, session_judged, &g);
	if (st != ST_OK)
		return http_fail(req, st, "%s", err_text(&q.err));
	marks_assign(req->arena, v, g.hits);
	for (size_t i = 0; i < n; i++)
		state_apply(&v[i]);
	return ST_OK;
}

/* A visit run again, from one state of the workspace (query.visit_reset): the points of
 * the run before go. */
static void collect_reset(void *ctx)
{
	struct collect *c = ctx;
	c->points->len = 0;
}

enum status opik_threads_collect(struct http_req *req, const struct opik_thread_scope *sc,
				 struct opik_thread **out, size_t *n)
{
	struct query q;
	struct collect c = {req->arena, sc, NULL, NULL, arena_buf(req->arena)};
	*out = NULL;
	*n = 0;
	enum status st = scope_query(req, sc, &q);
	if (st != ST_OK)
		return st;
	q.visit_reset = collect_reset;
	st = query_trace_visit(&q, trace_seen, &c);
	if (st != ST_OK && st != ST_NOT_FOUND) /* no workspace yet: no threads */
		return http_fail(req, st, "%s", err_text(&q.err));
	struct tpoint *p = (struct tpoint *)c.points->p;
	size_t np = c.points->len / sizeof *p;
	if (np)
		qsort(p, np, sizeof *p, cmp_point);
	struct opik_thread *v = arena_alloc(req->arena, (np ? np : 1) * sizeof *v);
	size_t k = 0;
	for (size_t i = 0, j; i < np; i = j) {
		for (j = i + 1; j < np && !strcmp(p[j].thread, p[i].thread) &&
				!strcmp(p[j].project, p[i].project);
		     j++)
			;
		fold(req->arena, p + i, j - i, &v[k++]);
	}
	*out = v;
	*n = k;
	return k ? judgements_read(req, v, k) : ST_OK;
}

/* ---- the messages ---- */

/* A thread's trace whose message it shows. */
struct need {
	uint64_t h;
	const char *trace;
	struct opik_thread *t;
	bool last;
};

static int cmp_need(const void *a, const void *b)
{
	const struct need *x = a, *y = b;
	return (x->h > y->h) - (x->h < y->h);
}

/* A message as Opik shows it, as a trace's input or output (opik_text_out: a list of other
 * than objects, which the SDK refuses, as its text); from the member's literal v[0..vn). */
static const char *message_of(struct arena *a, const char *v, size_t vn)
{
	json_t *lit = json_loadb(v, vn, JSON_DECODE_ANY, NULL);
	const char *text = json_string_value(lit);
	if (!text)
		return NULL;
	struct buf *b = arena_buf(a);
	opik_text_out(b, text);
	return arena_strndup(a, b->p, b->len);
}

struct messages {
	struct arena *a;
	struct need *v;
	size_t n;
};

static void messages_seen(void *ctx, const struct query_trace *t)
{
	struct messages *m = ctx;
	const char *v, *msg[2] = {NULL, NULL};
	size_t vn;
	if (!jline_get(t->root.line, t->root.len, "trace_id", &v, &vn))
		return;
	const char *trace = jline_text(m->a, v, vn);
	struct need key = {trace ? hash_bytes(trace, strlen(trace)) : 0, NULL, NULL, false};
	struct need *at = bsearch(&key, m->v, m->n, sizeof key, cmp_need);
	while (at && at > m->v && at[-1].h == key.h)
		at--;
	for (; at && at < m->v + m->n && at->h == key.h; at++) {
		if (strcmp(at->trace, trace))
			continue;
		int k = at->last ? 1 : 0;
		if (!msg[k] &&
		    jline_get(t->root.line, t->root.len, k ? "output" : "input", &v, &vn))
			msg[k] = message_of(m->a, v, vn);
		if (at->last)
			at->t->last_message = msg[k];
		else
			at->t->first_message = msg[k];
	}
}

/* A visit run again, from one state of the workspace (query.visit_reset): the messages the
 * run before found go. */
static void messages_reset(void *ctx)
{
	struct messages *m = ctx;
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].last)
			m->v[i].t->last_message = NULL;
		else
			m->v[i].t->first_message = NULL;
}

enum status opik_threads_messages(struct http_req *req, struct opik_thread *const *v, size_t n)
{
	struct messages m = {req->arena, arena_alloc(req->arena, (2 * n + 1) * sizeof *m.v), 0};
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 2; k++) {
			const char *trace = k ? v[i]->last_trace : v[i]->first_trace;
			m.v[m.n++] =
			    (struct need){hash_bytes(trace, strlen(trace)), trace, v[i], k == 1};
		}
	if (!m.n)
		return ST_OK;
	qsort(m.v, m.n, sizeof *m.v, cmp_need);
	uint64_t *hs = arena_alloc(req->arena, m.n * sizeof *hs);
	size_t nh = 0;
	for (size_t i = 0; i < m.n; i++)
		if (!nh || hs[nh - 1] != m.v[i].h)
			hs[nh++] = m.v[i].h;
	struct query_keys keys = {QK_TRACE, hs, NULL, nh};
	struct query q;
	api_query_init(req, &q);
	q.roots_only = true;
	q.summary = true;
	q.keys = &keys;
	q.nkeys = 1;
	q.visit_reset = messages_reset;
	enum status st = query_trace_visit(&q, messages_seen, &m);
	if (st != ST_OK && st != ST_NOT_FOUND)
		return http_fail(req, st, "%s", err_text(&q.err));
	return ST_OK;
}

/* ---- a thread's score and its rendering ---- */

bool opik_thread_score(const struct opik_thread *t, const char *name, double *v)
{
	const struct opik_marks *m = &t->marks;
	double sum = 0;
	size_t k = 0;
	/* Each author's newest score of the name, once. */
	for (size_t i = 0; i < m->n; i++) {
		const struct judgement *j = m->v[i];
		bool newest = judgement_shows(j, &opik_view_score) && !strcasecmp(j->name, name);
		for (size_t o = 0; newest && o < m->n; o++) {
			const struct judgement *x = m->v[o];
			if (o != i && judgement_shows(x, &opik_view_score) &&
			    !strcasecmp(x->name, name) && !strcmp(opik_author(x), opik_author(j)) &&
			    (last_time(x) > last_time(j) ||
			     (last_time(x) == last_time(j) && strcmp(x->id, j->id) < 0)))
				newest = false;
		}
		if (newest)
			sum += j->value, k++;
	}
	if (!k)
		return false;
	/* Opik's feedback_scores_final: one author's value, or the mean to 9 decimals. */
	*v = k == 1 ? sum : round(sum / (double)k * 1e9) / 1e9;
	return true;
}

void opik_thread_render(struct buf *out, struct arena *a, const struct opik_thread *t)
{
	struct span none;
	memset(&none, 0, sizeof none);
	bool by_state = t->state && last_time(t->state) >= t->updated;
	buf_adds(out, "{\"id\":");
	opik_out_str(out, t->id);
	opik_out_key(out, "project_id"), opik_out_str(out, opik_project_id(a, t->project));
	opik_out_key(out, "thread_model_id"), opik_out_str(out, t->model_id);
	opik_out_key(out, "start_time"), opik_out_time(out, t->start);
	if (t->end != SPAN_NONE_I64) {
		opik_out_key(out, "end_time"), opik_out_time(out, t->end);
		opik_out_key(out, "duration"),
		    jsonw_number(out, (double)(t->end - t->start) / 1000.0);
	}
	if (t->first_message)
		opik_out_key(out, "first_message"), buf_adds(out, t->first_message);
	if (t->last_message)
		opik_out_key(out, "last_message"), buf_adds(out, t->last_message);
	opik_out_key(out, "feedback_scores"), opik_scores_out(out, a, &t->marks, NULL);
	opik_out_key(out, "status"), opik_out_str(out, t->inactive ? "inactive" : "active");
	buf_printf(out, ",\"number_of_messages\":%zu", 2 * t->traces);
	opik_out_key(out, "total_estimated_cost");
	jsonw_number(out, t->u.has_cost[QC_TOTAL] ? round(t->u.cost[QC_TOTAL] * 1e6) / 1e6 : 0);
	json_t *usage = opik_usage(&none, &t->u, OPIK_TRACE);
	opik_out_key(out, "usage"), jsonw_value(out, usage);
	json_decref(usage);
	opik_out_key(out, "comments"), opik_comments_out(out, a, &t->marks);
	opik_out_key(out, "tags"), jsonw_value(out, t->tags);
	opik_out_key(out, "created_at"), opik_out_time(out, t->created);
	opik_out_key(out, "last_updated_at"), opik_out_time(out, t->updated);
	opik_out_key(out, "created_by"), opik_out_str(out, OPIK_DEFAULT_USER);
	opik_out_key(out, "last_updated_by"),
	    opik_out_str(out, by_state ? opik_author(t->state) : OPIK_DEFAULT_USER);
	buf_addc(out, '}');
}
