/* request: what Opik's write handlers read of a request: the entity of the route, the JSON
 * body, its optional strings, the ids of a batch. */
#include "lib/api/opik/surface.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/json/jsonx.h"

static const char *const json_types[] = {"application/json", NULL};

enum opik_entity opik_entity_of(const struct http_req *req)
{
	return strstr(req->route->pattern, "/spans") ? OPIK_SPAN : OPIK_TRACE;
}

/* Malformed JSON is Dropwizard's 400 "Unable to process JSON" (its JsonProcessingException
 * mapper), as Opik answers it; an empty body is the 422 of a missing one. */
enum status opik_json_body(struct http_req *req, json_t **body)
{
	enum status st = http_require_type(req, json_types);
	if (st != ST_OK)
		return st;
	if (strspn(req->body, " \t\r\n") == req->body_len)
		return http_json_body(req, body);
	size_t pos = 0;
	struct err why;
	if (!(*body = jsonx_parse(req->body, req->body_len, &pos, &why)))
		return http_fail(req, ST_BAD_REQUEST, "Unable to process JSON");
	return ST_OK;
}

/* One item of a batch at r into it, in a: an object's members by the row of their field, each
 * value built as jsonx builds it, but input's and output's bytes taken as their text when they
 * are what jsonw_value writes (opik_apply's text of them); any other item built whole. False
 * when the body is not one this reads (then parsed whole). */
static bool batch_item(struct jsonx_rd *r, struct arena *a, struct opik_item *it)
{
	const char *key, *s;
	size_t kl, n, at = 0;
	int more;
	*it = (struct opik_item){0};
	if (jsonx_rd_peek(r) != '{')
		return (it->obj = jsonx_rd_value(r)) != NULL;
	if (!jsonx_rd_open(r, '{'))
		return false;
	for (size_t k = 0; (more = jsonx_rd_more(r, '}', k)) == 1; k++) {
		if (!jsonx_rd_key(r, &key, &kl))
			return false;
		int row = opik_field_of(key, kl, &at), x = opik_text_row(row);
		/* A text's name twice (the last one wins): left to the whole parse. */
		if (x >= 0 && (it->text[x] || it->vals[row]))
			return false;
		char c = jsonx_rd_peek(r);
		if (x >= 0 && (c == '{' || c == '[' || c == '"') && jsonx_rd_written(r, &s, &n)) {
			it->text[x] = arena_strndup(a, s, n);
			continue;
		}
		json_t *v = jsonx_rd_value(r);
		if (!v)
			return false;
		/* A member of no field is read (the body must be JSON) and left, as opik_apply
		 * leaves it; a name twice, the last value wins, as jsonx_parse builds it. */
		if (row < 0) {
			json_decref(v);
			continue;
		}
		json_decref(it->vals[row]);
		it->vals[row] = v;
	}
	return !more;
}

/* The values of items it[0..n) released (a body read whole instead drops what was built: a
 * request's arena keeps it to the reset, any other caller owns it). */
static void items_release(struct opik_item *it, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		json_decref(it[k].obj);
		for (size_t f = 0; f < OPIK_FIELDS; f++)
			json_decref(it[k].vals[f]);
	}
}

/* The items of a body {"<list>": [...], ...} read by batch_item into *items (n of them, the
 * request's arena); false when it is not such a body, or not JSON. */
static bool batch_read(struct http_req *req, const char *list, struct opik_item **items, size_t *n)
{
	struct jsonx_rd r;
	struct opik_item *it = arena_alloc(req->arena, OPIK_MAX_BATCH * sizeof *it);
	bool ok = false, seen = false;
	int more;
	size_t started = 0; /* the items batch_item began */
	*n = 0;
	jsonx_rd_init(&r, req->body, req->body_len);
	if (!jsonx_rd_open(&r, '{'))
		goto out;
	for (size_t k = 0; (more = jsonx_rd_more(&r, '}', k)) == 1; k++) {
		const char *key;
		size_t kl;
		json_t *v;
		if (!jsonx_rd_key(&r, &key, &kl))
			goto out;
		if (kl != strlen(list) || memcmp(key, list, kl)) {
			/* Another member: read (the body must be JSON) and left, as opik_batch
			 * does. */
			if (!(v = jsonx_rd_value(&r)))
				goto out;
			json_decref(v);
			continue;
		}
		/* The list named twice, or no array: left to the whole parse and its answer. */
		if (seen || !jsonx_rd_open(&r, '['))
			goto out;
		seen = true;
		int more_items;
		for (; (more_items = jsonx_rd_more(&r, ']', *n)) == 1; ++*n) {
			if (*n == OPIK_MAX_BATCH)
				goto out;
			started = *n + 1;
			if (!batch_item(&r, req->arena, &it[*n]))
				goto out;
		}
		if (more_items)
			goto out;
	}
	ok = !more && *n && jsonx_rd_end(&r);
out:
	jsonx_rd_free(&r);
	if (!ok)
		items_release(it, started);
	*items = ok ? it : NULL;
	return ok;
}

