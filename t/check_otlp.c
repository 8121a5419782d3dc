/* check_otlp: the OTLP decoders and the span mapping (lib/otlp), in both encodings, and
 * hostile input. Protobuf inputs are built with the generated pack functions, or by hand
 * (a backwards writer) where they must be malformed or deeper than pack could recurse. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ingest/otlp.h"
#include "proto/otlp_trace.pb-c.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/json/jsonw.h"

#define WS "team-a"
#define NOW 1700000000000000LL /* the ingest time handed to the decoder, us */

static struct arena *ta;

static void setup(void)
{
	ta = arena_new();
}

static void teardown(void)
{
	arena_free(ta);
}

/* ---- protobuf builders over the generated structs ---- */

static Otlp__AnyValue *av(Otlp__AnyValue__ValueCase c)
{
	Otlp__AnyValue *v = arena_alloc(ta, sizeof *v);

	otlp__any_value__init(v);
	v->value_case = c;
	return v;
}

static Otlp__AnyValue *av_str(const char *s)
{
	Otlp__AnyValue *v = av(OTLP__ANY_VALUE__VALUE_STRING_VALUE);

	v->string_value = (char *)s;
	return v;
}

static Otlp__AnyValue *av_int(int64_t i)
{
	Otlp__AnyValue *v = av(OTLP__ANY_VALUE__VALUE_INT_VALUE);

	v->int_value = i;
	return v;
}

static Otlp__KeyValue *kv(const char *k, Otlp__AnyValue *v)
{
	Otlp__KeyValue *x = arena_alloc(ta, sizeof *x);

	otlp__key_value__init(x);
	x->key = (char *)k;
	x->value = v;
	return x;
}

static Otlp__KeyValue *kv_str(const char *k, const char *s)
{
	return kv(k, av_str(s));
}

static ProtobufCBinaryData hexid(const char *hex)
{
	ProtobufCBinaryData b = {0, NULL};
	size_t n = hex ? strlen(hex) / 2 : 0;

	b.data = arena_alloc(ta, n + 1);
	for (size_t i = 0; i < n; i++) {
		unsigned x;

		sscanf(hex + 2 * i, "%2x", &x);
		b.data[i] = (uint8_t)x;
	}
	b.len = n;
	return b;
}

static Otlp__KeyValue **kvs(size_t n, ...)
{
	Otlp__KeyValue **a = arena_alloc(ta, (n ? n : 1) * sizeof *a);
	va_list ap;

	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		a[i] = va_arg(ap, Otlp__KeyValue *);
	va_end(ap);
	return a;
}

static Otlp__Span *pspan(const char *trace, const char *span, const char *parent, const char *name,
			 uint64_t start, uint64_t end)
{
	Otlp__Span *s = arena_alloc(ta, sizeof *s);

	otlp__span__init(s);
	s->trace_id = hexid(trace);
	s->span_id = hexid(span);
	s->parent_span_id = hexid(parent);
	s->name = (char *)name;
	s->start_time_unix_nano = start;
	s->end_time_unix_nano = end;
	return s;
}

static void pstatus(Otlp__Span *s, int code, const char *msg)
{
	s->status = arena_alloc(ta, sizeof *s->status);
	otlp__status__init(s->status);
	s->status->code = code;
	s->status->message = (char *)msg;
}

/* Packs one request: the spans under one resource (attributes res) and one scope. */
static uint8_t *pack(Otlp__Span **spans, size_t n, Otlp__KeyValue **res, size_t nres, size_t *len)
{
	Otlp__ExportTraceServiceRequest req = OTLP__EXPORT_TRACE_SERVICE_REQUEST__INIT;
	Otlp__ResourceSpans rs = OTLP__RESOURCE_SPANS__INIT, *rsp = &rs;
	Otlp__ScopeSpans ss = OTLP__SCOPE_SPANS__INIT, *ssp = &ss;
	Otlp__Resource r = OTLP__RESOURCE__INIT;
	Otlp__InstrumentationScope sc = OTLP__INSTRUMENTATION_SCOPE__INIT;
	uint8_t *p;

	r.attributes = res;
	r.n_attributes = nres;
	sc.name = "demo-instrumentation";
	sc.version = "0.1.0";
	ss.scope = &sc;
	ss.spans = spans;
	ss.n_spans = n;
	rs.resource = &r;
	rs.scope_spans = &ssp;
	rs.n_scope_spans = 1;
	req.resource_spans = &rsp;
	req.n_resource_spans = 1;
	*len = otlp__export_trace_service_request__get_packed_size(&req);
	p = arena_alloc(ta, *len + 1);
	otlp__export_trace_service_request__pack(&req, p);
	return p;
}

static enum status decode(enum otlp_encoding enc, const void *p, size_t n, struct otlp_result *r,
			  char *msg)
{
	struct err e;
	enum status st = otlp_decode(ta, WS, enc, p, n, NOW, r, &e);
	if (st != ST_OK)
		snprintf(msg, 256, "%.255s", e.msg);
	return st;
}

static enum status decode_json(const char *text, struct otlp_result *r, char *msg)
{
	return decode(OTLP_JSON, text, strlen(text), r, msg);
}

/* One JSON span inside the standard envelope; attrs is the inside of "attributes":[...]. */
static char *json_req(const char *span_fields)
{
	return arena_printf(ta,
			    "{\"resourceSpans\":[{\"resource\":{\"attributes\":[]},\"scopeSpans\":"
			    "[{\"scope\":{\"name\":\"s\"},\"spans\":[{%s}]}]}]}",
			    span_fields);
}

#define IDS "\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"eee19b7ec3c1b174\""
#define TRACE "5b8efff798038103d269b633813fc60c"
#define SPAN "eee19b7ec3c1b174"

/* Decodes one JSON span that must convert; returns it. */
static struct span *one(const char *fields, struct otlp_result *r)
{
	char msg[256] = "";

	if (decode_json(json_req(fields), r, msg) != ST_OK)
		ck_abort_msg("refused: %s", msg);
	ck_assert_uint_eq(r->nerrors, 0);
	ck_assert_uint_eq(r->nspans, 1);
	return &r->spans[0];
}

static json_t *raw(struct span *s, const char *key)
{
	return s->raw_attributes ? json_object_get(s->raw_attributes, key) : NULL;
}

/* ---- mapping rules ---- */

START_TEST(ids_and_times)
{
	struct otlp_result r;
	struct span *s;

	/* Upper-case hex ids come out lower-case; a root has no parent; times are us. */
	s = one("\"traceId\":\"5B8EFFF798038103D269B633813FC60C\",\"spanId\":\"EEE19B7EC3C1B174\","
		"\"name\":\"root\",\"startTimeUnixNano\":\"1544712660000000000\","
		"\"endTimeUnixNano\":1544712661000000123",
		&r);
	ck_assert_str_eq(s->trace_id, TRACE);
	ck_assert_str_eq(s->span_id, SPAN);
	ck_assert_ptr_null(s->parent_span_id);
	ck_assert_str_eq(s->name, "root");
	ck_assert_str_eq(s->source, "otel");
	ck_assert_str_eq(s->workspace, WS);
	ck_assert_int_eq(s->started_at, 1544712660000000LL);
	ck_assert_int_eq(s->ended_at, 1544712661000000LL);
	otlp_result_free(&r);

	/* A zero start is the ingest time, a zero end is absent; a parent is kept. */
	s = one(IDS ",\"parentSpanId\":\"0102030405060708\",\"startTimeUnixNano\":\"0\"", &r);
	ck_assert_int_eq(s->started_at, NOW);
	ck_assert_int_eq(s->ended_at, SPAN_NONE_I64);
	ck_assert_str_eq(s->parent_span_id, "0102030405060708");
	otlp_result_free(&r);

	/* Base64 ids (protobuf's generic JSON mapping) are accepted when not hex. */
	s = one("\"traceId\":\"W47/95gDgQPSabYzgT/GDA==\",\"spanId\":\"7uGbfsPBsXQ=\"", &r);
	ck_assert_str_eq(s->trace_id, TRACE);
	ck_assert_str_eq(s->span_id, SPAN);
	otlp_result_free(&r);
}
END_TEST

