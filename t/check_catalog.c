/* Check suite for lib/model/catalog.c (with catalog_rows.c, catalog_kind.c, catalog_object.c and
 * catalog_context.c): the attribute catalog of reference nemo-intake.md section 5. */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/ingest/otlp.h"
#include "lib/json/jsonw.h"
#include "lib/model/catalog.h"
#include "lib/model/span.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "t/readme.h"

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

/* ---- the conventions table walked through the OTLP mapping (issue 33) ----
 * Every row of lib/model/catalog_rows.c and catalog_kind.c (kinds, field rows and each of their
 * keys, the sources of session, input, output, status and error, the dropped and raw-only keys) is
 * sent alone, as an OTLP/JSON span, through otlp_decode, and its value read back from the rendered
 * span; then each field's keys all at once, then one fewer at a time, so each must win in its
 * order. README's "Attribute mapping" tables are generated from the same rows. */

#define FX_TRACE "5b8efff798038103d269b633813fc60c"
#define FX_SPAN "eee19b7ec3c1b174"
#define FX_NAME "fixture"

/* One OTLP span to send: attributes (a spread object's members gather in the object, sent as
 * JSON text as Langfuse and Logfire send them), events, status and OTLP span kind. */
struct fx {
	json_t *attrs, *events;
	int code, kind;
	const char *message;
};

static void fx_init(struct fx *f)
{
	f->attrs = json_object();
	f->events = json_array();
	f->code = 0;
	f->kind = 1; /* INTERNAL */
	f->message = NULL;
}

static void fx_free(struct fx *f)
{
	json_decref(f->attrs);
	json_decref(f->events);
}

/* The catalog object a spread key ("<attr>{<member>}") names; NULL for a plain key. */
static const struct catalog_object *fx_object(const char *key, char *member, size_t cap)
{
	size_t n;
	const struct catalog_object *o = catalog_objects(&n);
	const char *brace = strchr(key, '{');

	if (!brace)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strlen(o[i].key) == (size_t)(brace - key) &&
		    !strncmp(key, o[i].key, strlen(o[i].key))) {
			snprintf(member, cap, "%.*s", (int)(strlen(brace) - 2), brace + 1);
			return &o[i];
		}
	ck_abort_msg("%s names no catalog object", key);
	return NULL;
}

/* Sets key to v (stolen); NULL v removes it. A KEEP object's dotted member is nested. */
static void fx_set(struct fx *f, const char *key, json_t *v)
{
	char member[256], *dot, *p;
	const struct catalog_object *o = fx_object(key, member, sizeof member);
	json_t *obj;

	if (!o) {
		if (v)
			json_object_set_new(f->attrs, key, v);
		else
			json_object_del(f->attrs, key);
		return;
	}
	if (!(obj = json_object_get(f->attrs, o->key))) {
		obj = json_object();
		json_object_set_new(f->attrs, o->key, obj);
	}
	p = member;
	while (o->rest == CATALOG_REST_KEEP && (dot = strchr(p, '.'))) {
		json_t *sub;
		*dot = '\0';
		if (!(sub = json_object_get(obj, p))) {
			sub = json_object();
			json_object_set_new(obj, p, sub);
		}
		obj = sub;
		p = dot + 1;
	}
	if (v)
		json_object_set_new(obj, p, v);
	else
		json_object_del(obj, p);
	if (!json_object_size(json_object_get(f->attrs, o->key)))
		json_object_del(f->attrs, o->key);
}

static void fx_event(struct fx *f, const char *name, json_t *attrs)
{
	json_array_append_new(f->events,
			      json_pack("{s:s, s:o}", "name", name, "attributes", attrs));
}

/* An OTLP/JSON AnyValue for v; an object goes as its JSON text. */
static json_t *fx_any(json_t *v)
{
	char *t;
	json_t *out;

	if (json_is_string(v))
		return json_pack("{s:O}", "stringValue", v);
	if (json_is_integer(v)) {
		char n[32];
		snprintf(n, sizeof n, "%lld", (long long)json_integer_value(v));
		return json_pack("{s:s}", "intValue", n);
	}
	if (json_is_real(v))
		return json_pack("{s:O}", "doubleValue", v);
	if (json_is_boolean(v))
		return json_pack("{s:O}", "boolValue", v);
	/* A list of strings as OTLP's arrayValue (ai@6's ai.values); other values as JSON text. */
	bool strings = json_is_array(v) && json_array_size(v);
	for (size_t i = 0; strings && i < json_array_size(v); i++)
		strings = json_is_string(json_array_get(v, i));
	if (strings) {
		json_t *values = json_array();
		for (size_t i = 0; i < json_array_size(v); i++)
			json_array_append_new(values, fx_any(json_array_get(v, i)));
		return json_pack("{s:{s:o}}", "arrayValue", "values", values);
	}
	t = json_dumps(v, JSON_COMPACT);
	out = json_pack("{s:s}", "stringValue", t);
	free(t);
	return out;
}

