/* erasure: erase requests in NeMo Intake's style (docs/api-intake.md, "Erasure"; issue 52):
 * POST .../erasures with a JSON body naming what to erase answers 202 with the request, GET
 * .../erasures/{id} says whether it is pending or done. Admin keys only. The work is
 * lib/store's (store_erase; `spandex erase --pending` finishes it). */
#include "lib/api/intake/intake.h"

#include <string.h>
#include "lib/base/time.h"
#include "lib/base/utf8.h"
#include "lib/json/jsonw.h"
#include "lib/model/verr.h"
#include "lib/store/ops.h"

/* The members of the body: one id, or a time range (start and end, RFC 3339); the kind of
 * erasure each id member names. */
static const char *const members[] = {"trace_id",     "session_id", "user_id",
				      "judgement_id", "start",	    "end"};
static const enum store_erase_by member_by[] = {STORE_ERASE_TRACE, STORE_ERASE_SESSION,
						STORE_ERASE_USER, STORE_ERASE_JUDGEMENT};
#define NMEMBERS (sizeof members / sizeof *members)
#define NIDS (sizeof member_by / sizeof *member_by)

/* The request's state as the API shows it: the stored request with its id as erasure_id. */
static enum status reply_state(struct http_req *req, int code, const char *id)
{
	struct buf *raw = arena_buf(req->arena), *out = arena_buf(req->arena);
	struct err e = {0};
	if (store_erase_status(api_store(req), req->ws, id, raw, &e) != ST_OK)
		return http_fail(req, ST_NOT_FOUND, "Erasure %.200s/%.100s not found", req->ws, id);
	json_t *r = json_loadb(raw->p, raw->len, 0, NULL), *o = json_object(), *v;
	const char *k;
	json_object_set_new(o, "erasure_id", json_string(id));
	json_object_foreach(r, k, v) if (strcmp(k, "id")) json_object_set(o, k, v);
	jsonw_value(out, o);
	http_reply_json(req, code, out->p, out->len);
	return ST_OK;
}

/* Checks one member of the body into *w (FastAPI's items into v). */
static void member(json_t *body, size_t k, struct store_erase_what *w, const char **one,
		   struct verrs *v)
{
	json_t *x = json_object_get(body, members[k]), *loc = json_pack("[s]", "body");
	const char *s = json_string_value(x);
	size_t n = s ? strlen(s) : 0;
	if (!x)
		goto out;
	if (!s)
		verrs_add_field(v, loc, members[k], "string_type", "Input should be a valid string",
				x);
	else if (!n || n > STORE_ERASE_MAX_VALUE || !utf8_valid(s, n))
		verrs_add_field(v, loc, members[k], n ? "string_too_long" : "string_too_short",
				n ? "String should have at most 1024 characters"
				  : "String should have at least 1 character",
				x);
	else if (k < NIDS) {
		w->by = member_by[k];
		*one = s;
		w->n = 1;
	} else if (!time_parse(s, true, k == NIDS ? &w->from_us : &w->to_us))
		verrs_add_field(v, loc, members[k], "datetime_from_date_parsing",
				"Input should be a valid datetime", x);
out:
	json_decref(loc);
}

enum status intake_post_erasure(struct http_req *req)
{
	json_t *body, *x;
	struct verrs v;
	struct store_erase_what w = {.from_us = INT64_MIN};
	const char *one = NULL, *k;
	enum status st = http_fastapi_body(req, &body);
	if (st != ST_OK)
		return st;
	verrs_init(&v);
	if (!json_is_object(body)) {
		verrs_add(&v, json_pack("[s]", "body"), "model_attributes_type",
			  "Input should be a valid dictionary or object to extract fields from",
			  json_incref(body));
		return http_fail_invalid(req, &v);
	}
	json_object_foreach(body, k, x)
	{
		size_t i = 0;
		while (i < NMEMBERS && strcmp(members[i], k))
			i++;
		if (i == NMEMBERS)
			verrs_add(&v, json_pack("[s,s]", "body", k), "extra_forbidden",
				  "Extra inputs are not permitted", json_incref(x));
	}
	for (size_t i = 0; i < NMEMBERS; i++)
		member(body, i, &w, &one, &v);
	bool range = json_object_get(body, "start") || json_object_get(body, "end");
	size_t named = range;
	for (size_t i = 0; i < NIDS; i++)
		named += !!json_object_get(body, members[i]);
	if (!verrs_count(&v) && (named != 1 || (range && !(json_object_get(body, "start") &&
							   json_object_get(body, "end")))))
		verrs_add(&v, json_pack("[s]", "body"), "value_error",
			  "Value error, name one of trace_id, session_id, user_id, judgement_id, "
			  "or start "
			  "and end",
			  json_incref(body));
	if (verrs_count(&v))
		return http_fail_invalid(req, &v);
	if (range)
		w.by = STORE_ERASE_TIME, w.n = 0;
	w.values = &one;
	struct store_erase_ack ack;
	struct err e = {0};
	const char *by =
	    arena_printf(req->arena, "intake:%s", req->principal ? req->principal : "-");
	if (store_erase(api_store(req), req->ws, &w, by, &ack, &e) != ST_OK)
		return http_fail(req, e.st, "%s", err_text(&e));
	return reply_state(req, 202, ack.id);
}

enum status intake_get_erasure(struct http_req *req)
{
	return reply_state(req, 200, req->id);
}
