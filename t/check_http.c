/* check_http: lib/http driven as plain CGI (RFC 3875): the request is environment variables
 * and a file on fd 0, the reply is read back from fd 1; with t/check_json.c (jsonx, verr). */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "lib/http/http.h"
#include "lib/auth/auth.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/json/jsonw.h"
#include "lib/json/jsonx.h"

/* A dialect like the Intake one ({"detail": ...}), so that what is checked here is lib/http's
 * own work: which error, which status, which headers. */
static void t_error(struct buf *out, int code, const char *msg)
{
	(void)code;
	buf_adds(out, "{\"detail\":");
	jsonw_string(out, msg, strlen(msg));
	buf_addc(out, '}');
}

static void t_invalid(struct buf *out, json_t *items)
{
	buf_adds(out, "{\"detail\":");
	jsonw_jansson(out, items, JSON_COMPACT);
	buf_addc(out, '}');
}

static const struct http_dialect t_dialect = {
    .error = t_error, .invalid = t_invalid, .ws_refusal = ST_BAD_REQUEST, .key = &http_key_bearer};
/* The dialect run_route speaks: t_dialect unless a test chooses another. */
static const struct http_dialect *t_use = &t_dialect;
/* Every query parameter passes routing; the handlers under test look at them. */
static const char *const any_key[] = {"", NULL};

/* ---- Driving http_main as CGI ---- */

struct resp {
	int code;
	char head[2048];
	char *body; /* NUL-terminated */
	size_t len;
};

struct reqspec {
	const char *method, *uri, *query, *ctype, *cenc, *auth;
	const void *body;
	size_t len;
	const char *content_length; /* overrides len when set */
};

/* Reply bodies live until the test ends (freed by the checked fixture). */
static char *bodies[128];
static size_t nbodies;

static void free_bodies(void)
{
	while (nbodies > 0)
		free(bodies[--nbodies]);
}

/* Each test's data directory: a program takes its serve lock there (DATA/.spandex-serve.lock,
 * made with DATA when missing), so not the default ./data of the build directory. */
static char data_dir[64];

static void data_setup(void)
{
	snprintf(data_dir, sizeof data_dir, "/tmp/spandex-check-http-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(data_dir));
	setenv("SPANDEX_DATA", data_dir, 1);
}

static void data_teardown(void)
{
	char p[128];
	free_bodies();
	snprintf(p, sizeof p, "%s/.spandex-serve.lock", data_dir);
	unlink(p);
	rmdir(data_dir);
}

static char *slurp(FILE *f, size_t *len)
{
	char *p;
	long n;

	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n + 1);
	ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	*len = (size_t)n;
	return p;
}

static void setenv_opt(const char *name, const char *v)
{
	if (v)
		setenv(name, v, 1);
	else
		unsetenv(name);
}

/* Runs one CGI request through http_main with one route; Check runs each test in its own
 * process, so the environment and fds changed here do not leak. */
static struct resp run_route(const struct reqspec *rq, const struct http_route *route)
{
	struct resp r = {0};
	FILE *in = tmpfile(), *out = tmpfile();
	char cl[32], *all, *sep;
	int saved_in = dup(0), saved_out = dup(1);
	size_t n;

	ck_assert(in && out);
	if (rq->len)
		ck_assert_uint_eq(fwrite(rq->body, 1, rq->len, in), rq->len);
	fflush(in);
	rewind(in);
	snprintf(cl, sizeof cl, "%zu", rq->len);
	setenv_opt("REQUEST_METHOD", rq->method ? rq->method : "GET");
	setenv_opt("REQUEST_URI", rq->uri);
	setenv_opt("QUERY_STRING", rq->query);
	setenv_opt("CONTENT_TYPE", rq->ctype);
	setenv_opt("HTTP_CONTENT_ENCODING", rq->cenc);
	setenv_opt("HTTP_AUTHORIZATION", rq->auth);
	setenv_opt("CONTENT_LENGTH", rq->content_length ? rq->content_length
				     : rq->body		? cl
							: NULL);
	dup2(fileno(in), 0);
	dup2(fileno(out), 1);
	struct http_surface surface = {t_use, route, 1};
	ck_assert_int_eq(http_main(&surface), 0);
	dup2(saved_in, 0);
	dup2(saved_out, 1);
	close(saved_in);
	close(saved_out);

