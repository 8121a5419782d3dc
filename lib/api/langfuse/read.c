/* read: a trace's row and spans, and the members of a trace a score shows (read.h). */
#include "lib/api/langfuse/read.h"

#include <stdlib.h>
#include <string.h>
#include "lib/json/jline.h"

enum status langfuse_trace_root(struct http_req *req, const char *id, struct query_trace *t,
				struct span *s, json_t **root)
{
	struct query q;
	struct query_trace mine;
	if (!t)
		t = &mine;
	api_query_init(req, &q);
	enum status st = query_trace_find(&q, id, t);
	if (st == ST_NOT_FOUND)
		return st;
	if (st != ST_OK)
		return http_fail(req, st, "%s", err_text(&q.err));
	if (!span_parse(t->root.line, t->root.len, s, root))
		return http_fail(req, ST_INTERNAL, "the trace's root is no span");
	return ST_OK;
}

const char *langfuse_trace_session(struct arena *a, const struct span *s, const char *session)
{
	if (session)
		return jline_text(a, session, strlen(session));
	return s->session_id && !span_session_default(s) ? s->session_id : NULL;
}

#define LF_TRACE_CACHE 256 /* traces remembered per request: a page of scores names at most 100 */
struct langfuse_trace_cache {
	struct http_req *req;
	size_t n;
	const char *id[LF_TRACE_CACHE];
	struct langfuse_trace_ctx ctx[LF_TRACE_CACHE];
};

struct langfuse_trace_cache *langfuse_trace_cache_new(struct http_req *req)
{
	struct langfuse_trace_cache *c = arena_alloc(req->arena, sizeof *c);
	c->req = req;
	c->n = 0;
	return c;
}

static void ctx_read(struct http_req *req, const char *id, struct langfuse_trace_ctx *x)
{
	struct query_trace t;
	struct span s;
	json_t *root;
	memset(x, 0, sizeof *x);
	x->tags = json_array();
	if (langfuse_trace_root(req, id, &t, &s, &root) != ST_OK)
		return;
	struct arena *a = req->arena;
	const char *v;
	json_t *tags = langfuse_tags_of(&s);
	x->found = true;
#define COPY(f, expr) x->f = (v = (expr)) ? arena_strdup(a, v) : NULL
	COPY(user, langfuse_user_of(&s));
	COPY(session, langfuse_trace_session(a, &s, t.session));
	COPY(env, langfuse_env_of(&s));
	COPY(name, s.name);
	COPY(release, langfuse_raw_str(&s, LF_RELEASE));
	COPY(version, langfuse_raw_str(&s, LF_VERSION));
#undef COPY
	if (tags)
		json_array_extend(x->tags, tags);
	span_clear(&s);
	json_decref(root);
}

const struct langfuse_trace_ctx *langfuse_trace_ctx(struct langfuse_trace_cache *c, const char *id)
{
	size_t i;
	for (i = 0; i < c->n; i++)
		if (!strcmp(c->id[i], id))
			return &c->ctx[i];
	/* A full cache forgets its oldest: a long page reads some traces twice. */
	i = c->n < LF_TRACE_CACHE ? c->n++ : 0;
	c->id[i] = arena_strdup(c->req->arena, id);
	ctx_read(c->req, id, &c->ctx[i]);
	return &c->ctx[i];
}

struct gather {
	struct arena *a;
	struct query_row *rows;
	size_t n, cap;
};

static void gather(void *ctx, const struct query_row *row)
{
	struct gather *g = ctx;
	g->rows = langfuse_grow(g->a, g->rows, g->n, &g->cap, sizeof *g->rows);
	g->rows[g->n] = *row;
	g->rows[g->n++].line = arena_strndup(g->a, row->line, row->len);
}

static void gather_reset(void *ctx)
{
	((struct gather *)ctx)->n = 0;
}

static int by_start(const void *x, const void *y)
{
	const struct query_row *a = x, *b = y;
	return a->started_us < b->started_us ? -1 : a->started_us > b->started_us;
}

enum status langfuse_trace_spans(struct http_req *req, const char *id, struct query_row **rows,
				 size_t *n)
{
	struct query q;
	struct filter f = {0};
	struct filter_cond c = {.field = FF_TRACE_ID, .op = FOP_EQ, .vals = &id, .nvals = 1};
	struct gather g = {req->arena, NULL, 0, 0};
	f.conds = &c;
	f.n = 1;
	api_query_init(req, &q);
	q.f = &f;
	q.visit_reset = gather_reset;
	enum status st = query_span_visit(&q, gather, &g);
	if (st != ST_OK)
		return http_fail(req, st, "%s", err_text(&q.err));
	qsort(g.rows, g.n, sizeof *g.rows, by_start);
	*rows = g.rows;
	*n = g.n;
	return ST_OK;
}
