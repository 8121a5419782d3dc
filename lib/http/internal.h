/* http internal: the connection under a request and the steps of its handling, shared by
 * the files of lib/http only (conn.c -> reply.c -> request.c, params.c -> route.c -> main.c;
 * key.c beside conn.c). */
#ifndef SPANDEX_HTTP_INTERNAL_H
#define SPANDEX_HTTP_INTERNAL_H

#include <stdint.h>
#include <fcgiapp.h>
#include "lib/http/http.h"

struct http_rtable;

/* "NAME=value" entries (FastCGI params, an environment) indexed by their names' hashes once,
 * so that each of the twenty names a request reads (settings, headers) is not compared with
 * every entry in turn (FCGX_GetParam, getenv): conn.c. Past HTTP_VARS_MAX entries, the rest
 * are read one by one. */
#define HTTP_VARS_MAX 64
struct http_vars {
	bool built;
	char **env;		     /* the entries, NULL-terminated */
	size_t n;		     /* of them indexed */
	uint64_t h[HTTP_VARS_MAX];   /* hash_mem of each name */
	uint32_t len[HTTP_VARS_MAX]; /* each name's length */
};

/* Per-request state behind req->priv. */
struct http_conn {
	const struct http_rtable *rt; /* the surface's routes split (route.c), or NULL */
	struct http_vars vars;	      /* the request's params (or CGI's environment), once read */
	FCGX_Request *fcgx;	      /* NULL in plain CGI mode: fd 0, fd 1 and the environment */
	char *inflated;		      /* decompressed body (xmalloc), freed after the request */
	struct buf unsized; /* a body read to its end (no CONTENT_LENGTH), freed after it */
	unsigned long long body_got; /* body bytes read so far */
	bool body_end;		     /* the body stream has ended */
};

/* SPANDEX_MAX_BODY is capped so a body always fits zlib's 32-bit counters. */
#define HTTP_MAX_BODY_CEILING (1u << 30)

/* conn.c: the FastCGI params or CGI meta-variables, the body stream, the output, the log. */
const char *http_var(struct http_req *req, const char *name);
size_t http_body_read(struct http_req *req, char *p, size_t n);
void http_out_write(struct http_req *req, const char *p, size_t n);
/* head[0..hn) then p[0..n): one FastCGI record where they fit, as http_out_write. */
void http_out_write2(struct http_req *req, const char *head, size_t hn, const char *p, size_t n);
/* True for the methods whose requests carry a body (RFC 9110 section 9.3). */
bool http_method_has_body(const char *m);
/* Plain CGI only: reads and drops what is left of the body, so the web server is never left
 * writing it into a closed pipe (reply.c calls it before the head of every reply). */
void http_body_discard(struct http_req *req);

/* reply.c: the dialect of the request: its route's own, else its surface's. */
const struct http_dialect *http_req_dialect(const struct http_req *req);

/* request.c: path and query (RFC 3986), then the body. Each replies on failure. */
enum status http_parse_path(struct http_req *req);
enum status http_parse_query(struct http_req *req);
enum status http_read_body(struct http_req *req);
/* Undoes the Content-Encoding of req->body (gzip, deflate; 415 otherwise) within max_body; the
 * inflated bytes live in the connection until the request ends (t/fuzz/body.c calls it). */
enum status http_decode_body(struct http_req *req);

/* reply.c: the error reply of st in the surface's dialect (msg NULL: the default text), or
 * of req->err / req->verrs after a failed handler. */
void http_reply_error(struct http_req *req, enum status st, const char *msg);
void http_reply_failure(struct http_req *req, enum status st);
/* 405 with Allow (RFC 9110 section 15.5.6). */
void http_reply_method(struct http_req *req, const char *allow);

/* slots.c: the slots of expensive requests (http_heavy). init runs in the parent before
 * it forks its workers; release after each request. */
#define HTTP_MAX_WORKERS 64
void http_slots_init(int workers);
/* Notes the request's start (req->t0_ns, req->cpu0_ns), before anything of it is read. */
void http_slots_start(struct http_req *req);
void http_slots_release(void);
/* Takes this request's slots of ws (slots.c): 0 taken (or none kept, or held already); 1 the
 * workspace's share is taken, 2 the program's slots are, *most then the share or the slots. */
int http_slots_take(const char *ws, int *most);

/* route.c: everything between the parsed request and its handler. */
void http_dispatch(struct http_req *req);
/* The patterns of s's routes and of its dialect's prefix split into segments, in a (a process
 * splits them once: http_main); it points into the patterns, which outlive it. */
const struct http_rtable *http_routes_compile(const struct http_surface *s, struct arena *a);

#endif
