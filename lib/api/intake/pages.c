/* pages: Intake response bodies from lib/query's rows (pages.h). */
#include "lib/api/intake/pages.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "lib/base/time.h"
#include "lib/json/jline.h"
#include "lib/json/jsonw.h"
#include "lib/model/span.h"
#include "lib/api/intake/judgements.h"

static const char *const group_keys[] = {"trace_id", "session_id"};
static const char *const trace_cost_names[3] = {"cost_usd", "cost_input_usd", "cost_output_usd"};

/* The JSON value of key in a line, or "" when absent. */
static void buf_raw(struct buf *b, const char *p, size_t n, const char *key)
{
	const char *v;
	size_t vn;
	if (jline_get2(p, n, key, NULL, &v, &vn))
		buf_add(b, v, vn);
	else
		buf_adds(b, "\"\"");
}

void intake_pages_tail(struct buf *b, long long page, long long page_size, size_t cur, size_t total,
		       const char *sort, const json_t *echo)
{
	size_t pages = total ? (total - 1) / page_size + 1 : 0;
	buf_printf(b,
		   "],\"pagination\":{\"page\":%lld,\"page_size\":%lld,\"current_page_size\":%zu,"
		   "\"total_pages\":%zu,\"total_results\":%zu},\"sort\":",
		   page, page_size, cur, pages, total);
	jsonw_string(b, sort, strlen(sort));
	if (echo) {
		buf_adds(b, ",\"filter\":");
		jsonw_value(b, echo);
	}
}

/* The pagination object, the sort and the filter echo that close every list page. */
static void page_tail(struct buf *b, const struct query *q, size_t cur, size_t total)
{
	intake_pages_tail(b, q->page, q->page_size, cur, total, q->sort, q->f ? q->f->echo : NULL);
}

/* The bytes of the JSON string literal v[0..n) that hold its first max characters (code
 * points, as Python counts them): an escape is one character (a surrogate pair of \u escapes
 * one), a UTF-8 sequence one. Returns n when the literal is no longer, or not a string. */
static size_t literal_cut(const char *v, size_t n, size_t max)
{
	if (n < 2 || v[0] != '"')
		return n;
	size_t i = 1, chars = 0;
	while (i < n - 1) {
		if (chars == max)
			return i;
		if (v[i] == '\\') {
			bool pair = v[i + 1] == 'u' && i + 12 <= n - 1 && v[i + 6] == '\\' &&
				    v[i + 7] == 'u' && (v[i + 2] == 'd' || v[i + 2] == 'D') &&
				    strchr("89abAB", v[i + 3]);
			i += v[i + 1] == 'u' ? (pair ? 12 : 6) : 2;
		} else {
			i++;
			while (i < n - 1 && ((unsigned char)v[i] & 0xc0) == 0x80)
				i++;
		}
		chars++;
	}
	return n;
}

/* Span line without raw_attributes, and without input and output (mode=summary, §7.1) or
 * with them cut to INTAKE_PREVIEW_CHARS characters (mode=preview, NeMo Helix's, §7.1); either
 * way error_message cut to INTAKE_SUMMARY_ERROR_CHARS characters, as the service's
 * Span.from_domain cuts it in every mode but detailed. */
static void span_cut(struct buf *b, const char *p, size_t n, bool preview)
{
	size_t pos = 0;
	struct jline_member m;
	bool first = true;
	buf_addc(b, '{');
	while (jline_next(p, n, &pos, &m)) {
		bool io = (m.kn == 5 && memcmp(m.k, "input", 5) == 0) ||
			  (m.kn == 6 && memcmp(m.k, "output", 6) == 0);
		bool err = m.kn == 13 && memcmp(m.k, "error_message", 13) == 0;
		if ((io && !preview) || (m.kn == 14 && memcmp(m.k, "raw_attributes", 14) == 0))
			continue;
		if (!first)
			buf_addc(b, ',');
		first = false;
		if (!io && !err) {
			buf_add(b, m.k - 1, m.end - (m.start + 1));
			continue;
		}
		size_t cut =
		    literal_cut(m.v, m.vn, io ? INTAKE_PREVIEW_CHARS : INTAKE_SUMMARY_ERROR_CHARS);
		buf_add(b, m.k - 1, (size_t)(m.v - (m.k - 1)) + cut);
		if (cut < m.vn)
			buf_addc(b, '"');
	}
	buf_addc(b, '}');
}

