/* catalog_out_json: an OTLP span (catalog_out.h) in OTLP/JSON, the OTLP specification's JSON
 * encoding of the protobuf messages (opentelemetry-proto's docs/specification.md, "JSON
 * Protobuf Encoding"): field names in lowerCamelCase, trace and span ids as hex, 64-bit
 * integers as decimal strings, enums as numbers. */
#include <inttypes.h>
#include <string.h>
#include "lib/json/jsonw.h"
#include "lib/model/catalog_out.h"

static void u64(struct buf *b, uint64_t v)
{
	buf_printf(b, "\"%" PRIu64 "\"", v);
}

static void value(struct buf *b, const json_t *v, int depth)
{
	const char *k;
	json_t *x;
	size_t i;
	bool first = true;
	if (depth >= CATALOG_OUT_MAX_DEPTH && (json_is_array(v) || json_is_object(v))) {
		struct buf t;
		buf_init(&t);
		jsonw_value(&t, v);
		buf_adds(b, "{\"stringValue\":");
		jsonw_string(b, t.p, t.len);
		buf_addc(b, '}');
		buf_free(&t);
		return;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		buf_adds(b, "{\"stringValue\":");
		jsonw_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		buf_adds(b, json_is_true(v) ? "{\"boolValue\":true" : "{\"boolValue\":false");
		break;
	case JSON_INTEGER:
		buf_printf(b, "{\"intValue\":\"%" JSON_INTEGER_FORMAT "\"", json_integer_value(v));
		break;
	case JSON_REAL:
		buf_adds(b, "{\"doubleValue\":");
		jsonw_real(b, json_real_value(v));
		break;
	case JSON_ARRAY:
		buf_adds(b, "{\"arrayValue\":{\"values\":[");
		json_array_foreach((json_t *)v, i, x)
		{
			if (i)
				buf_addc(b, ',');
			value(b, x, depth + 1);
		}
		buf_adds(b, "]}");
		break;
	case JSON_OBJECT:
		buf_adds(b, "{\"kvlistValue\":{\"values\":[");
		json_object_foreach((json_t *)v, k, x)
		{
			buf_adds(b, first ? "{\"key\":" : ",{\"key\":");
			first = false;
			jsonw_string(b, k, strlen(k));
			buf_adds(b, ",\"value\":");
			value(b, x, depth + 1);
			buf_addc(b, '}');
		}
		buf_adds(b, "]}");
		break;
	default:
		buf_addc(b, '{');
	}
	buf_addc(b, '}');
}

void catalog_out_json_value(struct buf *b, const json_t *v)
{
	value(b, v, 0);
}

void catalog_out_json_attrs(struct buf *b, const json_t *obj, int resource)
{
	const char *k;
	json_t *v;
	bool first = true;
	buf_addc(b, '[');
	json_object_foreach((json_t *)obj, k, v)
	{
		if (resource >= 0 && catalog_out_resource(k) != (resource == 1))
			continue;
		buf_adds(b, first ? "{\"key\":" : ",{\"key\":");
		first = false;
		jsonw_string(b, k, strlen(k));
		buf_adds(b, ",\"value\":");
		catalog_out_json_value(b, v);
		buf_addc(b, '}');
	}
	buf_addc(b, ']');
}

/* A member of an event or link ({"trace_id": ...} as ingest keeps it) as a string. */
static void member_str(struct buf *b, const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (json_is_string(v))
		jsonw_string(b, json_string_value(v), json_string_length(v));
	else if (json_is_integer(v))
		buf_printf(b, "\"%" JSON_INTEGER_FORMAT "\"", json_integer_value(v));
	else
		buf_adds(b, "\"\"");
}

/* The events or links of a span, named name: each item's members as ingest keeps them
 * (time_unix_nano, trace_id ...) under their OTLP/JSON names, then its attributes. */
