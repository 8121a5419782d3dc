/* Check suite for lib/atif.c and lib/atif_check.c: POST .../ingest/atif (reference
 * nemo-intake.md 4.3). Each fixture in t/fixtures/atif is mapped at a fixed ingest time and
 * compared with t/golden/atif/<name>.jsonl (one canonical line per span, or the 422 body);
 * the rule tests then assert the mapping rules one by one. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/ingest/atif.h"
#include "lib/json/jsonw.h"
#include "t/golden.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"

#define NOW (1700000500LL * 1000000) /* 2023-11-14T22:21:40Z */
#define WS "ws-test"
#define US(s) ((int64_t)(s)*1000000)
#define T_2025_01_01_10 1735725600LL /* 2025-01-01T10:00:00Z */

static const char *const fixtures[] = {
    "full_v16",
    "subagents_v17",
    "minimal_v10",
    "no_session",
    "invalid_step_ids",
    "invalid_dup_tool_call",
    "invalid_source_call_id",
    "invalid_v17_ref",
    "invalid_ref_empty",
    "invalid_sub_no_id",
    "invalid_sub_dup_id",
    "invalid_schema",
    "invalid_steps",
    "invalid_sub_nested",
};

static struct arena *A;
static struct verrs V;
static json_t *B;
static struct span *SP;
static size_t N;

static void setup(void)
{
	A = arena_new();
	verrs_init(&V);
	B = NULL;
	SP = NULL;
	N = 0;
}

static void teardown(void)
{
	for (size_t i = 0; i < N; i++)
		span_clear(&SP[i]);
	verrs_free(&V);
	json_decref(B);
	arena_free(A);
}

static enum status map(const char *name)
{
	B = golden_fixture("atif", name);
	return atif_map(A, WS, B, NOW, &SP, &N, &V);
}

static const char *render(size_t i)
{
	struct buf b;
	char *s;
	buf_init(&b);
	SP[i].ingested_at = NOW;
	span_render(&SP[i], &b);
	s = arena_strdup(A, b.p);
	buf_free(&b);
	return s;
}

/* The span named name (the first one), failing the test when there is none. */
static struct span *by_name(const char *name)
{
	for (size_t i = 0; i < N; i++)
		if (SP[i].name && !strcmp(SP[i].name, name))
			return &SP[i];
	ck_abort_msg("no span named %s", name);
	return NULL;
}

static const char *raw(const struct span *s, const char *key)
{
	return jsonw_astr(A, json_object_get(s->raw_attributes, key), 0);
}

static const char *first_msg(void)
{
	return json_string_value(json_object_get(json_array_get(V.list, 0), "msg"));
}

START_TEST(golden)
{
	const char *name = fixtures[_i];
	struct buf all;
	buf_init(&all);
	if (!strncmp(name, "invalid_", 8)) {
		json_t *d;
		ck_assert_int_eq(map(name), ST_INVALID);
		ck_assert_int_gt(verrs_count(&V), 0);
		ck_assert_uint_eq(N, 0);
		d = json_pack("{s:O}", "detail", V.list);
		jsonw_dump(&all, d, 0);
		buf_addc(&all, '\n');
		json_decref(d);
	} else {
		ck_assert_int_eq(map(name), ST_OK);
		for (size_t i = 0; i < N; i++)
			buf_printf(&all, "%s\n", render(i));
	}
	golden_check("atif", name, "jsonl", all.p);
	buf_free(&all);
}
END_TEST