static void spans_page(const struct query *q, const struct query_rows *r, bool preview,
		       struct buf *out)
{
	buf_adds(out, "{\"data\":[");
	for (size_t i = 0; i < r->n; i++) {
		if (i)
			buf_addc(out, ',');
		if (q->summary || preview)
			span_cut(out, r->rows[i].line, r->rows[i].len, preview);
		else
			buf_add(out, r->rows[i].line, r->rows[i].len);
	}
	page_tail(out, q, r->n, r->total);
	buf_addc(out, '}');
}

static void groups_page(const struct query *q, const enum query_group_by *by, size_t nby,
			const struct query_groups *g, struct buf *out)
{
	buf_adds(out, "{\"data\":[");
	for (size_t i = 0; i < g->n; i++) {
		buf_adds(out, i ? ",{\"group\":{" : "{\"group\":{");
		for (size_t j = 0; j < nby; j++)
			buf_printf(out, "%s\"%s\":%s", j ? "," : "", group_keys[by[j]],
				   g->rows[i].key[j]);
		buf_printf(out, "},\"span_count\":%lld}", (long long)g->rows[i].count);
	}
	page_tail(out, q, g->n, g->total);
	buf_adds(out, ",\"grouped_by\":[");
	for (size_t j = 0; j < nby; j++)
		buf_printf(out, "%s\"%s\"", j ? "," : "", group_keys[by[j]]);
	buf_adds(out, "]}");
}

static void duration(struct buf *b, int64_t start, int64_t end)
{
	buf_adds(b, ",\"duration_ms\":");
	jsonw_number(b, (double)(end - start) / 1000.0);
}

/* Sums present in at least one span; costs keep 6 decimals like the stored values (§5). */
static void rollup(struct buf *b, const struct query_rollup *u, bool counts)
{
	static const char *const tokn[4] = {"input_tokens", "output_tokens", "cached_tokens",
					    "total_tokens"};
	for (int i = 0; i < 4; i++)
		if (u->has_tok[i])
			buf_printf(b, ",\"%s\":%lld", tokn[i], (long long)u->tok[i]);
	for (int i = 0; i < 3; i++)
		if (u->has_cost[i]) {
			buf_printf(b, ",\"%s\":", trace_cost_names[i]);
			jsonw_number(b, round(u->cost[i] * 1e6) / 1e6);
		}
	if (counts)
		buf_printf(b, ",\"span_count\":%lld,\"error_count\":%lld", (long long)u->spans,
			   (long long)u->errors);
}

/* A Trace of the List Traces page, in schema order, from its root line and rollup (left
 * out in summary mode), and its evaluator_scores when scores is not NULL. */
