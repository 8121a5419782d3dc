/* otlp: the entry points of OTLP/HTTP trace and log requests (protobuf and OTLP/JSON) and their
 * responses, on top of the rest: the protobuf decoder is otlp_pb.c, OTLP/JSON's otlp_jtext.c
 * (from the text) and otlp_json.c (from a tree), the mapping onto struct span otlp_map.c, the
 * log records' gathering otlp_logs.c, and the helpers they all share otlp_util.c. */
#include <string.h>

#include "lib/ingest/otlp.h"
#include "lib/ingest/otlp_int.h"
#include "lib/ingest/otlp_logs.h"
#include "proto/otlp_trace.pb-c.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/json/jsonw.h"

/* ---- entry points ---- */

/* Back to a decoder's start: what a text path that gave up had gathered let go. */
static void restart(struct dec *d)
{
	struct err saved;

	if (d->err)
		saved = *d->err;
	otlp_result_free(&d->res);
	memset(&d->res, 0, sizeof d->res);
	d->span_cap = d->err_cap = 0;
	d->failed = false;
	if (d->err)
		*d->err = saved;
}

/* An OTLP/JSON request: one that passes is read from its text (otlp_jtext.c); one that text
 * path is not sure of goes through the tree (otlp_json.c), whose refusals are the API's (and
 * whose parse the floor, otlp_parse_only, measures; the reference decoder takes it alone). */
static bool json_decode(struct dec *d, const char *p, size_t n)
{
	if (!d->reference) {
		if (otlp_jtext_decode(d, p, n))
			return true;
		restart(d);
	}
	return otlp_json_decode(d, p, n);
}

static enum status decode_with(struct arena *a, const char *ws, enum otlp_encoding enc,
			       const void *body, size_t len, int64_t now_us,
			       struct otlp_result *out, struct err *e, bool reference)
{
	struct dec d = {.a = a, .ws = ws, .now_us = now_us, .err = e, .reference = reference};
	bool ok;

	ok = enc == OTLP_PROTOBUF ? otlp_pb_decode(&d, body, len) : json_decode(&d, body, len);
	if (!ok) {
		otlp_result_free(&d.res);
		memset(out, 0, sizeof *out);
		return ST_BAD_REQUEST;
	}
	*out = d.res;
	return ST_OK;
}

enum status otlp_decode(struct arena *a, const char *ws, enum otlp_encoding enc, const void *body,
			size_t len, int64_t now_us, struct otlp_result *out, struct err *e)
{
	return decode_with(a, ws, enc, body, len, now_us, out, e, false);
}

enum status otlp_decode_reference(struct arena *a, const char *ws, enum otlp_encoding enc,
				  const void *body, size_t len, int64_t now_us,
				  struct otlp_result *out, struct err *e)
{
	return decode_with(a, ws, enc, body, len, now_us, out, e, true);
}

bool otlp_decode_text(struct arena *a, const char *ws, const void *body, size_t len, int64_t now_us,
		      struct otlp_result *out)
{
	struct dec d = {.a = a, .ws = ws, .now_us = now_us};

	if (!otlp_jtext_decode(&d, body, len)) {
		otlp_result_free(&d.res);
		memset(out, 0, sizeof *out);
		return false;
	}
	*out = d.res;
	return true;
}

bool otlp_parse_only(struct arena *a, enum otlp_encoding enc, const void *body, size_t len)
{
	struct dec d = {.a = a, .ws = "", .parse_only = true};
	bool ok;

	ok = enc == OTLP_PROTOBUF ? otlp_pb_decode(&d, body, len) : otlp_json_decode(&d, body, len);
	otlp_result_free(&d.res);
	return ok;
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
static void partial_response(const char *const *errors, size_t nerrors, size_t rejected,
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
	partial_response(r->errors, r->nerrors, r->nerrors, "rejectedSpans", enc, out);
}

enum status otlp_logs_decode(struct arena *a, const char *ws, enum otlp_encoding enc,
			     const void *body, size_t len, int64_t now_us, struct otlp_logs *out,
			     struct err *e)
{
	struct dec d = {.a = a, .ws = ws, .now_us = now_us, .err = e, .logs = out};
	bool ok;

	memset(out, 0, sizeof *out);
	out->ws = ws;
	out->now_us = now_us;
	ok = enc == OTLP_PROTOBUF ? otlp_pb_logs(&d, body, len) : otlp_json_logs(&d, body, len);
	if (!ok) {
		otlp_logs_free(out);
		memset(out, 0, sizeof *out);
		return ST_BAD_REQUEST;
	}
	out->ids = arena_alloc(a, (out->n ? out->n : 1) * sizeof *out->ids);
	for (size_t i = 0; i < out->n; i++)
		out->ids[i] = out->items[i].span_id;
	return ST_OK;
}

void otlp_logs_response(const struct otlp_logs *l, enum otlp_encoding enc, struct buf *out)
{
	partial_response(l->errors, l->nerrors, l->rejected, "rejectedLogRecords", enc, out);
}
