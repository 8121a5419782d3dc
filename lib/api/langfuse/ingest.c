/* ingest: POST /api/public/ingestion (ingestion.yml), the batch its v2/v3 SDKs post: trace,
 * observation and score events, answered 207 with each event's success or error as Langfuse's
 * processEventBatch answers them (its envelope id, 201; or 400 and why). The events of one id
 * merge in Langfuse's order, creates before updates and each by its timestamp, over what is
 * stored, in one store_update of the whole batch: an update before its create (another batch,
 * a retry) writes a row the create completes, as Opik's PATCH before its create does. */
#include "lib/api/langfuse/surface.h"
#include "lib/api/langfuse/map.h"
#include "lib/api/langfuse/scores.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/time.h"
#include "lib/json/jsonw.h"
#include "lib/model/catalog.h"
#include "lib/model/price.h"

struct event {
	const char *eid; /* the envelope's id: what the answer names */
	int64_t ts;
	const struct langfuse_etype *t;
	json_t *body;
	const char *id; /* the body's id: what it writes */
	size_t order;	/* in the batch */
	const char *error;
};

/* The events of one id, in the order they apply. */
struct group {
	const char *id;
	enum langfuse_entity ent;
	struct event **ev;
	size_t n;
};

struct batch {
	struct http_req *req;
	struct event *ev;
	size_t nev;
	struct group *g;
	size_t ng;
	const struct prices *prices;
};

