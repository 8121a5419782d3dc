/* http: one FastCGI/CGI request (method, path, query, headers, body), parameter tables,
 * and the single reply path (every error body in the API's shape is written here).
 * Everything a request allocates lives in req->arena, reset after each request. */
#ifndef SPANDEX_HTTP_H
#define SPANDEX_HTTP_H

#include <stddef.h>
#include <stdbool.h>
#include <jansson.h>
#include "lib/base/arena.h"
#include "lib/base/status.h"
#include "lib/model/verr.h"
#include "lib/json/jsonx.h"

/* Limits, each documented in README "Limits". */
#define HTTP_MAX_BODY_DEFAULT (8u << 20) /* SPANDEX_MAX_BODY; nginx client_max_body_size matches   \
					  */
#define HTTP_MAX_PARAMS 64		 /* query parameters per request */
#define HTTP_MAX_SEGMENTS 16		 /* path segments */

struct http_param {
	const char *key, *value; /* percent-decoded, NUL-free */
};

struct http_req {
	struct arena *arena;
	const char *method;
	const char *path;		     /* percent-decoded path without the query */
	const char *segs[HTTP_MAX_SEGMENTS]; /* path split on '/', empty segments dropped */
	size_t nsegs;
	struct http_param params[HTTP_MAX_PARAMS];
	size_t nparams;
	const char *content_type;     /* NULL when absent */
	const char *content_encoding; /* NULL when absent */
	const char *body;	      /* after Content-Encoding is undone; NUL-terminated */
	size_t body_len;
	size_t max_body;
	bool replied;
	void *priv; /* lib/http's own state (the FCGX request) */
};

/* A request handler: it replies with http_reply* or returns a non-OK status, in which case
 * the caller replies with status_http(s) and the default message. */
typedef enum status (*http_handler)(struct http_req *req);

/* The accept loop of every program in cgi-bin/: FastCGI on fd 0, or one request as plain CGI.
 * With SPANDEX_WORKERS=N (N>1) under FastCGI it pre-forks N workers and restarts any that die;
 * SIGTERM stops them all. Returns the process exit code. */
int http_main(http_handler handler);

/* Configuration value name (SPANDEX_DATA ...): the FastCGI parameter the web server passes
 * (fastcgi_param / SetEnv) first, then the process environment; NULL if neither. req may be
 * NULL (outside a request: the environment only). */
const char *http_env(struct http_req *req, const char *name);

/* Value of request header name ("X-Workspace"), or NULL. */
const char *http_header(struct http_req *req, const char *name);
/* Value of the first query parameter key, or NULL. Keys and values are percent-decoded
 * ('+' as space), valid UTF-8 and NUL-free. */
const char *http_param(struct http_req *req, const char *key);

/* Parameter tables (kcgi style): every accepted parameter declared once. */
enum http_ptype { PT_INT, PT_STRING, PT_ENUM };
struct http_pspec {
	const char *name;
	enum http_ptype type;
	bool required;
	long long min, max; /* PT_INT inclusive bounds (422 outside); LLONG_MIN/MAX for none */
	const char *const *choices; /* PT_ENUM: NULL-terminated list (422 outside) */
	const char *def;	    /* default as text (checked like a given value), or NULL */
};
struct http_pval {
	const char *s; /* NULL when absent and no default; PT_INT's value in i */
	long long i;
	bool present;
};
/* Validates req's query against specs (n entries). Keys matching one of prefixes (e.g.
 * "filter[") are allowed and left to the handler. Unknown keys: 400 "Unsupported query
 * parameter(s): a, b" (sorted); bad values: 422 in the HTTPValidationError shape. On error
 * the reply is written and the status returned. */
enum status http_params(struct http_req *req, const struct http_pspec *specs, size_t n,
			const char *const *prefixes, struct http_pval *out);

/* Replies. */
void http_reply(struct http_req *req, int code, const char *ctype, const char *body, size_t len);
void http_reply_json(struct http_req *req, int code, const char *body, size_t len);
/* {"detail": msg} with the status's HTTP code (and Retry-After for ST_UNAVAILABLE). */
void http_error(struct http_req *req, enum status st, const char *msg);
void http_errorf(struct http_req *req, enum status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 422 with the collected validation errors (lib/verr.h); frees v. */
void http_reply_verrs(struct http_req *req, struct verrs *v); /* 422; frees v */

/* ST_OK when req's method is in allowed ("GET" or "GET, POST"; HEAD passes where GET does);
 * otherwise replies 405 {"detail":"Method Not Allowed"} with an Allow header and returns
 * ST_METHOD. (A handler returning ST_METHOD itself gets a 405 without Allow.) */
enum status http_allow(struct http_req *req, const char *allowed);

/* Body helpers. 415 unless Content-Type is one of the given media types (parameters such as
 * charset ignored, case-insensitive). */
enum status http_require_type(struct http_req *req, const char *const *types);
/* Parses the body as JSON with JSONX_MAX_DEPTH; replies 422 json_invalid (with the byte
 * position in loc) on malformed input. *out is owned by the caller (json_decref). */
enum status http_json_body(struct http_req *req, json_t **out);

/* Authentication hook: every request passes here before its handler. With SPANDEX_TOKEN set
 * it requires "Authorization: Bearer <token>"; otherwise it replies 401 {"detail":"Not
 * authenticated"} with WWW-Authenticate: Bearer and returns non-OK (enum status has no 401).
 * Unset, all requests pass. */
enum status http_authenticate(struct http_req *req);

#endif
