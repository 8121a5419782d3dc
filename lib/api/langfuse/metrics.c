/* metrics: GET /metrics/daily (legacy/metrics-v1.yml's daily metrics: per UTC day, the traces
 * and observations, their cost, and the usage by model, newest day first), two queries of the
 * metrics' grouping, and GET /health. */
#include "lib/api/langfuse/metrics_query.h"
#include "lib/api/langfuse/read.h"

#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/json/jsonw.h"

/* GET /health (health.yml): no key; 200 {"status":"OK","version"} while the data directory can
 * be written, else 503 in Langfuse's error shape. */
enum status langfuse_health(struct http_req *req)
{
	struct statvfs fs;
	if (access(req->root, R_OK | W_OK | X_OK) < 0 || statvfs(req->root, &fs) < 0 ||
	    (fs.f_flag & ST_RDONLY))
		return http_fail(req, ST_UNAVAILABLE, "The data directory cannot take a write");
	struct buf *out = arena_buf(req->arena);
#ifdef PACKAGE_VERSION
	buf_adds(out, "{\"status\":\"OK\",\"version\":\"" PACKAGE_VERSION "\"}");
#else
	buf_adds(out, "{\"status\":\"OK\",\"version\":\"unknown\"}");
#endif
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* ---- daily metrics ---- */

#define DAY_US 86400000000LL

/* The daily metrics' trace filters (traceName, userId, tags, environment) in the words of
 * Langfuse's `filter` parameter, for the traces view. */
static json_t *trace_filters(struct http_req *req)
{
	static const struct {
		const char *param, *type, *column, *op;
		bool list;
	} f[] = {{"traceName", "string", "name", "=", false},
		 {"userId", "string", "userId", "=", false},
		 {"tags", "arrayOptions", "tags", "all of", true},
		 {"environment", "stringOptions", "environment", "any of", true}};
	json_t *arr = json_array();
	for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
		const char **v;
		size_t n = f[i].list ? langfuse_param_all(req, f[i].param, &v) : 0;
		const char *one = f[i].list ? NULL : http_param(req, f[i].param);
		json_t *c, *val = f[i].list ? json_array() : NULL;
		if (!n && !one) {
			json_decref(val);
			continue;
		}
		for (size_t k = 0; k < n; k++)
			json_array_append_new(val, json_string_nocheck(v[k]));
		c = json_pack("{s:s,s:s,s:s}", "type", f[i].type, "column", f[i].column, "operator",
			      f[i].op);
		json_object_set_new(c, "value", val ? val : json_string_nocheck(one));
		json_array_append_new(arr, c);
	}
	return arr;
}

/* The observations' metrics of a day and model (GetMetricsDailyV1Response's usage). */
enum { D_COUNT, D_IN, D_OUT, D_TOTAL, D_COST, D_TRACES, D__COUNT };
static const struct mmetric obs_metrics[D__COUNT] = {
    [D_COUNT] = {"count", MM_COUNT, MA_COUNT, "count_count"},
    [D_IN] = {"inputTokens", MM_IN_TOK, MA_SUM, "sum_inputTokens"},
    [D_OUT] = {"outputTokens", MM_OUT_TOK, MA_SUM, "sum_outputTokens"},
    [D_TOTAL] = {"totalTokens", MM_TOT_TOK, MA_SUM, "sum_totalTokens"},
    [D_COST] = {"totalCost", MM_TOT_COST, MA_SUM, "sum_totalCost"},
    [D_TRACES] = {"traces", MM_TRACE, MA_UNIQ, "uniq_traces"}};

/* The two queries of the daily metrics: the traces the filters keep, counted by day (tq), and
 * their observations by day and model (oq); false when the 400 is written. */
static bool daily_queries(struct http_req *req, struct mquery *tq, struct mquery *oq)
{
	memset(tq, 0, sizeof *tq);
	tq->flt.conds = arena_alloc(req->arena, (FILTER_MAX_CONDS + 2) * sizeof *tq->flt.conds);
	if (!langfuse_window(req, "fromTimestamp", "toTimestamp", &tq->flt))
		return false;
	*oq = *tq; /* the window, which the trace filters follow in tq->flt.conds */
	json_t *tf = trace_filters(req);
	bool ok = !json_array_size(tf) ||
		  langfuse_filter_from(req, LV_TRACES, tf, "filter", &tq->flt, &tq->lf);
	json_decref(tf);
	tq->view = MV_TRACES;
	tq->bucket_us = DAY_US;
	tq->metrics[tq->nmetrics++] = obs_metrics[D_COUNT];
	oq->view = MV_OBSERVATIONS;
	oq->bucket_us = DAY_US;
	oq->dims[oq->ndims++] = (struct mdim){"providedModelName", MS_COL, LC_MODEL};
	memcpy(oq->metrics, obs_metrics, sizeof obs_metrics);
	oq->nmetrics = D__COUNT;
	return ok;
}

