/* otlp: OTLP trace export requests (protobuf or OTLP/JSON) decoded into spans, and the
 * ExportTraceServiceResponse that answers them. No HTTP here. Spans, their strings and the
 * rejection messages live in the caller's arena; otlp_result_free drops the JSON values the
 * spans hold. Contract: reference/nemo-intake.md sections 4.1, 5, 6 and otel-egp.md 1-3. */
#ifndef SPANDEX_OTLP_H
#define SPANDEX_OTLP_H

#include <stddef.h>
#include <stdint.h>
#include "lib/base/status.h"
#include "lib/ingest/otlp_eval.h"
#include "lib/model/span.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"

/* Limits; a request over any of them is refused whole (400), never partly stored. */
#define OTLP_MAX_ATTRS                                                                             \
	4096 /* entries in one attribute list (span, resource, scope, event,                       \
		link, kvlist): the SDKs default to 128, so this only stops abuse */
#define OTLP_MAX_ANY_DEPTH                                                                         \
	12 /* AnyValue nesting (a value inside an array or kvlist is one                           \
	      level deeper). Bounds every recursion in the decoders; 12 also                       \
	      fits OTLP/JSON under JSONX_MAX_DEPTH (an event attribute at depth                    \
	      12 sits at JSON depth 12 + 4 * 11 = 56 <= 64). */
#define OTLP_MAX_MESSAGES                                                                          \
	(1u << 20)		 /* protobuf messages in one request: caps decoder memory          \
				    (about 64 bytes each) whatever the body packs */
#define OTLP_MAX_ERROR_TEXT 4096 /* bytes of rejection messages joined into errorMessage */

enum otlp_encoding { OTLP_PROTOBUF, OTLP_JSON };

struct otlp_result {
	struct span *spans; /* converted spans, in request order */
	size_t nspans;
	const char **errors; /* "span <id|<missing>>: <message>", one per rejected span */
	size_t nerrors;
	/* The evaluation results of the spans: their gen_ai.evaluation.result events and
	 * OpenInference annotations (otlp_eval.h), to store after the spans. */
	struct otlp_evals evals;
};

/* Decodes an ExportTraceServiceRequest body and maps every span onto struct span for
 * workspace ws (source "otel"); now_us stands in for a zero start time. A span that cannot be
 * converted is left out and described in out->errors. Returns ST_BAD_REQUEST, with the reason
 * in e (when not NULL), when the body is undecodable or over a limit (then out holds nothing). */
enum status otlp_decode(struct arena *a, const char *ws, enum otlp_encoding enc, const void *body,
			size_t len, int64_t now_us, struct otlp_result *out, struct err *e);

/* Releases the JSON values the decoded spans and evaluations hold (the arena keeps everything
 * else). */
void otlp_result_free(struct otlp_result *r);

/* Appends the ExportTraceServiceResponse for r in encoding enc: empty (protobuf) or {} (JSON)
 * when nothing was rejected, else partialSuccess {rejectedSpans, errorMessage}. */
void otlp_response(const struct otlp_result *r, enum otlp_encoding enc, struct buf *out);

#endif
