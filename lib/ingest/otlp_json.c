/* otlp_json: the OTLP/JSON ExportTraceServiceRequest (otel-egp.md 1.3) into struct raw_span, and
 * the ExportLogsServiceRequest into struct raw_log. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ingest/otlp_int.h"
#include "lib/json/jsonx.h"
#include "lib/base/arena.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"

/* obj[key] when present and not null (proto3 JSON: null means the default); a value of the
 * wrong JSON type fails the request. */
static json_t *jtype(struct dec *d, json_t *v, const char *key, json_type t);

static json_t *jget(struct dec *d, json_t *obj, const char *key, json_type t)
{
	return jtype(d, json_object_get(obj, key), key, t);
}

/* jget of member key's value v (NULL: absent). */
static json_t *jtype(struct dec *d, json_t *v, const char *key, json_type t)
{
	static const char *const names[] = {"an object", "an array",  "a string",  "an integer",
					    "a number",	 "a boolean", "a boolean", "null"};

	if (!v || json_is_null(v))
		return NULL;
	if (json_typeof(v) == t || (t == JSON_TRUE && json_is_boolean(v)))
		return v;
	otlp_fail(d, "%s must be %s", key, names[t]);
	return NULL;
}

static const char *jstr(struct dec *d, json_t *obj, const char *key)
{
	json_t *v = jget(d, obj, key, JSON_STRING);

	return v ? json_string_value(v) : "";
}

/* 64-bit integers arrive as JSON numbers or decimal strings; neither goes through a
 * double (otel-egp.md 1.3 rule 5). */
static bool j64v(struct dec *d, json_t *v, const char *key, bool is_signed, uint64_t *out);

static bool j64(struct dec *d, json_t *obj, const char *key, bool is_signed, uint64_t *out)
{
	return j64v(d, json_object_get(obj, key), key, is_signed, out);
}

/* j64 of member key's value v (NULL: absent). */
static bool j64v(struct dec *d, json_t *v, const char *key, bool is_signed, uint64_t *out)
{
	const char *s;
	char *end;

	*out = 0;
	if (!v || json_is_null(v))
		return true;
	if (json_is_integer(v)) {
		if (!is_signed && json_integer_value(v) < 0)
			return otlp_fail(d, "%s must not be negative", key);
		*out = (uint64_t)json_integer_value(v);
		return true;
	}
	if (!json_is_string(v))
		return otlp_fail(d, "%s must be an integer or a decimal string", key);
	s = json_string_value(v);
	errno = 0;
	if (is_signed && (*s == '-' || (*s >= '0' && *s <= '9')))
		*out = (uint64_t)strtoll(s, &end, 10);
	else if (!is_signed && *s >= '0' && *s <= '9')
		*out = strtoull(s, &end, 10);
	else
		return otlp_fail(d, "%s must be an integer or a decimal string", key);
	if (errno || *end || end == s || (s[0] == '-' && end == s + 1))
		return otlp_fail(d, "%s is not a 64-bit integer: \"%.32s\"", key, s);
	return true;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* OTLP/JSON ids are hex, any case (otel-egp.md 1.3 rule 1); base64 of the right length is
 * accepted too, since some exporters use protobuf's generic mapping (bytes are base64 in proto3
 * JSON, as bytesValue is). */
void otlp_json_id_text(const char *s, size_t n, size_t want, struct rid *id)
{
	bool hex = true;

	memset(id, 0, sizeof *id);
	for (size_t i = 0; i < n && hex; i++)
		hex = hexval((unsigned char)s[i]) >= 0;
	if (hex && n % 2 == 0 && n <= 2 * ID_MAX) {
		for (size_t i = 0; i < n / 2; i++)
			id->b[i] = (uint8_t)(hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]));
		id->len = n / 2;
		return;
	}
	if (!hash_b64_decode(s, n, id->b, ID_MAX, &id->len) || id->len != want)
		id->bad = true;
}

/* The id member key's value v (NULL: absent). */
static void js_idv(struct dec *d, json_t *v, const char *key, size_t want, struct rid *id)
{
	memset(id, 0, sizeof *id);
	if (!v || json_is_null(v))
		return;
	if (!json_is_string(v)) {
		otlp_fail(d, "%s must be a hex string", key);
		return;
	}
	otlp_json_id_text(json_string_value(v), json_string_length(v), want, id);
}

