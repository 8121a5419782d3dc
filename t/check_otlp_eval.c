/* check_otlp_eval: OTLP's evaluation results as judgements (lib/ingest/otlp_eval.c): the GenAI
 * gen_ai.evaluation.result event as a span event and as a log record (JSON and protobuf), what
 * is refused, OpenInference's annotation and evaluation attributes on spans, traces and
 * sessions, and otlp_eval_put: the stored span's session and project, ids a retry replaces. */
#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/api/egp/assess_map.h"
#include "lib/api/intake/judgements.h"
#include "lib/api/opik/judgements/judged.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/ingest/otlp.h"
#include "lib/ingest/otlp_logs.h"
#include "lib/query/judgements.h"
#include "proto/otlp_logs.pb-c.h"

#define WS "team-a"
#define NOW 1700000000000000LL
#define TID "0102030405060708090a0b0c0d0e0f10"
#define SID "a1a2a3a4a5a6a7a8"
#define KV(k, v) "{\"key\":\"" k "\",\"value\":" v "}"
#define S(x) "{\"stringValue\":\"" x "\"}"
#define D(x) "{\"doubleValue\":" x "}"
#define TRACES(attrs, events)                                                                      \
	"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"" TID                     \
	"\",\"spanId\":\"" SID "\",\"name\":\"chat\",\"startTimeUnixNano\":"                       \
	"\"1700000000000000000\",\"endTimeUnixNano\":\"1700000001000000000\",\"attributes\":"      \
	"[" attrs "],\"events\":[" events "]}]}]}]}"
#define EVAL_EVENT(t, attrs)                                                                       \
	"{\"name\":\"gen_ai.evaluation.result\",\"timeUnixNano\":\"" t "\",\"attributes\":[" attrs \
	"]}"
#define LOGS(records) "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[" records "]}]}]}"
#define EVAL_LOG(ids, attrs)                                                                       \
	"{" ids "\"timeUnixNano\":\"1700000002000000000\",\"eventName\":"                          \
	"\"gen_ai.evaluation.result\",\"attributes\":[" attrs "]}"
#define ON_SPAN "\"traceId\":\"" TID "\",\"spanId\":\"" SID "\","

static struct arena *A;
static char root[256];
static struct store st;

static void setup(void)
{
	A = arena_new();
	snprintf(root, sizeof(root), "/tmp/spandex-check-otlpeval-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	store_init(&st, root, false);
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
	arena_free(A);
}

static void traces(const char *body, struct otlp_result *r)
{
	struct err e = {0};
	ck_assert_int_eq(otlp_decode(A, WS, OTLP_JSON, body, strlen(body), NOW, r, &e), ST_OK);
}

static void logs(const char *body, struct otlp_logs *l)
{
	struct err e = {0};
	ck_assert_int_eq(otlp_logs_decode(A, WS, OTLP_JSON, body, strlen(body), NOW, l, &e), ST_OK);
}

/* Three events: a whole result, one without its name, a failed one. */
// clang-format off
#define EV_FULL EVAL_EVENT("1700000000500000000",                                                  \
	KV("gen_ai.evaluation.name", S("Relevance")) ","                                           \
	KV("gen_ai.evaluation.score.value", D("4.0")) ","                                          \
	KV("gen_ai.evaluation.score.label", S("relevant")) ","                                     \
	KV("gen_ai.evaluation.explanation", S("on topic")))
#define EV_NONAME EVAL_EVENT("1700000000600000000",                                                \
	KV("gen_ai.evaluation.score.value", D("1.0")))
#define EV_FAILED EVAL_EVENT("1700000000700000000",                                                \
	KV("gen_ai.evaluation.name", S("Timeout")) ","                                             \
	KV("error.type", S("timeout")))
// clang-format on

START_TEST(span_event)
{
	struct otlp_result r;
	traces(
	    TRACES(KV("gen_ai.conversation.id", S("conv-1")), EV_FULL "," EV_NONAME "," EV_FAILED),
	    &r);
	ck_assert_uint_eq(r.nspans, 1);
	/* The event without its name stays among the span's events only. */
	ck_assert_uint_eq(r.evals.n, 2);
	const struct otlp_eval *e = &r.evals.v[0];
	ck_assert_str_eq(e->j.name, "Relevance");
	ck_assert(e->j.value == 4.0);
	ck_assert_str_eq(e->j.label, "relevant");
	ck_assert_str_eq(e->j.text, "on topic");
	ck_assert_int_eq(e->j.kind, JK_NUMBER);
	ck_assert_int_eq(e->j.target, JT_SPAN);
	ck_assert_int_eq(e->j.source, JS_EVALUATOR);
	ck_assert_str_eq(e->j.api, OTLP_EVAL_API);
	ck_assert_str_eq(e->j.subtype, "gen_ai.evaluation.result");
	ck_assert_str_eq(e->j.span_id, SID);
	ck_assert_str_eq(e->j.trace_id, TID);
	ck_assert_str_eq(e->j.session_id, "conv-1");
	ck_assert_str_eq(e->id_time, "1700000000500000000");
	ck_assert_int_eq(e->j.created_at, 1700000000500000LL);
	/* A failed evaluation: its error and no value, a category. */
	e = &r.evals.v[1];
	ck_assert_str_eq(e->j.error, "timeout");
	ck_assert(isnan(e->j.value));
	ck_assert_int_eq(e->j.kind, JK_CATEGORY);
	otlp_result_free(&r);
}
END_TEST

