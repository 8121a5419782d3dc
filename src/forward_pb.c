/* forward_pb: a batch of OTLP spans (lib/model/catalog_out.h) as an ExportTraceServiceRequest
 * in protobuf, OTLP/HTTP's default encoding, built as protoc-c's messages (proto/) in the
 * arena and packed once. Spans in a row that share their resource and scope go into one
 * ResourceSpans and ScopeSpans, as the OTLP/JSON writer groups them. */
#include "src/forward.h"

#include <stdlib.h>
#include <string.h>
#include "lib/json/jsonw.h"
#include "proto/otlp_trace.pb-c.h"

/* A message of type T, initialised by its protoc-c INIT, in the arena. */
static void *copy(struct arena *a, const void *init, size_t n)
{
	void *p = arena_alloc(a, n);
	memcpy(p, init, n);
	return p;
}
#define NEW(a, T, init) ((T *)copy((a), &(T)init, sizeof(T)))

static Otlp__KeyValue **kvs(struct arena *a, json_t *obj, int resource, size_t *n, int depth);

/* v as an AnyValue, as catalog_out_json_value writes it: deeper than CATALOG_OUT_MAX_DEPTH,
 * a list or an object goes as its JSON text. */
static Otlp__AnyValue *any(struct arena *a, json_t *v, int depth)
{
	Otlp__AnyValue *x = NEW(a, Otlp__AnyValue, OTLP__ANY_VALUE__INIT);
	if (depth >= CATALOG_OUT_MAX_DEPTH && (json_is_array(v) || json_is_object(v))) {
		x->value_case = OTLP__ANY_VALUE__VALUE_STRING_VALUE;
		x->string_value = jsonw_astr(a, v, 0);
		return x;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		x->value_case = OTLP__ANY_VALUE__VALUE_STRING_VALUE;
		x->string_value = (char *)json_string_value(v);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		x->value_case = OTLP__ANY_VALUE__VALUE_BOOL_VALUE;
		x->bool_value = json_is_true(v);
		break;
	case JSON_INTEGER:
		x->value_case = OTLP__ANY_VALUE__VALUE_INT_VALUE;
		x->int_value = json_integer_value(v);
		break;
	case JSON_REAL:
		x->value_case = OTLP__ANY_VALUE__VALUE_DOUBLE_VALUE;
		x->double_value = json_real_value(v);
		break;
	case JSON_ARRAY: {
		Otlp__ArrayValue *arr = NEW(a, Otlp__ArrayValue, OTLP__ARRAY_VALUE__INIT);
		arr->n_values = json_array_size(v);
		arr->values = arena_alloc(a, (arr->n_values + 1) * sizeof *arr->values);
		for (size_t i = 0; i < arr->n_values; i++)
			arr->values[i] = any(a, json_array_get(v, i), depth + 1);
		x->value_case = OTLP__ANY_VALUE__VALUE_ARRAY_VALUE;
		x->array_value = arr;
		break;
	}
	case JSON_OBJECT: {
		Otlp__KeyValueList *l = NEW(a, Otlp__KeyValueList, OTLP__KEY_VALUE_LIST__INIT);
		l->values = kvs(a, v, -1, &l->n_values, depth + 1);
		x->value_case = OTLP__ANY_VALUE__VALUE_KVLIST_VALUE;
		x->kvlist_value = l;
		break;
	}
	default:
		break; /* null: no value */
	}
	return x;
}

/* The members of obj as KeyValues: the resource's (resource 1), the span's (0) or all (-1). */
static Otlp__KeyValue **kvs(struct arena *a, json_t *obj, int resource, size_t *n, int depth)
{
	const char *k;
	json_t *v;
	Otlp__KeyValue **out = arena_alloc(a, (json_object_size(obj) + 1) * sizeof *out);
	*n = 0;
	json_object_foreach(obj, k, v)
	{
		if (resource >= 0 && catalog_out_resource(k) != (resource == 1))
			continue;
		Otlp__KeyValue *kv = NEW(a, Otlp__KeyValue, OTLP__KEY_VALUE__INIT);
		kv->key = (char *)k;
		kv->value = any(a, v, depth);
		out[(*n)++] = kv;
	}
	return out;
}

/* Hex text to bytes (an id, as the mapping and ingest write them). */
static ProtobufCBinaryData bytes(struct arena *a, const char *hex)
{
	ProtobufCBinaryData b = {0, NULL};
	size_t n = strlen(hex) / 2;
	b.data = arena_alloc(a, n + 1);
	for (size_t i = 0; i < n; i++) {
		unsigned x;
		if (sscanf(hex + 2 * i, "%2x", &x) != 1)
			return (ProtobufCBinaryData){0, NULL};
		b.data[i] = (uint8_t)x;
	}
	b.len = n;
	return b;
}

static const char *str_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : "";
}

