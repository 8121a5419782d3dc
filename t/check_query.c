/* check_query: lib/query against a small store built in a temp dir with store_append:
 * paging, sorting, filters confirmed on the line, superseded versions, groups, traces with a
 * span past midnight, rollups, sessions, an empty workspace, stats and breakdowns. Rows for
 * other surfaces (offsets, keyset cursors both ways, roots, predicates, visits, key sets,
 * budgets) are in check_query_rows.c; free text, phrases over pairs of words, the day's index
 * and the tail's in check_query_text.c, check_query_words.c, check_query_phrase.c,
 * check_query_index.c, check_query_lists.c and check_query_tail.c; answers from one state under a
 * writer in check_query_snap.c; the fixture they share in check_query_fixture.c. */
#include "t/check_query.h"

START_TEST(spans_sorted_and_paged)
{
	q_init("-started_at", 1, 4, NULL, FILTER_SPANS);
	json_t *j = run(intake_pages_spans);
	ck_assert_str_eq(str_at(j, 0, "span_id"), "s6");
	ck_assert_str_eq(str_at(j, 3, "span_id"), "s3");
	ck_assert_int_eq(pg(j, "total_results"), 6); /* the old s5 does not count */
	ck_assert_int_eq(pg(j, "total_pages"), 2);
	ck_assert_int_eq(pg(j, "current_page_size"), 4);
	ck_assert_str_eq(json_string_value(json_object_get(j, "sort")), "-started_at");
	ck_assert_ptr_null(json_object_get(j, "filter"));
	json_decref(j);
	q_init("started_at", 2, 4, NULL, FILTER_SPANS); /* last page */
	j = run(intake_pages_spans);
	ck_assert_int_eq(pg(j, "current_page_size"), 2);
	ck_assert_str_eq(str_at(j, 0, "span_id"), "s5");
	ck_assert_str_eq(str_at(j, 0, "model"), "gpt-4o");
	ck_assert_str_eq(str_at(j, 1, "span_id"), "s6");
	json_decref(j);
	q_init("started_at", 3, 4, NULL, FILTER_SPANS); /* past the end */
	j = run(intake_pages_spans);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "data")), 0);
	ck_assert_int_eq(pg(j, "total_results"), 6);
	json_decref(j);
}
END_TEST

START_TEST(spans_filters)
{
	q_init("started_at", 1, 10, "{\"model\":\"gpt-4o\",\"status\":\"success\"}", FILTER_SPANS);
	json_t *j = run(intake_pages_spans);
	ck_assert_int_eq(pg(j, "total_results"), 2);
	ck_assert_str_eq(str_at(j, 0, "span_id"), "s2");
	ck_assert_str_eq(str_at(j, 1, "span_id"), "s5");
	ck_assert_ptr_nonnull(json_object_get(j, "filter"));
	json_decref(j);
	/* the superseded version's model matches nothing */
	q_init("started_at", 1, 10, "{\"model\":\"claude\"}", FILTER_SPANS);
	j = run(intake_pages_spans);
	ck_assert_int_eq(pg(j, "total_results"), 0);
	ck_assert_int_eq(pg(j, "total_pages"), 0);
	json_decref(j);
	q_init("started_at", 1, 10,
	       "{\"trace_id\":\"t1\",\"started_at\":{\"$gte\":\"2024-03-02T00:00:00Z\"}}",
	       FILTER_SPANS);
	j = run(intake_pages_spans);
	ck_assert_int_eq(pg(j, "total_results"), 1);
	ck_assert_str_eq(str_at(j, 0, "span_id"), "s3");
	json_decref(j);
	q_init("started_at", 1, 10,
	       "{\"parent_span_id\":\"s1\",\"kind\":\"LLM\",\"session_id\":\"sess-a\"}",
	       FILTER_SPANS);
	j = run(intake_pages_spans);
	ck_assert_int_eq(pg(j, "total_results"), 2);
	json_decref(j);
	q_init("started_at", 1, 10, "{\"trace_id\":\"t1\",\"kind\":\"TOOL\"}", FILTER_SPANS);
	j = run(intake_pages_spans);
	ck_assert_int_eq(pg(j, "total_results"), 0);
	json_decref(j);
	q_init("started_at", 1, 10, "{\"trace_id\":\"nope\"}", FILTER_SPANS);
	j = run(intake_pages_spans);
	ck_assert_int_eq(pg(j, "total_results"), 0);
	json_decref(j);
}
END_TEST