/* openinference-core's getAnnotationAttributes and getEvaluationAttributes, as sent. */
// clang-format off
#define OI_CORRECT                                                                                 \
	KV("annotations.0.annotation.name", S("correctness")) ","                                  \
	KV("annotations.0.annotation.score", D("0.95")) ","                                        \
	KV("annotations.0.annotation.annotator_kind", S("HUMAN")) ","                              \
	KV("annotations.0.annotation.metadata", S("{\\\"k\\\":1}"))
#define OI_TONE                                                                                    \
	KV("annotations.1.annotation.name", S("tone")) ","                                         \
	KV("annotations.1.annotation.label", S("calm")) ","                                        \
	KV("annotations.1.annotation.identifier", S("tone-1"))
#define OI_GOAL                                                                                    \
	KV("trace.evaluations.0.evaluation.name", S("goal")) ","                                   \
	KV("trace.evaluations.0.evaluation.label", S("met"))
#define OI_NPS                                                                                     \
	KV("session.annotations.0.annotation.name", S("nps")) ","                                  \
	KV("session.annotations.0.annotation.score", D("9"))
#define OI_EMPTY KV("evaluations.0.evaluation.name", S("empty"))
// clang-format on

START_TEST(openinference)
{
	struct otlp_result r;
	traces(TRACES(OI_CORRECT "," OI_TONE "," OI_GOAL "," OI_NPS "," OI_EMPTY, ""), &r);
	/* evaluations.0 has no score, label or explanation: no result. */
	ck_assert_uint_eq(r.evals.n, 4);
	const struct otlp_eval *by[4] = {0};
	for (size_t i = 0; i < r.evals.n; i++) {
		const char *n = r.evals.v[i].j.name;
		by[!strcmp(n, "correctness") ? 0
		   : !strcmp(n, "tone")	     ? 1
		   : !strcmp(n, "goal")	     ? 2
					     : 3] = &r.evals.v[i];
	}
	ck_assert(by[0] && by[1] && by[2] && by[3]);
	ck_assert_int_eq(by[0]->j.source, JS_HUMAN);
	ck_assert(by[0]->j.value == 0.95);
	ck_assert_str_eq(by[0]->j.subtype, "openinference.annotation");
	json_t *k1 = json_pack("{s:i}", "k", 1);
	ck_assert(json_equal(by[0]->j.payload, k1));
	json_decref(k1);
	ck_assert_int_eq(by[0]->j.target, JT_SPAN);
	ck_assert_int_eq(by[1]->j.kind, JK_CATEGORY);
	ck_assert_int_eq(by[2]->j.target, JT_TRACE);
	ck_assert_ptr_null(by[2]->j.span_id);
	ck_assert_str_eq(by[2]->j.trace_id, TID);
	ck_assert_str_eq(by[2]->j.subtype, "openinference.evaluation");
	ck_assert_int_eq(by[3]->j.target, JT_SESSION);
	ck_assert_ptr_null(by[3]->j.trace_id);
	ck_assert_str_eq(by[3]->j.session_id, by[0]->j.session_id);
	for (int i = 0; i < 4; i++) {
		ck_assert_ptr_null(by[i]->id_time);
		ck_assert(!strncmp(by[i]->j.id, "oi-", 3));
	}
	/* The same span sent again gives the same ids; an identifier is the id's own. */
	struct otlp_result again;
	traces(TRACES(OI_TONE, ""), &again);
	ck_assert_uint_eq(again.evals.n, 1);
	ck_assert_str_eq(again.evals.v[0].j.id, by[1]->j.id);
	otlp_result_free(&again);
	otlp_result_free(&r);
}
END_TEST

/* Six records: kept, kept by response id, then four refused. */
// clang-format off
#define LOG_PASS EVAL_LOG(ON_SPAN,                                                                 \
	KV("gen_ai.evaluation.name", S("Fluency")) ","                                             \
	KV("gen_ai.evaluation.score.label", S("pass")))
