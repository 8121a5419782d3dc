/* metrics_query: the `query` of GET /metrics and /v2/metrics (metrics_query.h), read as Langfuse's
 * query schema (packages/shared/src/features/query/types.ts) and validateQuery check it, against
 * the dimensions and measures of its views (dataModel.ts) that spandex keeps. */
#include "lib/api/langfuse/metrics_query.h"

#include <string.h>
#include "lib/base/time.h"

/* The views, as bits. */
enum { VT = 1, VO = 2, VSN = 4, VSB = 8, VSC = 16, VS = VSN | VSB | VSC };
static const char *const view_names[] = {"traces", "observations", "scores-numeric",
					 "scores-boolean", "scores-categorical"};

const char *const langfuse_magg_names[MA__COUNT] = {"sum", "avg", "count", "max", "min", "p50",
						    "p75", "p90", "p95",   "p99", "uniq"};

/* The dimensions of each view (dataModel.ts), high: a high cardinality one of v2. */
static const struct {
	const char *name;
	unsigned views;
	enum mdim_src src;
	enum langfuse_col col;
	bool high;
} dims[] = {
    {"id", VT, MS_COL, LC_TRACE_ID, true},
    {"id", VO | VS, MS_COL, LC_ID, true},
    {"name", VT | VO | VS, MS_COL, LC_NAME, false},
    {"environment", VT | VO | VS, MS_COL, LC_ENV, false},
    {"version", VT | VO, MS_COL, LC_VERSION, false},
    {"release", VT, MS_COL, LC_RELEASE, false},
    {"release", VO, MS_TRACE, LC_RELEASE, false},
    {"tags", VT, MS_COL, LC_TAGS, false},
    {"tags", VO | VS, MS_TRACE, LC_TAGS, false},
    {"userId", VT, MS_COL, LC_USER, true},
    {"userId", VO | VS, MS_TRACE, LC_USER, true},
    {"sessionId", VT, MS_COL, LC_SESSION, true},
    {"sessionId", VO, MS_TRACE, LC_SESSION, true},
    {"sessionId", VS, MS_COL, LC_SESSION, true},
    {"timestampMonth", VT | VS, MS_MONTH, LC_NONE, false},
    {"timestampDay", VS, MS_DAY, LC_NONE, false},
    {"startTimeMonth", VO, MS_MONTH, LC_NONE, false},
    {"traceId", VO | VS, MS_COL, LC_TRACE_ID, true},
    {"traceName", VO | VS, MS_TRACE, LC_NAME, false},
    {"traceRelease", VO | VS, MS_TRACE, LC_RELEASE, false},
    {"traceVersion", VO | VS, MS_TRACE, LC_VERSION, false},
    {"type", VO, MS_COL, LC_TYPE, false},
    {"level", VO, MS_COL, LC_LEVEL, false},
    {"providedModelName", VO, MS_COL, LC_MODEL, false},
    {"promptName", VO, MS_COL, LC_PROMPT_NAME, false},
    {"promptVersion", VO, MS_COL, LC_PROMPT_VERSION, false},
    {"isRootObservation", VO, MS_COL, LC_ROOT, false},
    {"source", VS, MS_COL, LC_SOURCE, false},
    {"dataType", VS, MS_COL, LC_DATA_TYPE, false},
    {"configId", VS, MS_COL, LC_CONFIG_ID, false},
    {"observationId", VS, MS_COL, LC_OBS_ID, true},
    {"value", VSN | VSB, MS_COL, LC_VALUE, false},
    {"stringValue", VSC, MS_COL, LC_STRING_VALUE, false},
};

/* The measures of each view; numeric: every aggregation, else count and uniq (Langfuse's
 * getValidAggregationsForMeasureType). */
