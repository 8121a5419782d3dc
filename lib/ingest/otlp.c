/* otlp: OTLP/HTTP trace requests (protobuf and OTLP/JSON) mapped onto spans: the entry points,
 * the response, and the helpers the decoders share. The protobuf decoder is otlp_pb.c, the
 * OTLP/JSON one otlp_json.c, the mapping onto struct span otlp_map.c. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ingest/otlp_int.h"
#include "proto/otlp_trace.pb-c.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/json/jsonw.h"

bool otlp_fail(struct dec *d, const char *fmt, ...)
{
	va_list ap;

	if (d->failed)
		return false;
	d->failed = true;
	if (d->err) {
		d->err->st = ST_BAD_REQUEST;
		va_start(ap, fmt);
		vsnprintf(d->err->msg, sizeof d->err->msg, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* Arena arrays grow by doubling; the abandoned copies go when the request's arena does. */
void *otlp_grow(struct arena *a, void *old, size_t n, size_t *cap, size_t size)
{
	void *p;

	if (n < *cap)
		return old;
	*cap = *cap ? *cap * 2 : 16;
	p = arena_alloc(a, *cap * size);
	if (n)
		memcpy(p, old, n * size);
	return p;
}

char *otlp_dump(struct arena *a, json_t *v)
{
	struct buf b;
	char *s;

	buf_init(&b);
	jsonw_value(&b, v);
	s = arena_strndup(a, b.p, b.len);
	buf_free(&b);
	return s;
}

/* ---- shared value helpers ---- */

/* OTLP/JSON doubles may be the strings "NaN", "Infinity", "-Infinity" (proto3 JSON); JSON
 * itself has no such numbers, so they are kept as those strings. */
json_t *otlp_double(double v)
{
	if (isnan(v))
		return json_string("NaN");
	if (isinf(v))
		return json_string(v > 0 ? "Infinity" : "-Infinity");
	return json_real(v);
}

/* nemo-intake.md 4.1: bytes become a hex string. */
json_t *otlp_hex(const uint8_t *p, size_t n)
{
	char *h = xmalloc(2 * n + 1);
	json_t *v;

	hash_hex(p, n, h);
	v = json_stringn_nocheck(h, 2 * n);
	free(h);
	return v;
}

json_t *otlp_time(uint64_t ns)
{
	char t[24];

	if (ns <= INT64_MAX)
		return json_integer((json_int_t)ns);
	snprintf(t, sizeof t, "%llu", (unsigned long long)ns);
	return json_string(t);
}

bool otlp_all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

json_t *otlp_scope(const char *name, const char *version)
{
	json_t *o;

	if (!(name && *name) && !(version && *version))
		return NULL;
	o = json_object();
	if (name && *name)
		json_object_set_new(o, "name", json_string(name));
	if (version && *version)
		json_object_set_new(o, "version", json_string(version));
	return o;
}

/* ---- entry points ---- */

enum status otlp_decode(struct arena *a, const char *ws, enum otlp_encoding enc, const void *body,
			size_t len, int64_t now_us, struct otlp_result *out, struct err *e)
{
	struct dec d = {.a = a, .ws = ws, .now_us = now_us, .err = e};
	bool ok;

	ok = enc == OTLP_PROTOBUF ? otlp_pb_decode(&d, body, len) : otlp_json_decode(&d, body, len);
	if (!ok) {
		otlp_result_free(&d.res);
		memset(out, 0, sizeof *out);
		return ST_BAD_REQUEST;
	}
	*out = d.res;
	return ST_OK;
}

void otlp_result_free(struct otlp_result *r)
{
	for (size_t i = 0; i < r->nspans; i++)
		span_clear(&r->spans[i]);
	r->nspans = 0;
	otlp_eval_free(&r->evals);
	r->nerrors = 0;
}

/* errorMessage: the rejections joined with "; ", cut at OTLP_MAX_ERROR_TEXT. */
static void error_text(const char *const *errors, size_t nerrors, struct buf *b)
{
	for (size_t i = 0; i < nerrors; i++) {
		if (b->len + strlen(errors[i]) > OTLP_MAX_ERROR_TEXT) {
			buf_printf(b, "%s(%zu more)", i ? "; " : "", nerrors - i);
			return;
		}
		if (i)
			buf_adds(b, "; ");
		buf_adds(b, errors[i]);
	}
}

/* OTLP 1.5 (otel-egp.md): full success is an empty message; partial success names how many
 * items were dropped and why. ExportLogsServiceResponse and ExportTraceServiceResponse are the
 * same message on the wire (field 1: {1 int64 count, 2 string message}), so the trace one packs
 * both; only their JSON keys differ. */
void otlp_partial_response(const char *const *errors, size_t nerrors, size_t rejected,
			   const char *count_key, enum otlp_encoding enc, struct buf *out)
{
	Otlp__ExportTraceServiceResponse resp = OTLP__EXPORT_TRACE_SERVICE_RESPONSE__INIT;
	Otlp__ExportTracePartialSuccess ps = OTLP__EXPORT_TRACE_PARTIAL_SUCCESS__INIT;
	struct buf msg;
	size_t n;

	if (!nerrors) {
		if (enc == OTLP_JSON)
			buf_adds(out, "{}");
		return;
	}
	buf_init(&msg);
	error_text(errors, nerrors, &msg);
	if (enc == OTLP_JSON) {
		buf_printf(out, "{\"partialSuccess\":{\"%s\":%zu,\"errorMessage\":", count_key,
			   rejected);
		jsonw_string(out, msg.p, msg.len);
		buf_adds(out, "}}");
	} else {
		ps.rejected_spans = (int64_t)rejected;
		ps.error_message = msg.p;
		resp.partial_success = &ps;
		n = otlp__export_trace_service_response__get_packed_size(&resp);
		buf_reserve(out, n);
		otlp__export_trace_service_response__pack(&resp, (uint8_t *)out->p + out->len);
		out->len += n;
		out->p[out->len] = '\0';
	}
	buf_free(&msg);
}

void otlp_response(const struct otlp_result *r, enum otlp_encoding enc, struct buf *out)
{
	otlp_partial_response(r->errors, r->nerrors, r->nerrors, "rejectedSpans", enc, out);
}
