/* metrics: GET /metrics/daily (legacy/metrics-v1.yml's daily metrics: per UTC day, the traces
 * and observations, their cost, and the usage by model, newest day first) and GET /health. */
#include "lib/api/langfuse/read.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/json/jline.h"
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

/* One observation, as the day's usage by model counts it. */
struct obs {
	int32_t day;
	const char *model; /* NULL: none */
	uint64_t trace;
	int64_t in, out, total;
	double cost;
};

struct day {
	int32_t day;
	int64_t traces;
};

struct tally {
	struct arena *a;
	struct obs *o;
	size_t n, cap;
	struct day *d;
	size_t nd, capd;
	/* The trace-level filters (traceName, userId, tags, environment): which traces count. */
	const char *name, *user;
	const char **tags, **envs;
	size_t ntags, nenvs;
	uint64_t *keep; /* the trace hashes that pass them, ascending; NULL: every trace */
	size_t nkeep, capkeep;
};

static bool trace_passes(const struct tally *t, const struct span *s)
{
	const char *v;
	if (t->name && (!s->name || strcmp(s->name, t->name)))
		return false;
	if (t->user && (!(v = langfuse_user_of(s)) || strcmp(v, t->user)))
		return false;
	for (size_t i = 0; i < t->ntags; i++) {
		json_t *tags = langfuse_tags_of(s), *x;
		size_t k;
		bool has = false;
		json_array_foreach(tags, k, x) has |= !strcmp(json_string_value(x), t->tags[i]);
		if (!has)
			return false;
	}
	bool env = !t->nenvs;
	for (size_t i = 0; !env && i < t->nenvs; i++)
		env = !strcmp(langfuse_env_of(s), t->envs[i]);
	return env;
}

static void tally_reset(void *ctx)
{
	struct tally *t = ctx;
	t->nd = t->nkeep = 0;
}

/* Each trace of the window: its day's count, and its hash when the filters keep it. */
static void count_trace(void *ctx, const struct query_trace *qt)
{
	struct tally *t = ctx;
	struct span s;
	json_t *root;
	if (!span_parse(qt->root.line, qt->root.len, &s, &root))
		return;
	if (trace_passes(t, &s)) {
		int32_t day = time_day(s.started_at);
		size_t k = 0;
		while (k < t->nd && t->d[k].day != day)
			k++;
		if (k == t->nd) {
			t->d = langfuse_grow(t->a, t->d, t->nd, &t->capd, sizeof *t->d);
			t->d[t->nd++] = (struct day){day, 0};
		}
		t->d[k].traces++;
		t->keep = langfuse_grow(t->a, t->keep, t->nkeep, &t->capkeep, sizeof *t->keep);
		const char *id = s.trace_id ? s.trace_id : s.span_id;
		t->keep[t->nkeep++] = hash_bytes(id, strlen(id));
	}
	span_clear(&s);
	json_decref(root);
}

static void obs_reset(void *ctx)
{
	((struct tally *)ctx)->n = 0;
}

static void count_obs(void *ctx, const struct query_row *row)
{
	struct tally *t = ctx;
	struct span s;
	json_t *root;
	if (!span_parse(row->line, row->len, &s, &root))
		return;
	if (!langfuse_is_trace_row(&s)) {
		t->o = langfuse_grow(t->a, t->o, t->n, &t->cap, sizeof *t->o);
		const char *tr = s.trace_id ? s.trace_id : s.span_id;
		int64_t in = s.input_tokens != SPAN_NONE_I64 ? s.input_tokens : 0;
		int64_t out = s.output_tokens != SPAN_NONE_I64 ? s.output_tokens : 0;
		t->o[t->n++] =
		    (struct obs){time_day(s.started_at),
				 s.str[SS_MODEL] ? arena_strdup(t->a, s.str[SS_MODEL]) : NULL,
				 hash_bytes(tr, strlen(tr)),
				 in,
				 out,
				 s.total_tokens != SPAN_NONE_I64 ? s.total_tokens : in + out,
				 isnan(s.cost_total_usd) ? 0 : s.cost_total_usd};
	}
	span_clear(&s);
	json_decref(root);
}