START_TEST(root_span)
{
	struct span *r;
	ck_assert_int_eq(map("full_v16"), ST_OK);
	r = &SP[0];
	ck_assert_str_eq(r->name, "terminus");
	ck_assert_int_eq(r->kind, KIND_AGENT);
	ck_assert_ptr_null(r->parent_span_id);
	/* hash_stable_id(workspace, session_id, "trajectory", prefix "span"). */
	{
		const char *parts[3] = {WS, "sess-atif-1", "trajectory"};
		ck_assert_str_eq(r->span_id, hash_stable_id(A, "span", parts, 3));
	}
	for (size_t i = 0; i < N; i++) {
		ck_assert_str_eq(SP[i].trace_id, "sess-atif-1");
		ck_assert_str_eq(SP[i].session_id, "sess-atif-1");
		ck_assert_str_eq(SP[i].source, "atif");
		ck_assert_str_eq(SP[i].workspace, WS);
		/* The context goes on the root only. */
		if (i)
			ck_assert_ptr_null(SP[i].evaluation_context);
	}
	ck_assert_str_eq(jsonw_astr(A, r->evaluation_context, JSONW_SORT_KEYS),
			 "{\"evaluation_id\":\"ev-1\",\"test_case_id\":\"tc-9\"}");
	ck_assert_str_eq(r->str[SS_MODEL], "gpt-4o");
	ck_assert_str_eq(r->str[SS_AGENT_NAME], "terminus");
	ck_assert_str_eq(raw(r, "gen_ai.agent.version"), "\"2.0\"");
	/* Input: the first user message (content parts as JSON). Output: the last agent step's
	 * message, which is empty here, so its serialized output. */
	ck_assert_str_eq(r->input,
			 "[{\"type\":\"text\",\"text\":\"Fix the bug\"},{\"type\":\"image\","
			 "\"source\":{\"media_type\":\"image/png\",\"path\":\"shot.png\"}}]");
	ck_assert_str_eq(r->output, by_name("agent-4")->output);
	/* Steps report prompt/completion tokens and cost: final_metrics only fills cached. */
	ck_assert_int_eq(r->input_tokens, SPAN_NONE_I64);
	ck_assert_int_eq(r->output_tokens, SPAN_NONE_I64);
	ck_assert_int_eq(r->total_tokens, SPAN_NONE_I64);
	ck_assert_int_eq(r->cached_tokens, 50);
	ck_assert(isnan(r->cost_total_usd));
	/* Tool errors make the root an error (P/F). */
	ck_assert_int_eq(r->status, SPST_ERROR);
	/* Earliest and latest explicit times: step 1 and the verifier's end. */
	ck_assert_int_eq(r->started_at, US(T_2025_01_01_10));
	ck_assert_int_eq(r->ended_at, US(T_2025_01_01_10 + 9));
	/* raw: the trajectory without steps and context. */
	ck_assert(strstr(raw(r, "atif.raw"), "\"notes\":\"a full trajectory\"") != NULL);
	ck_assert(strstr(raw(r, "atif.raw"), "\"steps\"") == NULL);
	ck_assert(strstr(raw(r, "atif.raw"), "evaluation_context") == NULL);
}
END_TEST

START_TEST(step_spans)
{
	struct span *sys, *user, *a3, *a4;
	ck_assert_int_eq(map("full_v16"), ST_OK);
	sys = by_name("system-1");
	user = by_name("user-2");
	a3 = by_name("agent-3");
	a4 = by_name("agent-4");
	ck_assert_int_eq(sys->kind, KIND_AGENT);
	ck_assert_int_eq(user->kind, KIND_AGENT);
	ck_assert_int_eq(a3->kind, KIND_LLM);
	ck_assert_str_eq(sys->parent_span_id, SP[0].span_id);
	ck_assert_str_eq(sys->input, "You are an agent.");
	ck_assert_ptr_null(sys->output);
	/* Step id: hash_stable_id(workspace, session_id, str(index), canonical step JSON). */
	{
		json_t *st = json_array_get(json_object_get(B, "steps"), 0);
		const char *parts[4] = {WS, "sess-atif-1", "0",
					jsonw_astr(A, st, JSONW_SORT_KEYS | JSONW_OMIT_NULLS)};
		ck_assert_str_eq(sys->span_id, hash_stable_id(A, NULL, parts, 4));
	}
	/* End: the next timed step's start (F). */
	ck_assert_int_eq(sys->started_at, US(T_2025_01_01_10));
	ck_assert_int_eq(sys->ended_at, US(T_2025_01_01_10 + 1));
	ck_assert_int_eq(a4->ended_at, SPAN_NONE_I64);
	/* Agent steps: output object, step model over agent model, metrics. */
	ck_assert_ptr_null(a3->input);
	ck_assert_str_eq(a3->str[SS_MODEL], "gpt-4o-mini");
	ck_assert_str_eq(a4->str[SS_MODEL], "gpt-4o");
	ck_assert(strncmp(a3->output,
			  "{\"message\":\"Running tools\",\"reasoning_content\":\"think "
			  "first\",\"tool_calls\":[{\"tool_call_id\":\"c1\"",
			  80) == 0);
	/* Only the members the step has (the service's _step_output): no "" message, no nulls. */
	ck_assert_str_eq(a4->output, "{\"tool_calls\":[{\"tool_call_id\":\"d1\",\"function_name\":"
				     "\"bash\",\"arguments\":{\"cmd\":\"make test\"}}]}");
	ck_assert_int_eq(a3->input_tokens, 100);
	ck_assert_int_eq(a3->output_tokens, 20);
	ck_assert_int_eq(a3->total_tokens, 120);
	ck_assert(a3->cost_total_usd == 0.001235);
	ck_assert_int_eq(a4->total_tokens, 10);
	ck_assert_int_eq(a3->status, SPST_SUCCESS);
	ck_assert_str_eq(raw(a3, "nemo.step_id"), "3");
}
END_TEST

