/* filter: the `filter` query parameter of the Intake list endpoints (reference nemo-intake.md
 * §3.2, §3.3), written as JSON, bracket notation or the text syntax, parsed into an AND list
 * of comparisons over SpanFilter or TraceFilter (seed pages). Everything a parse allocates
 * lives in the caller's arena; the echo tree is jansson and owned by the struct (filter_free). */
#ifndef SPANDEX_FILTER_H
#define SPANDEX_FILTER_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "lib/base/arena.h"
#include "lib/base/status.h"

enum filter_kind { FILTER_SPANS, FILTER_TRACES };

/* SpanFilter fields in the order of the List Span Groups page, then TraceFilter's extras. */
enum filter_field {
	FF_SESSION_ID,
	FF_TRACE_ID,
	FF_PROJECT,
	FF_EVALUATION_ID,
	FF_EVALUATION_SHA,
	FF_EVALUATION_RUN_ID,
	FF_DATASET_ID,
	FF_DATASET_NAME,
	FF_DATASET_VERSION,
	FF_TEST_CASE_ID,
	FF_SOURCE,
	FF_KIND,
	FF_STATUS,
	FF_MODEL,
	FF_TOOL_NAME,
	FF_PROVIDER,
	FF_AGENT_ID,
	FF_AGENT_NAME,
	FF_PROMPT_NAME,
	FF_PROMPT_VERSION,
	FF_PARENT_SPAN_ID,
	FF_STARTED_AT,
	FF_ID,		  /* TraceFilter: the trace id */
	FF_EXPERIMENT_ID, /* TraceFilter: the root span's evaluation_context.evaluation_id */
	FF__COUNT
};
extern const char *const filter_field_names[FF__COUNT];

enum filter_op { FOP_EQ, FOP_GTE, FOP_LTE, FOP_IN };

/* One comparison. EQ has one value, IN one or more; GTE/LTE are started_at bounds in us. */
struct filter_cond {
	enum filter_field field;
	enum filter_op op;
	const char **vals;
	size_t nvals;
	int64_t us;
	int enumv; /* FF_KIND / FF_STATUS: the enum span_kind / span_status value */
};

struct filter {
	struct filter_cond *conds;
	size_t n;
	json_t *echo; /* the filter tree echoed in responses; NULL when no filter was sent */
};

/* Limits: a filter is a short AND list; more conditions than this is abuse, not a query. */
#define FILTER_MAX_CONDS 64
#define FILTER_MAX_IN 1000 /* values of one $in, the page size cap */

/* Parses the filter of one request. raw is the `filter=` value or NULL; keys/vals are every
 * query parameter (only keys starting with "filter[" are read, and only when raw is NULL).
 * On failure returns ST_BAD_REQUEST with the §3.3 message in err; f is then empty. */
enum status filter_parse(struct arena *a, enum filter_kind kind, const char *raw,
			 const char *const *keys, const char *const *vals, size_t n,
			 struct filter *f, char *err, size_t errlen);
void filter_free(struct filter *f);

#endif