START_TEST(bad_ids_rejected_per_span)
{
	struct otlp_result r;
	char msg[256];
	struct buf b;
	const char *req =
	    "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":["
	    "{\"traceId\":\"" TRACE "\"},"
	    "{\"traceId\":\"00000000000000000000000000000000\",\"spanId\":\"" SPAN "\"},"
	    "{\"traceId\":\"" TRACE "\",\"spanId\":\"0000000000000000\"},"
	    "{\"traceId\":\"" TRACE "\",\"spanId\":\"" SPAN
	    "\",\"parentSpanId\":\"0000000000000000\"},"
	    "{\"traceId\":\"abcd\",\"spanId\":\"" SPAN "\"},"
	    "{\"traceId\":\"" TRACE "\",\"spanId\":\"1111111111111111\",\"parentSpanId\":\"\"}"
	    "]}]}]}";

	ck_assert_int_eq(decode_json(req, &r, msg), ST_OK);
	ck_assert_uint_eq(r.nspans, 1);
	ck_assert_str_eq(r.spans[0].span_id, "1111111111111111");
	ck_assert_ptr_null(r.spans[0].parent_span_id);
	ck_assert_uint_eq(r.nerrors, 5);
	ck_assert_str_eq(r.errors[0], "span <missing>: span_id is required");
	ck_assert_str_eq(r.errors[1], "span " SPAN ": trace_id is required");
	ck_assert_str_eq(r.errors[2], "span <missing>: span_id is required");
	ck_assert_str_eq(r.errors[3], "span " SPAN ": parent_span_id must not be all zeros");
	ck_assert_str_eq(r.errors[4], "span " SPAN ": trace_id must be 16 bytes (32 hex digits)");

	/* Partial success in both encodings. */
	buf_init(&b);
	otlp_response(&r, OTLP_JSON, &b);
	ck_assert_ptr_nonnull(strstr(b.p,
				     "{\"partialSuccess\":{\"rejectedSpans\":5,"
				     "\"errorMessage\":\"span <missing>: span_id is required; "));
	b.len = 0;
	otlp_response(&r, OTLP_PROTOBUF, &b);
	{
		Otlp__ExportTraceServiceResponse *resp =
		    otlp__export_trace_service_response__unpack(NULL, b.len, (uint8_t *)b.p);

		ck_assert_ptr_nonnull(resp);
		ck_assert_ptr_nonnull(resp->partial_success);
		ck_assert_int_eq(resp->partial_success->rejected_spans, 5);
		ck_assert_ptr_nonnull(
		    strstr(resp->partial_success->error_message, "trace_id is required"));
		otlp__export_trace_service_response__free_unpacked(resp, NULL);
	}
	buf_free(&b);
	otlp_result_free(&r);
}
END_TEST

START_TEST(full_success_response)
{
	struct otlp_result r = {0};
	struct buf b;

	buf_init(&b);
	otlp_response(&r, OTLP_JSON, &b);
	ck_assert_str_eq(b.p, "{}");
	b.len = 0;
	otlp_response(&r, OTLP_PROTOBUF, &b);
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
	/* An empty request is a success with nothing stored. */
	ck_assert_int_eq(decode(OTLP_PROTOBUF, "", 0, &r, (char[256]){0}), ST_OK);
	ck_assert_uint_eq(r.nspans, 0);
	ck_assert_int_eq(decode_json("{}", &r, (char[256]){0}), ST_OK);
	ck_assert_uint_eq(r.nspans, 0);
}
END_TEST

START_TEST(any_values_and_resource_merge)
{
	struct otlp_result r;
	struct span *s;
	const char *req =
	    "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
	    "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"demo\"}},"
	    "{\"key\":\"shared\",\"value\":{\"stringValue\":\"from-resource\"}}]},"
	    "\"scopeSpans\":[{\"scope\":{\"name\":\"lib\",\"version\":\"1.2\"},\"spans\":[{" IDS
	    ",\"attributes\":["
	    "{\"key\":\"shared\",\"value\":{\"stringValue\":\"from-span\"}},"
	    "{\"key\":\"b\",\"value\":{\"boolValue\":true}},"
	    "{\"key\":\"i_num\",\"value\":{\"intValue\":9007199254740993}},"
	    "{\"key\":\"i_str\",\"value\":{\"intValue\":\"-9223372036854775808\"}},"
	    "{\"key\":\"d\",\"value\":{\"doubleValue\":0.2}},"
	    "{\"key\":\"nan\",\"value\":{\"doubleValue\":\"NaN\"}},"
	    "{\"key\":\"bytes\",\"value\":{\"bytesValue\":\"3q2+7w==\"}},"
	    "{\"key\":\"arr\",\"value\":{\"arrayValue\":{\"values\":[{\"stringValue\":\"x\"},"
	    "{\"intValue\":\"1\"},{}]}}},"
	    "{\"key\":\"kv\",\"value\":{\"kvlistValue\":{\"values\":[{\"key\":\"role\","
	    "\"value\":{\"stringValue\":\"user\"}}]}}},"
	    "{\"key\":\"empty\",\"value\":{}}"
	    "]}]}]}]}";
	char msg[256];
	struct buf b;

	ck_assert_int_eq(decode_json(req, &r, msg), ST_OK);
	ck_assert_uint_eq(r.nspans, 1);
	s = &r.spans[0];
	ck_assert_str_eq(json_string_value(raw(s, "service.name")), "demo");
	ck_assert_str_eq(json_string_value(raw(s, "shared")), "from-span");
	ck_assert(json_is_true(raw(s, "b")));
	/* 2^53 + 1 and INT64_MIN survive: no double on the way. */
	ck_assert_int_eq(json_integer_value(raw(s, "i_num")), 9007199254740993LL);
	ck_assert_int_eq(json_integer_value(raw(s, "i_str")), INT64_MIN);
	ck_assert(json_real_value(raw(s, "d")) == 0.2);
	ck_assert_str_eq(json_string_value(raw(s, "nan")), "NaN");
	ck_assert_str_eq(json_string_value(raw(s, "bytes")), "deadbeef");
	buf_init(&b);
	jsonw_value(&b, raw(s, "arr"));
	ck_assert_str_eq(b.p, "[\"x\",1,null]");
	b.len = 0;
	jsonw_value(&b, raw(s, "kv"));
	ck_assert_str_eq(b.p, "{\"role\":\"user\"}");
	b.len = 0;
	jsonw_value(&b, raw(s, "otel.scope"));
	ck_assert_str_eq(b.p, "{\"name\":\"lib\",\"version\":\"1.2\"}");
	buf_free(&b);
	/* An empty AnyValue is no value: not kept. */
	ck_assert_ptr_null(raw(s, "empty"));
	otlp_result_free(&r);
}
END_TEST

START_TEST(session_id_rule)
{
	struct otlp_result r;
	struct span *s;
	const char *parts[2] = {WS, TRACE};

	s = one(IDS ",\"attributes\":[{\"key\":\"session.id\",\"value\":{\"stringValue\":\"s1\"}},"
		    "{\"key\":\"gen_ai.conversation.id\",\"value\":{\"stringValue\":\"conv\"}}]",
		&r);
	ck_assert_str_eq(s->session_id, "conv");
	ck_assert_ptr_null(raw(s, "session.id"));
	ck_assert_ptr_null(raw(s, "gen_ai.conversation.id"));
	otlp_result_free(&r);

	s = one(IDS ",\"attributes\":[{\"key\":\"session.id\",\"value\":{\"stringValue\":\"s1\"}},"
		    "{\"key\":\"gen_ai.conversation.id\",\"value\":{\"stringValue\":\"\"}}]",
		&r);
	ck_assert_str_eq(s->session_id, "s1");
	otlp_result_free(&r);

	s = one(IDS, &r);
	ck_assert_str_eq(s->session_id, hash_stable_id(ta, "session", parts, 2));
	ck_assert_int_eq(strlen(s->session_id), 8 + 32);
	otlp_result_free(&r);
}
END_TEST

static enum span_kind kind_for(const char *attrs)
{
	struct otlp_result r;
	enum span_kind k;

	k = one(arena_printf(ta, IDS ",\"attributes\":[%s]", attrs), &r)->kind;
	otlp_result_free(&r);
	return k;
}

#define A(k, v) "{\"key\":\"" k "\",\"value\":{\"stringValue\":\"" v "\"}}"

START_TEST(kind_rules)
{
	ck_assert_int_eq(kind_for(A("openinference.span.kind", "llm")), KIND_LLM);
	ck_assert_int_eq(kind_for(A("openinference.span.kind", "RETRIEVER")), KIND_RETRIEVER);
	ck_assert_int_eq(kind_for(A("openinference.span.kind", "PROMPT")), KIND_CHAIN);
	/* OpenInference wins over GenAI. */
	ck_assert_int_eq(
	    kind_for(A("gen_ai.operation.name", "chat") "," A("openinference.span.kind", "TOOL")),
	    KIND_TOOL);
	/* Beyond NeMo: GenAI-only spans are not UNKNOWN (otel-egp.md 3.4). */
	ck_assert_int_eq(kind_for(A("gen_ai.operation.name", "chat")), KIND_LLM);
	ck_assert_int_eq(kind_for(A("gen_ai.operation.name", "text_completion")), KIND_LLM);
	ck_assert_int_eq(kind_for(A("gen_ai.operation.name", "embeddings")), KIND_EMBEDDING);
	ck_assert_int_eq(kind_for(A("gen_ai.operation.name", "retrieval")), KIND_RETRIEVER);
	ck_assert_int_eq(kind_for(A("gen_ai.operation.name", "execute_tool")), KIND_TOOL);
	ck_assert_int_eq(kind_for(A("gen_ai.operation.name", "invoke_agent")), KIND_AGENT);
	ck_assert_int_eq(kind_for(A("gen_ai.operation.name", "create_agent")), KIND_AGENT);
	ck_assert_int_eq(kind_for(A("gen_ai.operation.name", "invoke_workflow")), KIND_CHAIN);
	ck_assert_int_eq(kind_for(A("traceloop.span.kind", "workflow")), KIND_CHAIN);
	ck_assert_int_eq(kind_for(A("traceloop.span.kind", "agent")), KIND_AGENT);
	ck_assert_int_eq(kind_for(A("llm.request.type", "rerank")), KIND_RERANKER);
	ck_assert_int_eq(kind_for(A("llm.request.type", "embedding")), KIND_EMBEDDING);
	ck_assert_int_eq(kind_for(A("langfuse.observation.type", "generation")), KIND_LLM);
	/* Langfuse's other observation types that name a SpanKind; span and event do not. */
	ck_assert_int_eq(kind_for(A("langfuse.observation.type", "agent")), KIND_AGENT);
	ck_assert_int_eq(kind_for(A("langfuse.observation.type", "tool")), KIND_TOOL);
	ck_assert_int_eq(kind_for(A("langfuse.observation.type", "chain")), KIND_CHAIN);
	ck_assert_int_eq(kind_for(A("langfuse.observation.type", "retriever")), KIND_RETRIEVER);
	ck_assert_int_eq(kind_for(A("langfuse.observation.type", "embedding")), KIND_EMBEDDING);
	ck_assert_int_eq(kind_for(A("langfuse.observation.type", "evaluator")), KIND_EVALUATOR);
	ck_assert_int_eq(kind_for(A("langfuse.observation.type", "guardrail")), KIND_GUARDRAIL);
	ck_assert_int_eq(kind_for(A("langfuse.observation.type", "span")), KIND_UNKNOWN);
	ck_assert_int_eq(kind_for(A("langfuse.observation.type", "event")), KIND_UNKNOWN);
	ck_assert_int_eq(
	    kind_for(A("traceloop.span.kind", "tool") "," A("langfuse.observation.type", "agent")),
	    KIND_TOOL);
	ck_assert_int_eq(kind_for(A("gen_ai.evaluation.name", "relevance")), KIND_EVALUATOR);
	ck_assert_int_eq(kind_for(A("openinference.span.kind", "nonsense")), KIND_UNKNOWN);
	ck_assert_int_eq(kind_for(A("gen_ai.operation.name", "dance")), KIND_UNKNOWN);
	ck_assert_int_eq(kind_for(""), KIND_UNKNOWN);
}
END_TEST

static struct span *status_span(const char *fields, struct otlp_result *r)
{
	return one(arena_printf(ta, IDS ",%s", fields), r);
}

START_TEST(status_rules)
{
	struct otlp_result r;
	struct span *s;

	ck_assert_int_eq(status_span("\"status\":{\"code\":2}", &r)->status, SPST_ERROR);
	otlp_result_free(&r);
	ck_assert_int_eq(status_span("\"status\":{\"code\":\"STATUS_CODE_ERROR\"}", &r)->status,
			 SPST_ERROR);
	otlp_result_free(&r);
	ck_assert_int_eq(status_span("\"status\":{\"code\":1}", &r)->status, SPST_SUCCESS);
	otlp_result_free(&r);
	ck_assert_int_eq(status_span("\"status\":{}", &r)->status, SPST_SUCCESS);
	otlp_result_free(&r);
	s = status_span("\"attributes\":[" A("status", "ERROR") "]", &r);
	ck_assert_int_eq(s->status, SPST_ERROR);
	ck_assert_ptr_null(raw(s, "status"));
	otlp_result_free(&r);
	s = status_span("\"attributes\":[" A("otel.status_code", "STATUS_CODE_ERROR") "]", &r);
	ck_assert_int_eq(s->status, SPST_ERROR);
	ck_assert_ptr_null(raw(s, "otel.status_code"));
	otlp_result_free(&r);
	ck_assert_int_eq(
	    status_span("\"attributes\":[" A("status", "canceled") "],\"status\":{\"code\":2}", &r)
		->status,
	    SPST_CANCELLED);
	otlp_result_free(&r);
	ck_assert_int_eq(
	    status_span("\"attributes\":[" A("otel.status_code", "cancelled") "]", &r)->status,
	    SPST_CANCELLED);
	otlp_result_free(&r);
}
END_TEST

START_TEST(error_fields)
{
	struct otlp_result r;
	struct span *s;
	json_t *ev;

	/* status.message is the error message when nothing better exists. */
	s = status_span("\"status\":{\"code\":2,\"message\":\"boom\"}", &r);
	ck_assert_str_eq(s->str[SS_ERROR_MESSAGE], "boom");
	otlp_result_free(&r);

	/* An exception event names the error; the event itself is kept in otel.events. */
	s = status_span(
	    "\"status\":{\"code\":2,\"message\":\"upstream timeout\"},"
	    "\"events\":[{\"name\":\"exception\",\"timeUnixNano\":\"17\",\"attributes\":[" A(
		"exception.type", "TimeoutError") "," A("exception.message", "took 30s") "]}]",
	    &r);
	ck_assert_str_eq(s->str[SS_ERROR_TYPE], "TimeoutError");
	ck_assert_str_eq(s->str[SS_ERROR_MESSAGE], "took 30s");
	ck_assert(json_is_string(raw(s, "otel.events")));
	ev = json_loads(json_string_value(raw(s, "otel.events")), 0, NULL);
	ck_assert_ptr_nonnull(ev);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(ev, 0), "name")),
			 "exception");
	ck_assert_int_eq(
	    json_integer_value(json_object_get(json_array_get(ev, 0), "time_unix_nano")), 17);
	json_decref(ev);
	otlp_result_free(&r);

	/* The span's own exception.message attribute wins over event and status. */
	s = status_span("\"status\":{\"code\":2,\"message\":\"status text\"},"
			"\"attributes\":[" A(
			    "exception.message",
			    "attr text") "],"
					 "\"events\":[{\"name\":\"exception\",\"attributes\":[" A(
					     "exception.message", "event text") "]}]",
			&r);
	ck_assert_str_eq(s->str[SS_ERROR_MESSAGE], "attr text");
	otlp_result_free(&r);
}
END_TEST

