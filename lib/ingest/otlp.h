/* otlp: OTLP trace export requests (protobuf or OTLP/JSON) decoded into spans, and the
 * ExportTraceServiceResponse that answers them. No HTTP here. Spans, their strings and the
 * rejection messages live in the caller's arena; otlp_result_free drops the JSON values the
 * spans hold. Contract: reference/nemo-intake.md sections 4.1, 5, 6 and otel-egp.md 1-3. */
#ifndef SPANDEX_OTLP_H
#define SPANDEX_OTLP_H

#include <stddef.h>
#include <stdint.h>
#include "lib/base/status.h"
#include "lib/ingest/otlp_result.h"
#include "lib/model/span.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"

/* The spans of the request body (otlp_result.h); a request over one of its limits is refused
 * whole (400), never partly stored. */
enum status otlp_decode(struct arena *a, const char *ws, enum otlp_encoding enc, const void *body,
			size_t len, int64_t now_us, struct otlp_result *out, struct err *e);

/* otlp_decode by the reference reader: a protobuf body with every request unpacked by
 * protoc-c, where otlp_decode reads a plain one off the wire itself (otlp_pbwire.c); an
 * OTLP/JSON body parsed whole into jansson values, where otlp_decode reads one it is sure of
 * from its text (otlp_jtext.c). What the tests and the otlp fuzz harness compare the two
 * against. */
enum status otlp_decode_reference(struct arena *a, const char *ws, enum otlp_encoding enc,
				  const void *body, size_t len, int64_t now_us,
				  struct otlp_result *out, struct err *e);

/* The text path of otlp_decode alone, for an OTLP/JSON body: true, with out as otlp_decode
 * gives it, when the path reads body; false, out empty, when it leaves body to the tree. For
 * the tests and the fuzz harness, which compare it with otlp_decode_reference. */
bool otlp_decode_text(struct arena *a, const char *ws, const void *body, size_t len, int64_t now_us,
		      struct otlp_result *out);

/* Whether body parses as otlp_decode parses it, up to the spans' mapping and no further:
 * protobuf through the wire check, then each span read off the wire (or unpacked by protoc-c
 * where protobuf's merge rules apply) into its raw form, OTLP/JSON parsed and each span read
 * the same way; no span is mapped, checked against the conventions or kept. The floor
 * bench/trivial --parse measures (BENCHMARKS.md). */
bool otlp_parse_only(struct arena *a, enum otlp_encoding enc, const void *body, size_t len);

/* Releases the JSON values the decoded spans and evaluations hold (the arena keeps everything
 * else). */
void otlp_result_free(struct otlp_result *r);

/* Appends the ExportTraceServiceResponse for r in encoding enc: empty (protobuf) or {} (JSON)
 * when nothing was rejected, else partialSuccess {rejectedSpans, errorMessage}. */
void otlp_response(const struct otlp_result *r, enum otlp_encoding enc, struct buf *out);

#endif
