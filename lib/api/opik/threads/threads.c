/* threads: Opik's thread reads (reference judgement.md 2.4, 2.6): the page of GET
 * traces/threads, POST threads/retrieve, the stream of POST threads/search (the SDK's
 * searchThreads), GET threads/stats and the names of the threads' scores. Each builds the
 * project's threads in one pass (thread_rows.c), filters and orders them in memory, and reads
 * the messages of the threads it shows only. */
#include "lib/api/opik/surface.h"
#include "lib/api/opik/params.h"
#include "lib/api/opik/threads/thread.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/mem.h"
#include "lib/json/jsonw.h"
#include "lib/query/judgements.h"

/* What GET traces/threads can order by (TraceThreadSortingFactory), and feedback_scores.<name>. */
static const char sortable[] = "[\"id\",\"start_time\",\"end_time\",\"duration\","
			       "\"number_of_messages\",\"last_updated_at\",\"created_by\","
			       "\"created_at\"]";
static const char *const sort_fields[] = {"id",		"start_time",	      "end_time",
					  "duration",	"number_of_messages", "last_updated_at",
					  "created_by", "created_at",	      NULL};
enum {
	SO_ID,
	SO_START,
	SO_END,
	SO_DURATION,
	SO_MESSAGES,
	SO_UPDATED,
	SO_CREATED_BY,
	SO_CREATED,
	SO_SCORE,
	SO_DEFAULT,
	SO_MODEL
};

static const char *const project_needed =
    "Either 'project_name' or 'project_id' query param is required";

/* ---- selection and order ---- */

/* The scope's threads that pass f, as pointers into the built ones; messages read first when
 * f tests them. */
static enum status select_threads(struct http_req *req, const struct opik_thread_scope *sc,
				  const struct opik_thread_filter *f, struct opik_thread ***out,
				  size_t *n)
{
	struct opik_thread *v;
	size_t k;
	enum status st = opik_threads_collect(req, sc, &v, &k);
	if (st != ST_OK)
		return st;
	struct opik_thread **p = arena_alloc(req->arena, (k ? k : 1) * sizeof *p);
	for (size_t i = 0; i < k; i++)
		p[i] = &v[i];
	if (opik_thread_filter_messages(f) && (st = opik_threads_messages(req, p, k)) != ST_OK)
		return st;
	*n = 0;
	for (size_t i = 0; i < k; i++)
		if (opik_thread_filter_test(f, p[i]))
			p[(*n)++] = p[i];
	*out = p;
	return ST_OK;
}

struct order {
	int by;		  /* SO_* */
	int dir;	  /* 1 ascending, -1 descending */
	const char *name; /* SO_SCORE: the score's name */
};

static int cmp_num(double x, double y)
{
	return (x > y) - (x < y);
}

static int64_t end_or(const struct opik_thread *t, int64_t none)
{
	return t->end == SPAN_NONE_I64 ? none : t->end;
}

/* Opik's default order: last updated first, then the earliest start, the latest end (none
 * last), the model id descending. */
static int cmp_default(const struct opik_thread *x, const struct opik_thread *y)
{
	if (x->updated != y->updated)
		return x->updated > y->updated ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (end_or(x, INT64_MIN) != end_or(y, INT64_MIN))
		return end_or(x, INT64_MIN) > end_or(y, INT64_MIN) ? -1 : 1;
	return -strcmp(x->model_id, y->model_id);
}