/* Creates before updates, each by its timestamp, then in the batch's order (sortBatch). */
static int by_apply(const void *x, const void *y)
{
	const struct event *a = *(struct event *const *)x, *b = *(struct event *const *)y;
	if (a->t->update != b->t->update)
		return a->t->update ? 1 : -1;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static int by_id(const void *x, const void *y)
{
	return strcmp(((const struct group *)x)->id, ((const struct group *)y)->id);
}

/* Why cur, stored under a trace's id, cannot take an observation's event, or the reverse: one
 * id is one row here, where Langfuse keeps two tables. NULL when it can. */
static const char *entity_clash(const struct group *g, const struct span *cur)
{
	if (!cur || span_is_deleted(cur) || (g->ent == LF_TRACE) == langfuse_is_trace_row(cur))
		return NULL;
	return g->ent == LF_TRACE ? "The id is already an observation's"
				  : "The id is already a trace's";
}

static enum status merge(void *ctx, struct arena *a, const char *id, const struct span *cur,
			 struct span *out, struct err *e)
{
	struct batch *b = ctx;
	struct group key = {.id = id}, *g = bsearch(&key, b->g, b->ng, sizeof *b->g, by_id);
	(void)e;
	if (!g)
		return ST_OK;
	const char *clash = entity_clash(g, cur);
	if (clash) {
		for (size_t i = 0; i < g->n; i++)
			g->ev[i]->error = clash;
		return ST_OK; /* no change */
	}
	bool fresh = !cur || span_is_deleted(cur);
	if (fresh)
		span_init(out);
	else
		span_copy(out, cur);
	for (size_t i = 0; i < g->n; i++) {
		struct langfuse_apply ap = {b->req->ws, g->ev[i]->t, g->ev[i]->body, g->ev[i]->ts};
		langfuse_apply(a, &ap, fresh && i == 0, out);
	}
	langfuse_finish(a, b->req->ws, out);
	if (g->ent == LF_OBSERVATION) {
		catalog_check_cost(out);
		if (b->prices)
			prices_apply(b->prices, out, true);
	}
	return ST_OK;
}

/* The envelope of event x (BaseEvent): why it is refused, or NULL with ev filled. */
static const char *envelope(struct arena *a, json_t *x, struct event *ev)
{
	json_t *id = json_object_get(x, "id"), *ts = json_object_get(x, "timestamp");
	json_t *type = json_object_get(x, "type"), *body = json_object_get(x, "body");
	if (!json_is_object(x))
		return "Expected object, received something else";
	if (!json_is_string(id) || !json_string_length(id) || json_string_length(id) > 800)
		return "id: Expected a string of 1 to 800 characters";
	ev->eid = arena_strdup(a, json_string_value(id));
	if (!json_is_string(ts) || !time_parse(json_string_value(ts), true, &ev->ts))
		return "timestamp: Invalid ISO datetime";
	if (!(ev->t = langfuse_etype_find(json_string_value(type))))
		return arena_printf(a, "type: Invalid discriminator value '%.100s'",
				    json_is_string(type) ? json_string_value(type) : "");
	if (!json_is_object(body))
		return "body: Expected object";
	ev->body = body;
	json_t *bid = json_object_get(body, "id");
	ev->id = json_is_string(bid) ? arena_strdup(a, json_string_value(bid)) : NULL;
	return ev->t->ent == LF_LOG ? NULL : langfuse_check_body(a, ev->t, body);
}

/* {"id","status":400,"message":"Invalid request data","error": why} (aggregateBatchResult). */
static void error_item(struct buf *out, bool *first, const char *id, int status, const char *msg,
		       const char *why)
{
	buf_adds(out, *first ? "{\"id\":" : ",{\"id\":");
	*first = false;
	jsonw_string(out, id, strlen(id));
	buf_printf(out, ",\"status\":%d,\"message\":", status);
	jsonw_string(out, msg, strlen(msg));
	buf_adds(out, ",\"error\":");
	jsonw_string(out, why, strlen(why));
	buf_addc(out, '}');
}

/* Groups the valid trace and observation events by id, sorted for the merge's lookup. */
static void group(struct batch *b)
{
	struct arena *a = b->req->arena;
	b->g = arena_alloc(a, (b->nev ? b->nev : 1) * sizeof *b->g);
	for (size_t i = 0; i < b->nev; i++) {
		struct event *ev = &b->ev[i];
		if (ev->error || !ev->id ||
		    (ev->t->ent != LF_TRACE && ev->t->ent != LF_OBSERVATION))
			continue;
		size_t k = 0;
		while (k < b->ng && strcmp(b->g[k].id, ev->id))
			k++;
		if (k == b->ng) {
			b->g[b->ng++] = (struct group){ev->id, ev->t->ent, NULL, 0};
			b->g[k].ev = arena_alloc(a, (b->nev - i) * sizeof *b->g[k].ev);
		}
		if (b->g[k].ent != ev->t->ent) {
			ev->error = ev->t->ent == LF_TRACE
					? "The id is an observation's in this batch"
					: "The id is a trace's in this batch";
			continue;
		}
		b->g[k].ev[b->g[k].n++] = ev;
	}
	for (size_t k = 0; k < b->ng; k++)
		qsort(b->g[k].ev, b->g[k].n, sizeof *b->g[k].ev, by_apply);
	qsort(b->g, b->ng, sizeof *b->g, by_id);
}

/* The batch's traces and observations in one store_update (through lib/ingest, which redacts). */
static enum status store_spans(struct batch *b)
{
	struct http_req *req = b->req;
	struct err e = {0}, pe = {0};
	if (!b->ng)
		return ST_OK;
	b->prices = prices_load(http_env(req, "SPANDEX_PRICES"), &pe);
	if (pe.st)
		fprintf(stderr, "spandex: %s; observations stored without computed costs\n",
			pe.msg);
	const char **ids = arena_alloc(req->arena, b->ng * sizeof *ids);
	for (size_t k = 0; k < b->ng; k++)
		ids[k] = b->g[k].id;
	struct ingest_to to = api_ingest_to(req);
	if (ingest_update(&to, ids, b->ng, merge, b, &e) != ST_OK)
		return e.st == ST_TOO_LARGE /* a payload over MEDIA_MAX_BYTES: not worth a retry */
			   ? http_fail(req, e.st, "%s", err_text(&e))
			   : http_fail(req, e.st, "not stored (%s); retry later", err_text(&e));
	return ST_OK;
}

/* The batch's scores, after its spans so that a score finds the trace it names. */
static enum status store_scores(struct batch *b)
{
	struct http_req *req = b->req;
	struct judgement *js = arena_alloc(req->arena, (b->nev ? b->nev : 1) * sizeof *js);
	struct event **of = arena_alloc(req->arena, (b->nev ? b->nev : 1) * sizeof *of);
	struct langfuse_targets *cache = langfuse_targets_new(req);
	size_t n = 0;
	for (size_t i = 0; i < b->nev; i++) {
		struct event *ev = &b->ev[i];
		if (ev->error || ev->t->ent != LF_SCORE)
			continue;
		if ((ev->error = langfuse_score_read(req, cache, ev->body, ev->ts, &js[n])))
			continue;
		of[n++] = ev;
	}
	return langfuse_scores_put(req, js, n);
}

static enum status reply(struct batch *b)
{
	struct buf *out = arena_buf(b->req->arena);
	bool first = true;
	buf_adds(out, "{\"successes\":[");
	for (size_t i = 0; i < b->nev; i++) {
		struct event *ev = &b->ev[i];
		if (ev->error || ev->t->ent == LF_LOG)
			continue;
		buf_adds(out, first ? "{\"id\":" : ",{\"id\":");
		first = false;
		jsonw_string(out, ev->eid, strlen(ev->eid));
		buf_adds(out, ",\"status\":201}");
	}
	buf_adds(out, "],\"errors\":[");
	first = true;
	for (size_t i = 0; i < b->nev; i++)
		if (b->ev[i].error)
			error_item(out, &first, b->ev[i].eid ? b->ev[i].eid : "unknown", 400,
				   "Invalid request data", b->ev[i].error);
	buf_adds(out, "]}");
	http_reply_json(b->req, 207, out->p, out->len);
	return ST_OK;
}

enum status langfuse_ingestion(struct http_req *req)
{
	json_t *body, *list, *x;
	enum status st = langfuse_json_body(req, &body);
	size_t i;
	if (st != ST_OK || !body)
		return st;
	list = json_object_get(body, "batch");
	if (!json_is_array(list) || json_array_size(list) > LF_MAX_BATCH) {
		/* The handler's own 400 for a body that is no batch: "errors", a list of texts. */
		static const char bad[] = "{\"message\":\"Invalid request data\",\"errors\":"
					  "[\"batch: Expected an array of at most 1000 events\"]}";
		http_reply_json(req, 400, bad, sizeof bad - 1);
		return ST_OK;
	}
	struct batch b = {req,
			  arena_alloc(req->arena, (json_array_size(list) + 1) * sizeof *b.ev),
			  json_array_size(list),
			  NULL,
			  0,
			  NULL};
	json_array_foreach(list, i, x)
	{
		memset(&b.ev[i], 0, sizeof b.ev[i]);
		b.ev[i].order = i;
		b.ev[i].error = envelope(req->arena, x, &b.ev[i]);
	}
	group(&b);
	if ((st = store_spans(&b)) != ST_OK || (st = store_scores(&b)) != ST_OK)
		return st;
	return reply(&b);
}