START_TEST(input_output_rebuilt)
{
	struct otlp_result r;
	struct span *s;

	s = status_span(
	    "\"attributes\":[" A("openinference.span.kind", "LLM") "," A(
		"llm.input_messages.10.message.role",
		"user") "," A("llm.input_messages.10.message.content",
			      "later") "," A("llm.input_messages.2.message.content",
					     "You are helpful") "," A("llm.input_messages.2."
								      "message.role",
								      "system") "," A("llm."
										      "output_"
										      "messages"
										      ".0."
										      "message."
										      "role",
										      "assistan"
										      "t") "," A("l"
												 "l"
												 "m"
												 "."
												 "o"
												 "u"
												 "t"
												 "p"
												 "u"
												 "t"
												 "_"
												 "m"
												 "e"
												 "s"
												 "s"
												 "a"
												 "g"
												 "e"
												 "s"
												 "."
												 "0"
												 "."
												 "m"
												 "e"
												 "s"
												 "s"
												 "a"
												 "g"
												 "e"
												 "."
												 "t"
												 "o"
												 "o"
												 "l"
												 "_"
												 "c"
												 "a"
												 "l"
												 "l"
												 "s"
												 "."
												 "1"
												 "."
												 "t"
												 "o"
												 "o"
												 "l"
												 "_"
												 "c"
												 "a"
												 "l"
												 "l"
												 "."
												 "f"
												 "u"
												 "n"
												 "c"
												 "t"
												 "i"
												 "o"
												 "n"
												 "."
												 "n"
												 "a"
												 "m"
												 "e",
												 "b") "," A("llm.output_messages.0.message.tool_calls.0.tool_call.id",
													    "call_1") "," A("llm.output_messages.0.message.tool_calls.0.tool_call.function.name",
															    "a") "," A("llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments",
																       "{}") "," A("llm.tools.0.tool.json_schema",
																		   "{}") "," A("input.value",
																			       "ignored for LLM when messages exist") "]",
	    &r);
	ck_assert_int_eq(s->kind, KIND_LLM);
	ck_assert_str_eq(s->input,
			 "{\"messages\":[{\"role\":\"system\",\"content\":"
			 "\"You are helpful\"},{\"role\":\"user\",\"content\":\"later\"}]}");
	ck_assert_str_eq(
	    s->output, "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"call_1\","
		       "\"type\":\"function\",\"function\":{\"name\":\"a\",\"arguments\":\"{}\"}},"
		       "{\"type\":\"function\",\"function\":{\"name\":\"b\"}}]}]}");
	/* The flattened keys and input.value do not reach raw_attributes. */
	ck_assert_ptr_null(raw(s, "llm.input_messages.2.message.role"));
	ck_assert_ptr_null(raw(s, "llm.tools.0.tool.json_schema"));
	ck_assert_ptr_null(raw(s, "input.value"));
	ck_assert_ptr_nonnull(raw(s, "openinference.span.kind"));
	otlp_result_free(&r);

	/* Not an LLM span: input.value verbatim, output from a structured value as JSON. */
	s = status_span("\"attributes\":[" A("llm.input_messages.0.message.role", "user") "," A(
			    "input.value", "plain text") ","
							 "{\"key\":\"gen_ai.output.messages\","
							 "\"value\":{\"arrayValue\":{\"values\":["
							 "{\"kvlistValue\":{\"values\":[{\"key\":"
							 "\"role\",\"value\":{\"stringValue\":"
							 "\"assistant\"}}]}}]}}}]",
			&r);
	ck_assert_str_eq(s->input, "plain text");
	ck_assert_str_eq(s->output, "[{\"role\":\"assistant\"}]");
	otlp_result_free(&r);

	/* Tool spans: arguments and result. */
	s = status_span(
	    "\"attributes\":[" A("gen_ai.tool.call.arguments",
				 "{\\\"city\\\":\\\"Paris\\\"}") "," A("gen_ai.tool.call.result",
								       "sunny") "]",
	    &r);
	ck_assert_str_eq(s->input, "{\"city\":\"Paris\"}");
	ck_assert_str_eq(s->output, "sunny");
	otlp_result_free(&r);
}
END_TEST

