/* write: Opik's writes (reference opik.md §2-§5): batch and single creates, PATCH one or a
 * batch, trace deletes (feedback scores and comments are judgements: scores.c, comments.c).
 * Every write is a read-merge-write of lib/store (store_update) under the workspace
 * lock, because the SDK's queues are not ordered (§4.3): spans may come before their trace, a
 * PATCH before its create, a create again after a retry. A PATCH of an id not stored yet is
 * kept as a partial row that the create completes. */
#include "lib/api/opik/surface.h"
#include "lib/api/opik/judgements/judged.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/ingest/ingest.h"
#include "lib/json/jline.h"
#include "lib/model/price.h"
#include "lib/store/ops.h"

/* Keeps what the stored version has that a create does not send: its scores of before
 * judgements (judged.h, OPIK_LEGACY_SCORES), when it was first created, the attachments
 * uploaded for it (upload.c). */
static void keep_from(struct span *out, const struct span *cur)
{
	static const char *const keys[] = {"opik.feedback_scores", "opik.created_at",
					   OPIK_RAW_ATTACHMENTS};
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		json_t *x = span_raw(cur, keys[i]);
		if (x)
			json_object_set(out->raw_attributes, keys[i], x);
	}
}

/* Whether cur, a live stored row, is of the other entity: a span's id that names a trace row,
 * or a trace's that names a span. Opik keeps spans and traces in two tables; here one id is one
 * row, so such a write is refused (409) rather than let it turn a trace into a span. */
static bool other_entity(enum opik_entity ent, const struct span *cur)
{
	return cur && !span_is_deleted(cur) && (ent == OPIK_TRACE) != opik_is_trace_row(cur);
}

static enum status entity_conflict(struct err *e, enum opik_entity ent, const char *id)
{
	return err_set(e, ST_CONFLICT, "%s id %.200s is already the id of a %s",
		       ent == OPIK_SPAN ? "Span" : "Trace", id,
		       ent == OPIK_SPAN ? "trace" : "span");
}

/* ---- creates ---- */

struct creates {
	enum opik_entity ent;
	const char *ws;
	struct span *spans;
	size_t n;
	bool single; /* POST spans or traces: an id stored whole is a 409 */
	size_t next; /* the item after the one the last merge was for */
};

/* The item whose id is id (the ids of a batch are distinct, create's check), or c->n. The
 * store merges the ids in the order given, the items' own: the one after the last is tried
 * first (a scan of every item for each id was 11.6M strcmp instructions a batch of 1,000). */
static size_t created_item(struct creates *c, const char *id)
{
	size_t i = c->next < c->n && !strcmp(c->spans[c->next].span_id, id) ? c->next : 0;
	while (i < c->n && strcmp(c->spans[i].span_id, id))
		i++;
	c->next = i + 1;
	return i;
}

static enum status merge_create(void *ctx, struct arena *a, const char *id, const struct span *cur,
				struct span *out, struct err *e)
{
	struct creates *c = ctx;
	struct verrs v;
	size_t i = created_item(c, id);
	if (i == c->n)
		return ST_OK; /* not ours: no change */
	if (other_entity(c->ent, cur))
		return entity_conflict(e, c->ent, id);
	/* A create of a span that exists whole changes nothing: a batch sent again, after
	 * PATCHes and scores, loses none of them; a single create of one is the backend's
	 * 409 (opik.md §2, S2). A partial row is completed; a deleted span is created anew.
	 */
	if (cur && !span_is_deleted(cur) && !span_raw(cur, OPIK_RAW_PENDING))
		return c->single ? err_set(e, ST_CONFLICT, "%s already exists",
					   c->ent == OPIK_SPAN ? "Span" : "Trace")
				 : ST_OK;
	/* The item is the version, moved, not copied (ingest.h: a merge may move the batch's span;
	 * the copy's json_deep_copy of its objects was 7.5M instructions a batch of 1,000): nothing
	 * reads the item again but its id (created_item), and its objects live in the request's
	 * arena, which the store's clear of out leaves to free. */
	*out = c->spans[i];
	if (!cur || span_is_deleted(cur))
		return ST_OK;
	keep_from(out, cur);
	/* A partial row: the PATCHes that came first apply after the create. */
	json_t *pending = span_raw(cur, OPIK_RAW_PENDING);
	if (pending) {
		verrs_init(&v);
		opik_apply(a, c->ws, c->ent, pending, false, out, &v, json_array());
	}
	return ST_OK;
}

