/* check_otlp_logs: the OTLP logs decoders (lib/ingest/otlp_logs.c) in both encodings, what
 * they refuse, the response, and the two merges that attach the content to its span whichever
 * arrives first (called as store_update calls them). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lib/ingest/otlp_logs.h"
#include "proto/otlp_logs.pb-c.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/model/span.h"

#define WS "team-a"
#define NOW 1700000000000000LL
#define TID "0102030405060708090a0b0c0d0e0f10"
#define SID "a1a2a3a4a5a6a7a8"
#define SID2 "b1b2b3b4b5b6b7b8"
#define IN                                                                                         \
	"[{\\\"role\\\":\\\"user\\\",\\\"parts\\\":[{\\\"type\\\":\\\"text\\\",\\\"content\\\":"   \
	"\\\"hi\\\"}]}]"
#define OUT                                                                                        \
	"[{\\\"role\\\":\\\"assistant\\\",\\\"parts\\\":[{\\\"type\\\":\\\"text\\\","              \
	"\\\"content\\\":\\\"yo\\\"}]}]"
#define DETAILS(sid)                                                                               \
	"{\"traceId\":\"" TID "\",\"spanId\":\"" sid                                               \
	"\",\"timeUnixNano\":\"1700000000500000000\","                                             \
	"\"eventName\":\"gen_ai.client.inference.operation.details\",\"attributes\":["             \
	"{\"key\":\"gen_ai.input.messages\",\"value\":{\"stringValue\":\"" IN "\"}},"              \
	"{\"key\":\"gen_ai.output.messages\",\"value\":{\"stringValue\":\"" OUT "\"}}]}"
#define BODY(records) "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[" records "]}]}]}"

static struct arena *ta;

static void setup(void)
{
	ta = arena_new();
}

static void teardown(void)
{
	arena_free(ta);
}

static enum status json_logs(const char *body, struct otlp_logs *l, struct err *e)
{
	return otlp_logs_decode(ta, WS, OTLP_JSON, body, strlen(body), NOW, l, e);
}

START_TEST(json_gathers_per_span_and_refuses_the_rest)
{
	struct otlp_logs l;
	struct err e = {0};
	const char *body = BODY(DETAILS(SID) "," DETAILS(
	    SID2) ","
		  "{\"traceId\":\"" TID "\",\"spanId\":\"" SID "\",\"attributes\":[{\"key\":"
		  "\"event.name\",\"value\":{\"stringValue\":\"gen_ai.user.message\"}}],"
		  "\"body\":{\"stringValue\":\"hello\"}},"
		  "{\"traceId\":\"" TID "\",\"spanId\":\"" SID "\"},"
		  "{\"traceId\":\"" TID "\",\"eventName\":\"gen_ai.choice\"},"
		  "{\"spanId\":\"" SID "\",\"eventName\":\"gen_ai.choice\"},"
		  "{\"traceId\":\"" TID "\",\"spanId\":\"" SID "\",\"eventName\":\"app.start\"}");

	ck_assert_int_eq(json_logs(body, &l, &e), ST_OK);
	ck_assert_uint_eq(l.records, 7);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.ids[0], SID);
	ck_assert_str_eq(l.ids[1], SID2);
	ck_assert_str_eq(l.items[0].trace_id, TID);
	ck_assert_uint_eq(json_array_size(l.items[0].events), 2);
	ck_assert_uint_eq(l.items[0].records, 2);
	ck_assert_int_eq(l.items[0].time_us, 1700000000500000LL);
	ck_assert_str_eq(
	    json_string_value(json_object_get(json_array_get(l.items[0].events, 1), "body")),
	    "hello");
	ck_assert_uint_eq(l.rejected, 4);
	ck_assert_uint_eq(l.nerrors, 4);
	ck_assert_str_eq(
	    l.errors[0],
	    "log record 3: no event name; spandex keeps only the GenAI content and evaluation "
	    "events");
	ck_assert_str_eq(l.errors[1], "log record 4: span_id is required");
	ck_assert_str_eq(l.errors[2], "log record 5: trace_id is required");
	ck_assert_str_eq(l.errors[3],
			 "log record 6: app.start is not a GenAI content or evaluation event");

	struct buf b;
	buf_init(&b);
	otlp_logs_response(&l, OTLP_JSON, &b);
	ck_assert(!strncmp(
	    b.p, "{\"partialSuccess\":{\"rejectedLogRecords\":4,\"errorMessage\":\"log record 3",
	    60));
	b.len = 0;
	otlp_logs_response(&l, OTLP_PROTOBUF, &b);
	Otlp__ExportLogsServiceResponse *r =
	    otlp__export_logs_service_response__unpack(NULL, b.len, (const uint8_t *)b.p);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->partial_success->rejected_log_records, 4);
	ck_assert(strstr(r->partial_success->error_message, "app.start"));
	otlp__export_logs_service_response__free_unpacked(r, NULL);
	buf_free(&b);
	otlp_logs_free(&l);
}
END_TEST

START_TEST(protobuf_equals_json)
{
	Otlp__AnyValue vin = OTLP__ANY_VALUE__INIT, vout = OTLP__ANY_VALUE__INIT;
	Otlp__KeyValue kin = OTLP__KEY_VALUE__INIT, kout = OTLP__KEY_VALUE__INIT;
	Otlp__KeyValue *kvs[] = {&kin, &kout};
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
	vin.value_case = vout.value_case = OTLP__ANY_VALUE__VALUE_STRING_VALUE;
	vin.string_value =
	    "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"hi\"}]}]";
	vout.string_value =
	    "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"yo\"}]}]";
	kin.key = "gen_ai.input.messages";
	kin.value = &vin;
	kout.key = "gen_ai.output.messages";
	kout.value = &vout;
	lr.time_unix_nano = 1700000000500000000ULL;
	lr.event_name = "gen_ai.client.inference.operation.details";
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
	uint8_t *p = arena_alloc(ta, n);
	otlp__export_logs_service_request__pack(&req, p);

	ck_assert_int_eq(otlp_logs_decode(ta, WS, OTLP_PROTOBUF, p, n, NOW, &pl, &e), ST_OK);
	ck_assert_int_eq(json_logs(BODY(DETAILS(SID)), &jl, &e), ST_OK);
	ck_assert_uint_eq(pl.n, 1);
	ck_assert_str_eq(pl.ids[0], SID);
	ck_assert_str_eq(pl.items[0].trace_id, TID);
	ck_assert(json_equal(pl.items[0].events, jl.items[0].events));
	otlp_logs_free(&pl);
	otlp_logs_free(&jl);
}
END_TEST

START_TEST(bad_bodies)
{
	static const struct {
		const char *body, *why;
	} cases[] = {
	    {"[]", "the body must be a JSON object"},
	    {"{\"resourceLogs\":[1]}", "resourceLogs must hold objects"},
	    {"{\"resourceLogs\":[{\"scopeLogs\":{}}]}", "scopeLogs must be an array"},
	    {BODY("7"), "logRecords must hold objects"},
	    {BODY("{\"timeUnixNano\":\"soon\"}"),
	     "timeUnixNano must be an integer or a decimal string"},
	    {BODY("{\"eventName\":5}"), "eventName must be a string"},
	};
	struct otlp_logs l;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct err e = {0};

		ck_assert_int_eq(json_logs(cases[i].body, &l, &e), ST_BAD_REQUEST);
		ck_assert_msg(strstr(e.msg, cases[i].why), "case %zu: %s", i, e.msg);
		ck_assert_uint_eq(l.n, 0);
	}
	/* A body nested one level past OTLP_MAX_ANY_DEPTH. */
	struct buf deep;
	struct err de = {0};
	buf_init(&deep);
	buf_adds(&deep, "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":");
	for (int i = 0; i < OTLP_MAX_ANY_DEPTH; i++)
		buf_adds(&deep, "{\"arrayValue\":{\"values\":[");
	buf_adds(&deep, "{\"stringValue\":\"x\"}");
	for (int i = 0; i < OTLP_MAX_ANY_DEPTH; i++)
		buf_adds(&deep, "]}}");
	buf_adds(&deep, "}]}]}]}");
	ck_assert_int_eq(json_logs(deep.p, &l, &de), ST_BAD_REQUEST);
	ck_assert_msg(strstr(de.msg, "nested deeper than 12 levels"), "%s", de.msg);
	buf_free(&deep);
	/* Protobuf: a truncated length and a wrong wire type. */
	static const uint8_t trunc[] = {0x0a, 0x05, 0x12};
	static const uint8_t wire[] = {0x0a, 0x04, 0x12, 0x02, 0x10, 0x01};
	struct err e = {0};
	ck_assert_int_eq(otlp_logs_decode(ta, WS, OTLP_PROTOBUF, trunc, sizeof trunc, NOW, &l, &e),
			 ST_BAD_REQUEST);
	ck_assert_int_eq(otlp_logs_decode(ta, WS, OTLP_PROTOBUF, wire, sizeof wire, NOW, &l, &e),
			 ST_BAD_REQUEST);
	ck_assert(strstr(e.msg, "ScopeLogs.log_records: wire type 0"));
}
END_TEST

