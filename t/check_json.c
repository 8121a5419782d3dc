/* check_json: lib/json's reader of request bodies and stored lines (jsonx) and the list of
 * validation errors (verr), the "core" case of t/check_http. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/http/http.h"
#include "lib/base/buf.h"
#include "lib/json/jsonw.h"
#include "lib/json/jsonx.h"
#include "lib/json/jeach.h"

/* JSON_EACH and JSON_EACH_SAFE (lib/json/jeach.h) against jansson's own loops: objects of 0 to
 * 40 members, some keys set twice (a key keeps its first place), each walked both ways, the
 * same keys and values in the same order; then every member of a random choice deleted from
 * inside the safe loop, the object left with exactly the others, in order. */
START_TEST(json_each_is_foreach)
{
	unsigned seed = 57;
	for (int round = 0; round < 2000; round++) {
		json_t *o = json_object(), *v, *w;
		size_t n = (size_t)(rand_r(&seed) % 41), seen = 0, i = 0;
		const char *k, *kk, *keys[64];
		json_t *vals[64];
		for (size_t m = 0; m < n; m++) {
			char key[16];
			snprintf(key, sizeof key, "k%d", rand_r(&seed) % 48);
			json_object_set_new(o, key, json_integer(rand_r(&seed)));
		}
		json_object_foreach(o, k, v)
		{
			keys[seen] = k;
			vals[seen++] = v;
		}
		JSON_EACH(o, it, kk, w)
		{
			ck_assert_uint_lt(i, seen);
			ck_assert_ptr_eq(kk, keys[i]);
			ck_assert_ptr_eq(w, vals[i]);
			i++;
		}
		ck_assert_uint_eq(i, seen);
		ck_assert_uint_eq(seen, json_object_size(o));
		/* Delete a random choice from inside the loop; keep the expected rest. */
		json_t *rest = json_object();
		i = 0;
		JSON_EACH_SAFE(o, it, next, kk, w)
		{
			ck_assert_uint_lt(i, seen);
			ck_assert_ptr_eq(kk, keys[i]);
			i++;
			if (rand_r(&seed) % 3)
				json_object_set(rest, kk, w);
			else
				json_object_del(o, kk);
		}
		ck_assert_uint_eq(i, seen);
		ck_assert(json_equal(o, rest));
		const char *a, *b;
		void *ib = json_object_iter(rest);
		json_object_foreach(o, a, v)
		{
			ck_assert_ptr_nonnull(ib);
			b = json_object_iter_key(ib);
			ck_assert_str_eq(a, b);
			ib = json_object_iter_next(rest, ib);
		}
		ck_assert_ptr_null(ib);
		json_decref(rest);
		json_decref(o);
	}
}
END_TEST

TCase *check_json_tcase(void);
char *nested(int depth);

/* depth nested empty arrays, malloc'd (t/check_http's bodies too). */
char *nested(int depth)
{
	char *s = malloc(2 * (size_t)depth + 1);

	for (int i = 0; i < depth; i++) {
		s[i] = '[';
		s[2 * depth - 1 - i] = ']';
	}
	s[2 * depth] = '\0';
	return s;
}

START_TEST(verr_order)
{
	struct verrs v;
	char *s;

	verrs_init(&v);
	ck_assert_uint_eq(verrs_count(&v), 0);
	verrs_add(&v, json_pack("[s,s,i,s]", "body", "spans", 3, "span_id"), "missing",
		  "Field required", NULL);
	verrs_add_ctx(&v, json_pack("[s]", "body"), "string_too_long", "too long", json_string("x"),
		      json_pack("{s:i}", "max_length", 1));
	ck_assert_uint_eq(verrs_count(&v), 2);
	s = json_dumps(v.list, JSON_COMPACT);
	ck_assert_str_eq(s, "[{\"type\":\"missing\",\"loc\":[\"body\",\"spans\",3,\"span_id\"],"
			    "\"msg\":\"Field required\"},{\"type\":\"string_too_long\","
			    "\"loc\":[\"body\"],\"msg\":\"too long\",\"input\":\"x\","
			    "\"ctx\":{\"max_length\":1}}]");
	free(s);
	verrs_free(&v);
}
END_TEST

static json_t *parse(const char *s, size_t *pos, char *msg)
{
	struct err e;
	json_t *v = jsonx_parse(s, strlen(s), pos, &e);
	if (!v)
		snprintf(msg, 128, "%.127s", e.msg);
	return v;
}