static void trace(struct buf *b, const struct query *q, const struct query_trace *t,
		  const struct intake_scores *scores)
{
	const char *p = t->root.line, *v;
	size_t n = t->root.len, vn;
	buf_adds(b, "{\"id\":");
	buf_raw(b, p, n, "trace_id");
	buf_adds(b, ",\"root_span_id\":");
	buf_raw(b, p, n, "span_id");
	buf_adds(b, ",\"session_id\":");
	if (t->session)
		buf_adds(b, t->session);
	else
		buf_raw(b, p, n, "session_id");
	buf_adds(b, ",\"workspace\":");
	jsonw_string(b, q->ws, strlen(q->ws));
	if (jline_get(p, n, "name", &v, &vn)) {
		buf_adds(b, ",\"name\":");
		buf_add(b, v, vn);
	}
	/* Trace.experiment_context (List Traces page) is the root's evaluation context. */
	if (jline_get2(p, n, "evaluation_context", "evaluation_id", &v, &vn)) {
		buf_adds(b, ",\"experiment_context\":{\"experiment_id\":");
		buf_add(b, v, vn);
		if (jline_get2(p, n, "evaluation_context", "test_case_id", &v, &vn)) {
			buf_adds(b, ",\"test_case_id\":");
			buf_add(b, v, vn);
		}
		buf_addc(b, '}');
	}
	buf_adds(b, ",\"started_at\":");
	buf_raw(b, p, n, "started_at");
	if (jline_get(p, n, "ended_at", &v, &vn)) {
		buf_adds(b, ",\"ended_at\":");
		buf_add(b, v, vn);
		if (t->ended_us != SPAN_NONE_I64)
			duration(b, t->root.started_us, t->ended_us);
	}
	buf_adds(b, ",\"status\":");
	buf_raw(b, p, n, "status");
	if (!q->summary)
		rollup(b, &t->u, true);
	if (scores)
		intake_scores_render(scores, b);
	buf_addc(b, '}');
}

/* The judgement query beside q's spans. */
static void jquery_of(const struct query *q, struct jquery *jq)
{
	memset(jq, 0, sizeof *jq);
	jq->st = q->st;
	jq->a = q->a;
	jq->ws = q->ws;
}

/* The evaluator_scores of n traces or one session (by); NULL in summary mode, which reads
 * nothing but the roots. On a failure q->err says why. */
static enum status scores_of(struct query *q, enum judgement_target by, const char *const *ids,
			     size_t n, struct intake_scores **out)
{
	struct jquery jq;
	*out = NULL;
	if (q->summary)
		return ST_OK;
	jquery_of(q, &jq);
	*out = arena_alloc(q->a, (n ? n : 1) * sizeof **out);
	enum status st = intake_scores_of(&jq, by, ids, n, *out);
	if (st != ST_OK)
		q->err = jq.err;
	return st;
}

/* The session's open or closed state (spandex's own), NULL when none was ever set. */
static enum status state_of(struct query *q, const char *id, const char **state)
{
	struct jquery jq;
	jquery_of(q, &jq);
	enum status st = intake_session_state(&jq, id, state);
	if (st != ST_OK)
		q->err = jq.err;
	return st;
}

/* The trace id of a Trace row: its root's trace_id. */
static const char *trace_id_of(struct arena *a, const struct query_trace *t)
{
	const char *v;
	size_t vn;
	char *id;
	if (!jline_get(t->root.line, t->root.len, "trace_id", &v, &vn))
		return "";
	id = arena_alloc(a, vn + 1);
	size_t n = jline_unquote(v, vn, id, vn);
	if (n != (size_t)-1) {
		id[n] = 0; /* jline_unquote leaves it unended, in memory an earlier request used */
	} else {
		json_t *s = json_loadb(v, vn, JSON_DECODE_ANY, NULL);
		id = arena_strdup(a, json_is_string(s) ? json_string_value(s) : "");
		json_decref(s);
	}
	return id;
}

static void traces_page(const struct query *q, const struct query_traces *t,
			const struct intake_scores *scores, struct buf *out)
{
	buf_adds(out, "{\"data\":[");
	for (size_t i = 0; i < t->n; i++) {
		if (i)
			buf_addc(out, ',');
		trace(out, q, &t->rows[i], scores ? &scores[i] : NULL);
	}
	page_tail(out, q, t->n, t->total);
	buf_addc(out, '}');
}