	all = slurp(out, &n);
	fclose(in);
	fclose(out);
	ck_assert_msg(sscanf(all, "Status: %d", &r.code) == 1, "no Status line in: %s", all);
	sep = strstr(all, "\r\n\r\n");
	ck_assert_ptr_nonnull(sep);
	ck_assert_uint_lt((size_t)(sep - all), sizeof r.head);
	memcpy(r.head, all, (size_t)(sep - all) + 2);
	r.len = n - (size_t)(sep + 4 - all);
	r.body = malloc(r.len + 1);
	memcpy(r.body, sep + 4, r.len + 1);
	free(all);
	ck_assert_uint_lt(nbodies, sizeof bodies / sizeof bodies[0]);
	bodies[nbodies++] = r.body;
	return r;
}

/* The same through a route for every path ("*") and the request's method that lets every
 * query parameter through to h. */
static struct resp run(const struct reqspec *rq, http_handler h)
{
	const char *m = rq->method ? rq->method : "GET";
	struct http_route r = {
	    strcmp(m, "HEAD") ? m : "GET", "*", h, HTTP_READ, NULL, 0, any_key, false};

	return run_route(rq, &r);
}

static struct resp get(const char *uri, const char *query, http_handler h)
{
	struct reqspec rq = {.uri = uri, .query = query};

	return run(&rq, h);
}

#define ck_reply(r, c, b)                                                                          \
	do {                                                                                       \
		ck_assert_int_eq((r).code, (c));                                                   \
		ck_assert_str_eq((r).body, (b));                                                   \
	} while (0)

/* ---- Handlers ---- */

/* Echoes what the request looked like to a handler. */
static enum status h_describe(struct http_req *req)
{
	json_t *segs = json_array(), *params = json_array(), *o;
	struct buf *s;

	for (size_t i = 0; i < req->nsegs; i++)
		json_array_append_new(segs, json_string(req->segs[i]));
	for (size_t i = 0; i < req->nparams; i++)
		json_array_append_new(params,
				      json_pack("[s,s]", req->params[i].key, req->params[i].value));
	o = json_pack("{s:s,s:s,s:o,s:o}", "method", req->method, "path", req->path, "segs", segs,
		      "params", params);
	s = arena_buf(req->arena);
	jsonw_jansson(s, o, JSON_COMPACT);
	http_reply_json(req, 200, s->p, s->len);
	return ST_OK;
}

/* Replies with the (decoded) body bytes. */
static enum status h_echo(struct http_req *req)
{
	ck_assert_int_eq(req->body[req->body_len], '\0');
	http_reply(req, 200, "application/octet-stream", req->body, req->body_len);
	return ST_OK;
}

/* "by.*": a family of choices matched by prefix (an extension's), left out of the 422. */
static const char *const sorts[] = {"asc", "desc", "by.*", NULL};
static const char *const filter_prefix[] = {"filter[", NULL};
static const struct http_pspec list_params[] = {
    {.name = "page", .type = PT_INT, .min = 1, .max = LLONG_MAX, .def = "1"},
    {.name = "page_size", .type = PT_INT, .min = 1, .max = 100, .def = "50"},
    {.name = "sort", .type = PT_ENUM, .choices = sorts, .def = "desc"},
    {.name = "by", .type = PT_STRING, .required = true},
    {.name = "filter", .type = PT_STRING},
};

static enum status h_params(struct http_req *req);
static const struct http_route params_route = {"GET",	    "/l", h_params,	 HTTP_READ,
					       list_params, 5,	  filter_prefix, true};

/* GET /l?query through a route with the table above. */
static struct resp get_params(const char *query)
{
	struct reqspec rq = {.uri = "/l", .query = query};

	return run_route(&rq, &params_route);
}

