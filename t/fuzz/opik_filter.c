/* fuzz opik_filter: Opik's `filters` JSON, parsed as a list request parses it
 * (lib/api/opik/filters/filter_parse.c), then run as the query predicate on a stored span line
 * (filter.c). */
#include "t/fuzz/fuzz.h"
#include "lib/api/opik/surface.h"

static const char line[] =
    "{\"span_id\":\"s1\",\"session_id\":\"t1\",\"workspace\":\"fuzz\",\"parent_span_id\":\"t1\","
    "\"trace_id\":\"t1\",\"name\":\"answer\",\"source\":\"opik\",\"kind\":\"LLM\",\"status\":"
    "\"error\","
    "\"started_at\":\"2026-01-01T00:00:00Z\",\"ended_at\":\"2026-01-01T00:00:01Z\","
    "\"ingested_at\":\"2026-01-01T00:00:02Z\",\"model\":\"gpt-4o\",\"input_tokens\":12,"
    "\"usage_details\":{},\"cost_details\":{},\"input\":\"{\\\"q\\\":1}\","
    "\"raw_attributes\":\"{\\\"opik.metadata\\\":{\\\"a\\\":{\\\"b\\\":[1,\\\"x\\\"]}},"
    "\\\"opik.tags\\\":[\\\"t\\\"],\\\"opik.feedback_scores\\\":[{\\\"name\\\":\\\"q\\\","
    "\\\"value\\\":1}]}\"}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new();
	struct http_req req;
	struct opik_filter *f;
	struct query_pred p;
	memset(&req, 0, sizeof req);
	req.arena = a;
	if (opik_filter_parse(&req, size && data[0] & 1 ? OPIK_TRACE : OPIK_SPAN, NULL,
			      fuzz_str(a, data, size), &f) == ST_OK) {
		opik_filter_pred(f, &p);
		p.fn(p.ctx, line, sizeof line - 1);
	}
	arena_free(a);
	return 0;
}
