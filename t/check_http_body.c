/* t/check_http, the request's body and the reply: the body cap, its length, gzip and
 * deflate, JSON bodies, keys and the workspace they give, error shapes, statuses, methods,
 * headers and the environment. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "lib/auth/auth.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/json/jsonw.h"
#include "lib/json/jsonx.h"
#include "t/check_http_fixture.h"

/* ---- Body ---- */

START_TEST(body_limit)
{
	struct resp r;

	setenv("SPANDEX_MAX_BODY", "16", 1);
	r = post("text/plain", NULL, "0123456789abcdef", 16, h_echo);
	ck_reply(r, 200, "0123456789abcdef");
	r = post("text/plain", NULL, "0123456789abcdefg", 17, h_echo);
	ck_reply(r, 413, "{\"detail\":\"Request body is larger than the limit of 16 bytes\"}");
	/* refused on the declared length alone; at the default limit in the words of nginx's and
	 * Apache's own 413 (nginx/spandex-locations.conf.in, apache/spandex-shared.conf.in) */
	struct reqspec rq = {.method = "POST", .uri = "/b", .content_length = "99999999999999"};
	r = run(&rq, h_echo);
	ck_assert_int_eq(r.code, 413);
	unsetenv("SPANDEX_MAX_BODY");
	r = run(&rq, h_echo);
	ck_reply(r, 413, "{\"detail\":\"Request body is larger than the limit of 8 MiB\"}");
}
END_TEST

START_TEST(body_short_or_bad_length)
{
	struct reqspec rq = {
	    .method = "POST", .uri = "/b", .body = "12345", .len = 5, .content_length = "10"};
	struct resp r = run(&rq, h_echo);

	ck_reply(r, 400, "{\"detail\":\"Request body ended after 5 of 10 bytes\"}");
	rq.content_length = "5x";
	r = run(&rq, h_echo);
	ck_reply(r, 400, "{\"detail\":\"Invalid Content-Length\"}");
	rq.content_length = "-5";
	r = run(&rq, h_echo);
	ck_reply(r, 400, "{\"detail\":\"Invalid Content-Length\"}");
	/* no CONTENT_LENGTH: no body (RFC 3875 section 4.1.2) */
	rq.content_length = NULL;
	rq.body = NULL;
	rq.len = 0;
	r = run(&rq, h_echo);
	ck_reply(r, 200, "");
}
END_TEST

/* zlib's own compressor; wbits as for inflateInit2. */
static size_t zip(const void *in, size_t n, int wbits, unsigned char *out, size_t cap)
{
	z_stream z = {0};

	ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return z.total_out;
}

START_TEST(body_gzip)
{
	static const char text[] = "{\"spans\":[{\"name\":\"a\"}]}";
	unsigned char gz[256];
	size_t n = zip(text, strlen(text), MAX_WBITS + 16, gz, sizeof gz), n2;
	struct resp r = post("application/json", "gzip", gz, n, h_echo);

	ck_reply(r, 200, text);
	r = post("application/json", "x-gzip", gz, n, h_echo);
	ck_reply(r, 200, text);
	r = post("application/json", "GZIP", gz, n, h_echo);
	ck_reply(r, 200, text);
	/* two members (RFC 1952 section 2.2) */
	n2 = zip("tail", 4, MAX_WBITS + 16, gz + n, sizeof gz - n);
	r = post("application/json", "gzip", gz, n + n2, h_echo);
	ck_assert_int_eq(r.code, 200);
	ck_assert_uint_eq(r.len, strlen(text) + 4);
	/* deflate is the zlib format (RFC 9110 section 8.4.1.2) */
	n = zip(text, strlen(text), MAX_WBITS, gz, sizeof gz);
	r = post("application/json", "deflate", gz, n, h_echo);
	ck_reply(r, 200, text);
	r = post("application/json", "identity", text, strlen(text), h_echo);
	ck_reply(r, 200, text);
}
END_TEST