/* The ids of a batch's items so far, by hash (open addressing, at most half full), so that an
 * item's id is found among the earlier ones in a probe or two: a comparison with every earlier
 * id was 11.5M strcmp instructions a batch of 1,000. */
struct seen_ids {
	const char **slot; /* NULL: free */
	size_t mask;
};

static struct seen_ids seen_ids_make(struct arena *a, size_t n)
{
	size_t cap = 4;
	while (cap < 2 * n)
		cap *= 2;
	const char **slot = arena_alloc(a, cap * sizeof *slot);
	memset(slot, 0, cap * sizeof *slot);
	return (struct seen_ids){slot, cap - 1};
}

/* Whether id is an earlier item's; if not, it is entered. */
static bool seen_before(struct seen_ids *t, const char *id)
{
	size_t k = (size_t)hash_bytes(id, strlen(id)) & t->mask;
	for (; t->slot[k]; k = (k + 1) & t->mask)
		if (!strcmp(t->slot[k], id))
			return true;
	t->slot[k] = id;
	return false;
}

/* Where item i of list is, for its 422s: ["body", list, i], or ["body"] for a single
 * create. Made by hand: json_pack's reading of its format was 1.46M instructions a batch of
 * 1,000 (callgrind), every item's whether or not it is refused. */
static json_t *item_loc(const char *list, size_t i)
{
	json_t *l = json_array();
	json_array_append_new(l, json_string_nocheck("body"));
	if (list) {
		json_array_append_new(l, json_string_nocheck(list));
		json_array_append_new(l, json_integer((json_int_t)i));
	}
	return l;
}

/* Validates and stores items (a JSON array of TraceWrite or SpanWrite), or the n items read
 * (opik_batch_body) when items is NULL. */
static enum status create(struct http_req *req, enum opik_entity ent, json_t *items,
			  const struct opik_item *read, size_t n, const char *list)
{
	struct verrs v;
	if (items)
		n = json_array_size(items);
	struct creates c = {
	    ent, req->ws, arena_alloc(req->arena, (n ? n : 1) * sizeof(struct span)), n, !list, 0};
	const char **ids = arena_alloc(req->arena, (n ? n : 1) * sizeof *ids);
	struct err e = {0};
	struct seen_ids seen = seen_ids_make(req->arena, n);

	verrs_init(&v);
	for (size_t i = 0; i < n; i++) {
		struct span *s = &c.spans[i];
		span_init(s);
		if (items)
			opik_apply(req->arena, req->ws, ent, json_array_get(items, i), true, s, &v,
				   item_loc(list, i));
		else
			opik_apply_item(req->arena, req->ws, ent, &read[i], s, &v,
					item_loc(list, i));
		ids[i] = s->span_id;
		if (s->span_id && seen_before(&seen, s->span_id))
			verrs_add(
			    &v,
			    json_pack("[s,s,i,s]", "body", list ? list : "", (json_int_t)i, "id"),
			    "value_error",
			    ent == OPIK_SPAN ? "Duplicate span id" : "Duplicate trace id", NULL);
	}
	if (verrs_count(&v))
		return http_fail_invalid(req, &v);
	/* Traces carry no model: only spans are priced. */
	struct ingest_merge m = {ids, n, merge_create, &c};
	struct ingest_to to = api_ingest_to(req);
	if (ent != OPIK_SPAN)
		to.prices = PRICES_OFF;
	enum status st = ingest_store(&to, c.spans, n, &m, &e);
	if (st == ST_CONFLICT || st == ST_TOO_LARGE)
		return http_fail(req, st, "%s", err_text(&e));
	if (st != ST_OK)
		return http_fail(req, e.st, "not stored (%s); retry later", err_text(&e));
	return ST_OK;
}