static void session_body(const struct query *q, const char *id, const struct query_session *s,
			 const struct intake_scores *scores, const char *state, struct buf *out)
{
	char ts[40];
	buf_adds(out, "{\"id\":");
	jsonw_string(out, id, strlen(id));
	buf_adds(out, ",\"workspace\":");
	jsonw_string(out, q->ws, strlen(q->ws));
	time_format(s->started_us, ts);
	buf_printf(out, ",\"started_at\":\"%s\"", ts);
	if (s->ended_us != INT64_MIN) {
		time_format(s->ended_us, ts);
		buf_printf(out, ",\"ended_at\":\"%s\"", ts);
		duration(out, s->started_us, s->ended_us);
	}
	buf_printf(out, ",\"status\":\"%s\",\"trace_count\":%zu,\"span_count\":%lld",
		   span_status_names[s->status], s->traces, (long long)s->u.spans);
	rollup(out, &s->u, false);
	intake_scores_render(scores, out);
	if (state) {
		buf_adds(out, ",\"state\":");
		jsonw_string(out, state, strlen(state));
	}
	buf_addc(out, '}');
}

enum status intake_pages_spans(struct query *q, struct buf *out)
{
	struct query_rows r;
	enum status st = query_span_rows(q, &r);
	if (st == ST_OK)
		spans_page(q, &r, false, out);
	return st;
}

enum status intake_pages_span_previews(struct query *q, struct buf *out)
{
	struct query_rows r;
	enum status st = query_span_rows(q, &r);
	if (st == ST_OK)
		spans_page(q, &r, true, out);
	return st;
}

enum status intake_pages_groups(struct query *q, const enum query_group_by *by, size_t nby,
				struct buf *out)
{
	struct query_groups g;
	enum status st = query_group_rows(q, by, nby, &g);
	if (st == ST_OK)
		groups_page(q, by, nby, &g, out);
	return st;
}

enum status intake_pages_traces(struct query *q, struct buf *out)
{
	struct query_traces t;
	struct intake_scores *scores = NULL;
	enum status st = query_trace_rows(q, &t);
	if (st == ST_OK && t.n) {
		const char **ids = arena_alloc(q->a, t.n * sizeof *ids);
		for (size_t i = 0; i < t.n; i++)
			ids[i] = trace_id_of(q->a, &t.rows[i]);
		st = scores_of(q, JT_TRACE, ids, t.n, &scores);
	}
	if (st == ST_OK)
		traces_page(q, &t, scores, out);
	return st;
}

enum status intake_pages_trace(struct query *q, const char *id, struct buf *out)
{
	struct query_trace t;
	q->err = (struct err){ST_OK, ""}; /* a reason after the call is the engine's */
	struct intake_scores *scores = NULL;
	enum status st = query_trace_find(q, id, &t);
	if (st == ST_OK)
		st = scores_of(q, JT_TRACE, &id, 1, &scores);
	if (st == ST_OK)
		trace(out, q, &t, scores);
	else if (st == ST_NOT_FOUND && !q->err.msg[0])
		err_set(&q->err, st, "Trace %s/%s not found", q->ws, id);
	return st;
}

enum status intake_pages_session(struct query *q, const char *id, struct buf *out)
{
	struct query_session s;
	q->err = (struct err){ST_OK, ""}; /* a reason after the call is the engine's */
	struct intake_scores *scores = NULL;
	const char *state = NULL;
	enum status st = query_session_find(q, id, &s);
	if (st == ST_OK)
		st = scores_of(q, JT_SESSION, &id, 1, &scores);
	if (st == ST_OK)
		st = state_of(q, id, &state);
	if (st == ST_OK)
		session_body(q, id, &s, scores, state, out);
	else if (st == ST_NOT_FOUND && !q->err.msg[0])
		err_set(&q->err, st, "Session %s/%s not found", q->ws, id);
	return st;
}

/* The counts and sums of a rollup as the stats page names them. */
static void stats_sums(struct buf *b, const struct query_rollup *u, int64_t traces)
{
	buf_printf(b, "\"span_count\":%lld,\"error_count\":%lld,\"trace_count\":%lld",
		   (long long)u->spans, (long long)u->errors, (long long)traces);
	rollup(b, u, false);
}