/* What store_update would store: the parse of the rendered version, as the next merge reads
 * it (released with the test's arena). */
struct parsed {
	struct span s;
	json_t *root;
};

static void parsed_release(void *p)
{
	struct parsed *v = p;

	span_clear(&v->s);
	json_decref(v->root);
}

static struct span *roundtrip(struct span *s)
{
	struct parsed *v = arena_alloc(ta, sizeof *v);
	struct buf b;

	s->ingested_at = NOW;
	buf_init(&b);
	span_render(s, &b);
	ck_assert(span_parse(b.p, b.len, &v->s, &v->root));
	arena_defer(ta, parsed_release, v);
	buf_free(&b);
	return &v->s;
}

/* The span of SID as its OTLP request would bring it. */
static void otel_span(struct span *s)
{
	span_init(s);
	s->span_id = SID;
	s->trace_id = TID;
	s->session_id = "sess";
	s->workspace = WS;
	s->source = "otel";
	s->name = "chat gpt-4o";
	s->started_at = NOW;
}

START_TEST(log_first_then_span)
{
	struct otlp_logs l;
	struct err e = {0};
	struct span out, *standin, *merged;

	ck_assert_int_eq(json_logs(BODY(DETAILS(SID)), &l, &e), ST_OK);
	span_init(&out);
	ck_assert_int_eq(otlp_logs_merge(&l, ta, SID, NULL, &out, &e), ST_OK);
	ck_assert_str_eq(out.span_id, SID);
	ck_assert_str_eq(out.trace_id, TID);
	ck_assert_str_eq(out.source, "otel");
	ck_assert_int_eq(out.kind, KIND_LLM);
	ck_assert_int_eq(out.started_at, 1700000000500000LL);
	ck_assert(json_is_true(json_object_get(out.raw_attributes, OTLP_AWAITING_SPAN)));
	ck_assert(span_session_default(&out));
	ck_assert_str_eq(
	    out.input, "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"hi\"}]}]");
	standin = roundtrip(&out);
	span_clear(&out);

	/* The span arrives: it keeps its own fields and takes the content and the events. */
	struct span s;
	otel_span(&s);
	s.input = "from the span";
	s.raw_attributes = json_pack("{s:s}", "k", "v");
	struct otlp_span_batch batch = {&s, 1, 0};
	span_init(&out);
	ck_assert_int_eq(otlp_logs_span_merge(&batch, ta, SID, standin, &out, &e), ST_OK);
	ck_assert_ptr_null(s.raw_attributes); /* moved */
	ck_assert_str_eq(out.name, "chat gpt-4o");
	ck_assert_str_eq(out.session_id, "sess");
	ck_assert_ptr_null(json_object_get(out.raw_attributes, OTLP_AWAITING_SPAN));
	ck_assert_str_eq(json_string_value(json_object_get(out.raw_attributes, "k")), "v");
	ck_assert(json_is_string(json_object_get(out.raw_attributes, "otel.logs")));
	ck_assert_str_eq(
	    out.input, "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"hi\"}]}]");
	ck_assert(strstr(out.output, "\"yo\""));
	merged = roundtrip(&out);
	span_clear(&out);

	/* The same log again (an exporter's retry): nothing to write. */
	l.next = 0;
	span_init(&out);
	ck_assert_int_eq(otlp_logs_merge(&l, ta, SID, merged, &out, &e), ST_OK);
	ck_assert_ptr_null(out.span_id);
	otlp_logs_free(&l);
}
END_TEST