static json_t *fx_kvs(json_t *attrs)
{
	json_t *out = json_array(), *v;
	const char *k;

	json_object_foreach(attrs, k, v)
	{
		json_array_append_new(out, json_pack("{s:s, s:o}", "key", k, "value", fx_any(v)));
	}
	return out;
}

/* The span f maps to, rendered as a JSON object (raw_attributes parsed), through the real
 * OTLP decoder and mapping. */
static json_t *fx_map(const struct fx *f)
{
	json_t *events = json_array(), *ev, *span, *body, *out, *raw;
	struct otlp_result r;
	struct err e;
	struct buf b;
	size_t i;
	char *text;

	json_array_foreach(f->events, i, ev)
	{
		json_array_append_new(events, json_pack("{s:O, s:s, s:o}", "name",
							json_object_get(ev, "name"), "timeUnixNano",
							"1700000000000000001", "attributes",
							fx_kvs(json_object_get(ev, "attributes"))));
	}
	span =
	    json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:o, s:o, s:{s:i}}", "traceId", FX_TRACE,
		      "spanId", FX_SPAN, "name", FX_NAME, "kind", f->kind, "startTimeUnixNano",
		      "1700000000000000000", "endTimeUnixNano", "1700000001000000000", "attributes",
		      fx_kvs(f->attrs), "events", events, "status", "code", f->code);
	if (f->message)
		json_object_set_new(json_object_get(span, "status"), "message",
				    json_string(f->message));
	body = json_pack("{s:[{s:{s:[]}, s:[{s:{s:s}, s:[o]}]}]}", "resourceSpans", "resource",
			 "attributes", "scopeSpans", "scope", "name", "s", "spans", span);
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	ck_assert_int_eq(otlp_decode(A, "ws", OTLP_JSON, text, strlen(text), 1, &r, &e), ST_OK);
	free(text);
	ck_assert_uint_eq(r.nspans, 1);
	buf_init(&b);
	span_render(&r.spans[0], &b);
	otlp_result_free(&r);
	out = json_loads(b.p, 0, NULL);
	buf_free(&b);
	ck_assert_ptr_nonnull(out);
	raw = json_object_get(out, "raw_attributes");
	if (json_is_string(raw))
		json_object_set_new(out, "raw_attributes",
				    json_loads(json_string_value(raw), 0, NULL));
	return out;
}

/* Member name of span, or its member sub when sub is set. */
static json_t *fx_member(json_t *span, const char *name, const char *sub)
{
	json_t *v = json_object_get(span, name);
	return sub ? json_object_get(v, sub) : v;
}

static json_t *fx_raw(json_t *span, const char *key)
{
	return json_object_get(json_object_get(span, "raw_attributes"), key);
}

/* The raw attributes of a and b are the same (none and an empty object alike). */
static bool raw_same(json_t *a, json_t *b)
{
	json_t *x = json_object_get(a, "raw_attributes"), *y = json_object_get(b, "raw_attributes");
	if (!json_object_size(x) || !json_object_size(y))
		return !json_object_size(x) && !json_object_size(y);
	return json_equal(x, y);
}

/* Every member of got equals base's, but those named in allow (NULL-terminated). */
static void fx_same_but(json_t *got, json_t *base, const char *const *allow, const char *what)
{
	const char *k;
	json_t *v;

	json_object_foreach(got, k, v)
	{
		bool ok = false;
		for (size_t i = 0; allow[i]; i++)
			ok = ok || !strcmp(k, allow[i]);
		if (!ok)
			ck_assert_msg(json_equal(v, json_object_get(base, k)),
				      "%s: %s changed (%s)", what, k, dump(v));
	}
	json_object_foreach(base, k, v)
	{
		if (!json_object_get(got, k))
			ck_assert_msg(false, "%s: %s gone", what, k);
	}
}

/* The (row, key) pairs of the field rows, for the loop tests. */
static struct {
	size_t row, key;
} field_keys[256];
static size_t n_field_keys;

/* The fixture value of key j of row i: distinct per row and key, of the row's type. */
static json_t *fx_value(size_t i, size_t j)
{
	size_t n;
	const struct catalog_row *r = &catalog_rows(&n)[i];
	char s[64];

	switch (r->type) {
	case CATALOG_TOKENS:
	case CATALOG_USAGE:
		return json_integer((json_int_t)(1000 + 100 * i + j));
	case CATALOG_COST:
		return json_real((double)(1000 + 100 * i + j) / 1e6);
	default:
		snprintf(s, sizeof s, "f%zu-k%zu", i, j);
		return json_string(s);
	}
}