START_TEST(body_gzip_bomb)
{
	size_t big = 1 << 20, n;
	char *zeros = calloc(1, big);
	unsigned char *gz = malloc(big);
	struct resp r;

	setenv("SPANDEX_MAX_BODY", "4096", 1);
	n = zip(zeros, big, MAX_WBITS + 16, gz, big);
	ck_assert_uint_lt(n, 4096);
	r = post("application/json", "gzip", gz, n, h_echo);
	ck_reply(
	    r, 413,
	    "{\"detail\":\"Request body is larger than the limit of 4 KiB once decompressed\"}");
	/* the limit itself is fine */
	n = zip(zeros, 4096, MAX_WBITS + 16, gz, big);
	r = post("application/json", "gzip", gz, n, h_echo);
	ck_assert_int_eq(r.code, 200);
	ck_assert_uint_eq(r.len, 4096);
	free(zeros);
	free(gz);
}
END_TEST

START_TEST(body_gzip_invalid)
{
	unsigned char gz[256];
	size_t n = zip("hello hello hello", 17, MAX_WBITS + 16, gz, sizeof gz);
	struct resp r = post("application/json", "gzip", "not gzip at all", 15, h_echo);

	ck_reply(r, 400, "{\"detail\":\"Invalid gzip data in the request body\"}");
	r = post("application/json", "gzip", gz, n - 6, h_echo); /* truncated */
	ck_reply(r, 400, "{\"detail\":\"Invalid gzip data in the request body\"}");
	gz[n - 1] ^= 0xff; /* length trailer wrong */
	r = post("application/json", "gzip", gz, n, h_echo);
	ck_assert_int_eq(r.code, 400);
	r = post("application/json", "deflate", "xx", 2, h_echo);
	ck_reply(r, 400, "{\"detail\":\"Invalid deflate data in the request body\"}");
	r = post("application/json", "br", "xx", 2, h_echo);
	ck_reply(r, 415, "{\"detail\":\"Unsupported Content-Encoding 'br'\"}");
	r = post("application/json", "gzip, br", "xx", 2, h_echo);
	ck_assert_int_eq(r.code, 415);
}
END_TEST

/* ---- JSON bodies ---- */

char *nested(int depth); /* t/check_json.c */

START_TEST(json_depth)
{
	char *ok = nested(JSONX_MAX_DEPTH), *deep = nested(JSONX_MAX_DEPTH + 1);
	struct resp r = post("application/json", NULL, ok, strlen(ok), h_json);

	ck_reply(r, 200, ok);
	r = post("application/json", NULL, deep, strlen(deep), h_json);
	ck_reply(r, 422,
		 "{\"detail\":[{\"type\":\"json_invalid\",\"loc\":[\"body\",64],"
		 "\"msg\":\"JSON decode error\",\"input\":{},"
		 "\"ctx\":{\"error\":\"nesting deeper than 64 levels\"}}]}");
	free(ok);
	free(deep);
	/* a depth far past jansson's own limit is refused the same way, before jansson */
	deep = nested(100000);
	r = post("application/json", NULL, deep, strlen(deep), h_json);
	ck_assert_int_eq(r.code, 422);
	free(deep);
}
END_TEST

START_TEST(json_malformed)
{
	struct resp r = post("application/json", NULL, "{\"a\":1,}", 8, h_json);

	/* Position 7, where a name was expected, as Python's json (and so FastAPI) reports. */
	ck_reply(r, 422,
		 "{\"detail\":[{\"type\":\"json_invalid\",\"loc\":[\"body\",7],"
		 "\"msg\":\"JSON decode error\",\"input\":{},"
		 "\"ctx\":{\"error\":\"string or '}' expected\"}}]}");
	r = post("application/json", NULL, "[\"a\\u0000b\"]", 12, h_json);
	ck_assert_int_eq(r.code, 422);
	ck_assert_ptr_nonnull(strstr(r.body, "\\\\u0000 is not allowed in strings"));
	r = post("application/json", NULL, "[\"ab\xff\"]", 6, h_json);
	ck_reply(r, 422,
		 "{\"detail\":[{\"type\":\"json_invalid\",\"loc\":[\"body\",4],"
		 "\"msg\":\"JSON decode error\",\"input\":{},"
		 "\"ctx\":{\"error\":\"unable to decode byte 0xff\"}}]}");
	r = post("application/json", NULL, " \n", 2, h_json);
	ck_reply(r, 422,
		 "{\"detail\":[{\"type\":\"missing\",\"loc\":[\"body\"],\"msg\":\"Field "
		 "required\",\"input\":null}]}");
	r = post("application/json", NULL, "{\"a\":1,\"a\":2}", 13, h_json);
	ck_reply(r, 200, "{\"a\":2}");
}
END_TEST