enum status opik_batch(struct http_req *req)
{
	enum opik_entity ent = opik_entity_of(req);
	const char *list = ent == OPIK_SPAN ? "spans" : "traces";
	json_t *items;
	struct opik_item *read;
	size_t n;
	enum status st = opik_batch_body(req, list, &items, &read, &n);
	if (st != ST_OK)
		return st;
	if (items)
		n = json_array_size(items);
	/* @NotNull @Size(min = 1, max = 1000) in Opik's SpanBatch and TraceBatch: 422. */
	if (!read && (!json_is_array(items) || n < 1 || n > OPIK_MAX_BATCH)) {
		struct verrs v;
		verrs_init(&v);
		verrs_add(&v, json_pack("[s,s]", "body", list), "list_type",
			  json_is_array(items) ? "size must be between 1 and 1000"
					       : "must be a list",
			  NULL);
		return http_fail_invalid(req, &v);
	}
	if ((st = create(req, ent, items, read, n, list)) != ST_OK)
		return st;
	http_reply(req, 204, NULL, NULL, 0);
	return ST_OK;
}

/* POST traces or spans: one item, 201 with its Location (the request's path and the id). */
enum status opik_create(struct http_req *req)
{
	enum opik_entity ent = opik_entity_of(req);
	json_t *body, *items;
	enum status st = opik_json_body(req, &body);
	if (st != ST_OK)
		return st;
	items = json_array();
	json_array_append(items, body);
	json_t *given = json_object_get(body, "id");
	if ((!given || json_is_null(given)) && json_is_object(body)) {
		/* The id is made here, so the Location can name it. */
		struct span s;
		struct verrs v;
		span_init(&s);
		verrs_init(&v);
		opik_apply(req->arena, req->ws, ent, body, true, &s, &v, json_array());
		if (s.span_id)
			json_object_set_new(body, "id", json_string(s.span_id));
	}
	if ((st = create(req, ent, items, NULL, 0, NULL)) != ST_OK)
		return st;
	const char *id = json_string_value(json_object_get(body, "id"));
	/* The request's path, so a client of the /api mount is sent back there (opik.md §2:
	 * <base>/v1/private/spans/{id}), as a comment's Location is. */
	const char *loc = http_location(req, NULL, id);
	http_reply_with(req, 201, NULL, loc, NULL, 0);
	return ST_OK;
}

/* ---- PATCH ---- */

/* A row for id written before its create (§4.3): started now until the create says, in
 * trace trace (a span's; NULL for none yet). The caller marks what it waits for (OPIK_RAW_PENDING).
 */
void opik_partial_row(struct arena *a, const char *ws, enum opik_entity ent, const char *id,
		      const char *trace, struct span *out)
{
	struct verrs v;
	json_t *stub = json_pack("{s:s,s:s}", "id", id, "start_time", "1970-01-01T00:00:00Z");

	if (trace)
		json_object_set_new(stub, "trace_id", json_string(trace));
	verrs_init(&v);
	opik_apply(a, ws, ent, stub, true, out, &v, json_array());
	out->started_at = time_now();
}

/* What opik_apply needs besides the object, and how tags change. */
struct how {
	const char *ws;
	enum opik_entity ent;
	bool merge_tags; /* the batch's: the update's tags join the stored ones */
	bool batch;	 /* PATCH of a batch: an id of the other entity is left alone */
	/* A trace PATCH: the trace ids asked for (the rows patched may be their roots) */
	const char *const *traces;
	size_t ntraces;
};

/* Whether cur is the root span of a trace the PATCH names: the row that stands for a trace
 * another API wrote, as GET traces/{id} shows it (trace_target). */
static bool root_of_asked(const struct how *h, const struct span *cur)
{
	if (h->ent != OPIK_TRACE || !cur->trace_id || (cur->parent_span_id && *cur->parent_span_id))
		return false;
	for (size_t i = 0; i < h->ntraces; i++)
		if (h->traces[i] && !strcmp(h->traces[i], cur->trace_id))
			return true;
	return false;
}

