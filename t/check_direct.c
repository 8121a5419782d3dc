/* Check suite for lib/ingest/direct.c's two readers of POST .../ingest/spans: the text path
 * (direct_parse_text, no JSON value a span) against the tree path (jsonx_parse, direct_parse),
 * whose errors are the API's. The text path must give the tree's spans, line for line, for every
 * body it takes, and take no body the tree refuses. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/ingest/direct.h"
#include "lib/json/jsonx.h"

#define WS "ws-test"
#define SPAN(id, more)                                                                             \
	"{\"span_id\":\"" id "\",\"trace_id\":\"t1\",\"started_at\":\"2026-11-27T01:02:03Z\"" more \
	"}"

/* The spans' canonical lines, one a line. */
static char *lines(const struct span *s, size_t n)
{
	struct buf b;
	buf_init(&b);
	for (size_t k = 0; k < n; k++) {
		span_render(&s[k], &b);
		buf_addc(&b, '\n');
	}
	buf_addc(&b, 0);
	return b.p;
}

/* The tree path's lines for body, or NULL when it refuses it (its errors into *nerr). */
static char *tree(struct arena *a, const char *body, size_t len, size_t *nerr)
{
	struct verrs v;
	struct span *s;
	size_t pos, n = 0;
	char *out = NULL;
	verrs_init(&v);
	json_t *j = jsonx_parse(body, len, &pos, NULL);
	if (j && (n = direct_parse(a, WS, j, &s, &v)))
		out = lines(s, n);
	*nerr = j ? verrs_count(&v) : 1;
	for (size_t k = 0; k < n; k++)
		span_clear(&s[k]);
	verrs_free(&v);
	json_decref(j);
	return out;
}

/* The text path's lines for body, or NULL when it leaves it to the tree. Its JSON values are
 * the arena's, as a request's are (lib/http). */
static char *text(struct arena *a, const char *body, size_t len)
{
	struct span *s;
	arena_json(a);
	size_t n = direct_parse_text(a, WS, body, len, &s);
	char *out = n ? lines(s, n) : NULL;
	for (size_t k = 0; k < n; k++)
		span_clear(&s[k]);
	arena_json(NULL);
	return out;
}

/* Bodies both paths take: the text path gives the tree's lines. */
static const char *const taken[] = {
    "{\"source\":\"s\",\"spans\":[" SPAN("a", "") "]}",
    /* source after spans, whitespace everywhere, members in another order */
    " { \"spans\" : [ { \"started_at\" : \"2026-11-27T01:02:03+02:00\" , \"trace_id\" : \"t\" , "
    "\"span_id\" : \"b\" } ,\n" SPAN("c", "") " ] ,\r\n\t\"source\" : \"s.x-1\" } ",
    /* every member, escapes in names and values, non-ASCII, nulls of optional fields */
    "{\"source\":\"s\",\"spans\":[{\"span\\u005fid\":\"\\u00e9\\ud83d\\ude00\",\"trace_id\":"
    "\"t\\\"q\",\"session_id\":null,\"parent_span_id\":\"p\",\"name\":\"n\\n\",\"kind\":\"LLM\","
    "\"status\":\"error\",\"started_at\":\"2026-11-27T01:02:03.5Z\",\"ended_at\":"
    "\"2026-11-27T01:02:04Z\",\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]},"
    "\"output\":[1,2.5,true,null],\"attributes\":{\"gen_ai.request.model\":\"gpt-4o\","
    "\"gen_ai.usage.input_tokens\":12,\"x\":{\"y\":[1,{\"z\":null}]},\"x\":\"last wins\","
    "\"project.name\":\"p\"},\"error_type\":\"E\",\"error_message\":\"m\"}]}",
    /* times as Unix numbers and their text; kinds and statuses absent or null */
    "{\"source\":\"s\",\"spans\":[{\"span_id\":\"u\",\"trace_id\":\"t\",\"started_at\":1700000000,"
    "\"ended_at\":\"1700000001.5\",\"kind\":null,\"status\":null,\"input\":null,\"attributes\":"
    "null}," SPAN("v", ",\"input\":\"text\",\"output\":\"\"") "]}",
    /* the same span id in two traces */
    "{\"source\":\"s\",\"spans\":[" SPAN("a", "") ",{\"span_id\":\"a\",\"trace_id\":\"t2\","
						  "\"started_at\":\"2026-11-27T01:02:03Z\"}]}",
};

