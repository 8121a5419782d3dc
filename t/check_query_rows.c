/* check_query_rows: the rows lib/query gives the surfaces other than Intake's pages, on the
 * fixture of check_query.c: offsets and keyset cursors both ways, roots, predicates on the
 * record and on the line, rows without a total, visits and counts, key sets, budgets. */
#include "t/check_query.h"

/* Ascending 64-bit values, for qsort. */
static int cmp_hash(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static const char *rows(const char *sort, long long offset, long long limit, const char *after,
			const char *before, struct query_rows *r)
{
	q_init(sort, 0, 0, NULL, FILTER_SPANS);
	Q.offset = offset;
	Q.limit = limit;
	Q.after_id = after;
	Q.before_id = before;
	ck_assert_int_eq(query_span_rows(&Q, r), ST_OK);
	return row_ids(r);
}

START_TEST(span_rows_and_cursors)
{
	struct query_rows r;
	ck_assert_str_eq(rows("started_at", 0, 2, NULL, NULL, &r), "s1,s2");
	ck_assert(r.more);
	ck_assert_uint_eq(r.total, 6);
	ck_assert_str_eq(rows("-started_at", 4, 10, NULL, NULL, &r), "s2,s1");
	ck_assert(!r.more);
	/* Forward from a cursor and back again: no gaps, no repeats. */
	ck_assert_str_eq(rows("started_at", 0, 2, "s2", NULL, &r), "s3,s4");
	ck_assert(r.more);
	ck_assert_str_eq(rows("started_at", 0, 2, "s4", NULL, &r), "s5,s6");
	ck_assert(!r.more);
	ck_assert_str_eq(rows("started_at", 0, 2, NULL, "s5", &r), "s3,s4");
	ck_assert(r.more);
	ck_assert_str_eq(rows("started_at", 0, 2, NULL, "s3", &r), "s1,s2");
	ck_assert(!r.more);
	ck_assert_str_eq(rows("-started_at", 0, 3, "s4", NULL, &r), "s3,s2,s1");
	ck_assert_str_eq(rows("-started_at", 0, 1, NULL, "s4", &r), "s5");
	/* A cursor outside the listing, both cursors, a bad limit. */
	q_init("started_at", 0, 0, NULL, FILTER_SPANS);
	Q.limit = 2;
	Q.after_id = "nope";
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_NOT_FOUND);
	Q.before_id = "s1";
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_BAD_REQUEST);
	Q.after_id = Q.before_id = NULL;
	Q.limit = 0;
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_BAD_REQUEST);
}
END_TEST

static bool llm_only(void *ctx, const char *line, size_t n)
{
	(void)ctx;
	return memmem(line, n, "\"kind\":\"LLM\"", 12) != NULL;
}

static int line_calls;
static bool count_lines(void *ctx, const char *line, size_t n)
{
	(void)ctx;
	line_calls++;
	return llm_only(NULL, line, n);
}

static int bare_llm(void *ctx, int kind)
{
	(void)ctx;
	return kind == KIND_LLM;
}

START_TEST(span_rows_conditions)
{
	struct query_rows r;
	/* roots, a surface's predicate, free text, and the name filter, with the filter. */
	q_init("started_at", 0, 0, NULL, FILTER_SPANS);
	Q.limit = 10;
	Q.roots_only = true;
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
	ck_assert_str_eq(row_ids(&r), "s1,s4,s6");
	struct query_pred pred = {.fn = llm_only};
	q_init("started_at", 0, 0, "{\"trace_id\":\"t1\"}", FILTER_SPANS);
	Q.limit = 10;
	Q.preds = &pred;
	Q.npreds = 1;
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
	ck_assert_str_eq(row_ids(&r), "s2,s3");
	/* Spans without raw_attributes: the predicate answers from the kind, no line is read. */
	struct query_pred bare = {.fn = count_lines, .bare = bare_llm};
	q_init("started_at", 0, 0, NULL, FILTER_SPANS);
	Q.limit = 10;
	Q.preds = &bare;
	Q.npreds = 1;
	line_calls = 0;
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
	ck_assert_str_eq(row_ids(&r), "s2,s3,s5");
	ck_assert_int_eq(line_calls, 0);
	/* Kind and status sets (a surface's list of types or statuses): each narrows, and two
	 * sets with nothing in common match nothing. */
	struct filter_cond sets[2] = {
	    {.field = FF_KIND, .op = FOP_IN, .enums = 1u << KIND_LLM | 1u << KIND_TOOL},
	    {.field = FF_STATUS, .op = FOP_IN, .enums = 1u << SPST_SUCCESS},
	};
	struct filter fs = {.conds = sets, .n = 2};
	q_init("started_at", 0, 0, NULL, FILTER_SPANS);
	Q.limit = 10;
	Q.f = &fs;
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
	ck_assert_str_eq(row_ids(&r), "s2,s5,s6");
	sets[1] = (struct filter_cond){.field = FF_KIND, .op = FOP_EQ, .enumv = KIND_AGENT};
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
	ck_assert_uint_eq(r.total, 0);
	const char *terms[] = {"S3"};
	q_init("started_at", 0, 0, NULL, FILTER_SPANS);
	Q.limit = 10;
	Q.search = terms;
	Q.nsearch = 1;
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
	ck_assert_str_eq(row_ids(&r), "s3");
	const char *two[] = {"SOME", "nothing-like-it"};
	Q.search = two;
	Q.nsearch = 2;
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
	ck_assert_uint_eq(r.n, 0);
	ck_assert_uint_eq(r.total, 0);
	q_init("started_at", 1, 10, "{\"name\":\"s4\"}", FILTER_SPANS);
	json_t *j = run(intake_pages_spans);
	ck_assert_int_eq(pg(j, "total_results"), 1);
	ck_assert_str_eq(str_at(j, 0, "span_id"), "s4");
	json_decref(j);
	/* The same terms through the Intake listings: traces match on their root span. */
	q_init("-started_at", 1, 10, NULL, FILTER_TRACES);
	const char *t[] = {"s4"};
	Q.search = t;
	Q.nsearch = 1;
	j = run(intake_pages_traces);
	ck_assert_int_eq(pg(j, "total_results"), 1);
	ck_assert_str_eq(str_at(j, 0, "id"), "t2");
	json_decref(j);
}
END_TEST