/* ingest_patch_merge, but not over a row of the other entity (unless it is the root that
 * stands for the trace asked for): the single PATCH's 409; a batch leaves it alone, as it
 * leaves an id that is not stored. */
static enum status patch_merge(void *ctx, struct arena *a, const char *id, const struct span *cur,
			       struct span *out, struct err *e)
{
	struct ingest_patch *p = ctx;
	const struct how *h = p->how;
	if (other_entity(h->ent, cur) && !root_of_asked(h, cur))
		return h->batch ? ST_OK : entity_conflict(e, h->ent, id);
	return ingest_patch_merge(ctx, a, id, cur, out, e);
}

/* The row a PATCH of trace id applies to: its own row when one is stored (an Opik trace, a
 * partial row, a root whose id is the trace's); else the root span of the trace another API
 * wrote, which GET traces/{id} shows as the trace (a PATCH of id itself made a second row, a
 * phantom trace, and the GET never showed the change); else id, a PATCH before its create. */
const char *opik_trace_target(struct http_req *req, const char *id)
{
	struct span s;
	json_t *root;
	struct query q;
	struct query_trace t;
	bool own = false;
	/* The stored line goes at the release: a batch looks up to 1,000 of them. */
	struct arena_mark m = arena_mark(req->arena);
	if (query_span_get(api_store(req), req->ws, req->arena, id, &s, &root)) {
		own = !span_is_deleted(&s);
		span_clear(&s);
		json_decref(root);
	}
	arena_release(req->arena, m);
	if (own)
		return id;
	api_query_init(req, &q);
	if (query_trace_find(&q, id, &t) != ST_OK)
		return id;
	const char *rid = opik_line_id(req->arena, OPIK_SPAN, t.root.line, t.root.len);
	return rid ? rid : id;
}

static void patch_apply(const void *how, struct arena *a, json_t *obj, bool create, struct span *s,
			struct verrs *v)
{
	const struct how *h = how;
	opik_apply(a, h->ws, h->ent, obj, create, s, v, json_array());
}

static bool has_tag(json_t *tags, json_t *t)
{
	size_t i;
	json_t *x;
	json_array_foreach(tags, i, x)
	{
		if (json_equal(x, t))
			return true;
	}
	return false;
}

/* The tags after an update (reference judgement.md 2.3): with merge_tags the update's tags join
 * the stored ones (cur's) rather than replace them; tags_to_add and tags_to_remove (a set)
 * apply after. */
static void patch_tags(const struct how *h, json_t *body, const struct span *cur, struct span *out)
{
	json_t *tags = json_object_get(body, "tags"), *add = json_object_get(body, "tags_to_add");
	json_t *del = json_object_get(body, "tags_to_remove"), *old = span_raw(cur, "opik.tags"),
	       *x;
	size_t i;
	if (!(h->merge_tags && json_is_array(tags)) && !json_is_array(add) && !json_is_array(del))
		return;
	json_t *now = span_raw(out, "opik.tags");
	json_t *all = json_is_array(now) ? json_deep_copy(now) : json_array();
	if (h->merge_tags && json_is_array(tags) && json_is_array(old)) {
		json_decref(all);
		all = json_deep_copy(old);
		json_array_foreach(tags, i, x) if (!has_tag(all, x)) json_array_append(all, x);
	}
	json_array_foreach(add, i, x) if (json_is_string(x) && !has_tag(all, x))
	    json_array_append(all, x);
	for (i = json_array_size(all); i-- > 0;)
		if (has_tag(del, json_array_get(all, i)))
			json_array_remove(all, i);
	span_raw_set(out, "opik.tags", all);
}

/* After the update's fields: its tags; still partial, the create applies all of it after. */
static void patch_done(const struct ingest_patch *p, const struct span *cur, struct span *out)
{
	json_t *pending = span_raw(cur, OPIK_RAW_PENDING);
	patch_tags(p->how, p->body, cur, out);
	if (pending) {
		json_t *all = json_deep_copy(pending);
		json_object_update(all, p->body);
		json_object_set_new(out->raw_attributes, OPIK_RAW_PENDING, all);
	}
}