START_TEST(jsonx_grammar)
{
	char msg[128];
	size_t pos = 0;
	json_t *v;

	/* escapes, including a surrogate pair (RFC 8259 section 7), decode to UTF-8 */
	v = parse("[\"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\"]", &pos, msg);
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(json_string_value(json_array_get(v, 0)),
			 "a\"b\\c/d\n\xc3\xa9\xf0\x9f\x98\x80");
	json_decref(v);
	/* numbers: integers stay integers, the rest are reals; -0, exponents */
	v = parse("[0, -12, 9223372036854775807, 1.5, -2e3, 1E-2]", &pos, msg);
	ck_assert(json_is_integer(json_array_get(v, 1)));
	ck_assert_int_eq(json_integer_value(json_array_get(v, 2)), INT64_MAX);
	ck_assert(json_is_real(json_array_get(v, 3)));
	ck_assert(json_real_value(json_array_get(v, 4)) == -2000.0);
	json_decref(v);
	/* the last duplicate key wins */
	v = parse("{\"k\": 1, \"k\": 2}", &pos, msg);
	ck_assert_int_eq(json_integer_value(json_object_get(v, "k")), 2);
	json_decref(v);
	/* each refused with its position */
	static const struct {
		const char *in;
		size_t pos;
	} bad[] = {
	    {"9223372036854775808", 0},
	    {"[01]", 2},
	    {"[1.]", 1},
	    {"[-]", 1},
	    {"\"\\ud800\"", 1},
	    {"\"\\udc00x\"", 1},
	    {"\"\\x\"", 1},
	    {"\"a\tb\"", 2},
	    {"{\"a\" 1}", 5},
	    {"[1 2]", 3},
	    {"tru", 0},
	    {"", 0},
	    {"\"abc", 0},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ck_assert_msg(!parse(bad[i].in, &pos, msg), "accepted %s", bad[i].in);
		ck_assert_msg(pos == bad[i].pos, "%s: position %zu, expected %zu (%s)", bad[i].in,
			      pos, bad[i].pos, msg);
	}
}
END_TEST

/* s[0..n) as a JSON string, a byte a step: jsonw_string's escapes (RFC 8259 section 7: '"',
 * '\\', \b \t \n \f \r, every other control as \u00xx), for its bytes to be compared. */
static void escape_ref(struct buf *b, const char *s, size_t n)
{
	static const char named[] = "\"\\\b\t\n\f\r", as[] = "\"\\btnfr";
	buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *k = c ? strchr(named, c) : NULL;
		char u[8];
		if (k) {
			buf_addc(b, '\\');
			buf_addc(b, as[k - named]);
		} else if (c < 0x20) {
			snprintf(u, sizeof u, "\\u%04x", c);
			buf_add(b, u, 6);
		} else {
			buf_addc(b, (char)c);
		}
	}
	buf_addc(b, '"');
}

/* Strings through jsonw_string and back through jsonx and jansson's json_loadb, with the
 * bytes that need attention ('"', '\\', controls, non-ASCII) at every offset of the 16- and
 * 8-byte steps of jscan_plain and of jsonw_string's own: the bytes escape_ref writes, the same
 * bytes come back, the written text holds no raw control, and a string written with no escape
 * is read as a slice of the input. */
