/* stats: GET spans/stats and traces/stats (reference opik.md §9): the figures Opik's project
 * page shows, over what the same conditions as a list select. As the backend computes them:
 * the count; duration percentiles (ms, of the items that ended); how many have an input, an
 * output, metadata; the mean number of tags; the mean cost of those that cost anything; the
 * mean of each usage key and each feedback score over the items that have it (the scores from
 * the judgement store, judged.h, read a chunk of items at a time). GET feedback-scores/names
 * runs the same visit for the names. */
#include "lib/api/opik/surface.h"
#include "lib/api/opik/judgements/judged.h"
#include "lib/api/opik/params.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/base/arena.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/json/jline.h"
#include "lib/json/jsonw.h"

struct mean {
	char *name; /* malloc'd; NULL for the cost's */
	double sum;
	size_t n;
};

/* Means by name, in the order the names were first seen, all malloc'd: the items are parsed
 * in memory the engine gives back after each one (a transient predicate), so nothing that
 * outlives an item may live in the arena. */
struct means {
	struct mean *v;
	size_t n, cap;
};

struct stats {
	struct arena *a;
	enum opik_entity ent;
	struct opik_tally *tally; /* the items' scores, into scores */
	size_t n, input, output, metadata, tags;
	double *dur; /* ms, malloc'd */
	size_t ndur, cap;
	struct mean cost;
	struct means usage, scores;
};

static void mean_add(struct means *m, const char *name, double v)
{
	size_t i = 0;
	while (i < m->n && strcmp(m->v[i].name, name))
		i++;
	if (i == m->n) {
		if (m->n == m->cap) {
			m->cap = m->cap ? 2 * m->cap : 8;
			m->v = xrealloc(m->v, m->cap * sizeof *m->v);
		}
		m->v[m->n++] = (struct mean){xstrdup(name), 0, 0};
	}
	m->v[i].sum += v;
	m->v[i].n++;
}

static void means_free(struct means *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].name);
	free(m->v);
}

/* Stored input or output that says something: not absent, "", {} or []. */
static bool has_text(const char *t)
{
	return t && *t && strcmp(t, "{}") && strcmp(t, "[]") && strcmp(t, "\"\"");
}

static json_t *raw(const struct span *s, const char *k)
{
	return s->raw_attributes ? json_object_get(s->raw_attributes, k) : NULL;
}

/* What one item adds: from a parsed span (stats_add) or read off a span's line (observe). */
struct figures {
	const char *span_id, *trace_id; /* the item's id: the span's, or the trace's */
	int64_t started, ended;		/* ended SPAN_NONE_I64 when open */
	bool input, output, metadata;
	size_t tags;
	double cost;	/* NAN when none */
	json_t *usage;	/* an object of numbers */
	json_t *legacy; /* the raw OPIK_LEGACY_SCORES: Opik's array of {name, value}, or NULL */
};

/* The tally's score of an item: one more value of its name's mean. */
static void score_seen(void *ctx, const char *name, double value)
{
	mean_add(&((struct stats *)ctx)->scores, name, value);
}

static void figures_add(struct stats *st, const struct figures *f)
{
	st->n++;
	if (f->ended != SPAN_NONE_I64) {
		if (st->ndur == st->cap) {
			st->cap = st->cap ? 2 * st->cap : 1024;
			st->dur = xrealloc(st->dur, st->cap * sizeof *st->dur);
		}
		st->dur[st->ndur++] = (double)(f->ended - f->started) / 1000.0;
	}
	st->input += f->input;
	st->output += f->output;
	st->metadata += f->metadata;
	st->tags += f->tags;
	if (!isnan(f->cost) && f->cost > 0)
		st->cost.sum += f->cost, st->cost.n++;
	const char *k;
	json_t *x;
	json_object_foreach(f->usage, k, x)
	{
		if (json_is_number(x))
			mean_add(&st->usage, k, json_number_value(x));
	}
	const char *id = st->ent == OPIK_TRACE ? f->trace_id : f->span_id;
	opik_tally_add(st->tally, id ? id : "", f->span_id ? f->span_id : id ? id : "", f->legacy);
}

