/* filter_int: what the two files of Opik's `filters` share (lib/api/opik/filters/ only): the
 * fields' types and sources, the operators, one row of the field table, a parsed condition and
 * the filter that filter_parse.c builds and filter.c tests. */
#ifndef SPANDEX_API_OPIK_FILTER_INT_H
#define SPANDEX_API_OPIK_FILTER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/api/opik/entity.h"
#include "lib/base/arena.h"

enum ftype { T_STRING, T_NUMBER, T_DATE, T_LIST, T_DICT, T_SCORES, T_ERROR, T_ENUM };

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

struct ffield {
	const char *name;
	enum ftype type;
	enum fsrc src;
	int only; /* -1 both, else the enum opik_entity */
};

enum fop {
	O_EQ,
	O_NE,
	O_GT,
	O_GE,
	O_LT,
	O_LE,
	O_CONTAINS,
	O_NOT_CONTAINS,
	O_STARTS,
	O_ENDS,
	O_EMPTY,
	O_NOT_EMPTY,
	O_IN,
	O_NOT_IN
};

struct fcond {
	const struct ffield *f;
	enum fop op;
	const char *key;   /* metadata path or score name */
	const char *value; /* "" for the no-value operators */
	double num;	   /* T_NUMBER, T_SCORES, T_DICT's > < */
	int64_t us;	   /* T_DATE */
	/* T_SCORES, once opik_filter_judged read the judgements: the hashes of the ids of the
	 * items whose score is not wanted (negate: != and is_empty), ascending; the others are
	 * answered by the query's key sets. by_trace: the items are traces. */
	const uint64_t *hs;
	size_t nh;
	bool negate, by_trace;
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