static int cmp_thread(const void *a, const void *b, void *ctx)
{
	const struct order *o = ctx;
	const struct opik_thread *x = *(struct opik_thread *const *)a,
				 *y = *(struct opik_thread *const *)b;
	double vx = 0, vy = 0;
	bool hx, hy;
	int c = 0;
	switch (o->by) {
	case SO_ID:
		c = strcmp(x->id, y->id);
		break;
	case SO_START:
		c = cmp_num((double)x->start, (double)y->start);
		break;
	case SO_END:
		c = cmp_num((double)end_or(x, INT64_MIN), (double)end_or(y, INT64_MIN));
		break;
	case SO_DURATION:
		c = cmp_num((double)(end_or(x, x->start) - x->start),
			    (double)(end_or(y, y->start) - y->start));
		break;
	case SO_MESSAGES:
		c = cmp_num((double)x->traces, (double)y->traces);
		break;
	case SO_UPDATED:
		c = cmp_num((double)x->updated, (double)y->updated);
		break;
	case SO_CREATED:
		c = cmp_num((double)x->created, (double)y->created);
		break;
	case SO_SCORE:
		/* The threads without the score after those with one, either way. */
		hx = opik_thread_score(x, o->name, &vx);
		hy = opik_thread_score(y, o->name, &vy);
		if (hx != hy)
			return hx ? -1 : 1;
		c = cmp_num(vx, vy);
		break;
	case SO_MODEL:
		c = strcmp(x->model_id, y->model_id);
		break;
	default:
		break;
	}
	return c ? c * o->dir : cmp_default(x, y);
}

/* sorting=[{"field","direction"}] (opik.md §7.4): by the first element's field (DESC unless
 * it asks ASC); a field it cannot order by is ignored. */
static enum status sorting_parse(struct http_req *req, const char *text, struct order *o)
{
	const char *field;
	bool asc;
	enum status st = opik_sorting_first(req, text, &field, false, &asc);
	*o = (struct order){SO_DEFAULT, asc ? 1 : -1, NULL};
	for (int k = 0; field && sort_fields[k]; k++)
		if (!strcmp(field, sort_fields[k]))
			o->by = k;
	if (field && !strncmp(field, "feedback_scores.", 16) && field[16])
		o->by = SO_SCORE, o->name = arena_strdup(req->arena, field + 16);
	return st;
}

/* ---- GET traces/threads ---- */

static void scope_of(const struct http_pval *pv, struct opik_thread_scope *sc)
{
	*sc =
	    (struct opik_thread_scope){pv[OT_PROJECT_NAME].s, pv[OT_PROJECT_ID].s, NULL,
				       pv[OT_FROM].s,	      pv[OT_TO].s,	   pv[OT_SEARCH].s};
}