static uint64_t ns_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v)  ? (uint64_t)json_integer_value(v)
	       : json_is_string(v) ? strtoull(json_string_value(v), NULL, 10)
				   : 0;
}

static Otlp__Span *span(struct arena *a, const struct catalog_otlp *o)
{
	Otlp__Span *s = NEW(a, Otlp__Span, OTLP__SPAN__INIT);
	size_t i;
	json_t *x;
	s->trace_id = bytes(a, o->trace_id);
	s->span_id = bytes(a, o->span_id);
	s->parent_span_id = bytes(a, o->parent_id);
	s->name = (char *)o->name;
	s->kind = (Otlp__Span__SpanKind)o->kind;
	s->start_time_unix_nano = o->start_ns;
	s->end_time_unix_nano = o->end_ns;
	s->attributes = kvs(a, o->attrs, 0, &s->n_attributes, 0);
	s->n_events = json_array_size(o->events);
	s->events = arena_alloc(a, (s->n_events + 1) * sizeof *s->events);
	json_array_foreach(o->events, i, x)
	{
		Otlp__Span__Event *e = NEW(a, Otlp__Span__Event, OTLP__SPAN__EVENT__INIT);
		e->time_unix_nano = ns_of(x, "time_unix_nano");
		e->name = (char *)str_of(x, "name");
		e->attributes = kvs(a, json_object_get(x, "attributes"), -1, &e->n_attributes, 0);
		s->events[i] = e;
	}
	s->n_links = json_array_size(o->links);
	s->links = arena_alloc(a, (s->n_links + 1) * sizeof *s->links);
	json_array_foreach(o->links, i, x)
	{
		Otlp__Span__Link *l = NEW(a, Otlp__Span__Link, OTLP__SPAN__LINK__INIT);
		l->trace_id = bytes(a, str_of(x, "trace_id"));
		l->span_id = bytes(a, str_of(x, "span_id"));
		l->attributes = kvs(a, json_object_get(x, "attributes"), -1, &l->n_attributes, 0);
		s->links[i] = l;
	}
	if (o->status || o->status_message) {
		s->status = NEW(a, Otlp__Status, OTLP__STATUS__INIT);
		s->status->code = (Otlp__Status__StatusCode)o->status;
		s->status->message = (char *)(o->status_message ? o->status_message : "");
	}
	return s;
}

/* A ResourceSpans with one ScopeSpans of room for n spans, for o's resource and scope. */
static Otlp__ResourceSpans *group(struct arena *a, const struct catalog_otlp *o, size_t n)
{
	Otlp__ResourceSpans *rs = NEW(a, Otlp__ResourceSpans, OTLP__RESOURCE_SPANS__INIT);
	rs->resource = NEW(a, Otlp__Resource, OTLP__RESOURCE__INIT);
	rs->resource->attributes = kvs(a, o->attrs, 1, &rs->resource->n_attributes, 0);
	Otlp__ScopeSpans *ss = NEW(a, Otlp__ScopeSpans, OTLP__SCOPE_SPANS__INIT);
	if (o->scope) {
		ss->scope = NEW(a, Otlp__InstrumentationScope, OTLP__INSTRUMENTATION_SCOPE__INIT);
		ss->scope->name = (char *)str_of(o->scope, "name");
		ss->scope->version = (char *)str_of(o->scope, "version");
	}
	ss->spans = arena_alloc(a, n * sizeof *ss->spans);
	rs->n_scope_spans = 1;
	rs->scope_spans = arena_alloc(a, sizeof *rs->scope_spans);
	rs->scope_spans[0] = ss;
	return rs;
}

void fwd_pb_encode(struct arena *a, const struct catalog_otlp *spans, size_t n, struct buf *body)
{
	Otlp__ExportTraceServiceRequest req = OTLP__EXPORT_TRACE_SERVICE_REQUEST__INIT;
	struct buf key, prev;
	buf_init(&key);
	buf_init(&prev);
	req.resource_spans = arena_alloc(a, (n + 1) * sizeof *req.resource_spans);
	Otlp__ScopeSpans *cur = NULL;
	for (size_t i = 0; i < n; i++) {
		catalog_out_json_group_key(&key, &spans[i]);
		if (!cur || key.len != prev.len || memcmp(key.p, prev.p, key.len)) {
			Otlp__ResourceSpans *rs = group(a, &spans[i], n - i);
			req.resource_spans[req.n_resource_spans++] = rs;
			cur = rs->scope_spans[0];
			prev.len = 0;
			buf_add(&prev, key.p, key.len);
		}
		cur->spans[cur->n_spans++] = span(a, &spans[i]);
	}
	size_t len = otlp__export_trace_service_request__get_packed_size(&req);
	buf_reserve(body, len);
	otlp__export_trace_service_request__pack(&req, (uint8_t *)body->p + body->len);
	body->len += len;
	body->p[body->len] = '\0';
	buf_free(&key);
	buf_free(&prev);
}
