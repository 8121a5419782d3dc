/* assess: Scale GP's span-assessments endpoints (reference judgement.md section 3.1): create,
 * list by span or trace, get, PATCH and DELETE over the workspace's judgement store
 * (store_judgements), and the traces the span search's assessment_types keeps (3.6). The shapes
 * and checks are assess_map.c's. Writes are read-merge-writes under the workspace lock
 * (store_update_judgements), so the one-live-overwrite rule (409) holds between two writers. */
#include "lib/api/egp/surface.h"
#include "lib/api/egp/assess_map.h"
#include "lib/api/egp/params.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/json/jsonw.h"
#include "lib/query/judgements.h"
#include "lib/query/query.h"

static struct jquery jquery_of(struct http_req *req, const struct jfilter *f)
{
	return (struct jquery){.st = api_store(req), .a = req->arena, .ws = req->ws, .f = f};
}

static enum status not_found(struct http_req *req, const char *id)
{
	return http_fail(req, ST_NOT_FOUND, "Span assessment %.200s not found", id);
}

/* Stores are refused for the client to retry (503, Retry-After). */
static enum status not_stored(struct http_req *req, const struct err *e)
{
	return http_fail(req, e->st, "Span assessment not stored (%s); retry later", err_text(e));
}

/* ---- the span an assessment is on ---- */

/* What an assessment records of its span. */
struct on {
	const char *span_id, *trace_id, *session_id, *project;
};

/* The span of line as the target: its ids and project, copied into the arena. */
static bool on_line(struct http_req *req, const char *line, size_t n, struct on *o)
{
	struct span s;
	json_t *root;
	if (!span_parse(line, n, &s, &root))
		return false;
	struct arena *a = req->arena;
	o->span_id = arena_strdup(a, s.span_id);
	o->trace_id = arena_strdup(a, s.trace_id ? s.trace_id : s.span_id);
	/* A span that names no session counts in its trace's (docs/api-intake.md, "Sessions"). */
	struct query q = {.st = api_store(req), .a = a, .ws = req->ws};
	api_query_limits(req, &q);
	const char *session = query_span_session(&q, &s);
	o->session_id = session ? arena_strdup(a, session) : NULL;
	o->project = s.str[SS_PROJECT] ? arena_strdup(a, s.str[SS_PROJECT]) : NULL;
	span_clear(&s);
	json_decref(root);
	return true;
}

/* span_id of trace trace_id, or without one the trace's root span (3.2); a 404 otherwise. */
static enum status on_span(struct http_req *req, const char *trace_id, const char *span_id,
			   struct on *o)
{
	if (span_id) {
		struct buf *line = arena_buf(req->arena);
		if (store_get(api_store(req), req->ws, span_id, line) == ST_OK &&
		    on_line(req, line->p, line->len, o) && !strcmp(o->trace_id, trace_id))
			return ST_OK;
		return http_fail(req, ST_NOT_FOUND, "Span %.200s not found in trace %.200s",
				 span_id, trace_id);
	}
	struct query q = {.st = api_store(req), .a = req->arena, .ws = req->ws, .summary = true};
	struct query_trace t;
	api_query_limits(req, &q);
	enum status st = query_trace_find(&q, trace_id, &t);
	if (st == ST_OK && on_line(req, t.root.line, t.root.len, o))
		return ST_OK;
	if (st != ST_OK && st != ST_NOT_FOUND)
		return http_fail(req, st, "%s", err_text(&q.err));
	return http_fail(req, ST_NOT_FOUND, "No root span found for trace %.200s", trace_id);
}

/* The id of a live overwrite of span_id other than except (NULL: none) into *found (3.2's 409
 * rule); a failure of the query is returned with its reason in e. */
static enum status live_overwrite(struct http_req *req, const char *span_id, const char *except,
				  const char **found, struct err *e)
{
	struct jfilter f = {.span_id = span_id, .api = EGP_API, .subtype = "overwrite"};
	struct jquery q = jquery_of(req, &f);
	struct jrows rows;
	q.limit = 2;
	*found = NULL;
	enum status st = query_judgements(&q, &rows);
	if (st != ST_OK) {
		*e = q.err;
		return st;
	}
	for (size_t i = 0; i < rows.n && !*found; i++)
		if (strcmp(rows.rows[i].id, except))
			*found = rows.rows[i].id;
	return ST_OK;
}