/* One item: a span, or a trace's row with the rollup of its spans (u). */
static void stats_add(struct stats *st, const struct span *s, const struct query_rollup *u,
		      enum opik_entity ent)
{
	struct figures f = {
	    .span_id = s->span_id,
	    .trace_id = s->trace_id,
	    .started = s->started_at,
	    .ended = s->ended_at,
	    .input = has_text(s->input),
	    .output = has_text(s->output),
	    .metadata = json_object_size(raw(s, "opik.metadata")) > 0,
	    .tags = json_array_size(raw(s, "opik.tags")),
	    .cost = ent == OPIK_TRACE && u ? (u->has_cost[QC_TOTAL] ? u->cost[QC_TOTAL] : NAN)
					   : s->cost_total_usd,
	    .usage = opik_usage(s, u, ent),
	    .legacy = raw(s, OPIK_LEGACY_SCORES),
	};
	figures_add(st, &f);
}

/* ---- a span's figures off its line ---- */

/* The member literals observe reads. */
enum {
	M_SPAN_ID,
	M_TRACE_ID,
	M_STARTED,
	M_ENDED,
	M_INPUT,
	M_OUTPUT,
	M_IN_TOK,
	M_OUT_TOK,
	M_TOTAL_TOK,
	M_USAGE,
	M_COST,
	M_RAW,
	M__COUNT
};
static const char *const members[M__COUNT] = {
    "span_id",	    "trace_id",	     "started_at",     "ended_at",
    "input",	    "output",	     "input_tokens",   "output_tokens",
    "total_tokens", "usage_details", "cost_total_usd", "raw_attributes",
};

static bool is(const char *v, size_t vn, const char *lit)
{
	return vn == strlen(lit) && !memcmp(v, lit, vn);
}

/* A string member as has_text reads it: a string literal that is not "", "{}", "[]" or "\"\"". */
static bool lit_has_text(const char *v, size_t vn)
{
	return v && vn > 2 && v[0] == '"' && !is(v, vn, "\"{}\"") && !is(v, vn, "\"[]\"") &&
	       !is(v, vn, "\"\\\"\\\"\"");
}

/* A time member (a string literal, or absent or null: SPAN_NONE_I64); false when odd. */
static bool lit_time(const char *v, size_t vn, int64_t *us)
{
	char t[64];
	size_t n;
	*us = SPAN_NONE_I64;
	if (!v || is(v, vn, "null"))
		return true;
	n = jline_unquote(v, vn, t, sizeof t - 1);
	if (n == (size_t)-1)
		return false;
	t[n] = '\0';
	return time_parse(t, true, us);
}

/* An integer member as json_is_integer sees it (SPAN_NONE_I64 otherwise). */
static int64_t lit_int(const char *v, size_t vn)
{
	char t[32], *end;
	if (!v || vn == 0 || vn >= sizeof t)
		return SPAN_NONE_I64;
	memcpy(t, v, vn);
	t[vn] = '\0';
	if (strpbrk(t, ".eE")) /* a real: not an integer to jansson */
		return SPAN_NONE_I64;
	errno = 0;
	long long x = strtoll(t, &end, 10);
	return errno || *end ? SPAN_NONE_I64 : x;
}

/* A string member's text, in a; NULL when absent or odd. */
static const char *lit_str(struct arena *a, const char *v, size_t vn)
{
	size_t n;
	char *t;
	if (!v || vn < 2 || v[0] != '"')
		return NULL;
	t = arena_alloc(a, vn);
	if ((n = jline_unquote(v, vn, t, vn)) == (size_t)-1)
		return NULL;
	t[n] = '\0';
	return t;
}

/* A value parsed alone (the arena's, given back after the span). */
static json_t *lit_json(const char *v, size_t vn)
{
	return v ? json_loadb(v, vn, JSON_DECODE_ANY, NULL) : NULL;
}

/* One span's figures from its canonical line, member by member (lib/json/jline.h), parsing
 * only the usage details and the Opik members of the raw attributes: a whole parse of each
 * line (span_parse) was 80% of a stats query's time. False when the line holds something
 * this reading does not expect; the caller parses it whole then. */