START_TEST(rows_without_total)
{
	/* A caller without a total (an Opik stream) gets the same rows; the older day, whose
	 * spans all start before the rows kept, is not read. */
	struct query_rows r;
	char all[256];
	q_init("-started_at", 0, 0, NULL, FILTER_SPANS);
	Q.limit = 2;
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
	snprintf(all, sizeof all, "%s", row_ids(&r));
	ck_assert_uint_eq(r.total, 6);
	Q.no_total = true;
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
	ck_assert_str_eq(row_ids(&r), all);
	ck_assert(r.more);
	ck_assert_uint_eq(r.total, 4); /* day 2 only */
	/* Ascending, and a page that needs both days: every day is read. */
	q_init("started_at", 0, 0, NULL, FILTER_SPANS);
	Q.limit = 3;
	Q.no_total = true;
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
	ck_assert_str_eq(row_ids(&r), "s1,s2,s3");
	Q.limit = 10;
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
	ck_assert_str_eq(row_ids(&r), "s1,s2,s3,s4,s5,s6");
	ck_assert_uint_eq(r.total, 6);
}
END_TEST

/* What a visit saw: span ids of the rows, or trace ids with span counts. */
static void seen_span(void *ctx, const struct query_row *row)
{
	const char *v;
	size_t vn;
	struct buf *b = ctx;
	ck_assert(jline_get(row->line, row->len, "span_id", &v, &vn));
	buf_printf(b, "%s%.*s", b->len ? "," : "", (int)vn - 2, v + 1);
}

static void seen_trace(void *ctx, const struct query_trace *t)
{
	const char *v;
	size_t vn;
	struct buf *b = ctx;
	ck_assert(jline_get(t->root.line, t->root.len, "trace_id", &v, &vn));
	buf_printf(b, "%s%.*s:%lld", b->len ? "," : "", (int)vn - 2, v + 1, (long long)t->u.spans);
}

START_TEST(visit_and_count)
{
	/* Every match, whatever the page: the entry points of stats. */
	struct buf b;
	size_t n = 99;
	buf_init(&b);
	q_init("-started_at", 0, 0, "{\"kind\":\"LLM\"}", FILTER_SPANS);
	ck_assert_int_eq(query_span_visit(&Q, seen_span, &b), ST_OK);
	ck_assert_str_eq(b.p, "s3,s5,s2"); /* newest day first, storage order within it */
	ck_assert_int_eq(query_span_count(&Q, &n), ST_OK);
	ck_assert_uint_eq(n, 3);
	q_init("started_at", 1, 1, NULL, FILTER_SPANS);
	ck_assert_int_eq(query_span_count(&Q, &n), ST_OK);
	ck_assert_uint_eq(n, 6);
	/* Traces, each with its rollup over all its spans (t1's past midnight too). */
	b.len = 0;
	q_init("started_at", 1, 1, NULL, FILTER_TRACES);
	ck_assert_int_eq(query_trace_visit(&Q, seen_trace, &b), ST_OK);
	ck_assert_str_eq(b.p, "t1:3,t2:2,t3:1");
	b.len = 0;
	q_init("-started_at", 1, 1, "{\"status\":\"error\"}", FILTER_TRACES);
	ck_assert_int_eq(query_trace_visit(&Q, seen_trace, &b), ST_OK);
	ck_assert_str_eq(b.p, "t2:2");
	/* No workspace: what the listings answer. */
	q_init("started_at", 1, 1, NULL, FILTER_SPANS);
	Q.ws = "no-such";
	ck_assert_int_eq(query_span_count(&Q, &n), ST_OK);
	ck_assert_uint_eq(n, 0);
	buf_free(&b);
}
END_TEST