START_TEST(spans_summary)
{
	q_init("-started_at", 1, 1, NULL, FILTER_SPANS);
	Q.summary = true;
	json_t *j = run(intake_pages_spans);
	json_t *s = json_array_get(json_object_get(j, "data"), 0);
	ck_assert_ptr_null(json_object_get(s, "input"));
	ck_assert_ptr_null(json_object_get(s, "output"));
	ck_assert_ptr_nonnull(json_object_get(s, "ingested_at"));
	ck_assert_ptr_nonnull(json_object_get(s, "usage_details"));
	json_decref(j);
}
END_TEST

/* mode=preview: input and output cut to INTAKE_PREVIEW_CHARS characters, whatever the bytes
 * of a character (UTF-8, an escape, a surrogate pair), and still JSON; no raw_attributes. */
START_TEST(spans_preview)
{
	struct buf in;
	buf_init(&in);
	/* 299 characters of each kind in turn: "é" (2 bytes), a quote (an escape), a newline, and
	 * U+1F600 (4 bytes), then more: the cut falls inside every kind once. */
	static const char *const units[] = {"\xc3\xa9", "\"", "\n", "\xf0\x9f\x98\x80"};
	for (int u = 0; u < 4; u++) {
		struct span s =
		    mk(arena_printf(A, "pv%d", u), "tpv", "", "sess-pv", "2024-05-01T10:00:00Z", 1,
		       KIND_LLM, SPST_SUCCESS, NULL, -1, NAN);
		in.len = 0;
		for (int i = 0; i < 299; i++)
			buf_adds(&in, "a");
		for (int i = 0; i < 5; i++)
			buf_adds(&in, units[u]);
		s.input = arena_strndup(A, in.p, in.len);
		s.output = "short";
		s.raw_attributes = json_pack("{s:s}", "k", "v");
		append(&s, 1);
		json_decref(s.raw_attributes);
		char filter[64];
		snprintf(filter, sizeof filter, "{\"id\":\"pv%d\"}", u);
		q_init("-started_at", 1, 10, filter, FILTER_SPANS);
		json_t *j = run(intake_pages_span_previews);
		json_t *r = json_array_get(json_object_get(j, "data"), 0);
		const char *got = json_string_value(json_object_get(r, "input"));
		ck_assert_ptr_nonnull(got);
		ck_assert_uint_eq(strlen(got), 299 + strlen(units[u]));
		ck_assert(!strncmp(got, in.p, strlen(got)));
		ck_assert_str_eq(json_string_value(json_object_get(r, "output")), "short");
		ck_assert_ptr_null(json_object_get(r, "raw_attributes"));
		ck_assert_ptr_nonnull(json_object_get(r, "span_id"));
		json_decref(j);
	}
	buf_free(&in);
}
END_TEST

static enum status groups_trace(struct query *q, struct buf *b)
{
	enum query_group_by by[] = {QG_TRACE_ID};
	return intake_pages_groups(q, by, 1, b);
}

static enum status groups_both(struct query *q, struct buf *b)
{
	enum query_group_by by[] = {QG_SESSION_ID, QG_TRACE_ID};
	return intake_pages_groups(q, by, 2, b);
}

START_TEST(groups)
{
	q_init("-span_count", 1, 10, NULL, FILTER_SPANS);
	json_t *j = run(groups_trace);
	json_t *d = json_object_get(j, "data");
	ck_assert_uint_eq(json_array_size(d), 3);
	ck_assert_str_eq(json_string_value(json_object_get(
			     json_object_get(json_array_get(d, 0), "group"), "trace_id")),
			 "t1");
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(d, 0), "span_count")),
			 3);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(d, 1), "span_count")),
			 2);
	ck_assert_int_eq(pg(j, "total_results"), 3);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "grouped_by"), 0)),
			 "trace_id");
	json_decref(j);
	q_init("span_count", 1, 10, "{\"kind\":\"LLM\"}", FILTER_SPANS);
	j = run(groups_both);
	d = json_object_get(j, "data");
	ck_assert_uint_eq(json_array_size(d), 2); /* t2: 1 LLM, t1: 2 LLM */
	json_t *g = json_object_get(json_array_get(d, 0), "group");
	ck_assert_str_eq(json_string_value(json_object_get(g, "trace_id")), "t2");
	ck_assert_str_eq(json_string_value(json_object_get(g, "session_id")), "sess-a");
	json_decref(j);
}
END_TEST