START_TEST(jsonx_strings_round_trip)
{
	static const char *const odd[] = {"\"",
					  "\\",
					  "\x01",
					  "\x1f",
					  "\n",
					  "\x7f",
					  " ",
					  "/",
					  "\xc3\xa9",
					  "\xe4\xb8\xad",
					  "\xf0\x9f\x98\x80"};
	unsigned seed = 35;
	for (int k = 0; k < 4000; k++) {
		char in[256];
		size_t n = 0, len = (size_t)rand_r(&seed) % (k % 2 ? 70 : 240);
		while (n < len) {
			const char *piece =
			    rand_r(&seed) % (k % 3 ? 4 : 2) ? "a" : odd[rand_r(&seed) % 11];
			memcpy(in + n, piece, strlen(piece));
			n += strlen(piece);
		}
		struct buf b;
		buf_init(&b);
		jsonw_string(&b, in, n);
		struct buf ref;
		buf_init(&ref);
		escape_ref(&ref, in, n);
		ck_assert_uint_eq(b.len, ref.len);
		ck_assert(!memcmp(b.p, ref.p, b.len));
		buf_free(&ref);
		for (size_t i = 0; i < b.len; i++)
			ck_assert_msg((unsigned char)b.p[i] >= 0x20, "raw control at %zu", i);
		size_t pos;
		json_t *v = jsonx_parse(b.p, b.len, &pos, NULL);
		ck_assert_msg(v && json_is_string(v), "jsonx refused %s at %zu", b.p, pos);
		ck_assert_uint_eq(json_string_length(v), n);
		ck_assert(!memcmp(json_string_value(v), in, n));
		json_decref(v);
		json_error_t err;
		v = json_loadb(b.p, b.len, JSON_DECODE_ANY, &err);
		ck_assert_msg(v && json_string_length(v) == n &&
				  !memcmp(json_string_value(v), in, n),
			      "jansson: %s", err.text);
		json_decref(v);
		buf_free(&b);
	}
}
END_TEST

/* Strings of 0 to 17 bytes (jsonw_string's short path, jw_short: two loads that overlap, 8 or 4
 * bytes from each end, or three bytes) with one byte that needs an escape at every place and
 * with none, among bytes at the edges of the tests (' ', '!', '#', '[', ']', 0x7f, 0x80, 0xff),
 * appended after other text: the bytes escape_ref writes. */
START_TEST(jsonw_short_strings)
{
	static const unsigned char bad[] = {'"', '\\', 0, 0x1f, '\n', 1},
				   ok[] = {' ', '!', '#', '[', ']', 0x7f, 0x80, 0xff, 'a'};
	for (size_t n = 0; n <= 17; n++)
		for (size_t at = 0; at <= n; at++) /* at == n: no byte to escape */
			for (size_t k = 0; k < sizeof bad; k++) {
				char in[17];
				for (size_t i = 0; i < n; i++)
					in[i] = (char)ok[(i + k + n) % sizeof ok];
				if (at < n)
					in[at] = (char)bad[k];
				struct buf b, ref;
				buf_init(&b);
				buf_init(&ref);
				buf_add(&b, "[1,", 3);
				buf_add(&ref, "[1,", 3);
				jsonw_string(&b, in, n);
				escape_ref(&ref, in, n);
				ck_assert_uint_eq(b.len, ref.len);
				ck_assert_msg(!memcmp(b.p, ref.p, b.len), "%zu bytes, at %zu", n,
					      at);
				ck_assert(!b.p[b.len]);
				buf_free(&b);
				buf_free(&ref);
			}
}
END_TEST

START_TEST(jsonx_limits)
{
	char msg[128];
	size_t pos = 0;
	char *deep = nested(JSONX_MAX_DEPTH + 1);
	json_t *v;

	/* brackets inside strings, and escaped quotes, do not count */
	v = parse("[\"[[[[\\\"[[[[\", {\"{{\": \"}}}\"}]", &pos, msg);
	ck_assert_ptr_nonnull(v);
	json_decref(v);
	/* mixed objects and arrays: 64 levels fine, the 65th refused at its byte */
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < JSONX_MAX_DEPTH / 2; i++)
		buf_adds(&b, "{\"k\":[");
	buf_adds(&b, "1");
	for (int i = 0; i < JSONX_MAX_DEPTH / 2; i++)
		buf_adds(&b, "]}");
	v = parse(b.p, &pos, msg);
	ck_assert_ptr_nonnull(v);
	json_decref(v);
	buf_free(&b);
	ck_assert_ptr_null(parse(deep, &pos, msg));
	ck_assert_uint_eq(pos, JSONX_MAX_DEPTH);
	ck_assert_str_eq(msg, "nesting deeper than 64 levels");
	free(deep);
	/* top-level scalars are JSON too (RFC 8259 section 2) */
	v = parse("42", &pos, msg);
	ck_assert_int_eq(json_integer_value(v), 42);
	json_decref(v);
	ck_assert_ptr_null(parse("[1] x", &pos, msg));
	ck_assert_str_eq(msg, "end of data expected");
	ck_assert_ptr_null(jsonx_parse("[\"a\0\"]", 6, &pos, NULL));
	ck_assert_uint_eq(pos, 3);
	/* JSONX_MAX_VALUES values, the array one of them; one more is refused at its byte, and a
	 * stored line (JSONX_DEEP) has no such limit */
	buf_init(&b);
	buf_addc(&b, '[');
	for (int i = 1; i < JSONX_MAX_VALUES; i++)
		buf_adds(&b, i > 1 ? ",0" : "0");
	buf_addc(&b, ']');
	v = parse(b.p, &pos, msg);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(json_array_size(v), JSONX_MAX_VALUES - 1);
	json_decref(v);
	b.p[b.len - 1] = ',';
	buf_adds(&b, "0]");
	ck_assert_ptr_null(parse(b.p, &pos, msg));
	ck_assert_uint_eq(pos, b.len - 2);
	ck_assert_str_eq(msg, "more than 1000000 values (JSONX_MAX_VALUES)");
	v = jsonx_parse_with(b.p, b.len, JSONX_DEEP, &pos, NULL);
	ck_assert_ptr_nonnull(v);
	json_decref(v);
	buf_free(&b);
}
END_TEST

