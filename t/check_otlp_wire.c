/* check_otlp_wire: the two encodings of an OTLP trace request on the wire: the same spans
 * from protobuf as from OTLP/JSON, a span's attributes over its resource's, and the request
 * read off the wire against protoc-c's unpack. Protobuf inputs are built with the generated
 * pack functions, and cut short at every byte. Hostile input written by hand (malformed, too
 * deep, too many attributes), refused whole, is in check_otlp_hostile.c. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t/check_otlp.h"
#include "proto/otlp_trace.pb-c.h"
#include "lib/base/buf.h"
#include "lib/json/jsonw.h"
#include "lib/model/judgement.h"

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

/* A span's attributes go on top of its resource's (nemo-intake.md 4.1): a key both hold keeps
 * the resource's place and takes the span's value, and a key the span repeats keeps its first
 * place and takes its last value, the order raw_attributes is stored in. */
START_TEST(span_attributes_over_resource)
{
	struct otlp_result r;
	size_t len;
	char msg[256];
	struct buf b;
	Otlp__Span *sp = pspan(TRACE, SPAN, NULL, "s", 1795238683124000000ULL, 0);
	uint8_t *pb;

	sp->attributes = kvs(4, kv_str("z.span", "1"), kv_str("shared", "from-span"),
			     kv_str("z.span", "2"), kv_str("a.span", "3"));
	sp->n_attributes = 4;
	pb = pack(&sp, 1,
		  kvs(3, kv_str("service.name", "demo"), kv_str("shared", "from-resource"),
		      kv_str("m.resource", "4")),
		  3, &len);
	ck_assert_int_eq(decode(OTLP_PROTOBUF, pb, len, &r, msg), ST_OK);
	ck_assert_uint_eq(r.nspans, 1);
	buf_init(&b);
	jsonw_value(&b, r.spans[0].raw_attributes);
	ck_assert_str_eq(b.p, "{\"service.name\":\"demo\",\"shared\":\"from-span\",\"m.resource\":"
			      "\"4\",\"z.span\":\"2\",\"a.span\":\"3\",\"otel.scope\":{\"name\":"
			      "\"demo-instrumentation\",\"version\":\"0.1.0\"}}");
	buf_free(&b);
	otlp_result_free(&r);
}
END_TEST

/* ---- the request read off the wire against protoc-c's unpack ---- */

/* One request with what same_pb lacks: links, nested lists and maps, bytes, an empty
 * AnyValue, a NUL and a SUB in strings, a scope without a name, two resources. */
