/* check_filter: the filter parser of reference nemo-intake.md §3.2/§3.3 (all three syntaxes,
 * every documented error message, the echo tree). */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/api/intake/filter.h"
#include "lib/model/span.h"
#include "lib/base/arena.h"

static struct arena *A;
static struct filter F;
static struct err E;

static void setup(void)
{
	A = arena_new();
	memset(&F, 0, sizeof F);
	memset(&E, 0, sizeof E);
}

static void teardown(void)
{
	arena_free(A);
}

static enum status raw(enum filter_kind k, const char *text)
{
	return intake_filter_parse(A, k, text, NULL, NULL, 0, &F, &E);
}

/* Bracket form: pairs key, value, ..., NULL. */
static enum status brackets(enum filter_kind k, ...)
{
	const char *keys[16], *vals[16];
	size_t n = 0;
	va_list ap;
	va_start(ap, k);
	for (const char *key; (key = va_arg(ap, const char *)) && n < 16; n++) {
		keys[n] = key;
		vals[n] = va_arg(ap, const char *);
	}
	va_end(ap);
	return intake_filter_parse(A, k, NULL, keys, vals, n, &F, &E);
}

static char *echo(void)
{
	static char out[2048];
	char *s = json_dumps(F.echo, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(out, sizeof out, "%s", s);
	free(s);
	return out;
}

START_TEST(json_fields_and_echo)
{
	const char *in =
	    "{\"project\":\"p\",\"status\":\"success\",\"kind\":\"LLM\","
	    "\"started_at\":{\"$gte\":\"2024-05-01T00:00:00Z\",\"$lte\":\"2024-05-31T23:59:59Z\"}}";
	ck_assert_int_eq(raw(FILTER_SPANS, in), ST_OK);
	ck_assert_uint_eq(F.n, 5);
	ck_assert_int_eq(F.conds[0].field, FF_PROJECT);
	ck_assert_str_eq(F.conds[0].vals[0], "p");
	ck_assert_int_eq(F.conds[1].enumv, SPST_SUCCESS);
	ck_assert_int_eq(F.conds[2].enumv, KIND_LLM);
	ck_assert_int_eq(F.conds[3].op, FOP_GTE);
	ck_assert(F.conds[3].us == 1714521600000000LL);
	ck_assert_int_eq(F.conds[4].op, FOP_LTE);
	/* The echo is the filter as received (List Span Groups example). */
	char *s = json_dumps(F.echo, JSON_COMPACT);
	ck_assert_str_eq(s, in);
	free(s);
}
END_TEST

START_TEST(json_and_flattens)
{
	ck_assert_int_eq(
	    raw(FILTER_SPANS, "{\"$and\":[{\"model\":\"m\"},{\"model\":{\"$eq\":\"n\"}}]}"), ST_OK);
	ck_assert_uint_eq(F.n, 2);
	ck_assert_str_eq(F.conds[1].vals[0], "n");
}
END_TEST

START_TEST(brackets_ops_with_and_without_dollar)
{
	ck_assert_int_eq(brackets(FILTER_SPANS, "filter[kind]", "TOOL", "filter[started_at][gte]",
				  "2024-01-01T00:00:00Z", "filter[started_at][$lte]",
				  "2024-01-02T00:00:00Z", "page", "2", NULL),
			 ST_OK);
	ck_assert_uint_eq(F.n, 3);
	ck_assert_str_eq(echo(),
			 "{\"kind\":\"TOOL\",\"started_at\":{\"$gte\":\"2024-01-01T00:00:00Z\","
			 "\"$lte\":\"2024-01-02T00:00:00Z\"}}");
	ck_assert_int_eq(brackets(FILTER_SPANS, "filter[model][$eq]", "gpt", NULL), ST_OK);
	ck_assert_int_eq(F.conds[0].field, FF_MODEL);
	/* No filter at all: nothing to echo. */
	ck_assert_int_eq(brackets(FILTER_SPANS, "page", "1", NULL), ST_OK);
	ck_assert_ptr_null(F.echo);
	ck_assert_uint_eq(F.n, 0);
}
END_TEST

START_TEST(raw_wins_over_brackets)
{
	const char *keys[] = {"filter[model]"}, *vals[] = {"x"};
	ck_assert_int_eq(
	    intake_filter_parse(A, FILTER_SPANS, "{\"model\":\"y\"}", keys, vals, 1, &F, &E),
	    ST_OK);
	ck_assert_uint_eq(F.n, 1);
	ck_assert_str_eq(F.conds[0].vals[0], "y");
}
END_TEST

START_TEST(text_syntax)
{
	ck_assert_int_eq(
	    raw(FILTER_SPANS,
		"kind:\"LLM\" AND model:\"gpt 4\" started_at>=\"2024-01-01T00:00:00Z\""),
	    ST_OK);
	ck_assert_uint_eq(F.n, 3);
	ck_assert_str_eq(F.conds[1].vals[0], "gpt 4");
	ck_assert_int_eq(F.conds[2].op, FOP_GTE);
	ck_assert_int_eq(raw(FILTER_TRACES, "id IN [\"a\", \"b\"]"), ST_OK);
	ck_assert_int_eq(F.conds[0].op, FOP_IN);
	ck_assert_uint_eq(F.conds[0].nvals, 2);
	ck_assert_int_eq(raw(FILTER_SPANS, "kind:\"LLM\" OR kind:\"TOOL\""), ST_BAD_REQUEST);
	ck_assert_int_eq(E.st, ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg,
			 "Only AND-combined field filters are supported for Intake span storage.");
	ck_assert_int_eq(raw(FILTER_SPANS, "-kind:\"LLM\""), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg,
			 "Only AND-combined field filters are supported for Intake span storage.");
	ck_assert_int_eq(raw(FILTER_SPANS, "model~\"gpt\""), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Filter field 'model' only supports equality.");
}
END_TEST

/* §3.3: started_at takes $gte/$lte only; a bare datetime means $eq and is refused. */
START_TEST(bare_datetime_refused)
{
	ck_assert_int_eq(brackets(FILTER_SPANS, "filter[started_at]", "2024-01-01T00:00:00Z", NULL),
			 ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Unsupported span filter: started_at $eq");
	ck_assert_int_eq(raw(FILTER_TRACES, "{\"started_at\":{\"$eq\":\"2024-01-01T00:00:00Z\"}}"),
			 ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Unsupported trace filter: started_at $eq");
}
END_TEST

START_TEST(trace_id_in)
{
	ck_assert_int_eq(raw(FILTER_TRACES, "{\"id\":{\"$in\":[\"a\",\"b\",\"c\"]}}"), ST_OK);
	ck_assert_uint_eq(F.conds[0].nvals, 3);
	ck_assert_int_eq(brackets(FILTER_TRACES, "filter[id][in]", "a,b", NULL), ST_OK);
	ck_assert_uint_eq(F.conds[0].nvals, 2);
	ck_assert_str_eq(F.conds[0].vals[1], "b");
	ck_assert_int_eq(
	    raw(FILTER_TRACES,
		"{\"experiment_id\":\"e\",\"test_case_id\":\"t\",\"session_id\":\"s\"}"),
	    ST_OK);
	ck_assert_uint_eq(F.n, 3);
}
END_TEST

START_TEST(unknown_field)
{
	ck_assert_int_eq(raw(FILTER_TRACES, "{\"model\":\"x\"}"), ST_BAD_REQUEST);
	ck_assert_str_eq(
	    E.msg,
	    "Unknown filter field 'model'. Valid fields: ['created_at', 'entity_type', "
	    "'experiment_id', 'id', 'name', 'project', 'session_id', 'started_at', 'status', "
	    "'test_case_id', 'updated_at', 'workspace']");
	ck_assert_int_eq(brackets(FILTER_SPANS, "filter[nope]", "x", NULL), ST_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(
	    E.msg, "Unknown filter field 'nope'. Valid fields: ['agent_id', 'agent_name', "));
	ck_assert_ptr_nonnull(strstr(E.msg, "'trace_id', 'updated_at', 'workspace']"));
	/* Every field the list names is served: the entity fields too (entity_fields). A
	 * bare datetime is refused as for started_at. */
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"created_at\":\"x\"}"), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Unsupported span filter: created_at $eq");
	/* name is served, spans and traces (the root span's), equality only. */
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"name\":\"x\"}"), ST_OK);
	ck_assert_int_eq(raw(FILTER_TRACES, "{\"name\":\"x\"}"), ST_OK);
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"name\":{\"$like\":\"x\"}}"), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Filter field 'name' only supports equality.");
}
END_TEST