START_TEST(group_by_errors)
{
	enum query_group_by by[4];
	size_t n;
	struct err e = {0};
	ck_assert_int_eq(intake_pages_group_by("session_id,trace_id", by, &n, &e), ST_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(by[0], QG_SESSION_ID);
	ck_assert_int_eq(intake_pages_group_by(NULL, by, &n, &e), ST_BAD_REQUEST);
	ck_assert_str_eq(e.msg, "At least one group-by field is required.");
	ck_assert_int_eq(intake_pages_group_by("", by, &n, &e), ST_BAD_REQUEST);
	ck_assert_str_eq(e.msg, "At least one group-by field is required.");
	/* Separators alone name no field (NeMo's _parse_group_by drops empty parts). */
	for (const char *const *b = (const char *const[]){",", " , ", ",,", NULL}; *b; b++) {
		ck_assert_int_eq(intake_pages_group_by(*b, by, &n, &e), ST_BAD_REQUEST);
		ck_assert_str_eq(e.msg, "At least one group-by field is required.");
	}
	ck_assert_int_eq(intake_pages_group_by(",trace_id,", by, &n, &e), ST_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(intake_pages_group_by("kind", by, &n, &e), ST_BAD_REQUEST);
	ck_assert_str_eq(
	    e.msg, "Unsupported span group-by field: kind. Allowed fields: trace_id, session_id");
	ck_assert_int_eq(intake_pages_group_by("trace_id,trace_id", by, &n, &e), ST_BAD_REQUEST);
	ck_assert_str_eq(e.msg, "Duplicate span group-by field: trace_id");
}
END_TEST

START_TEST(traces)
{
	q_init("started_at", 1, 10, NULL, FILTER_TRACES);
	json_t *j = run(intake_pages_traces);
	ck_assert_int_eq(pg(j, "total_results"), 3);
	json_t *t1 = json_array_get(json_object_get(j, "data"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(t1, "id")), "t1");
	ck_assert_str_eq(json_string_value(json_object_get(t1, "root_span_id")), "s1");
	ck_assert_int_eq(json_integer_value(json_object_get(t1, "span_count")),
			 3); /* past midnight too */
	ck_assert_int_eq(json_integer_value(json_object_get(t1, "error_count")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(t1, "input_tokens")), 30);
	ck_assert(fabs(json_number_value(json_object_get(t1, "cost_usd")) - 0.3) < 1e-12);
	ck_assert(json_number_value(json_object_get(t1, "duration_ms")) == 120000.0);
	ck_assert_ptr_null(json_object_get(t1, "cached_tokens")); /* no span had it */
	json_t *t2 = json_array_get(json_object_get(j, "data"), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(t2, "input_tokens")),
			 7); /* newest s5 */
	ck_assert_str_eq(json_string_value(json_object_get(t2, "status")), "error");
	json_t *t3 = json_array_get(json_object_get(j, "data"), 2);
	ck_assert_ptr_null(json_object_get(t3, "ended_at"));
	ck_assert_ptr_null(json_object_get(t3, "duration_ms"));
	json_decref(j);
	q_init("-started_at", 1, 10, "{\"id\":{\"$in\":[\"t1\",\"t3\"]}}", FILTER_TRACES);
	Q.summary = true;
	j = run(intake_pages_traces);
	ck_assert_int_eq(pg(j, "total_results"), 2);
	ck_assert_str_eq(str_at(j, 0, "id"), "t3");
	ck_assert_ptr_null(
	    json_object_get(json_array_get(json_object_get(j, "data"), 1), "span_count"));
	json_decref(j);
	q_init("-started_at", 1, 10, "{\"status\":\"error\",\"session_id\":\"sess-a\"}",
	       FILTER_TRACES);
	j = run(intake_pages_traces);
	ck_assert_int_eq(pg(j, "total_results"), 1);
	ck_assert_str_eq(str_at(j, 0, "id"), "t2");
	json_decref(j);
}
END_TEST

START_TEST(trace_and_session_get)
{
	struct buf b;
	buf_init(&b);
	q_init("-started_at", 1, 10, NULL, FILTER_TRACES);
	ck_assert_int_eq(intake_pages_trace(&Q, "t1", &b), ST_OK);
	json_t *j = json_loads(b.p, 0, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "span_count")), 3);
	json_decref(j);
	b.len = 0;
	ck_assert_int_eq(intake_pages_trace(&Q, "t9", &b), ST_NOT_FOUND);
	ck_assert_str_eq(Q.err.msg, "Trace ws/t9 not found");
	ck_assert_int_eq(intake_pages_session(&Q, "sess-a", &b), ST_OK);
	j = json_loads(b.p, 0, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "trace_count")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "span_count")), 5);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "error");
	ck_assert_str_eq(json_string_value(json_object_get(j, "started_at")),
			 "2024-03-01T23:59:00Z");
	ck_assert_str_eq(json_string_value(json_object_get(j, "ended_at")),
			 "2024-03-02T10:00:01.500000Z");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "input_tokens")), 37);
	json_decref(j);
	b.len = 0;
	ck_assert_int_eq(intake_pages_session(&Q, "sess-b", &b), ST_OK);
	j = json_loads(b.p, 0, NULL);
	ck_assert_ptr_null(json_object_get(j, "ended_at")); /* s6 has no end */
	ck_assert_ptr_null(json_object_get(j, "input_tokens"));
	json_decref(j);
	ck_assert_int_eq(intake_pages_session(&Q, "nope", &b), ST_NOT_FOUND);
	ck_assert_str_eq(Q.err.msg, "Session ws/nope not found");
	buf_free(&b);
}
END_TEST

