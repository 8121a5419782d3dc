/* otlp_evals: the evaluation results of an OTLP request (lib/ingest/otlp_eval.h) stored after
 * its spans or logs, and the span each gen_ai.evaluation.result log record that names no span
 * is of. The OTel convention (judgement.md 4.1) correlates such a record by gen_ai.response.id,
 * which lib/ingest cannot look up (it reads no listing): it is the span stored under that id (a
 * NeMo chat-completions capture keeps the response id as its span id), else the span whose
 * gen_ai.response.id attribute it is, among the spans that started in the INTAKE_EVAL_BEFORE_US
 * before the record and INTAKE_EVAL_AFTER_US after it. A record neither finds is refused with
 * its reason (partial success). */
#include "lib/api/intake/intake.h"

#include <string.h>
#include "lib/ingest/otlp_logs.h"
#include "lib/json/jsonw.h"
#include "lib/query/judgements.h"
#include "lib/query/query.h"

/* An evaluation follows the completion it judges; a day back bounds the scan for its span (an
 * evaluation run later than that names its span by id), an hour ahead allows for the clocks of
 * two hosts. */
#define INTAKE_EVAL_BEFORE_US (24LL * 3600 * 1000000)
#define INTAKE_EVAL_AFTER_US (3600LL * 1000000)

/* The evaluations still looking for their span, and the text each is found by in a span's
 * line: "gen_ai.response.id":"<id>" as it sits in the raw_attributes string; was: what each
 * named before the visit (its trace id, its span id as the record gave it). */
struct pending {
	struct arena *a;
	struct otlp_eval **v;
	const char **needle;
	struct {
		const char *trace_id, *from_span;
	} * was;
	size_t n;
};

static bool unresolved(const struct otlp_eval *e)
{
	return !e->refused && e->response_id && !e->j.span_id;
}

static void found(struct arena *a, struct otlp_eval *e, const char *span_id, const char *trace_id)
{
	e->j.span_id = e->from_span = arena_strdup(a, span_id);
	e->j.trace_id = arena_strdup(a, trace_id ? trace_id : span_id);
}

static bool resp_line(void *ctx, const char *line, size_t n)
{
	const struct pending *p = ctx;
	for (size_t i = 0; i < p->n; i++)
		if (memmem(line, n, p->needle[i], strlen(p->needle[i])))
			return true;
	return false;
}

/* A span with no raw attributes has no gen_ai.response.id. */
static int resp_bare(void *ctx, int kind)
{
	(void)ctx, (void)kind;
	return 0;
}

static void resp_visit(void *ctx, const struct query_row *row)
{
	struct pending *p = ctx;
	struct span s;
	json_t *root;
	if (!span_parse(row->line, row->len, &s, &root))
		return;
	const char *id = json_string_value(span_raw(&s, "gen_ai.response.id"));
	for (size_t i = 0; id && i < p->n; i++)
		if (!p->v[i]->j.span_id && !strcmp(p->v[i]->response_id, id))
			found(p->a, p->v[i], s.span_id, s.trace_id);
	span_clear(&s);
	json_decref(root);
}

/* A visit run again, from one state of the workspace (query.visit_reset): the evaluations the
 * run before found their spans for look again. */
static void resp_reset(void *ctx)
{
	struct pending *p = ctx;
	for (size_t i = 0; i < p->n; i++) {
		p->v[i]->j.span_id = NULL;
		p->v[i]->j.trace_id = p->was[i].trace_id;
		p->v[i]->from_span = p->was[i].from_span;
	}
}

/* The needle of a response id: the JSON member, escaped as the string raw_attributes is. */
static const char *needle_of(struct arena *a, const char *id)
{
	struct buf *in = arena_buf(a), *out = arena_buf(a);
	buf_adds(in, "\"gen_ai.response.id\":");
	jsonw_string(in, id, strlen(id));
	jsonw_string(out, in->p, in->len);
	return arena_strndup(a, out->p + 1, out->len - 2);
}

/* One visit of the spans around the records' times for the responses no id named. */
static void scan(struct http_req *req, struct pending *p, struct err *e)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	for (size_t i = 0; i < p->n; i++) {
		int64_t t = p->v[i]->j.created_at;
		lo = t < lo ? t : lo;
		hi = t > hi ? t : hi;
	}
	struct filter_cond c[2] = {
	    {.field = FF_STARTED_AT, .op = FOP_GTE, .us = lo - INTAKE_EVAL_BEFORE_US},
	    {.field = FF_STARTED_AT, .op = FOP_LTE, .us = hi + INTAKE_EVAL_AFTER_US},
	};
	struct filter f = {.conds = c, .n = 2};
	/* Each record's response id is looked for in each line. */
	struct query_pred pred = {
	    .fn = resp_line, .ctx = p, .bare = resp_bare, .transient = true, .tests = p->n};
	struct query q = {.st = api_store(req), .a = req->arena, .ws = req->ws, .f = &f};
	q.preds = &pred;
	q.npreds = 1;
	q.visit_reset = resp_reset;
	/* Records far apart in time make the window wide: past SPANDEX_QUERY_HEAVY bytes the scan
	 * takes an expensive-request slot like any large read, so a cheap request still finds a
	 * worker (a full set of slots refuses the records with the reason, as the budget does). */
	api_query_limits(req, &q);
	api_query_admit(req, &q);
	if (query_span_visit(&q, resp_visit, p) != ST_OK)
		*e = q.err;
}

