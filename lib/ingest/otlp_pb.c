/* otlp_pb: the protobuf ExportTraceServiceRequest (otel-egp.md 1.2) and ExportLogsServiceRequest
 * (opentelemetry-proto logs/v1), checked on the wire first, then unpacked by protoc-c's code
 * into struct raw_span and struct raw_log (a trace request the check finds plain is read off
 * the wire by otlp_pbwire.c instead). */
#include <string.h>

#include "lib/ingest/otlp_int.h"
#include "proto/otlp_logs.pb-c.h"
#include "proto/otlp_trace.pb-c.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/utf8.h"

/* protobuf-c recurses once per nested message and keeps no count, so a value nested 10,000
 * deep would overflow the stack inside otlp__..._unpack. This pass walks the wire format
 * (https://protobuf.dev/programming-guides/encoding/) against the generated descriptors
 * first, with AnyValue nesting, list sizes and the message count bounded, and refuses bad
 * wire types, overlong varints, truncation and strings that are not UTF-8. */
struct scan {
	struct dec *d;
	size_t messages;
	/* The AnyValue strings holding a NUL (model output may), by their place in the request:
	 * unpacked from a copy with each NUL an ASCII SUB (0x1A), which pb_any makes U+FFFD, as
	 * the OTLP/JSON decoder makes \u0000 (JSONX_REPLACE). Another string with a NUL (a key,
	 * a name) is refused. */
	const uint8_t *base;
	struct nul_run {
		size_t at, len;
	} * nuls;
	size_t nnuls, capnuls;
	/* A singular field twice in its message, or two values in one AnyValue: protobuf's
	 * merge and last-one-wins rules apply, which only protoc-c's unpack follows (not
	 * otlp_pbwire.c). */
	bool merges;
};

static bool varint_long(struct scan *sc, const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;

	for (int i = 0; i < 10; i++) {
		if (*p >= end)
			return otlp_fail(sc->d, "truncated varint");
		uint8_t c = *(*p)++;
		/* The 10th byte holds bit 63 only. */
		if (i == 9 && c > 1)
			return otlp_fail(sc->d, "varint overflows 64 bits");
		v |= (uint64_t)(c & 0x7f) << (7 * i);
		if (!(c & 0x80)) {
			*out = v;
			return true;
		}
	}
	return otlp_fail(sc->d, "varint longer than 10 bytes");
}

/* Most varints of a request are one byte (keys, short lengths, small ints): those inline. */
static inline bool varint(struct scan *sc, const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	if (*p < end && !(**p & 0x80)) {
		*out = *(*p)++;
		return true;
	}
	return varint_long(sc, p, end, out);
}

static int wire_type(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return 5;
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 1;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		return 2;
	default:
		return 0;
	}
}

/* The field of md numbered id, or NULL. protoc-c lists a message's fields by number, and
 * OTLP numbers most from 1 without gaps, so field id - 1 is nearly always the one. */
static const ProtobufCFieldDescriptor *field_of(const ProtobufCMessageDescriptor *md, uint64_t id,
						unsigned *fi)
{
	if (id - 1 < md->n_fields && id - 1 < 32 && md->fields[id - 1].id == id) {
		*fi = (unsigned)(id - 1);
		return &md->fields[id - 1];
	}
	for (*fi = 0; *fi < md->n_fields && *fi < 32; (*fi)++)
		if (md->fields[*fi].id == id)
			return &md->fields[*fi];
	return NULL;
}