static enum status groups_session(struct query *q, struct buf *b)
{
	enum query_group_by by[] = {QG_SESSION_ID};
	return intake_pages_groups(q, by, 1, b);
}

/* A session of one page as "span_count/trace_count/input_tokens", or the status. */
static const char *session_says(const char *id)
{
	struct buf b;
	buf_init(&b);
	q_init("-started_at", 1, 10, NULL, FILTER_TRACES);
	enum status s = intake_pages_session(&Q, id, &b);
	const char *r = s == ST_NOT_FOUND ? "404" : arena_printf(A, "status %d", s);
	if (s == ST_OK) {
		json_t *j = json_loads(b.p, 0, NULL);
		r = arena_printf(A, "%lld/%lld/%lld",
				 json_integer_value(json_object_get(j, "span_count")),
				 json_integer_value(json_object_get(j, "trace_count")),
				 json_integer_value(json_object_get(j, "input_tokens")));
		json_decref(j);
	}
	buf_free(&b);
	return r;
}

/* Issue 31: a trace's spans belong to the session of the trace. The conversation id set on
 * one span only (the root, as instrumentations do, or a child) takes in every span of the
 * trace, on any day and from any batch; trace_count counts traces, not (source, trace)
 * pairs; a trace's default session is no session once a span of it names one. Get session,
 * the trace listing by session_id and the span groups by session_id agree. */
