/* check_otlp_hostile: hostile OTLP trace requests on the wire (wrong wire types, overflowing
 * varints, too deep, invalid UTF-8, too many attributes, OTLP/JSON of the wrong shape), refused
 * whole, none crashing; the suite of check_otlp_wire.c, which cuts its own request short
 * (truncated_protobuf). Protobuf inputs are written by hand (a backwards writer) where they must
 * be malformed or deeper than pack could recurse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t/check_otlp.h"

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

void check_otlp_hostile(TCase *h)
{
	tcase_add_test(h, wrong_wire_types);
	tcase_add_test(h, overflowing_varints);
	tcase_add_test(h, kvlist_nesting_10000);
	tcase_add_test(h, depth_limit_exact);
	tcase_add_test(h, invalid_utf8);
	tcase_add_test(h, attributes_100000);
	tcase_add_test(h, json_shape_errors);
}