#define LOG_BY_RESPONSE EVAL_LOG("",                                                               \
	KV("gen_ai.evaluation.name", S("ByResp")) ","                                              \
	KV("gen_ai.evaluation.score.value", S("0.5")) ","                                          \
	KV("gen_ai.response.id", S("chatcmpl-1")))
#define LOG_NO_NAME EVAL_LOG(ON_SPAN, KV("gen_ai.evaluation.score.value", D("1")))
#define LOG_NO_SPAN EVAL_LOG("",                                                                   \
	KV("gen_ai.evaluation.name", S("Lost")) ","                                                \
	KV("gen_ai.evaluation.score.value", D("1")))
#define LOG_BAD_SCORE EVAL_LOG(ON_SPAN,                                                            \
	KV("gen_ai.evaluation.name", S("Bad")) ","                                                 \
	KV("gen_ai.evaluation.score.value", S("high")))
#define LOG_NOTHING EVAL_LOG(ON_SPAN, KV("gen_ai.evaluation.name", S("Nothing")))
#define LOG_FLUENCY(score) EVAL_LOG(ON_SPAN,                                                       \
	KV("gen_ai.evaluation.name", S("Fluency")) ","                                             \
	KV("gen_ai.evaluation.score.value", D(score)))
// clang-format on

START_TEST(log_records)
{
	struct otlp_logs l;
	logs(LOGS(LOG_PASS "," LOG_BY_RESPONSE "," LOG_NO_NAME "," LOG_NO_SPAN "," LOG_BAD_SCORE
			   "," LOG_NOTHING),
	     &l);
	ck_assert_uint_eq(l.records, 6);
	ck_assert_uint_eq(l.n, 0); /* no content events */
	ck_assert_uint_eq(l.rejected, 4);
	ck_assert_str_eq(l.errors[0], "log record 2: gen_ai.evaluation.name is required");
	ck_assert_str_eq(l.errors[1], "log record 3: span_id is required (or gen_ai.response.id)");
	ck_assert_str_eq(l.errors[2],
			 "log record 4: gen_ai.evaluation.score.value must be a finite number");
	ck_assert_str_eq(l.errors[3],
			 "log record 5: gen_ai.evaluation.result has no "
			 "gen_ai.evaluation.score.value, gen_ai.evaluation.score.label or "
			 "gen_ai.evaluation.explanation");
	size_t kept = 0;
	const struct otlp_eval *v[2];
	for (size_t i = 0; i < l.evals.n; i++)
		if (!l.evals.v[i].refused)
			v[kept++] = &l.evals.v[i];
	ck_assert_uint_eq(kept, 2);
	ck_assert_str_eq(v[0]->j.span_id, SID);
	ck_assert_str_eq(v[0]->j.label, "pass");
	ck_assert_ptr_null(v[0]->response_id);
	ck_assert_str_eq(v[0]->id_time, "1700000002000000000");
	/* By gen_ai.response.id alone: the caller resolves it; a numeric string is a score. */
	ck_assert_ptr_null(v[1]->j.span_id);
	ck_assert_str_eq(v[1]->response_id, "chatcmpl-1");
	ck_assert(v[1]->j.value == 0.5);
	ck_assert_uint_eq(v[1]->record, 1);
	otlp_logs_refuse(&l, A, &l.evals.v[1], "not found");
	ck_assert_uint_eq(l.rejected, 5);
	ck_assert_str_eq(l.errors[4], "log record 1: not found");
	otlp_logs_free(&l);
}
END_TEST