START_TEST(session_of_the_trace)
{
	const char *parts[2] = {"ws", "o1"};
	const char *otlp_default = hash_stable_id(A, "session", parts, 2);
	struct span s[] = {
	    /* c1: the root names conv-1, its children carry the trace's default (its id) */
	    mk("r1", "c1", "", "conv-1", "2024-06-01T10:00:00Z", 60, KIND_AGENT, SPST_SUCCESS, NULL,
	       -1, NAN),
	    mk("c1a", "c1", "r1", "c1", "2024-06-01T10:00:01Z", 5, KIND_LLM, SPST_SUCCESS, "gpt-4o",
	       10, 0.1),
	    /* c2: only a child names conv-1 */
	    mk("r2", "c2", "", "c2", "2024-06-01T11:00:00Z", 60, KIND_AGENT, SPST_SUCCESS, NULL, -1,
	       NAN),
	    mk("c2a", "c2", "r2", "conv-1", "2024-06-01T11:00:01Z", 5, KIND_LLM, SPST_SUCCESS,
	       "gpt-4o", 5, 0.05),
	    /* c3: no span names a session: the trace's default is its session */
	    mk("r3", "c3", "", "c3", "2024-06-01T12:00:00Z", 1, KIND_AGENT, SPST_SUCCESS, NULL, 1,
	       NAN),
	    /* o1: OTLP's default on the root, conv-2 on the child */
	    mk("ro", "o1", "", otlp_default, "2024-06-01T13:00:00Z", 1, KIND_AGENT, SPST_SUCCESS,
	       NULL, 2, NAN),
	    mk("co", "o1", "ro", "conv-2", "2024-06-01T13:00:00.5Z", 1, KIND_LLM, SPST_ERROR, NULL,
	       3, NAN),
	};
	append(s, sizeof s / sizeof s[0]);
	/* Later batches: a child of c1 on the next day with no session of its own, and a span
	 * of c1 from another source. */
	struct span late = mk("c1b", "c1", "r1", "c1", "2024-06-02T09:00:00Z", 5, KIND_LLM,
			      SPST_SUCCESS, "gpt-4o", 20, 0.2);
	append(&late, 1);
	struct span other = mk("x1", "c1", "r1", "conv-1", "2024-06-01T10:00:02Z", 1, KIND_TOOL,
			       SPST_SUCCESS, NULL, -1, NAN);
	other.source = "other";
	append(&other, 1);

	/* Before: 3/3/-- (r1, x1, c2a; three (source, trace) pairs; no tokens on them but c2a's) */
	ck_assert_str_eq(session_says("conv-1"), "6/2/35");
	ck_assert_str_eq(session_says("conv-2"), "2/1/5");
	ck_assert_str_eq(session_says("c3"), "1/1/1");
	/* The defaults of traces that name a session are no sessions. */
	ck_assert_str_eq(session_says("c1"), "404");
	ck_assert_str_eq(session_says("c2"), "404");
	ck_assert_str_eq(session_says(otlp_default), "404");

	q_init("started_at", 1, 10, "{\"session_id\":\"conv-1\"}", FILTER_TRACES);
	json_t *j = run(intake_pages_traces);
	ck_assert_int_eq(pg(j, "total_results"), 2);
	ck_assert_str_eq(str_at(j, 0, "id"), "c1");
	ck_assert_str_eq(str_at(j, 1, "id"), "c2");
	/* A trace's session_id is its session: c2's root names none, its child conv-1. */
	ck_assert_str_eq(str_at(j, 0, "session_id"), "conv-1");
	ck_assert_str_eq(str_at(j, 1, "session_id"), "conv-1");
	json_decref(j);
	struct buf tb;
	buf_init(&tb);
	q_init("-started_at", 1, 10, NULL, FILTER_TRACES);
	ck_assert_int_eq(intake_pages_trace(&Q, "o1", &tb), ST_OK);
	j = json_loads(tb.p, 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(j, "session_id")), "conv-2");
	json_decref(j);
	buf_free(&tb);
	/* With the listing's own ids: their intersection. */
	q_init("started_at", 1, 10, "{\"session_id\":\"conv-1\",\"id\":{\"$in\":[\"c2\",\"c3\"]}}",
	       FILTER_TRACES);
	j = run(intake_pages_traces);
	ck_assert_int_eq(pg(j, "total_results"), 1);
	ck_assert_str_eq(str_at(j, 0, "id"), "c2");
	json_decref(j);
	q_init("started_at", 1, 10, "{\"session_id\":\"c1\"}", FILTER_TRACES);
	j = run(intake_pages_traces);
	ck_assert_int_eq(pg(j, "total_results"), 0);
	json_decref(j);

	q_init("-span_count", 1, 10, "{\"started_at\":{\"$gte\":\"2024-06-01T00:00:00Z\"}}",
	       FILTER_SPANS);
	j = run(groups_session);
	json_t *d = json_object_get(j, "data");
	const char *got = "";
	for (size_t i = 0; i < json_array_size(d); i++)
		got = arena_printf(
		    A, "%s%s=%lld ", got,
		    json_string_value(json_object_get(
			json_object_get(json_array_get(d, i), "group"), "session_id")),
		    json_integer_value(json_object_get(json_array_get(d, i), "span_count")));
	ck_assert_str_eq(got, "conv-1=6 conv-2=2 c3=1 ");
	json_decref(j);
}
END_TEST

/* A get session opens each of its days once: its traces' spans are taken from the days opened
 * for its own records when the range tables put them there (before, every day was opened a
 * second time: 4 opens for sess-a's 2 days). A trace with a span on a day outside the
 * session's (a span with no session of its own, sent in another batch) is still summed whole,
 * from the days the workspace lists. */