static enum status conflict(struct http_req *req, const char *span_id, const char *other)
{
	return http_fail(req, ST_CONFLICT,
			 "Span %.200s already has an overwrite assessment (%.200s): update or "
			 "delete it instead",
			 span_id, other);
}

/* The body of a create or a PATCH with its members checked (a 422 otherwise); a create's
 * content (its members of content, fit for its type) in *content. */
static enum status checked_body(struct http_req *req, json_t **body, json_t **content)
{
	struct verrs v;
	enum status st = http_fastapi_body(req, body);
	if (st != ST_OK)
		return st;
	verrs_init(&v);
	egp_assess_check(&v, *body, content != NULL);
	if (content && !verrs_count(&v)) {
		*content = json_object();
		egp_assess_merge(*content, *body);
		egp_assess_fits(&v, *content, *body);
	}
	return verrs_count(&v) ? http_fail_invalid(req, &v) : ST_OK;
}

/* ---- create ---- */

struct create {
	struct http_req *req;
	const struct judgement *j;
	const char *conflict; /* the live overwrite that refused it */
};

static enum status merge_create(void *ctx, struct arena *a, const char *id,
				const struct judgement *cur, struct judgement *out, struct err *e)
{
	struct create *c = ctx;
	(void)a, (void)cur;
	if (!strcmp(c->j->subtype, "overwrite")) {
		enum status st = live_overwrite(c->req, c->j->span_id, id, &c->conflict, e);
		if (st != ST_OK || c->conflict)
			return st;
	}
	judgement_copy(out, c->j);
	return ST_OK;
}

/* POST /v5/span-assessments: 200 with the SpanAssessment (3.1; FastAPI's default status). */
enum status egp_assess_create(struct http_req *req)
{
	json_t *body, *content = NULL;
	struct on o;
	struct judgement j;
	struct err e = {0};
	enum status st = checked_body(req, &body, &content);
	if (st != ST_OK)
		return st;
	const char *span_id = json_string_value(json_object_get(body, "span_id"));
	if ((st = on_span(req, json_string_value(json_object_get(body, "trace_id")), span_id,
			  &o)) != ST_OK)
		return st;
	judgement_init(&j);
	j.id = hash_uuid(req->arena, 4);
	j.workspace = req->ws;
	j.target = JT_SPAN;
	j.span_id = o.span_id;
	j.trace_id = o.trace_id;
	j.session_id = o.session_id;
	j.project = o.project;
	j.source = JS_HUMAN;
	j.api = EGP_API;
	j.author = req->principal;
	j.created_at = time_now();
	egp_assess_apply(req->arena, content, &j);
	struct create c = {req, &j, NULL};
	struct ingest_to to = api_ingest_to(req);
	if (ingest_update_judgements(&to, &j.id, 1, merge_create, &c, &e) != ST_OK)
		return not_stored(req, &e);
	if (c.conflict)
		return conflict(req, j.span_id, c.conflict);
	struct buf *out = arena_buf(req->arena);
	egp_assess_render(out, &j, req->ws);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* ---- list and get ---- */

/* GET /v5/span-assessments?span_id=|trace_id=[&assessment_type=] (3.4): {"items"}, oldest
 * first (ties by id), at most EGP_MAX_ASSESSMENTS; both ids: the span's, if it is in the
 * trace. 400 without either. */
enum status egp_assess_list(struct http_req *req)
{
	const struct http_pval *pv = req->pv;
	const char *type = pv[EA_TYPE].s;
	int want = -1;
	if (!pv[EA_SPAN_ID].s && !pv[EA_TRACE_ID].s)
		return http_fail(
		    req, ST_BAD_REQUEST,
		    "Either span_id or trace_id must be provided as a query parameter");
	struct jfilter f = {.span_id = pv[EA_SPAN_ID].s,
			    .trace_id = pv[EA_TRACE_ID].s,