/* The reading of stored lines (lib/model's line_parse): a name twice in one object refused,
 * nesting as deep as jansson's json_loadb took it, and every line taken as it took it. */
START_TEST(jsonx_line_flags)
{
	size_t pos;
	const char *dup = "{\"a\":1,\"b\":{\"a\":1},\"a\":2}";
	json_t *v = jsonx_parse(dup, strlen(dup), &pos, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(v, "a")), 2); /* the last wins */
	json_decref(v);
	struct err e = {0};
	ck_assert_ptr_null(jsonx_parse_with(dup, strlen(dup), JSONX_NO_DUPLICATES, &pos, &e));
	ck_assert_str_eq(e.msg, "duplicate object key");
	ck_assert_ptr_null(json_loadb(dup, strlen(dup), JSON_REJECT_DUPLICATES, NULL));
	for (int d = JSONX_MAX_DEPTH + 1; d <= JSONX_DEEP_DEPTH + 1;
	     d += JSONX_DEEP_DEPTH - JSONX_MAX_DEPTH) {
		char *deep = nested(d);
		v = jsonx_parse_with(deep, strlen(deep), JSONX_DEEP, &pos, NULL);
		json_t *ref = json_loadb(deep, strlen(deep), JSON_DECODE_ANY, NULL);
		ck_assert_int_eq(!v, d > JSONX_DEEP_DEPTH);
		ck_assert_int_eq(!ref, d > JSONX_DEEP_DEPTH);
		json_decref(v);
		json_decref(ref);
		free(deep);
	}
	static const char *const same[] = {
	    "\t{\"a\":[1,-0,-0.0,1E2,1e-400,-9223372036854775808]}\r\n",
	    "{\"s\":\"\\ud834\\udd1e \\u0041\\/\"}",
	    "{\"a\":\"\\udc00\"}",
	    "{\"a\":01}",
	    "{\"a\":1e400}",
	    "{\"a\":\"\\u0000\"}",
	    "{\"a\":\"\xff\"}",
	    "{\"a\":1} x"};
	for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
		v = jsonx_parse_with(same[i], strlen(same[i]), JSONX_NO_DUPLICATES | JSONX_DEEP,
				     &pos, NULL);
		json_t *ref = json_loadb(same[i], strlen(same[i]), JSON_REJECT_DUPLICATES, NULL);
		ck_assert_msg(!v == !ref && (!v || json_equal(v, ref)), "%s", same[i]);
		json_decref(v);
		json_decref(ref);
	}
}
END_TEST

/* jsonw_number's shortest double against the snprintf tries it shortcuts (short_decimal: a
 * decimal of at most 15 digits over 10^1 to 10^22): decimals of 1 to 17 digits at every scale
 * and sign, random doubles, and the edges of %g's fixed and exponent forms. */