static void js_id(struct dec *d, json_t *obj, const char *key, size_t want, struct rid *id)
{
	js_idv(d, json_object_get(obj, key), key, want, id);
}

static json_t *js_any(struct dec *d, json_t *v, int depth);

/* The members of a KeyValue and of an AnyValue, found by jsonx_members in one walk (by name,
 * each attribute of a batch of 1,000 spans cost up to nine lookups: 40,000, 10.7M
 * instructions). */
static const char *const kv_names[] = {"key", "value"};

/* Sets the attributes of arr into o, in order: a key already there (a resource's, or an
 * earlier one of arr) keeps its place and takes the later value, as json_object_update
 * would (otlp_pb.c's pb_kvs_into does the same for protobuf). */
static json_t *js_kvs_into(struct dec *d, json_t *o, json_t *arr, int depth)
{
	json_t *kv;
	size_t i;

	if (json_array_size(arr) > OTLP_MAX_ATTRS) {
		otlp_fail(d, "more than %d attributes", OTLP_MAX_ATTRS);
		return o;
	}
	json_array_foreach(arr, i, kv)
	{
		if (!otlp_json_kv_into(d, o, kv, depth))
			break;
	}
	return o;
}

bool otlp_json_kv_into(struct dec *d, json_t *o, json_t *kv, int depth)
{
	json_t *key;

	if (!json_is_object(kv))
		return otlp_fail(d, "attributes must hold objects");
	json_t *m[2];
	jsonx_members(kv, kv_names, sizeof *kv_names, 2, m);
	key = jtype(d, m[0], "key", JSON_STRING);
	if (d->failed)
		return false;
	json_object_set_new_nocheck(o, key ? json_string_value(key) : "", js_any(d, m[1], depth));
	return true;
}

static json_t *js_kvs(struct dec *d, json_t *arr, int depth)
{
	return js_kvs_into(d, json_object(), arr, depth);
}

static json_t *js_double(struct dec *d, json_t *x)
{
	const char *s;
	char *end;
	double v;

	if (json_is_number(x))
		return json_is_real(x) ? otlp_double(json_real_value(x))
				       : json_real((double)json_integer_value(x));
	if (!json_is_string(x)) {
		otlp_fail(d, "doubleValue must be a number");
		return json_null();
	}
	s = json_string_value(x);
	if (!strcmp(s, "NaN") || !strcmp(s, "Infinity") || !strcmp(s, "-Infinity"))
		return json_string(s);
	v = strtod(s, &end);
	if (end == s || *end) {
		otlp_fail(d, "doubleValue must be a number");
		return json_null();
	}
	return otlp_double(v);
}

/* AnyValue in OTLP/JSON: one of the typed keys, or {} for no value. */
static json_t *js_any(struct dec *d, json_t *v, int depth)
{
	if (!v || json_is_null(v))
		return json_null();
	if (!json_is_object(v)) {
		otlp_fail(d, "an attribute value must be an object");
		return json_null();
	}
	json_t *m[OTLP_AV_N];
	jsonx_members(v, otlp_json_any_names, sizeof *otlp_json_any_names, OTLP_AV_N, m);
	return otlp_json_any_members(d, m, depth);
}

const char *const otlp_json_any_names[OTLP_AV_N] = {"stringValue", "boolValue",	 "intValue",
						    "doubleValue", "arrayValue", "kvlistValue",
						    "bytesValue"};

