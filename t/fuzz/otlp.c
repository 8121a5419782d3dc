/* fuzz otlp: OTLP/HTTP bodies, protobuf or JSON by the first byte's low bit, traces or logs by
 * its next bit (lib/ingest/otlp, otlp_logs). A protobuf trace body is also decoded by
 * otlp_decode_reference (protoc-c's unpack), and the two must give the same outcome: the same
 * refusal, or the same span lines, rejections and response (issue 35: the wire reader,
 * lib/ingest/otlp_pbwire.c); an OTLP/JSON trace body likewise against the tree path, and by the
 * text path alone when it takes the body (issue 57: lib/ingest/otlp_jtext.c); otlp_parse_only
 * (bench/trivial --parse) must take a trace body exactly when otlp_decode does. */
#include <stdio.h>
#include <stdlib.h>

#include "t/fuzz/fuzz.h"
#include "lib/ingest/otlp.h"
#include "lib/ingest/otlp_logs.h"
#include "lib/base/buf.h"

/* A trace decode's outcome as text: the refusal, or the lines, rejections and response. */
static void outcome(enum status st, struct otlp_result *r, const struct err *e, struct buf *out)
{
	if (st != ST_OK) {
		buf_printf(out, "refused: %s", e->msg);
		return;
	}
	for (size_t i = 0; i < r->nspans; i++) {
		r->spans[i].ingested_at = 1700000000000000;
		span_render(&r->spans[i], out);
		buf_addc(out, '\n');
	}
	for (size_t i = 0; i < r->nerrors; i++)
		buf_printf(out, "%s\n", r->errors[i]);
	buf_printf(out, "%zu evaluations\n", r->evals.n);
	otlp_response(r, OTLP_PROTOBUF, out);
	otlp_result_free(r);
}

static void same_as_reference(enum otlp_encoding enc, const uint8_t *p, size_t n)
{
	struct arena *a = arena_new(), *b = arena_new();
	struct otlp_result r, ref;
	struct err e, eref;
	struct buf x, y;
	enum status st, stref;

	buf_init(&x);
	buf_init(&y);
	st = otlp_decode(a, "fuzz", enc, p, n, 1700000000000000, &r, &e);
	outcome(st, &r, &e, &x);
	stref = otlp_decode_reference(b, "fuzz", enc, p, n, 1700000000000000, &ref, &eref);
	outcome(stref, &ref, &eref, &y);
	if (x.len != y.len || memcmp(x.p, y.p, x.len)) {
		fprintf(stderr, "%s:\n%s\n%s:\n%s\n",
			enc == OTLP_JSON ? "otlp_decode" : "wire reader", x.p,
			enc == OTLP_JSON ? "the tree" : "protoc-c", y.p);
		abort();
	}
	/* OTLP/JSON's text path alone: a body it takes gives the tree's outcome. */
	if (enc == OTLP_JSON && otlp_decode_text(a, "fuzz", p, n, 1700000000000000, &r)) {
		x.len = 0;
		outcome(ST_OK, &r, &e, &x);
		if (x.len != y.len || memcmp(x.p, y.p, x.len)) {
			fprintf(stderr, "text path:\n%s\nthe tree:\n%s\n", x.p, y.p);
			abort();
		}
	}
	if (otlp_parse_only(b, enc, p, n) != (st == ST_OK)) {
		fprintf(stderr, "otlp_parse_only disagrees with otlp_decode:\n%s\n", x.p);
		abort();
	}
	buf_free(&x);
	buf_free(&y);
	arena_free(a);
	arena_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (!(data[0] & 2)) {
		same_as_reference(data[0] & 1 ? OTLP_JSON : OTLP_PROTOBUF, data + 1, size - 1);
		return 0;
	}
	/* A logs body. */
	struct arena *a = arena_new();
	struct otlp_logs l;
	struct buf out;
	struct err e;
	enum otlp_encoding enc = data[0] & 1 ? OTLP_JSON : OTLP_PROTOBUF;
	buf_init(&out);
	if (otlp_logs_decode(a, "fuzz", enc, data + 1, size - 1, 1700000000000000, &l, &e) ==
	    ST_OK) {
		otlp_logs_response(&l, enc, &out);
		otlp_logs_free(&l);
	}
	buf_free(&out);
	arena_free(a);
	return 0;
}
