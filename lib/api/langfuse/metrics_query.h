/* metrics_query: Langfuse's metrics queries (legacy/metrics-v1.yml's GET /metrics, metrics.yml's
 * GET /v2/metrics): a JSON `query` {view, dimensions, metrics, filters, timeDimension,
 * fromTimestamp, toTimestamp, orderBy, config}, read as its server's zod schema and
 * validateQuery check it (metrics_query.c); the rows of the view, one per observation, trace or
 * score of the window that passes the filters, read from the store through the query engine's
 * visits as every list of this surface reads (metrics_rows.c); grouped by the dimensions and the
 * time bucket, each metric aggregated, ordered and cut (metrics_group.c). GET /metrics/daily
 * is two queries of it (metrics.c). Only lib/api/langfuse/metrics*.c include it. */
#ifndef SPANDEX_API_LANGFUSE_METRICS_QUERY_H
#define SPANDEX_API_LANGFUSE_METRICS_QUERY_H

#include "lib/api/langfuse/filter.h"

/* Limits (docs/limits.md). Dimensions and metrics of one query: Langfuse's widgets ask one or
 * two of each; a query that names more is not a chart. */
#define LF_METRIC_MAX_DIMS 8
#define LF_METRIC_MAX_METRICS 16
/* config.row_limit: 1 to 1,000 as Langfuse's schema takes it; v2 defaults to 100, as there. */
#define LF_METRIC_MAX_ROW_LIMIT 1000
#define LF_METRIC_V2_ROWS 100
/* Groups one query may make (dimension values times time buckets) before it is refused with
 * a 400 that says to narrow it: a chart of 50 buckets of 200 series; a grouping by an id over
 * a large window is a list, not a metric. */
#define LF_METRIC_MAX_GROUPS 10000

enum mview { MV_TRACES, MV_OBSERVATIONS, MV_SCORES_NUMERIC, MV_SCORES_BOOLEAN, MV_SCORES_CAT };
enum magg {
	MA_SUM,
	MA_AVG,
	MA_COUNT,
	MA_MAX,
	MA_MIN,
	MA_P50,
	MA_P75,
	MA_P90,
	MA_P95,
	MA_P99,
	MA_UNIQ,
	MA__COUNT
};
extern const char *const langfuse_magg_names[MA__COUNT];

/* What a dimension's value is read from. */
enum mdim_src {
	MS_COL,	  /* the view's column col (filter.h's getters) */
	MS_TRACE, /* a member of the row's trace: its name, release, version or tags (col) */
	MS_MONTH, /* the row's time as YYYY-MM */
	MS_DAY	  /* ... as YYYY-MM-DD */
};
struct mdim {
	const char *field;
	enum mdim_src src;
	enum langfuse_col col;
};

enum mmeasure {
	MM_COUNT,
	MM_LATENCY, /* milliseconds */
	MM_STREAMING_LATENCY,
	MM_IN_TOK,
	MM_OUT_TOK,
	MM_TOT_TOK,
	MM_OUT_TPS,
	MM_TPS,
	MM_IN_COST,
	MM_OUT_COST,
	MM_TOT_COST,
	MM_TTFT, /* milliseconds */
	MM_OBS_COUNT,
	MM_VALUE,
	MM_TRACE /* an observation's trace as a number, for uniq: the low 53 bits of the hash of
		    its id (exact in a double); no query names it, the daily metrics count the
		    traces of a model with it */
};
struct mmetric {
	const char *measure;
	enum mmeasure m;
	enum magg agg;
	const char *alias; /* "<aggregation>_<measure>", the row's key */
};

struct morder {
	const char *field;
	bool desc;
};

struct mquery {
	enum mview view;
	bool v2;
	struct mdim dims[LF_METRIC_MAX_DIMS];
	size_t ndims;
	struct mmetric metrics[LF_METRIC_MAX_METRICS];
	size_t nmetrics;
	struct filter flt; /* the window and what the index answers of the filters */
	struct langfuse_filter *lf;
	int64_t from, to;  /* [from, to) */
	int64_t bucket_us; /* the time dimension's step; 0: none; -1: calendar months */
	bool weeks;	   /* buckets start on Mondays */
	struct morder order[LF_METRIC_MAX_DIMS + LF_METRIC_MAX_METRICS + 1];
	size_t norder;
	long long row_limit; /* 0: every group */
	/* NULL: every span of the window; else only the spans of these traces (the daily
	 * metrics' trace filters) */
	const struct query_keys *keys;
};

/* One observation, trace or score of the view. */
struct mrow {
	const char **dim;  /* JSON literals, one per dimension; NULL: null */
	const char *trace; /* its trace id, for the MS_TRACE dimensions; NULL: none */
	int64_t t;	   /* its time (start, timestamp) */
	double *val;	   /* one per metric; NaN: none */
};
struct mrows {
	struct mrow *r;
	size_t n, cap;
};

/* The `query` parameter of GET /metrics (v2 false) or /v2/metrics into *q; false when the 400
 * is written. */
bool langfuse_mquery_read(struct http_req *req, bool v2, struct mquery *q);
/* The rows of q's view (metrics_rows.c); a failure is recorded in req. */
enum status langfuse_mquery_rows(struct http_req *req, const struct mquery *q, struct mrows *out);
/* One group of rows: n of them, one of which is first (its dimensions are the group's), in
 * the time bucket bucket (0 without a time dimension), each metric aggregated (NaN: null). */
struct mgroup {
	size_t first, n;
	int64_t bucket;
	double *agg;
};
/* The groups of rows by q's time bucket and dimensions, in that order, each metric aggregated,
 * in *gs (n of them, in a); with fill and without dimensions, each empty bucket of the window
 * too, its metrics 0. false when there would be more than max. */
bool langfuse_mquery_groups(struct arena *a, const struct mquery *q, const struct mrows *rows,
			    size_t max, bool fill, struct mgroup **gs, size_t *n);
/* The answer {"data": [...]} of q over rows (metrics_group.c); returns ST_OK once it replied (a 400
 * when there are more than LF_METRIC_MAX_GROUPS groups). */
enum status langfuse_mquery_answer(struct http_req *req, const struct mquery *q,
				   struct mrows *rows);

#endif