static bool line_figures(struct arena *a, const char *line, size_t n, struct figures *f)
{
	const char *v[M__COUNT] = {0};
	size_t vn[M__COUNT] = {0}, pos = 0;
	struct jline_member m;
	while (jline_next(line, n, &pos, &m))
		for (int i = 0; i < M__COUNT; i++)
			if (is(m.k, m.kn, members[i])) {
				v[i] = m.v, vn[i] = m.vn;
				break;
			}
	memset(f, 0, sizeof *f);
	f->span_id = lit_str(a, v[M_SPAN_ID], vn[M_SPAN_ID]);
	f->trace_id = lit_str(a, v[M_TRACE_ID], vn[M_TRACE_ID]);
	if (!lit_time(v[M_STARTED], vn[M_STARTED], &f->started) || f->started == SPAN_NONE_I64 ||
	    !lit_time(v[M_ENDED], vn[M_ENDED], &f->ended))
		return false;
	f->input = lit_has_text(v[M_INPUT], vn[M_INPUT]);
	f->output = lit_has_text(v[M_OUTPUT], vn[M_OUTPUT]);
	f->cost = NAN;
	if (v[M_COST] && !is(v[M_COST], vn[M_COST], "null")) {
		json_t *c = lit_json(v[M_COST], vn[M_COST]);
		f->cost = json_is_number(c) ? json_number_value(c) : NAN;
	}
	/* opik_usage's rule: the token counts, and the usage details beside them (a detail never
	 * hides a count). The details alone, when there were any, left out a count they do not
	 * hold: an OTLP span's counts beside a reasoning detail. */
	static const char *const names[] = {"prompt_tokens", "completion_tokens", "total_tokens"};
	json_t *ud = v[M_USAGE] && v[M_USAGE][0] == '{' ? lit_json(v[M_USAGE], vn[M_USAGE]) : NULL;
	f->usage = json_object();
	for (int i = 0; i < 3; i++) {
		int64_t t = lit_int(v[M_IN_TOK + i], vn[M_IN_TOK + i]);
		if (t != SPAN_NONE_I64)
			json_object_set_new(f->usage, names[i], json_integer(t));
	}
	if (json_is_object(ud))
		json_object_update_missing(f->usage, ud);
	/* The raw attributes are a string of JSON; the Opik members are named opik.* in it. */
	const char *r = v[M_RAW];
	if (r && r[0] == '"' && memmem(r, vn[M_RAW], "opik.", 5)) {
		char *attrs = arena_alloc(a, vn[M_RAW]);
		size_t an = jline_unquote(r, vn[M_RAW], attrs, vn[M_RAW]);
		const char *x;
		size_t xn;
		if (an == (size_t)-1 || an < 2 || attrs[0] != '{')
			return false;
		if (jline_get(attrs, an, "opik.metadata", &x, &xn))
			f->metadata = xn > 2 && x[0] == '{';
		if (jline_get(attrs, an, "opik.tags", &x, &xn))
			f->tags = json_array_size(lit_json(x, xn));
		if (jline_get(attrs, an, OPIK_LEGACY_SCORES, &x, &xn))
			f->legacy = lit_json(x, xn);
	} else if (r && !is(r, vn[M_RAW], "null")) {
		if (r[0] != '"')
			return false;
	}
	return true;
}

/* The predicate that sees every span of the selection (it runs after the list's own). */
static void observe(void *ctx, const struct query_row *row)
{
	struct stats *st = ctx;
	struct figures f;
	struct span s;
	json_t *root;
	struct arena_mark m = arena_mark(st->a); /* what one span's figures need, given back */
	if (line_figures(st->a, row->line, row->len, &f))
		figures_add(st, &f);
	else if (span_parse(row->line, row->len, &s, &root))
		stats_add(st, &s, NULL, OPIK_SPAN);
	arena_release(st->a, m);
}

/* A trace's row: its root's figures off the line, with the cost and usage of its rollup as
 * stats_add takes them (opik_usage reads only the rollup for a trace); the whole parse when
 * the line is not what line_figures expects. */