START_TEST(span_first_then_log)
{
	struct otlp_logs l;
	struct err e = {0};
	struct span s, out;

	otel_span(&s);
	s.output = "from the span";
	s.cost_total_usd = 0.5;
	ck_assert_int_eq(json_logs(BODY(DETAILS(SID)), &l, &e), ST_OK);
	span_init(&out);
	ck_assert_int_eq(otlp_logs_merge(&l, ta, SID, roundtrip(&s), &out, &e), ST_OK);
	ck_assert_str_eq(out.name, "chat gpt-4o");
	ck_assert_str_eq(out.session_id, "sess");
	ck_assert(out.cost_total_usd == 0.5);
	ck_assert_ptr_null(json_object_get(out.raw_attributes, OTLP_AWAITING_SPAN));
	ck_assert(strstr(out.input, "\"hi\""));
	ck_assert(strstr(out.output, "\"yo\"")); /* log content wins, whichever came first */
	span_clear(&out);
	otlp_logs_free(&l);
}
END_TEST

START_TEST(events_limit)
{
	struct buf body;
	struct otlp_logs l;
	struct err e = {0};
	struct span out;

	buf_init(&body);
	buf_adds(&body, "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[");
	for (int i = 0; i <= OTLP_MAX_LOG_EVENTS; i++)
		buf_printf(
		    &body,
		    "%s{\"traceId\":\"" TID "\",\"spanId\":\"" SID "\",\"timeUnixNano\":%d,"
		    "\"eventName\":\"gen_ai.user.message\",\"body\":{\"stringValue\":\"m\"}}",
		    i ? "," : "", i + 1);
	buf_adds(&body, "]}]}]}");
	ck_assert_int_eq(json_logs(body.p, &l, &e), ST_OK);
	span_init(&out);
	ck_assert_int_eq(otlp_logs_merge(&l, ta, SID, NULL, &out, &e), ST_OK);
	ck_assert_ptr_null(out.span_id);
	ck_assert_uint_eq(l.rejected, OTLP_MAX_LOG_EVENTS + 1);
	ck_assert(strstr(l.errors[0], "span " SID ": its log events would pass 1024 events"));
	buf_free(&body);
	otlp_logs_free(&l);
}
END_TEST

