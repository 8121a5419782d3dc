/* Check suite for lib/catalog.c: the attribute catalog of reference nemo-intake.md section 5. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/model/span.h"
#include "lib/base/arena.h"

static struct arena *A;
static struct span S;

static void setup(void)
{
	A = arena_new();
	span_init(&S);
}

static void teardown(void)
{
	json_decref(S.evaluation_context);
	json_decref(S.usage_details);
	json_decref(S.cost_details);
	json_decref(S.raw_attributes);
	arena_free(A);
}

/* Applies the attributes written as JSON text to the fixture span. */
static void apply(const char *text)
{
	json_error_t err;
	json_t *attrs = json_loads(text, 0, &err);
	ck_assert_msg(attrs != NULL, "bad test JSON: %s", err.text);
	span_apply_attributes(A, &S, attrs);
	json_decref(attrs);
}

/* v as compact JSON with sorted keys ("" when NULL). */
static const char *dump(json_t *v)
{
	static char out[4096];
	char *t;
	if (!v)
		return "";
	t = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(12));
	snprintf(out, sizeof out, "%s", t);
	free(t);
	return out;
}

static const char *raw(void)
{
	return dump(S.raw_attributes);
}

/* Every string row and every one of its source keys, each alone. */
static const struct {
	const char *key;
	enum span_str field;
} str_keys[] = {
    {"gen_ai.request.model", SS_MODEL},
    {"gen_ai.response.model", SS_MODEL},
    {"llm.model_name", SS_MODEL},
    {"llm.response.model_name", SS_MODEL},
    {"llm.request.model_name", SS_MODEL},
    {"embedding.model_name", SS_MODEL},
    {"reranker.model_name", SS_MODEL},
    {"gen_ai.system", SS_PROVIDER},
    {"gen_ai.provider.name", SS_PROVIDER},
    {"llm.provider", SS_PROVIDER},
    {"llm.system", SS_PROVIDER},
    {"gen_ai.prompt.id", SS_PROMPT_ID},
    {"prompt.id", SS_PROMPT_ID},
    {"gen_ai.prompt.name", SS_PROMPT_NAME},
    {"langfuse.observation.prompt.name", SS_PROMPT_NAME},
    {"traceloop.prompt.key", SS_PROMPT_NAME},
    {"llm.prompt_template.version", SS_PROMPT_VERSION},
    {"traceloop.prompt.version", SS_PROMPT_VERSION},
    {"gen_ai.agent.id", SS_AGENT_ID},
    {"agent.id", SS_AGENT_ID},
    {"gen_ai.agent.name", SS_AGENT_NAME},
    {"llm.agent.name", SS_AGENT_NAME},
    {"agent.name", SS_AGENT_NAME},
    {"gen_ai.tool.name", SS_TOOL_NAME},
    {"tool.name", SS_TOOL_NAME},
    {"gen_ai.project", SS_PROJECT},
    {"project.name", SS_PROJECT},
    {"project", SS_PROJECT},
    {"exception.type", SS_ERROR_TYPE},
    {"exception.message", SS_ERROR_MESSAGE},
};

START_TEST(string_rows)
{
	char text[256];
	snprintf(text, sizeof text, "{\"%s\":\"v-%d\"}", str_keys[_i].key, _i);
	apply(text);
	ck_assert_ptr_nonnull(S.str[str_keys[_i].field]);
	snprintf(text, sizeof text, "v-%d", _i);
	ck_assert_str_eq(S.str[str_keys[_i].field], text);
	for (int f = 0; f < SS__COUNT; f++)
		if (f != (int)str_keys[_i].field)
			ck_assert_ptr_null(S.str[f]);
	ck_assert_ptr_null(S.raw_attributes);
}
END_TEST

/* Every token row and key: the value lands in the right counter and nowhere else. */
static const struct {
	const char *key;
	int which; /* 0 input, 1 output, 2 cached, 3 total */
} tok_keys[] = {
    {"gen_ai.usage.input_tokens", 0},
    {"llm.token_count.prompt", 0},
    {"gen_ai.usage.prompt_tokens", 0},
    {"gen_ai.usage.output_tokens", 1},
    {"llm.token_count.completion", 1},
    {"gen_ai.usage.completion_tokens", 1},
    {"gen_ai.usage.cached_tokens", 2},
    {"gen_ai.usage.input_cache_tokens", 2},
    {"llm.token_count.prompt_details.cache_read", 2},
    {"llm.token_count.cached", 2},
    {"gen_ai.usage.cache_read.input_tokens", 2},
    {"gen_ai.usage.cache_read_input_tokens", 2},
    {"gen_ai.usage.total_tokens", 3},
    {"llm.token_count.total", 3},
    {"llm.usage.total_tokens", 3},
};