/* A PATCH before its create: a partial row waiting for it. */
static void patch_absent(const struct ingest_patch *p, struct arena *a, const char *id,
			 struct span *out)
{
	const struct how *h = p->how;
	const char *trace = json_string_value(json_object_get(p->body, "trace_id"));
	struct verrs v;

	opik_partial_row(a, h->ws, h->ent, id, h->ent == OPIK_SPAN ? trace : NULL, out);
	verrs_init(&v);
	opik_apply(a, h->ws, h->ent, p->body, false, out, &v, json_array());
	json_object_set_new(out->raw_attributes, OPIK_RAW_PENDING, json_deep_copy(p->body));
}

enum status opik_patch(struct http_req *req)
{
	enum opik_entity ent = opik_entity_of(req);
	json_t *body;
	struct verrs v;
	struct err e = {0};
	enum status st = opik_json_body(req, &body);
	if (st != ST_OK)
		return st;
	/* Checked once on a scratch span, so a bad PATCH is a 422 and writes nothing. */
	struct span scratch;
	span_init(&scratch);
	verrs_init(&v);
	opik_apply(req->arena, req->ws, ent, body, false, &scratch, &v, json_pack("[s]", "body"));
	if (ent == OPIK_SPAN && !json_is_string(json_object_get(body, "trace_id")))
		verrs_add(&v, json_pack("[s,s]", "body", "trace_id"), "missing", "Field required",
			  NULL);
	const char *parent = json_string_value(json_object_get(body, "parent_span_id"));
	if (ent == OPIK_SPAN && parent && !strcmp(parent, req->id))
		verrs_add(&v, json_pack("[s,s]", "body", "parent_span_id"), "value_error",
			  "must differ from id", NULL);
	if (span_id_problem(req->id))
		verrs_add(&v, json_pack("[s,s]", "path", "id"), "value_error",
			  span_id_problem(req->id), NULL);
	if (verrs_count(&v))
		return http_fail_invalid(req, &v);
	struct how h = {req->ws, ent, false, false, &req->id, ent == OPIK_TRACE};
	/* Spans are priced as a create is (traces carry no model). */
	struct ingest_patch p = {.apply = patch_apply,
				 .how = &h,
				 .body = body,
				 .absent = patch_absent,
				 .patched = patch_done,
				 .price = ent == OPIK_SPAN,
				 .prices = http_env(req, "SPANDEX_PRICES")};
	const char *ids[] = {ent == OPIK_TRACE ? opik_trace_target(req, req->id) : req->id};
	struct ingest_to to = api_ingest_to(req);
	if (ingest_update(&to, ids, 1, patch_merge, &p, &e) != ST_OK)
		return e.st == ST_CONFLICT || e.st == ST_TOO_LARGE
			   ? http_fail(req, e.st, "%s", err_text(&e))
			   : http_fail(req, e.st, "not stored (%s); retry later", err_text(&e));
	http_reply(req, 204, NULL, NULL, 0);
	return ST_OK;
}

/* PATCH {spans,traces}/batch {"ids": [...], "update": SpanUpdate or TraceUpdate, "merge_tags"}
 * (reference judgement.md 2.3): the single PATCH's merge over each stored id; an id not
 * stored is left alone (no partial row: the SDK never sends it). The update's identity
 * fields (trace_id, which a SpanUpdate must carry; parent_span_id, project) are not applied:
 * one value of them would move every span of the batch. 204. */
