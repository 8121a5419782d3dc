/* reply: the one writer of responses (RFC 3875 section 6.3.3), error replies in the
 * surface's dialect, and streamed replies. */
#include "lib/http/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "lib/base/utf8.h"
#include "lib/json/jsonw.h"

/* Reason phrases of RFC 9110 section 15 for the codes the APIs use. */
static const char *reason(int code)
{
	switch (code) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 207: /* RFC 4918 section 11.1: a batch answered item by item (Langfuse's ingestion) */
		return "Multi-Status";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406: /* RFC 9110 section 15.5.7: no type the Accept header allows (the MCP server) */
		return "Not Acceptable";
	case 409:
		return "Conflict";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Content";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	default:
		return "Unknown";
	}
}

/* The head of a reply, to write; len < 0: unknown length (a stream). NULL for a second reply,
 * which is dropped: it would land inside the first one's body. */
static struct buf *reply_head(struct http_req *req, int code, const char *ctype, const char *extra,
			      long long len)
{
	struct buf *head = arena_buf(req->arena);

	if (req->replied) {
		http_log(req, "second reply (%d) to one request dropped", code);
		return NULL;
	}
	req->replied = true;
	http_body_discard(req);
	buf_printf(head, "Status: %d %s\r\n", code, reason(code));
	/* RFC 9110 sections 8.6, 15.3.5, 15.4.5: a 204 has neither content nor Content-Length, and
	 * a 304 no content (its headers are those a 200 would have had). */
	if (code != 204 && code != 304) {
		if (ctype)
			buf_printf(head, "Content-Type: %s\r\n", ctype);
		if (len >= 0)
			buf_printf(head, "Content-Length: %lld\r\n", len);
	}
	if (extra)
		buf_adds(head, extra);
	buf_adds(head, "\r\n");
	return head;
}

static bool has_body(struct http_req *req, int code)
{
	return code != 204 && code != 304 && strcmp(req->method, "HEAD") != 0;
}

void http_reply_with(struct http_req *req, int code, const char *ctype, const char *headers,
		     const char *body, size_t len)
{
	struct buf *head = reply_head(req, code, ctype, headers, (long long)len);
	if (!head)
		return;
	/* The work of an expensive request is done once its whole reply is in hand: its slot is
	 * given back before the reply's first byte leaves, so a client that sends its next request
	 * when this one's last byte comes never finds it still held (a stream keeps it to the end
	 * of the request, main.c). */
	http_slots_release();
	/* the head and the body in one write where they can be */
	http_out_write2(req, head->p, head->len, body, has_body(req, code) ? len : 0);
}

void http_reply(struct http_req *req, int code, const char *ctype, const char *body, size_t len)
{
	http_reply_with(req, code, ctype, NULL, body, len);
}

void http_reply_json(struct http_req *req, int code, const char *body, size_t len)
{
	http_reply_with(req, code, "application/json", NULL, body, len);
}

void http_stream_open(struct http_req *req, int code, const char *ctype)
{
	http_stream_open_with(req, code, ctype, NULL);
}

void http_stream_open_with(struct http_req *req, int code, const char *ctype, const char *headers)
{
	struct buf *head = reply_head(req, code, ctype, headers, -1);
	if (head)
		http_out_write(req, head->p, head->len);
	req->streaming = head && has_body(req, code);
}

void http_stream_write(struct http_req *req, const char *p, size_t n)
{
	if (req->streaming)
		http_out_write(req, p, n);
}

void http_stream_flush(struct http_req *req, struct buf *b, bool all)
{
	if (b->len >= HTTP_STREAM_CHUNK || (all && b->len)) {
		http_stream_write(req, b->p, b->len);
		b->len = 0;
	}
}

/* ---- FastAPI's shapes ---- */

void http_fastapi_error(struct buf *out, int code, const char *msg)
{
	(void)code;
	buf_adds(out, "{\"detail\":");
	jsonw_string(out, msg, strlen(msg));
	buf_addc(out, '}');
}