/* The route checks the table; the handler sees the values. */
static enum status h_params(struct http_req *req)
{
	const struct http_pval *v = req->pv;
	char *s = arena_printf(req->arena, "page=%lld%s page_size=%lld sort=%s by=%s filter=%s",
			       v[0].i, v[0].present ? "" : "(default)", v[1].i, v[2].s, v[3].s,
			       v[4].s ? v[4].s : "-");
	http_reply(req, 200, "text/plain", s, strlen(s));
	return ST_OK;
}

static enum status h_json(struct http_req *req)
{
	static const char *const types[] = {"application/json", NULL};
	enum status st;
	json_t *v;
	struct buf *s;

	if ((st = http_require_type(req, types)) != ST_OK)
		return st;
	if ((st = http_json_body(req, &v)) != ST_OK)
		return st;
	s = arena_buf(req->arena);
	jsonw_jansson(s, v, JSON_COMPACT | JSON_ENCODE_ANY);
	http_reply_json(req, 200, s->p, s->len);
	return ST_OK;
}

static enum status h_unavailable(struct http_req *req)
{
	(void)req;
	return ST_UNAVAILABLE;
}

static enum status h_not_found(struct http_req *req)
{
	(void)req;
	return ST_NOT_FOUND;
}

static enum status h_silent(struct http_req *req)
{
	(void)req;
	return ST_OK;
}

static enum status h_twice(struct http_req *req)
{
	http_reply(req, 200, "text/plain", "one", 3);
	http_reply(req, 201, "text/plain", "two", 3);
	return ST_OK;
}

static enum status h_got(struct http_req *req)
{
	http_reply(req, 200, "text/plain", "got", 3);
	return ST_OK;
}

static enum status h_workspace(struct http_req *req)
{
	const char *ws = http_header(req, "X-Workspace");

	http_reply(req, 200, "text/plain", ws ? ws : "-", ws ? strlen(ws) : 1);
	return ST_OK;
}

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

	ck_reply(
	    r, 200,
	    "{\"method\":\"GET\",\"path\":\"/q\",\"segs\":[\"q\"],\"params\":[[\"a\",\"1\"],"
	    "[\"b\",\"x y\"],[\"c\",\"&=+\"],[\"d\",\"\"],[\"e\",\"\"],[\"f[k]\",\"\u00e9\"]]}");
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

/* ---- Body ---- */

static struct resp post(const char *ctype, const char *cenc, const void *body, size_t len,
			http_handler h)
{
	struct reqspec rq = {
	    .method = "POST", .uri = "/b", .ctype = ctype, .cenc = cenc, .body = body, .len = len};

	return run(&rq, h);
}

START_TEST(body_limit)
{
	struct resp r;

	setenv("SPANDEX_MAX_BODY", "16", 1);
	r = post("text/plain", NULL, "0123456789abcdef", 16, h_echo);
	ck_reply(r, 200, "0123456789abcdef");
	r = post("text/plain", NULL, "0123456789abcdefg", 17, h_echo);
	ck_reply(r, 413, "{\"detail\":\"Request body of 17 bytes exceeds the limit of 16 bytes\"}");
	/* refused on the declared length alone */
	struct reqspec rq = {.method = "POST", .uri = "/b", .content_length = "99999999999999"};
	r = run(&rq, h_echo);
	ck_assert_int_eq(r.code, 413);
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
	ck_reply(r, 413,
		 "{\"detail\":\"Decompressed request body exceeds the limit of 4096 bytes\"}");
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
	ck_assert_int_eq(r.code, 401);
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
static const struct http_dialect t_keyed = {.error = t_error,
					    .invalid = t_invalid,
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

START_TEST(method_allow)
{
	static const struct http_route get_only = {"GET", "/m", h_got, HTTP_READ,
						   NULL,  0,	NULL,  false};
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
	tcase_add_test(tc, multi_status);
	tcase_add_test(tc, method_allow);
	tcase_add_test(tc, headers_and_env);
	suite_add_tcase(s, tc);

	suite_add_tcase(s, check_json_tcase());
	return s;
}