START_TEST(token_rows)
{
	char text[256];
	int64_t got[4];
	snprintf(text, sizeof text, "{\"%s\":%d}", tok_keys[_i].key, 100 + _i);
	apply(text);
	got[0] = S.input_tokens;
	got[1] = S.output_tokens;
	got[2] = S.cached_tokens;
	got[3] = S.total_tokens;
	for (int w = 0; w < 4; w++)
		ck_assert_int_eq(got[w], w == tok_keys[_i].which ? 100 + _i : SPAN_NONE_I64);
	ck_assert_ptr_null(S.raw_attributes);
	ck_assert_ptr_null(S.usage_details);
}
END_TEST

static const struct {
	const char *key, *detail;
} usage_keys[] = {
    {"llm.token_count.prompt_details.cache_write", "prompt_details.cache_write"},
    {"gen_ai.usage.cache_creation.input_tokens", "prompt_details.cache_write"},
    {"gen_ai.usage.cache_creation_input_tokens", "prompt_details.cache_write"},
    {"llm.token_count.prompt_details.audio", "prompt_details.audio"},
    {"llm.token_count.completion_details.reasoning", "completion_details.reasoning"},
    {"gen_ai.usage.reasoning.output_tokens", "completion_details.reasoning"},
    {"llm.token_count.completion_details.audio", "completion_details.audio"},
};

START_TEST(usage_rows)
{
	char text[256], want[256];
	snprintf(text, sizeof text, "{\"%s\":7.0}", usage_keys[_i].key);
	apply(text);
	snprintf(want, sizeof want, "{\"%s\":7}", usage_keys[_i].detail);
	ck_assert_str_eq(dump(S.usage_details), want);
	ck_assert_ptr_null(S.raw_attributes);
	ck_assert_int_eq(S.input_tokens, SPAN_NONE_I64);
}
END_TEST

START_TEST(cost_rows)
{
	apply(
	    "{\"gen_ai.usage.cost\":0.1234567,\"llm.cost.prompt\":0.1,\"llm.cost.completion\":2}");
	ck_assert(S.cost_total_usd == 0.123457);
	ck_assert(S.cost_input_usd == 0.1);
	ck_assert(S.cost_output_usd == 2.0);
	ck_assert_ptr_null(S.raw_attributes);
	ck_assert_ptr_null(S.cost_details);
}
END_TEST

START_TEST(cost_total_second_key)
{
	apply("{\"llm.cost.total\":1.5}");
	ck_assert(S.cost_total_usd == 1.5);
	ck_assert(isnan(S.cost_input_usd));
	ck_assert(isnan(S.cost_output_usd));
	ck_assert_ptr_null(S.cost_details);
}
END_TEST

/* Any other numeric llm.cost.<x> is a cost_details entry named x; non-numbers stay raw. */
START_TEST(cost_details_dynamic)
{
	apply("{\"llm.cost.prompt_details.cache_read\":0.0000016,\"llm.cost.audio\":3,"
	      "\"llm.cost.note\":\"cheap\",\"llm.cost.neg\":-1,\"llm.cost.\":1}");
	ck_assert_str_eq(dump(S.cost_details),
			 "{\"audio\":3.0,\"prompt_details.cache_read\":2e-6}");
	ck_assert_str_eq(raw(),
			 "{\"llm.cost.\":1,\"llm.cost.neg\":-1,\"llm.cost.note\":\"cheap\"}");
	ck_assert(isnan(S.cost_total_usd));
}
END_TEST

START_TEST(evaluation_rows)
{
	apply("{\"nemo.evaluation.name\":\"ev\",\"nemo.test_case.id\":\"tc\"}");
	ck_assert_str_eq(dump(S.evaluation_context),
			 "{\"evaluation_id\":\"ev\",\"test_case_id\":\"tc\"}");
	ck_assert_ptr_null(S.raw_attributes);
}
END_TEST

START_TEST(evaluation_fallbacks)
{
	apply("{\"experiment.id\":\"old\",\"nemo.test_case.name\":\"tn\",\"nemo.test_case.id\":"
	      "\"ti\"}");
	ck_assert_str_eq(dump(S.evaluation_context),
			 "{\"evaluation_id\":\"old\",\"test_case_id\":\"tn\"}");
	/* The losing test-case key has a different value, so it is kept. */
	ck_assert_str_eq(raw(), "{\"nemo.test_case.id\":\"ti\"}");
}
END_TEST