START_TEST(catalog_applied)
{
	struct otlp_result r;
	struct span *s;

	s = status_span(
	    "\"attributes\":[" A("gen_ai.request.model", "gpt-4o") "," A(
		"gen_ai.system",
		"openai") ","
			  "{\"key\":\"gen_ai.usage.input_tokens\",\"value\":{\"intValue\":97}},"
			  "{\"key\":\"gen_ai.usage.output_tokens\",\"value\":{\"intValue\":\"52\"}}"
			  "," A("gen_ai.agent.name", "weather_bot") "," A(
			      "gen_ai.tool.name", "get_weather") "," A("custom.key", "kept") "]",
	    &r);
	ck_assert_str_eq(s->str[SS_MODEL], "gpt-4o");
	ck_assert_str_eq(s->str[SS_PROVIDER], "openai");
	ck_assert_str_eq(s->str[SS_AGENT_NAME], "weather_bot");
	ck_assert_str_eq(s->str[SS_TOOL_NAME], "get_weather");
	ck_assert_int_eq(s->input_tokens, 97);
	ck_assert_int_eq(s->output_tokens, 52);
	ck_assert_str_eq(json_string_value(raw(s, "custom.key")), "kept");
	otlp_result_free(&r);
}
END_TEST

/* ---- the other conventions (otel-egp.md 3.1-3.4) ---- */

/* {"key":k,"value":{"stringValue":v}} with v escaped, so tests can hold JSON text as values. */
static const char *sa(const char *k, const char *v)
{
	struct buf b;
	char *out;

	buf_init(&b);
	jsonw_string(&b, v, strlen(v));
	out = arena_printf(ta, "{\"key\":\"%s\",\"value\":{\"stringValue\":%s}}", k, b.p);
	buf_free(&b);
	return out;
}

static const char *ia(const char *k, long long v)
{
	return arena_printf(ta, "{\"key\":\"%s\",\"value\":{\"intValue\":%lld}}", k, v);
}

/* "attributes":[...] of the n attribute texts that follow. */
static const char *attrs(size_t n, ...)
{
	struct buf b;
	va_list ap;
	char *out;

	buf_init(&b);
	buf_adds(&b, "\"attributes\":[");
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_adds(&b, ",");
		buf_adds(&b, va_arg(ap, const char *));
	}
	va_end(ap);
	buf_adds(&b, "]");
	out = arena_strdup(ta, b.p);
	buf_free(&b);
	return out;
}

static enum span_status status_for(const char *fields)
{
	struct otlp_result r;
	enum span_status st = status_span(fields, &r)->status;

	otlp_result_free(&r);
	return st;
}

#define EXC(type)                                                                                  \
	"\"events\":[{\"name\":\"exception\",\"attributes\":[" A("exception.type", type) "]}]"

START_TEST(status_error_type_rules)
{
	struct otlp_result r;
	struct span *s;

	/* nemo-intake.md 6: UNSET and OK are success whatever error.type or an exception event
	 * say (the NeMo service answers so); error.type still fills error_type. */
	s = status_span(
	    arena_printf(ta, "%s,\"status\":{\"code\":0}", attrs(1, sa("error.type", "timeout"))),
	    &r);
	ck_assert_int_eq(s->status, SPST_SUCCESS);
	ck_assert_str_eq(s->str[SS_ERROR_TYPE], "timeout");
	ck_assert_ptr_null(raw(s, "error.type"));
	otlp_result_free(&r);
	ck_assert_int_eq(status_for(arena_printf(ta, "%s,\"status\":{\"code\":1}",
						 attrs(1, sa("error.type", "timeout")))),
			 SPST_SUCCESS);
	ck_assert_int_eq(status_for("\"status\":{\"code\":1}," EXC("Error")), SPST_SUCCESS);
	ck_assert_int_eq(status_for(EXC("Error")), SPST_SUCCESS);
	ck_assert_int_eq(status_for(attrs(1, sa("exception.type", "ValueError"))), SPST_SUCCESS);
	/* ERROR is error, whatever its message or type reads like: only the status attribute
	 * names a cancellation. */
	ck_assert_int_eq(status_for("\"status\":{\"code\":2,\"message\":\"context canceled\"}"),
			 SPST_ERROR);
	ck_assert_int_eq(status_for("\"status\":{\"code\":2}," EXC("AbortError")), SPST_ERROR);
	ck_assert_int_eq(status_for(attrs(1, sa("error.type", "asyncio.CancelledError"))),
			 SPST_SUCCESS);
	ck_assert_int_eq(status_for(attrs(1, A("status", "canceled"))), SPST_CANCELLED);
	ck_assert_int_eq(status_for(attrs(1, A("otel.status_code", "STATUS_CODE_ERROR"))),
			 SPST_ERROR);
	/* The reference's status attribute is explicit and wins. */
	ck_assert_int_eq(
	    status_for(attrs(2, A("status", "error"), sa("error.type", "asyncio.CancelledError"))),
	    SPST_ERROR);
	/* An exception's own type wins over error.type for error_type. */
	s = status_span(
	    arena_printf(ta, "%s," EXC("TimeoutError"), attrs(1, sa("error.type", "timeout"))), &r);
	ck_assert_str_eq(s->str[SS_ERROR_TYPE], "TimeoutError");
	ck_assert_str_eq(json_string_value(raw(s, "error.type")), "timeout");
	otlp_result_free(&r);
}
END_TEST

START_TEST(langfuse_level)
{
	struct otlp_result r;
	struct span *s;

	/* Langfuse's level ERROR is the SDK's verdict, even over OK; its status message is the
	 * error message when nothing better exists, and stays raw too. */
	s = status_span(
	    arena_printf(ta, "%s,\"status\":{\"code\":1}",
			 attrs(2, A("langfuse.observation.level", "ERROR"),
			       sa("langfuse.observation.status_message", "rate limited"))),
	    &r);
	ck_assert_int_eq(s->status, SPST_ERROR);
	ck_assert_str_eq(s->str[SS_ERROR_MESSAGE], "rate limited");
	ck_assert_str_eq(json_string_value(raw(s, "langfuse.observation.level")), "ERROR");
	ck_assert_ptr_nonnull(raw(s, "langfuse.observation.status_message"));
	otlp_result_free(&r);
	s = status_span(
	    arena_printf(ta, "%s,\"status\":{\"code\":2,\"message\":\"otel text\"}",
			 attrs(2, A("langfuse.observation.level", "ERROR"),
			       sa("langfuse.observation.status_message", "langfuse text"))),
	    &r);
	ck_assert_str_eq(s->str[SS_ERROR_MESSAGE], "otel text");
	otlp_result_free(&r);
	s = status_span(attrs(2, A("langfuse.observation.level", "WARNING"),
			      sa("langfuse.observation.status_message", "slow")),
			&r);
	ck_assert_int_eq(s->status, SPST_SUCCESS);
	ck_assert_ptr_null(s->str[SS_ERROR_MESSAGE]);
	otlp_result_free(&r);
	ck_assert_int_eq(status_for(attrs(2, A("langfuse.observation.level", "ERROR"),
					  sa("langfuse.observation.status_message",
					     "Request cancelled by user"))),
			 SPST_ERROR);
}
END_TEST