json_t *otlp_json_any_members(struct dec *d, json_t *const *m, int depth)
{
	json_t *x, *a, *e;
	uint64_t u;
	size_t i;

	if (++depth > OTLP_MAX_ANY_DEPTH) {
		otlp_fail(d, "attribute values nested deeper than %d levels", OTLP_MAX_ANY_DEPTH);
		return json_null();
	}
	if ((x = jtype(d, m[OTLP_AV_STRING], "stringValue", JSON_STRING)))
		return json_incref(x);
	if ((x = jtype(d, m[OTLP_AV_BOOL], "boolValue", JSON_TRUE)))
		return json_incref(x);
	if (m[OTLP_AV_INT] && !json_is_null(m[OTLP_AV_INT])) {
		if (!j64v(d, m[OTLP_AV_INT], "intValue", true, &u))
			return json_null();
		return json_integer((json_int_t)(int64_t)u);
	}
	if ((x = m[OTLP_AV_DOUBLE]) && !json_is_null(x))
		return js_double(d, x);
	if ((x = jtype(d, m[OTLP_AV_ARRAY], "arrayValue", JSON_OBJECT))) {
		a = json_array();
		x = jget(d, x, "values", JSON_ARRAY);
		json_array_foreach(x, i, e)
		{
			if (d->failed)
				break;
			json_array_append_new(a, js_any(d, e, depth));
		}
		return a;
	}
	if ((x = jtype(d, m[OTLP_AV_KVLIST], "kvlistValue", JSON_OBJECT)))
		return js_kvs(d, jget(d, x, "values", JSON_ARRAY), depth);
	if ((x = jtype(d, m[OTLP_AV_BYTES], "bytesValue", JSON_STRING))) {
		size_t n = json_string_length(x), len;
		uint8_t *b = xmalloc(n * 3 / 4 + 3);

		if (!hash_b64_decode(json_string_value(x), n, b, n * 3 / 4 + 3, &len)) {
			free(b);
			otlp_fail(d, "bytesValue must be base64");
			return json_null();
		}
		a = otlp_hex(b, len);
		free(b);
		return a;
	}
	return json_null();
}

/* An OTLP enum in OTLP/JSON: an integer, or one of the n names; absent or null is 0. False
 * when v is neither. */
static bool js_enum(json_t *v, const char *const *names, size_t n, int64_t *out)
{
	*out = 0;
	if (!v || json_is_null(v))
		return true;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return true;
	}
	for (size_t i = 0; json_is_string(v) && i < n; i++)
		if (!strcmp(json_string_value(v), names[i])) {
			*out = (int64_t)i;
			return true;
		}
	return false;
}

/* Status codes are integers in OTLP/JSON; the enum names are taken too. */
static int64_t js_code(struct dec *d, json_t *status)
{
	static const char *const names[] = {"STATUS_CODE_UNSET", "STATUS_CODE_OK",
					    "STATUS_CODE_ERROR"};
	int64_t code;

	if (!js_enum(json_object_get(status, "code"), names, 3, &code))
		otlp_fail(d, "status.code must be a StatusCode number or name");
	return code;
}

/* SpanKind, the same way. The kind only tells a remote agent call from a local one
 * (catalog_kind), so a kind spandex cannot read counts as unspecified instead of failing the
 * request. */
static int64_t js_kind(json_t *v)
{
	static const char *const names[] = {"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL",
					    "SPAN_KIND_SERVER",	     "SPAN_KIND_CLIENT",
					    "SPAN_KIND_PRODUCER",    "SPAN_KIND_CONSUMER"};
	int64_t kind;

	js_enum(v, names, sizeof names / sizeof *names, &kind);
	return kind;
}

/* One element of a span's events into r->events; false when the request failed. */
static bool js_event(struct dec *d, struct raw_span *r, json_t *e)
{
	uint64_t t;

	if (d->failed || !json_is_object(e))
		return otlp_fail(d, "events must hold objects");
	j64(d, e, "timeUnixNano", false, &t);
	json_array_append_new(r->events,
			      json_pack("{s:s, s:o, s:o}", "name", jstr(d, e, "name"),
					"time_unix_nano", otlp_time(t), "attributes",
					js_kvs(d, jget(d, e, "attributes", JSON_ARRAY), 0)));
	return true;
}

/* One element of a span's links into r->links; false when the request failed. */
static bool js_link(struct dec *d, struct raw_span *r, json_t *e)
{
	struct rid lt, ls;

	if (d->failed || !json_is_object(e))
		return otlp_fail(d, "links must hold objects");
	js_id(d, e, "traceId", 16, &lt);
	js_id(d, e, "spanId", 8, &ls);
	json_array_append_new(
	    r->links, json_pack("{s:o, s:o, s:o}", "trace_id", otlp_hex(lt.b, lt.bad ? 0 : lt.len),
				"span_id", otlp_hex(ls.b, ls.bad ? 0 : ls.len), "attributes",
				js_kvs(d, jget(d, e, "attributes", JSON_ARRAY), 0)));
	return true;
}