static bool scan_msg(struct scan *sc, const ProtobufCMessageDescriptor *md, const uint8_t *p,
		     size_t n, int anydepth)
{
	const uint8_t *end = p + n;
	/* Attribute counts by field, each zeroed when its field first comes (bit fi of counted):
	 * most messages have no attribute list, and zeroing all 32 was a cost of each. */
	unsigned counts[32];
	uint32_t counted = 0, seen = 0;

	if (md == &otlp__any_value__descriptor && ++anydepth > OTLP_MAX_ANY_DEPTH)
		return otlp_fail(sc->d, "attribute values nested deeper than %d levels",
				 OTLP_MAX_ANY_DEPTH);
	if (++sc->messages > OTLP_MAX_MESSAGES)
		return otlp_fail(sc->d, "more than %u messages in one request", OTLP_MAX_MESSAGES);
	while (p < end) {
		const ProtobufCFieldDescriptor *f = NULL;
		uint64_t key, len;
		unsigned fi = 0;
		int wt;

		if (!varint(sc, &p, end, &key))
			return false;
		wt = (int)(key & 7);
		if ((key >> 3) == 0 || (key >> 3) > 0x1fffffff)
			return otlp_fail(sc->d, "%s: invalid field number", md->short_name);
		f = field_of(md, key >> 3, &fi);
		if (f && (md == &otlp__any_value__descriptor
			      ? seen != 0
			      : f->label != PROTOBUF_C_LABEL_REPEATED && (seen & 1u << fi)))
			sc->merges = true;
		if (f)
			seen |= 1u << fi;
		if (f && wt != wire_type(f->type) &&
		    !(wt == 2 && f->label == PROTOBUF_C_LABEL_REPEATED &&
		      f->type != PROTOBUF_C_TYPE_MESSAGE && f->type != PROTOBUF_C_TYPE_STRING &&
		      f->type != PROTOBUF_C_TYPE_BYTES))
			return otlp_fail(sc->d, "%s.%s: wire type %d, expected %d", md->short_name,
					 f->name, wt, wire_type(f->type));
		switch (wt) {
		case 0:
			if (!varint(sc, &p, end, &len))
				return false;
			break;
		case 1:
		case 5:
			if ((size_t)(end - p) < (wt == 1 ? 8u : 4u))
				return otlp_fail(sc->d, "%s: truncated fixed-size field",
						 md->short_name);
			p += wt == 1 ? 8 : 4;
			break;
		case 2:
			if (!varint(sc, &p, end, &len))
				return false;
			if (len > (uint64_t)(end - p))
				return otlp_fail(sc->d,
						 "%s: field %llu runs past the end of its message",
						 md->short_name, (unsigned long long)(key >> 3));
			if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
				if (f->descriptor == &otlp__key_value__descriptor) {
					if (!(counted & 1u << fi)) {
						counted |= 1u << fi;
						counts[fi] = 0;
					}
					if (++counts[fi] > OTLP_MAX_ATTRS)
						return otlp_fail(
						    sc->d, "%s.%s: more than %d attributes",
						    md->short_name, f->name, OTLP_MAX_ATTRS);
				}
				if (!scan_msg(sc, f->descriptor, p, (size_t)len, anydepth))
					return false;
			} else if (f && f->type == PROTOBUF_C_TYPE_STRING) {
				if (!utf8_valid((const char *)p, (size_t)len))
					return otlp_fail(sc->d,
							 "%s.%s: string is not valid UTF-8 text",
							 md->short_name, f->name);
				bool nul = memchr(p, 0, (size_t)len) != NULL;
				if (nul && md != &otlp__any_value__descriptor)
					return otlp_fail(sc->d, "%s.%s: string holds a NUL byte",
							 md->short_name, f->name);
				if (nul) {
					sc->nuls = otlp_grow(sc->d->a, sc->nuls, sc->nnuls,
							     &sc->capnuls, sizeof *sc->nuls);
					sc->nuls[sc->nnuls++] =
					    (struct nul_run){(size_t)(p - sc->base), (size_t)len};
				}
			}
			p += len;
			break;
		default:
			/* Groups (3, 4) are deprecated and OTLP has none; 6 and 7 do not exist. */
			return otlp_fail(sc->d, "%s: unsupported wire type %d", md->short_name, wt);
		}
	}
	return true;
}

static void *pb_alloc(void *data, size_t size)
{
	return arena_alloc(data, size ? size : 1);
}

static void pb_free(void *data, void *p)
{
	/* The arena frees everything at the end of the request. */
	(void)data;
	(void)p;
}

static json_t *pb_any(const Otlp__AnyValue *v, bool sub);

/* Sets the attributes kv[0, n) into o, in order: a key already there (a resource's, or an
 * earlier one of kv) keeps its place and takes the later value, as json_object_update would. */
static json_t *pb_kvs_into(json_t *o, Otlp__KeyValue **kv, size_t n, bool sub)
{
	for (size_t i = 0; i < n; i++)
		json_object_set_new_nocheck(o, kv[i]->key, pb_any(kv[i]->value, sub));
	return o;
}

