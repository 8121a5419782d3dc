/* judge: the annotation and evaluator-result endpoints of the Intake API (judgement.md section
 * 1.1): create, list, get, and delete (annotations) or upsert (evaluator results), over the
 * workspace's judgement store (store_judgements). Bodies and shapes are annotation.c's and
 * evaluator.c's; the lists' filters jfilter.c's. */
#include "lib/api/intake/intake.h"

#include <limits.h>
#include <string.h>
#include "lib/api/intake/judgements.h"
#include "lib/api/intake/pages.h"
#include "lib/api/intake/params.h"
#include "lib/base/time.h"

/* The jquery of the request's workspace. */
static struct jquery jquery_of(struct http_req *req, const struct jfilter *f)
{
	return (struct jquery){.st = api_store(req), .a = req->arena, .ws = req->ws, .f = f};
}

/* A judgement of a span records the span's trace (and project) when the span is stored, so that
 * the trace's rollup finds it; an unknown span is fine (NeMo's loose target). */
static void resolve(struct http_req *req, struct judgement *j)
{
	struct buf *line = arena_buf(req->arena);
	if (!j->span_id || store_get(api_store(req), req->ws, j->span_id, line) != ST_OK)
		return;
	json_t *o = json_loadb(line->p, line->len, 0, NULL);
	json_t *t = json_object_get(o, "trace_id"), *p = json_object_get(o, "project");
	if (json_is_string(t))
		j->trace_id = arena_strdup(req->arena, json_string_value(t));
	if (json_is_string(p))
		j->project = arena_strdup(req->arena, json_string_value(p));
	json_decref(o);
}

/* Stores js; a refusal of the store is the client's to retry (503, Retry-After). */
static enum status put(struct http_req *req, struct judgement *js, size_t n, const char *what)
{
	struct err e = {0};
	struct ingest_to to = api_ingest_to(req);
	enum status st = ingest_judgements(&to, js, n, &e);
	if (st != ST_OK)
		return http_fail(req, st, "%s not stored (%s); retry later", what, err_text(&e));
	return ST_OK;
}

typedef enum status (*parse_fn)(struct arena *, const char *, json_t *, const char *, int64_t,
				struct judgement *, struct verrs *);
typedef void (*render_fn)(const struct judgement *, struct buf *);

/* POST: 201 with what was stored. */
static enum status create(struct http_req *req, parse_fn parse, render_fn render, const char *what)
{
	json_t *body;
	struct verrs v;
	struct judgement j;
	enum status st = http_fastapi_body(req, &body);

	if (st != ST_OK)
		return st;
	verrs_init(&v);
	if (parse(req->arena, req->ws, body, req->principal, time_now(), &j, &v) != ST_OK)
		return http_fail_invalid(req, &v);
	resolve(req, &j);
	st = put(req, &j, 1, what);
	if (st == ST_OK) {
		struct buf *out = arena_buf(req->arena);
		render(&j, out);
		http_reply_json(req, 201, out->p, out->len);
	}
	judgement_clear(&j);
	return st;
}

/* Appends the rendered rows, comma-separated. */
static void rows_json(struct buf *out, const struct jrows *rows, render_fn render)
{
	for (size_t i = 0; i < rows->n; i++) {
		if (i)
			buf_addc(out, ',');
		render(&rows->rows[i], out);
	}
}