/* A span of the row's kind when it has one (OpenInference's kind names it). */
static void fx_kind(struct fx *f, const struct catalog_row *r)
{
	if (r->kind)
		fx_set(f, "openinference.span.kind", json_string(r->kind));
}

static bool is_kind_key(const char *key)
{
	size_t n;
	const struct catalog_kind_row *k = catalog_kind_rows(&n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(k[i].key, key))
			return true;
	return false;
}

/* Each key of each field row alone: its value lands in the row's field and nowhere else (but
 * an input or output cost, which is the total's too when no total is sent), and leaves
 * raw_attributes (a Langfuse member included). */
START_TEST(field_row_keys)
{
	size_t n, i = field_keys[_i].row, j = field_keys[_i].key;
	const struct catalog_row *r = &catalog_rows(&n)[i];
	bool part = r->type == CATALOG_COST && strcmp(r->name, "cost_total_usd");
	const char *allow[] = {r->name, is_kind_key(r->keys[j]) ? "kind" : "raw_attributes",
			       part ? "cost_total_usd" : NULL, NULL};
	struct fx base, one;
	json_t *b, *got, *want = fx_value(i, j);

	fx_init(&base);
	fx_kind(&base, r);
	fx_init(&one);
	fx_kind(&one, r);
	fx_set(&one, r->keys[j], json_incref(want));
	b = fx_map(&base);
	got = fx_map(&one);
	ck_assert_msg(json_equal(fx_member(got, r->name, r->sub), want), "%s: %s is %s", r->keys[j],
		      r->name, dump(fx_member(got, r->name, r->sub)));
	{
		/* A KEEP object (Logfire's raw usage) stays whole; nothing else stays. */
		char member[256];
		const struct catalog_object *o = fx_object(r->keys[j], member, sizeof member);
		if (o && o->rest == CATALOG_REST_KEEP) {
			json_t *kept = fx_raw(got, o->key);
			json_t *sent = json_loads(json_string_value(kept), 0, NULL);
			ck_assert_msg(json_equal(sent, json_object_get(one.attrs, o->key)),
				      "%s is kept whole", o->key);
			json_decref(sent);
			json_object_del(json_object_get(got, "raw_attributes"), o->key);
		}
	}
	ck_assert_msg(raw_same(got, b), "%s stays raw: %s", r->keys[j],
		      dump(json_object_get(got, "raw_attributes")));
	fx_same_but(got, b, allow, r->keys[j]);
	json_decref(want);
	json_decref(b);
	json_decref(got);
	fx_free(&base);
	fx_free(&one);
}
END_TEST

/* Each row's keys all present, each with its own value: the first wins; without it the
 * next; and so on to the last. */
START_TEST(field_row_order)
{
	size_t n;
	const struct catalog_row *r = &catalog_rows(&n)[_i];
	struct fx f;

	fx_init(&f);
	fx_kind(&f, r);
	for (size_t j = 0; r->keys[j]; j++)
		fx_set(&f, r->keys[j], fx_value(_i, j));
	for (size_t j = 0; r->keys[j]; j++) {
		json_t *got = fx_map(&f), *want = fx_value(_i, j);
		ck_assert_msg(json_equal(fx_member(got, r->name, r->sub), want),
			      "%s%s%s: %s should win, got %s", r->name, r->sub ? "." : "",
			      r->sub ? r->sub : "", r->keys[j],
			      dump(fx_member(got, r->name, r->sub)));
		json_decref(want);
		json_decref(got);
		fx_set(&f, r->keys[j], NULL);
	}
	fx_free(&f);
}
END_TEST

/* Each kind row through the mapping: its kind, and whether the span's usage is its own (an
 * INTERNAL span, then a CLIENT one: invoke_agent's usage is a remote agent's own). */