/* Bodies the tree refuses (or takes with a rule the text path leaves to it): never the text
 * path's. */
static const char *const left[] = {
    "",
    "  \n",
    "[]",
    "{}",
    "null",
    "{\"source\":\"s\"}",
    "{\"spans\":[" SPAN("a", "") "]}",
    "{\"source\":null,\"spans\":[" SPAN("a", "") "]}",
    "{\"source\":\"\",\"spans\":[" SPAN("a", "") "]}",
    "{\"source\":\"a b\",\"spans\":[" SPAN("a", "") "]}",
    "{\"source\":7,\"spans\":[" SPAN("a", "") "]}",
    "{\"source\":\"s\",\"spans\":[]}",
    "{\"source\":\"s\",\"spans\":{}}",
    "{\"source\":\"s\",\"spans\":[7]}",
    "{\"source\":\"s\",\"spans\":[" SPAN("a", "") "],\"extra\":1}",
    "{\"source\":\"s\",\"source\":\"s\",\"spans\":[" SPAN("a", "") "]}",
    "{\"source\":\"s\",\"spans\":[" SPAN("a", "") "]}x",
    "{\"source\":\"s\",\"spans\":[" SPAN("a", "") ",]}",
    "{\"source\":\"s\",\"spans\":[" SPAN("a", "") "]",
    "{\"source\":\"s\",\"spans\":[" SPAN("a", ",\"extra\":1") "]}",
    "{\"source\":\"s\",\"spans\":[" SPAN("a", ",\"name\":\"x\",\"name\":\"y\"") "]}",
    "{\"source\":\"s\",\"spans\":[" SPAN("a/../b", "") "]}",
    "{\"source\":\"s\",\"spans\":[" SPAN("..", "") "]}",
    "{\"source\":\"s\",\"spans\":[" SPAN("a", ",\"kind\":\"llm\"") "]}",
    "{\"source\":\"s\",\"spans\":[" SPAN("a", ",\"status\":3") "]}",
    "{\"source\":\"s\",\"spans\":[" SPAN("a", ",\"name\":7") "]}",
    "{\"source\":\"s\",\"spans\":[" SPAN("a", ",\"error_type\":[]") "]}",
    "{\"source\":\"s\",\"spans\":[" SPAN("a", ",\"attributes\":[]") "]}",
    "{\"source\":\"s\",\"spans\":[" SPAN("a", ",\"ended_at\":\"2026-11-27T01:02:02Z\"") "]}",
    "{\"source\":\"s\",\"spans\":[" SPAN("a", ",\"ended_at\":\"2026-11-27T01:02:04\"") "]}",
    "{\"source\":\"s\",\"spans\":[" SPAN("a", ",\"ended_at\":\"yesterday\"") "]}",
    "{\"source\":\"s\",\"spans\":[" SPAN("a", ",\"parent_span_id\":\"a\"") "]}",
    "{\"source\":\"s\",\"spans\":[{\"span_id\":\"a\",\"trace_id\":\"t\"}]}",
    "{\"source\":\"s\",\"spans\":[{\"span_id\":\"a\",\"trace_id\":\"t\",\"started_at\":null}]}",
    "{\"source\":\"s\",\"spans\":[{\"span_id\":\"a\",\"started_at\":\"2026-11-27T01:02:03Z\"}]}",
    "{\"source\":\"s\",\"spans\":[" SPAN("a", "") "," SPAN("a", "") "]}",
    "{\"source\":\"s\",\"spans\":[" SPAN("a", ",\"input\":\"\\u0000\"") "]}",
    "{\"source\":\"s\",\"spans\":[" SPAN("a", ",\"input\":\"\\ud800\"") "]}",
    "{\"source\":\"s\",\"spans\":[" SPAN("a", ",\"input\":\"\xc3\"") "]}",
    "{\"source\":\"s\",\"spans\":[" SPAN("a", ",\"input\":\"\x01\"") "]}",
    "{\"source\":\"s\",\"spans\":[" SPAN("a", ",\"input\":01") "]}",
    "{\"source\":\"s\",\"spans\":[{\"span_idx\":\"a\",\"trace_id\":\"t\",\"started_at\":1}]}",
    "{\"source\":\"s\",\"spans\":[{\"span_id\" \"a\",\"trace_id\":\"t\",\"started_at\":1}]}",
};