START_TEST(langfuse_session)
{
	struct otlp_result r;
	struct span *s;
	char msg[256];

	/* Third after gen_ai.conversation.id and session.id; consumed when it gave the session
	 * or repeats it, kept when it differs. */
	s = status_span(attrs(1, A("langfuse.session.id", "lf-1")), &r);
	ck_assert_str_eq(s->session_id, "lf-1");
	ck_assert_ptr_null(s->raw_attributes ? raw(s, "langfuse.session.id") : NULL);
	otlp_result_free(&r);
	s = status_span(attrs(2, A("langfuse.session.id", "lf-1"), A("session.id", "oi-1")), &r);
	ck_assert_str_eq(s->session_id, "oi-1");
	ck_assert_str_eq(json_string_value(raw(s, "langfuse.session.id")), "lf-1");
	otlp_result_free(&r);
	s = status_span(attrs(2, A("langfuse.session.id", "c"), A("gen_ai.conversation.id", "c")),
			&r);
	ck_assert_str_eq(s->session_id, "c");
	ck_assert_ptr_null(raw(s, "langfuse.session.id"));
	otlp_result_free(&r);
	/* The one id rule holds for it too. */
	ck_assert_int_eq(decode_json(json_req(arena_printf(
					 ta, IDS ",%s", attrs(1, A("langfuse.session.id", "..")))),
				     &r, msg),
			 ST_OK);
	ck_assert_uint_eq(r.nspans, 0);
	ck_assert_uint_eq(r.nerrors, 1);
	ck_assert_ptr_nonnull(strstr(r.errors[0], "session id"));
	otlp_result_free(&r);
}
END_TEST

/* A Langfuse generation and an OpenLLMetry tool, as their SDKs send them. */
START_TEST(langfuse_traceloop_fields)
{
	struct otlp_result r;
	struct span *s;

	s = status_span(attrs(7, A("langfuse.observation.type", "generation"),
			      A("langfuse.observation.model.name", "claude-3-5-sonnet"),
			      A("langfuse.observation.prompt.name", "support"),
			      ia("langfuse.observation.prompt.version", 3),
			      sa("langfuse.observation.input", "{\"q\":\"hi\"}"),
			      sa("langfuse.observation.output", "hello"),
			      A("langfuse.user.id", "u-9")),
			&r);
	ck_assert_int_eq(s->kind, KIND_LLM);
	ck_assert_str_eq(s->str[SS_MODEL], "claude-3-5-sonnet");
	ck_assert_str_eq(s->str[SS_PROMPT_NAME], "support");
	ck_assert_str_eq(s->str[SS_PROMPT_VERSION], "3");
	ck_assert_str_eq(s->input, "{\"q\":\"hi\"}");
	ck_assert_str_eq(s->output, "hello");
	ck_assert_ptr_null(raw(s, "langfuse.observation.model.name"));
	ck_assert_ptr_null(raw(s, "langfuse.observation.prompt.version"));
	/* Input and output keys stay raw, as the reference keeps gen_ai.input.messages; the user
	 * has no Span field. */
	ck_assert_ptr_nonnull(raw(s, "langfuse.observation.input"));
	ck_assert_str_eq(json_string_value(raw(s, "langfuse.user.id")), "u-9");
	otlp_result_free(&r);

	s = status_span(attrs(5, A("traceloop.span.kind", "tool"),
			      A("traceloop.entity.name", "get_weather"),
			      A("traceloop.workflow.name", "trip"),
			      sa("traceloop.entity.input", "{\"args\":[\"Paris\"],\"kwargs\":{}}"),
			      sa("traceloop.entity.output", "sunny")),
			&r);
	ck_assert_int_eq(s->kind, KIND_TOOL);
	ck_assert_str_eq(s->str[SS_TOOL_NAME], "get_weather");
	ck_assert_ptr_null(s->str[SS_AGENT_NAME]);
	ck_assert_str_eq(s->input, "{\"args\":[\"Paris\"],\"kwargs\":{}}");
	ck_assert_str_eq(s->output, "sunny");
	ck_assert_ptr_null(raw(s, "traceloop.entity.name"));
	ck_assert_str_eq(json_string_value(raw(s, "traceloop.workflow.name")), "trip");
	otlp_result_free(&r);

	s = status_span(
	    attrs(2, A("traceloop.span.kind", "agent"), A("traceloop.entity.name", "planner")), &r);
	ck_assert_int_eq(s->kind, KIND_AGENT);
	ck_assert_str_eq(s->str[SS_AGENT_NAME], "planner");
	ck_assert_ptr_null(s->str[SS_TOOL_NAME]);
	otlp_result_free(&r);

	s = status_span(
	    attrs(2, A("traceloop.span.kind", "workflow"), A("traceloop.entity.name", "trip")), &r);
	ck_assert_ptr_null(s->str[SS_AGENT_NAME]);
	ck_assert_str_eq(json_string_value(raw(s, "traceloop.entity.name")), "trip");
	otlp_result_free(&r);
}
END_TEST

/* The input (or output) of the span with fields, "" when it has none. */
static const char *text_for(const char *fields, bool output)
{
	struct otlp_result r;
	struct span *s = status_span(fields, &r);
	const char *t = output ? s->output : s->input;

	t = arena_strdup(ta, t ? t : "");
	otlp_result_free(&r);
	return t;
}

#define input_for(f) text_for(f, false)
#define output_for(f) text_for(f, true)

START_TEST(input_output_order)
{
	/* The reference's keys first, then Traceloop, Langfuse, the deprecated gen_ai.prompt. */
	ck_assert_str_eq(
	    input_for(attrs(4, A("gen_ai.prompt", "p"), A("langfuse.observation.input", "l"),
			    A("traceloop.entity.input", "t"),
			    A("gen_ai.tool.call.arguments", "g"))),
	    "g");
	ck_assert_str_eq(
	    input_for(attrs(3, A("gen_ai.prompt", "p"), A("langfuse.observation.input", "l"),
			    A("traceloop.entity.input", "t"))),
	    "t");
	ck_assert_str_eq(
	    input_for(attrs(2, A("gen_ai.prompt", "p"), A("langfuse.observation.input", "l"))),
	    "l");
	ck_assert_str_eq(input_for(attrs(1, A("gen_ai.prompt", "p"))), "p");
	ck_assert_str_eq(
	    output_for(attrs(4, A("gen_ai.completion", "c"), A("langfuse.observation.output", "l"),
			     A("traceloop.entity.output", "t"), A("gen_ai.tool.call.result", "g"))),
	    "g");
	ck_assert_str_eq(
	    output_for(attrs(3, A("gen_ai.completion", "c"), A("langfuse.observation.output", "l"),
			     A("traceloop.entity.output", "t"))),
	    "t");
	ck_assert_str_eq(output_for(attrs(2, A("gen_ai.completion", "c"),
					  A("langfuse.observation.output", "l"))),
			 "l");
	ck_assert_str_eq(output_for(attrs(1, A("gen_ai.completion", "c"))), "c");
}
END_TEST

START_TEST(system_instructions)
{
	struct otlp_result r;
	struct span *s;
	const char *msgs =
	    "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Hi\"}]}]";
	const char *si = "[{\"type\":\"text\",\"content\":\"Be brief.\"}]";

	/* Put in front as the system message; both attributes stay raw. */
	s = status_span(
	    attrs(2, sa("gen_ai.input.messages", msgs), sa("gen_ai.system_instructions", si)), &r);
	ck_assert_str_eq(s->input,
			 "[{\"role\":\"system\",\"parts\":[{\"type\":\"text\",\"content\":\"Be "
			 "brief.\"}]},{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
			 "\"Hi\"}]}]");
	ck_assert_ptr_nonnull(raw(s, "gen_ai.system_instructions"));
	ck_assert_ptr_nonnull(raw(s, "gen_ai.input.messages"));
	otlp_result_free(&r);
	/* Structured values (arrayValue / kvlistValue) too; plain text is one text part. */
	ck_assert_str_eq(
	    input_for(attrs(1,
			    "{\"key\":\"gen_ai.system_instructions\",\"value\":{\"arrayValue\":"
			    "{\"values\":[{\"kvlistValue\":{\"values\":[{\"key\":\"type\",\"value\""
			    ":{\"stringValue\":\"text\"}},{\"key\":\"content\",\"value\":{"
			    "\"stringValue\":\"S\"}}]}}]}}}")),
	    "[{\"role\":\"system\",\"parts\":[{\"type\":\"text\",\"content\":\"S\"}]}]");
	ck_assert_str_eq(
	    input_for(attrs(2, sa("gen_ai.system_instructions", "Be brief."),
			    sa("gen_ai.input.messages", "[]"))),
	    "[{\"role\":\"system\",\"parts\":[{\"type\":\"text\",\"content\":\"Be brief.\"}]}]");
	/* Structured messages: the attribute itself is left as it came. */
	s = status_span(
	    attrs(2, sa("gen_ai.system_instructions", "S"),
		  "{\"key\":\"gen_ai.input.messages\",\"value\":{\"arrayValue\":{"
		  "\"values\":[{\"kvlistValue\":{\"values\":[" A("role", "user") "]}}]}}}"),
	    &r);
	ck_assert_str_eq(s->input,
			 "[{\"role\":\"system\",\"parts\":[{\"type\":\"text\",\"content\":"
			 "\"S\"}]},{\"role\":\"user\"}]");
	ck_assert_uint_eq(json_array_size(raw(s, "gen_ai.input.messages")), 1);
	otlp_result_free(&r);
	/* Messages that are no JSON array are kept as they came. */
	ck_assert_str_eq(input_for(attrs(2, sa("gen_ai.system_instructions", si),
					 sa("gen_ai.input.messages", "Hi there"))),
			 "Hi there");
	/* input.value still comes first; without system instructions nothing changes. */
	ck_assert_str_eq(
	    input_for(attrs(2, sa("gen_ai.system_instructions", si), A("input.value", "plain"))),
	    "plain");
	ck_assert_str_eq(
	    input_for(attrs(1, sa("gen_ai.input.messages", "[ {\"role\": \"user\"} ]"))),
	    "[ {\"role\": \"user\"} ]");
}
END_TEST