void intake_otlp_resolve(struct http_req *req, struct otlp_logs *l)
{
	struct pending p = {req->arena, NULL, NULL, NULL, 0};
	struct buf *line = arena_buf(req->arena);
	struct err e = {0};
	p.v = arena_alloc(req->arena, (l->evals.n ? l->evals.n : 1) * sizeof *p.v);
	p.needle = arena_alloc(req->arena, (l->evals.n ? l->evals.n : 1) * sizeof *p.needle);
	p.was = arena_alloc(req->arena, (l->evals.n ? l->evals.n : 1) * sizeof *p.was);
	for (size_t i = 0; i < l->evals.n; i++) {
		struct otlp_eval *ev = &l->evals.v[i];
		struct span s;
		json_t *root;
		if (!unresolved(ev))
			continue;
		line->len = 0;
		if (store_get(api_store(req), req->ws, ev->response_id, line) == ST_OK &&
		    span_parse(line->p, line->len, &s, &root)) {
			found(req->arena, ev, s.span_id, s.trace_id);
			span_clear(&s);
			json_decref(root);
			continue;
		}
		p.needle[p.n] = needle_of(req->arena, ev->response_id);
		p.was[p.n].trace_id = ev->j.trace_id;
		p.was[p.n].from_span = ev->from_span;
		p.v[p.n++] = ev;
	}
	if (p.n)
		scan(req, &p, &e);
	for (size_t i = 0; i < p.n; i++) {
		if (!unresolved(p.v[i]))
			continue;
		const char *why =
		    e.st ? arena_printf(req->arena, "gen_ai.response.id %.200s: %s",
					p.v[i]->response_id, err_text(&e))
			 : arena_printf(req->arena,
					"gen_ai.response.id %.200s names no span stored by that id "
					"or started in the day before the record",
					p.v[i]->response_id);
		otlp_logs_refuse(l, req->arena, p.v[i], why);
	}
}

/* The judgements of a traces request's spans that came before them: each by its span. */
struct adopt {
	struct arena *a;
	const char *const *sessions, *const *projects; /* of the spans, by index */
	const char **ids;			       /* the judgements to complete */
	size_t *of;				       /* the span of each */
	size_t n, cap, next;
};

static void adopt_one(void *ctx, size_t which, const struct judgement *j)
{
	struct adopt *ad = ctx;
	if (j->session_id || !ad->sessions[which])
		return;
	if (ad->n == ad->cap) {
		size_t cap = ad->cap ? 2 * ad->cap : 16;
		const char **ids = arena_alloc(ad->a, cap * sizeof *ids);
		size_t *of = arena_alloc(ad->a, cap * sizeof *of);
		if (ad->n) {
			memcpy(ids, ad->ids, ad->n * sizeof *ids);
			memcpy(of, ad->of, ad->n * sizeof *of);
		}
		ad->ids = ids, ad->of = of, ad->cap = cap;
	}
	ad->ids[ad->n] = arena_strdup(ad->a, j->id);
	ad->of[ad->n++] = which;
}

/* store_update merges the ids in their order. */
static enum status adopt_merge(void *ctx, struct arena *a, const char *id,
			       const struct judgement *cur, struct judgement *out, struct err *e)
{
	struct adopt *ad = ctx;
	if (ad->next >= ad->n || strcmp(ad->ids[ad->next], id))
		return err_set(e, ST_INTERNAL, "merge of judgement %.200s out of order", id);
	size_t span = ad->of[ad->next++];
	if (!cur || cur->deleted || cur->session_id)
		return ST_OK;
	judgement_copy(out, cur);
	out->session_id = arena_strdup(a, ad->sessions[span]);
	if (!out->project && ad->projects[span])
		out->project = arena_strdup(a, ad->projects[span]);
	return ST_OK;
}

enum status intake_otlp_adopt(struct http_req *req, const char *const *span_ids,
			      const char *const *sessions, const char *const *projects, size_t n)
{
	if (!n || !store_has_judgements(api_store(req), req->ws))
		return ST_OK;
	/* Only OTLP's: the other APIs' judgements of a span find it stored, or name the session
	 * themselves (NeMo). */
	struct jfilter f = {.api = OTLP_EVAL_API, .targets = 1u << JT_SPAN};
	struct jquery q = {.st = api_store(req), .a = req->arena, .ws = req->ws, .f = &f};
	struct adopt ad = {.a = req->arena, .sessions = sessions, .projects = projects};
	enum status st = query_judgements_of(&q, JT_SPAN, span_ids, n, adopt_one, &ad);
	if (st != ST_OK)
		return http_fail(req, st, "%s", err_text(&q.err));
	if (!ad.n)
		return ST_OK;
	struct err e = {0};
	struct ingest_to to = api_ingest_to(req);
	if (ingest_update_judgements(&to, ad.ids, ad.n, adopt_merge, &ad, &e) != ST_OK)
		return http_fail_err(req, &e);
	return ST_OK;
}

/* otlp_evals.session_of: the session a judgement of s counts in (query_span_session). */
static const char *session_of(void *ctx, const struct span *s)
{
	struct http_req *req = ctx;
	struct query q = {.st = api_store(req), .a = req->arena, .ws = req->ws};
	api_query_limits(req, &q);
	return query_span_session(&q, s);
}

enum status intake_otlp_evals(struct http_req *req, const struct otlp_evals *ev)
{
	struct err e = {0};
	struct otlp_evals with = *ev;
	with.session_of = session_of;
	with.session_ctx = req;
	struct ingest_to to = api_ingest_to(req);
	if (otlp_eval_put(&to, &with, req->principal, &e) != ST_OK)
		return http_fail_err(req, &e);
	return ST_OK;
}