START_TEST(key_sets)
{
	/* Spans among a set of span ids, traces among a set of trace ids (a score filter's
	 * answer): with the other conditions, in counts and pages alike. */
	uint64_t sp[] = {hash_bytes("s2", 2), hash_bytes("s5", 2), hash_bytes("zz", 2)};
	qsort(sp, 3, sizeof *sp, cmp_hash);
	struct query_keys k = {QK_SPAN, sp, NULL, 3};
	struct query_rows r;
	q_init("started_at", 0, 0, NULL, FILTER_SPANS);
	Q.limit = 10;
	Q.keys = &k;
	Q.nkeys = 1;
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
	ck_assert_str_eq(row_ids(&r), "s2,s5");
	ck_assert_uint_eq(r.total, 2);
	size_t n = 0;
	q_init("started_at", 1, 10, "{\"status\":\"success\"}", FILTER_SPANS);
	Q.keys = &k;
	Q.nkeys = 1;
	ck_assert_int_eq(query_span_count(&Q, &n), ST_OK);
	ck_assert_uint_eq(n, 2);
	uint64_t tr[] = {hash_bytes("t2", 2)};
	struct query_keys kt = {QK_TRACE, tr, NULL, 1};
	struct buf b;
	buf_init(&b);
	q_init("started_at", 1, 1, NULL, FILTER_TRACES);
	Q.keys = &kt;
	Q.nkeys = 1;
	ck_assert_int_eq(query_trace_visit(&Q, seen_trace, &b), ST_OK);
	ck_assert_str_eq(b.p, "t2:2");
	/* Spans in the order of a value each (a score), those without one last either way. */
	double sv[3];
	for (size_t i = 0; i < 3; i++)
		sv[i] = sp[i] == hash_bytes("s2", 2)   ? 0.9
			: sp[i] == hash_bytes("s5", 2) ? 0.1
						       : 0.5;
	struct query_keys ko = {QK_SPAN, sp, sv, 3};
	q_init("-score", 0, 0, "{\"kind\":\"LLM\"}", FILTER_SPANS);
	Q.limit = 10;
	Q.order = QO_KEYS;
	Q.order_keys = &ko;
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
	ck_assert_str_eq(row_ids(&r), "s2,s5,s3");
	Q.sort = "score";
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
	ck_assert_str_eq(row_ids(&r), "s5,s2,s3");
	/* Traces too. */
	uint64_t th[] = {hash_bytes("t1", 2), hash_bytes("t3", 2)};
	qsort(th, 2, sizeof *th, cmp_hash);
	double tv[2] = {th[0] == hash_bytes("t1", 2) ? 2.0 : 1.0,
			th[0] == hash_bytes("t1", 2) ? 1.0 : 2.0};
	struct query_keys tk = {QK_TRACE, th, tv, 2};
	b.len = 0;
	q_init("score", 1, 10, NULL, FILTER_TRACES);
	Q.order = QO_KEYS;
	Q.order_keys = &tk;
	ck_assert_int_eq(query_trace_visit(&Q, seen_trace, &b), ST_OK);
	ck_assert_str_eq(b.p, "t3:1,t1:3,t2:2");
	/* An empty set: nothing. */
	struct query_keys none = {QK_TRACE, tr, NULL, 0};
	q_init("started_at", 1, 10, NULL, FILTER_TRACES);
	Q.keys = &none;
	Q.nkeys = 1;
	struct query_traces t;
	ck_assert_int_eq(query_trace_rows(&Q, &t), ST_OK);
	ck_assert_uint_eq(t.total, 0);
	buf_free(&b);
}
END_TEST

START_TEST(budget)
{
	struct query_rows r;
	/* Three index records' worth of bytes: the listing of seven records is refused. */
	q_init("started_at", 0, 0, NULL, FILTER_SPANS);
	Q.limit = 10;
	Q.budget_bytes = 3 * sizeof(struct idx_rec);
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(Q.err.msg, "SPANDEX_QUERY_BYTES"));
	struct query_traces t;
	ck_assert_int_eq(query_trace_rows(&Q, &t), ST_BAD_REQUEST);
	/* A time budget the query stays within answers. */
	q_init("started_at", 0, 0, NULL, FILTER_SPANS);
	Q.limit = 10;
	Q.budget_ms = 1000;
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
	ck_assert_uint_eq(r.total, 6);
}
END_TEST

void check_query_rows(TCase *store)
{
	tcase_add_test(store, span_rows_and_cursors);
	tcase_add_test(store, span_rows_conditions);
	tcase_add_test(store, rows_without_total);
	tcase_add_test(store, budget);
	tcase_add_test(store, visit_and_count);
	tcase_add_test(store, key_sets);
}
