/* check_otlp: the OTLP trace decoders (lib/ingest/otlp.c, otlp_json.c, otlp_pb.c): ids and
 * times, the AnyValues and the resource merged into the attributes, the spans refused one by
 * one, and the response in both encodings. The mapping is t/check_otlp_map.c; protobuf against
 * OTLP/JSON and hostile input t/check_otlp_wire.c. */
#include <string.h>

#include "t/check_otlp.h"
#include "proto/otlp_trace.pb-c.h"
#include "lib/base/buf.h"
#include "lib/json/jsonw.h"
#include "lib/json/jsonx.h"

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

/* The text path (lib/ingest/otlp_jtext.c) reads the bodies it is sure of, whatever their
 * members' order, spacing, escapes or values of other shapes, and gives the tree path's
 * outcome; every body it is not sure of it leaves to the tree (json_same compares the three). */
START_TEST(text_path_as_tree)
{
#define ENV(spans)                                                                                 \
	"{\"resourceSpans\":[{\"resource\":{\"attributes\":[" A(                                   \
	    "service.name",                                                                        \
	    "svc") "]},\"scopeSpans\":[{\"scope\":{\"name\":\"s\"},\"spans\":[" spans "]}]}]}"
#define SP(f) "{" IDS "," f "}"
	static const struct {
		const char *body;
		bool taken;
	} cases[] = {
	    {ENV(SP("\"name\":\"a\",\"attributes\":[" A("k", "v") "]")), true},
	    /* Members in any order, unknown ones, spacing, escapes in names and values. */
	    {" { \"x\" : [1, {\"y\": null}] , \"resourceSpans\" : [ { \"scopeSpans\" : [ { "
	     "\"spans\" : [ { \"name\" : \"n\\u00e9\\\"q\" , \"flags\" : 256 , \"spanId\" : "
	     "\"EEE19B7EC3C1B174\" , \"traceId\" : \"5b8efff798038103d269b633813fc60c\" , "
	     "\"attributes\" : [ { \"key\" : \"k\" , \"value\" : { \"stringValue\" : \"v\\n\" } } "
	     ", {\"value\":{\"stringValue\":\"first\"},\"key\":\"later\"} , {\"k\\u0065y\":\"esc\","
	     "\"value\":{\"intValue\":7}} , {\"key\":\"a\\\"b\",\"value\":{\"stringValue\":\"c\"}} "
	     "] "
	     ", \"droppedAttributesCount\" : 0 } ] } ] } ] } ",
	     true},
	    /* Every kind of value, events, links, status, kind by name, times as numbers. */
	    {ENV(SP(
		 "\"name\":\"tool\",\"kind\":\"SPAN_KIND_SERVER\",\"startTimeUnixNano\":"
		 "1544712660000000000,\"endTimeUnixNano\":\"1544712661000000000\",\"parentSpanId\":"
		 "null,\"status\":{\"code\":2,\"message\":\"boom\"},\"attributes\":["
		 "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"over\"}},"
		 "{\"key\":\"b\",\"value\":{\"boolValue\":true}},"
		 "{\"key\":\"d\",\"value\":{\"doubleValue\":\"NaN\"}},"
		 "{\"key\":\"y\",\"value\":{\"bytesValue\":\"3q2+7w==\"}},"
		 "{\"key\":\"arr\",\"value\":{\"arrayValue\":{\"values\":[{\"stringValue\":\"x\"},"
		 "{\"intValue\":\"1\"},{}]}}},"
		 "{\"key\":\"kv\",\"value\":{\"kvlistValue\":{\"values\":[" A(
		     "role",
		     "user") "]}}},"
			     "{\"key\":\"b\",\"value\":{\"stringValue\":\"again\"}},"
			     "{\"key\":\"none\"}],"
			     "\"events\":[{\"name\":\"exception\",\"timeUnixNano\":"
			     "\"1544712660500000000\","
			     "\"attributes\":[" A(
				 "exception.message",
				 "bad") "]}],"
					"\"links\":[{\"traceId\":\"" TRACE
					"\",\"spanId\":\"0102030405060708\"}]") "," SP("\"name\":"
										       "\"second\","
										       "\"kind\":"
										       "3")),
	     true},
	    /* A lone surrogate is U+FFFD (JSONX_REPLACE); a span the mapping rejects. */
	    {ENV(SP("\"name\":\"\\ud800x\"") ",{\"traceId\":\"" TRACE "\"}"), true},
	    /* No resource, no scope, two resourceSpans, empty lists. */
	    {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[" SP(
		 "\"name\":\"a\"") "]}]},"
				   "{\"resource\":{},\"scopeSpans\":[]},{}]}",
	     true},
	    {"{}", true},
	    /* Left to the tree: a member twice (the tree keeps the last), a resource after its
	     * scopeSpans, a scope after its spans, the list named twice. */
	    {ENV(SP("\"name\":\"a\",\"name\":\"b\"")), false},
	    {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[" SP(
		 "\"name\":\"a\"") "]}],"
				   "\"resource\":{\"attributes\":[" A("service.name",
								      "svc") "]}}]}",
	     false},
	    {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[" SP(
		 "\"name\":\"a\"") "],"
				   "\"scope\":{\"name\":\"late\"}}]}]}",
	     false},
	    {"{\"resourceSpans\":[],\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[" SP(
		 "\"name\":\"a\"") "]}]}]}",
	     false},
	    /* Shapes the tree reads or refuses itself: null lists, not an object, not JSON. */
	    {"{\"resourceSpans\":null}", false},
	    {ENV(SP("\"attributes\":null,\"events\":null")), true},
	    {"[]", false},
	    {ENV(SP("\"name\":\"a\"")) " x", false},
	    {ENV(SP("\"name\":\"a\",\"attributes\":{}")), false},
	    {ENV(SP("\"name\":7")), false},
	    {ENV(SP("\"startTimeUnixNano\":\"soon\"")), false},
	    {ENV("{\"traceId\":5}"), false},
	    {ENV(SP("\"attributes\":[{\"key\":1,\"value\":{}}]")), false},
	    {ENV(SP("\"attributes\":[" A("k", "v") ",7]")), false},
	    {ENV(SP("\"events\":[7]")), false},
	    {ENV("7"), false},
	    {ENV(SP("\"name\":\"unterminated")), false},
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		bool taken = json_same(cases[i].body, strlen(cases[i].body));
		if (taken != cases[i].taken)
			ck_abort_msg("case %zu: the text path %s it", i, taken ? "took" : "left");
	}
#undef SP
#undef ENV
}
END_TEST