/* As FastAPI's JSONResponse prints it (jansson's compact form, which the golden replies were
 * recorded from). */
void http_fastapi_invalid(struct buf *out, json_t *items)
{
	buf_adds(out, "{\"detail\":");
	jsonw_value(out, items);
	buf_addc(out, '}');
}

/* ---- failures and error replies ---- */

enum status http_fail(struct http_req *req, enum status st, const char *fmt, ...)
{
	va_list ap;

	req->err.st = st;
	va_start(ap, fmt);
	vsnprintf(req->err.msg, sizeof req->err.msg, fmt, ap);
	va_end(ap);
	return st;
}

enum status http_fail_err(struct http_req *req, const struct err *e)
{
	req->err = *e;
	return e->st;
}

enum status http_fail_logged(struct http_req *req, const struct err *why, const char *fmt, ...)
{
	va_list ap;

	http_log(req, "%s", err_text(why));
	req->err.st = why->st;
	va_start(ap, fmt);
	vsnprintf(req->err.msg, sizeof req->err.msg, fmt, ap);
	va_end(ap);
	return why->st;
}

enum status http_fail_invalid(struct http_req *req, struct verrs *v)
{
	req->verrs = v->list;
	req->err.st = ST_INVALID;
	return ST_INVALID;
}

/* Headers an error reply carries: when to retry (RFC 9110 section 10.2.3), how to
 * authenticate (RFC 9110 section 11.6.1, RFC 6750 section 3). */
static const char *error_headers(struct http_req *req, enum status st)
{
	if (st == ST_UNAVAILABLE || st == ST_TOO_MANY)
		return "Retry-After: 1\r\n";
	if (st == ST_UNAUTHORIZED)
		return http_req_dialect(req)->key->challenge;
	return NULL;
}

void http_reply_error(struct http_req *req, enum status st, const char *msg)
{
	int code = status_http(st);
	struct buf *b = arena_buf(req->arena);

	/* A message that is not UTF-8 (a header quoted into it) cannot be said in JSON: say
	 * something true without it. */
	if (!msg || !*msg || !utf8_valid(msg, strlen(msg)))
		msg = status_message(st);
	http_req_dialect(req)->error(b, code, msg);
	http_reply_with(req, code, "application/json", error_headers(req, st), b->p, b->len);
}

/* The last guard of "no error body names a path" (issue 55, item 8): a reason that holds the
 * data directory's path (a text of the store's that escaped its handler) goes to the log
 * whole, and to the client with DATA in its place. */
static void scrub_root(struct http_req *req)
{
	const char *root = req->root, *at;
	size_t n = root ? strlen(root) : 0;

	if (n < 2 || root[0] != '/' || !(at = strstr(req->err.msg, root)))
		return;
	http_log(req, "%s", req->err.msg);
	struct buf *b = arena_buf(req->arena);
	const char *p = req->err.msg;
	for (; at; p = at + n, at = strstr(p, root)) {
		buf_add(b, p, (size_t)(at - p));
		buf_adds(b, "DATA");
	}
	buf_adds(b, p);
	snprintf(req->err.msg, sizeof req->err.msg, "%.*s", (int)b->len, b->p);
}

void http_reply_failure(struct http_req *req, enum status st)
{
	scrub_root(req);
	if (st == ST_INVALID && req->verrs) {
		struct buf *b = arena_buf(req->arena);

		http_req_dialect(req)->invalid(b, req->verrs);
		http_reply_json(req, status_http(ST_INVALID), b->p, b->len);
		return;
	}
	http_reply_error(req, st, req->err.st == st ? req->err.msg : NULL);
}

void http_reply_method(struct http_req *req, const char *allow)
{
	struct buf *b = arena_buf(req->arena);
	const char *extra = arena_printf(req->arena, "Allow: %s\r\n", allow);

	http_req_dialect(req)->error(b, 405, "Method Not Allowed");
	http_reply_with(req, 405, "application/json", extra, b->p, b->len);
}
