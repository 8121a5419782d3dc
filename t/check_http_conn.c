/* check_http_conn: what every request reads before its handler, read once: the FastCGI params
 * by an index of their names (lib/http/conn.c) against libfcgi's own look-up, the route table's
 * patterns split once (lib/http/route.c) through tricky patterns, and the bucket's settings
 * (lib/ship/conf.c) asking one name of a store without a bucket. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/arena.h"
#include "lib/http/internal.h"
#include "lib/ship/ship.h"
#include "t/check_http_fixture.h"

/* ---- FastCGI params ---- */

/* A request of n params past HTTP_VARS_MAX: names that are prefixes of others, one without
 * '=', an empty value, a header twice (inside the index and past it), a setting. */
static char **fcgi_env(size_t n)
{
	static const struct {
		size_t at;
		const char *kv;
	} odd[] = {{3, "HTTP_X_TWICE=first"},
		   {5, "SPANDEX_S3_SYNC=1"},
		   {6, "SPANDEX_S3=s3://bucket/p"},
		   {7, "NO_EQUALS"},
		   {8, "EMPTY="},
		   {HTTP_VARS_MAX + 6, "HTTP_X_TWICE=second"},
		   {HTTP_VARS_MAX + 9, "SPANDEX_LATE=late"}};
	char **env = calloc(n + 1, sizeof *env);
	for (size_t i = 0; i < n; i++) {
		char b[64];
		snprintf(b, sizeof b, "HTTP_X_H%zu=v%zu", i, i);
		for (size_t k = 0; k < sizeof odd / sizeof *odd; k++)
			if (odd[k].at == i)
				snprintf(b, sizeof b, "%s", odd[k].kv);
		env[i] = strdup(b);
	}
	return env;
}

static void env_free(char **env)
{
	for (size_t i = 0; env[i]; i++)
		free(env[i]);
	free(env);
}

START_TEST(fcgi_params_as_libfcgi)
{
	static const char *const names[] = {
	    "SPANDEX_S3", "SPANDEX_S3_SYNC", "SPANDEX_S3_",  "SPANDEX_S",  "NO_EQUALS",
	    "NO",	  "EMPTY",	     "SPANDEX_LATE", "HTTP_X_H70", "HTTP_X_H7",
	    "HTTP_X_H10", "HTTP_X_H1",	     "HTTP_X_TWICE", "ABSENT",	   ""};
	size_t sizes[] = {0, 1, 9, HTTP_VARS_MAX, HTTP_VARS_MAX + 10, 3 * HTTP_VARS_MAX};
	/* A worker's environment, set before it is first read (and never changed after). */
	setenv("SPANDEX_ONLY_HERE", "env", 1);
	setenv("SPANDEX_S3", "s3://from-env", 1);
	for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
		char **env = fcgi_env(sizes[z]);
		FCGX_Request fr = {.envp = env};
		struct http_conn c = {.fcgx = &fr};
		struct http_req req = {.arena = arena_new(), .priv = &c};
		for (size_t i = 0; i < sizeof names / sizeof *names; i++)
			ck_assert_ptr_eq(http_var(&req, names[i]), FCGX_GetParam(names[i], env));
		/* A header twice is one value, its lines joined in their order. */
		const char *twice = http_header(&req, "X-Twice");
		if (sizes[z] > HTTP_VARS_MAX + 6)
			ck_assert_str_eq(twice, "first, second");
		else if (sizes[z] > 3)
			ck_assert_str_eq(twice, "first");
		else
			ck_assert_ptr_null(twice);
		/* A setting no param names comes from the process's environment; a param wins. */
		ck_assert_str_eq(http_env(&req, "SPANDEX_ONLY_HERE"), "env");
		ck_assert_str_eq(http_env(&req, "SPANDEX_S3"),
				 sizes[z] > 6 ? "s3://bucket/p" : "s3://from-env");
		arena_free(req.arena);
		env_free(env);
	}
}
END_TEST

/* ---- Routes ---- */

/* Replies with the route's pattern and what it captured. */
static enum status h_route(struct http_req *req)
{
	struct buf *b = arena_buf(req->arena);
	buf_printf(b, "%s ws=%s id=%s id2=%s", req->route->pattern, req->ws ? req->ws : "-",
		   req->id ? req->id : "-", req->id2 ? req->id2 : "-");
	http_reply(req, 200, "text/plain", b->p, b->len);
	return ST_OK;
}

static const struct http_route tricky[] = {
    HTTP_ROUTE("GET", "//v1//spans/{id}/", h_route, HTTP_PUBLIC),
    HTTP_ROUTE("GET", "/v1/spans/{id}/comments/{id2}", h_route, HTTP_PUBLIC),
    HTTP_ROUTE("GET", "/v1/span/{id}", h_route, HTTP_PUBLIC),
    HTTP_ROUTE("POST", "/v1/spans/{id}", h_route, HTTP_PUBLIC),
    HTTP_ROUTE("GET", "/w/{workspace}/x", h_route, HTTP_PUBLIC),
    HTTP_ROUTE("GET", "/{idx}/lit", h_route, HTTP_PUBLIC),
    HTTP_ROUTE("GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q", h_route, HTTP_PUBLIC),
    HTTP_ROUTE("GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p", h_route, HTTP_PUBLIC),
    HTTP_ROUTE("DELETE", "*", h_route, HTTP_PUBLIC),
};