static const struct {
	const char *name;
	unsigned views;
	enum mmeasure m;
} measures[] = {
    {"count", VT | VO | VS, MM_COUNT},
    {"latency", VO, MM_LATENCY},
    {"streamingLatency", VO, MM_STREAMING_LATENCY},
    {"inputTokens", VO, MM_IN_TOK},
    {"outputTokens", VO, MM_OUT_TOK},
    {"totalTokens", VT | VO, MM_TOT_TOK},
    {"outputTokensPerSecond", VO, MM_OUT_TPS},
    {"tokensPerSecond", VO, MM_TPS},
    {"inputCost", VO, MM_IN_COST},
    {"outputCost", VO, MM_OUT_COST},
    {"totalCost", VT | VO, MM_TOT_COST},
    {"timeToFirstToken", VO, MM_TTFT},
    {"observationsCount", VT, MM_OBS_COUNT},
    {"value", VSN | VSB, MM_VALUE},
};

/* The time dimension's granularities: a fixed step, or calendar months or weeks. */
static const struct {
	const char *name;
	int64_t us;
} grans[] = {
    {"minute", 60000000LL}, {"hour", 3600000000LL}, {"day", 86400000000LL}, {"week", -2},
    {"month", -1},	    {"5m", 300000000LL},    {"10m", 600000000LL},   {"15m", 900000000LL},
    {"30m", 1800000000LL},  {"1h", 3600000000LL},   {"2h", 7200000000LL},   {"4h", 14400000000LL},
    {"1d", 86400000000LL},  {"2d", 172800000000LL}, {"1w", 604800000000LL},
};

static int find(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(names[i], s))
			return (int)i;
	return -1;
}

static bool bad(struct http_req *req, const char *msg)
{
	langfuse_bad(req, "query", msg);
	return false;
}

static bool read_dims(struct http_req *req, json_t *a, unsigned vbit, struct mquery *q)
{
	size_t i, k;
	json_t *x;
	if (a && !json_is_array(a))
		return bad(req, "dimensions: Expected array, received something else");
	if (json_array_size(a) > LF_METRIC_MAX_DIMS)
		return bad(req, "dimensions: at most 8");
	json_array_foreach(a, i, x)
	{
		const char *f = json_string_value(json_object_get(x, "field"));
		if (!f)
			return bad(req,
				   "dimensions: field: Expected string, received something else");
		for (k = 0; k < sizeof dims / sizeof *dims; k++)
			if ((dims[k].views & vbit) && !strcmp(dims[k].name, f))
				break;
		if (k == sizeof dims / sizeof *dims)
			return langfuse_refuse(req, "Invalid dimension %.200s for view %s", f,
					       view_names[q->view]);
		q->dims[q->ndims++] =
		    (struct mdim){arena_strdup(req->arena, f), dims[k].src, dims[k].col};
	}
	return true;
}

static bool read_metrics(struct http_req *req, json_t *a, unsigned vbit, struct mquery *q)
{
	size_t i, k;
	json_t *x;
	if (!json_is_array(a) || !json_array_size(a))
		return bad(req, "metrics: at least one metric must be provided");
	if (json_array_size(a) > LF_METRIC_MAX_METRICS)
		return bad(req, "metrics: at most 16");
	json_array_foreach(a, i, x)
	{
		const char *m = json_string_value(json_object_get(x, "measure"));
		const char *agg = json_string_value(json_object_get(x, "aggregation"));
		int ag = find(langfuse_magg_names, MA__COUNT, agg);
		if (!m)
			return bad(req,
				   "metrics: measure: Expected string, received something else");
		if (agg && !strcmp(agg, "histogram"))
			return langfuse_refuse(req, "The histogram aggregation is not served here");
		if (ag < 0)
			return bad(req,
				   "metrics: aggregation: Invalid enum value. Expected 'sum' | "
				   "'avg' | 'count' | 'max' | 'min' | 'p50' | 'p75' | 'p90' | "
				   "'p95' | 'p99' | 'histogram' | 'uniq'");
		for (k = 0; k < sizeof measures / sizeof *measures; k++)
			if ((measures[k].views & vbit) && !strcmp(measures[k].name, m))
				break;
		if (k == sizeof measures / sizeof *measures)
			return langfuse_refuse(req, "Invalid measure %.200s for view %s", m,
					       view_names[q->view]);
		q->metrics[q->nmetrics++] =
		    (struct mmetric){arena_strdup(req->arena, m), measures[k].m, (enum magg)ag,
				     arena_printf(req->arena, "%s_%s", langfuse_magg_names[ag], m)};
	}
	return true;
}