/* OpenLLMetry's flattened gen_ai.prompt.<i>.* / gen_ai.completion.<i>.*, rebuilt like the
 * OpenInference lists, on any kind of span. */
START_TEST(openllmetry_messages)
{
	struct otlp_result r;
	struct span *s;

	s = status_span(
	    attrs(9, A("llm.request.type", "chat"), A("gen_ai.prompt.1.role", "user"),
		  A("gen_ai.prompt.1.content", "Weather?"), A("gen_ai.prompt.0.role", "system"),
		  A("gen_ai.prompt.0.content", "Be brief."),
		  A("gen_ai.completion.0.role", "assistant"),
		  A("gen_ai.completion.0.finish_reason", "tool_calls"),
		  A("gen_ai.completion.0.tool_calls.0.name", "get_weather"),
		  sa("gen_ai.completion.0.tool_calls.0.arguments", "{\"city\":\"Paris\"}")),
	    &r);
	ck_assert_int_eq(s->kind, KIND_LLM);
	ck_assert_str_eq(s->input, "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
				   "{\"role\":\"user\",\"content\":\"Weather?\"}]}");
	ck_assert_str_eq(s->output,
			 "{\"messages\":[{\"role\":\"assistant\",\"finish_reason\":\"tool_calls\","
			 "\"tool_calls\":[{\"type\":\"function\",\"function\":{\"name\":"
			 "\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]}]}");
	/* Kept raw: the rebuild does not carry every field. */
	ck_assert_ptr_nonnull(raw(s, "gen_ai.prompt.0.content"));
	otlp_result_free(&r);
	/* The other names of gen_ai.prompt.* are no messages. */
	s = status_span(attrs(1, A("gen_ai.prompt.name", "p")), &r);
	ck_assert_ptr_null(s->input);
	ck_assert_str_eq(s->str[SS_PROMPT_NAME], "p");
	otlp_result_free(&r);
}
END_TEST

/* The deprecated GenAI span events, last (otel-egp.md 3.1 and the capture in 2). */
START_TEST(deprecated_events)
{
	struct otlp_result r;
	struct span *s;
	const char *sys = sa("content", "Be brief."), *user = sa("content", "Weather in Paris?");
	const char *choice = arena_printf(
	    ta, "%s,%s,{\"key\":\"message\",\"value\":{\"kvlistValue\":{\"values\":[%s]}}}",
	    ia("index", 0), sa("finish_reason", "stop"), sa("content", "Sunny"));

	s = status_span(
	    arena_printf(ta,
			 "\"events\":[{\"name\":\"gen_ai.system.message\",\"attributes\":"
			 "[%s,%s]},{\"name\":\"gen_ai.user.message\",\"attributes\":[%s]},"
			 "{\"name\":\"gen_ai.choice\",\"attributes\":[%s]}]",
			 sa("gen_ai.system", "openai"), sys, user, choice),
	    &r);
	ck_assert_str_eq(s->input, "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
				   "{\"role\":\"user\",\"content\":\"Weather in Paris?\"}]}");
	ck_assert_str_eq(s->output, "{\"messages\":[{\"role\":\"assistant\",\"index\":0,"
				    "\"finish_reason\":\"stop\",\"content\":\"Sunny\"}]}");
	ck_assert(json_is_string(raw(s, "otel.events")));
	otlp_result_free(&r);
	/* A choice's message as the JSON text of one is the same message. */
	s = status_span(
	    arena_printf(ta, "\"events\":[{\"name\":\"gen_ai.choice\",\"attributes\":[%s,%s]}]",
			 ia("index", 0),
			 sa("message", "{\"role\":\"assistant\",\"content\":\"Sunny\"}")),
	    &r);
	ck_assert_str_eq(s->output, "{\"messages\":[{\"role\":\"assistant\",\"index\":0,"
				    "\"content\":\"Sunny\"}]}");
	otlp_result_free(&r);
	/* Any attribute wins over them. */
	ck_assert_str_eq(
	    input_for(arena_printf(
		ta, "%s,\"events\":[{\"name\":\"gen_ai.user.message\",\"attributes\":[%s]}]",
		attrs(1, sa("gen_ai.prompt", "attr")), user)),
	    "attr");
}
END_TEST

/* The answering model is kept raw when it differs from the requested one (NeMo order). */
START_TEST(response_model_kept)
{
	struct otlp_result r;
	struct span *s;

	s = status_span(attrs(2, A("gen_ai.request.model", "gpt-4o"),
			      A("gen_ai.response.model", "gpt-4o-2024-08-06")),
			&r);
	ck_assert_str_eq(s->str[SS_MODEL], "gpt-4o");
	ck_assert_str_eq(json_string_value(raw(s, "gen_ai.response.model")), "gpt-4o-2024-08-06");
	otlp_result_free(&r);
	s = status_span(attrs(1, A("gen_ai.response.model", "gpt-4o-2024-08-06")), &r);
	ck_assert_str_eq(s->str[SS_MODEL], "gpt-4o-2024-08-06");
	ck_assert_ptr_null(s->raw_attributes ? raw(s, "gen_ai.response.model") : NULL);
	otlp_result_free(&r);
}
END_TEST

/* ---- protobuf and JSON give the same lines ---- */

static const char *const same_json =
    "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
    "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"demo-agent\"}}]},"
    "\"scopeSpans\":[{\"scope\":{\"name\":\"demo-instrumentation\",\"version\":\"0.1.0\"},"
    "\"spans\":["
    "{\"traceId\":\"de8d3169ce848a67f7998dcf3c203e0a\",\"spanId\":\"125f0fc7132bade8\","
    "\"parentSpanId\":\"04b3cf9ef53b9f9b\",\"name\":\"execute_tool get_weather\",\"kind\":1,"
    "\"startTimeUnixNano\":\"1795238683124000000\",\"endTimeUnixNano\":\"1795238683124178766\","
    "\"attributes\":[" A("gen_ai.operation.name", "execute_tool") "," A(
	"gen_ai.tool.name",
	"get_weather") "],"
		       "\"events\":[{\"name\":\"exception\",\"timeUnixNano\":"
		       "\"1795238683124123594\","
		       "\"attributes\":[" A("exception.type", "Error") "," A(
			   "exception.message",
			   "upstream timeout") "]}],\"status\":{\"code\":2,\"message\":\"upstream "
					       "timeout\"}},"
					       "{\"traceId\":\"de8d3169ce848a67f7998dcf3c203e0a\","
					       "\"spanId\":\"04b3cf9ef53b9f9b\","
					       "\"parentSpanId\":\"49b6e03823d82937\",\"name\":"
					       "\"chat gpt-4o\",\"kind\":3,"
					       "\"startTimeUnixNano\":1795238683124000000,"
					       "\"endTimeUnixNano\":\"1795238683124863649\","
					       "\"attributes\":[" A("gen_ai.operation.name", "chat") "," A(
						   "gen_ai.request.model",
						   "gpt-4o") ",{\"key\":\"gen_ai.request."
							     "temperature\",\"value\":{"
							     "\"doubleValue\":0.2}},"
							     "{\"key\":\"gen_ai.request.stream\","
							     "\"value\":{\"boolValue\":false}},"
							     "{\"key\":\"gen_ai.usage.input_"
							     "tokens\",\"value\":{\"intValue\":97}}"
							     ","
							     "{\"key\":\"gen_ai.response.finish_"
							     "reasons\",\"value\":{\"arrayValue\":{"
							     "\"values\":["
							     "{\"stringValue\":\"tool_calls\"}]}}}"
							     "," A(
								 "llm.input_messages.0.message."
								 "role",
								 "user") "," A("llm.input_"
									       "messages.0."
									       "message.content",
									       "Weather in "
									       "Paris?") "],"
											 "\"statu"
											 "s\":{"
											 "\"code"
											 "\":1}},"
											 "{\"trac"
											 "eId\":"
											 "\"de8d3"
											 "169ce84"
											 "8a67f79"
											 "98dcf3c"
											 "203e0a"
											 "\","
											 "\"spanI"
											 "d\":"
											 "\"49b6e"
											 "03823d8"
											 "2937\","
											 "\"name"
											 "\":"
											 "\"invok"
											 "e_"
											 "agent "
											 "weather"
											 "_bot\","
											 "\"start"
											 "TimeUni"
											 "xNano\""
											 ":\"1795"
											 "2386831"
											 "2300000"
											 "0\","
											 "\"endTi"
											 "meUnixN"
											 "ano\":"
											 "\"17952"
											 "3868312"
											 "4476573"
											 "\","
											 "\"attri"
											 "butes\""
											 ":[" A(
											     "gen_"
											     "ai."
											     "opera"
											     "tion."
											     "name",
											     "invok"
											     "e_"
											     "agen"
											     "t") "," A("gen"
													"_ai"
													".ag"
													"ent"
													".na"
													"me",
													"wea"
													"the"
													"r_"
													"bo"
													"t") "," A("gen_ai.conversation.id",
														   "conv_5j66") "],\"status\":{\"code\":0}}"
																"]}]}]}";