enum status opik_batch_body(struct http_req *req, const char *list, json_t **items,
			    struct opik_item **read, size_t *n)
{
	json_t *body;
	*items = NULL;
	enum status st = http_require_type(req, json_types);
	if (st != ST_OK || batch_read(req, list, read, n))
		return st;
	if ((st = opik_json_body(req, &body)) == ST_OK)
		*items = json_object_get(body, list);
	return st;
}

enum status opik_json_object(struct http_req *req, json_t **body, struct verrs *v)
{
	enum status st = opik_json_body(req, body);
	verrs_init(v);
	if (st == ST_OK && !json_is_object(*body))
		verrs_add(v, json_pack("[s]", "body"), "dict_type", "must be an object", NULL);
	return st;
}

void opik_batch_ids(struct http_req *req, json_t *ids, const char ***out, struct verrs *v)
{
	size_t i, n = json_array_size(ids);
	json_t *x;
	const char **list = arena_alloc(req->arena, (n ? n : 1) * sizeof *list);
	if (!json_is_array(ids) || n < 1 || n > OPIK_MAX_BATCH)
		verrs_add(v, json_pack("[s,s]", "body", "ids"), "value_error",
			  "size must be between 1 and 1000", NULL);
	json_array_foreach(ids, i, x)
	{
		if (!json_is_string(x) || span_id_problem(json_string_value(x)))
			verrs_add(v, json_pack("[s,s,i]", "body", "ids", (json_int_t)i),
				  "string_type", "must be an id", NULL);
		list[i] = json_string_value(x);
	}
	*out = list;
}

bool opik_opt_str(json_t *o, const char *k, const char **out)
{
	json_t *x = json_object_get(o, k);
	*out = json_string_value(x);
	return !x || json_is_null(x) || json_is_string(x);
}

bool opik_number(const char *s, double *out)
{
	char *end;
	if (!*s || strspn(s, "0123456789+-.eE") != strlen(s))
		return false;
	*out = strtod(s, &end);
	return !*end && isfinite(*out);
}

const char *opik_cursor(json_t *body, const char *k)
{
	const char *s = json_string_value(json_object_get(body, k));
	return s && *s ? s : NULL;
}

/* An Integer member as Jackson reads one: a number (a fraction cut toward zero), or the text of
 * an integer; false for anything else or past Java's int. */
static bool jackson_int(json_t *x, long long *out)
{
	double d;
	if (json_is_integer(x)) {
		*out = json_integer_value(x);
	} else if (json_is_real(x)) {
		d = trunc(json_real_value(x));
		if (!(d >= INT32_MIN && d <= INT32_MAX))
			return false;
		*out = (long long)d;
	} else if (json_is_string(x)) {
		const char *s = json_string_value(x), *p = s + (*s == '-' || *s == '+');
		if (!*p || strspn(p, "0123456789") != strlen(p) || strlen(p) > 10)
			return false;
		*out = strtoll(s, NULL, 10);
	} else {
		return false;
	}
	return *out >= INT32_MIN && *out <= INT32_MAX;
}

enum status opik_search_limit(struct http_req *req, json_t *body, long long *limit)
{
	json_t *lim = json_object_get(body, "limit");
	*limit = OPIK_SEARCH_LIMIT;
	if (lim && !json_is_null(lim) && !jackson_int(lim, limit))
		return http_fail(req, ST_BAD_REQUEST, "Unable to process JSON");
	if (*limit >= 1 && *limit <= OPIK_MAX_SEARCH_LIMIT)
		return ST_OK;
	struct verrs v;
	verrs_init(&v);
	char msg[64];
	if (*limit < 1)
		snprintf(msg, sizeof msg, "must be greater than or equal to 1");
	else
		snprintf(msg, sizeof msg, "must be less than or equal to %d",
			 OPIK_MAX_SEARCH_LIMIT);
	verrs_add(&v, json_pack("[s,s]", "body", "limit"), "value_error", msg, json_incref(lim));
	return http_fail_invalid(req, &v);
}

void opik_project_pick(const char **name, const char **id)
{
	if (opik_blank(*id))
		*id = NULL;
	if (opik_blank(*name) || *id)
		*name = NULL;
}

bool opik_blank(const char *s)
{
	while (s && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++;
	return !s || !*s;
}

void opik_need_str(struct verrs *v, json_t *body, const char *k, const char **out)
{
	if (!opik_opt_str(body, k, out) || opik_blank(*out))
		verrs_add(v, json_pack("[s,s]", "body", k), "missing", "must not be blank", NULL);
}

void opik_need_strs(struct verrs *v, json_t *body, const char *k, size_t min, bool blank_ok)
{
	json_t *list = json_object_get(body, k), *x;
	size_t i, n = json_array_size(list);
	if (!list || json_is_null(list))
		verrs_add(v, json_pack("[s,s]", "body", k), "missing", "must not be null", NULL);
	else if (!json_is_array(list) || n < min || n > OPIK_MAX_BATCH)
		verrs_add(v, json_pack("[s,s]", "body", k), "list_type",
			  min ? "size must be between 1 and 1000" : "size must be at most 1000",
			  NULL);
	json_array_foreach(list, i, x) if (!json_is_string(x) ||
					   (!blank_ok && opik_blank(json_string_value(x))))
	    verrs_add(v, json_pack("[s,s,I]", "body", k, (json_int_t)i), "string_type",
		      "must not be blank", NULL);
}
