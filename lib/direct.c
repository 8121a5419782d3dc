/* direct: the provider-neutral spans ingest (DirectSpansIngestRequest, reference section 4.4)
 * validated into typed spans. */
#include "lib/direct.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const top_keys[] = {"source", "spans", NULL};
static const char *const span_keys[] = {"span_id",    "trace_id", "session_id", "parent_span_id",
					"name",       "kind",     "status",     "started_at",
					"ended_at",   "input",    "output",     "attributes",
					NULL};

/* loc of a field: ["body", field] or ["body", "spans", i, field]. */
static json_t *loc(long i, const char *field)
{
	if (i < 0)
		return json_pack("[s,s]", "body", field);
	return field ? json_pack("[s,s,i,s]", "body", "spans", (json_int_t)i, field)
		     : json_pack("[s,s,i]", "body", "spans", (json_int_t)i);
}

static void extra_keys(struct verrs *v, long i, json_t *o, const char *const *allowed)
{
	const char *k;
	json_t *x;
	json_object_foreach(o, k, x) {
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = !strcmp(*a, k);
		if (!ok)
			verrs_add(v, loc(i, k), "extra_forbidden", "Extra inputs are not permitted",
				  json_incref(x));
	}
}

/* A string field of 1..max characters (code points, as pydantic counts). */
static const char *str_field(struct verrs *v, long i, json_t *o, const char *key, bool required,
			     size_t min, size_t max)
{
	json_t *x = json_object_get(o, key);
	if (!x || (json_is_null(x) && !required)) {
		if (required)
			verrs_add(v, loc(i, key), "missing", "Field required", NULL);
		return NULL;
	}
	if (!json_is_string(x)) {
		verrs_add(v, loc(i, key), "string_type", "Input should be a valid string",
			  json_incref(x));
		return NULL;
	}
	const char *s = json_string_value(x);
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p & 0xc0) != 0x80;
	char msg[96];
	if (n < min) {
		snprintf(msg, sizeof(msg), "String should have at least %zu character%s", min,
			 min == 1 ? "" : "s");
		verrs_add_ctx(v, loc(i, key), "string_too_short", msg, json_incref(x),
			      json_pack("{s:I}", "min_length", (json_int_t)min));
		return NULL;
	}
	if (n > max) {
		snprintf(msg, sizeof(msg), "String should have at most %zu characters", max);
		verrs_add_ctx(v, loc(i, key), "string_too_long", msg, json_incref(x),
			      json_pack("{s:I}", "max_length", (json_int_t)max));
		return NULL;
	}
	return s;
}

static int enum_field(struct verrs *v, long i, json_t *o, const char *key,
		      const char *const *names, int count, int def)
{
	json_t *x = json_object_get(o, key);
	if (!x || json_is_null(x))
		return def;
	for (int k = 0; json_is_string(x) && k < count; k++)
		if (!strcmp(names[k], json_string_value(x)))
			return k;
	/* pydantic: "Input should be 'a', 'b' or 'c'" */
	struct buf m;
	buf_init(&m);
	buf_adds(&m, "Input should be ");
	for (int k = 0; k < count; k++)
		buf_printf(&m, "%s'%s'", k == 0 ? "" : k == count - 1 ? " or " : ", ", names[k]);
	struct buf e;
	buf_init(&e);
	for (int k = 0; k < count; k++)
		buf_printf(&e, "%s'%s'", k ? ", " : "", names[k]);
	verrs_add_ctx(v, loc(i, key), "enum", m.p, json_incref(x),
		      json_pack("{s:s}", "expected", e.p));
	buf_free(&m);
	buf_free(&e);
	return def;
}