static void number_ref(double v, char *out, size_t cap)
{
	for (int prec = fabs(v) < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
		snprintf(out, cap, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			break;
	}
}

static void number_same(double v)
{
	char want[40];
	struct buf b;
	if (!isfinite(v) || (v == floor(v) && fabs(v) < 1e15))
		return; /* written as integers before the tries */
	number_ref(v, want, sizeof want);
	buf_init(&b);
	jsonw_number(&b, v);
	ck_assert_msg(!strcmp(b.p, want), "%.17g: %s, not %s", v, b.p, want);
	buf_free(&b);
}

/* Random decimals and doubles against the reference, one of each a round: SHORTEST_ROUNDS in
 * make check, SHORTEST_FULL_ROUNDS with SPANDEX_FULL=1. 200,000 rounds made the core case
 * 1.7 s of CPU, which a loaded machine stretched past Check's old 4 s (issue 54); 20,000 make
 * it 0.6 s. The edges above are where a mismatch would be; the random ones sweep between. */
#define SHORTEST_ROUNDS 20000
#define SHORTEST_FULL_ROUNDS 2000000

START_TEST(jsonw_shortest)
{
	static const double edge[] = {0.1,
				      0.2 + 0.1,
				      1e-4,
				      1e-5,
				      1.5e-5,
				      0.00012345,
				      0.0001234567890123,
				      1e-22,
				      1.5e-22,
				      1e-23,
				      5e-324,
				      2.2250738585072014e-308,
				      123456789012345.6,
				      99999999999999.99,
				      999999999999999.9,
				      0.999999999999999,
				      0.9999999999999999,
				      1.0 / 3,
				      2.0 / 3,
				      0.007933,
				      1e15 + 0.5,
				      4503599627370495.5,
				      1e-7,
				      9.5e-5};
	unsigned seed = 35;
	for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) {
		number_same(edge[i]);
		number_same(-edge[i]);
	}
	const char *full = getenv("SPANDEX_FULL");
	int rounds = full && !strcmp(full, "1") ? SHORTEST_FULL_ROUNDS : SHORTEST_ROUNDS;
	for (int i = 0; i < rounds; i++) {
		char t[64];
		uint64_t d = ((uint64_t)rand_r(&seed) << 31 | (uint64_t)rand_r(&seed)) << 2 |
			     (uint64_t)(rand_r(&seed) & 3);
		int digits = 1 + rand_r(&seed) % 17, scale = rand_r(&seed) % 30;
		uint64_t mod = 1;
		for (int k = 0; k < digits; k++)
			mod *= 10;
		snprintf(t, sizeof t, "%s%llue-%d", rand_r(&seed) % 2 ? "-" : "",
			 (unsigned long long)(d % mod), scale);
		number_same(strtod(t, NULL));
		uint64_t bits = (uint64_t)rand_r(&seed) << 33 ^ (uint64_t)rand_r(&seed) << 11 ^
				(uint64_t)rand_r(&seed);
		double r;
		memcpy(&r, &bits, sizeof r);
		number_same(r);
	}
}
END_TEST

/* jsonx_rd_name with whitespace before the name: the name's end is counted from its '"'. Each
 * text in a heap block of its exact size, so that a compare past it is a sanitizer's (and
 * valgrind's) report; the spaces before "ab" at the body's end were once skipped after the
 * end was counted, and the compare ran two bytes past the block. */
START_TEST(jsonx_name_after_spaces)
{
	static const struct {
		const char *text;
		bool named;
		size_t i; /* r.i after */
	} c[] = {
	    {"{   \"", false, 4},	  {"{   \"a", false, 4},       {"{ \"ab\":1}", true, 7},
	    {"{\n\t\"ab\" :1}", true, 9}, {"{  \"abc\":1}", false, 3}, {"{\"ab\"", false, 1},
	};
	for (size_t k = 0; k < sizeof c / sizeof *c; k++) {
		size_t n = strlen(c[k].text);
		char *p = malloc(n);
		ck_assert_ptr_nonnull(p);
		memcpy(p, c[k].text, n);
		struct jsonx_rd r;
		jsonx_rd_init(&r, p, n);
		ck_assert(jsonx_rd_open(&r, '{'));
		ck_assert_msg(jsonx_rd_name(&r, "ab", 2) == c[k].named, "%s", c[k].text);
		ck_assert_uint_eq(r.i, c[k].i);
		free(p);
	}
}
END_TEST

/* jsonx_rd_written at the start of s[0..n) against what it claims: it takes the bytes exactly
 * when the value jsonx_rd_value reads there is written by jsonw_value as those bytes, counted
 * as jsonx_rd_value counts it; when it does not, the reader is where it was and jsonx_rd_value
 * reads the same value (or refuses the same text). Whether it took them. */