static void trace_add(void *ctx, const struct query_trace *t)
{
	struct stats *st = ctx;
	struct figures f;
	struct span sp;
	json_t *root;
	struct arena_mark m = arena_mark(st->a); /* what one trace's figures need, given back */
	if (!line_figures(st->a, t->root.line, t->root.len, &f)) {
		if (span_parse(t->root.line, t->root.len, &sp, &root))
			stats_add(st, &sp, &t->u, OPIK_TRACE);
	} else {
		memset(&sp, 0, sizeof sp);
		f.cost = t->u.has_cost[QC_TOTAL] ? t->u.cost[QC_TOTAL] : NAN;
		f.usage = opik_usage(&sp, &t->u, OPIK_TRACE);
		figures_add(st, &f);
	}
	arena_release(st->a, m);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double opik_quantile(const double *v, size_t n, double q)
{
	if (!n)
		return 0;
	double pos = q * (double)(n - 1);
	size_t lo = (size_t)pos;
	return lo + 1 < n ? v[lo] + (pos - (double)lo) * (v[lo + 1] - v[lo]) : v[lo];
}

/* The start of one item, up to its value. */
static void item(struct buf *out, struct arena *a, const char *type, const char *prefix,
		 const char *name)
{
	const char *full = arena_printf(a, "%s%s", prefix, name);
	buf_printf(out, ",{\"type\":\"%s\",\"name\":", type);
	jsonw_string(out, full, strlen(full));
	buf_adds(out, ",\"value\":");
}

static void means_out(struct buf *out, struct arena *a, const struct means *m, const char *prefix)
{
	for (size_t i = 0; i < m->n; i++) {
		item(out, a, "AVG", prefix, m->v[i].name);
		jsonw_number(out, m->v[i].sum / (double)m->v[i].n);
		buf_addc(out, '}');
	}
}

static void reply(struct http_req *req, struct stats *st, enum opik_entity ent)
{
	struct buf *out = arena_buf(req->arena);
	if (st->ndur) /* qsort takes no NULL, even for none */
		qsort(st->dur, st->ndur, sizeof *st->dur, cmp_double);
	buf_printf(out, "{\"stats\":[{\"type\":\"COUNT\",\"name\":\"%s\",\"value\":%zu}",
		   ent == OPIK_TRACE ? "trace_count" : "span_count", st->n);
	item(out, req->arena, "PERCENTAGE", "", "duration");
	buf_adds(out, "{\"p50\":");
	jsonw_number(out, opik_quantile(st->dur, st->ndur, 0.5));
	buf_adds(out, ",\"p90\":");
	jsonw_number(out, opik_quantile(st->dur, st->ndur, 0.9));
	buf_adds(out, ",\"p99\":");
	jsonw_number(out, opik_quantile(st->dur, st->ndur, 0.99));
	buf_adds(out, "}}");
	buf_printf(out, ",{\"type\":\"COUNT\",\"name\":\"input\",\"value\":%zu}", st->input);
	buf_printf(out, ",{\"type\":\"COUNT\",\"name\":\"output\",\"value\":%zu}", st->output);
	buf_printf(out, ",{\"type\":\"COUNT\",\"name\":\"metadata\",\"value\":%zu}", st->metadata);
	item(out, req->arena, "AVG", "", "tags");
	jsonw_number(out, st->n ? (double)st->tags / (double)st->n : 0);
	buf_addc(out, '}');
	item(out, req->arena, "AVG", "", "total_estimated_cost");
	/* To 12 decimals, as the backend's Decimal128(12) has it. */
	jsonw_number(out, st->cost.n ? round(st->cost.sum / (double)st->cost.n * 1e12) / 1e12 : 0);
	buf_addc(out, '}');
	means_out(out, req->arena, &st->usage, "usage.");
	means_out(out, req->arena, &st->scores, "feedback_score.");
	buf_adds(out, "]}");
	http_reply_json(req, 200, out->p, out->len);
}

static void stats_free(void *p)
{
	struct stats *st = p;
	free(st->dur);
	means_free(&st->usage);
	means_free(&st->scores);
}

/* A visit run again, from one state of the workspace (query.visit_reset): what the run
 * before gathered goes. */
static void stats_reset(void *p)
{
	struct stats *st = p;
	struct opik_tally *t = st->tally;
	stats_free(st);
	opik_tally_reset(t);
	*st = (struct stats){.a = st->a, .ent = st->ent, .tally = t};
}

/* Visits every item q selects (a heavy request: a slot first) into a new st. */
static enum status collect(struct http_req *req, enum opik_entity ent, struct query *q,
			   struct stats **out)
{
	struct stats *st = arena_alloc(req->arena, sizeof *st);
	memset(st, 0, sizeof *st);
	st->a = req->arena;
	st->ent = ent;
	arena_defer(req->arena, stats_free, st);
	st->tally = opik_tally_new(req, ent, score_seen, st);
	*out = st;
	/* Stats visit every item of the selection, a whole project as a rule: a slot before the
	 * first (refused at once, where a query's admission would come after QUERY_HEAVY_BYTES
	 * of work, which four clients repeating stats make a cheap request wait behind). */
	enum status s = http_heavy(req);
	if (s != ST_OK)
		return s;
	q->visit_reset = stats_reset;
	if (ent == OPIK_SPAN) {
		if ((s = query_span_visit(q, observe, st)) != ST_OK)
			return http_fail(req, s, "%s", err_text(&q->err));
	} else {
		/* Every trace in one pass, each with its rollup. */
		q->roots_only = true;
		if ((s = query_trace_visit(q, trace_add, st)) != ST_OK)
			return http_fail(req, s, "%s", err_text(&q->err));
	}
	return opik_tally_end(st->tally);
}

static enum status stats(struct http_req *req, enum opik_entity ent)
{
	const struct http_pval *pv = req->pv;
	struct query *q;
	struct stats *st;
	enum status s = opik_list_query(req, ent, pv[OL_PROJECT_NAME].s, pv[OL_PROJECT_ID].s,
					ent == OPIK_SPAN ? pv[OL_TRACE_ID].s : NULL,
					ent == OPIK_SPAN ? pv[OL_TYPE].s : NULL, pv[OL_FILTERS].s,
					pv[OL_SEARCH].s, pv[OL_FROM].s, pv[OL_TO].s, &q);
	if (s != ST_OK || (s = collect(req, ent, q, &st)) != ST_OK)
		return s;
	reply(req, st, ent);
	return ST_OK;
}

enum status opik_span_stats(struct http_req *req)
{
	return stats(req, OPIK_SPAN);
}

enum status opik_trace_stats(struct http_req *req)
{
	return stats(req, OPIK_TRACE);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct mean *)a)->name, ((const struct mean *)b)->name);
}

