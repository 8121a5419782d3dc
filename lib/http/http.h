/* http: one FastCGI/CGI request, routed by a table to its handler, and the one reply path.
 * It knows no API and neither the store nor the query engine: a surface (lib/api/<name>)
 * hands it a route table, a dialect (its error bodies, where its workspace and its key come
 * from) and the hook that opens what its handlers run against (req->app, opaque here).
 * Everything a request allocates lives in req->arena, JSON included (arena_json), so
 * handlers free nothing. */
#ifndef SPANDEX_HTTP_HTTP_H
#define SPANDEX_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/status.h"
#include "lib/model/verr.h"

/* Limits, each documented in docs/limits.md. */
#define HTTP_MAX_BODY_DEFAULT                                                                      \
	(8u << 20)	     /* SPANDEX_MAX_BODY; nginx client_max_body_size matches               \
			      */
#define HTTP_MAX_PARAMS 64   /* query parameters per request */
#define HTTP_MAX_SEGMENTS 16 /* path segments */
/* Workers of a program that expensive requests never hold (http_heavy), so a get by id is
 * answered while scans run: with SPANDEX_WORKERS=N they hold at most N - 1 at once, and one
 * workspace at most half of those (rounded up). */
#define HTTP_CHEAP_WORKERS 1

struct http_param {
	const char *key, *value; /* percent-decoded, NUL-free, valid UTF-8 */
};

/* Text as pydantic's lax mode reads an int (lax: blanks around it, a sign, digits, a fraction
 * of zeros as in "5.0"; else a sign and digits only) into *out; *range -1 or 1 when past long
 * long (*out then its bound), else 0; not pydantic's digit separators, 1_000). And a bool:
 * true/false, 1/0, yes/no, on/off, t/f, y/n in any case. The query parameters below are read so; a
 * surface's body members may be. */
bool http_text_int(const char *s, bool lax, long long *out, int *range);
bool http_text_bool(const char *s, bool *out);

/* Parameter tables (kcgi style): every accepted query parameter declared once. */
/* PT_ENUM and PT_LITERAL take the same choices; their 422 is pydantic's for an Enum ("enum")
 * or a Literal ("literal_error"), as the API declares the parameter. */
enum http_ptype { PT_INT, PT_STRING, PT_ENUM, PT_BOOL, PT_LITERAL };
struct http_pspec {
	const char *name;
	enum http_ptype type;
	bool required;
	long long min, max; /* PT_INT inclusive bounds (422 outside); LLONG_MIN/MAX for none */
	const char *const *choices; /* PT_ENUM, PT_LITERAL: NULL-terminated list (422 outside), in
				     * the API's order (its 422 lists them so); one ending in
				     * "*" takes any value it starts (lib/http/params.c) */
	const char *def;	    /* default as text (checked like a given value), or NULL */
};
struct http_pval {
	const char *s; /* NULL when absent and no default */
	long long i;   /* PT_INT's value; PT_BOOL: 0 or 1 */
	bool present;  /* given in the request (not the default) */
};

/* What a route needs of the caller's key (lib/auth): nothing, read, write or admin. */
enum http_access { HTTP_PUBLIC, HTTP_READ, HTTP_WRITE, HTTP_ADMIN };

struct http_req;
/* A handler replies (http_reply*) and returns ST_OK, or returns another status with the
 * reason in req->err (http_fail), which the loop turns into an error reply in the dialect. */
typedef enum status (*http_handler)(struct http_req *req);

/* One route: method and path pattern. Pattern segments are literals, "{workspace}" (the
 * workspace, checked against the naming rules) or "{id}" / "{id2}" (any one segment). A
 * route without {workspace} takes it from the dialect's header, unless it is public (and so
 * about no workspace: /healthz). The pattern "*" matches every path. */
struct http_route {
	const char *method; /* GET (HEAD too), POST, PUT, PATCH or DELETE */
	const char *pattern;
	http_handler fn;
	enum http_access access;
	const struct http_pspec *params; /* the query parameters it takes; others get 400 */
	size_t nparams;
	const char *const *prefixes; /* parameter key prefixes left to the handler ("filter[") */
	/* Whether a query parameter not in params (nor under a prefix) is a 400: NeMo's list
	 * routes (validate_list_query_params, nemo-intake.md section 2). Elsewhere it is ignored,
	 * as FastAPI and JAX-RS ignore it. */
	bool strict;
	/* A public route's own check of its caller, run once the parameters are read and before
	 * a byte of the body is (a signed URL's signature and expiry): ST_OK, or the failure
	 * recorded (http_fail) and answered in the dialect. NULL: none. */
	http_handler admit;
};