START_TEST(protobuf_log_equals_json)
{
	Otlp__AnyValue vn = OTLP__ANY_VALUE__INIT, vs = OTLP__ANY_VALUE__INIT;
	Otlp__KeyValue kn = OTLP__KEY_VALUE__INIT, ks = OTLP__KEY_VALUE__INIT;
	Otlp__KeyValue *kvs[] = {&kn, &ks};
	Otlp__LogRecord lr = OTLP__LOG_RECORD__INIT, *lrs[] = {&lr};
	Otlp__ScopeLogs sl = OTLP__SCOPE_LOGS__INIT, *sls[] = {&sl};
	Otlp__ResourceLogs rl = OTLP__RESOURCE_LOGS__INIT, *rls[] = {&rl};
	Otlp__ExportLogsServiceRequest req = OTLP__EXPORT_LOGS_SERVICE_REQUEST__INIT;
	uint8_t tid[16], sid[8];
	struct otlp_logs pl, jl;
	struct err e = {0};

	for (int i = 0; i < 16; i++)
		tid[i] = (uint8_t)(i + 1);
	for (int i = 0; i < 8; i++)
		sid[i] = (uint8_t)(0xa1 + i);
	vn.value_case = OTLP__ANY_VALUE__VALUE_STRING_VALUE;
	vn.string_value = "Fluency";
	vs.value_case = OTLP__ANY_VALUE__VALUE_DOUBLE_VALUE;
	vs.double_value = 0.75;
	kn.key = "gen_ai.evaluation.name";
	kn.value = &vn;
	ks.key = "gen_ai.evaluation.score.value";
	ks.value = &vs;
	lr.time_unix_nano = 1700000002000000000ULL;
	lr.event_name = "gen_ai.evaluation.result";
	lr.attributes = kvs;
	lr.n_attributes = 2;
	lr.trace_id = (ProtobufCBinaryData){16, tid};
	lr.span_id = (ProtobufCBinaryData){8, sid};
	sl.log_records = lrs;
	sl.n_log_records = 1;
	rl.scope_logs = sls;
	rl.n_scope_logs = 1;
	req.resource_logs = rls;
	req.n_resource_logs = 1;
	size_t n = otlp__export_logs_service_request__get_packed_size(&req);
	uint8_t *p = arena_alloc(A, n);
	otlp__export_logs_service_request__pack(&req, p);

	ck_assert_int_eq(otlp_logs_decode(A, WS, OTLP_PROTOBUF, p, n, NOW, &pl, &e), ST_OK);
	logs(LOGS(LOG_FLUENCY("0.75")), &jl);
	ck_assert_uint_eq(pl.evals.n, 1);
	ck_assert_uint_eq(jl.evals.n, 1);
	const struct judgement *a = &pl.evals.v[0].j, *b = &jl.evals.v[0].j;
	ck_assert_str_eq(a->span_id, b->span_id);
	ck_assert_str_eq(a->trace_id, b->trace_id);
	ck_assert_str_eq(a->name, b->name);
	ck_assert(a->value == b->value && a->value == 0.75);
	ck_assert_int_eq(a->created_at, b->created_at);
	ck_assert_str_eq(pl.evals.v[0].id_time, jl.evals.v[0].id_time);
	otlp_logs_free(&pl);
	otlp_logs_free(&jl);
}
END_TEST

/* Every live judgement of the workspace, oldest first. */
static struct jrows all(void)
{
	struct jquery q = {.st = &st, .a = A, .ws = WS};
	struct jrows rows;
	ck_assert_int_eq(query_judgements(&q, &rows), ST_OK);
	return rows;
}

START_TEST(put_after_the_span)
{
	struct otlp_logs l;
	struct otlp_result r;
	struct err e = {0};
	const struct ingest_to to = {.st = &st, .ws = WS, .a = A, .rules = "off"};
	/* The record first: its span is not stored, so it knows no session yet. */
	logs(LOGS(LOG_FLUENCY("3")), &l);
	ck_assert_int_eq(otlp_eval_put(&to, &l.evals, "k1", &e), ST_OK);
	struct jrows rows = all();
	ck_assert_uint_eq(rows.n, 1);
	ck_assert_ptr_null(rows.rows[0].session_id);
	ck_assert_str_eq(rows.rows[0].author, "k1");
	const char *id = arena_strdup(A, rows.rows[0].id);
	ck_assert(!strncmp(id, "otel-eval-", 10));
	/* The span, then the same record again (an exporter's retry): it replaces the first, and
	 * names the span's session and project now. */
	traces(TRACES(KV("gen_ai.conversation.id", S("conv-9")) "," KV("project", S("shop")), ""),
	       &r);
	ck_assert_int_eq(store_append(&st, WS, r.spans, r.nspans, &e), ST_OK);
	ck_assert_int_eq(otlp_eval_put(&to, &l.evals, NULL, &e), ST_OK);
	rows = all();
	ck_assert_uint_eq(rows.n, 1);
	ck_assert_str_eq(rows.rows[0].id, id);
	ck_assert_str_eq(rows.rows[0].session_id, "conv-9");
	ck_assert(judgement_shows(&rows.rows[0], &intake_view_evaluator));
	ck_assert(judgement_shows(&rows.rows[0], &opik_view_score));
	ck_assert(judgement_shows(&rows.rows[0], &egp_view_assessment));
	/* One unresolved (no span) is not stored. */
	l.evals.v[0].j.span_id = NULL;
	ck_assert_int_eq(otlp_eval_put(&to, &l.evals, NULL, &e), ST_OK);
	ck_assert_uint_eq(all().n, 1);
	otlp_result_free(&r);
	otlp_logs_free(&l);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("otlp_eval");
	TCase *t = tcase_create("eval");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, span_event);
	tcase_add_test(t, openinference);
	tcase_add_test(t, log_records);
	tcase_add_test(t, protobuf_log_equals_json);
	tcase_add_test(t, put_after_the_span);
	suite_add_tcase(s, t);
	return s;
}