START_TEST(session_days_once)
{
	struct buf b;
	buf_init(&b);
	q_init("-started_at", 1, 10, NULL, FILTER_TRACES);
	uint64_t d0 = query_days_opened();
	ck_assert_int_eq(intake_pages_session(&Q, "sess-a", &b), ST_OK);
	ck_assert_uint_eq(query_days_opened() - d0, 2);
	json_t *j = json_loads(b.p, 0, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "span_count")), 5);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "trace_count")), 2);
	json_decref(j);
	struct span root = mk("o1", "t8", "", "sess-out", "2024-03-03T10:00:00Z", 1, KIND_AGENT,
			      SPST_SUCCESS, NULL, 2, NAN);
	append(&root, 1);
	struct span late = mk("o2", "t8", "o1", "t8", "2024-03-05T10:00:00Z", 1, KIND_LLM,
			      SPST_ERROR, "gpt-4o", 3, NAN);
	append(&late, 1);
	q_init("-started_at", 1, 10, NULL, FILTER_TRACES);
	b.len = 0;
	d0 = query_days_opened();
	ck_assert_int_eq(intake_pages_session(&Q, "sess-out", &b), ST_OK);
	/* Its day, then the trace's two days from the listing. */
	ck_assert_uint_eq(query_days_opened() - d0, 3);
	j = json_loads(b.p, 0, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "span_count")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "input_tokens")), 5);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "error");
	json_decref(j);
	buf_free(&b);
}
END_TEST

/* A trace or session is looked for in the days of its range only, without listing the
 * workspace: days with no shard inside the range are passed over, and a range longer than
 * QUERY_KEY_DAYS is looked for in the days the workspace lists. */
START_TEST(keyed_days)
{
	struct span s[] = {
	    mk("g1", "gap", "", "sess-gap", "2024-04-01T10:00:00Z", 1, KIND_CHAIN, SPST_SUCCESS,
	       NULL, 3, NAN),
	    mk("g2", "gap", "g1", "sess-gap", "2024-04-06T10:00:00Z", 1, KIND_LLM, SPST_ERROR,
	       "gpt-4o", 4, NAN),
	    mk("l1", "long", "", "sess-long", "2024-04-01T11:00:00Z", 1, KIND_CHAIN, SPST_SUCCESS,
	       NULL, 5, NAN),
	    mk("l2", "long", "l1", "sess-long", "2024-09-01T11:00:00Z", 1, KIND_LLM, SPST_SUCCESS,
	       NULL, 6, NAN),
	};
	append(s, sizeof s / sizeof s[0]);
	static const struct {
		const char *id;
		long long tokens;
	} want[] = {{"gap", 7}, {"long", 11}};
	struct buf b;
	buf_init(&b);
	for (size_t k = 0; k < 2; k++) {
		char sess[32], filter[64];
		snprintf(sess, sizeof sess, "sess-%s", want[k].id);
		q_init("-started_at", 1, 10, NULL, FILTER_TRACES);
		b.len = 0;
		ck_assert_int_eq(intake_pages_trace(&Q, want[k].id, &b), ST_OK);
		json_t *j = json_loads(b.p, 0, NULL);
		ck_assert_int_eq(json_integer_value(json_object_get(j, "span_count")), 2);
		ck_assert_int_eq(json_integer_value(json_object_get(j, "input_tokens")),
				 want[k].tokens);
		json_decref(j);
		b.len = 0;
		ck_assert_int_eq(intake_pages_session(&Q, sess, &b), ST_OK);
		j = json_loads(b.p, 0, NULL);
		ck_assert_int_eq(json_integer_value(json_object_get(j, "span_count")), 2);
		json_decref(j);
		snprintf(filter, sizeof filter, "{\"trace_id\":\"%s\"}", want[k].id);
		q_init("-started_at", 1, 10, filter, FILTER_SPANS);
		j = run(intake_pages_spans);
		ck_assert_int_eq(pg(j, "total_results"), 2);
		ck_assert_str_eq(str_at(j, 0, "span_id"), k ? "l2" : "g2");
		json_decref(j);
	}
	/* The range table has no such trace: not found, without a day opened. */
	q_init("-started_at", 1, 10, NULL, FILTER_TRACES);
	ck_assert_int_eq(intake_pages_trace(&Q, "none", &b), ST_NOT_FOUND);
	buf_free(&b);
}
END_TEST