static int by_hash(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* Which traces the filters kept (the hashes of their ids, ascending), as oq's keys. */
static const struct query_keys *kept(struct arena *a, const struct mrows *rows)
{
	struct query_keys *k = arena_alloc(a, sizeof *k);
	uint64_t *h = arena_alloc(a, (rows->n + 1) * sizeof *h);
	for (size_t i = 0; i < rows->n; i++)
		h[i] = hash_bytes(rows->r[i].trace, strlen(rows->r[i].trace));
	qsort(h, rows->n, sizeof *h, by_hash);
	*k = (struct query_keys){QK_TRACE, h, NULL, rows->n};
	return k;
}

/* One day's entry (GetMetricsDailyV1Response): its traces (t NULL: none), its models' groups
 * o[0..n) of the observations' rows. */
static void put_day(struct buf *out, int64_t bucket, const struct mgroup *t, const struct mgroup *o,
		    size_t n, const struct mrows *rows)
{
	char d[16];
	double cost = 0, count = 0;
	for (size_t i = 0; i < n; i++)
		cost += o[i].agg[D_COST], count += o[i].agg[D_COUNT];
	time_day_format(time_day(bucket), d);
	buf_printf(out, "{\"date\":\"%s\",\"countTraces\":%lld,\"countObservations\":%lld,", d,
		   t ? (long long)t->agg[0] : 0LL, (long long)count);
	buf_adds(out, "\"totalCost\":");
	jsonw_number(out, cost);
	buf_adds(out, ",\"usage\":[");
	for (size_t i = 0; i < n; i++) {
		const char *model = rows->r[o[i].first].dim[0];
		buf_printf(out, "%s{\"model\":%s", i ? "," : "", model ? model : "null");
		buf_printf(out, ",\"inputUsage\":%lld,\"outputUsage\":%lld,\"totalUsage\":%lld,",
			   (long long)o[i].agg[D_IN], (long long)o[i].agg[D_OUT],
			   (long long)o[i].agg[D_TOTAL]);
		buf_printf(out, "\"countObservations\":%lld,\"countTraces\":%lld,\"totalCost\":",
			   (long long)o[i].agg[D_COUNT], (long long)o[i].agg[D_TRACES]);
		jsonw_number(out, o[i].agg[D_COST]);
		buf_addc(out, '}');
	}
	buf_adds(out, "]}");
}

/* The days of the groups (tg by day, og by day and model, both ascending), newest first, the
 * page's written; the number of days. */
static size_t put_days(struct buf *out, long long page, long long limit, const struct mgroup *tg,
		       size_t nt, const struct mgroup *og, size_t no, const struct mrows *rows)
{
	size_t days = 0, from = (size_t)((page - 1) * limit), to = (size_t)(page * limit);
	while (nt || no) {
		int64_t b = !no || (nt && tg[nt - 1].bucket > og[no - 1].bucket)
				? tg[nt - 1].bucket
				: og[no - 1].bucket;
		const struct mgroup *t = nt && tg[nt - 1].bucket == b ? &tg[--nt] : NULL;
		size_t k = no;
		while (k && og[k - 1].bucket == b)
			k--;
		if (days >= from && days < to) {
			if (days > from)
				buf_addc(out, ',');
			put_day(out, b, t, og + k, no - k, rows);
		}
		days++;
		no = k;
	}
	return days;
}

/* GET /metrics/daily: two queries of the metrics' grouping (metrics_query.h) by day: the
 * window's traces the trace filters keep, and the observations of those traces by model. */
enum status langfuse_metrics_daily(struct http_req *req)
{
	long long page, limit;
	struct mquery tq, oq;
	struct mrows trows, orows;
	struct mgroup *tg, *og;
	size_t nt, no;
	enum status st;
	if (!langfuse_paging(req, LF_MAX_LIMIT, &page, &limit) || !daily_queries(req, &tq, &oq))
		return ST_OK;
	if ((st = langfuse_mquery_rows(req, &tq, &trows)) != ST_OK)
		return st;
	if (tq.lf)
		oq.keys = kept(req->arena, &trows);
	if ((st = langfuse_mquery_rows(req, &oq, &orows)) != ST_OK)
		return st;
	/* No bound but the rows': a group holds one at least, and the answer is paged. */
	langfuse_mquery_groups(req->arena, &tq, &trows, SIZE_MAX, false, &tg, &nt);
	langfuse_mquery_groups(req->arena, &oq, &orows, SIZE_MAX, false, &og, &no);
	struct buf *out = arena_buf(req->arena);
	buf_adds(out, "{\"data\":[");
	size_t days = put_days(out, page, limit, tg, nt, og, no, &orows);
	langfuse_page_meta(out, page, limit, days);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}