START_TEST(kind_rows_mapped)
{
	size_t n;
	const struct catalog_kind_row *r = &catalog_kind_rows(&n)[_i];

	for (int client = 0; client < 2; client++) {
		struct fx f;
		json_t *got;
		bool own =
		    r->usage == CATALOG_OWN || (client && r->usage == CATALOG_CHILDREN_LOCAL);

		fx_init(&f);
		f.kind = client ? 3 : 1;
		fx_set(&f, r->key, json_string(r->value ? r->value : "any"));
		fx_set(&f, "gen_ai.usage.input_tokens", json_integer(7));
		got = fx_map(&f);
		ck_assert_str_eq(json_string_value(json_object_get(got, "kind")),
				 span_kind_names[r->kind]);
		if (own) {
			ck_assert_int_eq(json_integer_value(json_object_get(got, "input_tokens")),
					 7);
			ck_assert_ptr_null(fx_raw(got, CATALOG_USAGE_KEY));
		} else {
			ck_assert_ptr_null(json_object_get(got, "input_tokens"));
			ck_assert_str_eq(json_string_value(fx_raw(got, CATALOG_USAGE_KEY)),
					 "children");
			ck_assert_int_eq(
			    json_integer_value(fx_raw(got, "gen_ai.usage.input_tokens")), 7);
		}
		json_decref(got);
		fx_free(&f);
	}
}
END_TEST

/* What source row i needs on the span to give its field value v; *want gets the text the
 * field should then hold (NULL for status, raw-only and dropped rows). */
static void fx_source(struct fx *f, const struct catalog_source *r, const char *v, json_t **want)
{
	char k[256];

	*want = NULL;
	if (r->kind >= 0)
		fx_set(f, "openinference.span.kind", json_string(span_kind_names[r->kind]));
	if (r->when)
		fx_set(f, r->when, json_string(r->when_value));
	switch (r->how) {
	case CATALOG_TEXT:
	case CATALOG_NONEMPTY:
	case CATALOG_ID:
	case CATALOG_RAW:
		fx_set(f, r->key, json_string(v));
		*want = json_string(v);
		break;
	case CATALOG_MESSAGES:
		*want = json_pack("[{s:s, s:[{s:s, s:s}]}]", "role", "user", "parts", "type",
				  "text", "content", v);
		fx_set(f, r->key, json_copy(*want));
		break;
	case CATALOG_JSON_LIST: {
		/* ai@6's ai.values: each value as its JSON text; the field the values. */
		struct buf text;
		buf_init(&text);
		jsonw_string(&text, v, strlen(v));
		*want = json_pack("[s]", v);
		fx_set(f, r->key, json_pack("[s#]", text.p, text.len));
		buf_free(&text);
		break;
	}
	case CATALOG_OI_LIST:
	case CATALOG_FLAT_LIST: {
		const char *mid = r->how == CATALOG_OI_LIST ? "0.message." : "0.";
		snprintf(k, sizeof k, "%s%srole", r->key, mid);
		fx_set(f, k, json_string("user"));
		snprintf(k, sizeof k, "%s%scontent", r->key, mid);
		fx_set(f, k, json_string(v));
		*want = json_pack("{s:[{s:s, s:s}]}", "messages", "role", "user", "content", v);
		break;
	}
	case CATALOG_EVENT:
		fx_event(f, r->key, json_pack("{s:s}", "content", v));
		*want = json_pack("{s:[{s:s, s:s}]}", "messages", "role", r->value, "content", v);
		break;
	case CATALOG_STATUS_TEXT:
		f->code = 2;
		f->message = arena_strdup(A, v);
		*want = json_string(v);
		break;
	case CATALOG_PREFIX:
		snprintf(k, sizeof k, "%s0.x", r->key);
		fx_set(f, k, json_string(v));
		break;
	case CATALOG_STATUS_ATTR:
	case CATALOG_LEVEL: {
		/* Any case matches. */
		char up[64];
		size_t m = 0;
		for (; r->value[m] && m < sizeof up - 1; m++)
			up[m] = (char)(m % 2 ? toupper((unsigned char)r->value[m])
					     : tolower((unsigned char)r->value[m]));
		up[m] = '\0';
		fx_set(f, r->key, json_string(up));
		break;
	}
	case CATALOG_STATUS_CODE:
		f->code = 2;
		break;
	}
}

/* The field's value on the rendered span: text fields parsed when the source gives JSON. */
static json_t *fx_text(json_t *span, const struct catalog_source *r)
{
	json_t *v = json_object_get(span, catalog_field_names[r->field]);

	if (v &&
	    (r->how == CATALOG_MESSAGES || r->how == CATALOG_OI_LIST ||
	     r->how == CATALOG_FLAT_LIST || r->how == CATALOG_EVENT || r->how == CATALOG_JSON_LIST))
		return json_loads(json_string_value(v), 0, NULL);
	return json_incref(v);
}