START_TEST(json_media_type)
{
	struct resp r = post("text/plain", NULL, "{}", 2, h_json);

	ck_reply(r, 415,
		 "{\"detail\":\"Unsupported media type 'text/plain'; expected application/json\"}");
	r = post(NULL, NULL, "{}", 2, h_json);
	ck_reply(r, 415, "{\"detail\":\"Missing Content-Type; expected application/json\"}");
	r = post(" Application/JSON ; charset=utf-8", NULL, "{}", 2, h_json);
	ck_reply(r, 200, "{}");
	r = post("application/jsonx", NULL, "{}", 2, h_json);
	ck_assert_int_eq(r.code, 415);
}
END_TEST

/* ---- Authentication ---- */

START_TEST(auth)
{
	struct reqspec rq = {.uri = "/a"};
	struct resp r = run(&rq, h_echo);

	ck_assert_int_eq(r.code, 200); /* no token configured: open */
	setenv("SPANDEX_TOKEN", "s3cret", 1);
	r = run(&rq, h_echo);
	ck_reply(r, 401, "{\"detail\":\"Not authenticated\"}");
	ck_assert_ptr_nonnull(strstr(r.head, "WWW-Authenticate: Bearer\r\n"));
	rq.auth = "Bearer wrong";
	r = run(&rq, h_echo);
	ck_reply(r, 401, "{\"detail\":\"" AUTH_UNKNOWN_KEY "\"}");
	rq.auth = "Bearer s3cre";
	ck_assert_int_eq(run(&rq, h_echo).code, 401);
	rq.auth = "Basic s3cret";
	ck_assert_int_eq(run(&rq, h_echo).code, 401);
	rq.auth = "s3cret";
	ck_assert_int_eq(run(&rq, h_echo).code, 401);
	rq.auth = "Bearer s3cret";
	ck_assert_int_eq(run(&rq, h_echo).code, 200);
	rq.auth = "bearer  s3cret";
	ck_assert_int_eq(run(&rq, h_echo).code, 200);
	/* checked before the body is read or inflated */
	rq.auth = NULL;
	rq.cenc = "gzip";
	rq.body = "junk";
	rq.len = 4;
	ck_assert_int_eq(run(&rq, h_echo).code, 401);
}
END_TEST

/* Replies with the workspace the route settled on. */
static enum status h_ws(struct http_req *req)
{
	const char *ws = req->ws ? req->ws : "-";

	http_reply(req, 200, "text/plain", ws, strlen(ws));
	return ST_OK;
}

/* A dialect whose clients send only a key: the workspace is the key's own when no header
 * names one (http_dialect.ws_from_key, auth_resolve). */
static const struct http_dialect t_keyed = {.error = http_fastapi_error,
					    .invalid = http_fastapi_invalid,
					    .ws_header = "X-Workspace",
					    .ws_from_key = true,
					    .ws_default = "default",
					    .ws_refusal = ST_BAD_REQUEST,
					    .key = &http_key_bearer};