static uint8_t *same_pb(size_t *len)
{
	Otlp__Span *t, *c, *a, **spans = arena_alloc(ta, 3 * sizeof *spans);
	Otlp__AnyValue *d = av(OTLP__ANY_VALUE__VALUE_DOUBLE_VALUE);
	Otlp__AnyValue *bf = av(OTLP__ANY_VALUE__VALUE_BOOL_VALUE);
	Otlp__AnyValue *arr = av(OTLP__ANY_VALUE__VALUE_ARRAY_VALUE);
	Otlp__Span__Event *ev = arena_alloc(ta, sizeof *ev);

	t = pspan("de8d3169ce848a67f7998dcf3c203e0a", "125f0fc7132bade8", "04b3cf9ef53b9f9b",
		  "execute_tool get_weather", 1795238683124000000ULL, 1795238683124178766ULL);
	t->attributes = kvs(2, kv_str("gen_ai.operation.name", "execute_tool"),
			    kv_str("gen_ai.tool.name", "get_weather"));
	t->n_attributes = 2;
	otlp__span__event__init(ev);
	ev->name = "exception";
	ev->time_unix_nano = 1795238683124123594ULL;
	ev->attributes = kvs(2, kv_str("exception.type", "Error"),
			     kv_str("exception.message", "upstream timeout"));
	ev->n_attributes = 2;
	t->events = &ev;
	t->n_events = 1;
	pstatus(t, 2, "upstream timeout");

	c = pspan("de8d3169ce848a67f7998dcf3c203e0a", "04b3cf9ef53b9f9b", "49b6e03823d82937",
		  "chat gpt-4o", 1795238683124000000ULL, 1795238683124863649ULL);
	d->double_value = 0.2;
	bf->bool_value = 0;
	arr->array_value = arena_alloc(ta, sizeof *arr->array_value);
	otlp__array_value__init(arr->array_value);
	arr->array_value->values = arena_alloc(ta, sizeof(Otlp__AnyValue *));
	arr->array_value->values[0] = av_str("tool_calls");
	arr->array_value->n_values = 1;
	c->attributes = kvs(
	    8, kv_str("gen_ai.operation.name", "chat"), kv_str("gen_ai.request.model", "gpt-4o"),
	    kv("gen_ai.request.temperature", d), kv("gen_ai.request.stream", bf),
	    kv("gen_ai.usage.input_tokens", av_int(97)), kv("gen_ai.response.finish_reasons", arr),
	    kv_str("llm.input_messages.0.message.role", "user"),
	    kv_str("llm.input_messages.0.message.content", "Weather in Paris?"));
	c->n_attributes = 8;
	c->kind = 3;
	pstatus(c, 1, "");

	a = pspan("de8d3169ce848a67f7998dcf3c203e0a", "49b6e03823d82937", NULL,
		  "invoke_agent weather_bot", 1795238683123000000ULL, 1795238683124476573ULL);
	a->attributes = kvs(3, kv_str("gen_ai.operation.name", "invoke_agent"),
			    kv_str("gen_ai.agent.name", "weather_bot"),
			    kv_str("gen_ai.conversation.id", "conv_5j66"));
	a->n_attributes = 3;
	pstatus(a, 0, "");
	spans[0] = t;
	spans[1] = c;
	spans[2] = a;
	return pack(spans, 3, kvs(1, kv_str("service.name", "demo-agent")), 1, len);
}

START_TEST(protobuf_equals_json)
{
	struct otlp_result rj, rp;
	size_t len;
	uint8_t *pb = same_pb(&len);
	char msg[256];

	ck_assert_int_eq(decode_json(same_json, &rj, msg), ST_OK);
	ck_assert_int_eq(decode(OTLP_PROTOBUF, pb, len, &rp, msg), ST_OK);
	ck_assert_uint_eq(rj.nspans, 3);
	ck_assert_uint_eq(rp.nspans, 3);
	ck_assert_uint_eq(rj.nerrors + rp.nerrors, 0);
	for (size_t i = 0; i < 3; i++) {
		struct buf lj, lp;

		buf_init(&lj);
		buf_init(&lp);
		rj.spans[i].ingested_at = rp.spans[i].ingested_at = NOW;
		span_render(&rj.spans[i], &lj);
		span_render(&rp.spans[i], &lp);
		ck_assert_str_eq(lj.p, lp.p);
		buf_free(&lj);
		buf_free(&lp);
	}
	/* Spot checks of the shared result (the capture in otel-egp.md 2). */
	ck_assert_int_eq(rp.spans[0].kind, KIND_TOOL);
	ck_assert_int_eq(rp.spans[0].status, SPST_ERROR);
	ck_assert_str_eq(rp.spans[0].str[SS_ERROR_TYPE], "Error");
	ck_assert_int_eq(rp.spans[1].kind, KIND_LLM);
	ck_assert_str_eq(rp.spans[1].input,
			 "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}]}");
	ck_assert_int_eq(rp.spans[2].kind, KIND_AGENT);
	ck_assert_str_eq(rp.spans[2].session_id, "conv_5j66");
	ck_assert_ptr_null(rp.spans[2].parent_span_id);
	otlp_result_free(&rj);
	otlp_result_free(&rp);
}
END_TEST

/* ---- hostile input ---- */

/* A backwards protobuf writer: the payload is written first, then its length and tag in
 * front of it, so arbitrarily deep nesting costs no recursion here either. */
struct bw {
	uint8_t *p;
	size_t cap, start; /* data is p[start..cap) */
};

static void bw_init(struct bw *w, size_t cap)
{
	w->p = malloc(cap);
	w->cap = w->start = cap;
}

static void bw_bytes(struct bw *w, const void *d, size_t n)
{
	ck_assert_uint_ge(w->start, n);
	w->start -= n;
	memcpy(w->p + w->start, d, n);
}