/* The keys a source puts on the span are in raw_attributes, or are not. */
static void fx_raw_kept(json_t *got, const struct catalog_source *r, bool kept)
{
	json_t *raw = json_object_get(got, "raw_attributes");
	const char *k;
	json_t *v;
	bool any = false;

	if (!r->key)
		return;
	if (r->how == CATALOG_EVENT) {
		ck_assert_ptr_nonnull(fx_raw(got, "otel.events"));
		return;
	}
	json_object_foreach(raw, k, v)
	{
		any = any || !strncmp(k, r->key, strlen(r->key));
	}
	ck_assert_msg(any == kept, "%s: %s raw_attributes (%s)", r->key, kept ? "kept in" : "left",
		      dump(raw));
}

/* Each source row alone: its field's value, its status, or its key kept where the row says. */
START_TEST(source_rows)
{
	size_t n;
	const struct catalog_source *r = &catalog_sources(&n)[_i];
	struct fx base, one;
	json_t *b, *got, *want, *have;
	char v[32];

	snprintf(v, sizeof v, "src-%d", _i);
	fx_init(&base);
	fx_init(&one);
	if (r->kind >= 0)
		fx_set(&base, "openinference.span.kind", json_string(span_kind_names[r->kind]));
	if (r->when)
		fx_set(&base, r->when, json_string(r->when_value));
	fx_source(&one, r, v, &want);
	b = fx_map(&base);
	got = fx_map(&one);
	switch (r->field) {
	case CATALOG_STATUS:
		ck_assert_str_eq(json_string_value(json_object_get(got, "status")),
				 span_status_names[r->status]);
		fx_raw_kept(got, r, r->drop == CATALOG_KEEP);
		break;
	case CATALOG_DROPPED:
	case CATALOG_USER:
	case CATALOG_TOOL_CALL_ID: {
		const char *allow[] = {"raw_attributes", NULL};
		fx_same_but(got, b, allow, r->key);
		fx_raw_kept(got, r, r->drop == CATALOG_KEEP);
		if (want)
			ck_assert(json_equal(fx_raw(got, r->key), want));
		break;
	}
	default:
		have = fx_text(got, r);
		ck_assert_msg(json_equal(have, want), "%s: %s is %s, not %s", r->key ? r->key : "",
			      catalog_field_names[r->field], dump(have), json_dumps(want, 0));
		json_decref(have);
		fx_raw_kept(got, r, r->drop == CATALOG_KEEP);
		break;
	}
	json_decref(want);
	json_decref(b);
	json_decref(got);
	fx_free(&base);
	fx_free(&one);
}
END_TEST

/* The text fields' sources all present, each with its own value (the span an LLM one, so
 * OpenInference's lists count): the first wins, then without it the next, to the last; the
 * event sources of a field are one list. The error message starts from the field row's
 * exception.message. */
static const enum catalog_field order_fields[] = {CATALOG_SESSION, CATALOG_INPUT, CATALOG_OUTPUT,
						  CATALOG_ERROR_MESSAGE};

START_TEST(source_order)
{
	enum catalog_field fld = order_fields[_i];
	size_t n, first = 0, count = 0;
	const struct catalog_source *all = catalog_sources(&n);
	struct fx f;
	json_t *wants[64];

	fx_init(&f);
	for (size_t i = 0; i < n; i++)
		if (all[i].field == fld) {
			char v[32];
			if (!count)
				first = i;
			snprintf(v, sizeof v, "order-%zu", i);
			ck_assert_uint_lt(count, 64);
			fx_source(&f, &all[i], v, &wants[count++]);
		}
	fx_set(&f, "openinference.span.kind", json_string("LLM"));
	if (fld == CATALOG_ERROR_MESSAGE) {
		fx_set(&f, "exception.message", json_string("from-exception"));
		json_t *got = fx_map(&f);
		ck_assert_str_eq(json_string_value(json_object_get(got, "error_message")),
				 "from-exception");
		json_decref(got);
		fx_set(&f, "exception.message", NULL);
	}
	for (size_t c = 0; c < count; c++) {
		const struct catalog_source *r = &all[first + c];
		json_t *got = fx_map(&f), *have = fx_text(got, r);

		if (r->how == CATALOG_EVENT) {
			/* Every event source of the field, in one list. */
			json_t *list = json_array();
			size_t e = c;
			for (; e < count && all[first + e].how == CATALOG_EVENT; e++)
				json_array_extend(list, json_object_get(wants[e], "messages"));
			ck_assert_msg(json_equal(json_object_get(have, "messages"), list),
				      "%s: events should win, got %s", catalog_field_names[fld],
				      dump(have));
			json_decref(list);
			json_array_clear(f.events);
			for (; c + 1 < e; c++)
				json_decref(wants[c]);
		} else {
			ck_assert_msg(json_equal(have, wants[c]), "%s: %s should win, got %s",
				      catalog_field_names[fld], r->key ? r->key : "(status)",
				      dump(have));
		}
		json_decref(have);
		json_decref(got);
		json_decref(wants[c]);
		/* Without this source, the next one wins. */
		if (r->how == CATALOG_STATUS_TEXT) {
			f.message = NULL;
		} else if (r->how == CATALOG_OI_LIST || r->how == CATALOG_FLAT_LIST) {
			char k[256];
			snprintf(k, sizeof k, "%s%srole", r->key,
				 r->how == CATALOG_OI_LIST ? "0.message." : "0.");
			fx_set(&f, k, NULL);
			snprintf(k, sizeof k, "%s%scontent", r->key,
				 r->how == CATALOG_OI_LIST ? "0.message." : "0.");
			fx_set(&f, k, NULL);
		} else if (r->key) {
			fx_set(&f, r->key, NULL);
		}
	}
	fx_free(&f);
}
END_TEST

