/* Check suite for lib/model/catalog.c (with catalog_rows.c, catalog_kind.c, catalog_object.c and
 * catalog_context.c): the attribute catalog of reference nemo-intake.md section 5. */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/model/catalog.h"
#include "lib/model/span.h"
#include "lib/base/arena.h"
#include "t/check_catalog.h"

/* A fresh span, for a test that tries several attribute sets. */
static void reset(void)
{
	teardown();
	setup();
}

/* Applies the attributes written as JSON text to the fixture span. */
static void apply(const char *text)
{
	json_error_t err;
	json_t *attrs = json_loads(text, 0, &err);
	ck_assert_msg(attrs != NULL, "bad test JSON: %s", err.text);
	catalog_apply(A, &S, attrs);
	json_decref(attrs);
}

static const char *raw(void)
{
	return dump(S.raw_attributes);
}

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

/* The members past the first 64, whose index entries cat_apply looks up again instead of
 * keeping them from the walk for the candidates: the same span whether the table's keys come
 * first or after 70 others. */
START_TEST(many_attributes)
{
	const char *mapped = "\"gen_ai.request.model\":\"m\",\"gen_ai.usage.input_tokens\":7,"
			     "\"llm.cost.audio\":3,\"gen_ai.system\":\"openai\"";
	char other[70 * 16], text[2 * sizeof other + 8];
	size_t o = 0;
	for (int i = 0; i < 70; i++)
		o += (size_t)snprintf(other + o, sizeof other - o, "%s\"x%d\":%d", i ? "," : "", i,
				      i);
	char *got[2];
	for (int first = 0; first < 2; first++) {
		reset();
		snprintf(text, sizeof text, "{%s,%s}", first ? mapped : other,
			 first ? other : mapped);
		apply(text);
		ck_assert_str_eq(S.str[SS_MODEL], "m");
		ck_assert_str_eq(S.str[SS_PROVIDER], "openai");
		ck_assert_int_eq(S.input_tokens, 7);
		ck_assert_str_eq(dump(S.cost_details), "{\"audio\":3.0}");
		ck_assert_int_eq(json_object_size(S.raw_attributes), 70);
		got[first] = strdup(raw());
	}
	ck_assert_str_eq(got[0], got[1]);
	free(got[0]);
	free(got[1]);
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
	/* The detail is the input cost, and with no total sent the total (otel-egp.md 3.4). */
	ck_assert(S.cost_input_usd == 2e-6);
	ck_assert(S.cost_total_usd == 2e-6);
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
	/* -0.0 is not below zero: a zero cost, and so a zero total (the -0.5 is none). */
	ck_assert(S.cost_input_usd == 0.0);
	ck_assert(S.cost_total_usd == 0.0);
	ck_assert_str_eq(raw(), "{\"gen_ai.usage.cost\":-0.5,\"gen_ai.usage.input_tokens\":-1,"
				"\"gen_ai.usage.output_tokens\":-2.0,"
				"\"llm.token_count.prompt_details.audio\":-3}");
}
END_TEST