/* A row of a route table, as cgit's def_cmd writes one: method, pattern, handler and access,
 * then any other member by its name (HTTP_PARAMS(table), .prefixes, .strict):
 *   HTTP_ROUTE("GET", "/v5/spans", egp_list, HTTP_READ, HTTP_PARAMS(list_params)), */
#define HTTP_ROUTE(m, path, handler, role, ...)                                                    \
	{                                                                                          \
		.method = (m), .pattern = path, .fn = (handler), .access = (role), __VA_ARGS__     \
	}
/* A route's parameter table, with its length. */
#define HTTP_PARAMS(table) .params = (table), .nparams = sizeof(table) / sizeof *(table)

/* Where a surface's clients put their key (lib/auth checks it): a hook that finds it in the
 * request (NULL when there is none), and the WWW-Authenticate challenge of its 401s (RFC 9110
 * section 11.6.1), or NULL. The common ones follow; a surface may declare its own. */
struct http_keysource {
	const char *(*get)(struct http_req *req);
	const char *challenge;
};
extern const struct http_keysource http_key_bearer; /* Authorization: Bearer <key> (NeMo, OTLP) */
extern const struct http_keysource http_key_raw;    /* authorization: <key> (Opik) */
extern const struct http_keysource http_key_x_api_key; /* x-api-key: <key> (Scale GP) */
/* Authorization: Basic base64(<user>:<key>) (RFC 7617; Langfuse's public and secret key). */
extern const struct http_keysource http_key_basic;
/* The user name of Authorization: Basic, as a workspace hook (http_dialect.ws_from); NULL
 * when the header holds no such credentials. */
const char *http_ws_basic_user(struct http_req *req);

struct http_dialect_route {
	const char *pattern; /* an http_route pattern of the surface */
	const struct http_dialect *dialect;
};

/* An API's way of speaking: its error bodies and where it finds workspace and key. */
struct http_dialect {
	/* Appends the body of an error reply with HTTP code code and message msg. */
	void (*error)(struct buf *out, int code, const char *msg);
	/* Appends the body of a 422 from FastAPI-style items {type, loc, msg, input}. */
	void (*invalid)(struct buf *out, json_t *items);
	/* The workspace of routes without {workspace}, the first of these that names one: ... */
	const char *ws_header;			      /* ... this header, ... */
	const char *(*ws_from)(struct http_req *req); /* ... this hook (NULL: none), ... */
	/* ... the workspace of the caller's key (lib/auth), when the key has one workspace
	 * (not for a surface behind the sharding front, which places a request by the header
	 * alone: docs/scaling.md), ... */
	bool ws_from_key;
	const char *ws_default; /* ... and this name */
	/* The sources above are the handler's to read, not lib/http's: the MCP server, whose tool
	 * calls name their workspaces in the body, the header naming the connection's (which the
	 * sharding front places it by). lib/http settles no workspace for its routes. */
	bool ws_by_handler;
	enum status ws_refusal; /* the status of a workspace name outside the rules (ST_INVALID:
				   a 422 whose item names the header) */
	const struct http_keysource *key;
	/* Routes (by pattern) whose clients send their key and workspace elsewhere: another
	 * library posting to the same program speaks that dialect. NULL-terminated, or NULL. */
	const struct http_dialect_route *routes;
	const char *prefix; /* every route also answers under this path prefix ("/api"), or NULL */
	/* Query integers as Java reads them (a sign and digits), not as pydantic's lax mode does
	 * (blanks around, a fraction of zeros: http_text_int). */
	bool strict_ints;
	/* A query parameter given more than once is read by its first value, as JAX-RS's
	 * @QueryParam reads it; else by its last, as FastAPI reads a scalar one (Starlette's
	 * QueryParams keeps the last value of a key): `page_size=5&page_size=6` is 6. */
	bool first_param;
};

/* FastAPI's error bodies, for the dialects of APIs built on it (NeMo Intake, Scale GP):
 * {"detail": "<msg>"}, and HTTPValidationError {"detail": [items]}. */