static json_t *pb_kvs(Otlp__KeyValue **kv, size_t n, bool sub)
{
	return pb_kvs_into(json_object(), kv, n, sub);
}

/* A string of a request whose NULs were made SUBs on the way in (struct scan): each SUB
 * U+FFFD (a SUB the client sent in that request too; no model writes one). */
static json_t *pb_sub_string(const char *s)
{
	struct buf b;
	buf_init(&b);
	for (; *s; s++)
		if (*s == 0x1a)
			buf_adds(&b, "\xef\xbf\xbd");
		else
			buf_addc(&b, *s);
	json_t *v = json_stringn_nocheck(b.p, b.len);
	buf_free(&b);
	return v;
}

/* nemo-intake.md 4.1: string/bool/int/double as they are, bytes as hex, array as a list,
 * kvlist as an object, no value as null. Depth was bounded by scan_msg. */
static json_t *pb_any(const Otlp__AnyValue *v, bool sub)
{
	json_t *a;

	if (!v)
		return json_null();
	switch (v->value_case) {
	case OTLP__ANY_VALUE__VALUE_STRING_VALUE:
		return sub && strchr(v->string_value, 0x1a)
			   ? pb_sub_string(v->string_value)
			   : json_stringn_nocheck(v->string_value, strlen(v->string_value));
	case OTLP__ANY_VALUE__VALUE_BOOL_VALUE:
		return json_boolean(v->bool_value);
	case OTLP__ANY_VALUE__VALUE_INT_VALUE:
		return json_integer(v->int_value);
	case OTLP__ANY_VALUE__VALUE_DOUBLE_VALUE:
		return otlp_double(v->double_value);
	case OTLP__ANY_VALUE__VALUE_BYTES_VALUE:
		return otlp_hex(v->bytes_value.data, v->bytes_value.len);
	case OTLP__ANY_VALUE__VALUE_ARRAY_VALUE:
		a = json_array();
		for (size_t i = 0; v->array_value && i < v->array_value->n_values; i++)
			json_array_append_new(a, pb_any(v->array_value->values[i], sub));
		return a;
	case OTLP__ANY_VALUE__VALUE_KVLIST_VALUE:
		return v->kvlist_value
			   ? pb_kvs(v->kvlist_value->values, v->kvlist_value->n_values, sub)
			   : json_object();
	default:
		return json_null();
	}
}

static void pb_id(struct rid *id, ProtobufCBinaryData b)
{
	id->len = b.len;
	id->bad = b.len > ID_MAX;
	if (!id->bad && b.len)
		memcpy(id->b, b.data, b.len);
}

static void pb_span(struct dec *d, const Otlp__Span *sp, json_t *res_attrs, json_t *scope)
{
	struct raw_span r = {0};

	pb_id(&r.trace, sp->trace_id);
	pb_id(&r.span, sp->span_id);
	pb_id(&r.parent, sp->parent_span_id);
	r.name = sp->name;
	r.kind = sp->kind;
	r.start_ns = sp->start_time_unix_nano;
	r.end_ns = sp->end_time_unix_nano;
	/* The span's attributes on top of the resource's, set straight into the copy (issue 35:
	 * an object of the span's own, then json_object_update, cost twice the sets). */
	r.attrs = pb_kvs_into(json_copy(res_attrs), sp->attributes, sp->n_attributes, d->pb_sub);
	r.events = json_array();
	for (size_t i = 0; i < sp->n_events; i++) {
		const Otlp__Span__Event *e = sp->events[i];

		json_array_append_new(
		    r.events, json_pack("{s:s, s:o, s:o}", "name", e->name, "time_unix_nano",
					otlp_time(e->time_unix_nano), "attributes",
					pb_kvs(e->attributes, e->n_attributes, d->pb_sub)));
	}
	r.links = json_array();
	for (size_t i = 0; i < sp->n_links; i++) {
		const Otlp__Span__Link *l = sp->links[i];

		json_array_append_new(
		    r.links, json_pack("{s:o, s:o, s:o}", "trace_id",
				       otlp_hex(l->trace_id.data, l->trace_id.len), "span_id",
				       otlp_hex(l->span_id.data, l->span_id.len), "attributes",
				       pb_kvs(l->attributes, l->n_attributes, d->pb_sub)));
	}
	if (sp->status) {
		r.status_code = sp->status->code;
		r.status_message = sp->status->message;
	}
	r.scope = scope;
	otlp_map_span(d, &r);
	otlp_map_free(&r);
}