START_TEST(huge_float_count)
{
	apply("{\"gen_ai.usage.input_tokens\":1e300,\"gen_ai.usage.output_tokens\":"
	      "4294967295.0}");
	ck_assert_int_eq(S.input_tokens, SPAN_NONE_I64);
	ck_assert_int_eq(S.output_tokens, CATALOG_MAX_TOKENS);
	ck_assert_str_eq(raw(), "{\"gen_ai.usage.input_tokens\":1e300}");
	/* Past CATALOG_MAX_TOKENS (the index's 32 bits) a value is no count, integer or float; the
	 * cost check adds no counts that would overflow (UBSan killed it at INT64_MAX + 1). */
	reset();
	apply("{\"gen_ai.usage.input_tokens\":9223372036854775807,\"gen_ai.usage.output_tokens\":"
	      "4294967296,\"gen_ai.usage.cost\":0.5,\"gen_ai.usage.total_tokens\":9007199254740992."
	      "0}");
	ck_assert_int_eq(S.input_tokens, SPAN_NONE_I64);
	ck_assert_int_eq(S.output_tokens, SPAN_NONE_I64);
	ck_assert_int_eq(S.total_tokens, SPAN_NONE_I64);
	S.input_tokens = INT64_MAX; /* a version stored before the limit, as a PATCH merges it */
	S.output_tokens = 1;
	catalog_check_cost(&S);
	ck_assert(S.cost_total_usd == 0.5);
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
	catalog_apply(A, &S, arr);
	catalog_apply(A, &S, NULL);
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

/* The NeMo order stands where otel-egp.md 3.4 differs: the requested model wins over the one
 * that answered, which is kept raw when it differs and consumed when it is the same;
 * Langfuse's model name comes last. */
START_TEST(model_order)
{
	apply(
	    "{\"gen_ai.response.model\":\"gpt-4o-2024-08-06\",\"gen_ai.request.model\":\"gpt-4o\","
	    "\"langfuse.observation.model.name\":\"gpt-4o\"}");
	ck_assert_str_eq(S.str[SS_MODEL], "gpt-4o");
	ck_assert_str_eq(raw(), "{\"gen_ai.response.model\":\"gpt-4o-2024-08-06\"}");
	reset();
	apply("{\"gen_ai.response.model\":\"gpt-4o\",\"gen_ai.request.model\":\"gpt-4o\"}");
	ck_assert_str_eq(S.str[SS_MODEL], "gpt-4o");
	ck_assert_ptr_null(S.raw_attributes);
	reset();
	apply("{\"llm.model_name\":\"m\",\"langfuse.observation.model.name\":\"lf\"}");
	ck_assert_str_eq(S.str[SS_MODEL], "m");
	ck_assert_str_eq(raw(), "{\"langfuse.observation.model.name\":\"lf\"}");
}
END_TEST

/* Prompt versions: a string, or an integer (Langfuse, Traceloop) written in decimal; the
 * OpenInference key first, Langfuse's, then Traceloop's. */
START_TEST(prompt_version_ints)
{
	apply("{\"langfuse.observation.prompt.version\":3,\"traceloop.prompt.version\":3}");
	ck_assert_str_eq(S.str[SS_PROMPT_VERSION], "3");
	ck_assert_ptr_null(S.raw_attributes);
	reset();
	apply("{\"llm.prompt_template.version\":\"v2\",\"langfuse.observation.prompt.version\":3,"
	      "\"traceloop.prompt.version\":4.0}");
	ck_assert_str_eq(S.str[SS_PROMPT_VERSION], "v2");
	ck_assert_str_eq(raw(), "{\"langfuse.observation.prompt.version\":3,"
				"\"traceloop.prompt.version\":4.0}");
	reset();
	/* An integral double is an integer (OTLP doubles); a fraction, a negative number or a
	 * boolean is no version, and the next key is tried. */
	apply("{\"langfuse.observation.prompt.version\":2.5,\"traceloop.prompt.version\":7.0}");
	ck_assert_str_eq(S.str[SS_PROMPT_VERSION], "7");
	ck_assert_str_eq(raw(), "{\"langfuse.observation.prompt.version\":2.5}");
	reset();
	apply("{\"langfuse.observation.prompt.version\":-1,\"traceloop.prompt.version\":true}");
	ck_assert_ptr_null(S.str[SS_PROMPT_VERSION]);
	ck_assert_str_eq(raw(), "{\"langfuse.observation.prompt.version\":-1,"
				"\"traceloop.prompt.version\":true}");
	reset();
	apply("{\"langfuse.observation.prompt.version\":9007199254740993}");
	ck_assert_str_eq(S.str[SS_PROMPT_VERSION], "9007199254740993");
}
END_TEST

/* traceloop.entity.name names the tool of a TOOL span and the agent of an AGENT span, after
 * the keys that name them outright; on other spans it is only raw. */
static const struct {
	enum span_kind kind;
	const char *attrs;
	const char *tool, *agent, *raw;
} entity_cases[] = {
    {KIND_TOOL, "{\"traceloop.entity.name\":\"search\"}", "search", NULL, ""},
    {KIND_AGENT, "{\"traceloop.entity.name\":\"planner\"}", NULL, "planner", ""},
    {KIND_CHAIN, "{\"traceloop.entity.name\":\"flow\"}", NULL, NULL,
     "{\"traceloop.entity.name\":\"flow\"}"},
    {KIND_LLM, "{\"traceloop.entity.name\":\"openai.chat\"}", NULL, NULL,
     "{\"traceloop.entity.name\":\"openai.chat\"}"},
    {KIND_TOOL, "{\"traceloop.entity.name\":\"t\",\"gen_ai.tool.name\":\"g\"}", "g", NULL,
     "{\"traceloop.entity.name\":\"t\"}"},
    {KIND_TOOL, "{\"traceloop.entity.name\":\"g\",\"tool.name\":\"g\"}", "g", NULL, ""},
    {KIND_AGENT, "{\"traceloop.entity.name\":\"t\",\"agent.name\":\"a\"}", NULL, "a",
     "{\"traceloop.entity.name\":\"t\"}"},
    {KIND_AGENT, "{\"traceloop.entity.name\":\"a\",\"gen_ai.agent.name\":\"a\"}", NULL, "a", ""},
    {KIND_AGENT, "{\"traceloop.entity.name\":\"t\",\"gen_ai.tool.name\":\"g\"}", "g", "t", ""},
};

START_TEST(entity_name_by_kind)
{
	S.kind = entity_cases[_i].kind;
	apply(entity_cases[_i].attrs);
	if (entity_cases[_i].tool)
		ck_assert_str_eq(S.str[SS_TOOL_NAME], entity_cases[_i].tool);
	else
		ck_assert_ptr_null(S.str[SS_TOOL_NAME]);
	if (entity_cases[_i].agent)
		ck_assert_str_eq(S.str[SS_AGENT_NAME], entity_cases[_i].agent);
	else
		ck_assert_ptr_null(S.str[SS_AGENT_NAME]);
	ck_assert_str_eq(raw(), entity_cases[_i].raw);
}
END_TEST

/* OTel's error.type names the error when exception.type does not; a different one is kept. */
START_TEST(error_type_order)
{
	apply("{\"error.type\":\"_OTHER\"}");
	ck_assert_str_eq(S.str[SS_ERROR_TYPE], "_OTHER");
	ck_assert_ptr_null(S.raw_attributes);
	reset();
	apply("{\"error.type\":\"timeout\",\"exception.type\":\"TimeoutError\"}");
	ck_assert_str_eq(S.str[SS_ERROR_TYPE], "TimeoutError");
	ck_assert_str_eq(raw(), "{\"error.type\":\"timeout\"}");
	reset();
	apply("{\"error.type\":\"TimeoutError\",\"exception.type\":\"TimeoutError\"}");
	ck_assert_ptr_null(S.raw_attributes);
}
END_TEST

/* Without llm.cost.prompt / llm.cost.completion, the input and output costs are the sums of
 * their details (OpenInference's own example: prompt 0.0021, completion 0.0045); the details
 * stay in cost_details, and without llm.cost.total the total is input + output (otel-egp.md
 * 3.4, as Langfuse sums an omitted total). */
START_TEST(cost_detail_sums)
{
	apply("{\"llm.cost.prompt_details.input\":0.0003,\"llm.cost.prompt_details.cache_write\":"
	      "0.0006,\"llm.cost.prompt_details.cache_read\":0.0003,"
	      "\"llm.cost.prompt_details.cache_input\":0.0006,\"llm.cost.prompt_details.audio\":"
	      "0.0003,\"llm.cost.completion_details.output\":0.0009,"
	      "\"llm.cost.completion_details.reasoning\":0.0024,"
	      "\"llm.cost.completion_details.audio\":0.0012}");
	ck_assert(S.cost_input_usd == 0.0021);
	ck_assert(S.cost_output_usd == 0.0045);
	ck_assert(S.cost_total_usd == 0.0066);
	ck_assert_str_eq(
	    dump(S.cost_details),
	    "{\"completion_details.audio\":0.0012,\"completion_details.output\":0.0009,"
	    "\"completion_details.reasoning\":0.0024,\"prompt_details.audio\":0.0003,"
	    "\"prompt_details.cache_input\":0.0006,\"prompt_details.cache_read\":0.0003,"
	    "\"prompt_details.cache_write\":0.0006,\"prompt_details.input\":0.0003}");
	ck_assert_ptr_null(S.raw_attributes);
}
END_TEST

START_TEST(cost_detail_sums_lose)
{
	/* The whole, when sent, wins over the sum of its parts; a bad part is no part. */
	apply("{\"llm.cost.prompt\":0.5,\"llm.cost.prompt_details.input\":0.1,"
	      "\"llm.cost.completion_details.output\":0.25,"
	      "\"llm.cost.completion_details.audio\":\"0.1\","
	      "\"llm.cost.completion_details.reasoning\":-1}");
	ck_assert(S.cost_input_usd == 0.5);
	ck_assert(S.cost_output_usd == 0.25);
	ck_assert_str_eq(raw(), "{\"llm.cost.completion_details.audio\":\"0.1\","
				"\"llm.cost.completion_details.reasoning\":-1}");
	reset();
	/* Other dynamic costs are no part of either. */
	apply("{\"llm.cost.audio\":3,\"llm.cost.prompt_detailsx\":1}");
	ck_assert(isnan(S.cost_input_usd));
	ck_assert(isnan(S.cost_output_usd));
}
END_TEST

/* Attributes the Span schema has no field for stay in raw_attributes, unchanged. */
START_TEST(no_span_field)
{
	apply("{\"gen_ai.tool.call.id\":\"call_1\",\"user.id\":\"u1\",\"langfuse.user.id\":\"u1\","
	      "\"tag.tags\":[\"a\"],\"metadata\":\"{}\",\"gen_ai.agent.description\":\"d\","
	      "\"gen_ai.workflow.name\":\"w\",\"traceloop.workflow.name\":\"w\","
	      "\"gen_ai.response.id\":\"r\",\"tool.id\":\"call_1\"}");
	ck_assert_str_eq(raw(),
			 "{\"gen_ai.agent.description\":\"d\",\"gen_ai.response.id\":\"r\","
			 "\"gen_ai.tool.call.id\":\"call_1\",\"gen_ai.workflow.name\":\"w\","
			 "\"langfuse.user.id\":\"u1\",\"metadata\":\"{}\",\"tag.tags\":[\"a\"],"
			 "\"tool.id\":\"call_1\",\"traceloop.workflow.name\":\"w\","
			 "\"user.id\":\"u1\"}");
	for (int f = 0; f < SS__COUNT; f++)
		ck_assert_ptr_null(S.str[f]);
}
END_TEST

/* ---- the conventions (issue 33): kinds, the AI SDK and Langfuse dialects, usage once ---- */

/* The OTLP path: the span name and whether its usage is its children's. */
static void apply_span(const char *text, enum span_kind kind, const char *name, bool children)
{
	json_error_t err;
	json_t *attrs = json_loads(text, 0, &err);
	ck_assert_msg(attrs != NULL, "bad test JSON: %s", err.text);
	S.kind = kind;
	catalog_apply_span(A, &S, attrs, name, children);
	json_decref(attrs);
}

/* Walks the kind table: each row alone gives its kind, in any case, and says whose usage
 * the span carries; invoke_agent is a remote agent's own work when the span is a client's. */
START_TEST(kind_rows)
{
	size_t n;
	const struct catalog_kind_row *r = &catalog_kind_rows(&n)[_i];
	json_t *attrs = json_object();
	char *upper = strdup(r->value ? r->value : "any");
	bool children = true;

	json_object_set_new(attrs, r->key, json_string(r->value ? r->value : "any"));
	ck_assert_int_eq(catalog_kind(attrs, false, &children), r->kind);
	ck_assert_int_eq(children, r->usage != CATALOG_OWN);
	ck_assert_int_eq(catalog_kind(attrs, true, &children), r->kind);
	ck_assert_int_eq(children, r->usage == CATALOG_CHILDREN);
	for (char *p = upper; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	json_object_set_new(attrs, r->key, json_string(upper));
	ck_assert_int_eq(catalog_kind(attrs, false, NULL), r->kind);
	free(upper);
	json_decref(attrs);
}
END_TEST

/* The table's order is its precedence: OpenInference's kind over everything, the AI SDK 6
 * operation id over the gen_ai.operation.name Traceloop writes on those spans; an evaluation
 * attribute, else UNKNOWN. */
START_TEST(kind_precedence)
{
	json_t *a = json_pack("{s:s, s:s, s:s}", "openinference.span.kind", "TOOL",
			      "gen_ai.operation.name", "chat", "ai.operationId", "ai.generateText");
	bool children;

	ck_assert_int_eq(catalog_kind(a, false, &children), KIND_TOOL);
	json_object_del(a, "openinference.span.kind");
	ck_assert_int_eq(catalog_kind(a, false, &children), KIND_AGENT);
	ck_assert(children);
	json_object_del(a, "ai.operationId");
	ck_assert_int_eq(catalog_kind(a, false, &children), KIND_LLM);
	ck_assert(!children);
	json_decref(a);
	a = json_pack("{s:f}", "gen_ai.evaluation.score.value", 0.5);
	ck_assert_int_eq(catalog_kind(a, false, NULL), KIND_EVALUATOR);
	json_decref(a);
	a = json_pack("{s:s}", "langfuse.observation.type", "span");
	ck_assert_int_eq(catalog_kind(a, false, NULL), KIND_UNKNOWN);
	json_decref(a);
}
END_TEST

/* An AI SDK 6 doGenerate span, as ai@6.0.326 sends it (t/clients): model, tokens, cached and
 * reasoning counts from ai.usage.*, the per-call gen_ai.usage.* agreeing. */
START_TEST(ai6_call)
{
	apply_span(
	    "{\"ai.operationId\":\"ai.generateText.doGenerate\",\"ai.model.id\":\"gpt-4o-mini\","
	    "\"ai.model.provider\":\"openai.chat\",\"gen_ai.system\":\"openai.chat\","
	    "\"gen_ai.request.model\":\"gpt-4o-mini\",\"ai.usage.inputTokens\":11,"
	    "\"ai.usage.inputTokenDetails.cacheReadTokens\":3,\"ai.usage.cachedInputTokens\":3,"
	    "\"ai.usage.outputTokens\":7,\"ai.usage.reasoningTokens\":2,"
	    "\"ai.usage.outputTokenDetails.reasoningTokens\":2,\"ai.usage.totalTokens\":18,"
	    "\"gen_ai.usage.input_tokens\":11,\"gen_ai.usage.output_tokens\":7,"
	    "\"ai.telemetry.functionId\":\"weather-bot\"}",
	    KIND_LLM, "ai.generateText.doGenerate", false);
	ck_assert_str_eq(S.str[SS_MODEL], "gpt-4o-mini");
	/* The provider as the SDK's own integration names it; its id kept raw (below). */
	ck_assert_str_eq(S.str[SS_PROVIDER], "openai");
	ck_assert_int_eq(S.input_tokens, 11);
	ck_assert_int_eq(S.output_tokens, 7);
	ck_assert_int_eq(S.total_tokens, 18);
	ck_assert_int_eq(S.cached_tokens, 3);
	ck_assert_str_eq(dump(S.usage_details), "{\"completion_details.reasoning\":2}");
	/* The function id names the agent only on its AGENT span. */
	ck_assert_ptr_null(S.str[SS_AGENT_NAME]);
	ck_assert_str_eq(raw(), "{\"ai.model.provider\":\"openai.chat\","
				"\"ai.operationId\":\"ai.generateText.doGenerate\","
				"\"ai.telemetry.functionId\":\"weather-bot\"}");
}
END_TEST

/* The same call as Traceloop's SDK rewrites it (@traceloop/node-server-sdk 0.27): it drops
 * ai.model.provider and keeps the id in gen_ai.system, beside a gen_ai.provider.name of its
 * own; the provider still reads as the SDK's integration names it, the id kept raw. */
START_TEST(ai6_call_traceloop)
{
	apply_span(
	    "{\"ai.operationId\":\"ai.generateText.doGenerate\",\"gen_ai.system\":\"openai.chat\","
	    "\"gen_ai.provider.name\":\"openai\",\"gen_ai.request.model\":\"gpt-4o-mini\"}",
	    KIND_LLM, "chat gpt-4o-mini", false);
	ck_assert_str_eq(S.str[SS_PROVIDER], "openai");
	ck_assert_str_eq(raw(),
			 "{\"ai.operationId\":\"ai.generateText.doGenerate\","
			 "\"gen_ai.provider.name\":\"openai\",\"gen_ai.system\":\"openai.chat\"}");
}
END_TEST

/* The AI SDK 6 root repeats its steps' usage: none of it is the span's own, all of it stays
 * in raw_attributes, marked; the function id names the agent. */
START_TEST(ai6_root_children)
{
	apply_span(
	    "{\"ai.operationId\":\"ai.generateText\",\"ai.model.id\":\"gpt-4o-mini\","
	    "\"ai.usage.inputTokens\":34,\"ai.usage.outputTokens\":12,\"ai.usage.totalTokens\":46,"
	    "\"llm.cost.total\":0.5,\"ai.telemetry.functionId\":\"weather-bot\"}",
	    KIND_AGENT, "ai.generateText", true);
	ck_assert_str_eq(S.str[SS_MODEL], "gpt-4o-mini");
	ck_assert_str_eq(S.str[SS_AGENT_NAME], "weather-bot");
	ck_assert_int_eq(S.input_tokens, SPAN_NONE_I64);
	ck_assert_int_eq(S.output_tokens, SPAN_NONE_I64);
	ck_assert_int_eq(S.total_tokens, SPAN_NONE_I64);
	ck_assert(isnan(S.cost_total_usd));
	ck_assert_str_eq(raw(),
			 "{\"ai.operationId\":\"ai.generateText\",\"ai.usage.inputTokens\":34,"
			 "\"ai.usage.outputTokens\":12,\"ai.usage.totalTokens\":46,"
			 "\"llm.cost.total\":0.5,\"spandex.usage\":\"children\"}");
	/* A parent with no usage is not marked. */
	reset();
	apply_span("{\"gen_ai.operation.name\":\"agent_step\"}", KIND_CHAIN, "step 1", true);
	ck_assert_str_eq(raw(), "{\"gen_ai.operation.name\":\"agent_step\"}");
}
END_TEST

/* An AI SDK 6 tool call: tool name from ai.toolCall.name. */
START_TEST(ai6_tool)
{
	apply_span("{\"ai.operationId\":\"ai.toolCall\",\"ai.toolCall.name\":\"get_weather\","
		   "\"ai.toolCall.id\":\"call_1\"}",
		   KIND_TOOL, "ai.toolCall", false);
	ck_assert_str_eq(S.str[SS_TOOL_NAME], "get_weather");
}
END_TEST

/* Langfuse sends usage and cost as JSON text: the members fill the fields, the free keys no
 * row takes go to usage_details / cost_details, and the text itself is not kept twice. Its
 * input and output are the parts left after the input_* and output_* details. */
START_TEST(langfuse_details)
{
	apply_span("{\"langfuse.observation.type\":\"generation\","
		   "\"langfuse.observation.model.name\":\"gpt-4o-mini\","
		   "\"langfuse.observation.usage_details\":"
		   "\"{\\\"input\\\":11,\\\"output\\\":7,\\\"total\\\":18,"
		   "\\\"input_cached_tokens\\\":2,\\\"input_audio\\\":1}\","
		   "\"langfuse.observation.cost_details\":"
		   "\"{\\\"input\\\":0.0001,\\\"output\\\":0.0002,\\\"total\\\":0.0003,"
		   "\\\"input_audio\\\":0.00001}\"}",
		   KIND_LLM, "OpenAI.chat", false);
	/* Langfuse's input is what is left after its input details: the whole is their sum. */
	ck_assert_int_eq(S.input_tokens, 14);
	ck_assert_int_eq(S.output_tokens, 7);
	ck_assert_int_eq(S.total_tokens, 18);
	ck_assert_int_eq(S.cached_tokens, 2);
	ck_assert_str_eq(dump(S.usage_details), "{\"input_audio\":1}");
	ck_assert_double_eq_tol(S.cost_input_usd, 0.00011, 1e-9);
	ck_assert_double_eq_tol(S.cost_output_usd, 0.0002, 1e-9);
	ck_assert_double_eq_tol(S.cost_total_usd, 0.0003, 1e-9);
	ck_assert_str_eq(dump(S.cost_details), "{\"input_audio\":1e-5}");
	ck_assert_str_eq(raw(), "{\"langfuse.observation.type\":\"generation\"}");
	/* Text that is no JSON object stays as it came. */
	reset();
	apply_span("{\"langfuse.observation.usage_details\":\"{not json\"}", KIND_LLM, "x", false);
	ck_assert_int_eq(S.input_tokens, SPAN_NONE_I64);
	ck_assert_str_eq(raw(), "{\"langfuse.observation.usage_details\":\"{not json\"}");
	/* An agent observation's usage is its children's. */
	reset();
	apply_span("{\"langfuse.observation.usage_details\":\"{\\\"input\\\":5}\"}", KIND_AGENT,
		   "agent-run", true);
	ck_assert_int_eq(S.input_tokens, SPAN_NONE_I64);
	ck_assert_str_eq(raw(), "{\"langfuse.observation.usage_details\":\"{\\\"input\\\":5}\","
				"\"spandex.usage\":\"children\"}");
}
END_TEST

/* A TOOL span no attribute names is named by its span name (Langfuse), without the GenAI
 * "execute_tool " prefix; an attribute still wins, and other kinds are not named so. */
START_TEST(tool_name_from_span_name)
{
	apply_span("{}", KIND_TOOL, "get_weather", false);
	ck_assert_str_eq(S.str[SS_TOOL_NAME], "get_weather");
	reset();
	apply_span("{}", KIND_TOOL, "execute_tool lookup", false);
	ck_assert_str_eq(S.str[SS_TOOL_NAME], "lookup");
	reset();
	apply_span("{\"tool.name\":\"search\"}", KIND_TOOL, "execute_tool lookup", false);
	ck_assert_str_eq(S.str[SS_TOOL_NAME], "search");
	reset();
	apply_span("{}", KIND_LLM, "chat gpt-4o", false);
	ck_assert_ptr_null(S.str[SS_TOOL_NAME]);
}
END_TEST

/* The current GenAI names: cache_write (was cache_creation), Traceloop's reasoning_tokens,
 * OpenInference's cache_input. */
START_TEST(genai_new_names)
{
	apply_span(
	    "{\"gen_ai.usage.input_tokens\":100,\"gen_ai.usage.cache_write.input_tokens\":40,"
	    "\"gen_ai.usage.reasoning_tokens\":9,"
	    "\"llm.token_count.prompt_details.cache_input\":5}",
	    KIND_LLM, "chat", false);
	ck_assert_str_eq(dump(S.usage_details),
			 "{\"completion_details.reasoning\":9,\"prompt_details.cache_input\":5,"
			 "\"prompt_details.cache_write\":40}");
	ck_assert_ptr_null(S.raw_attributes);
}
END_TEST

/* A cost over CATALOG_MAX_USD_PER_TOKEN is a token count in a cost field: set aside, so the
 * price table can price the span; a plausible one is kept. */
START_TEST(cost_sanity)
{
	apply_span("{\"gen_ai.usage.input_tokens\":100,\"gen_ai.usage.output_tokens\":50,"
		   "\"llm.cost.total\":150,\"llm.cost.prompt\":100}",
		   KIND_LLM, "chat", false);
	catalog_check_cost(&S);
	ck_assert(isnan(S.cost_total_usd));
	ck_assert(isnan(S.cost_input_usd));
	ck_assert_str_eq(raw(), "{\"spandex.cost_refused\":{\"input\":100.0,\"total\":150.0}}");
	reset();
	apply_span("{\"gen_ai.usage.input_tokens\":1000,\"llm.cost.total\":0.01}", KIND_LLM, "chat",
		   false);
	catalog_check_cost(&S);
	ck_assert_double_eq_tol(S.cost_total_usd, 0.01, 1e-9);
	/* A made-up cost (a test's: $0.50 for 15 tokens) is under the cap and kept. */
	reset();
	apply_span("{\"gen_ai.usage.input_tokens\":10,\"gen_ai.usage.output_tokens\":5,"
		   "\"llm.cost.total\":0.5}",
		   KIND_LLM, "chat", false);
	catalog_check_cost(&S);
	ck_assert_double_eq_tol(S.cost_total_usd, 0.5, 1e-9);
	/* Without token counts there is nothing to check against. */
	reset();
	apply_span("{\"llm.cost.total\":3}", KIND_LLM, "chat", false);
	catalog_check_cost(&S);
	ck_assert_double_eq_tol(S.cost_total_usd, 3, 1e-9);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("catalog");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, cost_rows);
	tcase_add_test(tc, many_attributes);
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
	tcase_add_test(tc, model_order);
	tcase_add_test(tc, prompt_version_ints);
	tcase_add_loop_test(tc, entity_name_by_kind, 0,
			    sizeof entity_cases / sizeof entity_cases[0]);
	tcase_add_test(tc, error_type_order);
	tcase_add_test(tc, cost_detail_sums);
	tcase_add_test(tc, cost_detail_sums_lose);
	tcase_add_test(tc, no_span_field);
	suite_add_tcase(s, tc);
	tc = tcase_create("conventions");
	tcase_add_checked_fixture(tc, setup, teardown);
	{
		size_t n;
		catalog_kind_rows(&n);
		tcase_add_loop_test(tc, kind_rows, 0, (int)n);
	}
	tcase_add_test(tc, kind_precedence);
	tcase_add_test(tc, ai6_call);
	tcase_add_test(tc, ai6_call_traceloop);
	tcase_add_test(tc, ai6_root_children);
	tcase_add_test(tc, ai6_tool);
	tcase_add_test(tc, langfuse_details);
	tcase_add_test(tc, tool_name_from_span_name);
	tcase_add_test(tc, genai_new_names);
	tcase_add_test(tc, cost_sanity);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, table_tcase());
	return s;
}
