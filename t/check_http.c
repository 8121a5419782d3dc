/* check_http: lib/http driven as plain CGI (RFC 3875; the fixture, check_http_fixture.c):
 * paths, queries and parameter tables here, bodies and replies in check_http_body.c; with
 * t/check_json.c (jsonx, verr). */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/arena.h"
#include "lib/json/jsonw.h"
#include "t/check_http_fixture.h"

/* ---- Path ---- */

START_TEST(path_split)
{
	struct resp r =
	    get("/apis/intake/v2/workspaces/ws%20one/spans//x%41/?page=2", "page=2", h_describe);

	ck_reply(r, 200,
		 "{\"method\":\"GET\",\"path\":\"/apis/intake/v2/workspaces/ws one/spans//xA/\","
		 "\"segs\":[\"apis\",\"intake\",\"v2\",\"workspaces\",\"ws one\",\"spans\",\"xA\"],"
		 "\"params\":[[\"page\",\"2\"]]}");
	ck_assert_ptr_nonnull(strstr(r.head, "Content-Type: application/json\r\n"));
	ck_assert_ptr_nonnull(strstr(r.head, "Content-Length: "));

	r = get("/", "", h_describe);
	ck_reply(r, 200, "{\"method\":\"GET\",\"path\":\"/\",\"segs\":[],\"params\":[]}");
	/* absolute-form request-target */
	r = get("http://example.com/a/b?x=1", "x=1", h_describe);
	ck_reply(r, 200,
		 "{\"method\":\"GET\",\"path\":\"/a/b\",\"segs\":[\"a\",\"b\"],"
		 "\"params\":[[\"x\",\"1\"]]}");
}
END_TEST

static const struct {
	const char *uri, *why;
} bad_paths[] = {
    {"/w/%2e%2e/x", "'.' or '..' segment"},
    {"/w/%2E%2E", "'.' or '..' segment"},
    {"/w/.%2e", "'.' or '..' segment"},
    {"/w/../x", "'.' or '..' segment"},
    {"/w/..", "'.' or '..' segment"},
    {"/w/./x", "'.' or '..' segment"},
    {"/w/%2e", "'.' or '..' segment"},
    {"/w/a%00b", "encoded NUL"},
    {"/w/%00", "encoded NUL"},
    {"/w/%zz", "malformed percent-encoding"},
    {"/w/%4", "malformed percent-encoding"},
    {"/w/%", "malformed percent-encoding"},
    {"/w/%%32%66", "malformed percent-encoding"},
    {"/w/%C3%28", "invalid UTF-8"},
};

START_TEST(path_refused)
{
	const char *uri = bad_paths[_i].uri;
	struct resp r = get(uri, "", h_describe);
	char want[128];

	snprintf(want, sizeof want, "{\"detail\":\"Invalid path: %s\"}", bad_paths[_i].why);
	ck_assert_msg(r.code == 400, "%s gave %d", uri, r.code);
	ck_assert_str_eq(r.body, want);
}
END_TEST

/* An encoded '/' is part of its segment (an id such as "user/42"), never a separator. */
START_TEST(path_encoded_slash)
{
	struct resp r = get("/w/a%2Fb/..%2F..%2Fetc", "", h_describe);
	ck_reply(r, 200,
		 "{\"method\":\"GET\",\"path\":\"/w/a/b/../../etc\",\"segs\":[\"w\",\"a/b\",\"../"
		 "../etc\"],\"params\":[]}");
}
END_TEST

START_TEST(path_too_deep)
{
	struct resp r = get("/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16", "", h_describe);

	ck_assert_int_eq(r.code, 200);
	r = get("/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17", "", h_describe);
	ck_reply(r, 404, "{\"detail\":\"Not Found\"}");
}
END_TEST

START_TEST(path_needs_request_uri)
{
	struct resp r = get(NULL, "", h_describe);

	ck_reply(r, 500, "{\"detail\":\"Internal Server Error\"}");
}
END_TEST

/* ---- Query ---- */