void http_fastapi_error(struct buf *out, int code, const char *msg);
void http_fastapi_invalid(struct buf *out, json_t *items);

/* A program's routes and dialect: the whole of what http_main needs. */
struct http_surface {
	const struct http_dialect *dialect;
	const struct http_route *routes;
	size_t nroutes;
	/* Sets req->app, what the handlers run against (lib/api/common's api_open: the store of
	 * req->root), once the route is found and before the key is checked; a failure is
	 * answered in the dialect. NULL: req->app stays NULL. */
	enum status (*open)(struct http_req *req);
	/* Run once as the program starts, before its first request, given the data directory
	 * (NULL in plain CGI, where a start is a request's: nothing slow to check then);
	 * lib/api/common's api_start says there what is wrong with the bucket. NULL: none. */
	void (*start)(const char *root);
	/* A step of work the program does between requests, bounded so that a request that comes
	 * meanwhile waits at most one step (lib/api/common's api_idle); true while more is left.
	 * A FastCGI worker takes steps while no connection waits on its socket, and after each
	 * request until it returns false; plain CGI never. NULL: none. */
	bool (*idle)(void);
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
	/* Set by routing, before the handler runs. */
	const struct http_surface *surface;
	const struct http_route *route;
	const char *ws;	      /* the workspace (valid), or NULL for a route that has none */
	const char *id, *id2; /* the {id} and {id2} segments, or NULL */
	struct http_pval *pv; /* the route's parameters, in the order of route->params */
	/* The data directory (SPANDEX_DATA, else ./data): where lib/auth finds the keys, and what
	 * no error body names (reply.c). */
	const char *root;
	void *app; /* the surface's own state of this request (http_surface.open), or NULL */
	/* Who is asking: the id of the key the request carried ("k" and 10 hex digits), "token"
	 * for SPANDEX_TOKEN, NULL when authentication is off or the route is public. What a
	 * judgement records as its author (created_by) when the API names none. */
	const char *principal;
	/* The caller may change what others wrote (Scale GP's creator-or-admin rule): its key has
	 * the admin role (SPANDEX_TOKEN does), or authentication is off (anyone may). */
	bool admin;
	struct err err; /* the reason of a failed handler (http_fail) */
	json_t *verrs;	/* items of a 422 (http_fail_invalid), or NULL */
	bool replied, streaming;
	void *priv; /* lib/http's own state (the FCGX request) */
	/* When the request was taken (CLOCK_MONOTONIC and the thread's CPU clock, in ns): its
	 * queries' budget of time and the CPU that makes them expensive count from here, the
	 * reading and parsing of the body included (lib/api/common's api_query_init). */
	int64_t t0_ns, cpu0_ns;
};

/* The accept loop of every program in cgi-bin/: FastCGI on fd 0, or one request as plain CGI.
 * With SPANDEX_WORKERS=N (N>1) under FastCGI it pre-forks N workers and restarts any that die;
 * SIGTERM stops them all. Each request: path and query parsed, route matched (404, 405 with
 * Allow), workspace and key checked, parameters validated, and only then the body read; then
 * the handler. Run from a shell as `<program> --routes` (argc, argv: main's; not under a web
 * server, which sets GATEWAY_INTERFACE and may pass a query as arguments), it prints the routes
 * instead (http_routes_print). Returns the process exit code. */
int http_main(const struct http_surface *s, int argc, char **argv);

/* The routes of s, one line each: method, pattern (again under the dialect's prefix, when it
 * has one) and where the route names its workspace, in the words of the workspace column of
 * nginx/programs, which t/layers.sh holds to these lines: "path" (its {workspace} segment), "-"
 * (none: a public route, or a dialect that names no source), or the dialect's sources in the
 * order they are read, separated by commas: a header's name, "basic" (http_ws_basic_user),
 * "hook" (another hook) and "key" (the key's own workspace), the last two ones no front reads. */
void http_routes_print(FILE *f, const struct http_surface *s);

/* Configuration value name (SPANDEX_DATA ...): the FastCGI parameter the web server passes
 * (fastcgi_param / SetEnv) first, then the process environment; NULL if neither. req may be
 * NULL (outside a request: the environment only). */
const char *http_env(struct http_req *req, const char *name);
/* A count setting (a byte count, milliseconds): the value of name when it is a positive
 * decimal number, else def (a value that is not a number is logged once per request). */