static bool written_same(const char *s, size_t n)
{
	struct jsonx_rd r, q;
	const char *t;
	size_t tn;
	struct buf w;
	buf_init(&w);
	jsonx_rd_init(&q, s, n);
	json_t *v = jsonx_rd_value(&q);
	if (v)
		jsonw_value(&w, v);
	size_t at = 0; /* whitespace before the value is the reader's, not the value's */
	while (at < n && strchr(" \t\r\n", s[at]) && s[at])
		at++;
	bool same = v && w.len == q.i - at && !memcmp(w.p, s + at, w.len);
	jsonx_rd_init(&r, s, n);
	bool got = jsonx_rd_written(&r, &t, &tn);
	ck_assert_msg(got == same, "%.*s: taken %d, jsonw_value's bytes %d", (int)n, s, got, same);
	if (got) {
		ck_assert(t == s + at && tn == q.i - at && r.i == q.i);
		ck_assert_uint_eq(r.values, q.values);
		ck_assert_int_eq(r.depth, 0);
	} else {
		ck_assert(r.i == at && r.values == 0 && r.depth == 0 && !r.err);
		json_t *again = jsonx_rd_value(&r);
		ck_assert_msg(v ? again && json_equal(v, again) : !again, "%.*s read again", (int)n,
			      s);
		json_decref(again);
	}
	json_decref(v);
	jsonx_rd_free(&r);
	jsonx_rd_free(&q);
	buf_free(&w);
	return got;
}

static bool written_str(const char *s)
{
	return written_same(s, strlen(s));
}

/* A random value with what a value's bytes can get wrong: every escape, controls, '/', DEL,
 * two to four byte characters, integers to their ends, reals integral or not, -0.0, nesting,
 * empty containers. */
static json_t *tricky(unsigned *seed, int depth)
{
	static const char *const piece[] = {"a",	   "\"",	   "\\",
					    "/",	   "\b",	   "\f",
					    "\n",	   "\r",	   "\t",
					    "\x01",	   "\x1f",	   "\x7f",
					    "\xc3\xa9",	   "\xe2\x80\xa8", "\xf0\x9f\x98\x80",
					    " ",	   "u00",	   "{\"k\":1}",
					    "\xef\xbf\xbf"};
	static const double real[] = {0.1,  -0.0,  0.0,	   1e5,		  1.5,	  100000.0, 1e15,
				      1e16, 1e300, 1e-300, 123456789.125, 5e-324, 1e-7};
	int k = rand_r(seed) % (depth < 4 ? 7 : 4);
	switch (k) {
	case 0: {
		char b[64] = "";
		for (int i = rand_r(seed) % 6; i > 0; i--)
			strcat(b, piece[rand_r(seed) % (sizeof piece / sizeof *piece)]);
		return json_string(b);
	}
	case 1: {
		static const json_int_t ends[] = {0, -1, 9223372036854775807LL,
						  -9223372036854775807LL - 1, 1000000000000000LL};
		return json_integer(rand_r(seed) % 2 ? ends[rand_r(seed) % 5]
						     : (json_int_t)rand_r(seed) - RAND_MAX / 2);
	}
	case 2:
		return json_real(rand_r(seed) % 2
				     ? real[rand_r(seed) % (sizeof real / sizeof *real)]
				     : (double)rand_r(seed) / (1 + rand_r(seed) % 1000));
	case 3:
		return rand_r(seed) % 3	  ? json_true()
		       : rand_r(seed) % 2 ? json_false()
					  : json_null();
	case 4:
	case 5: {
		json_t *a = json_array();
		for (int i = rand_r(seed) % 4; i > 0; i--)
			json_array_append_new(a, tricky(seed, depth + 1));
		return a;
	}
	default: {
		json_t *o = json_object();
		static const char *const names[] = {"a", "b", "\"q\"", "\xc3\xa9", "a/b", "\n"};
		for (int i = rand_r(seed) % 4; i > 0; i--)
			json_object_set_new(o, names[rand_r(seed) % 6], tricky(seed, depth + 1));
		return o;
	}
	}
}

/* The check that lets a caller store a value's bytes as they came (Opik's and direct's
 * input and output): the edges by hand, then random values written by jsonw_value (taken), by
 * jansson's dumps in three styles and with one byte changed (taken exactly when they are
 * jsonw_value's bytes, and read as before when not). */