/* A datetime that must carry a UTC offset (the request model uses AwareDatetime). */
static bool time_field(struct verrs *v, long i, json_t *o, const char *key, bool required,
		       int64_t *us)
{
	json_t *x = json_object_get(o, key);
	*us = SPAN_NONE_I64;
	if (!x || (json_is_null(x) && !required)) {
		if (required)
			verrs_add(v, loc(i, key), "missing", "Field required", NULL);
		return !required;
	}
	int64_t tmp;
	if (!json_is_string(x) || !time_parse(json_string_value(x), false, &tmp)) {
		verrs_add(v, loc(i, key), "datetime_from_date_parsing",
			  "Input should be a valid datetime", json_incref(x));
		return false;
	}
	if (!time_parse(json_string_value(x), true, us)) {
		verrs_add(v, loc(i, key), "timezone_aware", "Input should have timezone info",
			  json_incref(x));
		return false;
	}
	return true;
}

/* input/output: strings are kept, any other JSON value becomes compact JSON. */
static const char *any_text(struct arena *a, json_t *x)
{
	if (!x || json_is_null(x))
		return NULL;
	if (json_is_string(x))
		return json_string_value(x);
	struct buf b;
	buf_init(&b);
	buf_json_value(&b, x);
	char *s = arena_strndup(a, b.p, b.len);
	buf_free(&b);
	return s;
}