START_TEST(query_decoding)
{
	struct resp r = get("/q", "a=1&b=x+y&c=%26%3D%2B&d&e=&=z&&f%5Bk%5D=%C3%A9", h_describe);

	/* "=z" is a pair of an empty name, as WHATWG and Starlette read it; "&&" is none */
	ck_reply(r, 200,
		 "{\"method\":\"GET\",\"path\":\"/q\",\"segs\":[\"q\"],\"params\":[[\"a\",\"1\"],"
		 "[\"b\",\"x y\"],[\"c\",\"&=+\"],[\"d\",\"\"],[\"e\",\"\"],[\"\",\"z\"],"
		 "[\"f[k]\",\"\u00e9\"]]}");
	/* without QUERY_STRING the query comes from REQUEST_URI */
	r = get("/q?k=v", NULL, h_describe);
	ck_assert_int_eq(r.code, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "[[\"k\",\"v\"]]"));
}
END_TEST

START_TEST(query_refused)
{
	struct resp r = get("/q", "a=%00", h_describe);
	struct buf many;

	ck_reply(r, 400, "{\"detail\":\"Invalid query string: encoded NUL\"}");
	r = get("/q", "a%00=1", h_describe);
	ck_reply(r, 400, "{\"detail\":\"Invalid query string: encoded NUL\"}");
	r = get("/q", "a=%G1", h_describe);
	ck_reply(r, 400, "{\"detail\":\"Invalid query string: malformed percent-encoding\"}");
	r = get("/q", "a=%ff", h_describe);
	ck_reply(r, 400, "{\"detail\":\"Invalid query string: invalid UTF-8\"}");

	buf_init(&many);
	for (int i = 0; i < HTTP_MAX_PARAMS; i++)
		buf_printf(&many, "%sk%d=v", i ? "&" : "", i);
	r = get("/q", many.p, h_describe);
	ck_assert_int_eq(r.code, 200);
	buf_adds(&many, "&one=more");
	r = get("/q", many.p, h_describe);
	ck_reply(r, 400, "{\"detail\":\"Too many query parameters (at most 64)\"}");
	buf_free(&many);
}
END_TEST

/* ---- Parameter tables ---- */

START_TEST(params_defaults_and_values)
{
	struct resp r = get_params("by=name");

	ck_reply(r, 200, "page=1(default) page_size=50 sort=desc by=name filter=-");
	r = get_params("page=3&page_size=100&sort=asc&by=x&filter=a&filter[name]=b");
	ck_reply(r, 200, "page=3 page_size=100 sort=asc by=x filter=a");
	r = get_params("page=-0&by=x");
	ck_assert_int_eq(r.code, 422);
	r = get_params("sort=by.score%2Fv1&by=x");
	ck_reply(r, 200, "page=1(default) page_size=50 sort=by.score/v1 by=x filter=-");
}
END_TEST

START_TEST(params_unknown)
{
	struct resp r = get_params("zeta=1&by=x&alpha=2&zeta=3&filter[k]=v&filterx=1");

	ck_reply(r, 400, "{\"detail\":\"Unsupported query parameter(s): alpha, filterx, zeta\"}");
	/* A route that is not strict ignores them, and still checks its own. */
	struct http_route lenient = params_route;
	lenient.strict = false;
	struct reqspec rq = {.uri = "/l", .query = "zeta=1&by=x&page=2"};
	ck_reply(run_route(&rq, &lenient), 200, "page=2 page_size=50 sort=desc by=x filter=-");
	rq.query = "zeta=1&by=x&page=0";
	ck_assert_int_eq(run_route(&rq, &lenient).code, 422);
}
END_TEST