enum status opik_list_threads(struct http_req *req)
{
	const struct http_pval *pv = req->pv;
	struct opik_thread_scope sc;
	struct opik_thread_filter *f;
	struct opik_thread **v;
	struct order o;
	size_t n;
	enum status st;
	scope_of(pv, &sc);
	opik_project_pick(&sc.project, &sc.project_id);
	if (!sc.project && !sc.project_id)
		return http_fail(req, ST_BAD_REQUEST, "%s", project_needed);
	if ((st = opik_thread_filter_parse(req, NULL, pv[OT_FILTERS].s, &f)) != ST_OK ||
	    (st = sorting_parse(req, pv[OT_SORTING].s, &o)) != ST_OK ||
	    (st = select_threads(req, &sc, f, &v, &n)) != ST_OK)
		return st;
	if (n)
		qsort_r(v, n, sizeof *v, cmp_thread, &o);
	long long page = pv[OT_PAGE].i, size = pv[OT_SIZE].i;
	size_t from = (page - 1) * size < (long long)n ? (size_t)((page - 1) * size) : n;
	size_t to = from + (size_t)size < n ? from + (size_t)size : n;
	if ((st = opik_threads_messages(req, v + from, to - from)) != ST_OK)
		return st;
	struct buf *out = arena_buf(req->arena);
	buf_printf(out, "{\"page\":%lld,\"size\":%zu,\"total\":%zu,\"content\":[", page, to - from,
		   n);
	for (size_t i = from; i < to; i++) {
		if (i > from)
			buf_addc(out, ',');
		opik_thread_render(out, req->arena, v[i]);
	}
	buf_printf(out, "],\"sortableBy\":%s}", sortable);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* ---- POST threads/retrieve ---- */

/* TraceThreadIdentifier {project_name|project_id, thread_id, truncate?}: 200 TraceThread; 404
 * when the project or the thread is not there. */
enum status opik_thread_retrieve(struct http_req *req)
{
	json_t *body;
	struct opik_thread_scope sc = {0};
	struct verrs v;
	enum status st = opik_json_object(req, &body, &v);
	if (st != ST_OK)
		return st;
	opik_need_str(&v, body, "thread_id", &sc.thread_id);
	if (verrs_count(&v))
		return http_fail_invalid(req, &v);
	opik_opt_str(body, "project_name", &sc.project);
	opik_opt_str(body, "project_id", &sc.project_id);
	struct opik_thread *t;
	size_t n;
	const char *project;
	opik_project_pick(&sc.project, &sc.project_id);
	if (!sc.project && !sc.project_id)
		return http_fail(req, ST_BAD_REQUEST, "%s", project_needed);
	if ((st = opik_threads_collect(req, &sc, &t, &n)) != ST_OK)
		return st;
	if (!n) {
		st = opik_thread_project(req, sc.project, sc.project_id, NULL, &project);
		return st != ST_OK ? st
				   : http_fail(req, ST_NOT_FOUND, "Trace Thread id: %s not found",
					       sc.thread_id);
	}
	if ((st = opik_threads_messages(req, &t, 1)) != ST_OK)
		return st;
	struct buf *out = arena_buf(req->arena);
	opik_thread_render(out, req->arena, t);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* ---- POST threads/search ---- */

/* TraceThreadSearchStreamRequest: the threads as a stream of compact objects, each followed
 * by \r\n (opik.md §6), limit of them, in thread_model_id order descending; a
 * last_retrieved_thread_model_id continues after that thread (a stable order across calls:
 * a thread's model id never changes). */
enum status opik_search_threads(struct http_req *req)
{
	json_t *body;
	enum status st = opik_json_body(req, &body);
	if (st != ST_OK)
		return st;
	if (!json_is_object(body))
		return http_fail(req, ST_BAD_REQUEST, "The search body must be an object");
	long long limit;
	if ((st = opik_search_limit(req, body, &limit)) != ST_OK)
		return st;
	struct opik_thread_scope sc = {0};
	const char *after = opik_cursor(body, "last_retrieved_thread_model_id");
	opik_opt_str(body, "project_name", &sc.project);
	opik_opt_str(body, "project_id", &sc.project_id);
	opik_opt_str(body, "from_time", &sc.from);
	opik_opt_str(body, "to_time", &sc.to);
	opik_project_pick(&sc.project, &sc.project_id);
	if (!sc.project && !sc.project_id)
		return http_fail(req, ST_BAD_REQUEST, "%s", project_needed);
	struct opik_thread_filter *f;
	struct opik_thread **v;
	size_t n, k = 0;
	struct order o = {SO_MODEL, -1, NULL};
	if ((st = opik_thread_filter_parse(req, json_object_get(body, "filters"), NULL, &f)) !=
		ST_OK ||
	    (st = select_threads(req, &sc, f, &v, &n)) != ST_OK)
		return st;
	if (n)
		qsort_r(v, n, sizeof *v, cmp_thread, &o);
	while (after && k < n && strcmp(v[k]->model_id, after) >= 0)
		k++;
	size_t end = k + (size_t)limit < n ? k + (size_t)limit : n;
	if ((st = opik_threads_messages(req, v + k, end - k)) != ST_OK)
		return st;
	http_stream_open(req, 200, "application/octet-stream");
	struct buf *out = arena_buf(req->arena);
	for (size_t i = k; i < end; i++) {
		opik_thread_render(out, req->arena, v[i]);
		buf_adds(out, "\r\n");
		http_stream_flush(req, out, false);
	}
	http_stream_flush(req, out, true);
	return ST_OK;
}

/* ---- GET threads/stats ---- */

/* One more value x of the mean named name: means is an object of name -> [sum, count]. */
static void mean_add(json_t *means, const char *name, double x)
{
	json_t *m = json_object_get(means, name);
	if (!m) {
		json_object_set_new(means, name, json_pack("[f,i]", x, 1));
		return;
	}
	json_array_set_new(m, 0, json_real(json_number_value(json_array_get(m, 0)) + x));
	json_array_set_new(m, 1, json_integer(json_integer_value(json_array_get(m, 1)) + 1));
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The AVG items of the means, by name (StatsMapper sorts the keys), each named prefix + name. */
static void means_out(struct buf *out, struct arena *a, json_t *means, const char *prefix)
{
	size_t n = 0;
	const char *k, **keys = arena_alloc(a, (json_object_size(means) + 1) * sizeof *keys);
	json_t *m;
	json_object_foreach(means, k, m) keys[n++] = k;
	if (n)
		qsort(keys, n, sizeof *keys, cmp_key);
	for (size_t i = 0; i < n; i++) {
		const char *name = arena_printf(a, "%s%s", prefix, keys[i]);
		m = json_object_get(means, keys[i]);
		buf_adds(out, ",{\"type\":\"AVG\",\"name\":");
		jsonw_string(out, name, strlen(name));
		buf_adds(out, ",\"value\":");
		jsonw_number(out, json_number_value(json_array_get(m, 0)) /
				      (double)json_integer_value(json_array_get(m, 1)));
		buf_addc(out, '}');
	}
}

static int cmp_double(const void *a, const void *b)
{
	return cmp_num(*(const double *)a, *(const double *)b);
}

/* A thread's usage and scores, one value each of their means. */
static void thread_means(const struct opik_thread *t, json_t *usage, json_t *scores)
{
	struct span none;
	const char *k;
	json_t *u, *x;
	double sv;
	memset(&none, 0, sizeof none);
	u = opik_usage(&none, &t->u, OPIK_TRACE);
	json_object_foreach(u, k, x) mean_add(usage, k, json_number_value(x));
	json_decref(u);
	for (size_t m = 0; m < t->marks.n; m++) {
		const struct judgement *j = t->marks.v[m];
		bool first =
		    judgement_shows(j, &opik_view_score); /* of its name, among the marks */
		for (size_t o = 0; o < m && first; o++)
			first = !(judgement_shows(t->marks.v[o], &opik_view_score) &&
				  !strcmp(t->marks.v[o]->name, j->name));
		if (first && opik_thread_score(t, j->name, &sv))
			mean_add(scores, j->name, sv);
	}
}

/* The stats of the selected threads, as Opik's ThreadDAO gives them: the count, duration
 * percentiles, the counts of input, output and metadata and the mean tags (0: threads have
 * none of their own), the mean cost of those that cost anything, each usage key's and each
 * score's mean over the threads that have it. */
static void stats_out(struct http_req *req, struct opik_thread **v, size_t n)
{
	struct arena *a = req->arena;
	double *dur = arena_alloc(a, (n ? n : 1) * sizeof *dur), cost = 0;
	size_t nd = 0, ncost = 0;
	json_t *usage = json_object(), *scores = json_object();
	for (size_t i = 0; i < n; i++) {
		const struct opik_thread *t = v[i];
		if (t->end != SPAN_NONE_I64)
			dur[nd++] = (double)(t->end - t->start) / 1000.0;
		if (t->u.has_cost[QC_TOTAL] && t->u.cost[QC_TOTAL] > 0)
			cost += t->u.cost[QC_TOTAL], ncost++;
		thread_means(t, usage, scores);
	}
	if (nd)
		qsort(dur, nd, sizeof *dur, cmp_double);
	struct buf *out = arena_buf(a);
	buf_printf(out, "{\"stats\":[{\"type\":\"COUNT\",\"name\":\"thread_count\",\"value\":%zu}",
		   n);
	buf_adds(out, ",{\"type\":\"PERCENTAGE\",\"name\":\"duration\",\"value\":{\"p50\":");
	jsonw_number(out, opik_quantile(dur, nd, 0.5));
	buf_adds(out, ",\"p90\":");
	jsonw_number(out, opik_quantile(dur, nd, 0.9));
	buf_adds(out, ",\"p99\":");
	jsonw_number(out, opik_quantile(dur, nd, 0.99));
	buf_adds(out, "}},{\"type\":\"COUNT\",\"name\":\"input\",\"value\":0}"
		      ",{\"type\":\"COUNT\",\"name\":\"output\",\"value\":0}"
		      ",{\"type\":\"COUNT\",\"name\":\"metadata\",\"value\":0}"
		      ",{\"type\":\"AVG\",\"name\":\"tags\",\"value\":0}"
		      ",{\"type\":\"AVG\",\"name\":\"total_estimated_cost\",\"value\":");
	/* To 12 decimals, as the backend's Decimal128(12) has it. */
	jsonw_number(out, ncost ? round(cost / (double)ncost * 1e12) / 1e12 : 0);
	buf_addc(out, '}');
	means_out(out, a, usage, "usage.");
	means_out(out, a, scores, "feedback_score.");
	buf_adds(out, "]}");
	http_reply_json(req, 200, out->p, out->len);
}

enum status opik_thread_stats(struct http_req *req)
{
	struct opik_thread_scope sc;
	struct opik_thread_filter *f;
	struct opik_thread **v;
	size_t n;
	enum status st;
	scope_of(req->pv, &sc);
	opik_project_pick(&sc.project, &sc.project_id);
	if (!sc.project && !sc.project_id)
		return http_fail(req, ST_BAD_REQUEST, "%s", project_needed);
	/* A visit of the whole project: a slot first, as the other stats take. */
	if ((st = opik_thread_filter_parse(req, NULL, req->pv[OT_FILTERS].s, &f)) != ST_OK ||
	    (st = http_heavy(req)) != ST_OK || (st = select_threads(req, &sc, f, &v, &n)) != ST_OK)
		return st;
	stats_out(req, v, n);
	return ST_OK;
}

/* ---- GET threads/feedback-scores/names ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names of the scores on the threads of the project (project_id; every project without
 * one), from the judgement store alone: {"scores":[{"name"}]}, by name. */
enum status opik_thread_score_names(struct http_req *req)
{
	const char *project_id = req->pv[ON_PROJECT_ID].s;
	struct jfilter f = {.targets = 1u << JT_SESSION, .view = &opik_view_score};
	struct jquery q = {.st = api_store(req), .a = req->arena, .ws = req->ws, .f = &f};
	struct jrows r;
	enum status st = query_judgements(&q, &r);
	if (st != ST_OK)
		return http_fail(req, st, "%s", err_text(&q.err));
	const char **names = arena_alloc(req->arena, (r.n ? r.n : 1) * sizeof *names);
	size_t n = 0;
	/* A score of no project (a NeMo session label) is on the session's thread in every
	 * project, as the thread shows it. */
	for (size_t i = 0; i < r.n; i++) {
		const char *p = r.rows[i].project;
		if (!project_id || !*project_id || !p ||
		    !strcmp(opik_project_id(req->arena, p), project_id))
			names[n++] = r.rows[i].name;
	}
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	struct buf *out = arena_buf(req->arena);
	buf_adds(out, "{\"scores\":[");
	for (size_t i = 0, k = 0; i < n; i++) {
		if (i && !strcmp(names[i], names[i - 1]))
			continue;
		buf_adds(out, k++ ? ",{\"name\":" : "{\"name\":");
		jsonw_string(out, names[i], strlen(names[i]));
		buf_addc(out, '}');
	}
	buf_adds(out, "]}");
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}