static bool source_ok(const char *s)
{
	/* ^[A-Za-z0-9][A-Za-z0-9_.-]*$ */
	for (size_t k = 0; s[k]; k++) {
		char c = s[k];
		bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (k == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

struct idh {
	uint64_t h;
	size_t i;
};

static int cmp_idh(const void *a, const void *b)
{
	const struct idh *x = a, *y = b;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

static void value_error(struct verrs *v, long i, const char *field, const char *msg)
{
	char m[256];
	snprintf(m, sizeof(m), "Value error, %s", msg);
	verrs_add(v, loc(i, field), "value_error", m, NULL);
}

size_t direct_parse(struct arena *a, const char *ws, json_t *body, struct span **out,
		    struct verrs *v)
{
	*out = NULL;
	if (!json_is_object(body)) {
		verrs_add(v, json_pack("[s]", "body"), "model_attributes_type",
			  "Input should be a valid dictionary or object to extract fields from",
			  json_incref(body));
		return 0;
	}
	extra_keys(v, -1, body, top_keys);
	const char *source = str_field(v, -1, body, "source", true, 1, DIRECT_MAX_SOURCE);
	if (source && !source_ok(source))
		verrs_add_ctx(v, loc(-1, "source"), "string_pattern_mismatch",
			      "String should match pattern '^[A-Za-z0-9][A-Za-z0-9_.-]*$'",
			      json_string(source),
			      json_pack("{s:s}", "pattern", "^[A-Za-z0-9][A-Za-z0-9_.-]*$"));
	json_t *spans = json_object_get(body, "spans");
	if (!spans) {
		verrs_add(v, loc(-1, "spans"), "missing", "Field required", NULL);
		return 0;
	}
	if (!json_is_array(spans)) {
		verrs_add(v, loc(-1, "spans"), "list_type", "Input should be a valid list",
			  json_incref(spans));
		return 0;
	}
	size_t n = json_array_size(spans);
	if (n < 1 || n > DIRECT_MAX_SPANS) {
		char m[128];
		snprintf(m, sizeof(m), "List should have %s %d item%s after validation, not %zu",
			 n < 1 ? "at least" : "at most", n < 1 ? 1 : DIRECT_MAX_SPANS,
			 n < 1 ? "" : "s", n);
		verrs_add_ctx(v, loc(-1, "spans"), n < 1 ? "too_short" : "too_long", m, NULL,
			      json_pack("{s:s,s:i,s:I}", "field_type", "List",
					n < 1 ? "min_length" : "max_length", n < 1 ? 1 : DIRECT_MAX_SPANS,
					"actual_length", (json_int_t)n));
		return 0;
	}
	struct span *s = arena_alloc(a, n * sizeof(*s));
	for (size_t k = 0; k < n; k++) {
		long i = (long)k;
		json_t *o = json_array_get(spans, k);
		span_init(&s[k]);
		if (!json_is_object(o)) {
			verrs_add(v, loc(i, NULL), "model_attributes_type",
				  "Input should be a valid dictionary or object to extract fields from",
				  json_incref(o));
			continue;
		}
		extra_keys(v, i, o, span_keys);
		s[k].workspace = ws;
		s[k].source = source;
		s[k].span_id = str_field(v, i, o, "span_id", true, 1, DIRECT_MAX_ID);
		s[k].trace_id = str_field(v, i, o, "trace_id", true, 1, DIRECT_MAX_ID);
		s[k].session_id = str_field(v, i, o, "session_id", false, 1, DIRECT_MAX_ID);
		s[k].parent_span_id = str_field(v, i, o, "parent_span_id", false, 1, DIRECT_MAX_ID);
		s[k].name = str_field(v, i, o, "name", false, 0, DIRECT_MAX_ID);
		if (!s[k].name)
			s[k].name = "";
		s[k].kind = enum_field(v, i, o, "kind", span_kind_names, KIND__COUNT, KIND_UNKNOWN);
		s[k].status =
			enum_field(v, i, o, "status", span_status_names, SPST__COUNT, SPST_UNKNOWN);
		bool t1 = time_field(v, i, o, "started_at", true, &s[k].started_at);
		bool t2 = time_field(v, i, o, "ended_at", false, &s[k].ended_at);
		s[k].input = any_text(a, json_object_get(o, "input"));
		s[k].output = any_text(a, json_object_get(o, "output"));
		json_t *attrs = json_object_get(o, "attributes");
		if (attrs && !json_is_null(attrs) && !json_is_object(attrs)) {
			verrs_add(v, loc(i, "attributes"), "dict_type",
				  "Input should be a valid dictionary", json_incref(attrs));
		} else if (json_object_size(attrs) > DIRECT_MAX_ATTRIBUTES) {
			char m[96];
			snprintf(m, sizeof(m), "Value error, at most %d attributes per span",
				 DIRECT_MAX_ATTRIBUTES);
			verrs_add(v, loc(i, "attributes"), "value_error", m, NULL);
		} else if (attrs) {
			span_apply_attributes(a, &s[k], attrs);
		}
		if (!s[k].session_id)
			s[k].session_id = s[k].trace_id;
		if (s[k].span_id && s[k].parent_span_id &&
		    !strcmp(s[k].span_id, s[k].parent_span_id))
			value_error(v, i, "parent_span_id", "parent_span_id must differ from span_id");
		if (t1 && t2 && s[k].ended_at != SPAN_NONE_I64 && s[k].ended_at < s[k].started_at)
			value_error(v, i, "ended_at", "ended_at must not be before started_at");
		/* Unlike the ClickHouse-backed service there is no age limit on started_at:
		 * retention is the operator's choice, made by cron. */
	}
	/* (trace_id, span_id) pairs are unique within a batch: sort by hash, compare neighbours. */
	struct idh *ids = arena_alloc(a, n * sizeof(*ids));
	size_t nid = 0;
	for (size_t k = 0; k < n; k++)
		if (s[k].span_id && s[k].trace_id)
			ids[nid++] = (struct idh){hash64(s[k].span_id, strlen(s[k].span_id)) ^
							  hash64(s[k].trace_id, strlen(s[k].trace_id)),
						  k};
	qsort(ids, nid, sizeof(*ids), cmp_idh);
	for (size_t k = 1; k < nid; k++) {
		const struct span *x = &s[ids[k - 1].i], *y = &s[ids[k].i];
		if (ids[k].h == ids[k - 1].h && !strcmp(x->span_id, y->span_id) &&
		    !strcmp(x->trace_id, y->trace_id)) {
			char msg[160];
			snprintf(msg, sizeof(msg),
				 "duplicate span in batch: spans[%zu] has the same trace_id and span_id",
				 ids[k - 1].i);
			value_error(v, (long)ids[k].i, "span_id", msg);
		}
	}
	if (verrs_count(v)) {
		for (size_t k = 0; k < n; k++)
			span_clear(&s[k]);
		return 0;
	}
	*out = s;
	return n;
}