static int by_key(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* Newest day first, then model (none first), then trace: a model's traces are counted once. */
static int by_day_model(const void *x, const void *y)
{
	const struct obs *a = x, *b = y;
	if (a->day != b->day)
		return a->day > b->day ? -1 : 1;
	int m = !a->model ? (b->model ? -1 : 0) : !b->model ? 1 : strcmp(a->model, b->model);
	if (m)
		return m;
	return a->trace < b->trace ? -1 : a->trace > b->trace;
}

static bool same_model(const struct obs *a, const struct obs *b)
{
	return a->day == b->day &&
	       (a->model == b->model || (a->model && b->model && !strcmp(a->model, b->model)));
}

/* One day's entry (GetMetricsDailyV1Response). o[0..n) its observations, sorted. */
static void put_day(struct buf *out, int32_t day, int64_t traces, const struct obs *o, size_t n)
{
	char d[16];
	double cost = 0;
	for (size_t i = 0; i < n; i++)
		cost += o[i].cost;
	time_day_format(day, d);
	buf_printf(out, "{\"date\":\"%s\",\"countTraces\":%lld,\"countObservations\":%zu,", d,
		   (long long)traces, n);
	buf_adds(out, "\"totalCost\":");
	jsonw_number(out, cost);
	buf_adds(out, ",\"usage\":[");
	for (size_t i = 0, first = 1; i < n; first = 0) {
		size_t j = i, ntraces = 0;
		int64_t in = 0, out_t = 0, total = 0;
		double c = 0;
		for (; j < n && same_model(&o[i], &o[j]); j++) {
			in += o[j].in, out_t += o[j].out, total += o[j].total, c += o[j].cost;
			ntraces += j == i || o[j].trace != o[j - 1].trace;
		}
		buf_adds(out, first ? "{\"model\":" : ",{\"model\":");
		if (o[i].model)
			jsonw_string(out, o[i].model, strlen(o[i].model));
		else
			buf_adds(out, "null");
		buf_printf(out, ",\"inputUsage\":%lld,\"outputUsage\":%lld,\"totalUsage\":%lld,",
			   (long long)in, (long long)out_t, (long long)total);
		buf_printf(out,
			   "\"countObservations\":%zu,\"countTraces\":%zu,\"totalCost\":", j - i,
			   ntraces);
		jsonw_number(out, c);
		buf_addc(out, '}');
		i = j;
	}
	buf_adds(out, "]}");
}

static int32_t day_at(const struct tally *t, size_t i, const size_t *start)
{
	return t->o[start[i]].day;
}

/* GET /metrics/daily: one visit of the window's traces (each day's count, and which traces
 * the trace filters keep), one of their observations. */
enum status langfuse_metrics_daily(struct http_req *req)
{
	long long page, limit;
	struct query q;
	struct filter f = {0};
	struct filter_cond c[2];
	struct tally t = {.a = req->arena};
	f.conds = c;
	if (!langfuse_paging(req, LF_MAX_LIMIT, &page, &limit) ||
	    !langfuse_window(req, "fromTimestamp", "toTimestamp", &f))
		return ST_OK;
	t.name = http_param(req, "traceName");
	t.user = http_param(req, "userId");
	t.ntags = langfuse_param_all(req, "tags", &t.tags);
	t.nenvs = langfuse_param_all(req, "environment", &t.envs);
	api_query_init(req, &q);
	q.f = &f;
	q.summary = true;
	q.visit_reset = tally_reset;
	enum status st = query_trace_visit(&q, count_trace, &t);
	if (st != ST_OK)
		return http_fail(req, st, "%s", err_text(&q.err));
	qsort(t.keep, t.nkeep, sizeof *t.keep, by_key);
	struct query_keys keys = {QK_TRACE, t.keep, NULL, t.nkeep};
	bool filtered = t.name || t.user || t.ntags || t.nenvs;
	api_query_init(req, &q);
	q.f = &f;
	q.visit_reset = obs_reset;
	if (filtered) {
		q.keys = &keys;
		q.nkeys = 1;
	}
	if ((st = query_span_visit(&q, count_obs, &t)) != ST_OK)
		return http_fail(req, st, "%s", err_text(&q.err));
	qsort(t.o, t.n, sizeof *t.o, by_day_model);
	/* The days: those with observations (start of each run in t.o) and those with traces. */
	size_t *start = arena_alloc(req->arena, (t.n + 1) * sizeof *start), nstart = 0;
	for (size_t i = 0; i < t.n; i++)
		if (!i || t.o[i].day != t.o[i - 1].day)
			start[nstart++] = i;
	start[nstart] = t.n;
	int32_t *days = arena_alloc(req->arena, (nstart + t.nd + 1) * sizeof *days);
	size_t ndays = 0;
	for (size_t i = 0; i < nstart; i++)
		days[ndays++] = day_at(&t, i, start);
	for (size_t k = 0; k < t.nd; k++) {
		size_t i = 0;
		while (i < ndays && days[i] != t.d[k].day)
			i++;
		if (i == ndays)
			days[ndays++] = t.d[k].day;
	}
	for (size_t i = 1; i < ndays; i++) /* newest first */
		for (size_t j = i; j > 0 && days[j] > days[j - 1]; j--) {
			int32_t x = days[j];
			days[j] = days[j - 1];
			days[j - 1] = x;
		}
	struct buf *out = arena_buf(req->arena);
	buf_adds(out, "{\"data\":[");
	for (size_t i = (size_t)((page - 1) * limit); i < ndays && i < (size_t)(page * limit);
	     i++) {
		int64_t traces = 0;
		size_t s = 0;
		for (size_t k = 0; k < t.nd; k++)
			if (t.d[k].day == days[i])
				traces = t.d[k].traces;
		while (s < nstart && day_at(&t, s, start) != days[i])
			s++;
		if (out->p[out->len - 1] != '[')
			buf_addc(out, ',');
		put_day(out, days[i], traces, s < nstart ? t.o + start[s] : NULL,
			s < nstart ? start[s + 1] - start[s] : 0);
	}
	langfuse_page_meta(out, page, limit, ndays);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}