START_TEST(text_path_gives_the_trees_lines)
{
	for (size_t k = 0; k < sizeof taken / sizeof *taken; k++) {
		struct arena *a = arena_new();
		size_t nerr;
		char *t = tree(a, taken[k], strlen(taken[k]), &nerr);
		char *x = text(a, taken[k], strlen(taken[k]));
		ck_assert_msg(t, "body %zu: the tree refuses it (%zu errors)", k, nerr);
		ck_assert_msg(x, "body %zu: the text path leaves it", k);
		ck_assert_str_eq(x, t);
		free(t);
		free(x);
		arena_free(a);
	}
}
END_TEST

START_TEST(text_path_leaves_the_rest)
{
	for (size_t k = 0; k < sizeof left / sizeof *left; k++) {
		struct arena *a = arena_new();
		size_t nerr;
		char *x = text(a, left[k], strlen(left[k]));
		char *t = tree(a, left[k], strlen(left[k]), &nerr);
		ck_assert_msg(!x, "body %zu taken by the text path: %s", k, x);
		/* Two bodies the tree takes (a name given twice: the last wins). */
		ck_assert_msg(!t || k == 15 || k == 20, "body %zu taken by the tree", k);
		free(t);
		arena_free(a);
	}
}
END_TEST

/* The limits of a batch: its spans, a span's attributes, the nesting and the values. */
START_TEST(text_path_leaves_the_limits)
{
	struct buf b;
	struct arena *a = arena_new();
	size_t nerr;
	const char *cases[] = {"spans", "attributes", "deep", "values"};
	for (int c = 0; c < 4; c++) {
		for (int over = 0; over < 2; over++) {
			buf_init(&b);
			buf_adds(&b, "{\"source\":\"s\",\"spans\":[");
			int spans = c == 0 ? DIRECT_MAX_SPANS + over : 1;
			for (int k = 0; k < spans; k++) {
				buf_printf(
				    &b,
				    "%s{\"span_id\":\"s%d\",\"trace_id\":\"t\",\"started_at\":"
				    "\"2026-11-27T01:02:03Z\",\"attributes\":{",
				    k ? "," : "", k);
				if (c == 1)
					for (int m = 0; m < DIRECT_MAX_ATTRIBUTES + over; m++)
						buf_printf(&b, "%s\"k%d\":1", m ? "," : "", m);
				/* The body, the spans, a span and its attributes are 4 levels. */
				int deep = JSONX_MAX_DEPTH - 4 + over;
				for (int m = 0; c == 2 && m < deep; m++)
					buf_adds(&b, m ? "[" : "\"d\":[");
				for (int m = 0; c == 2 && m < deep; m++)
					buf_addc(&b, ']');
				/* The body, its source, the spans, a span, its 3 strings, its
				 * attributes and the list are 9 values. */
				int vals = JSONX_MAX_VALUES - 9 + over;
				for (int m = 0; c == 3 && m < vals; m++)
					buf_adds(&b, m ? ",0" : "\"v\":[0");
				if (c == 3)
					buf_addc(&b, ']');
				buf_adds(&b, "}}");
			}
			buf_adds(&b, "]}");
			char *t = tree(a, b.p, b.len, &nerr), *x = text(a, b.p, b.len);
			if (over) {
				ck_assert_msg(!t && !x, "%s over its limit taken", cases[c]);
			} else {
				ck_assert_msg(
				    t && x,
				    "%s at its limit refused (tree %d, text %d, %zu errors)",
				    cases[c], !!t, !!x, nerr);
				ck_assert_str_eq(x, t);
			}
			free(t);
			free(x);
			buf_free(&b);
		}
	}
	arena_free(a);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("direct");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, text_path_gives_the_trees_lines);
	tcase_add_test(tc, text_path_leaves_the_rest);
	tcase_add_test(tc, text_path_leaves_the_limits);
	suite_add_tcase(s, tc);
	return s;
}