/* §3.2's generic entity fields: id (span_id of a span, trace_id of a trace), workspace,
 * entity_type (settled at parse: all or nothing), created_at and updated_at (ingested_at,
 * $gte/$lte as started_at), project of a trace; TraceFilter's experiment_id (the
 * evaluation_id of evaluation_context). */
START_TEST(entity_fields)
{
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"id\":\"s1\",\"workspace\":\"w\"}"), ST_OK);
	ck_assert_uint_eq(F.n, 2);
	ck_assert_int_eq(F.conds[0].field, FF_SPAN_ID);
	ck_assert_int_eq(F.conds[1].field, FF_WORKSPACE);
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"id\":{\"$in\":\"a,b\"}}"), ST_OK);
	ck_assert_int_eq(F.conds[0].op, FOP_IN);
	ck_assert_uint_eq(F.conds[0].nvals, 2);
	ck_assert_int_eq(raw(FILTER_TRACES, "{\"id\":\"t1\"}"), ST_OK);
	ck_assert_int_eq(F.conds[0].field, FF_TRACE_ID);
	ck_assert_int_eq(raw(FILTER_TRACES, "{\"experiment_id\":\"e1\"}"), ST_OK);
	ck_assert_int_eq(F.conds[0].field, FF_EVALUATION_ID);
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"entity_type\":\"span\"}"), ST_OK);
	ck_assert(!F.nothing);
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"entity_type\":\"trace\"}"), ST_OK);
	ck_assert(F.nothing);
	ck_assert_int_eq(raw(FILTER_TRACES, "{\"entity_type\":\"trace\"}"), ST_OK);
	ck_assert(!F.nothing);
	ck_assert_int_eq(brackets(FILTER_SPANS, "filter[created_at][gte]", "2024-01-01T00:00:00Z",
				  "filter[updated_at][$lte]", "2024-01-02", NULL),
			 ST_OK);
	ck_assert_uint_eq(F.n, 2);
	ck_assert_int_eq(F.conds[0].op, FOP_GTE);
	ck_assert_int_eq(F.conds[0].us, 1704067200000000LL);
	ck_assert_int_eq(F.conds[1].field, FF_INGESTED_AT);
	/* The conditions beside the line's fields have Intake names only: span_id and ingested_at
	 * are no filter fields, and $in is the id's alone. */
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"span_id\":\"s1\"}"), ST_BAD_REQUEST);
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"ingested_at\":{\"$gte\":\"2024-01-01\"}}"),
			 ST_BAD_REQUEST);
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"trace_id\":{\"$in\":[\"t1\"]}}"), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Filter field 'trace_id' only supports equality.");
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"experiment_id\":\"e1\"}"), ST_BAD_REQUEST);
	ck_assert_int_eq(raw(FILTER_TRACES, "created_at>=\"2024-01-01\" project:\"p\""), ST_OK);
	ck_assert_int_eq(F.conds[1].field, FF_PROJECT);
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"updated_at\":{\"$gt\":\"2024-01-01\"}}"),
			 ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Unsupported span filter: updated_at $gt");
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"created_at\":{\"$gte\":\"soon\"}}"), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Filter field 'created_at' must be a valid datetime.");
	ck_assert_int_eq(raw(FILTER_TRACES, "{\"workspace\":{\"$in\":[\"w\"]}}"), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Filter field 'workspace' only supports equality.");
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"entity_type\":{\"$like\":\"s\"}}"), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Filter field 'entity_type' only supports equality.");
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"project\":{\"$in\":[\"p\"]}}"), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Filter field 'project' only supports equality.");
}
END_TEST