/* At the attributes' limit the text path reads the body, past it (the tree refuses it) it
 * leaves it; values nested to JSONX_MAX_DEPTH and past it as the tree; past
 * JSONX_MAX_VALUES (a member no rule reads) it leaves the body. */
START_TEST(text_path_limits)
{
	struct buf b;

	buf_init(&b);
	for (int over = 0; over < 2; over++) {
		b.len = 0;
		buf_adds(&b, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{" IDS
			     ",\"attributes\":[");
		for (int i = 0; i < OTLP_MAX_ATTRS + over; i++)
			buf_printf(&b, "%s{\"key\":\"k%d\",\"value\":{\"stringValue\":\"v\"}}",
				   i ? "," : "", i);
		buf_adds(&b, "]}]}]}]}");
		ck_assert_int_eq(json_same(b.p, b.len), !over);
	}
	for (int over = 0; over < 2; over++) {
		/* The request, resourceSpans, scopeSpans, spans, a span, attributes, a KeyValue
		 * and its value: 8 levels; kvlists the rest, nested past JSONX_MAX_DEPTH. */
		b.len = 0;
		buf_adds(&b, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{" IDS
			     ",\"attributes\":[{\"key\":\"k\",\"value\":");
		int levels = (JSONX_MAX_DEPTH - 8) / 4 + over;
		for (int i = 0; i < levels; i++)
			buf_adds(&b, "{\"kvlistValue\":{\"values\":[{\"key\":\"k\",\"value\":");
		buf_adds(&b, "{\"stringValue\":\"v\"}");
		for (int i = 0; i < levels; i++)
			buf_adds(&b, "}]}}");
		buf_adds(&b, "}]}]}]}]}");
		json_same(b.p, b.len);
	}
	b.len = 0;
	buf_adds(&b, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{" IDS ",\"x\":[");
	for (int i = 0; i <= JSONX_MAX_VALUES; i++)
		buf_adds(&b, i ? ",0" : "0");
	buf_adds(&b, "]}]}]}]}");
	ck_assert(!json_same(b.p, b.len));
	buf_free(&b);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("otlp");
	TCase *d = tcase_create("decoding");

	tcase_add_checked_fixture(d, setup, teardown);
	tcase_add_test(d, ids_and_times);
	tcase_add_test(d, bad_ids_rejected_per_span);
	tcase_add_test(d, full_success_response);
	tcase_add_test(d, any_values_and_resource_merge);
	tcase_add_test(d, text_path_as_tree);
	tcase_add_test(d, text_path_limits);
	suite_add_tcase(s, d);
	return s;
}