static uint8_t *varied_pb(size_t *len)
{
	Otlp__ExportTraceServiceRequest req = OTLP__EXPORT_TRACE_SERVICE_REQUEST__INIT;
	Otlp__ResourceSpans rs[2] = {OTLP__RESOURCE_SPANS__INIT, OTLP__RESOURCE_SPANS__INIT};
	Otlp__ResourceSpans *rsp[2] = {&rs[0], &rs[1]};
	Otlp__ScopeSpans ss = OTLP__SCOPE_SPANS__INIT, *ssp = &ss;
	Otlp__Resource r = OTLP__RESOURCE__INIT;
	Otlp__InstrumentationScope sc = OTLP__INSTRUMENTATION_SCOPE__INIT;
	Otlp__Span *sp = pspan(TRACE, SPAN, "04b3cf9ef53b9f9b", "tool\x1a", 1795238683124000000ULL,
			       1795238683124178766ULL);
	Otlp__Span__Link *l = arena_alloc(ta, sizeof *l);
	Otlp__AnyValue *by = av(OTLP__ANY_VALUE__VALUE_BYTES_VALUE);
	Otlp__AnyValue *kl = av(OTLP__ANY_VALUE__VALUE_KVLIST_VALUE);
	Otlp__AnyValue *arr = av(OTLP__ANY_VALUE__VALUE_ARRAY_VALUE);
	uint8_t *p;

	by->bytes_value = hexid("00ff10");
	kl->kvlist_value = arena_alloc(ta, sizeof *kl->kvlist_value);
	otlp__key_value_list__init(kl->kvlist_value);
	kl->kvlist_value->values = kvs(2, kv_str("role", "user"), kv("n", av_int(-3)));
	kl->kvlist_value->n_values = 2;
	arr->array_value = arena_alloc(ta, sizeof *arr->array_value);
	otlp__array_value__init(arr->array_value);
	arr->array_value->values = arena_alloc(ta, 3 * sizeof(Otlp__AnyValue *));
	arr->array_value->values[0] = kl;
	arr->array_value->values[1] = av(OTLP__ANY_VALUE__VALUE__NOT_SET);
	arr->array_value->values[2] = av_str("x\x1ay");
	arr->array_value->n_values = 3;
	sp->attributes = kvs(5, kv("bytes", by), kv("list", arr), kv("empty", NULL),
			     kv_str("input.value", "with a NUL: \x01"), kv("map", kl));
	sp->n_attributes = 5;
	sp->kind = 2;
	otlp__span__link__init(l);
	l->trace_id = hexid(TRACE);
	l->span_id = hexid("125f0fc7132bade8");
	l->attributes = kvs(1, kv_str("link.kind", "follows"));
	l->n_attributes = 1;
	sp->links = &l;
	sp->n_links = 1;
	pstatus(sp, 2, "failed");
	r.attributes = kvs(1, kv_str("service.name", "varied"));
	r.n_attributes = 1;
	sc.version = "2";
	ss.scope = &sc;
	ss.spans = &sp;
	ss.n_spans = 1;
	rs[0].resource = &r;
	rs[0].scope_spans = &ssp;
	rs[0].n_scope_spans = 1;
	rs[1].scope_spans = &ssp;
	rs[1].n_scope_spans = 1;
	req.resource_spans = rsp;
	req.n_resource_spans = 2;
	*len = otlp__export_trace_service_request__get_packed_size(&req);
	p = arena_alloc(ta, *len + 1);
	otlp__export_trace_service_request__pack(&req, p);
	/* The \x01 of input.value made a NUL: one AnyValue string holding it. */
	for (size_t i = 0; i + 1 < *len; i++)
		if (p[i] == ' ' && p[i + 1] == 0x01)
			p[i + 1] = 0;
	return p;
}

/* A request no SDK packs (written by hand): the resource after its scope_spans, the scope
 * after its spans, a schema_url and an unknown field 100, the span kind and the status code
 * as varints past 32 bits (CLIENT and ERROR in their low 32, all an enum keeps), a bool as a
 * two-byte varint. */
static const uint8_t odd_pb[] = {
    0x0a, 0x85, 0x01, 0x12, 0x59, 0x12, 0x48, 0x0a, 0x10, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x12, 0x08, 0x01, 0x02, 0x03, 0x04, 0x05,
    0x06, 0x07, 0x08, 0x30, 0x83, 0x80, 0x80, 0x80, 0x10, 0x4a, 0x08, 0x0a, 0x01, 0x62, 0x12, 0x03,
    0x10, 0x80, 0x01, 0x7a, 0x09, 0x12, 0x01, 0x6d, 0x18, 0x82, 0x80, 0x80, 0x80, 0x10, 0x4a, 0x0f,
    0x0a, 0x06, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x12, 0x05, 0x0a, 0x03, 0x79, 0x65, 0x73, 0x0a,
    0x0d, 0x0a, 0x0b, 0x73, 0x63, 0x6f, 0x70, 0x65, 0x2d, 0x61, 0x66, 0x74, 0x65, 0x72, 0x0a, 0x18,
    0x0a, 0x16, 0x0a, 0x0c, 0x73, 0x65, 0x72, 0x76, 0x69, 0x63, 0x65, 0x2e, 0x6e, 0x61, 0x6d, 0x65,
    0x12, 0x06, 0x0a, 0x04, 0x6c, 0x61, 0x74, 0x65, 0x1a, 0x0e, 0x68, 0x74, 0x74, 0x70, 0x73, 0x3a,
    0x2f, 0x2f, 0x73, 0x63, 0x68, 0x65, 0x6d, 0x61, 0xa0, 0x06, 0x01};