unsigned long long http_env_count(struct http_req *req, const char *name, unsigned long long def);
/* Value of request header name ("X-Workspace"), or NULL. */
const char *http_header(struct http_req *req, const char *name);
/* Value of query parameter key, or NULL: of its first or last occurrence, as the request's
 * dialect reads a repeated one (http_dialect.first_param). */
const char *http_param(struct http_req *req, const char *key);
/* A Location header of the request's path (or of prefix, when not NULL) and then id, each
 * segment percent-encoded but its unreserved characters (RFC 3986 section 2.3): an id with a
 * '/' (sessions "user/42") or a line break in it stays one segment of one header line. */
const char *http_location(struct http_req *req, const char *prefix, const char *id);

/* Server-side problems go to FCGI_STDERR (the web server's error log) or stderr: what a
 * handler can no longer say in its reply (a streamed one under way). req may be NULL (outside
 * a request). */
void http_log(struct http_req *req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records the reason of a failure for the loop's error reply and returns st. */
enum status http_fail(struct http_req *req, enum status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same for a whole error object. */
enum status http_fail_err(struct http_req *req, const struct err *e);
/* http_fail for a failure whose reason (why) names what a client is not shown, a file of the
 * data directory: why goes to the programs' log, the reply says fmt, with why's status. No
 * error body names a path (issue 55, item 8). */
enum status http_fail_logged(struct http_req *req, const struct err *why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A 422 with validation errors v (lib/model/verr.h); returns ST_INVALID. */
enum status http_fail_invalid(struct http_req *req, struct verrs *v);

/* Marks req as expensive (a scan the index cannot answer alone): it takes one of the
 * program's slots for such requests and one of its workspace's, held until the request
 * ends (HTTP_CHEAP_WORKERS). ST_TOO_MANY (429 with Retry-After, reason recorded) when
 * either is full; nothing is waited for. A no-op for plain CGI and a single worker. */
enum status http_heavy(struct http_req *req);

/* Replies. A second reply to one request is dropped (and logged). */
void http_reply(struct http_req *req, int code, const char *ctype, const char *body, size_t len);
void http_reply_json(struct http_req *req, int code, const char *body, size_t len);
/* Extra header lines (each ending in CRLF) with the reply. */
void http_reply_with(struct http_req *req, int code, const char *ctype, const char *headers,
		     const char *body, size_t len);
/* A streamed reply of unknown length: the head now, then any number of writes. headers: extra
 * header lines (each ending in CRLF), or NULL. */
void http_stream_open(struct http_req *req, int code, const char *ctype);
void http_stream_open_with(struct http_req *req, int code, const char *ctype, const char *headers);
void http_stream_write(struct http_req *req, const char *p, size_t n);
/* Writes b and empties it once it holds HTTP_STREAM_CHUNK bytes, or at once with all: a page
 * built an item at a time goes out in pieces, never whole. */
#define HTTP_STREAM_CHUNK (64u << 10)
void http_stream_flush(struct http_req *req, struct buf *b, bool all);

/* Validates req's query against route r's parameter table into out (what the loop does; exposed
 * for tests). Bad values: 422; then unknown keys of a strict route: 400 "Unsupported query
 * parameter(s): a, b" (sorted). The failure is recorded in req (http_fail) and its status
 * returned. */
enum status http_params(struct http_req *req, const struct http_route *r, struct http_pval *out);

/* Body helpers. 415 unless Content-Type is one of the given media types (parameters such as
 * charset ignored, case-insensitive). */
enum status http_require_type(struct http_req *req, const char *const *types);
/* Parses the body as JSON with JSONX_MAX_DEPTH; 422 json_invalid (with the byte position in
 * loc) on malformed input, "missing" for an empty body. *out lives in the request arena. */
enum status http_json_body(struct http_req *req, json_t **out);
/* 415 unless FastAPI reads the body as JSON (below): for a handler that reads the text itself
 * first (lib/ingest's direct_parse_text), then http_fastapi_body when that says no. */
enum status http_fastapi_type(struct http_req *req);
/* The body as FastAPI reads a model's (the NeMo and Scale GP services): a request with no
 * Content-Type is read as JSON, as is one of application/json or application/<x>+json
 * (FastAPI's get_request_handler); any other type gets 415; then http_json_body. */
enum status http_fastapi_body(struct http_req *req, json_t **out);

#endif