enum status opik_patch_batch(struct http_req *req)
{
	enum opik_entity ent = opik_entity_of(req);
	json_t *body, *update, *merge;
	struct verrs v;
	struct err e = {0};
	const char **ids = NULL;
	enum status st = opik_json_body(req, &body);
	if (st != ST_OK)
		return st;
	verrs_init(&v);
	update = json_object_get(body, "update");
	merge = json_object_get(body, "merge_tags");
	opik_batch_ids(req, json_object_get(body, "ids"), &ids, &v);
	struct span scratch;
	span_init(&scratch);
	if (!json_is_object(update))
		verrs_add(&v, json_pack("[s,s]", "body", "update"), "missing", "must not be null",
			  NULL);
	else
		opik_apply(req->arena, req->ws, ent, update, false, &scratch, &v,
			   json_pack("[s,s]", "body", "update"));
	if (ent == OPIK_SPAN && json_is_object(update) &&
	    !json_is_string(json_object_get(update, "trace_id")))
		verrs_add(&v, json_pack("[s,s,s]", "body", "update", "trace_id"), "missing",
			  "Field required", NULL);
	if (merge && !json_is_null(merge) && !json_is_boolean(merge))
		verrs_add(&v, json_pack("[s,s]", "body", "merge_tags"), "bool_type",
			  "must be a boolean", NULL);
	if (verrs_count(&v))
		return http_fail_invalid(req, &v);
	json_t *apply = json_deep_copy(update);
	static const char *const identity[] = {"id", "trace_id", "parent_span_id", "project_name",
					       "project_id"};
	for (size_t k = 0; k < sizeof identity / sizeof *identity; k++)
		json_object_del(apply, identity[k]);
	size_t nids = json_array_size(json_object_get(body, "ids"));
	struct how h = {req->ws, ent, json_is_true(merge), true, ids, ent == OPIK_TRACE ? nids : 0};
	const char **rows = ids;
	if (ent == OPIK_TRACE) {
		rows = arena_alloc(req->arena, (nids ? nids : 1) * sizeof *rows);
		for (size_t i = 0; i < nids; i++)
			rows[i] = opik_trace_target(req, ids[i]);
	}
	struct ingest_patch p = {.apply = patch_apply,
				 .how = &h,
				 .body = apply,
				 .patched = patch_done,
				 .price = ent == OPIK_SPAN,
				 .prices = http_env(req, "SPANDEX_PRICES")};
	struct ingest_to to = api_ingest_to(req);
	if (ingest_update(&to, rows, nids, patch_merge, &p, &e) != ST_OK)
		return e.st == ST_TOO_LARGE
			   ? http_fail(req, e.st, "%s", err_text(&e))
			   : http_fail(req, e.st, "not stored (%s); retry later", err_text(&e));
	http_reply(req, 204, NULL, NULL, 0);
	return ST_OK;
}

/* ---- trace delete ---- */

enum status opik_traces_gone(struct http_req *req, const char *const *traces, size_t n)
{
	/* An erasure (docs/erasure.md): every span of the traces and their scores and comments
	 * (as Opik's TraceService deletes them) hidden now, their bytes gone after the next
	 * `spandex erase --pending`. */
	struct err e = {0};
	if (n && api_erase(req, OPIK_API, STORE_ERASE_TRACE, traces, n, NULL, &e) != ST_OK)
		return http_fail(req, e.st, "not deleted (%s); retry later", err_text(&e));
	return ST_OK;
}

/* The traces deleted, then 204. Unknown ids are no error (Opik answers 204). */
static enum status delete_traces(struct http_req *req, const char *const *traces, size_t n)
{
	enum status st = opik_traces_gone(req, traces, n);
	if (st == ST_OK)
		http_reply(req, 204, NULL, NULL, 0);
	return st;
}

/* DELETE /traces/{id} */
enum status opik_trace_delete(struct http_req *req)
{
	const char *ids[] = {req->id};
	return delete_traces(req, ids, 1);
}

/* POST /traces/delete {"ids": [...]}: 1 to OPIK_MAX_BATCH ids (the backend's @Size). */
enum status opik_traces_delete(struct http_req *req)
{
	json_t *body;
	struct verrs v;
	enum status st = opik_json_body(req, &body);
	if (st != ST_OK)
		return st;
	json_t *ids = json_object_get(body, "ids");
	const char **list;
	verrs_init(&v);
	opik_batch_ids(req, ids, &list, &v);
	if (verrs_count(&v))
		return http_fail_invalid(req, &v);
	return delete_traces(req, list, json_array_size(ids));
}