/* A list: page, page_size, sort, filter (lib/api/intake/params.h), the page envelope. */
static enum status list(struct http_req *req, enum intake_jlist which, render_fn render)
{
	const struct http_pval *pv = req->pv;
	const char **keys, **vals;
	struct jfilter f;
	json_t *echo;
	struct err err = {0};
	intake_query_pairs(req, &keys, &vals);
	enum status st = intake_jfilter_parse(req->arena, which, pv[IP_FILTER].s, keys, vals,
					      req->nparams, &f, &echo, &err);
	if (st != ST_OK)
		return http_fail_err(req, &err);
	struct jquery q = jquery_of(req, &f);
	const char *sort = pv[IP_SORT].s;
	long long page = pv[IP_PAGE].i, size = pv[IP_PAGE_SIZE].i;
	q.desc = sort[0] == '-';
	q.order = strcmp(sort + q.desc, "value") ? JQ_CREATED : JQ_VALUE;
	q.offset = page - 1 > LLONG_MAX / size ? LLONG_MAX : (page - 1) * size;
	q.limit = size;
	struct jrows rows;
	if ((st = query_judgements(&q, &rows)) != ST_OK)
		return http_fail(req, st, "%s", q.err.st == st ? q.err.msg : "");
	struct buf *out = arena_buf(req->arena);
	buf_adds(out, "{\"data\":[");
	rows_json(out, &rows, render);
	intake_pages_tail(out, page, size, rows.n, rows.total, sort, echo);
	buf_addc(out, '}');
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* The judgement req->id when view shows it; ST_NOT_FOUND (reason recorded) otherwise. */
static enum status find(struct http_req *req, const struct judgement_view *view,
			struct judgement *j, const char *what)
{
	struct jquery q = jquery_of(req, NULL);
	enum status st = query_judgement_get(&q, req->id, j);
	if (st == ST_OK && !judgement_shows(j, view))
		st = ST_NOT_FOUND;
	if (st == ST_NOT_FOUND)
		return http_fail(req, st, "%s %.200s/%.1100s not found", what, req->ws, req->id);
	if (st != ST_OK)
		return http_fail(req, st, "%s", q.err.st == st ? q.err.msg : "");
	return ST_OK;
}

static enum status get(struct http_req *req, const struct judgement_view *view, render_fn render,
		       const char *what)
{
	struct judgement j;
	enum status st = find(req, view, &j, what);
	if (st != ST_OK)
		return st;
	struct buf *out = arena_buf(req->arena);
	render(&j, out);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

enum status intake_post_annotation(struct http_req *req)
{
	return create(req, intake_annotation_parse, intake_annotation_render, "Annotation");
}

enum status intake_list_annotations(struct http_req *req)
{
	return list(req, INTAKE_ANNOTATIONS, intake_annotation_render);
}

enum status intake_get_annotation(struct http_req *req)
{
	return get(req, &intake_view_annotation, intake_annotation_render, "Annotation");
}

/* DELETE: 204, or 404 once it is gone. NeMo soft-deletes (a tombstone row); here an erasure
 * by judgement (docs/erasure.md): hidden at once, its bytes gone from the files after the next
 * `spandex erase --pending`. */
enum status intake_delete_annotation(struct http_req *req)
{
	struct judgement j;
	struct err e = {0};
	/* Looked up first, so a DELETE of nothing writes nothing (not even a request). */
	enum status st = find(req, &intake_view_annotation, &j, "Annotation");
	if (st != ST_OK)
		return st;
	const char *ids[] = {req->id};
	if (api_erase(req, INTAKE_API, STORE_ERASE_JUDGEMENT, ids, 1, NULL, &e) != ST_OK)
		return http_fail_err(req, &e);
	http_reply(req, 204, NULL, "", 0);
	return ST_OK;
}

/* A re-POST for the same span, session and name has the same id: it replaces the result (201
 * both times). */
enum status intake_post_evaluator(struct http_req *req)
{
	return create(req, intake_evaluator_parse, intake_evaluator_render, "Evaluator result");
}

enum status intake_list_evaluators(struct http_req *req)
{
	return list(req, INTAKE_EVALUATOR_RESULTS, intake_evaluator_render);
}

enum status intake_get_evaluator(struct http_req *req)
{
	return get(req, &intake_view_evaluator, intake_evaluator_render, "Evaluator result");
}

/* GET spans/{span_id}/evaluator-results: a plain array, oldest first; [] for a span that has
 * none (or is unknown). */
enum status intake_span_evaluators(struct http_req *req)
{
	struct jfilter f = {.span_id = req->id, .view = &intake_view_evaluator};
	struct jquery q = jquery_of(req, &f);
	struct jrows rows;
	q.limit = INTAKE_SPAN_RESULTS_MAX;
	enum status st = query_judgements(&q, &rows);
	if (st != ST_OK)
		return http_fail(req, st, "%s", q.err.st == st ? q.err.msg : "");
	struct buf *out = arena_buf(req->arena);
	buf_addc(out, '[');
	rows_json(out, &rows, intake_evaluator_render);
	buf_addc(out, ']');
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}