START_TEST(hostile_stored_events)
{
	/* otel.logs as a client could have sent it on its span (an attribute of that name): events
	 * without a string name or an object of attributes are left out, never read. */
	struct otlp_logs l;
	struct err e = {0};
	struct span s, out;

	otel_span(&s);
	s.raw_attributes =
	    json_pack("{s:s}", "otel.logs",
		      "[{\"name\":5},{\"name\":\"gen_ai.user.message\",\"attributes\":7,"
		      "\"body\":[1]},{}, 3]");
	struct span *cur = roundtrip(&s);
	span_clear(&s);
	ck_assert_int_eq(json_logs(BODY(DETAILS(SID)), &l, &e), ST_OK);
	span_init(&out);
	ck_assert_int_eq(otlp_logs_merge(&l, ta, SID, cur, &out, &e), ST_OK);
	ck_assert(strstr(out.input, "\"hi\""));
	span_clear(&out);
	otel_span(&s);
	struct otlp_span_batch batch = {&s, 1, 0};
	span_init(&out);
	ck_assert_int_eq(otlp_logs_span_merge(&batch, ta, SID, cur, &out, &e), ST_OK);
	ck_assert_str_eq(out.input, "{\"messages\":[{\"role\":\"user\",\"content\":[1]}]}");
	span_clear(&out);
	otlp_logs_free(&l);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("otlp_logs");
	TCase *d = tcase_create("decode"), *m = tcase_create("merge");

	tcase_add_checked_fixture(d, setup, teardown);
	tcase_add_checked_fixture(m, setup, teardown);
	tcase_add_test(d, json_gathers_per_span_and_refuses_the_rest);
	tcase_add_test(d, protobuf_equals_json);
	tcase_add_test(d, bad_bodies);
	tcase_add_test(m, log_first_then_span);
	tcase_add_test(m, span_first_then_log);
	tcase_add_test(m, events_limit);
	tcase_add_test(m, hostile_stored_events);
	suite_add_tcase(s, d);
	suite_add_tcase(s, m);
	return s;
}