static void stats_traces(struct buf *b, const struct query *q, const char *name,
			 const struct query_trace *t, size_t n)
{
	buf_printf(b, ",\"%s\":[", name);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addc(b, ',');
		trace(b, q, &t[i], NULL);
	}
	buf_addc(b, ']');
}

enum status intake_pages_stats(struct query *q, int64_t from_us, int64_t to_us, int64_t bucket_us,
			       struct buf *out)
{
	struct query_stats s;
	char ts[40];
	enum status st = query_stats(q, from_us, to_us, bucket_us, &s);
	if (st != ST_OK)
		return st;
	time_format(from_us, ts);
	buf_printf(out, "{\"start\":\"%s\"", ts);
	time_format(to_us, ts);
	buf_printf(out, ",\"end\":\"%s\",\"bucket_seconds\":%lld,", ts,
		   (long long)(bucket_us / 1000000));
	stats_sums(out, &s.total, s.traces);
	buf_adds(out, ",\"duration_ms\":{");
	if (s.dur_p50_us >= 0) {
		buf_adds(out, "\"p50\":");
		jsonw_number(out, (double)s.dur_p50_us / 1000.0);
		buf_adds(out, ",\"p95\":");
		jsonw_number(out, (double)s.dur_p95_us / 1000.0);
	}
	buf_adds(out, "},\"buckets\":[");
	for (size_t i = 0; i < s.n; i++) {
		time_format(s.buckets[i].t0_us, ts);
		buf_printf(out, "%s{\"start\":\"%s\",", i ? "," : "", ts);
		stats_sums(out, &s.buckets[i].u, s.buckets[i].traces);
		buf_addc(out, '}');
	}
	buf_addc(out, ']');
	stats_traces(out, q, "slowest_traces", s.slowest, s.nslowest);
	stats_traces(out, q, "costliest_traces", s.costliest, s.ncostliest);
	if (q->f && q->f->echo) {
		buf_adds(out, ",\"filter\":");
		jsonw_value(out, q->f->echo);
	}
	buf_addc(out, '}');
	return ST_OK;
}

enum status intake_pages_group_by(const char *by, enum query_group_by *fields, size_t *n,
				  struct err *why)
{
	*n = 0;
	const char *p = by ? by : "";
	bool any = false;
	for (const char *e; *p || !any; p = *e ? e + 1 : e) {
		e = strchr(p, ',');
		if (!e)
			e = p + strlen(p);
		size_t len = e - p;
		while (len && p[0] == ' ')
			p++, len--;
		while (len && p[len - 1] == ' ')
			len--;
		any = true;
		if (!len) {
			if (!*e && *n == 0) {
				return err_set(why, ST_BAD_REQUEST,
					       "At least one group-by field is required.");
			}
			if (!*e)
				break;
			continue;
		}
		enum query_group_by g;
		if (len == 8 && memcmp(p, "trace_id", 8) == 0) {
			g = QG_TRACE_ID;
		} else if (len == 10 && memcmp(p, "session_id", 10) == 0) {
			g = QG_SESSION_ID;
		} else {
			return err_set(why, ST_BAD_REQUEST,
				       "Unsupported span group-by field: %.*s. Allowed fields: "
				       "trace_id, session_id",
				       (int)len, p);
		}
		for (size_t i = 0; i < *n; i++)
			if (fields[i] == g) {
				return err_set(why, ST_BAD_REQUEST,
					       "Duplicate span group-by field: %.*s", (int)len, p);
			}
		fields[(*n)++] = g;
		if (!*e)
			break;
	}
	/* Only separators (by=,) name no field either. */
	return *n ? ST_OK
		  : err_set(why, ST_BAD_REQUEST, "At least one group-by field is required.");
}