/* A file of the otlp fuzz corpus (t/fuzz/corpus/otlp: a selector byte, then the body). */
static uint8_t *corpus(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	uint8_t *p = arena_alloc(ta, 1 << 16);

	snprintf(path, sizeof path, "%s/%s", OTLP_CORPUS, name);
	ck_assert_ptr_nonnull(f = fopen(path, "rb"));
	*len = fread(p, 1, 1 << 16, f);
	fclose(f);
	ck_assert_uint_gt(*len, 1);
	ck_assert_uint_eq(p[0] & 3, 0); /* protobuf traces */
	(*len)--;
	return p + 1;
}

/* Whether otlp_parse_only (bench/trivial --parse's floor) takes p[0, n). */
static bool parses_only(const uint8_t *p, size_t n)
{
	struct arena *a = arena_new();
	bool ok = otlp_parse_only(a, OTLP_PROTOBUF, p, n);

	arena_free(a);
	return ok;
}

/* Every request and many mutations of each (bytes replaced, often by a field key, bits
 * flipped, bytes cut or put in) decode to the same outcome both ways: a mutation that makes a
 * field come twice goes to protoc-c by the check's rule, one that moves, drops or adds fields
 * stays on the wire reader. otlp_parse_only takes exactly the requests both take. */
START_TEST(wire_reader_equals_unpack)
{
	static const uint8_t keys[] = {0x0a, 0x12, 0x1a, 0x22, 0x2a, 0x30, 0x39, 0x41,
				       0x4a, 0x5a, 0x6a, 0x7a, 0x08, 0x10, 0x18, 0x21,
				       0x00, 0x7f, 0x80, 0xff, 0x01, 0x02};
	const uint8_t *seeds[4];
	size_t lens[4], same = 0, ok = 0;
	uint64_t x = 35;
	struct buf a, b;

	seeds[0] = same_pb(&lens[0]);
	seeds[1] = varied_pb(&lens[1]);
	seeds[2] = corpus("proto-1", &lens[2]); /* the corpus's one protobuf trace request */
	seeds[3] = odd_pb;
	lens[3] = sizeof odd_pb;
	buf_init(&a);
	buf_init(&b);
	for (size_t i = 0; i < 4 * 5000; i++) {
		size_t n = lens[i % 4];
		uint8_t *m = arena_alloc(ta, n + 8);

		memcpy(m, seeds[i % 4], n);
		for (int k = i < 4 ? 0 : 1 + (int)(x % 3); k > 0; k--) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
			size_t at = (size_t)(x >> 16) % n;
			switch ((x >> 8) % 8) {
			case 0:
				n = at; /* cut */
				break;
			case 1:
				memmove(m + at, m + at + 1, n - at - 1); /* a byte out */
				n--;
				break;
			case 2:
				memmove(m + at + 1, m + at, n - at); /* a byte in */
				m[at] = (uint8_t)x;
				n++;
				break;
			case 3:
			case 4:
				m[at] ^= (uint8_t)(1u << (x % 8));
				break;
			default:
				m[at] = keys[(x >> 24) % sizeof keys];
				break;
			}
			if (!n)
				break;
		}
		a.len = b.len = 0;
		outcome(OUT_DECODE, OTLP_PROTOBUF, m, n, &a);
		outcome(OUT_REFERENCE, OTLP_PROTOBUF, m, n, &b);
		ck_assert_msg(a.len == b.len && !memcmp(a.p, b.p, a.len),
			      "input %zu differs:\nwire:   %s\nunpack: %s", i, a.p, b.p);
		ck_assert_msg(parses_only(m, n) == (a.p[0] == '0'),
			      "input %zu: otlp_parse_only disagrees with %s", i, a.p);
		same++;
		ok += a.p[0] == '0';
	}
	buf_free(&a);
	buf_free(&b);
	/* Not only refusals: many mutants decode. */
	ck_assert_uint_gt(ok, same / 10);
}
END_TEST

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