/* The tool-error rules: [error] prefix, exit code + [error] line, no content check for
 * read_file, metadata by tool_use_id, the step-wide flag with a single result. */
START_TEST(tool_spans)
{
	static const struct {
		const char *id;
		enum span_status st;
	} want[] = {{"c1", SPST_SUCCESS}, {"c2", SPST_ERROR}, {"c3", SPST_SUCCESS},
		    {"c4", SPST_ERROR},	  {"c5", SPST_ERROR}, {"d1", SPST_ERROR}};
	size_t seen = 0;
	ck_assert_int_eq(map("full_v16"), ST_OK);
	for (size_t i = 0; i < N; i++) {
		struct span *t = &SP[i];
		if (t->kind != KIND_TOOL)
			continue;
		ck_assert_str_eq(raw(t, "gen_ai.tool.call.id"),
				 arena_printf(A, "\"%s\"", want[seen].id));
		ck_assert_int_eq(t->status, want[seen].st);
		ck_assert_str_eq(t->str[SS_TOOL_NAME], t->name);
		ck_assert(strstr(t->input, want[seen].id) != NULL);
		ck_assert(strstr(t->output, want[seen].id) != NULL);
		if (t->status == SPST_ERROR)
			ck_assert_ptr_nonnull(t->str[SS_ERROR_MESSAGE]);
		/* Without an invocation window: the step's times. */
		for (size_t k = 0; k < i; k++)
			if (!strcmp(SP[k].span_id, t->parent_span_id))
				ck_assert_int_eq(t->started_at, SP[k].started_at);
		seen++;
	}
	ck_assert_uint_eq(seen, 6);
	ck_assert_str_eq(
	    by_name("read_file")->output,
	    "{\"source_call_id\":\"c3\",\"content\":\"[error] is what this file says\"}");
	ck_assert_str_eq(by_name("agent-3")->span_id, by_name("read_file")->parent_span_id);
	ck_assert_int_eq(by_name("edit")->started_at, US(T_2025_01_01_10 + 2));
	ck_assert_int_eq(by_name("edit")->ended_at, US(T_2025_01_01_10 + 5));
}
END_TEST

START_TEST(verifier_span)
{
	struct span *v;
	ck_assert_int_eq(map("full_v16"), ST_OK);
	v = by_name("harbor.verifier");
	ck_assert_int_eq(v->kind, KIND_EVALUATOR);
	ck_assert_str_eq(v->parent_span_id, SP[0].span_id);
	ck_assert_int_eq(v->started_at, US(T_2025_01_01_10 + 6));
	ck_assert_int_eq(v->ended_at, US(T_2025_01_01_10 + 9));
	ck_assert_str_eq(
	    raw(v, "nemo.evaluator_results"),
	    "[{\"name\":\"passed\",\"data_type\":\"BOOLEAN\",\"value\":1,\"created_by\":"
	    "\"intake:atif_importer\"},{\"name\":\"score\",\"data_type\":\"NUMERIC\","
	    "\"value\":0.75,\"created_by\":\"intake:atif_importer\"},{\"name\":\"grade\","
	    "\"data_type\":\"TEXT\",\"string_value\":\"B\",\"created_by\":"
	    "\"intake:atif_importer\"}]");
}
END_TEST