/* A request through the routes above; under a prefix, those before "*" (which would answer
 * every path before the prefix is tried: route.c's first pass). */
static struct resp tricky_get(const char *method, const char *uri)
{
	struct reqspec rq = {.method = method, .uri = uri};
	size_t n = sizeof tricky / sizeof *tricky;
	return run_routes(&rq, tricky, t_use->prefix ? n - 1 : n);
}

START_TEST(routes_split_once)
{
	static const struct http_dialect prefixed = {.error = http_fastapi_error,
						     .invalid = http_fastapi_invalid,
						     .ws_refusal = ST_BAD_REQUEST,
						     .key = &http_key_bearer,
						     .prefix = "//api/"};
	ck_reply(tricky_get("GET", "/v1/spans/s1"), 200, "//v1//spans/{id}/ ws=- id=s1 id2=-");
	ck_reply(tricky_get("GET", "/v1/spans/s1/comments/c2"), 200,
		 "/v1/spans/{id}/comments/{id2} ws=- id=s1 id2=c2");
	ck_reply(tricky_get("GET", "/v1/span/s1"), 200, "/v1/span/{id} ws=- id=s1 id2=-");
	ck_reply(tricky_get("POST", "/v1/spans/s1"), 200, "/v1/spans/{id} ws=- id=s1 id2=-");
	ck_reply(tricky_get("GET", "/w/team-a/x"), 200, "/w/{workspace}/x ws=team-a id=- id2=-");
	ck_reply(tricky_get("GET", "/{idx}/lit"), 200, "/{idx}/lit ws=- id=- id2=-");
	ck_reply(tricky_get("GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p"), 200,
		 "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p ws=- id=- id2=-");
	ck_reply(tricky_get("DELETE", "/anything/at/all"), 200, "* ws=- id=- id2=-");
	struct resp r = tricky_get("PUT", "/v1/spans/s1");
	ck_assert_int_eq(r.code, 405);
	ck_assert_ptr_nonnull(strstr(r.head, "Allow: GET, POST, DELETE\r\n"));
	ck_assert_int_eq(tricky_get("GET", "/v1/spanz/s1").code, 405); /* "*" is DELETE's */
	ck_assert_int_eq(tricky_get("GET", "/v1/spans").code, 405);
	/* The dialect's prefix: each pattern again after it, its runs of '/' as one. */
	t_use = &prefixed;
	ck_reply(tricky_get("GET", "/api/v1/spans/s1"), 200, "//v1//spans/{id}/ ws=- id=s1 id2=-");
	ck_reply(tricky_get("GET", "/api/w/team-b/x"), 200,
		 "/w/{workspace}/x ws=team-b id=- id2=-");
	ck_assert_int_eq(tricky_get("GET", "/api/v1/span").code, 404);
	t_use = &t_dialect;
}
END_TEST

/* ---- The bucket's settings ---- */

struct asked {
	const char *s3;
	size_t n;
};

static const char *count_get(void *ctx, const char *name)
{
	struct asked *a = ctx;
	a->n++;
	if (!strcmp(name, "AWS_ACCESS_KEY_ID") || !strcmp(name, "AWS_SECRET_ACCESS_KEY"))
		return "key";
	return strcmp(name, "SPANDEX_S3") ? NULL : a->s3;
}

START_TEST(bucket_settings_without_bucket)
{
	struct ship_conf c;
	struct err e = {ST_OK, ""};
	struct asked none = {NULL, 0}, empty = {"", 0}, set = {"s3://bucket/p", 0};
	/* No bucket: one name read (every request reads them), the same answer. */
	ck_assert_int_eq(ship_conf_read(&c, count_get, &none, &e), ST_NOT_FOUND);
	ck_assert_str_eq(e.msg, "SPANDEX_S3 is not set");
	ck_assert_uint_eq(none.n, 1);
	ck_assert_int_eq(ship_conf_read(&c, count_get, &empty, &e), ST_NOT_FOUND);
	ck_assert_uint_eq(empty.n, 1);
	/* A bucket: every setting read. */
	ck_assert_int_eq(ship_conf_read(&c, count_get, &set, &e), ST_OK);
	ck_assert_uint_eq(set.n, 7);
	ck_assert_str_eq(c.s3.bucket, "bucket");
}
END_TEST

void check_http_conn_tests(TCase *tc)
{
	tcase_add_test(tc, fcgi_params_as_libfcgi);
	tcase_add_test(tc, routes_split_once);
	tcase_add_test(tc, bucket_settings_without_bucket);
}
