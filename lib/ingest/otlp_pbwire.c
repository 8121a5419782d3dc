/* otlp_pbwire: an ExportTraceServiceRequest (otel-egp.md 1.2) read straight off the wire into
 * struct raw_span, after otlp_pb.c's check has walked it (issue 35: protoc-c's generic unpack
 * was 16.1M of the 106.9M instructions of a batch of 1,000 spans, for structs read once).
 * Only a request the check found plain comes here: every singular field at most once in its
 * message and at most one value in an AnyValue, so the last-one-wins and message-merge rules
 * of protobuf (https://protobuf.dev/programming-guides/encoding/#last-one-wins) never apply;
 * any other request is unpacked by protoc-c as before. t/check_otlp_wire.c and the otlp fuzz
 * harness compare the two on every input they have. */
#include <string.h>

#include "lib/ingest/otlp_int.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"

/* One field of a message: its number, wire type, and value (varint, fixed) or bytes. */
struct fld {
	uint64_t num, v;
	int wt;
	const uint8_t *b;
	size_t len;
};

/* The check bounded every varint to 10 bytes inside its message. */
static uint64_t rd_varint(const uint8_t **p)
{
	uint64_t v = 0;

	for (int s = 0;; s += 7) {
		uint8_t c = *(*p)++;
		v |= (uint64_t)(c & 0x7f) << s;
		if (!(c & 0x80))
			return v;
	}
}