START_TEST(subagents)
{
	struct span *root, *step2, *sub_a, *sub_a1, *sub_b, *unres, *fetch_step;
	ck_assert_int_eq(map("subagents_v17"), ST_OK);
	root = &SP[0];
	step2 = by_name("agent-2");
	sub_a = by_name("researcher");
	sub_a1 = by_name("fetcher");
	sub_b = by_name("idle");
	unres = by_name("subagent-missing/sub.json");
	/* A referenced subagent expands under the step that references it, recursively. */
	ck_assert_str_eq(sub_a->parent_span_id, step2->span_id);
	ck_assert_int_eq(sub_a->kind, KIND_AGENT);
	ck_assert_str_eq(sub_a->str[SS_MODEL], "claude");
	fetch_step = NULL;
	for (size_t i = 0; i < N; i++)
		if (SP[i].parent_span_id == sub_a1->span_id)
			fetch_step = &SP[i];
	ck_assert_ptr_nonnull(fetch_step);
	ck_assert_str_eq(fetch_step->name, "agent-1");
	ck_assert_str_eq(sub_a1->parent_span_id, by_name("search")->parent_span_id);
	/* Unreferenced: under the root. Unresolved ref: an AGENT span under the step. */
	ck_assert_str_eq(sub_b->parent_span_id, root->span_id);
	ck_assert_str_eq(unres->parent_span_id, step2->span_id);
	ck_assert_int_eq(unres->kind, KIND_AGENT);
	/* final_metrics on a subagent without step metrics. */
	ck_assert_int_eq(sub_b->input_tokens, 5);
	ck_assert_int_eq(sub_b->output_tokens, 7);
	ck_assert_int_eq(sub_b->total_tokens, 12);
	ck_assert_int_eq(sub_b->started_at, NOW);
	/* H: extra.error names the root's error. */
	ck_assert_int_eq(root->status, SPST_ERROR);
	ck_assert_str_eq(root->str[SS_ERROR_TYPE], "Timeout");
	ck_assert_str_eq(root->str[SS_ERROR_MESSAGE], "agent timed out");
	/* The researcher's failed tool marks it; the orchestrator's step times come from the
	 * invocation window; the root spans the earliest and latest time of the whole tree. */
	ck_assert_int_eq(sub_a->status, SPST_ERROR);
	ck_assert_int_eq(step2->started_at, US(T_2025_01_01_10));
	ck_assert_int_eq(step2->ended_at, US(T_2025_01_01_10 + 60) + 500000);
	ck_assert_int_eq(by_name("spawn")->started_at, US(T_2025_01_01_10 + 1));
	ck_assert_int_eq(by_name("spawn")->ended_at, US(T_2025_01_01_10 + 50));
	ck_assert_int_eq(root->started_at, US(T_2025_01_01_10 - 60));
	ck_assert_int_eq(root->ended_at, US(T_2025_01_01_10 + 60) + 500000);
	/* An untimed step: ingest time plus its index in ms. */
	ck_assert_int_eq(by_name("user-1")->started_at, NOW);
	/* The verifier's bare score: one BOOLEAN result named reward. */
	ck_assert_str_eq(raw(by_name("harbor.verifier"), "nemo.evaluator_results"),
			 "[{\"name\":\"reward\",\"data_type\":\"BOOLEAN\",\"value\":1,"
			 "\"created_by\":\"intake:atif_importer\"}]");
	/* Every id is distinct. */
	for (size_t i = 0; i < N; i++)
		for (size_t k = 0; k < i; k++)
			ck_assert_str_ne(SP[i].span_id, SP[k].span_id);
}
END_TEST

