/* filter: Langfuse's JSON `filter` parameter of its lists (trace.yml's GetTracesRequest,
 * observations.yml, legacy/observations-v1.yml, scores.yml): an array of conditions
 * {type, column, operator, value, key}, the FilterState of its server
 * (packages/shared/src/interfaces/filters.ts), ANDed. A condition the index answers (an
 * equality or a set on a name or an id, a window on the start) goes into the query's struct
 * filter, the same engine every surface uses; the rest is tested on each candidate, a span's
 * line or a score, by the column's value as Langfuse shows it. A column this view does not
 * know is Langfuse's 400 ("Column X does not match a UI / CH table mapping."), one Langfuse
 * knows that spandex does not keep a 400 that says so. */
#ifndef SPANDEX_API_LANGFUSE_FILTER_H
#define SPANDEX_API_LANGFUSE_FILTER_H

#include "lib/api/langfuse/map.h"
#include "lib/api/langfuse/surface.h"

/* Which list a filter is of: the columns it knows. */
enum langfuse_view { LV_TRACES = 1, LV_OBSERVATIONS = 2, LV_SCORES = 4 };

/* The columns, Langfuse's names in the table of filter.c. */
enum langfuse_col {
	LC_ID,
	LC_NAME,
	LC_TIMESTAMP, /* a trace's timestamp, an observation's startTime, a score's timestamp */
	LC_END,
	LC_USER,
	LC_SESSION,
	LC_ENV,
	LC_VERSION,
	LC_RELEASE,
	LC_TAGS,
	LC_BOOKMARKED,
	LC_METADATA,
	LC_LATENCY,
	LC_IN_TOK,
	LC_OUT_TOK,
	LC_TOT_TOK,
	LC_IN_COST,
	LC_OUT_COST,
	LC_TOT_COST,
	LC_ERRORS,
	LC_TYPE,
	LC_TRACE_ID,
	LC_LEVEL,
	LC_STATUS_MSG,
	LC_ROOT,
	LC_MODEL,
	LC_PROMPT_NAME,
	LC_PROMPT_VERSION,
	LC_INPUT,
	LC_OUTPUT,
	LC_TTFT,
	LC_VALUE,
	LC_SOURCE,
	LC_DATA_TYPE,
	LC_COMMENT,
	LC_OBS_ID,
	LC_STRING_VALUE,
	LC_CONFIG_ID,
	LC_QUEUE_ID,
	LC_NONE /* a column spandex keeps nothing for (a 400 that says so) */
};

/* A column's value for a condition: what a getter fills. */
struct langfuse_val {
	enum { LVAL_NONE, LVAL_STR, LVAL_NUM, LVAL_TIME, LVAL_LIST, LVAL_OBJ, LVAL_BOOL } t;
	const char *s;
	double n;
	int64_t us;
	json_t *j; /* LVAL_LIST: strings; LVAL_OBJ: the object a key is read in */
	bool b;
};
/* The value of column col of subject into *v (LVAL_NONE when it has none). */
typedef void (*langfuse_get_fn)(const void *subject, enum langfuse_col col, struct langfuse_val *v);

struct langfuse_filter;

/* The conditions of arr, a filter array already parsed (the `filters` of a metrics query),
 * read as langfuse_filter_read reads the parameter's; a 400 names path. */
bool langfuse_filter_from(struct http_req *req, enum langfuse_view v, json_t *arr, const char *path,
			  struct filter *flt, struct langfuse_filter **out);
/* Reads the `filter` parameter of a list of view v: the conditions the index answers are
 * appended to flt (whose conds has room for FILTER_MAX_CONDS), the others kept in *out
 * (NULL when no filter was given) for langfuse_filter_test. false when the 400 is written. */
bool langfuse_filter_read(struct http_req *req, enum langfuse_view v, struct filter *flt,
			  struct langfuse_filter **out);
/* Whether f names column (a query parameter's column): the parameter then yields to it, as
 * Langfuse's deriveFilters keeps a simple parameter only where no condition names its column. */
bool langfuse_filter_names(const struct langfuse_filter *f, enum langfuse_col col);
/* The value of query parameter name, unless f names its column col (NULL then). */
const char *langfuse_filter_param(struct http_req *req, const struct langfuse_filter *f,
				  const char *name, enum langfuse_col col);
/* Whether subject passes every condition of f that the index did not answer (f NULL: true).
 * rollup: test only the columns of a trace's totals (a query_rollup subject), or only the
 * others. */
bool langfuse_filter_test(const struct langfuse_filter *f, langfuse_get_fn get, const void *subject,
			  bool rollup);
/* Whether f has a condition on a trace's totals (tokens, costs, errors: query.rollup_pred). */
bool langfuse_filter_has_rollup(const struct langfuse_filter *f);

/* The getters of the spans (an observation, a trace's row) and of a trace's totals (a struct
 * query_rollup). */
void langfuse_span_get(const void *span, enum langfuse_col col, struct langfuse_val *v);
void langfuse_rollup_get(const void *rollup, enum langfuse_col col, struct langfuse_val *v);
/* ... and of a score (scores.c): its members, and its trace's user and tags (from traces). */
struct langfuse_trace_cache;
struct langfuse_scored {
	struct langfuse_trace_cache *traces;
	const struct judgement *j;
};
void langfuse_score_value(const void *scored, enum langfuse_col col, struct langfuse_val *v);

#endif