START_TEST(workspace_from_key)
{
	char dir[] = "/tmp/check_http_XXXXXX", key[80], star[80], h[128], cmd[64];
	struct auth_key k;
	struct reqspec rq = {.uri = "/a", .auth = h};
	struct resp r;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(auth_create(dir, "team-k", AUTH_WRITE, NULL, key, sizeof key, &k, NULL),
			 ST_OK);
	ck_assert_int_eq(auth_create(dir, "*", AUTH_READ, NULL, star, sizeof star, &k, NULL),
			 ST_OK);
	setenv("SPANDEX_DATA", dir, 1);
	t_use = &t_keyed;
	snprintf(h, sizeof h, "Bearer %s", key);
	r = run(&rq, h_ws);
	ck_reply(r, 200, "team-k");
	/* A header still names the workspace: another one is refused. */
	setenv("HTTP_X_WORKSPACE", "team-a", 1);
	r = run(&rq, h_ws);
	ck_reply(r, 403, "{\"detail\":\"This key is not valid for workspace 'team-a'\"}");
	unsetenv("HTTP_X_WORKSPACE");
	/* A key of every workspace names none of its own: the default. */
	snprintf(h, sizeof h, "Bearer %s", star);
	ck_reply(run(&rq, h_ws), 200, "default");
	/* No key: nothing to take a workspace from, and a 401. */
	rq.auth = NULL;
	ck_assert_int_eq(run(&rq, h_ws).code, 401);
	/* A dialect without ws_from_key: the default, which the key does not open. */
	struct http_dialect plain = t_keyed;
	plain.ws_from_key = false;
	t_use = &plain;
	snprintf(h, sizeof h, "Bearer %s", key);
	rq.auth = h;
	ck_assert_int_eq(run(&rq, h_ws).code, 403);
	/* The key alone, with no header to look at. */
	struct http_dialect key_only = t_keyed;
	key_only.ws_header = NULL;
	t_use = &key_only;
	ck_reply(run(&rq, h_ws), 200, "team-k");
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ---- Replies and error shapes ---- */

/* A batch answered item by item (Langfuse's ingestion API). */
static enum status h_multi(struct http_req *req)
{
	http_reply_json(req, 207, "{\"successes\":[],\"errors\":[]}", 28);
	return ST_OK;
}

START_TEST(multi_status)
{
	struct resp r = get("/m", "", h_multi);

	ck_reply(r, 207, "{\"successes\":[],\"errors\":[]}");
	ck_assert_ptr_nonnull(strstr(r.head, "Status: 207 Multi-Status\r\n"));
}
END_TEST

START_TEST(error_shapes)
{
	struct resp r = get("/e", "", h_unavailable);

	ck_reply(r, 503, "{\"detail\":\"The store cannot take the write now; retry later\"}");
	ck_assert_ptr_nonnull(strstr(r.head, "Status: 503 Service Unavailable\r\n"));
	ck_assert_ptr_nonnull(strstr(r.head, "Retry-After: 1\r\n"));
	r = get("/e", "", h_not_found);
	ck_reply(r, 404, "{\"detail\":\"Not Found\"}");
	ck_assert_ptr_null(strstr(r.head, "Retry-After"));
	r = get("/e", "", h_silent);
	ck_reply(r, 500, "{\"detail\":\"Internal Server Error\"}");
	r = get("/e", "", h_twice);
	ck_reply(r, 200, "one");
	ck_assert_ptr_nonnull(strstr(r.head, "Content-Length: 3\r\n"));
}
END_TEST

/* A reason naming a file of the data directory (issue 55, item 8): said in the log, never in
 * the body; one that escaped its handler has DATA where the directory's path was. */
static enum status h_root_path(struct http_req *req)
{
	return http_fail(req, ST_UNAVAILABLE, "%s/ws/retention.json: not read (%s/x)", req->root,
			 req->root);
}

static enum status h_logged(struct http_req *req)
{
	struct err why;
	err_set(&why, ST_UNAVAILABLE, "%s/ws/retention.json: not a rules document", req->root);
	return http_fail_logged(req, &why, "The rules cannot be read; retry later");
}

START_TEST(error_names_no_path)
{
	struct resp r = get("/e", "", h_root_path);

	ck_reply(r, 503, "{\"detail\":\"DATA/ws/retention.json: not read (DATA/x)\"}");
	r = get("/e", "", h_logged);
	ck_reply(r, 503, "{\"detail\":\"The rules cannot be read; retry later\"}");
	ck_assert_ptr_nonnull(strstr(r.head, "Retry-After: 1\r\n"));
}
END_TEST

/* A public route's admit hook: its own check of the caller (a signed URL's), run before a
 * byte of the body is read: a refused request is answered without it, and only an admitted
 * one meets the body limit. */
static enum status admit_sig(struct http_req *req)
{
	const char *sig = http_param(req, "sig");
	return sig && !strcmp(sig, "ok") ? ST_OK : http_fail(req, ST_FORBIDDEN, "bad signature");
}

START_TEST(admit_before_body)
{
	static const struct http_route signed_put =
	    HTTP_ROUTE("PUT", "/a/{workspace}/{id}", h_got, HTTP_PUBLIC, .prefixes = any_key,
		       .admit = admit_sig);
	struct reqspec rq = {.method = "PUT",
			     .uri = "/a/ws1/x",
			     .query = "sig=no",
			     .ctype = "image/png",
			     .body = "",
			     .content_length = "99999999999"};
	ck_reply(run_route(&rq, &signed_put), 403, "{\"detail\":\"bad signature\"}");
	rq.query = "sig=ok";
	ck_assert_int_eq(run_route(&rq, &signed_put).code, 413);
	rq.content_length = NULL;
	rq.body = "png";
	rq.len = 3;
	ck_reply(run_route(&rq, &signed_put), 200, "got");
}
END_TEST

START_TEST(method_allow)
{
	static const struct http_route get_only = HTTP_ROUTE("GET", "/m", h_got, HTTP_READ);
	struct reqspec rq = {.method = "POST", .uri = "/m"};
	struct resp r = run_route(&rq, &get_only);

	ck_reply(r, 405, "{\"detail\":\"Method Not Allowed\"}");
	ck_assert_ptr_nonnull(strstr(r.head, "Allow: GET\r\n"));
	rq.method = "GET";
	ck_reply(run_route(&rq, &get_only), 200, "got");
	rq.uri = "/other";
	ck_reply(run_route(&rq, &get_only), 404, "{\"detail\":\"Not Found\"}");
	rq.uri = "/m";
	/* HEAD: GET's headers, no body */
	rq.method = "HEAD";
	r = run_route(&rq, &get_only);
	ck_reply(r, 200, "");
	ck_assert_ptr_nonnull(strstr(r.head, "Content-Length: 3\r\n"));
}
END_TEST

START_TEST(headers_and_env)
{
	struct resp r = get("/h", "", h_workspace);

	ck_reply(r, 200, "-");
	setenv("HTTP_X_WORKSPACE", "team-a", 1);
	r = get("/h", "", h_workspace);
	ck_reply(r, 200, "team-a");
	setenv("SPANDEX_DATA", "/srv/data", 1);
	ck_assert_str_eq(http_env(NULL, "SPANDEX_DATA"), "/srv/data");
	ck_assert_ptr_null(http_env(NULL, "SPANDEX_NO_SUCH_SETTING"));
}
END_TEST

void check_http_body_tests(TCase *tc)
{
	tcase_add_test(tc, body_limit);
	tcase_add_test(tc, body_short_or_bad_length);
	tcase_add_test(tc, body_gzip);
	tcase_add_test(tc, body_gzip_bomb);
	tcase_add_test(tc, body_gzip_invalid);
	tcase_add_test(tc, json_depth);
	tcase_add_test(tc, json_malformed);
	tcase_add_test(tc, json_media_type);
	tcase_add_test(tc, auth);
	tcase_add_test(tc, workspace_from_key);
	tcase_add_test(tc, error_shapes);
	tcase_add_test(tc, error_names_no_path);
	tcase_add_test(tc, multi_status);
	tcase_add_test(tc, method_allow);
	tcase_add_test(tc, admit_before_body);
	tcase_add_test(tc, headers_and_env);
}