START_TEST(jsonx_written)
{
	static const char *const yes[] = {"\"\"",
					  "\"a\\u001fb\"",
					  "\"\\b\\f\\n\\r\\t\\\"\\\\\"",
					  "\"/\"",
					  "\"\x7f\"",
					  "\"\xc3\xa9\"",
					  "\"\xf0\x9f\x98\x80\"",
					  "0",
					  "-1",
					  "9223372036854775807",
					  "-9223372036854775808",
					  "-0.0",
					  "0.0",
					  "100000.0",
					  "1.5",
					  "0.1",
					  "1e-07",
					  "true",
					  "false",
					  "null",
					  "[]",
					  "{}",
					  "[[]]",
					  "{\"a\":{}}",
					  "[1,\"x\",null,true,{\"k\":[2.5]}]",
					  "{\"a\":1,\"b\":[{\"a\":2}]}",
					  "{\"\\u0001\":\"\\\\u0000\"}"};
	static const char *const no[] = {
	    "\"a\\u001Fb\"", "\"\\/\"", "\"\\u00e9\"", "\"\\ud83d\\ude00\"", "\"\\u0008\"",
	    "\"\\u0041\"", "-0", "1e5", "1E5", "1.50", "1.0e2", "1e-400", "1.00",
	    "{\"a\":1,\"a\":2}", "{\"a\":1, \"b\":2}", "[ ]", "[1 ,2]", "{\"a\" :1}",
	    "{\"a\":{\"b\":1,\"b\":1}}",
	    /* refused by jsonx as before */
	    "\"\\u0000\"", "\"\xff\"", "\"\xc3\"", "\"\xed\xa0\x80\"", "\"a\x01\"",
	    "12345678901234567890", "1e400", "[1,]", "{\"a\":1,}", "[\"x\"", "\"\\x\"", "[01]",
	    "[\"\\ud800\"]"};
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		ck_assert_msg(written_str(yes[i]), "%s not taken", yes[i]);
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		ck_assert_msg(!written_str(no[i]), "%s taken", no[i]);
	ck_assert(!written_same("\"a\0\"", 4));
	/* An object of more names than it compares is read, not taken. */
	struct buf b;
	buf_init(&b);
	buf_addc(&b, '{');
	for (int i = 0; i <= 40; i++)
		buf_printf(&b, "%s\"n%d\":%d", i ? "," : "", i, i);
	buf_addc(&b, '}');
	struct jsonx_rd r;
	const char *t;
	size_t tn;
	jsonx_rd_init(&r, b.p, b.len);
	ck_assert(!jsonx_rd_written(&r, &t, &tn));
	jsonx_rd_free(&r);
	buf_free(&b);

	unsigned seed = 57;
	for (int round = 0; round < 3000; round++) {
		json_t *v = tricky(&seed, 0);
		struct buf w;
		buf_init(&w);
		jsonw_value(&w, v);
		ck_assert_msg(written_same(w.p, w.len), "%s not taken", w.p);
		static const size_t style[] = {JSON_COMPACT, JSON_COMPACT | JSON_ENSURE_ASCII,
					       JSON_COMPACT | JSON_ESCAPE_SLASH, JSON_INDENT(1)};
		for (size_t k = 0; k < sizeof style / sizeof *style; k++) {
			char *d =
			    json_dumps(v, style[k] | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
			written_str(d);
			free(d);
		}
		static const char swap[] = "\"\\/ ,:{}[]0-e.u1fF\x01\xff\xc3";
		for (int m = 0; m < 3 && w.len; m++) {
			char *c = malloc(w.len + 1);
			memcpy(c, w.p, w.len + 1);
			c[rand_r(&seed) % w.len] = swap[rand_r(&seed) % (sizeof swap - 1)];
			written_same(c, w.len);
			free(c);
		}
		buf_free(&w);
		json_decref(v);
	}
}
END_TEST

TCase *check_json_tcase(void)
{
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, verr_order);
	tcase_add_test(tc, jsonx_grammar);
	tcase_add_test(tc, jsonx_strings_round_trip);
	tcase_add_test(tc, jsonw_short_strings);
	tcase_add_test(tc, jsonx_limits);
	tcase_add_test(tc, jsonx_line_flags);
	tcase_add_test(tc, jsonw_shortest);
	tcase_add_test(tc, jsonx_written);
	tcase_add_test(tc, jsonx_name_after_spaces);
	tcase_add_test(tc, json_each_is_foreach);
	return tc;
}
