/* t/check_http's fixture (check_http_fixture.h): lib/http driven as plain CGI (RFC 3875), the
 * request environment variables and a file on fd 0, the reply read back from fd 1; a dialect of the
 * Intake kind, each test's data directory, and the handlers the tests route to. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/api/common/api.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/json/jsonw.h"
#include "t/check_http_fixture.h"

/* A dialect like the Intake one (FastAPI's {"detail": ...} bodies), so that what is checked here
 * is lib/http's own work: which error, which status, which headers. */
const struct http_dialect t_dialect = {.error = http_fastapi_error,
				       .invalid = http_fastapi_invalid,
				       .ws_refusal = ST_BAD_REQUEST,
				       .key = &http_key_bearer};
/* The dialect run_route speaks: t_dialect unless a test chooses another. */
const struct http_dialect *t_use = &t_dialect;
/* Every query parameter passes routing; the handlers under test look at them. */
const char *const any_key[] = {"", NULL};

/* ---- Driving http_main as CGI ---- */

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

void data_setup(void)
{
	snprintf(data_dir, sizeof data_dir, "/tmp/spandex-check-http-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(data_dir));
	setenv("SPANDEX_DATA", data_dir, 1);
}

void data_teardown(void)
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

/* Runs one CGI request through http_main with routes route[0..nroutes) (or one); Check runs each
 * test in its own process, so the environment and fds changed here do not leak. */
struct resp run_route(const struct reqspec *rq, const struct http_route *route)
{
	return run_routes(rq, route, 1);
}

struct resp run_routes(const struct reqspec *rq, const struct http_route *route, size_t nroutes)
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
	/* api_open as every surface's: the store of SPANDEX_DATA, under its serve lock. */
	struct http_surface surface = {.dialect = t_use,
				       .routes = route,
				       .nroutes = nroutes,
				       .open = api_open,
				       .start = api_start};
	ck_assert_int_eq(http_main(&surface, 0, NULL), 0);
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
struct resp run(const struct reqspec *rq, http_handler h)
{
	const char *m = rq->method ? rq->method : "GET";
	struct http_route r =
	    HTTP_ROUTE(strcmp(m, "HEAD") ? m : "GET", "*", h, HTTP_READ, .prefixes = any_key);

	return run_route(rq, &r);
}

struct resp get(const char *uri, const char *query, http_handler h)
{
	struct reqspec rq = {.uri = uri, .query = query};

	return run(&rq, h);
}

/* ---- Handlers ---- */

/* Echoes what the request looked like to a handler. */
enum status h_describe(struct http_req *req)
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
enum status h_echo(struct http_req *req)
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
const struct http_route params_route =
    HTTP_ROUTE("GET", "/l", h_params, HTTP_READ, HTTP_PARAMS(list_params),
	       .prefixes = filter_prefix, .strict = true);

/* GET /l?query through a route with the table above. */
struct resp get_params(const char *query)
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

enum status h_json(struct http_req *req)
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

enum status h_unavailable(struct http_req *req)
{
	(void)req;
	return ST_UNAVAILABLE;
}

enum status h_not_found(struct http_req *req)
{
	(void)req;
	return ST_NOT_FOUND;
}

enum status h_silent(struct http_req *req)
{
	(void)req;
	return ST_OK;
}

enum status h_twice(struct http_req *req)
{
	http_reply(req, 200, "text/plain", "one", 3);
	http_reply(req, 201, "text/plain", "two", 3);
	return ST_OK;
}

enum status h_got(struct http_req *req)
{
	http_reply(req, 200, "text/plain", "got", 3);
	return ST_OK;
}

enum status h_workspace(struct http_req *req)
{
	const char *ws = http_header(req, "X-Workspace");

	http_reply(req, 200, "text/plain", ws ? ws : "-", ws ? strlen(ws) : 1);
	return ST_OK;
}

struct resp post(const char *ctype, const char *cenc, const void *body, size_t len, http_handler h)
{
	struct reqspec rq = {
	    .method = "POST", .uri = "/b", .ctype = ctype, .cenc = cenc, .body = body, .len = len};

	return run(&rq, h);
}