START_TEST(empty_and_invalid_workspace)
{
	q_init("-started_at", 1, 10, NULL, FILTER_SPANS);
	Q.ws = "empty-ws";
	json_t *j = run(intake_pages_spans);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "data")), 0);
	ck_assert_int_eq(pg(j, "total_pages"), 0);
	json_decref(j);
	j = run(intake_pages_traces);
	ck_assert_int_eq(pg(j, "total_results"), 0);
	json_decref(j);
	struct buf b;
	buf_init(&b);
	Q.ws = "../etc";
	ck_assert_int_eq(intake_pages_spans(&Q, &b), ST_NOT_FOUND);
	buf_free(&b);
}
END_TEST

START_TEST(stats)
{
	struct query_stats qs;
	int64_t from, to;
	ck_assert(time_parse("2024-03-01T00:00:00Z", true, &from));
	ck_assert(time_parse("2024-03-03T00:00:00Z", true, &to));
	q_init("-started_at", 1, 10, NULL, FILTER_SPANS);
	ck_assert_int_eq(query_stats(&Q, from, to, 86400000000LL, &qs), ST_OK);
	ck_assert_uint_eq(qs.n, 2);
	/* Day 1: s1, s2; day 2: s3, s4, s5 (newest version), s6. */
	ck_assert_int_eq(qs.buckets[0].u.spans, 2);
	ck_assert_int_eq(qs.buckets[1].u.spans, 4);
	ck_assert_int_eq(qs.buckets[1].u.errors, 2);
	ck_assert_int_eq(qs.total.spans, 6);
	ck_assert_int_eq(qs.traces, 3);
	ck_assert_int_eq(qs.buckets[0].traces, 1);
	/* t1's root runs 120 s, t2's 1 s, t3 has no end: p50 of {1, 120} s is 1 s. */
	ck_assert_int_eq(qs.dur_p50_us, 1000000);
	ck_assert_int_eq(qs.dur_p95_us, 120000000);
	ck_assert_uint_eq(qs.nslowest, 2);
	ck_assert_int_eq(qs.slowest[0].u.spans, 3); /* t1, with its rollup over all days */
	/* Costliest by the cost of its spans in the window: t1 0.3, t2 0.07. */
	ck_assert_uint_eq(qs.ncostliest, 2);
	ck_assert_ptr_nonnull(strstr(qs.costliest[0].root.line, "\"trace_id\":\"t1\""));
	/* A window of too many buckets, or that ends before it starts. */
	ck_assert_int_eq(query_stats(&Q, from, to, 60000000LL, &qs), ST_BAD_REQUEST);
	ck_assert_int_eq(query_stats(&Q, to, from, 86400000000LL, &qs), ST_BAD_REQUEST);
}
END_TEST

/* The breakdown of the fixture's spans by field f, at most max rows, as text: per row its value
 * ("-" when absent), spans, errors, roots, p50 and p95 in us; then the other row's. */
static char *breakdown_text(enum span_field f, size_t max)
{
	struct query_breakdown *rows, other;
	size_t n, values;
	struct buf b;
	buf_init(&b);
	q_init("-started_at", 1, 10, NULL, FILTER_SPANS);
	ck_assert_int_eq(query_breakdown(&Q, f, max, &rows, &n, &values, &other), ST_OK);
	for (size_t i = 0; i <= n; i++) {
		const struct query_breakdown *r = i < n ? &rows[i] : &other;
		if (i == n && !other.u.spans)
			break;
		buf_printf(&b, "%s%s %lld %lld %lld %lld %lld;", i == n ? "other:" : "",
			   r->value ? r->value : "-", (long long)r->u.spans, (long long)r->u.errors,
			   (long long)r->roots, (long long)r->dur_p50_us, (long long)r->dur_p95_us);
	}
	buf_printf(&b, " values %zu", values);
	return b.p;
}

static char *by_model(void)
{
	return breakdown_text(SF_MODEL, 10);
}