/* ---- README's "Attribute mapping", generated from the table ----
 * The block between README_BEGIN and README_END is made by readme_mapping() below; the test
 * compares it with README.md, and SPANDEX_GOLDEN_UPDATE=1 ./t/check_catalog writes it there. */
#define README_BEGIN                                                                               \
	"<!-- conventions: generated from lib/model/catalog_rows.c by t/check_catalog -->\n"
#define README_END "<!-- end of the generated conventions -->\n"

static void md_key(struct buf *b, const char *k)
{
	buf_printf(b, "`%s`", k);
}

static void md_keys(struct buf *b, const char *const *keys)
{
	for (size_t j = 0; keys[j]; j++) {
		if (j)
			buf_adds(b, " → ");
		md_key(b, keys[j]);
	}
}

/* One field row's sources: "on KIND spans" for a kind's row, the keys, the row's note. */
static void md_row(struct buf *b, const struct catalog_row *r)
{
	if (r->sub)
		buf_printf(b, "`%s`: ", r->sub);
	if (r->kind)
		buf_printf(b, "on %s spans ", r->kind);
	md_keys(b, r->keys);
	if (r->note)
		buf_printf(b, " (%s)", r->note);
}

/* The sources of one catalog_field, in order; NULL last for the field's fixed end. */
static void md_sources(struct buf *b, enum catalog_field f)
{
	size_t n;
	const struct catalog_source *r = catalog_sources(&n);
	bool first = true, same = false;

	for (size_t i = 0; i < n; i++) {
		if (r[i].field != f)
			continue;
		if (r[i].how == CATALOG_EVENT && i && r[i - 1].field == f &&
		    r[i - 1].how == CATALOG_EVENT)
			continue;
		if (!first)
			buf_adds(b, f == CATALOG_USER || f == CATALOG_TOOL_CALL_ID ||
					    f == CATALOG_DROPPED
					? ", "
					: " → ");
		first = false;
		same = same || r[i].drop == CATALOG_DROP_SAME;
		if (r[i].kind >= 0)
			buf_printf(b, "on %s spans, ", span_kind_names[r[i].kind]);
		switch (r[i].how) {
		case CATALOG_OI_LIST:
			buf_printf(b, "the messages rebuilt from `%s<i>.message.*`", r[i].key);
			break;
		case CATALOG_FLAT_LIST:
			buf_printf(b, "the messages rebuilt from `%s<i>.*`", r[i].key);
			break;
		case CATALOG_MESSAGES:
			buf_printf(
			    b,
			    "`%s` (with `gen_ai.system_instructions` put in front as a "
			    "`system` message; the instructions alone when no messages came)",
			    r[i].key);
			break;
		case CATALOG_EVENT:
			buf_adds(b, "the ");
			for (size_t j = i; j < n && r[j].field == f && r[j].how == CATALOG_EVENT;
			     j++)
				buf_printf(b, "%s`%s`", j > i ? ", " : "", r[j].key);
			buf_adds(b, " events, as `{\"messages\": [...]}`");
			break;
		case CATALOG_NONEMPTY:
			buf_printf(b, "`%s` (unless empty)", r[i].key);
			break;
		case CATALOG_STATUS_TEXT:
			buf_adds(b, "the OTLP status message");
			break;
		case CATALOG_PREFIX:
			buf_printf(b, "`%s*`", r[i].key);
			break;
		default:
			md_key(b, r[i].key);
			break;
		}
		if (r[i].when)
			buf_printf(b, " when `%s` is `%s`", r[i].when, r[i].when_value);
	}
	if (f == CATALOG_SESSION) {
		buf_adds(b, " → `session-` + a stable hash of workspace and trace id. ");
		first = true;
		for (size_t i = 0; i < n; i++)
			if (r[i].field == f && r[i].drop == CATALOG_DROP_SAME) {
				buf_adds(b, first ? "" : ", ");
				md_key(b, r[i].key);
				first = false;
			}
		if (same)
			buf_adds(b, " leave `raw_attributes` only when they equal the session");
	}
}