static void bw_varint(struct bw *w, uint64_t v)
{
	uint8_t t[10];
	size_t n = 0;

	do {
		t[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	bw_bytes(w, t, n);
}

static size_t bw_len(struct bw *w)
{
	return w->cap - w->start;
}

/* Makes everything written so far the body of length-delimited field f. */
static void bw_wrap(struct bw *w, uint32_t f)
{
	bw_varint(w, bw_len(w));
	bw_varint(w, (uint64_t)f << 3 | 2);
}

static void bw_str(struct bw *w, uint32_t f, const char *s, size_t n)
{
	bw_bytes(w, s, n);
	bw_varint(w, n);
	bw_varint(w, (uint64_t)f << 3 | 2);
}

/* Wraps the attributes already written into a span with valid ids, then the envelope. */
static void bw_envelope(struct bw *w)
{
	static const uint8_t tid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	static const uint8_t sid[8] = {1, 2, 3, 4, 5, 6, 7, 8};

	bw_str(w, 2, (const char *)sid, 8);  /* Span.span_id */
	bw_str(w, 1, (const char *)tid, 16); /* Span.trace_id */
	bw_wrap(w, 2);			     /* ScopeSpans.spans */
	bw_wrap(w, 2);			     /* ResourceSpans.scope_spans */
	bw_wrap(w, 1);			     /* ExportTraceServiceRequest.resource_spans */
}

static void expect_refused(const void *p, size_t n, enum otlp_encoding enc, const char *part)
{
	struct otlp_result r;
	char msg[256] = "";

	ck_assert_int_eq(decode(enc, p, n, &r, msg), ST_BAD_REQUEST);
	ck_assert_uint_eq(r.nspans, 0);
	if (part && !strstr(msg, part))
		ck_abort_msg("message \"%s\" lacks \"%s\"", msg, part);
}

START_TEST(truncated_protobuf)
{
	size_t len, refused = 0;
	uint8_t *pb = same_pb(&len);

	/* Every cut either decodes (a shorter valid message) or is refused; none crashes. A
	 * cut inside the outer resource_spans message is always refused. */
	for (size_t n = 1; n < len; n++) {
		struct otlp_result r;
		char msg[256];

		if (decode(OTLP_PROTOBUF, pb, n, &r, msg) == ST_BAD_REQUEST)
			refused++;
		else
			otlp_result_free(&r);
	}
	ck_assert_uint_eq(refused, len - 1);
	expect_refused(pb, len - 1, OTLP_PROTOBUF, "past the end");
}
END_TEST

START_TEST(wrong_wire_types)
{
	/* resource_spans (a message) sent as a varint. */
	static const uint8_t a[] = {0x08, 0x01};
	/* Span.start_time_unix_nano (fixed64) sent as a varint, inside a valid envelope. */
	struct bw w;

	expect_refused(a, sizeof a, OTLP_PROTOBUF, "wire type 0");
	bw_init(&w, 256);
	bw_bytes(&w, (uint8_t[]){0x38, 0x05}, 2);
	bw_envelope(&w);
	expect_refused(w.p + w.start, bw_len(&w), OTLP_PROTOBUF, "start_time_unix_nano");
	free(w.p);
	/* Groups and the non-existent wire types 6 and 7. */
	expect_refused((uint8_t[]){0x0b, 0x0c}, 2, OTLP_PROTOBUF, "wire type 3");
	expect_refused((uint8_t[]){0x0e}, 1, OTLP_PROTOBUF, "wire type 6");
}
END_TEST

START_TEST(overflowing_varints)
{
	static const uint8_t key11[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					0xff, 0xff, 0xff, 0xff, 0x01};
	static const uint8_t len10[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0xff,
					0xff, 0xff, 0xff, 0xff, 0x7f};
	static const uint8_t open[] = {0x0a, 0x80};

	expect_refused(key11, sizeof key11, OTLP_PROTOBUF, "varint");
	expect_refused(len10, sizeof len10, OTLP_PROTOBUF, "varint overflows");
	expect_refused(open, sizeof open, OTLP_PROTOBUF, "truncated varint");
}
END_TEST

START_TEST(kvlist_nesting_10000)
{
	struct bw w;
	struct buf j;

	/* AnyValue{kvlist{KeyValue{"k", AnyValue{...}}}}, 10,000 levels around an empty one. */
	bw_init(&w, 1u << 20);
	for (int i = 0; i < 10000; i++) {
		bw_wrap(&w, 2);	       /* KeyValue.value */
		bw_str(&w, 1, "k", 1); /* KeyValue.key */
		bw_wrap(&w, 1);	       /* KeyValueList.values */
		bw_wrap(&w, 6);	       /* AnyValue.kvlist_value */
	}
	bw_wrap(&w, 2);
	bw_str(&w, 1, "deep", 4);
	bw_wrap(&w, 9); /* Span.attributes */
	bw_envelope(&w);
	expect_refused(w.p + w.start, bw_len(&w), OTLP_PROTOBUF, "nested deeper");
	free(w.p);

	buf_init(&j);
	buf_adds(&j, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{" IDS
		     ",\"attributes\":[{\"key\":\"deep\",\"value\":");
	for (int i = 0; i < 10000; i++)
		buf_adds(&j, "{\"kvlistValue\":{\"values\":[{\"key\":\"k\",\"value\":");
	buf_adds(&j, "{}");
	for (int i = 0; i < 10000; i++)
		buf_adds(&j, "}]}}");
	buf_adds(&j, "}]}]}]}]}");
	expect_refused(j.p, j.len, OTLP_JSON, NULL);
	buf_free(&j);
}
END_TEST

START_TEST(depth_limit_exact)
{
	struct buf j;
	struct otlp_result r;
	char msg[256];

	/* OTLP_MAX_ANY_DEPTH levels pass in JSON; one more is refused. */
	for (int extra = 0; extra < 2; extra++) {
		buf_init(&j);
		buf_adds(&j, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{" IDS
			     ",\"events\":[{\"attributes\":[{\"key\":\"deep\",\"value\":");
		for (int i = 1; i < OTLP_MAX_ANY_DEPTH + extra; i++)
			buf_adds(&j, "{\"kvlistValue\":{\"values\":[{\"key\":\"k\",\"value\":");
		buf_adds(&j, "{\"stringValue\":\"x\"}");
		for (int i = 1; i < OTLP_MAX_ANY_DEPTH + extra; i++)
			buf_adds(&j, "}]}}");
		buf_adds(&j, "}]}]}]}]}]}");
		if (extra)
			expect_refused(j.p, j.len, OTLP_JSON, "nested deeper");
		else {
			ck_assert_int_eq(decode(OTLP_JSON, j.p, j.len, &r, msg), ST_OK);
			ck_assert_uint_eq(r.nspans, 1);
			otlp_result_free(&r);
		}
		buf_free(&j);
	}
}
END_TEST

START_TEST(invalid_utf8)
{
	struct bw w;
	static const char bad[] = "caf\xc3";
	char *json;

	bw_init(&w, 256);
	bw_str(&w, 5, bad, 4); /* Span.name */
	bw_envelope(&w);
	expect_refused(w.p + w.start, bw_len(&w), OTLP_PROTOBUF, "UTF-8");
	free(w.p);
	/* An overlong encoding of '/' in an attribute value. */
	bw_init(&w, 256);
	bw_str(&w, 1, "\xc0\xaf", 2); /* AnyValue.string_value */
	bw_wrap(&w, 2);		      /* KeyValue.value */
	bw_str(&w, 1, "k", 1);
	bw_wrap(&w, 9);
	bw_envelope(&w);
	expect_refused(w.p + w.start, bw_len(&w), OTLP_PROTOBUF, "UTF-8");
	free(w.p);
	json = json_req(IDS ",\"name\":\"caf\xc3\"");
	expect_refused(json, strlen(json), OTLP_JSON, NULL);
}
END_TEST

START_TEST(attributes_100000)
{
	struct bw w;
	struct buf j;

	bw_init(&w, 4u << 20);
	for (int i = 0; i < 100000; i++) {
		bw_str(&w, 1, "k", 1);
		bw_varint(&w, 3);
		bw_varint(&w, 9 << 3 | 2); /* Span.attributes: KeyValue{key "k"} */
	}
	bw_envelope(&w);
	expect_refused(w.p + w.start, bw_len(&w), OTLP_PROTOBUF, "more than 4096 attributes");
	free(w.p);

	buf_init(&j);
	buf_adds(&j, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{" IDS ",\"attributes\":[");
	for (int i = 0; i < 100000; i++)
		buf_printf(&j, "%s{\"key\":\"k%d\",\"value\":{\"intValue\":1}}", i ? "," : "", i);
	buf_adds(&j, "]}]}]}]}");
	expect_refused(j.p, j.len, OTLP_JSON, "more than 4096 attributes");
	buf_free(&j);
}
END_TEST

START_TEST(json_shape_errors)
{
	const char *bad[] = {
	    "[]",
	    "{\"resourceSpans\":{}}",
	    "{\"resourceSpans\":[1]}",
	    "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":5}]}]}]}",
	    "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"startTimeUnixNano\":1.5}]}]}]}",
	    "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"startTimeUnixNano\":\"-1\"}]}]}]}",
	    "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"attributes\":[{\"key\":\"a\","
	    "\"value\":{\"intValue\":\"99999999999999999999\"}}]}]}]}]}",
	    "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"attributes\":[{\"key\":\"a\","
	    "\"value\":{\"bytesValue\":\"***\"}}]}]}]}]}",
	    "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"status\":{\"code\":\"BAD\"}}]}]}]"
	    "}",
	    "{\"resourceSpans\":[",
	};

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		expect_refused(bad[i], strlen(bad[i]), OTLP_JSON, NULL);
	/* Unknown fields are ignored (OTLP/JSON rule 3). */
	{
		struct otlp_result r;

		one(IDS ",\"someFutureField\":{\"x\":[1,2]}", &r);
		otlp_result_free(&r);
	}
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("otlp");
	TCase *m = tcase_create("mapping"), *h = tcase_create("hostile");

	tcase_add_checked_fixture(m, setup, teardown);
	tcase_add_checked_fixture(h, setup, teardown);
	tcase_add_test(m, ids_and_times);
	tcase_add_test(m, bad_ids_rejected_per_span);
	tcase_add_test(m, full_success_response);
	tcase_add_test(m, any_values_and_resource_merge);
	tcase_add_test(m, session_id_rule);
	tcase_add_test(m, kind_rules);
	tcase_add_test(m, status_rules);
	tcase_add_test(m, error_fields);
	tcase_add_test(m, input_output_rebuilt);
	tcase_add_test(m, catalog_applied);
	tcase_add_test(m, status_error_type_rules);
	tcase_add_test(m, langfuse_level);
	tcase_add_test(m, langfuse_session);
	tcase_add_test(m, langfuse_traceloop_fields);
	tcase_add_test(m, input_output_order);
	tcase_add_test(m, system_instructions);
	tcase_add_test(m, openllmetry_messages);
	tcase_add_test(m, deprecated_events);
	tcase_add_test(m, response_model_kept);
	tcase_add_test(m, protobuf_equals_json);
	tcase_add_test(h, truncated_protobuf);
	tcase_add_test(h, wrong_wire_types);
	tcase_add_test(h, overflowing_varints);
	tcase_add_test(h, kvlist_nesting_10000);
	tcase_add_test(h, depth_limit_exact);
	tcase_add_test(h, invalid_utf8);
	tcase_add_test(h, attributes_100000);
	tcase_add_test(h, json_shape_errors);
	tcase_set_timeout(h, 60);
	suite_add_tcase(s, m);
	suite_add_tcase(s, h);
	return s;
}