START_TEST(unsupported_operators)
{
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"started_at\":{\"$gt\":\"2024-01-01\"}}"),
			 ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Unsupported span filter: started_at $gt");
	ck_assert_int_eq(brackets(FILTER_SPANS, "filter[model][in]", "a", NULL), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Filter field 'model' only supports equality.");
	ck_assert_int_eq(raw(FILTER_TRACES, "{\"session_id\":{\"$like\":\"a\"}}"), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Filter field 'session_id' only supports equality.");
	ck_assert_int_eq(raw(FILTER_TRACES, "{\"started_at\":{\"$lt\":\"2024-01-01\"}}"),
			 ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Unsupported trace filter: started_at $lt");
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"model\":{\"$bogus\":\"a\"}}"), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Unsupported filter operator '$bogus' for field 'model'.");
}
END_TEST

START_TEST(or_not_and_mixing)
{
	const char *msg = "Only AND-combined field filters are supported for Intake span storage.";
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"$or\":[{\"model\":\"a\"},{\"model\":\"b\"}]}"),
			 ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, msg);
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"$not\":{\"model\":\"a\"}}"), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, msg);
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"model\":{\"$not\":\"a\"}}"), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, msg);
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"$and\":[{\"model\":\"a\"}],\"kind\":\"LLM\"}"),
			 ST_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(E.msg, "wrap the field filters in $and"));
}
END_TEST