/* GET spans/feedback-scores/names (project_id, type) and traces/feedback-scores/names
 * (project_id), reference judgement.md 2.1: the names of the scores of the project's items,
 * by name, {"scores":[{"name":...}]}. Without project_id: 400 (the backend's message). */
enum status opik_score_names(struct http_req *req)
{
	enum opik_entity ent = strstr(req->route->pattern, "/spans") ? OPIK_SPAN : OPIK_TRACE;
	const char *project_id = req->pv[ON_PROJECT_ID].s;
	struct query *q;
	struct stats *st;
	if (opik_blank(project_id))
		return http_fail(req, ST_BAD_REQUEST, "project_id must be provided");
	enum status s = opik_list_query(req, ent, NULL, project_id, NULL,
					ent == OPIK_SPAN ? req->pv[ON_TYPE].s : NULL, NULL, NULL,
					NULL, NULL, &q);
	if (s != ST_OK || (s = collect(req, ent, q, &st)) != ST_OK)
		return s;
	if (st->scores.n)
		qsort(st->scores.v, st->scores.n, sizeof *st->scores.v, by_name);
	struct buf *out = arena_buf(req->arena);
	buf_adds(out, "{\"scores\":[");
	for (size_t i = 0; i < st->scores.n; i++) {
		buf_adds(out, i ? ",{\"name\":" : "{\"name\":");
		jsonw_string(out, st->scores.v[i].name, strlen(st->scores.v[i].name));
		buf_addc(out, '}');
	}
	buf_adds(out, "]}");
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}
