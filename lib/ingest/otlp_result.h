/* otlp_result: what decoding an OTLP request gives (the spans, the rejections and the
 * evaluation results) and the limits every decoder keeps: shared by the entry points (otlp.h,
 * otlp_logs.h) and the decoders behind them (otlp_int.h). */
#ifndef SPANDEX_OTLP_RESULT_H
#define SPANDEX_OTLP_RESULT_H

#include <stddef.h>
#include "lib/ingest/otlp_eval.h"
#include "lib/model/span.h"

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

#endif