START_TEST(evaluation_middle_key)
{
	apply("{\"nemo.experiment.id\":\"e2\",\"experiment.id\":\"e3\"}");
	ck_assert_str_eq(dump(S.evaluation_context), "{\"evaluation_id\":\"e2\"}");
	ck_assert_str_eq(raw(), "{\"experiment.id\":\"e3\"}");
}
END_TEST

/* First non-null wins; an equal loser is consumed, a different one is kept. */
START_TEST(priority_order)
{
	apply("{\"llm.model_name\":\"c\",\"gen_ai.response.model\":\"b\",\"gen_ai.request.model\":"
	      "\"a\","
	      "\"gen_ai.system\":\"openai\",\"gen_ai.provider.name\":\"openai\","
	      "\"llm.token_count.prompt\":5,\"gen_ai.usage.input_tokens\":4}");
	ck_assert_str_eq(S.str[SS_MODEL], "a");
	ck_assert_str_eq(S.str[SS_PROVIDER], "openai");
	ck_assert_int_eq(S.input_tokens, 4);
	ck_assert_str_eq(raw(), "{\"gen_ai.response.model\":\"b\",\"llm.model_name\":\"c\","
				"\"llm.token_count.prompt\":5}");
}
END_TEST

START_TEST(null_is_absent)
{
	apply("{\"gen_ai.request.model\":null,\"gen_ai.response.model\":\"b\","
	      "\"gen_ai.usage.input_tokens\":null}");
	ck_assert_str_eq(S.str[SS_MODEL], "b");
	ck_assert_int_eq(S.input_tokens, SPAN_NONE_I64);
	ck_assert_str_eq(raw(),
			 "{\"gen_ai.request.model\":null,\"gen_ai.usage.input_tokens\":null}");
}
END_TEST

/* A value of the wrong type is no value: the next key is tried and the bad one kept raw. */
START_TEST(type_errors)
{
	apply("{\"gen_ai.usage.input_tokens\":\"12\",\"llm.token_count.prompt\":12,"
	      "\"gen_ai.usage.output_tokens\":\"7\",\"gen_ai.request.model\":42,"
	      "\"gen_ai.system\":true,\"gen_ai.usage.total_tokens\":2.5,"
	      "\"gen_ai.usage.cached_tokens\":false,\"llm.cost.total\":\"0.5\","
	      "\"nemo.evaluation.name\":{\"x\":1}}");
	ck_assert_int_eq(S.input_tokens, 12);
	ck_assert_int_eq(S.output_tokens, SPAN_NONE_I64);
	ck_assert_int_eq(S.total_tokens, SPAN_NONE_I64);
	ck_assert_int_eq(S.cached_tokens, SPAN_NONE_I64);
	ck_assert_ptr_null(S.str[SS_MODEL]);
	ck_assert_ptr_null(S.str[SS_PROVIDER]);
	ck_assert(isnan(S.cost_total_usd));
	ck_assert_ptr_null(S.evaluation_context);
	ck_assert_str_eq(
	    raw(), "{\"gen_ai.request.model\":42,\"gen_ai.system\":true,"
		   "\"gen_ai.usage.cached_tokens\":false,\"gen_ai.usage.input_tokens\":\"12\","
		   "\"gen_ai.usage.output_tokens\":\"7\",\"gen_ai.usage.total_tokens\":2.5,"
		   "\"llm.cost.total\":\"0.5\",\"nemo.evaluation.name\":{\"x\":1}}");
}
END_TEST

START_TEST(negative_numbers)
{
	apply("{\"gen_ai.usage.input_tokens\":-1,\"gen_ai.usage.output_tokens\":-2.0,"
	      "\"llm.token_count.prompt_details.audio\":-3,\"gen_ai.usage.cost\":-0.5,"
	      "\"llm.cost.prompt\":-0.0,\"gen_ai.usage.total_tokens\":0}");
	ck_assert_int_eq(S.input_tokens, SPAN_NONE_I64);
	ck_assert_int_eq(S.output_tokens, SPAN_NONE_I64);
	ck_assert_int_eq(S.total_tokens, 0);
	ck_assert_ptr_null(S.usage_details);
	ck_assert(isnan(S.cost_total_usd));
	/* -0.0 is not below zero: a zero cost. */
	ck_assert(S.cost_input_usd == 0.0);
	ck_assert_str_eq(raw(), "{\"gen_ai.usage.cost\":-0.5,\"gen_ai.usage.input_tokens\":-1,"
				"\"gen_ai.usage.output_tokens\":-2.0,"
				"\"llm.token_count.prompt_details.audio\":-3}");
}
END_TEST