/* ---- every kind of AnyValue, by value ---- */

static Otlp__AnyValue *av_dbl(double d)
{
	Otlp__AnyValue *v = av(OTLP__ANY_VALUE__VALUE_DOUBLE_VALUE);

	v->double_value = d;
	return v;
}

static Otlp__AnyValue *av_bool(bool b)
{
	Otlp__AnyValue *v = av(OTLP__ANY_VALUE__VALUE_BOOL_VALUE);

	v->bool_value = b;
	return v;
}

static Otlp__AnyValue *av_bytes(const char *hex)
{
	Otlp__AnyValue *v = av(OTLP__ANY_VALUE__VALUE_BYTES_VALUE);

	v->bytes_value = hexid(hex);
	return v;
}

/* An ArrayValue of the n values after n. */
static Otlp__AnyValue *av_arr(size_t n, ...)
{
	Otlp__AnyValue *v = av(OTLP__ANY_VALUE__VALUE_ARRAY_VALUE);
	va_list ap;

	v->array_value = arena_alloc(ta, sizeof *v->array_value);
	otlp__array_value__init(v->array_value);
	v->array_value->values = arena_alloc(ta, (n ? n : 1) * sizeof(Otlp__AnyValue *));
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		v->array_value->values[i] = va_arg(ap, Otlp__AnyValue *);
	va_end(ap);
	v->array_value->n_values = n;
	return v;
}

/* A KeyValueList of the n KeyValues kv. */
static Otlp__AnyValue *av_kvl(size_t n, Otlp__KeyValue **kv)
{
	Otlp__AnyValue *v = av(OTLP__ANY_VALUE__VALUE_KVLIST_VALUE);

	v->kvlist_value = arena_alloc(ta, sizeof *v->kvlist_value);
	otlp__key_value_list__init(v->kvlist_value);
	v->kvlist_value->values = kv;
	v->kvlist_value->n_values = n;
	return v;
}

/* What a span's raw_attributes hold for each kind of AnyValue, written out: the value path
 * (the wire, the mapping, the line's text) must give these bytes, read off the wire and by
 * protoc-c's unpack alike. Strings with every escape the line makes and characters of 2 to 4
 * bytes; the int64 extremes; -0, NaN and the infinities (proto3 JSON's strings); bytes as hex;
 * empty and nested lists and maps; an AnyValue with no value and a KeyValue with none (null:
 * not kept). A string that is not UTF-8 is refused whole, as before. */