const char *const otlp_json_span_names[OTLP_SP_N] = {
    [OTLP_SP_TRACE] = "traceId",       [OTLP_SP_SPAN] = "spanId",
    [OTLP_SP_PARENT] = "parentSpanId", [OTLP_SP_NAME] = "name",
    [OTLP_SP_KIND] = "kind",	       [OTLP_SP_START] = "startTimeUnixNano",
    [OTLP_SP_END] = "endTimeUnixNano", [OTLP_SP_ATTRS] = "attributes",
    [OTLP_SP_EVENTS] = "events",       [OTLP_SP_LINKS] = "links",
    [OTLP_SP_STATUS] = "status",
};

void otlp_json_span_begin(struct raw_span *r, json_t *res_attrs, json_t *scope)
{
	*r = (struct raw_span){.scope = scope};
	/* The span's attributes on top of the resource's, in order (nemo-intake.md 4.1). */
	r->attrs = json_copy(res_attrs);
	r->events = json_array();
	r->links = json_array();
}

void otlp_json_span_member(struct dec *d, struct raw_span *r, enum otlp_json_span m, json_t *v)
{
	const char *key = otlp_json_span_names[m];
	json_t *x, *e;
	size_t i;

	switch (m) {
	case OTLP_SP_TRACE:
		js_idv(d, v, key, 16, &r->trace);
		break;
	case OTLP_SP_SPAN:
	case OTLP_SP_PARENT:
		js_idv(d, v, key, 8, m == OTLP_SP_SPAN ? &r->span : &r->parent);
		break;
	case OTLP_SP_NAME:
		/* Copied: the parsed tree goes before the spans do. */
		x = jtype(d, v, key, JSON_STRING);
		r->name = arena_strdup(d->a, x ? json_string_value(x) : "");
		break;
	case OTLP_SP_KIND:
		r->kind = js_kind(v);
		break;
	case OTLP_SP_START:
	case OTLP_SP_END:
		j64v(d, v, key, false, m == OTLP_SP_START ? &r->start_ns : &r->end_ns);
		break;
	case OTLP_SP_ATTRS:
		js_kvs_into(d, r->attrs, jtype(d, v, key, JSON_ARRAY), 0);
		break;
	case OTLP_SP_EVENTS:
	case OTLP_SP_LINKS:
		json_array_foreach(jtype(d, v, key, JSON_ARRAY), i, e)
		{
			if (!(m == OTLP_SP_EVENTS ? js_event(d, r, e) : js_link(d, r, e)))
				break;
		}
		break;
	case OTLP_SP_STATUS:
		if ((x = jtype(d, v, key, JSON_OBJECT))) {
			r->status_code = js_code(d, x);
			r->status_message = arena_strdup(d->a, jstr(d, x, "message"));
		}
		break;
	default:
		break;
	}
}

void otlp_json_span_end(struct dec *d, struct raw_span *r)
{
	if (!d->failed)
		otlp_map_span(d, r);
	otlp_map_free(r);
}

static void js_span(struct dec *d, json_t *sp, json_t *res_attrs, json_t *scope)
{
	struct raw_span r;
	json_t *m[OTLP_SP_N];

	if (!json_is_object(sp)) {
		otlp_fail(d, "spans must hold objects");
		return;
	}
	otlp_json_span_begin(&r, res_attrs, scope);
	jsonx_members(sp, otlp_json_span_names, sizeof *otlp_json_span_names, OTLP_SP_N, m);
	for (int i = 0; i < OTLP_SP_N; i++)
		otlp_json_span_member(d, &r, i, m[i]);
	otlp_json_span_end(d, &r);
}

json_t *otlp_json_resource(struct dec *d, json_t *v)
{
	json_t *x = jtype(d, v, "resource", JSON_OBJECT);

	return js_kvs(d, jget(d, x, "attributes", JSON_ARRAY), 0);
}

json_t *otlp_json_scope(struct dec *d, json_t *v)
{
	json_t *x = jtype(d, v, "scope", JSON_OBJECT);

	return x ? otlp_scope(jstr(d, x, "name"), jstr(d, x, "version")) : NULL;
}