START_TEST(huge_float_count)
{
	apply("{\"gen_ai.usage.input_tokens\":1e300,\"gen_ai.usage.output_tokens\":"
	      "9007199254740992.0}");
	ck_assert_int_eq(S.input_tokens, SPAN_NONE_I64);
	ck_assert_int_eq(S.output_tokens, 9007199254740992LL);
	ck_assert_str_eq(raw(), "{\"gen_ai.usage.input_tokens\":1e300}");
}
END_TEST

/* Unknown attributes keep their JSON types; agent version is no Span field. */
START_TEST(raw_verbatim)
{
	apply(
	    "{\"a\":1,\"b\":1.5,\"c\":\"s\",\"d\":true,\"e\":null,\"f\":[1,\"x\"],\"g\":{\"h\":[]},"
	    "\"gen_ai.agent.version\":\"1.2\",\"agent.version\":\"1.2\"}");
	ck_assert_str_eq(
	    raw(), "{\"a\":1,\"agent.version\":\"1.2\",\"b\":1.5,\"c\":\"s\",\"d\":true,"
		   "\"e\":null,\"f\":[1,\"x\"],\"g\":{\"h\":[]},\"gen_ai.agent.version\":\"1.2\"}");
	for (int f = 0; f < SS__COUNT; f++)
		ck_assert_ptr_null(S.str[f]);
}
END_TEST

/* JSON objects the caller already put on the span are extended, their keys kept. */
START_TEST(existing_objects_kept)
{
	S.raw_attributes = json_pack("{s:s}", "x", "caller");
	S.usage_details = json_pack("{s:i}", "prompt_details.audio", 1);
	S.cost_details = json_pack("{s:f}", "audio", 9.0);
	apply("{\"x\":\"attr\",\"y\":2,\"llm.token_count.prompt_details.audio\":5,"
	      "\"llm.token_count.completion_details.audio\":6,\"llm.cost.audio\":1,\"llm.cost."
	      "img\":2}");
	ck_assert_str_eq(raw(), "{\"x\":\"caller\",\"y\":2}");
	ck_assert_str_eq(dump(S.usage_details),
			 "{\"completion_details.audio\":6,\"prompt_details.audio\":1}");
	ck_assert_str_eq(dump(S.cost_details), "{\"audio\":9.0,\"img\":2.0}");
}
END_TEST

START_TEST(not_an_object)
{
	json_t *arr = json_pack("[s]", "gen_ai.request.model");
	span_apply_attributes(A, &S, arr);
	span_apply_attributes(A, &S, NULL);
	json_decref(arr);
	ck_assert_ptr_null(S.raw_attributes);
	ck_assert_ptr_null(S.str[SS_MODEL]);
}
END_TEST

START_TEST(empty_object)
{
	apply("{}");
	ck_assert_ptr_null(S.raw_attributes);
	ck_assert_ptr_null(S.usage_details);
	ck_assert_ptr_null(S.cost_details);
	ck_assert_ptr_null(S.evaluation_context);
}
END_TEST

/* The span's strings are copies: they outlive the attribute object. */
START_TEST(strings_copied)
{
	apply("{\"gen_ai.tool.name\":\"search\"}");
	ck_assert_str_eq(S.str[SS_TOOL_NAME], "search");
}
END_TEST

static Suite *catalog_suite(void)
{
	Suite *s = suite_create("catalog");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, string_rows, 0, sizeof str_keys / sizeof str_keys[0]);
	tcase_add_loop_test(tc, token_rows, 0, sizeof tok_keys / sizeof tok_keys[0]);
	tcase_add_loop_test(tc, usage_rows, 0, sizeof usage_keys / sizeof usage_keys[0]);
	tcase_add_test(tc, cost_rows);
	tcase_add_test(tc, cost_total_second_key);
	tcase_add_test(tc, cost_details_dynamic);
	tcase_add_test(tc, evaluation_rows);
	tcase_add_test(tc, evaluation_fallbacks);
	tcase_add_test(tc, evaluation_middle_key);
	tcase_add_test(tc, priority_order);
	tcase_add_test(tc, null_is_absent);
	tcase_add_test(tc, type_errors);
	tcase_add_test(tc, negative_numbers);
	tcase_add_test(tc, huge_float_count);
	tcase_add_test(tc, raw_verbatim);
	tcase_add_test(tc, existing_objects_kept);
	tcase_add_test(tc, not_an_object);
	tcase_add_test(tc, empty_object);
	tcase_add_test(tc, strings_copied);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(catalog_suite());
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