static void parts(struct buf *b, const char *name, const json_t *items,
		  const char *const (*members)[2])
{
	size_t i;
	json_t *x;
	buf_printf(b, ",\"%s\":[", name);
	json_array_foreach((json_t *)items, i, x)
	{
		buf_adds(b, i ? ",{" : "{");
		for (size_t m = 0; members[m][0]; m++) {
			buf_printf(b, "\"%s\":", members[m][1]);
			member_str(b, x, members[m][0]);
			buf_addc(b, ',');
		}
		buf_adds(b, "\"attributes\":");
		catalog_out_json_attrs(b, json_object_get(x, "attributes"), -1);
		buf_addc(b, '}');
	}
	buf_addc(b, ']');
}

static const char *const event_members[][2] = {
    {"time_unix_nano", "timeUnixNano"}, {"name", "name"}, {NULL, NULL}};
static const char *const link_members[][2] = {
    {"trace_id", "traceId"}, {"span_id", "spanId"}, {NULL, NULL}};

void catalog_out_json_span(struct buf *b, const struct catalog_otlp *o)
{
	buf_printf(b, "{\"traceId\":\"%s\",\"spanId\":\"%s\"", o->trace_id, o->span_id);
	if (o->parent_id[0])
		buf_printf(b, ",\"parentSpanId\":\"%s\"", o->parent_id);
	buf_adds(b, ",\"name\":");
	jsonw_string(b, o->name, strlen(o->name));
	buf_printf(b, ",\"kind\":%d,\"startTimeUnixNano\":", o->kind);
	u64(b, o->start_ns);
	if (o->end_ns) {
		buf_adds(b, ",\"endTimeUnixNano\":");
		u64(b, o->end_ns);
	}
	buf_adds(b, ",\"attributes\":");
	catalog_out_json_attrs(b, o->attrs, 0);
	if (json_array_size(o->events))
		parts(b, "events", o->events, event_members);
	if (json_array_size(o->links))
		parts(b, "links", o->links, link_members);
	if (o->status || o->status_message) {
		buf_printf(b, ",\"status\":{\"code\":%d", o->status);
		if (o->status_message) {
			buf_adds(b, ",\"message\":");
			jsonw_string(b, o->status_message, strlen(o->status_message));
		}
		buf_addc(b, '}');
	}
	buf_addc(b, '}');
}

void catalog_out_json_group_key(struct buf *k, const struct catalog_otlp *o)
{
	k->len = 0;
	catalog_out_json_attrs(k, o->attrs, 1);
	buf_addc(k, '\n');
	if (o->scope)
		jsonw_value(k, o->scope);
}

void catalog_out_json_begin(struct buf *b, struct catalog_out_doc *d)
{
	memset(d, 0, sizeof *d);
	buf_init(&d->key);
	buf_adds(b, "{\"resourceSpans\":[");
}

void catalog_out_json_add(struct buf *b, struct catalog_out_doc *d, const struct catalog_otlp *o)
{
	struct buf k;
	buf_init(&k);
	catalog_out_json_group_key(&k, o);
	bool same = d->open && d->in_group < CATALOG_OUT_JSON_GROUP && k.len == d->key.len &&
		    !memcmp(k.p, d->key.p, k.len);
	if (!same) {
		if (d->open)
			buf_adds(b, "]}]},");
		buf_adds(b, "{\"resource\":{\"attributes\":");
		catalog_out_json_attrs(b, o->attrs, 1);
		buf_adds(b, "},\"scopeSpans\":[{\"scope\":");
		json_t *name = json_object_get(o->scope, "name");
		json_t *version = json_object_get(o->scope, "version");
		buf_adds(b, "{\"name\":");
		jsonw_string(b, json_is_string(name) ? json_string_value(name) : "",
			     json_is_string(name) ? json_string_length(name) : 0);
		if (json_is_string(version)) {
			buf_adds(b, ",\"version\":");
			jsonw_string(b, json_string_value(version), json_string_length(version));
		}
		buf_adds(b, "},\"spans\":[");
		buf_free(&d->key);
		d->key = k;
		d->open = true;
		d->in_group = 0;
	} else {
		buf_free(&k);
		buf_addc(b, ',');
	}
	catalog_out_json_span(b, o);
	d->in_group++;
}

void catalog_out_json_end(struct buf *b, struct catalog_out_doc *d)
{
	if (d->open)
		buf_adds(b, "]}]}");
	buf_adds(b, "]}");
	buf_free(&d->key);
	memset(d, 0, sizeof *d);
}