bool otlp_json_decode(struct dec *d, const char *p, size_t n)
{
	struct err e;
	size_t pos = 0, i, j, k;
	json_t *root, *rs, *ss, *sp;

	root = jsonx_parse_with(p, n, JSONX_REPLACE, &pos, &e);
	if (!root)
		return otlp_fail(d, "%s at byte %zu", e.msg, pos);
	if (!json_is_object(root)) {
		json_decref(root);
		return otlp_fail(d, "the body must be a JSON object");
	}
	json_array_foreach(jget(d, root, "resourceSpans", JSON_ARRAY), i, rs)
	{
		json_t *res;

		if (d->failed || !json_is_object(rs)) {
			otlp_fail(d, "resourceSpans must hold objects");
			break;
		}
		res = otlp_json_resource(d, json_object_get(rs, "resource"));
		json_array_foreach(jget(d, rs, "scopeSpans", JSON_ARRAY), j, ss)
		{
			json_t *scope = NULL;

			if (d->failed || !json_is_object(ss)) {
				otlp_fail(d, "scopeSpans must hold objects");
				break;
			}
			scope = otlp_json_scope(d, json_object_get(ss, "scope"));
			json_array_foreach(jget(d, ss, "spans", JSON_ARRAY), k, sp)
			{
				if (d->failed)
					break;
				js_span(d, sp, res, scope);
			}
			json_decref(scope);
		}
		json_decref(res);
	}
	/* In a request's arena the tree goes with the arena: no walk of it for frees that do
	 * nothing. */
	if (!arena_json_frees_nothing())
		json_decref(root);
	return !d->failed;
}
/* The objects of obj[key] (an array), each through each; false when the request failed. */
static bool js_each(struct dec *d, json_t *obj, const char *key,
		    void (*each)(struct dec *, json_t *, void *), void *ctx)
{
	size_t i;
	json_t *x;

	json_array_foreach(jget(d, obj, key, JSON_ARRAY), i, x)
	{
		if (d->failed)
			break;
		if (!json_is_object(x)) {
			otlp_fail(d, "%s must hold objects", key);
			break;
		}
		each(d, x, ctx);
	}
	return !d->failed;
}

static void js_log(struct dec *d, json_t *lr, void *ctx)
{
	struct raw_log r = {0};
	json_t *name;

	(void)ctx;
	js_id(d, lr, "traceId", 16, &r.trace);
	js_id(d, lr, "spanId", 8, &r.span);
	j64(d, lr, "timeUnixNano", false, &r.time_ns);
	if (!r.time_ns)
		j64(d, lr, "observedTimeUnixNano", false, &r.time_ns);
	name = jget(d, lr, "eventName", JSON_STRING);
	/* Copied: the parsed tree goes before the attachments do. */
	r.event_name = arena_strdup(d->a, name ? json_string_value(name) : "");
	r.attrs = js_kvs(d, jget(d, lr, "attributes", JSON_ARRAY), 0);
	if (json_object_get(lr, "body"))
		r.body = js_any(d, json_object_get(lr, "body"), 0);
	if (!d->failed)
		otlp_logs_add(d, &r);
	json_decref(r.attrs);
	json_decref(r.body);
}

static void js_scope_logs(struct dec *d, json_t *sl, void *ctx)
{
	js_each(d, sl, "logRecords", js_log, ctx);
}

static void js_resource_logs(struct dec *d, json_t *rl, void *ctx)
{
	js_each(d, rl, "scopeLogs", js_scope_logs, ctx);
}

/* OTLP/JSON logs/v1: the same rules as the traces (lowerCamelCase keys, hex ids, 64-bit
 * integers as numbers or strings). */
bool otlp_json_logs(struct dec *d, const char *p, size_t n)
{
	struct err e;
	size_t pos = 0;
	json_t *root = jsonx_parse_with(p, n, JSONX_REPLACE, &pos, &e);

	if (!root)
		return otlp_fail(d, "%s at byte %zu", e.msg, pos);
	if (json_is_object(root))
		js_each(d, root, "resourceLogs", js_resource_logs, NULL);
	else
		otlp_fail(d, "the body must be a JSON object");
	json_decref(root);
	return !d->failed;
}