/* The window, required, from before to; its conditions on the start (not for scores). */
static bool read_window(struct http_req *req, json_t *o, struct mquery *q)
{
	const char *from = json_string_value(json_object_get(o, "fromTimestamp"));
	const char *to = json_string_value(json_object_get(o, "toTimestamp"));
	if (!from || !time_parse(from, true, &q->from))
		return bad(req, "fromTimestamp: Invalid datetime");
	if (!to || !time_parse(to, true, &q->to))
		return bad(req, "toTimestamp: Invalid datetime");
	if (q->from >= q->to)
		return bad(req, "fromTimestamp must be before toTimestamp");
	if (q->view == MV_TRACES || q->view == MV_OBSERVATIONS) {
		q->flt.conds[q->flt.n++] =
		    (struct filter_cond){.field = FF_STARTED_AT, .op = FOP_GTE, .us = q->from};
		q->flt.conds[q->flt.n++] =
		    (struct filter_cond){.field = FF_STARTED_AT, .op = FOP_LTE, .us = q->to - 1};
	}
	return true;
}

/* timeDimension: its step; auto as Langfuse picks it for about 50 buckets. */
static bool read_time(struct http_req *req, json_t *o, struct mquery *q)
{
	json_t *td = json_object_get(o, "timeDimension");
	if (!td || json_is_null(td))
		return true;
	const char *g = json_string_value(json_object_get(td, "granularity"));
	if (g && !strcmp(g, "auto")) {
		double hours = (double)(q->to - q->from) / 3.6e9;
		g = hours < 2	   ? "minute"
		    : hours < 72   ? "hour"
		    : hours < 1440 ? "day"
		    : hours < 8760 ? "week"
				   : "month";
	}
	for (size_t i = 0; g && i < sizeof grans / sizeof *grans; i++)
		if (!strcmp(grans[i].name, g)) {
			q->weeks = grans[i].us == -2;
			q->bucket_us = q->weeks ? 604800000000LL : grans[i].us;
			return true;
		}
	return bad(req, "timeDimension: granularity: Invalid enum value. Expected 'auto' | "
			"'minute' | 'hour' | 'day' | 'week' | 'month' | '5m' | '10m' | '15m' | "
			"'30m' | '1h' | '2h' | '4h' | '1d' | '2d' | '1w'");
}

static bool read_order(struct http_req *req, json_t *o, struct mquery *q)
{
	json_t *a = json_object_get(o, "orderBy"), *x, *cfg = json_object_get(o, "config");
	size_t i;
	if (a && !json_is_null(a) && !json_is_array(a))
		return bad(req, "orderBy: Expected array, received something else");
	if (json_array_size(a) > sizeof q->order / sizeof *q->order)
		return bad(req, "orderBy: too many fields");
	json_array_foreach(a, i, x)
	{
		const char *f = json_string_value(json_object_get(x, "field"));
		const char *d = json_string_value(json_object_get(x, "direction"));
		if (!f || !d || (strcmp(d, "asc") && strcmp(d, "desc")))
			return bad(req, "orderBy: Expected {field, direction: 'asc' | 'desc'}");
		q->order[q->norder++] = (struct morder){arena_strdup(req->arena, f), *d == 'd'};
	}
	json_t *rl = cfg ? json_object_get(cfg, "row_limit") : NULL;
	if (rl && (!json_is_integer(rl) || json_integer_value(rl) < 1 ||
		   json_integer_value(rl) > LF_METRIC_MAX_ROW_LIMIT))
		return bad(req, "config: row_limit: Expected an integer from 1 to 1000");
	q->row_limit = rl ? json_integer_value(rl) : 0;
	return true;
}