/* The request p[0, n) of message md, unpacked by protoc-c into the arena after scan_msg
 * checked it into sc; NULL when the request fails. */
static void *unpack(struct dec *d, struct scan *sc, const ProtobufCMessageDescriptor *md,
		    const uint8_t *p, size_t n)
{
	ProtobufCAllocator al = {pb_alloc, pb_free, d->a};
	void *m;

	if (sc->nnuls) {
		uint8_t *copy = arena_alloc(d->a, n ? n : 1);
		memcpy(copy, p, n);
		for (size_t i = 0; i < sc->nnuls; i++)
			for (size_t k = 0; k < sc->nuls[i].len; k++)
				if (!copy[sc->nuls[i].at + k])
					copy[sc->nuls[i].at + k] = 0x1a;
		p = copy;
		d->pb_sub = true;
	}
	if (!(m = protobuf_c_message_unpack(md, &al, n, p)))
		otlp_fail(d, "message does not decode");
	return m;
}

/* A request checked by scan_msg that needs protobuf's merge rules, or every one when d asks
 * for the reference: each span from protoc-c's structs. */
static bool pb_decode_unpacked(struct dec *d, struct scan *sc, const uint8_t *p, size_t n)
{
	Otlp__ExportTraceServiceRequest *req =
	    unpack(d, sc, &otlp__export_trace_service_request__descriptor, p, n);

	if (!req)
		return false;
	for (size_t i = 0; i < req->n_resource_spans; i++) {
		const Otlp__ResourceSpans *rs = req->resource_spans[i];
		json_t *res = rs->resource ? pb_kvs(rs->resource->attributes,
						    rs->resource->n_attributes, d->pb_sub)
					   : json_object();

		for (size_t j = 0; j < rs->n_scope_spans; j++) {
			const Otlp__ScopeSpans *ss = rs->scope_spans[j];
			json_t *scope =
			    ss->scope ? otlp_scope(ss->scope->name, ss->scope->version) : NULL;

			for (size_t k = 0; k < ss->n_spans; k++)
				pb_span(d, ss->spans[k], res, scope);
			json_decref(scope);
		}
		json_decref(res);
	}
	return true;
}

bool otlp_pb_decode(struct dec *d, const uint8_t *p, size_t n)
{
	struct scan sc = {.d = d, .base = p};

	if (!scan_msg(&sc, &otlp__export_trace_service_request__descriptor, p, n, 0))
		return false;
	if (sc.merges || d->reference)
		return pb_decode_unpacked(d, &sc, p, n);
	return otlp_pbwire_traces(d, p, n, sc.nnuls > 0);
}

/* OTLP logs/v1: each LogRecord as a raw_log; resource and scope are the span's business. */
bool otlp_pb_logs(struct dec *d, const uint8_t *p, size_t n)
{
	struct scan sc = {.d = d, .base = p};
	Otlp__ExportLogsServiceRequest *req;

	if (!scan_msg(&sc, &otlp__export_logs_service_request__descriptor, p, n, 0) ||
	    !(req = unpack(d, &sc, &otlp__export_logs_service_request__descriptor, p, n)))
		return false;
	for (size_t i = 0; i < req->n_resource_logs; i++)
		for (size_t j = 0; j < req->resource_logs[i]->n_scope_logs; j++) {
			const Otlp__ScopeLogs *sl = req->resource_logs[i]->scope_logs[j];

			for (size_t k = 0; k < sl->n_log_records; k++) {
				const Otlp__LogRecord *lr = sl->log_records[k];
				struct raw_log r = {0};

				pb_id(&r.trace, lr->trace_id);
				pb_id(&r.span, lr->span_id);
				r.time_ns = lr->time_unix_nano ? lr->time_unix_nano
							       : lr->observed_time_unix_nano;
				r.event_name = lr->event_name;
				r.attrs = pb_kvs(lr->attributes, lr->n_attributes, d->pb_sub);
				r.body = lr->body ? pb_any(lr->body, d->pb_sub) : NULL;
				otlp_logs_add(d, &r);
				json_decref(r.attrs);
				json_decref(r.body);
			}
		}
	return true;
}