/* The status sources: the status attributes (the first present; every key takes the same
 * values, which the rendering says once), the level, the OTLP code. */
static void md_status(struct buf *b)
{
	size_t n, nkeys = 0, nattr = 0;
	const struct catalog_source *r = catalog_sources(&n);
	const char *keys[8];
	int step = 0;

	for (size_t i = 0; i < n; i++)
		if (r[i].field == CATALOG_STATUS && r[i].how == CATALOG_STATUS_ATTR) {
			bool seen = false;
			for (size_t k = 0; k < nkeys; k++)
				seen = seen || !strcmp(keys[k], r[i].key);
			if (!seen)
				keys[nkeys++] = r[i].key;
			nattr++;
		}
	buf_printf(b, "%d. the first present of ", ++step);
	for (size_t k = 0; k < nkeys; k++)
		buf_printf(b, "%s`%s`", k ? " and " : "", keys[k]);
	buf_adds(b, ", in any case:");
	for (int st = 0, groups = 0; st < SPST__COUNT; st++) {
		bool any = false;
		for (size_t i = 0; i < n; i++) {
			if (r[i].field != CATALOG_STATUS || r[i].how != CATALOG_STATUS_ATTR ||
			    (int)r[i].status != st || strcmp(r[i].key, keys[0]))
				continue;
			/* Each other key takes this value too. */
			for (size_t k = 1; k < nkeys; k++) {
				bool has = false;
				for (size_t j = 0; j < n; j++)
					has = has || (r[j].how == CATALOG_STATUS_ATTR &&
						      !strcmp(r[j].key, keys[k]) &&
						      !strcmp(r[j].value, r[i].value) &&
						      r[j].status == r[i].status);
				ck_assert_msg(has, "%s lacks %s", keys[k], r[i].value);
			}
			buf_printf(b, "%s `%s`", any ? "," : groups ? ";" : "", r[i].value);
			any = true;
		}
		if (any)
			buf_printf(b, " → %s", span_status_names[st]);
		groups += any;
	}
	buf_adds(b, ".");
	for (size_t i = 0; i < n; i++) {
		if (r[i].field != CATALOG_STATUS)
			continue;
		if (r[i].how == CATALOG_LEVEL)
			buf_printf(b, " %d. `%s` `%s` → %s.", ++step, r[i].key, r[i].value,
				   span_status_names[r[i].status]);
		else if (r[i].how == CATALOG_STATUS_CODE)
			buf_printf(
			    b,
			    " %d. the OTLP status code ERROR → %s; UNSET and OK → success, "
			    "whatever `error.type` or an `exception` event say (they still fill "
			    "`error_type` and `error_message`)",
			    ++step, span_status_names[r[i].status]);
	}
	ck_assert_uint_eq(nattr % nkeys, 0);
}

static const char *const usage_names[] = {"own", "its children's",
					  "its children's, unless the span is a CLIENT span"};

/* The kind table: one line per key, kind, whose usage and convention, its values listed. */
static void md_kinds(struct buf *b)
{
	size_t n;
	const struct catalog_kind_row *r = catalog_kind_rows(&n);

	buf_adds(b, "| attribute | values (any case) | kind | usage counted | convention |\n"
		    "|---|---|---|---|---|\n");
	for (size_t i = 0; i < n;) {
		size_t j = i;
		buf_printf(b, "| `%s` | ", r[i].key);
		for (; j < n && !strcmp(r[j].key, r[i].key) && r[j].kind == r[i].kind &&
		       r[j].usage == r[i].usage && !strcmp(r[j].note, r[i].note);
		     j++)
			if (r[j].value)
				buf_printf(b, "%s`%s`", j > i ? ", " : "", r[j].value);
			else
				buf_adds(b, "any");
		buf_printf(b, " | %s | %s | %s |\n", span_kind_names[r[i].kind],
			   usage_names[r[i].usage], r[i].note);
		i = j;
	}
}