/* Re-importing the same trajectory yields the same ids, so the store replaces it. */
START_TEST(reimport_same_ids)
{
	struct span *again;
	size_t n2;
	struct verrs v2;
	ck_assert_int_eq(map("subagents_v17"), ST_OK);
	verrs_init(&v2);
	ck_assert_int_eq(atif_map(A, WS, B, NOW + 1000, &again, &n2, &v2), ST_OK);
	ck_assert_uint_eq(n2, N);
	for (size_t i = 0; i < N; i++) {
		ck_assert_str_eq(again[i].span_id, SP[i].span_id);
		span_clear(&again[i]);
	}
	verrs_free(&v2);
}
END_TEST

/* No session_id: a name-based UUID-shaped id, the same for the same body. */
START_TEST(session_without_id)
{
	const char *sid;
	ck_assert_int_eq(map("no_session"), ST_OK);
	sid = SP[0].session_id;
	ck_assert_uint_eq(strlen(sid), 36);
	ck_assert(sid[8] == '-' && sid[13] == '-' && sid[18] == '-' && sid[23] == '-');
	ck_assert_str_eq(SP[0].trace_id, sid);
	/* experiment_context maps to evaluation_id. */
	ck_assert_str_eq(jsonw_astr(A, SP[0].evaluation_context, 0),
			 "{\"evaluation_id\":\"exp-7\"}");
	/* A system step without a message has input "". */
	ck_assert_str_eq(by_name("system-1")->input, "");
	ck_assert_ptr_null(SP[0].input);
	ck_assert_ptr_null(SP[0].output);
	ck_assert_int_eq(SP[0].started_at, NOW);
}
END_TEST

/* The documented 422 messages: the service's (atif_domain.py). */
static const struct {
	const char *name, *msg;
} messages[] = {
    {"invalid_step_ids", "Value error, steps[1].step_id: expected 2 (sequential from 1), got 3"},
    {"invalid_dup_tool_call", "Value error, Duplicate tool_call_id 'c' in step 1"},
    {"invalid_source_call_id", "Value error, Observation result references source_call_id 'zz' "
			       "which is not found in step 1's tool_calls"},
    {"invalid_v17_ref", "Value error, ATIF-v1.7 SubagentTrajectoryRef MUST set at least one of "
			"trajectory_id or trajectory_path; session_id alone is informational"},
    {"invalid_ref_empty", "Value error, SubagentTrajectoryRef MUST set at least one of "
			  "trajectory_id, trajectory_path, or session_id"},
    {"invalid_sub_no_id", "Value error, subagent_trajectories[0].trajectory_id is required on "
			  "embedded ATIF-v1.7 subagents"},
    {"invalid_sub_dup_id", "Value error, subagent_trajectories[1].trajectory_id duplicates 's'"},
    {"invalid_sub_nested", "Value error, steps[0].step_id: expected 1 (sequential from 1), got 2"},
    {"invalid_schema", "Input should be 'ATIF-v1.0', 'ATIF-v1.1', 'ATIF-v1.2', 'ATIF-v1.3', "
		       "'ATIF-v1.4', 'ATIF-v1.5', 'ATIF-v1.6' or 'ATIF-v1.7'"},
};

START_TEST(documented_messages)
{
	size_t i;
	ck_assert_int_eq(map(messages[_i].name), ST_INVALID);
	for (i = 0; i < verrs_count(&V); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(V.list, i), "msg")),
			    messages[_i].msg))
			break;
	ck_assert_msg(i < verrs_count(&V), "no error says: %s", messages[_i].msg);
}
END_TEST

START_TEST(nested_error_loc)
{
	ck_assert_int_eq(map("invalid_sub_nested"), ST_INVALID);
	ck_assert_str_eq(jsonw_astr(A, json_object_get(json_array_get(V.list, 0), "loc"), 0),
			 "[\"body\",\"subagent_trajectories\",0]");
}
END_TEST