START_TEST(breakdown)
{
	/* s5's first version (claude) is superseded by its second (gpt-4o): no claude row. The
	 * spans without a model (s1, s4, s6) and gpt-4o's (s2, s3, s5) tie at 3; the absent value
	 * sorts first. s6 has no end: p50 and p95 of {1 s, 120 s}; gpt-4o's of {1, 5, 5} s. */
	char *plain = by_model();
	ck_assert_str_eq(plain,
			 "- 3 1 3 1000000 120000000;\"gpt-4o\" 3 1 0 5000000 5000000; values 2");
	struct query_breakdown *rows, other;
	size_t n, values;
	q_init("-started_at", 1, 10, NULL, FILTER_SPANS);
	ck_assert_int_eq(query_breakdown(&Q, SF_MODEL, 10, &rows, &n, &values, &other), ST_OK);
	ck_assert_int_eq(rows[1].u.tok[QT_INPUT], 37);
	ck_assert(fabs(rows[1].u.cost[QC_TOTAL] - 0.37) < 1e-9);
	ck_assert_int_eq(rows[1].u.llm, 3);
	/* One row: the rest summed in other, which has no one value. */
	char *one = breakdown_text(SF_MODEL, 1);
	ck_assert_str_eq(one, "- 3 1 3 1000000 120000000;other:- 3 1 0 5000000 5000000; values 2");
	free(one);
	/* The record's kind and status. */
	char *kinds = breakdown_text(SF_KIND, 10);
	ck_assert_str_eq(kinds, "\"LLM\" 3 1 0 5000000 5000000;\"AGENT\" 1 0 1 120000000 120000000;"
				"\"CHAIN\" 1 1 1 1000000 1000000;\"TOOL\" 1 0 1 -1 -1; values 4");
	free(kinds);
	char *statuses = breakdown_text(SF_STATUS, 10);
	ck_assert_str_eq(
	    statuses,
	    "\"success\" 4 0 2 5000000 120000000;\"error\" 2 2 1 1000000 5000000; values 2");
	free(statuses);
	/* The same from the lines (no tail columns), and from the days' .tix. */
	const char *days[] = {"2024-03-01", "2024-03-02"};
	char *lines = unindexed(days, 2, by_model);
	ck_assert_str_eq(lines, plain);
	free(lines);
	for (int d = 0; d < 2; d++)
		index_day(days[d]);
	answers_as(by_model, plain);
	/* A window and a condition apply; a field no column holds is refused. */
	struct filter_cond c = {.field = FF_STATUS, .op = FOP_EQ, .enumv = SPST_ERROR};
	struct filter errors = {.conds = &c, .n = 1};
	q_init("-started_at", 1, 10, NULL, FILTER_SPANS);
	Q.f = &errors;
	ck_assert_int_eq(query_breakdown(&Q, SF_MODEL, 10, &rows, &n, &values, &other), ST_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(rows[0].u.spans + rows[1].u.spans, 2);
	ck_assert_int_eq(query_breakdown(&Q, SF_INPUT, 10, &rows, &n, &values, &other),
			 ST_BAD_REQUEST);
	free(plain);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("query");
	TCase *t = tcase_create("store");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, spans_sorted_and_paged);
	tcase_add_test(t, spans_filters);
	tcase_add_test(t, spans_summary);
	tcase_add_test(t, groups);
	tcase_add_test(t, group_by_errors);
	tcase_add_test(t, traces);
	tcase_add_test(t, trace_and_session_get);
	tcase_add_test(t, session_of_the_trace);
	tcase_add_test(t, session_days_once);
	tcase_add_test(t, spans_preview);
	tcase_add_test(t, keyed_days);
	tcase_add_test(t, empty_and_invalid_workspace);
	tcase_add_test(t, stats);
	tcase_add_test(t, breakdown);
	TCase *w = tcase_create("index");
	tcase_add_checked_fixture(w, setup, teardown);
	TCase *u = tcase_create("text");
	check_query_rows(t);
	check_query_text(t, w, u);
	check_query_words(t);
	check_query_phrase(w);
	check_query_tail(t);
	check_query_traces(t);
	TCase *g = tcase_create("groups");
	tcase_add_checked_fixture(g, setup, teardown);
	check_query_groups(g);
	check_query_index(w);
	check_query_snap(w);
	check_query_ids(w);
	check_query_lists(t, w);
	check_query_tailwords(t);
	check_query_tailphrase(t);
	suite_add_tcase(s, t);
	suite_add_tcase(s, w);
	suite_add_tcase(s, u);
	suite_add_tcase(s, g);
	return s;
}