			    .view = &egp_view_assessment};
	for (int t = 0; type && t < ASSESS__COUNT; t++)
		if (!strcmp(type, egp_assess_types[t]))
			want = t;
	if (want >= 0)
		egp_assess_narrow(&f, 1u << want);
	struct jquery q = jquery_of(req, &f);
	struct jrows rows;
	q.limit = EGP_MAX_ASSESSMENTS;
	enum status st = query_judgements(&q, &rows);
	if (st != ST_OK)
		return http_fail(req, st, "%s", err_text(&q.err));
	struct buf *out = arena_buf(req->arena);
	buf_adds(out, "{\"items\":[");
	for (size_t i = 0, n = 0; i < rows.n; i++) {
		if (want >= 0 && egp_assess_type_of(&rows.rows[i]) != want)
			continue;
		if (n++)
			buf_addc(out, ',');
		egp_assess_render(out, &rows.rows[i], req->ws);
	}
	buf_adds(out, "]}");
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* GET /v5/span-assessments/{id}: 404 unless the API shows it. */
enum status egp_assess_get(struct http_req *req)
{
	struct jquery q = jquery_of(req, NULL);
	struct judgement j;
	enum status st = query_judgement_get(&q, req->id, &j);
	if (st == ST_OK && egp_assess_type_of(&j) < 0)
		st = ST_NOT_FOUND;
	if (st == ST_NOT_FOUND)
		return not_found(req, req->id);
	if (st != ST_OK)
		return http_fail(req, st, "%s", err_text(&q.err));
	struct buf *out = arena_buf(req->arena);
	egp_assess_render(out, &j, req->ws);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* ---- PATCH and DELETE ---- */

/* A change of one assessment: a PATCH (body) or a DELETE (body NULL), and what became of it. */
struct change {
	struct http_req *req;
	json_t *body;
	enum { CH_DONE, CH_NOT_FOUND, CH_FORBIDDEN, CH_READ_ONLY, CH_INVALID, CH_CONFLICT } how;
	struct verrs v;
	const char *conflict, *span_id; /* CH_CONFLICT: the other overwrite, and its span */
	const char *api;		/* CH_READ_ONLY: whose it is */
};

/* Only its creator, or an admin key (authentication off: anyone), may change it (3.5). */
static bool may_change(const struct http_req *req, const struct judgement *cur)
{
	return req->admin ||
	       (cur->author && req->principal && !strcmp(cur->author, req->principal));
}

/* The PATCH of cur into out: its content merged with the body's, fit for its type (422), no
 * second live overwrite (409); another API's comment stays a comment. */
static enum status patch_into(struct change *c, struct arena *a, const struct judgement *cur,
			      struct judgement *out, struct err *e)
{
	json_t *content = egp_assess_content(cur);
	egp_assess_merge(content, c->body);
	c->how = CH_INVALID;
	if (!egp_assess_fits(&c->v, content, c->body))
		return ST_OK;
	const char *type = json_string_value(json_object_get(content, "assessment_type"));
	bool own = egp_assess_owner(cur) == ASSESS_OWN;
	if (!own && strcmp(type, "comment")) {
		verrs_add(&c->v, json_pack("[s,s]", "body", "assessment_type"), "value_error",
			  "Value error, a comment written through another API stays a comment",
			  json_string(type));
		return ST_OK;
	}
	/* Opik and NeMo, whose comment it is, refuse one without text. */
	const char *text = json_string_value(json_object_get(content, "comment"));
	if (!own && (!text || !text[strspn(text, " \t\r\n")])) {
		verrs_add(&c->v, json_pack("[s,s]", "body", "comment"), "value_error",
			  "Value error, a comment written through another API must not be blank",
			  json_incref(json_object_get(content, "comment")));
		return ST_OK;
	}
	if (!strcmp(type, "overwrite")) {
		enum status st = live_overwrite(c->req, cur->span_id, cur->id, &c->conflict, e);
		c->how = CH_CONFLICT;
		c->span_id = arena_strdup(a, cur->span_id);
		if (st != ST_OK || c->conflict)
			return st;
	}
	judgement_copy(out, cur);
	if (own)
		egp_assess_apply(a, content, out);
	else
		out->text = json_string_value(json_object_get(content, "comment"));
	c->how = CH_DONE;
	return ST_OK;
}

/* Whether c's request may change cur (NULL: none); c->how says why not. */
static bool changeable(struct change *c, const struct judgement *cur)
{
	if (!cur || cur->deleted || egp_assess_type_of(cur) < 0) {
		c->how = CH_NOT_FOUND;
		return false;
	}
	if (egp_assess_owner(cur) == ASSESS_READ_ONLY) {
		c->how = CH_READ_ONLY;
		c->api = judgement_api_name(cur);
		return false;
	}
	if (!may_change(c->req, cur)) {
		c->how = CH_FORBIDDEN;
		return false;
	}
	return true;
}

static enum status merge_change(void *ctx, struct arena *a, const char *id,
				const struct judgement *cur, struct judgement *out, struct err *e)
{
	struct change *c = ctx;
	(void)id;
	if (!changeable(c, cur))
		return ST_OK;
	enum status st = patch_into(c, a, cur, out, e);
	if (st != ST_OK || c->how != CH_DONE)
		return st;
	out->updated_at = time_now();
	return ST_OK;
}

/* The change c of req->id answered when it failed. */
static enum status answer(struct http_req *req, struct change *c)
{
	switch (c->how) {
	case CH_DONE:
		return ST_OK;
	case CH_NOT_FOUND:
		return not_found(req, req->id);
	case CH_FORBIDDEN:
		return http_fail(req, ST_FORBIDDEN,
				 "Only the assessment's creator or an admin may change it");
	case CH_READ_ONLY:
		return http_fail(req, ST_FORBIDDEN,
				 "Span assessment %.200s is a judgement written through %s: "
				 "read-only here",
				 req->id, c->api);
	case CH_INVALID:
		return http_fail_invalid(req, &c->v);
	case CH_CONFLICT:
		break;
	}
	return conflict(req, c->span_id, c->conflict);
}

/* PATCH /v5/span-assessments/{id} (3.5): 200 with the SpanAssessment as it now is. */
enum status egp_assess_patch(struct http_req *req)
{
	json_t *body;
	struct change c = {.req = req};
	struct err e = {0};
	enum status st = checked_body(req, &body, NULL);
	if (st != ST_OK)
		return st;
	c.body = body;
	verrs_init(&c.v);
	struct ingest_to to = api_ingest_to(req);
	if (ingest_update_judgements(&to, &req->id, 1, merge_change, &c, &e) != ST_OK)
		return not_stored(req, &e);
	if ((st = answer(req, &c)) != ST_OK)
		return st;
	return egp_assess_get(req);
}

/* DELETE /v5/span-assessments/{id}: {"id", "deleted": true, "object": "span.assessment"}.
 * SGP's delete is a hard one; here an erasure by judgement (docs/erasure.md): gone from every
 * read at once, and its bytes from the files after the next `spandex erase --pending`. The
 * checks are read first (who may, whose it is), then the erasure written. */
enum status egp_assess_delete(struct http_req *req)
{
	struct change c = {.req = req, .how = CH_DONE};
	struct jquery q = jquery_of(req, NULL);
	struct judgement j;
	struct err e = {0};
	enum status st = query_judgement_get(&q, req->id, &j);
	if (st != ST_OK && st != ST_NOT_FOUND)
		return http_fail(req, st, "%s", err_text(&q.err));
	verrs_init(&c.v);
	if (!changeable(&c, st == ST_OK ? &j : NULL))
		return answer(req, &c);
	const char *ids[] = {req->id};
	if (api_erase(req, EGP_API, STORE_ERASE_JUDGEMENT, ids, 1, NULL, &e) != ST_OK)
		return not_stored(req, &e);
	struct buf *out = arena_buf(req->arena);
	buf_adds(out, "{\"id\":");
	jsonw_string(out, req->id, strlen(req->id));
	buf_adds(out, ",\"deleted\":true,\"object\":\"span.assessment\"}");
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* ---- the search's assessment_types ---- */

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

enum status egp_assessed_traces(struct http_req *req, json_t *types, struct query_keys *out)
{
	unsigned want = 0;
	size_t i;
	json_t *x;
	json_array_foreach(types, i, x)
	{
		for (int t = 0; t < ASSESS__COUNT; t++)
			if (!strcmp(json_string_value(x), egp_assess_types[t]))
				want |= 1u << t;
	}
	struct jfilter f = {.view = &egp_view_assessment};
	egp_assess_narrow(&f, want);
	struct jquery q = jquery_of(req, &f);
	struct jrows rows;
	enum status st = query_judgements(&q, &rows);
	if (st != ST_OK)
		return http_fail(req, st, "%s", err_text(&q.err));
	uint64_t *h = arena_alloc(req->arena, (rows.n ? rows.n : 1) * sizeof *h);
	size_t n = 0;
	for (i = 0; i < rows.n; i++) {
		const struct judgement *j = &rows.rows[i];
		int t = egp_assess_type_of(j);
		if (t >= 0 && (want >> t & 1))
			h[n++] = hash_bytes(j->trace_id, strlen(j->trace_id));
	}
	qsort(h, n, sizeof *h, cmp_u64);
	size_t u = 0;
	for (i = 0; i < n; i++)
		if (!u || h[u - 1] != h[i])
			h[u++] = h[i];
	*out = (struct query_keys){QK_TRACE, h, NULL, u};
	return ST_OK;
}