START_TEST(step_errors)
{
	static const char *const want[] = {
	    "[\"body\",\"steps\",0] union_tag_invalid",
	    "[\"body\",\"steps\",1] union_tag_not_found",
	    "[\"body\",\"steps\",2,\"user\",\"tool_calls\"] extra_forbidden",
	    "[\"body\",\"steps\",2,\"user\",\"step_id\"] greater_than_equal",
	    "[\"body\",\"steps\",2,\"user\",\"message\",0,\"source\",\"media_type\"] literal_error",
	    "[\"body\",\"steps\",2,\"user\",\"message\",1,\"type\"] literal_error",
	    "[\"body\",\"steps\",3,\"agent\",\"step_id\"] int_from_float",
	    "[\"body\",\"steps\",3,\"agent\",\"observation\",\"results\"] missing",
	    "[\"body\",\"steps\",3,\"agent\",\"tool_calls\",0,\"tool_call_id\"] missing",
	    "[\"body\",\"steps\",3,\"agent\",\"tool_calls\",0,\"arguments\"] dict_type",
	    "[\"body\",\"steps\",3,\"agent\",\"metrics\",\"prompt_tokens\"] int_type",
	    "[\"body\",\"steps\",3,\"agent\",\"metrics\",\"logprobs\",0] float_type",
	    "[\"body\",\"steps\",3,\"agent\",\"reasoning_effort\"] string_type",
	    "[\"body\",\"steps\",4] model_attributes_type",
	};
	ck_assert_int_eq(map("invalid_steps"), ST_INVALID);
	ck_assert_uint_eq(verrs_count(&V), sizeof want / sizeof want[0]);
	for (size_t i = 0; i < verrs_count(&V); i++) {
		json_t *e = json_array_get(V.list, i);
		ck_assert_str_eq(arena_printf(A, "%s %s",
					      jsonw_astr(A, json_object_get(e, "loc"), 0),
					      json_string_value(json_object_get(e, "type"))),
				 want[i]);
	}
}
END_TEST

/* A tree deeper than ATIF_MAX_SUBAGENT_DEPTH (only buildable in memory: the JSON depth cap
 * stops it at the parser) is a 422, not a deep recursion. */
START_TEST(max_depth)
{
	json_t *leaf = json_pack("{s:s,s:{s:s,s:s}}", "trajectory_id", "t", "agent", "name", "n",
				 "version", "1");
	for (int d = 0; d <= ATIF_MAX_SUBAGENT_DEPTH; d++)
		leaf = json_pack("{s:s,s:{s:s,s:s},s:[o]}", "trajectory_id", "t", "agent", "name",
				 "n", "version", "1", "subagent_trajectories", leaf);
	json_object_set_new(leaf, "schema_version", json_string("ATIF-v1.7"));
	json_object_del(leaf, "trajectory_id");
	B = leaf;
	ck_assert_int_eq(atif_map(A, WS, B, NOW, &SP, &N, &V), ST_INVALID);
	ck_assert(strstr(first_msg(), "maximum depth of 64") != NULL);
	/* One level less is fine. */
	{
		json_t *inner = json_array_get(json_object_get(B, "subagent_trajectories"), 0);
		struct span *sp;
		size_t n;
		struct verrs v2;
		json_t *body = json_deep_copy(inner);
		json_object_set_new(body, "schema_version", json_string("ATIF-v1.7"));
		verrs_init(&v2);
		ck_assert_int_eq(atif_map(A, WS, body, NOW, &sp, &n, &v2), ST_OK);
		ck_assert_uint_eq(n, ATIF_MAX_SUBAGENT_DEPTH + 1);
		for (size_t i = 0; i < n; i++)
			span_clear(&sp[i]);
		verrs_free(&v2);
		json_decref(body);
	}
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("atif");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, golden, 0, sizeof fixtures / sizeof fixtures[0]);
	tcase_add_test(tc, root_span);
	tcase_add_test(tc, step_spans);
	tcase_add_test(tc, tool_spans);
	tcase_add_test(tc, verifier_span);
	tcase_add_test(tc, subagents);
	tcase_add_test(tc, reimport_same_ids);
	tcase_add_test(tc, session_without_id);
	tcase_add_loop_test(tc, documented_messages, 0, sizeof messages / sizeof messages[0]);
	tcase_add_test(tc, nested_error_loc);
	tcase_add_test(tc, step_errors);
	tcase_add_test(tc, max_depth);
	suite_add_tcase(s, tc);
	return s;
}