/* The whole generated block (README_BEGIN and README_END included). */
static void readme_mapping(struct buf *b)
{
	size_t n, no;
	const struct catalog_row *r = catalog_rows(&n);
	const struct catalog_object *o = catalog_objects(&no);

	buf_adds(b, README_BEGIN);
	buf_adds(b, "| Span field | sources, in precedence order |\n|---|---|\n");
	buf_adds(b, "| `session_id` | ");
	md_sources(b, CATALOG_SESSION);
	buf_adds(b, " |\n| `kind` | the first row of the kind table below that matches → any "
		    "`gen_ai.evaluation.*` attribute → EVALUATOR → UNKNOWN |\n| `status` | ");
	md_status(b);
	buf_adds(b, " |\n");
	for (size_t i = 0; i < n;) {
		size_t j = i;
		buf_printf(b, "| `%s` | ", r[i].name);
		for (; j < n && !strcmp(r[j].name, r[i].name); j++) {
			if (j > i)
				buf_adds(b, r[j].sub ? "; " : " → ");
			md_row(b, &r[j]);
		}
		if (!strcmp(r[i].name, "error_message")) {
			buf_adds(b, " → ");
			md_sources(b, CATALOG_ERROR_MESSAGE);
		}
		for (size_t k = 0; k < no; k++)
			if (o[k].note && o[k].rest == CATALOG_REST_USAGE &&
			    !strcmp(r[i].name, "usage_details"))
				buf_printf(b, "; %s", o[k].note);
		buf_adds(b, " |\n");
		i = j;
	}
	buf_adds(b, "| `cost_details` | every other numeric `llm.cost.<x>`, named `x`");
	for (size_t k = 0; k < no; k++)
		if (o[k].note && o[k].rest == CATALOG_REST_COST)
			buf_printf(b, "; %s", o[k].note);
	buf_adds(b, " |\n| `input` | ");
	md_sources(b, CATALOG_INPUT);
	buf_adds(b, " |\n| `output` | ");
	md_sources(b, CATALOG_OUTPUT);
	buf_adds(b, " |\n| user (no Span field: kept in `raw_attributes`) | ");
	md_sources(b, CATALOG_USER);
	buf_adds(b, " |\n| tool call id (no Span field: kept in `raw_attributes`) | ");
	md_sources(b, CATALOG_TOOL_CALL_ID);
	buf_adds(b, " |\n| dropped, as the NeMo service drops them | ");
	{
		size_t ns;
		const struct catalog_source *src = catalog_sources(&ns);
		bool first = true;
		for (size_t i = 0; i < ns; i++)
			if (src[i].drop == CATALOG_DROP && src[i].key &&
			    !(i && src[i - 1].key && !strcmp(src[i - 1].key, src[i].key))) {
				buf_printf(b, "%s`%s%s`", first ? "" : ", ", src[i].key,
					   src[i].how == CATALOG_OI_LIST ||
						   src[i].how == CATALOG_PREFIX
					       ? "*"
					       : "");
				first = false;
			}
	}
	buf_adds(b, " |\n");
	for (size_t k = 0; k < no; k++)
		if (o[k].parts)
			buf_printf(
			    b,
			    "\n`%s{input}` and `%s{output}` are read as the member plus every "
			    "other member whose name contains `input` (`output`): that object's "
			    "members are parts, counted apart, as Langfuse counts usage types "
			    "(its OpenAI wrapper sends `input` less the cached tokens, and those "
			    "as "
			    "`input_cached_tokens`).\n",
			    o[k].key, o[k].key);
	buf_adds(b, "\nThe kind table, in precedence order (`lib/model/catalog_kind.c`, "
		    "`cat_kinds`):\n\n");
	md_kinds(b);
	buf_adds(b, README_END);
}

/* README.md's block is the generated one; SPANDEX_GOLDEN_UPDATE=1 writes it there. */
START_TEST(readme_generated)
{
	struct buf want;

	buf_init(&want);
	readme_mapping(&want);
	readme_block_check(README_BEGIN, README_END, &want);
	buf_free(&want);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("catalog");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
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
	tc = tcase_create("table");
	tcase_add_checked_fixture(tc, setup, teardown);
	{
		size_t n, ns, nk;
		const struct catalog_row *r = catalog_rows(&n);
		n_field_keys = 0;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; r[i].keys[j]; j++) {
				if (n_field_keys == sizeof field_keys / sizeof field_keys[0])
					abort(); /* more keys than the walk has room for */
				field_keys[n_field_keys].row = i;
				field_keys[n_field_keys++].key = j;
			}
		tcase_add_loop_test(tc, field_row_keys, 0, (int)n_field_keys);
		tcase_add_loop_test(tc, field_row_order, 0, (int)n);
		catalog_kind_rows(&nk);
		tcase_add_loop_test(tc, kind_rows_mapped, 0, (int)nk);
		catalog_sources(&ns);
		tcase_add_loop_test(tc, source_rows, 0, (int)ns);
		tcase_add_loop_test(tc, source_order, 0,
				    sizeof order_fields / sizeof order_fields[0]);
	}
	tcase_add_test(tc, readme_generated);
	suite_add_tcase(s, tc);
	return s;
}
