/* comments: Opik's comments on spans and traces (reference judgement.md 2.2, opik.md S14-S17)
 * as judgements of kind comment with UUIDv7 ids: created with 201 and a Location, read one
 * by one and beside their span or trace (judged.c), edited by PATCH, deleted in batches. The
 * comments of another API (a Scale GP comment assessment) are Opik's too: shown, editable. */
#include "lib/api/opik/surface.h"
#include "lib/api/opik/judgements/judged.h"

#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/query/judgements.h"

enum status opik_comment_text(struct http_req *req, json_t *body, const char **text)
{
	struct verrs v;
	json_t *t = json_object_get(body, "text");
	const char *s = json_string_value(t);
	verrs_init(&v);
	while (s && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++;
	if (!json_is_object(body))
		verrs_add(&v, json_pack("[s]", "body"), "dict_type", "must be an object", NULL);
	else if (!s || !*s)
		verrs_add(&v, json_pack("[s,s]", "body", "text"), "missing", "must not be blank",
			  NULL);
	else if (json_string_length(t) > JUDGEMENT_MAX_TEXT)
		verrs_add(&v, json_pack("[s,s]", "body", "text"), "string_too_long",
			  "must be a string of at most 65536 characters", NULL);
	if (verrs_count(&v))
		return http_fail_invalid(req, &v);
	*text = json_string_value(t);
	return ST_OK;
}

enum status opik_comment_not_found(struct http_req *req, const char *id)
{
	return http_fail(req, ST_NOT_FOUND, "Comment id: %s not found", id);
}

/* Whether old, the judgement of a create's given id, is that comment: an Opik comment of the
 * same span, trace or thread (a create sent again). Any other judgement keeps its id: a create
 * naming a Scale GP assessment's or a NeMo result's would replace it, past their authors' keys. */
static bool same_comment(const struct judgement *old, const struct judgement *j)
{
	const char *a = judgement_target_id(old), *b = judgement_target_id(j);
	return old->kind == JK_COMMENT && judgement_api_is(old, OPIK_API) &&
	       old->target == j->target && a && b && !strcmp(a, b);
}

struct put {
	const struct judgement *j;
	bool taken; /* the id is another judgement's */
};

/* Under the judgement store's lock: a new comment, or the same one sent again (its text now,
 * its creation and author kept); another judgement of the id is left alone. */
static enum status merge_put(void *ctx, struct arena *a, const char *id,
			     const struct judgement *cur, struct judgement *out, struct err *e)
{
	struct put *p = ctx;
	(void)a, (void)id, (void)e;
	if (cur && !cur->deleted && !same_comment(cur, p->j)) {
		p->taken = true;
		return ST_OK;
	}
	if (cur && !cur->deleted) { /* sent again: an edit of its text */
		judgement_copy(out, cur);
		out->text = p->j->text;
		out->updated_at = p->j->created_at;
	} else {
		judgement_copy(out, p->j);
	}
	return ST_OK;
}

enum status opik_comment_put(struct http_req *req, json_t *body, const char *text,
			     struct judgement *j)
{
	struct err err = {0};
	const char *given = json_string_value(json_object_get(body, "id"));
	j->id = given && !span_id_problem(given) ? given : hash_uuid(req->arena, 7);
	j->workspace = req->ws;
	j->kind = JK_COMMENT;
	j->text = text;
	j->source = JS_HUMAN;
	j->api = OPIK_API;
	j->subtype = "comment";
	j->author = req->principal;
	j->created_at = time_now();
	struct put p = {j, false};
	struct ingest_to to = api_ingest_to(req);
	if (ingest_update_judgements(&to, &j->id, 1, merge_put, &p, &err) != ST_OK)
		return http_fail(req, err.st, "not stored (%s); retry later", err_text(&err));
	if (p.taken)
		return http_fail(req, ST_CONFLICT, "Comment id %.200s is taken", j->id);
	const char *loc = http_location(req, NULL, j->id);
	http_reply_with(req, 201, NULL, loc, NULL, 0);
	return ST_OK;
}

/* POST {spans,traces}/{id}/comments {"text", "id"?}: 201, no body, Location the request's
 * path and the comment's id; 404 when the span or trace is not stored (CommentService). */
enum status opik_comment_create(struct http_req *req)
{
	enum opik_entity ent = opik_entity_of(req);
	json_t *body;
	const char *text;
	struct opik_entity_info e;
	struct judgement j;
	enum status st = opik_json_body(req, &body);
	if (st != ST_OK || (st = opik_comment_text(req, body, &text)) != ST_OK ||
	    (st = opik_entity_find(req, ent, req->id, true, &e)) != ST_OK)
		return st;
	if (!e.found)
		return opik_not_found(req, ent, req->id);
	judgement_init(&j);
	j.target = opik_target(ent);
	j.span_id = ent == OPIK_SPAN ? req->id : NULL;
	j.trace_id = ent == OPIK_SPAN ? e.trace_id : req->id;
	j.session_id = e.session_id;
	j.project = e.project;
	return opik_comment_put(req, body, text, &j);
}

/* GET {spans,traces}/{id}/comments/{id2}: 404 unless it is a comment the span or trace shows
 * (a trace's own, or its root's). */
enum status opik_comment_get(struct http_req *req)
{
	enum opik_entity ent = opik_entity_of(req);
	struct opik_marks *m;
	enum status st = opik_item_marks(req, ent, req->id, &m);
	if (st != ST_OK)
		return st;
	const struct judgement *j = NULL;
	for (size_t i = 0; i < m->n && !j; i++)
		if (judgement_shows(m->v[i], &opik_view_comment) && !strcmp(m->v[i]->id, req->id2))
			j = m->v[i];
	if (!j)
		return opik_comment_not_found(req, req->id2);
	struct buf *out = arena_buf(req->arena);
	opik_comment_out(out, j);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* An edit of a comment's text. */
struct edit {
	const char *text, *by;
	int64_t now;
	bool found;
};

static enum status merge_edit(void *ctx, struct arena *a, const char *id,
			      const struct judgement *cur, struct judgement *out, struct err *e)
{
	struct edit *ed = ctx;
	(void)a, (void)id, (void)e;
	if (!cur || !judgement_shows(cur, &opik_view_comment))
		return ST_OK; /* none, deleted or no comment: no change, a 404 */
	ed->found = true;
	judgement_copy(out, cur);
	out->text = ed->text;
	out->updated_at = ed->now;
	/* Who edited it last, beside who wrote it (the record has one author). */
	if (!out->payload)
		out->payload = json_object();
	if (ed->by)
		json_object_set_new(out->payload, "last_updated_by", json_string(ed->by));
	else
		json_object_del(out->payload, "last_updated_by");
	if (!json_object_size(out->payload)) {
		json_decref(out->payload);
		out->payload = NULL;
	}
	return ST_OK;
}

/* PATCH {spans,traces}/comments/{id} {"text"}: 204; 404 when there is no such comment. */
enum status opik_comment_update(struct http_req *req)
{
	json_t *body;
	struct edit ed = {NULL, req->principal, time_now(), false};
	struct err e = {0};
	enum status st = opik_json_body(req, &body);
	if (st != ST_OK || (st = opik_comment_text(req, body, &ed.text)) != ST_OK)
		return st;
	const char *ids[] = {req->id};
	struct ingest_to to = api_ingest_to(req);
	if (ingest_update_judgements(&to, ids, 1, merge_edit, &ed, &e) != ST_OK)
		return http_fail(req, e.st, "not stored (%s); retry later", err_text(&e));
	if (!ed.found)
		return opik_comment_not_found(req, req->id);
	http_reply(req, 204, NULL, NULL, 0);
	return ST_OK;
}

/* POST {spans,traces}/comments/delete {"ids": [1 to OPIK_MAX_BATCH]}: 204 (BatchDelete). */
enum status opik_comments_delete(struct http_req *req)
{
	json_t *body, *ids;
	struct verrs v;
	const char **list;
	enum status st = opik_json_body(req, &body);
	if (st != ST_OK)
		return st;
	ids = json_object_get(body, "ids");
	verrs_init(&v);
	opik_batch_ids(req, ids, &list, &v);
	if (verrs_count(&v))
		return http_fail_invalid(req, &v);
	/* Only comments: an id of another judgement is left alone. */
	const struct judgement_view *only = &opik_view_comment;
	if ((st = opik_delete_judgements(req, list, json_array_size(ids), &only)) != ST_OK)
		return st;
	http_reply(req, 204, NULL, NULL, 0);
	return ST_OK;
}
