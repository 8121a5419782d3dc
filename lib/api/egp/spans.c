/* spans: the Scale GP v5 spans endpoints that write and get one span (otel-egp.md §4.2).
 * Writes go through lib/store's store_update: an insert refuses an id already stored (409),
 * an upsert keeps a completed version over a started one (the tracing SDK exports each span
 * twice, at its start and at its end, in any order). Search and list are in search.c. */
#include "lib/api/egp/surface.h"

#include <stddef.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/ingest/ingest.h"

enum mode { INSERT, UPSERT };

struct writes {
	enum mode mode;
	struct span *spans;
	size_t n;
	size_t next; /* the item of the next merge: store_update merges the ids in their order */
	const char *conflict; /* INSERT: an id that is already stored */
};

/* The merge of one item. An id sent twice in one batch (the tracing SDK's started and
 * completed exports of one span) is merged twice, the second time over what the first gave,
 * so the rule within a batch is the rule across batches. */
static enum status merge(void *ctx, struct arena *a, const char *id, const struct span *cur,
			 struct span *out, struct err *e)
{
	struct writes *w = ctx;
	(void)a;
	if (w->next >= w->n || strcmp(w->spans[w->next].span_id, id))
		return err_set(e, ST_INTERNAL, "merge of span %.200s out of order", id);
	const struct span *item = &w->spans[w->next++];
	if (cur && w->mode == INSERT) {
		w->conflict = id;
		return err_set(e, ST_CONFLICT, "Span %.200s already exists", id);
	}
	/* Completed beats started: a start that comes after the end changes nothing. */
	if (cur && egp_completed(cur) && !egp_completed(item))
		return ST_OK;
	span_copy(out, item);
	return ST_OK;
}

/* The spans a batch's parents lead through: its items (the last copy of an id wins, as it
 * does when stored), then the stored spans they name, each looked up once. An open addressing
 * table by id; a node's parent is the item's, else the stored span's (none when not stored). */
struct node {
	const char *id, *parent, *trace; /* trace: "" for a parent that is not stored */
	char state;			 /* the walk: 0 not seen, 1 on the walk, 2 done */
	bool item;			 /* one of the batch's, not a stored span */
};

struct nodes {
	struct node **slot;
	size_t mask, n, cap;
	struct http_req *req;
};

/* A walk up from an item stops after this many stored ancestors (a trace deeper than that is
 * not checked further for a cycle through the store). */
#define EGP_MAX_ANCESTRY 10000

static void nodes_init(struct nodes *t, struct http_req *req, size_t n)
{
	t->cap = n + EGP_MAX_ANCESTRY + 1;
	size_t m = 2;
	while (m < 2 * t->cap)
		m *= 2;
	t->mask = m - 1;
	t->n = 0;
	t->req = req;
	t->slot = arena_alloc(req->arena, m * sizeof *t->slot);
	memset(t->slot, 0, m * sizeof *t->slot);
}

/* The slot of id: its own, or the empty one where it goes. */
static size_t nodes_slot(const struct nodes *t, const char *id)
{
	size_t h = hash_bytes(id, strlen(id)) & t->mask;
	while (t->slot[h] && strcmp(t->slot[h]->id, id))
		h = (h + 1) & t->mask;
	return h;
}

static struct node *nodes_put(struct nodes *t, size_t h, const char *id)
{
	struct node *x = arena_alloc(t->req->arena, sizeof *x);
	*x = (struct node){id, NULL, "", 0, false};
	t->n++;
	return t->slot[h] = x;
}

/* The node of id: an item's, or the stored span's, looked up now (NULL past the table's
 * room: the walk stops there). */
static struct node *nodes_get(struct nodes *t, const char *id)
{
	size_t h = nodes_slot(t, id);
	if (t->slot[h])
		return t->slot[h];
	if (t->n >= t->cap)
		return NULL;
	struct node *x = nodes_put(t, h, id);
	struct http_req *req = t->req;
	struct span st;
	json_t *root;
	/* The span's line and parse go at the release: only its two ids are kept, so a walk up
	 * through thousands of stored spans holds ids, not lines. */
	char trace[SPAN_MAX_ID * 4 + 1] = "", parent[SPAN_MAX_ID * 4 + 1] = "";
	struct arena_mark m = arena_mark(req->arena);
	if (query_span_get(api_store(req), req->ws, req->arena, id, &st, &root)) {
		snprintf(trace, sizeof trace, "%s", st.trace_id ? st.trace_id : "");
		snprintf(parent, sizeof parent, "%s", st.parent_span_id ? st.parent_span_id : "");
		span_clear(&st);
		json_decref(root);
	}
	arena_release(req->arena, m);
	x->trace = arena_strdup(req->arena, trace);
	x->parent = *parent ? arena_strdup(req->arena, parent) : NULL;
	return x;
}