START_TEST(values)
{
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"model\":null}"), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Filter field 'model' does not support null values.");
	ck_assert_int_eq(brackets(FILTER_SPANS, "filter[model]", "", NULL), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Filter field 'model' does not support null values.");
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"model\":3}"), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Filter field 'model' must be a string.");
	ck_assert_int_eq(brackets(FILTER_SPANS, "filter[model]", "a,b", NULL), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Filter field 'model' must be a string.");
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"kind\":\"llm\"}"), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Filter field 'kind' must be one of: LLM, CHAIN, TOOL, RETRIEVER, "
				"EMBEDDING, AGENT, RERANKER, EVALUATOR, GUARDRAIL, UNKNOWN");
	ck_assert_int_eq(raw(FILTER_TRACES, "{\"status\":\"ok\"}"), ST_BAD_REQUEST);
	ck_assert_str_eq(
	    E.msg, "Filter field 'status' must be one of: success, error, cancelled, unknown");
	/* A trace id list: strings only (NeMo's require_string_or_list_value). */
	ck_assert_int_eq(raw(FILTER_TRACES, "{\"id\":{\"$in\":[1,2]}}"), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Filter field 'id' with $in must be a list of strings.");
	ck_assert_int_eq(raw(FILTER_TRACES, "{\"session_id\":{\"$like\":\"s\"}}"), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Filter field 'session_id' only supports equality.");
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"started_at\":{\"$gte\":\"yesterday\"}}"),
			 ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Filter field 'started_at' must be a valid datetime.");
	ck_assert_int_eq(raw(FILTER_SPANS, "{\"model\":"), ST_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(E.msg, "Invalid JSON in filter"));
	ck_assert_int_eq(brackets(FILTER_SPANS, "filter[model]", "{bad", NULL), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Invalid JSON in filter parameter 'filter[model]'.");
	ck_assert_int_eq(brackets(FILTER_SPANS, "filter[a][b][c]", "x", NULL), ST_BAD_REQUEST);
	ck_assert_int_eq(raw(FILTER_TRACES, "{\"id\":{\"$in\":[\"a\",1]}}"), ST_BAD_REQUEST);
	ck_assert_str_eq(E.msg, "Filter field 'id' with $in must be a list of strings.");
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("filter");
	TCase *t = tcase_create("parse");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, json_fields_and_echo);
	tcase_add_test(t, json_and_flattens);
	tcase_add_test(t, brackets_ops_with_and_without_dollar);
	tcase_add_test(t, raw_wins_over_brackets);
	tcase_add_test(t, text_syntax);
	tcase_add_test(t, bare_datetime_refused);
	tcase_add_test(t, trace_id_in);
	tcase_add_test(t, unknown_field);
	tcase_add_test(t, entity_fields);
	tcase_add_test(t, unsupported_operators);
	tcase_add_test(t, or_not_and_mixing);
	tcase_add_test(t, values);
	suite_add_tcase(s, t);
	return s;
}
