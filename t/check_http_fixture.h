/* check_http_fixture.h: what the files of t/check_http share (check_http_fixture.c): lib/http
 * driven as plain CGI, one request a run; the dialect it speaks (t_use, a test may choose another);
 * each test's data directory (data_setup, data_teardown); the handlers the tests route to; and the
 * body, JSON, key and reply cases of check_http_body.c. */
#ifndef SPANDEX_T_CHECK_HTTP_FIXTURE_H
#define SPANDEX_T_CHECK_HTTP_FIXTURE_H

#include <check.h>
#include <stddef.h>
#include "lib/http/http.h"

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

/* A dialect like the Intake one (FastAPI's {"detail": ...} bodies). */
extern const struct http_dialect t_dialect;
extern const struct http_dialect *t_use; /* the dialect run_route speaks: t_dialect, or a test's */
extern const char *const any_key[];	 /* every query parameter passes routing */

void data_setup(void);
void data_teardown(void);
/* One request through http_main with one route (or nroutes); through a route for every path ("*")
 * and the request's method that lets every query parameter through to h; a GET of uri?query; a GET
 * of /l?query through a route with a parameter table (page, page_size, sort, by, filter); a POST of
 * body to /b. Reply bodies live until the test ends. */
struct resp run_route(const struct reqspec *rq, const struct http_route *route);
struct resp run_routes(const struct reqspec *rq, const struct http_route *route, size_t nroutes);
struct resp run(const struct reqspec *rq, http_handler h);
struct resp get(const char *uri, const char *query, http_handler h);
struct resp get_params(const char *query);
extern const struct http_route params_route; /* GET /l with that table */
struct resp post(const char *ctype, const char *cenc, const void *body, size_t len, http_handler h);

#define ck_reply(r, c, b)                                                                          \
	do {                                                                                       \
		ck_assert_int_eq((r).code, (c));                                                   \
		ck_assert_str_eq((r).body, (b));                                                   \
	} while (0)

/* The handlers: what the request looked like; the decoded body; the JSON body back; a status
 * and no reply; no reply at all; two replies; "got"; the X-Workspace header. */
enum status h_describe(struct http_req *req);
enum status h_echo(struct http_req *req);
enum status h_json(struct http_req *req);
enum status h_unavailable(struct http_req *req);
enum status h_not_found(struct http_req *req);
enum status h_silent(struct http_req *req);
enum status h_twice(struct http_req *req);
enum status h_got(struct http_req *req);
enum status h_workspace(struct http_req *req);

/* check_http_body.c, check_http_conn.c: their cases into tc. */
void check_http_body_tests(TCase *tc);
void check_http_conn_tests(TCase *tc);

#endif