/* §4.2's 409s: a span whose parent is in another trace (the parent among the items, else
 * stored), or parents that go round (a span its own parent too), through the items and the
 * stored spans alike: a batch may close a cycle that a span stored earlier began. NULL when
 * there is none. Checked before the write, outside the workspace lock: two batches that close
 * one cycle at the same instant are not seen. */
static const char *parent_problem(struct http_req *req, const struct span *s, size_t n)
{
	struct nodes t;
	nodes_init(&t, req, n);
	for (size_t i = 0; i < n; i++) {
		size_t h = nodes_slot(&t, s[i].span_id);
		struct node *x = t.slot[h] ? t.slot[h] : nodes_put(&t, h, s[i].span_id);
		x->parent =
		    s[i].parent_span_id && *s[i].parent_span_id ? s[i].parent_span_id : NULL;
		x->trace = s[i].trace_id;
		x->item = true;
	}
	for (size_t i = 0; i < n; i++) {
		const char *p = s[i].parent_span_id;
		const struct node *up = p && *p ? nodes_get(&t, p) : NULL;
		if (up && *up->trace && strcmp(up->trace, s[i].trace_id))
			return arena_printf(
			    req->arena, "Span %.200s has parent %.200s, which is in another trace",
			    s[i].span_id, p);
	}
	for (size_t i = 0; i < n; i++) {
		struct node *x = t.slot[nodes_slot(&t, s[i].span_id)];
		while (x && !x->state) {
			x->state = 1;
			x = x->parent ? nodes_get(&t, x->parent) : NULL;
		}
		/* A cycle the batch closes holds one of its items; one already stored (another
		 * API's span its own parent) is not this batch's to refuse. */
		bool ours = false;
		if (x && x->state == 1) {
			struct node *c = x;
			do {
				ours = c->item;
				c = c->parent ? nodes_get(&t, c->parent) : NULL;
			} while (!ours && c && c != x);
		}
		if (ours)
			return arena_printf(
			    req->arena, "Span %.200s is its own ancestor: its parents make a cycle",
			    x->id);
		for (x = t.slot[nodes_slot(&t, s[i].span_id)]; x && x->state == 1;
		     x = x->parent ? nodes_get(&t, x->parent) : NULL)
			x->state = 2;
	}
	return NULL;
}

/* Validates items (SpanCreateRequest), stores them, and answers with the Spans as stored. */
static enum status write_items(struct http_req *req, json_t *items, enum mode mode, bool list)
{
	struct verrs v;
	struct err e = {0};
	size_t n = json_array_size(items);
	struct writes w = {mode, arena_alloc(req->arena, (n ? n : 1) * sizeof(struct span)), n, 0,
			   NULL};
	const char **ids = arena_alloc(req->arena, (n ? n : 1) * sizeof *ids);