START_TEST(every_any_value_kind)
{
	Otlp__Span *sp = pspan(TRACE, SPAN, NULL, "kinds", 1795238683124000000ULL, 0);
	size_t len;
	uint8_t *pb;
	Otlp__KeyValue **attrs = kvs(
	    23, kv_str("s.escapes", "q\"b\\s/t\tn\nr\rf\fb\bc\x01\x1f del\x7f"),
	    kv_str("s.wide", "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x80\xa8"),
	    kv_str("s.empty", ""), kv("i.max", av_int(INT64_MAX)), kv("i.min", av_int(INT64_MIN)),
	    kv("i.zero", av_int(0)), kv("d.negzero", av_dbl(-0.0)), kv("d.nan", av_dbl(NAN)),
	    kv("d.inf", av_dbl(INFINITY)), kv("d.ninf", av_dbl(-INFINITY)),
	    kv("d.tenth", av_dbl(0.1)), kv("d.big", av_dbl(1e300)), kv("d.whole", av_dbl(3.0)),
	    kv("b.true", av_bool(true)), kv("b.false", av_bool(false)),
	    kv("bytes", av_bytes("00ff10")), kv("bytes.empty", av_bytes("")),
	    kv("list.empty", av_arr(0)),
	    kv("list", av_arr(4, av_str("a\"b"), av_int(-7), av_arr(1, av_bool(false)),
			      av_kvl(1, kvs(1, kv("x", av_dbl(-0.0)))))),
	    kv("map.empty", av_kvl(0, NULL)),
	    kv("map", av_kvl(2, kvs(2, kv("inner", av_kvl(1, kvs(1, kv_str("k", "v")))),
				    kv("n", av_arr(1, av_int(INT64_MIN)))))),
	    kv("none", av(OTLP__ANY_VALUE__VALUE__NOT_SET)), kv("no.value", NULL));
	static const char want[] =
	    "{\"service.name\":\"kinds\",\"s.escapes\":\"q\\\"b\\\\s/t\\tn\\nr\\rf\\fb\\bc\\u0001"
	    "\\u001f del\x7f\",\"s.wide\":\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x80\xa8\","
	    "\"s.empty\":\"\",\"i.max\":9223372036854775807,\"i.min\":-9223372036854775808,"
	    "\"i.zero\":0,\"d.negzero\":-0.0,\"d.nan\":\"NaN\",\"d.inf\":\"Infinity\","
	    "\"d.ninf\":\"-Infinity\",\"d.tenth\":0.1,\"d.big\":1e+300,\"d.whole\":3.0,"
	    "\"b.true\":true,\"b.false\":false,\"bytes\":\"00ff10\",\"bytes.empty\":\"\","
	    "\"list.empty\":[],\"list\":[\"a\\\"b\",-7,[false],{\"x\":-0.0}],\"map.empty\":{},"
	    "\"map\":{\"inner\":{\"k\":\"v\"},\"n\":[-9223372036854775808]},\"otel.scope\":"
	    "{\"name\":\"demo-instrumentation\",\"version\":\"0.1.0\"}}";

	sp->attributes = attrs;
	sp->n_attributes = 23;
	pb = pack(&sp, 1, kvs(1, kv_str("service.name", "kinds")), 1, &len);
	for (int how = 0; how < 2; how++) {
		struct otlp_result r;
		struct err e;
		struct buf b, line;

		ck_assert_int_eq(
		    how ? otlp_decode_reference(ta, WS, OTLP_PROTOBUF, pb, len, NOW, &r, &e)
			: otlp_decode(ta, WS, OTLP_PROTOBUF, pb, len, NOW, &r, &e),
		    ST_OK);
		ck_assert_uint_eq(r.nspans, 1);
		buf_init(&b);
		buf_init(&line);
		jsonw_value(&b, r.spans[0].raw_attributes);
		ck_assert_msg(!strcmp(b.p, want), "%s:\n got  %s\n want %s",
			      how ? "unpack" : "wire", b.p, want);
		/* The line holds that text as a JSON string, read back the same. */
		r.spans[0].ingested_at = NOW;
		span_render(&r.spans[0], &line);
		struct span back;
		json_t *root;
		ck_assert(span_parse(line.p, line.len, &back, &root));
		b.len = 0;
		jsonw_value(&b, back.raw_attributes);
		ck_assert_str_eq(b.p, want);
		span_clear(&back);
		json_decref(root);
		buf_free(&b);
		buf_free(&line);
		otlp_result_free(&r);
	}
	/* A string that is not UTF-8: refused, its field named. */
	attrs[0] = kv_str("s.bad", "caf\xe9");
	pb = pack(&sp, 1, kvs(1, kv_str("service.name", "kinds")), 1, &len);
	expect_refused(pb, len, OTLP_PROTOBUF, "not valid UTF-8");
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("otlp_wire");
	TCase *e = tcase_create("encodings"), *h = tcase_create("hostile");

	tcase_add_checked_fixture(e, setup, teardown);
	tcase_add_checked_fixture(h, setup, teardown);
	tcase_add_test(e, protobuf_equals_json);
	tcase_add_test(e, span_attributes_over_resource);
	tcase_add_test(e, wire_reader_equals_unpack);
	tcase_add_test(e, every_any_value_kind);
	tcase_add_test(h, truncated_protobuf);
	check_otlp_hostile(h);
	suite_add_tcase(s, e);
	suite_add_tcase(s, h);
	return s;
}
