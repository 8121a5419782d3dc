/* filter_int: what the two files of Opik's span and trace `filters` share
 * (lib/api/opik/filters/ only): the fields' sources and the filter that filter_parse.c builds
 * and filter.c tests; the conditions are cond.h's, as the thread filter's are. */
#ifndef SPANDEX_API_OPIK_FILTER_INT_H
#define SPANDEX_API_OPIK_FILTER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/api/opik/entity.h"
#include "lib/api/opik/filters/cond.h"
#include "lib/base/arena.h"

/* The sources of ffields (filter_parse.c), an ffield's src. */
enum fsrc {
	F_ID,
	F_NAME,
	F_INPUT,
	F_OUTPUT,
	F_MODEL,
	F_PROVIDER,
	F_TRACE_ID,
	F_THREAD,
	F_START,
	F_END,
	F_CREATED,
	F_UPDATED,
	F_LLM_COUNT,
	F_COST,
	F_PROMPT,
	F_COMPLETION,
	F_TOTAL,
	F_DURATION,
	F_TTFT,
	F_TAGS,
	F_METADATA,
	F_SCORES,
	F_SPAN_SCORES, /* a trace's span_feedback_scores: its spans' scores of the name */
	F_ERROR,
	F_ERROR_TYPE,
	F_TYPE,
	F_SOURCE,
	F_ENVIRONMENT,
	F_INPUT_JSON,
	F_OUTPUT_JSON,
	F_ABSENT,     /* a trace field no trace here has (experiment_id, annotation_queue_ids,
			 guardrails): missing, as Opik's are on a trace without them */
	F_VISIBILITY, /* a trace's visibility_mode: "default" for every trace */
};

struct opik_filter {
	enum opik_entity ent;
	struct fcond *c;
	size_t n;
	const char *type;    /* GET ... type=: the span type */
	const char *project; /* project_name: spans of other APIs (no project) are in the default */
	const char *project_lit; /* project as a JSON string, as the line has it */
	const char *project_id;	 /* project_id: the id opik_project_id makes of the name */
	bool spans_only;	 /* leave out the trace rows */
	struct arena *a;
};

#endif