/* v2's validateQuery: a high cardinality dimension needs row_limit and a descending order on
 * a measure, and no time dimension. */
static bool check_v2(struct http_req *req, unsigned vbit, struct mquery *q)
{
	char high[256] = "";
	bool desc = false;
	for (size_t i = 0; i < q->ndims; i++)
		for (size_t k = 0; k < sizeof dims / sizeof *dims; k++)
			if ((dims[k].views & vbit) && dims[k].high &&
			    !strcmp(dims[k].name, q->dims[i].field) &&
			    strlen(high) + strlen(q->dims[i].field) + 3 < sizeof high) {
				strcat(high, *high ? ", " : "");
				strcat(high, q->dims[i].field);
			}
	if (!*high)
		return true;
	if (q->bucket_us)
		return langfuse_refuse(req,
				       "High cardinality dimension(s) '%s' cannot be used with "
				       "timeDimension. Time series queries with high cardinality "
				       "dimensions produce unbounded result sets.",
				       high);
	for (size_t i = 0; i < q->norder; i++)
		for (size_t m = 0; m < q->nmetrics; m++)
			desc |= q->order[i].desc && !strcmp(q->order[i].field, q->metrics[m].alias);
	if (!q->row_limit || !desc)
		return langfuse_refuse(
		    req,
		    "High cardinality dimension(s) '%s' require both "
		    "'config.row_limit' and 'orderBy' with direction 'desc' on a "
		    "measure field.",
		    high);
	return true;
}

static enum langfuse_view filter_view(enum mview v)
{
	return v == MV_TRACES ? LV_TRACES : v == MV_OBSERVATIONS ? LV_OBSERVATIONS : LV_SCORES;
}

bool langfuse_mquery_read(struct http_req *req, bool v2, struct mquery *q)
{
	const char *text = http_param(req, "query");
	json_error_t je;
	memset(q, 0, sizeof *q);
	q->v2 = v2;
	q->flt.conds = arena_alloc(req->arena, (FILTER_MAX_CONDS + 2) * sizeof *q->flt.conds);
	if (!text)
		return bad(req, "Required");
	json_t *o = json_loads(text, JSON_DECODE_ANY, &je);
	if (!o)
		return langfuse_refuse(req, "Invalid JSON in query parameter");
	if (!json_is_object(o))
		return bad(req, "Expected object, received something else");
	int view = find(view_names, sizeof view_names / sizeof *view_names,
			json_string_value(json_object_get(o, "view")));
	if (view < 0 || (v2 && view == MV_TRACES))
		return bad(req,
			   v2 ? "view: Invalid enum value. Expected 'observations' | "
				"'scores-numeric' | 'scores-categorical' | 'scores-boolean'"
			      : "view: Invalid enum value. Expected 'traces' | 'observations' | "
				"'scores-numeric' | 'scores-categorical' | 'scores-boolean'");
	q->view = (enum mview)view;
	unsigned vbit = 1u << view;
	json_t *filters = json_object_get(o, "filters");
	if (!read_dims(req, json_object_get(o, "dimensions"), vbit, q) ||
	    !read_metrics(req, json_object_get(o, "metrics"), vbit, q) || !read_window(req, o, q) ||
	    !read_time(req, o, q) || !read_order(req, o, q))
		return false;
	if (filters && !json_is_null(filters) &&
	    !langfuse_filter_from(req, filter_view(q->view), filters, "query", &q->flt, &q->lf))
		return false;
	if (v2 && !check_v2(req, vbit, q))
		return false;
	if (v2 && !q->row_limit)
		q->row_limit = LF_METRIC_V2_ROWS;
	return true;
}