START_TEST(params_invalid)
{
	struct resp r = get_params("page=0&by=x");

	ck_reply(r, 422,
		 "{\"detail\":[{\"type\":\"greater_than_equal\",\"loc\":[\"query\",\"page\"],"
		 "\"msg\":\"Input should be greater than or equal to 1\",\"input\":\"0\","
		 "\"ctx\":{\"ge\":1}}]}");
	r = get_params("page_size=101&by=x");
	ck_reply(r, 422,
		 "{\"detail\":[{\"type\":\"less_than_equal\",\"loc\":[\"query\",\"page_size\"],"
		 "\"msg\":\"Input should be less than or equal to 100\",\"input\":\"101\","
		 "\"ctx\":{\"le\":100}}]}");
	r = get_params("page_size=x&by=x");
	ck_reply(r, 422,
		 "{\"detail\":[{\"type\":\"int_parsing\",\"loc\":[\"query\",\"page_size\"],"
		 "\"msg\":\"Input should be a valid integer, unable to parse string as an "
		 "integer\",\"input\":\"x\"}]}");
	/* a number past long long is out of range, not unparsable */
	r = get_params("page=99999999999999999999999&by=x");
	ck_assert_int_eq(r.code, 422);
	ck_assert_ptr_nonnull(strstr(r.body, "\"type\":\"less_than_equal\""));
	r = get_params("page=-99999999999999999999999&by=x");
	ck_assert_ptr_nonnull(strstr(r.body, "\"type\":\"greater_than_equal\""));
	/* pydantic's lax int: a sign, blanks around, a fraction of zeros; not junk or a fraction */
	r = get_params("page=%2B5&by=x");
	ck_assert_int_eq(r.code, 200);
	r = get_params("page=+5&by=x"); /* '+' is a space in a query */
	ck_assert_int_eq(r.code, 200);
	r = get_params("page=%205%20&by=x");
	ck_assert_int_eq(r.code, 200);
	r = get_params("page=5.00&by=x");
	ck_assert_int_eq(r.code, 200);
	r = get_params("page=5.5&by=x");
	ck_assert_ptr_nonnull(strstr(r.body, "int_parsing"));
	r = get_params("page=5.&by=x");
	ck_assert_ptr_nonnull(strstr(r.body, "int_parsing"));
	r = get_params("page=%20&by=x");
	ck_assert_ptr_nonnull(strstr(r.body, "int_parsing"));
	r = get_params("page=5x&by=x");
	ck_assert_ptr_nonnull(strstr(r.body, "int_parsing"));
	r = get_params("page=&by=x");
	ck_assert_ptr_nonnull(strstr(r.body, "int_parsing"));
	r = get_params("sort=up&by=x");
	ck_reply(r, 422,
		 "{\"detail\":[{\"type\":\"enum\",\"loc\":[\"query\",\"sort\"],"
		 "\"msg\":\"Input should be 'asc' or 'desc'\",\"input\":\"up\","
		 "\"ctx\":{\"expected\":\"'asc' or 'desc'\"}}]}");
	/* The family's prefix alone is no choice; its message is the plain choices'. */
	for (const char *const *q =
		 (const char *const[]){"sort=by.&by=x", "sort=by&by=x", "sort=xby.a&by=x", NULL};
	     *q; q++) {
		r = get_params(*q);
		ck_assert_int_eq(r.code, 422);
		ck_assert_msg(strstr(r.body, "\"msg\":\"Input should be 'asc' or 'desc'\""), "%s",
			      r.body);
	}
}
END_TEST

START_TEST(params_missing_and_several)
{
	struct resp r = get_params("");

	ck_reply(r, 422,
		 "{\"detail\":[{\"type\":\"missing\",\"loc\":[\"query\",\"by\"],"
		 "\"msg\":\"Field required\",\"input\":null}]}");
	/* every bad value is reported at once, in table order */
	r = get_params("sort=x&page=0");
	ck_assert_int_eq(r.code, 422);
	json_t *v = json_loads(r.body, 0, NULL);
	json_t *d = json_object_get(v, "detail");
	ck_assert_uint_eq(json_array_size(d), 3);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(d, 0), "type")),
			 "greater_than_equal");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(d, 1), "type")), "enum");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(d, 2), "type")),
			 "missing");
	json_decref(v);
}
END_TEST

/* ---- verr and jsonx on their own ---- */

TCase *check_json_tcase(void); /* t/check_json.c */

Suite *check_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("cgi");

	tcase_add_checked_fixture(tc, data_setup, data_teardown);

	tcase_add_test(tc, path_split);
	tcase_add_loop_test(tc, path_refused, 0, sizeof bad_paths / sizeof bad_paths[0]);
	tcase_add_test(tc, path_encoded_slash);
	tcase_add_test(tc, path_too_deep);
	tcase_add_test(tc, path_needs_request_uri);
	tcase_add_test(tc, query_decoding);
	tcase_add_test(tc, query_refused);
	tcase_add_test(tc, params_defaults_and_values);
	tcase_add_test(tc, params_unknown);
	tcase_add_test(tc, params_invalid);
	tcase_add_test(tc, params_missing_and_several);
	check_http_body_tests(tc);
	check_http_conn_tests(tc);
	suite_add_tcase(s, tc);

	suite_add_tcase(s, check_json_tcase());
	return s;
}