	verrs_init(&v);
	for (size_t i = 0; i < n; i++) {
		struct span *s = &w.spans[i];
		span_init(s);
		json_t *loc = list ? json_pack("[s,s,i]", "body", "items", (json_int_t)i)
				   : json_pack("[s]", "body");
		egp_apply(req->arena, req->ws, json_array_get(items, i), true, s, &v, loc);
		ids[i] = s->span_id ? s->span_id : "";
	}
	if (verrs_count(&v))
		return http_fail_invalid(req, &v);
	const char *cycle = parent_problem(req, w.spans, n);
	if (cycle)
		return http_fail(req, ST_CONFLICT, "%s", cycle);
	struct ingest_merge m = {ids, n, merge, &w};
	struct ingest_to to = api_ingest_to(req);
	enum status st = ingest_store(&to, w.spans, n, &m, &e);
	if (st == ST_CONFLICT || st == ST_TOO_LARGE)
		return http_fail(req, st, "%s", err_text(&e));
	if (st != ST_OK)
		return http_fail(req, st, "not stored (%s); retry later", err_text(&e));
	/* The answer: each span as it now is (an upsert that lost to a completed version answers
	 * with the completed one). */
	struct buf *out = arena_buf(req->arena), *line = arena_buf(req->arena);
	if (list)
		buf_adds(out, "{\"object\":\"list\",\"items\":[");
	for (size_t i = 0; i < n; i++) {
		struct span s;
		json_t *root;
		line->len = 0;
		if (store_get(api_store(req), req->ws, ids[i], line) != ST_OK ||
		    !span_parse(line->p, line->len, &s, &root))
			continue;
		if (list && i)
			buf_addc(out, ',');
		egp_render(out, req->arena, &s, req->ws);
	}
	if (list)
		buf_adds(out, "]}");
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

enum status egp_create(struct http_req *req)
{
	json_t *body;
	enum status st = http_fastapi_body(req, &body);
	if (st != ST_OK)
		return st;
	json_t *items = json_pack("[O]", body);
	return write_items(req, items, INSERT, false);
}

static enum status batch(struct http_req *req, enum mode mode)
{
	json_t *body;
	enum status st = http_fastapi_body(req, &body);
	if (st != ST_OK)
		return st;
	json_t *items = json_object_get(body, "items");
	/* pydantic: a member not sent is "missing", its input the object it is missing from */
	if (!items)
		return egp_invalid(req, json_pack("[s,s]", "body", "items"), "missing",
				   "Field required", json_incref(body));
	if (!json_is_array(items))
		return egp_invalid(req, json_pack("[s,s]", "body", "items"), "list_type",
				   "Input should be a valid list", json_incref(items));
	if (json_array_size(items) > EGP_MAX_BATCH) {
		struct verrs v;
		verrs_init(&v);
		egp_too_long(&v, "items", EGP_MAX_BATCH, items);
		return http_fail_invalid(req, &v);
	}
	return write_items(req, items, mode, true);
}

enum status egp_batch_insert(struct http_req *req)
{
	return batch(req, INSERT);
}

enum status egp_batch_upsert(struct http_req *req)
{
	return batch(req, UPSERT);
}

enum status egp_get(struct http_req *req)
{
	struct span s;
	json_t *root;
	if (!query_span_get(api_store(req), req->ws, req->arena, req->id, &s, &root))
		return http_fail(req, ST_NOT_FOUND, "Span %.200s not found", req->id);
	struct buf *out = arena_buf(req->arena);
	egp_render(out, req->arena, &s, req->ws);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* PATCH: only name, end_timestamp, output, metadata, status (§4.2); 404 for an unknown id. */
static void patch_apply(const void *ws, struct arena *a, json_t *obj, bool create, struct span *s,
			struct verrs *v)
{
	egp_apply(a, ws, obj, create, s, v, json_array());
}

enum status egp_patch(struct http_req *req)
{
	json_t *body;
	struct verrs v;
	struct err e = {0};
	enum status st = http_fastapi_body(req, &body);
	if (st != ST_OK)
		return st;
	struct span scratch, cur;
	json_t *root;
	if (!query_span_get(api_store(req), req->ws, req->arena, req->id, &cur, &root))
		return http_fail(req, ST_NOT_FOUND, "Span %.200s not found", req->id);
	/* Checked on a copy first, so a bad PATCH is a 422 and writes nothing. */
	span_copy(&scratch, &cur);
	verrs_init(&v);
	egp_apply(req->arena, req->ws, body, false, &scratch, &v, json_pack("[s]", "body"));
	if (verrs_count(&v))
		return http_fail_invalid(req, &v);
	struct ingest_patch p = {.apply = patch_apply, .how = req->ws, .body = body};
	const char *ids[] = {req->id};
	struct ingest_to to = api_ingest_to(req);
	if (ingest_update(&to, ids, 1, ingest_patch_merge, &p, &e) != ST_OK)
		return e.st == ST_TOO_LARGE
			   ? http_fail(req, e.st, "%s", err_text(&e))
			   : http_fail(req, e.st, "not stored (%s); retry later", err_text(&e));
	if (!p.found)
		return http_fail(req, ST_NOT_FOUND, "Span %.200s not found", req->id);
	return egp_get(req);
}