static uint64_t rd_fixed(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The next field of [*p, end) into f; false at the end. The check refused the wire types that
 * do not exist and anything running past its message. */
static bool next(const uint8_t **p, const uint8_t *end, struct fld *f)
{
	uint64_t key;

	if (*p >= end)
		return false;
	key = rd_varint(p);
	f->num = key >> 3;
	f->wt = (int)(key & 7);
	switch (f->wt) {
	case 0:
		f->v = rd_varint(p);
		break;
	case 1:
	case 5:
		f->v = rd_fixed(*p, f->wt == 1 ? 8 : 4);
		*p += f->wt == 1 ? 8 : 4;
		break;
	default:
		f->len = (size_t)rd_varint(p);
		f->b = *p;
		*p += f->len;
		break;
	}
	return true;
}

/* A length-delimited field number num of the message [p, p + n); false when absent. */
static bool find(const uint8_t *p, size_t n, uint64_t num, struct fld *out)
{
	const uint8_t *end = p + n;
	struct fld f;

	while (next(&p, end, &f))
		if (f.num == num && f.wt == 2) {
			*out = f;
			return true;
		}
	return false;
}

static char *str(struct arena *a, const struct fld *f)
{
	return arena_strndup(a, (const char *)f->b, f->len);
}

static json_t *wire_kvs_into(json_t *o, const uint8_t *p, size_t n, uint64_t num, bool sub);

/* An AnyValue string; in a request that held a NUL in one, every NUL and SUB is U+FFFD, as
 * otlp_pb.c makes them. */
static json_t *any_string(const struct fld *f, bool sub)
{
	struct buf b;
	json_t *v;

	if (!sub || (!memchr(f->b, 0, f->len) && !memchr(f->b, 0x1a, f->len)))
		return json_stringn_nocheck((const char *)f->b, f->len);
	buf_init(&b);
	for (size_t i = 0; i < f->len; i++)
		if (!f->b[i] || f->b[i] == 0x1a)
			buf_adds(&b, "\xef\xbf\xbd");
		else
			buf_addc(&b, (char)f->b[i]);
	v = json_stringn_nocheck(b.p, b.len);
	buf_free(&b);
	return v;
}

/* nemo-intake.md 4.1, as otlp_pb.c's pb_any: the AnyValue [p, p + n) as a JSON value. */
static json_t *wire_any(const uint8_t *p, size_t n, bool sub)
{
	const uint8_t *end = p + n;
	struct fld f;
	json_t *a;
	double d;

	while (next(&p, end, &f)) {
		switch (f.num) {
		case 1:
			return any_string(&f, sub);
		case 2:
			return json_boolean(f.v != 0);
		case 3:
			return json_integer((json_int_t)f.v);
		case 4:
			memcpy(&d, &f.v, sizeof d);
			return otlp_double(d);
		case 5:
			a = json_array();
			for (const uint8_t *q = f.b, *qe = f.b + f.len; next(&q, qe, &f);)
				if (f.num == 1 && f.wt == 2)
					json_array_append_new(a, wire_any(f.b, f.len, sub));
			return a;
		case 6:
			return wire_kvs_into(json_object(), f.b, f.len, 1, sub);
		case 7:
			return otlp_hex(f.b, f.len);
		default:
			break;
		}
	}
	return json_null();
}

/* Sets the KeyValue [p, p + n) into o: a key already there keeps its place and takes the
 * value, as otlp_pb.c's pb_kvs_into. */
static void wire_kv_set(json_t *o, const uint8_t *p, size_t n, bool sub)
{
	const uint8_t *end = p + n;
	const char *key = "";
	size_t klen = 0;
	json_t *v = NULL;
	struct fld k;

	while (next(&p, end, &k)) {
		if (k.num == 1 && k.wt == 2) {
			key = (const char *)k.b;
			klen = k.len;
		} else if (k.num == 2 && k.wt == 2) {
			json_decref(v);
			v = wire_any(k.b, k.len, sub);
		}
	}
	json_object_setn_new_nocheck(o, key, klen, v ? v : json_null());
}

/* Sets the KeyValues (field num of [p, p + n)) into o in order. */
static json_t *wire_kvs_into(json_t *o, const uint8_t *p, size_t n, uint64_t num, bool sub)
{
	const uint8_t *end = p + n;
	struct fld f;

	while (next(&p, end, &f))
		if (f.num == num && f.wt == 2)
			wire_kv_set(o, f.b, f.len, sub);
	return o;
}

static void wire_id(struct rid *id, const struct fld *f)
{
	id->len = f->len;
	id->bad = f->len > ID_MAX;
	if (!id->bad && f->len)
		memcpy(id->b, f->b, f->len);
}

static json_t *wire_event(const uint8_t *p, size_t n, bool sub)
{
	const uint8_t *end = p + n;
	struct fld f;
	uint64_t time = 0;
	json_t *name = NULL, *e = json_object();

	for (const uint8_t *q = p; next(&q, end, &f);)
		if (f.num == 1 && f.wt == 1)
			time = f.v;
		else if (f.num == 2 && f.wt == 2) {
			json_decref(name);
			name = json_stringn_nocheck((const char *)f.b, f.len);
		}
	json_object_set_new_nocheck(e, "name", name ? name : json_string(""));
	json_object_set_new_nocheck(e, "time_unix_nano", otlp_time(time));
	json_object_set_new_nocheck(e, "attributes", wire_kvs_into(json_object(), p, n, 3, sub));
	return e;
}

static json_t *wire_link(const uint8_t *p, size_t n, bool sub)
{
	const uint8_t *end = p + n;
	struct fld f;
	const uint8_t *tid = NULL, *sid = NULL;
	size_t ntid = 0, nsid = 0;
	json_t *l = json_object();

	for (const uint8_t *q = p; next(&q, end, &f);)
		if (f.num == 1 && f.wt == 2)
			tid = f.b, ntid = f.len;
		else if (f.num == 2 && f.wt == 2)
			sid = f.b, nsid = f.len;
	json_object_set_new_nocheck(l, "trace_id", otlp_hex(tid, ntid));
	json_object_set_new_nocheck(l, "span_id", otlp_hex(sid, nsid));
	json_object_set_new_nocheck(l, "attributes", wire_kvs_into(json_object(), p, n, 4, sub));
	return l;
}

static void wire_span(struct dec *d, const uint8_t *p, size_t n, json_t *res, json_t *scope,
		      bool sub)
{
	const uint8_t *end = p + n;
	struct raw_span r = {0};
	struct fld f, g;

	r.name = "";
	r.attrs = json_copy(res);
	r.events = json_array();
	r.links = json_array();
	while (next(&p, end, &f)) {
		switch (f.num * 8 + (uint64_t)f.wt) {
		case 1 * 8 + 2:
			wire_id(&r.trace, &f);
			break;
		case 2 * 8 + 2:
			wire_id(&r.span, &f);
			break;
		case 4 * 8 + 2:
			wire_id(&r.parent, &f);
			break;
		case 5 * 8 + 2:
			r.name = str(d->a, &f);
			break;
		case 6 * 8 + 0:
			r.kind = (int32_t)(uint32_t)f.v; /* an enum: protoc-c keeps 32 bits */
			break;
		case 7 * 8 + 1:
			r.start_ns = f.v;
			break;
		case 8 * 8 + 1:
			r.end_ns = f.v;
			break;
		case 9 * 8 + 2:
			/* On top of the resource's, in order (nemo-intake.md 4.1). */
			wire_kv_set(r.attrs, f.b, f.len, sub);
			break;
		case 11 * 8 + 2:
			json_array_append_new(r.events, wire_event(f.b, f.len, sub));
			break;
		case 13 * 8 + 2:
			json_array_append_new(r.links, wire_link(f.b, f.len, sub));
			break;
		case 15 * 8 + 2:
			r.status_message = "";
			for (const uint8_t *q = f.b, *qe = f.b + f.len; next(&q, qe, &g);)
				if (g.num == 2 && g.wt == 2)
					r.status_message = str(d->a, &g);
				else if (g.num == 3 && g.wt == 0)
					r.status_code = (int32_t)(uint32_t)g.v;
			break;
		default:
			break;
		}
	}
	r.scope = scope;
	otlp_map_span(d, &r);
	otlp_map_free(&r);
}

bool otlp_pbwire_traces(struct dec *d, const uint8_t *p, size_t n, bool sub)
{
	const uint8_t *end = p + n;
	struct fld rs, f, ss, g, sc;

	while (next(&p, end, &rs)) {
		if (rs.num != 1 || rs.wt != 2)
			continue;
		/* The resource applies to every span of its ResourceSpans, wherever it stands. */
		json_t *res = find(rs.b, rs.len, 1, &f)
				  ? wire_kvs_into(json_object(), f.b, f.len, 1, sub)
				  : json_object();

		for (const uint8_t *q = rs.b, *qe = rs.b + rs.len; next(&q, qe, &ss);) {
			if (ss.num != 2 || ss.wt != 2)
				continue;
			json_t *scope = NULL;

			if (find(ss.b, ss.len, 1, &sc)) {
				const char *name = "", *version = "";

				for (const uint8_t *s = sc.b, *se = sc.b + sc.len;
				     next(&s, se, &g);)
					if (g.num == 1 && g.wt == 2)
						name = str(d->a, &g);
					else if (g.num == 2 && g.wt == 2)
						version = str(d->a, &g);
				scope = otlp_scope(name, version);
			}
			for (const uint8_t *s = ss.b, *se = ss.b + ss.len; next(&s, se, &g);)
				if (g.num == 2 && g.wt == 2)
					wire_span(d, g.b, g.len, res, scope, sub);
			json_decref(scope);
		}
		json_decref(res);
	}
	return true;
}
