/* http: one request over FastCGI (libfcgi's fcgiapp, explicit FCGX_Request) or plain CGI
 * (RFC 3875), turned into a struct http_req; and the single reply path of every program. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcgiapp.h>
#include <zlib.h>
#include "lib/http/http.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/base/utf8.h"

/* SPANDEX_MAX_BODY is capped so a body always fits zlib's 32-bit counters. */
#define HTTP_MAX_BODY_CEILING (1u << 30)
#define HTTP_MAX_WORKERS 64
/* A worker that dies sooner than this after its start is crash-looping: wait before the
 * next start so the parent does not spin. */
#define HTTP_RESPAWN_BACKOFF_SEC 1

/* Per-request state behind req->priv. */
struct conn {
	FCGX_Request *fcgx; /* NULL in plain CGI mode: fd 0, fd 1 and the environment */
	char *inflated;	    /* decompressed body (xmalloc), freed after the request */
	struct buf unsized; /* a body read to its end (no CONTENT_LENGTH), freed after it */
};

static volatile sig_atomic_t stopping; /* SIGTERM/SIGINT seen */
static volatile sig_atomic_t busy;     /* a worker is inside a request */

static struct conn *conn_of(struct http_req *req)
{
	return req->priv;
}

/* FastCGI params and CGI meta-variables play the same role (FastCGI spec section 6.2). */
static const char *cgi_var(struct conn *c, const char *name)
{
	return c->fcgx ? FCGX_GetParam(name, c->fcgx->envp) : getenv(name);
}

/* Reads up to n body bytes; fewer only when the body ends (FCGI_STDIN's empty record, or
 * EOF on fd 0). */
static size_t body_read(struct conn *c, char *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		size_t want = n - got < INT_MAX ? n - got : INT_MAX;
		ssize_t r;

		if (c->fcgx)
			r = FCGX_GetStr(p + got, (int)want, c->fcgx->in);
		else
			r = read(STDIN_FILENO, p + got, want);
		if (r < 0 && !c->fcgx && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

static void out_write(struct conn *c, const char *p, size_t n)
{
	while (n > 0) {
		size_t want = n < INT_MAX ? n : INT_MAX;
		ssize_t w;

		if (c->fcgx)
			w = FCGX_PutStr(p, (int)want, c->fcgx->out);
		else
			w = write(STDOUT_FILENO, p, want);
		if (w < 0 && !c->fcgx && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* the client is gone; nothing useful is left to do */
		p += w;
		n -= (size_t)w;
	}
}

/* Server-side problems go to FCGI_STDERR (the web server's error log) or stderr. */
static void log_err(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_err(struct conn *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (c && c->fcgx)
		FCGX_FPrintF(c->fcgx->err, "spandex: %s\n", line);
	else
		fprintf(stderr, "spandex: %s\n", line);
}

const char *http_env(struct http_req *req, const char *name)
{
	const char *v = req ? cgi_var(conn_of(req), name) : NULL;

	return v ? v : getenv(name);
}

/* RFC 3875 section 4.1.18: a header becomes HTTP_ + upper case with '-' as '_'; the two
 * body headers have their own meta-variables (sections 4.1.2, 4.1.3). */
const char *http_header(struct http_req *req, const char *name)
{
	char var[128] = "HTTP_";
	size_t i, off = 5;

	if (!strcasecmp(name, "Content-Type") || !strcasecmp(name, "Content-Length"))
		off = 0;
	if (off + strlen(name) >= sizeof var)
		return NULL;
	for (i = 0; name[i]; i++)
		var[off + i] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
	var[off + i] = '\0';
	return cgi_var(conn_of(req), var);
}

const char *http_param(struct http_req *req, const char *key)
{
	for (size_t i = 0; i < req->nparams; i++)
		if (!strcmp(req->params[i].key, key))
			return req->params[i].value;
	return NULL;
}

/* ---- Replies ---- */

/* Reason phrases of RFC 9110 section 15 for the codes the API uses. */
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
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Content";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "Unknown";
	}
}

/* The one writer of a response: a CGI Status header (RFC 3875 section 6.3.3), then the body.
 * extra holds further header lines, each ending in CRLF. A second reply is dropped: it would
 * land inside the first one's body. */
static void reply_raw(struct http_req *req, int code, const char *ctype, const char *extra,
		      const char *body, size_t len)
{
	struct conn *c = conn_of(req);
	struct buf head;

	if (req->replied) {
		log_err(c, "second reply (%d) to one request dropped", code);
		return;
	}
	req->replied = true;
	buf_init(&head);
	buf_printf(&head, "Status: %d %s\r\n", code, reason(code));
	/* RFC 9110 sections 8.6, 15.3.5: a 204 has neither content nor Content-Length. */
	if (code != 204) {
		if (ctype)
			buf_printf(&head, "Content-Type: %s\r\n", ctype);
		buf_printf(&head, "Content-Length: %zu\r\n", len);
	}
	if (extra)
		buf_adds(&head, extra);
	buf_adds(&head, "\r\n");
	out_write(c, head.p, head.len);
	if (code != 204 && strcmp(req->method, "HEAD") != 0)
		out_write(c, body, len);
	buf_free(&head);
}

void http_reply(struct http_req *req, int code, const char *ctype, const char *body, size_t len)
{
	reply_raw(req, code, ctype, NULL, body, len);
}

void http_reply_json(struct http_req *req, int code, const char *body, size_t len)
{
	reply_raw(req, code, "application/json", NULL, body, len);
}

/* Serialises v compactly (as FastAPI's JSONResponse does) and steals it. */
static void reply_value(struct http_req *req, int code, const char *extra, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	if (s)
		reply_raw(req, code, "application/json", extra, s, strlen(s));
	else
		reply_raw(req, 500, "application/json", NULL,
			  "{\"detail\":\"Internal Server Error\"}", 34);
	free(s);
	json_decref(v);
}

static void reply_detail(struct http_req *req, int code, const char *extra, const char *msg)
{
	json_t *v = json_pack("{s:s}", "detail", msg);

	if (!v) /* msg was not UTF-8: say something true without it */
		v = json_pack("{s:s}", "detail", reason(code));
	reply_value(req, code, extra, v);
}

void http_error(struct http_req *req, enum status st, const char *msg)
{
	/* RFC 9110 section 10.2.3: tell clients when a 503 is worth retrying. */
	reply_detail(req, status_http(st), st == ST_UNAVAILABLE ? "Retry-After: 1\r\n" : NULL, msg);
}

void http_errorf(struct http_req *req, enum status st, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	http_error(req, st, msg);
}

void http_reply_verrs(struct http_req *req, struct verrs *v)
{
	reply_value(req, status_http(ST_INVALID), NULL, json_pack("{s:O}", "detail", v->list));
	verrs_free(v);
}

enum status http_allow(struct http_req *req, const char *allowed)
{
	const char *m = req->method;
	size_t mlen = strlen(m);

	/* HEAD is GET without the body (RFC 9110 section 9.3.2); reply_raw drops the body. */
	if (!strcmp(m, "HEAD")) {
		m = "GET";
		mlen = 3;
	}
	for (const char *p = allowed; *p;) {
		size_t n = strcspn(p, ", ");

		if (n == mlen && !strncmp(p, m, n))
			return ST_OK;
		p += n;
		p += strspn(p, ", ");
	}
	char *extra = arena_printf(req->arena, "Allow: %s\r\n", allowed);

	/* RFC 9110 section 15.5.6: a 405 carries Allow. */
	reply_detail(req, status_http(ST_METHOD), extra, "Method Not Allowed");
	return ST_METHOD;
}

/* ---- Authentication ---- */

enum status http_authenticate(struct http_req *req)
{
	const char *token = http_env(req, "SPANDEX_TOKEN");
	const char *auth = http_header(req, "Authorization");

	if (!token || !*token)
		return ST_OK;
	/* RFC 6750 section 2.1; the scheme name is case-insensitive (RFC 9110 section 11.1). */
	if (auth && !strncasecmp(auth, "Bearer ", 7)) {
		const char *cred = auth + 7 + strspn(auth + 7, " ");
		uint8_t want[32], got[32];
		unsigned diff = 0;

		/* Comparing digests takes the same time whatever the input and its length. */
		hash_sha256(token, strlen(token), want);
		hash_sha256(cred, strlen(cred), got);
		for (size_t i = 0; i < sizeof want; i++)
			diff |= want[i] ^ got[i];
		if (!diff)
			return ST_OK;
	}
	/* There is no 401 in enum status: the reply is written here, and the caller only needs
	 * to know the request is done. */
	reply_detail(req, 401, "WWW-Authenticate: Bearer\r\n", "Not authenticated");
	return ST_BAD_REQUEST;
}

/* ---- Path and query (RFC 3986) ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes s[0..n) into the arena (RFC 3986 section 2.1: "%" HEXDIG HEXDIG); with
 * plus_space '+' is a space (application/x-www-form-urlencoded, queries only). Returns NULL
 * and why on a malformed escape, a NUL, or bytes that are not UTF-8. */
static char *pct_decode(struct arena *a, const char *s, size_t n, bool plus_space, size_t *outlen,
			const char **why)
{
	char *out = arena_alloc(a, n + 1);
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
			int lo = hi >= 0 ? hexval((unsigned char)s[i + 2]) : -1;

			if (hi < 0 || lo < 0) {
				*why = "malformed percent-encoding";
				return NULL;
			}
			c = hi * 16 + lo;
			i += 2;
		} else if (c == '+' && plus_space) {
			c = ' ';
		}
		if (c == 0) {
			*why = "encoded NUL";
			return NULL;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (!utf8_valid(out, o)) {
		*why = "invalid UTF-8";
		return NULL;
	}
	*outlen = o;
	return out;
}

/* Splits the raw REQUEST_URI path into decoded segments. This is the boundary that keeps
 * anything able to climb out of a directory away from handlers: a segment may not decode to
 * '/' or NUL, and may not be "." or ".." (RFC 3986 section 3.3 dot-segments), raw or
 * encoded. */
static enum status parse_path(struct http_req *req)
{
	const char *uri = cgi_var(conn_of(req), "REQUEST_URI");
	const char *why = NULL;
	char *path;
	size_t len, plen = 0;

	if (!uri) {
		log_err(conn_of(req), "REQUEST_URI is not set by the web server");
		http_error(req, ST_INTERNAL, status_message(ST_INTERNAL));
		return ST_INTERNAL;
	}
	/* absolute-form request-target (RFC 9112 section 3.2.2): drop scheme and authority. */
	if (uri[0] != '/' && strstr(uri, "://")) {
		uri = strchr(strstr(uri, "://") + 3, '/');
		if (!uri)
			uri = "/";
	}
	len = strcspn(uri, "?#");
	path = arena_alloc(req->arena, len + 1);
	for (size_t i = 0; i < len;) {
		size_t n = strcspn(uri + i, "/?#"), slen;
		char *seg;

		if (n == 0) { /* an empty segment: kept in path, dropped from segs */
			if (uri[i] == '/')
				path[plen++] = '/';
			i++;
			continue;
		}
		seg = pct_decode(req->arena, uri + i, n, false, &slen, &why);
		if (seg && memchr(seg, '/', slen))
			why = "encoded '/' in a segment";
		else if (seg && (!strcmp(seg, ".") || !strcmp(seg, "..")))
			why = "'.' or '..' segment";
		if (why) {
			http_errorf(req, ST_BAD_REQUEST, "Invalid path: %s", why);
			return ST_BAD_REQUEST;
		}
		if (req->nsegs == HTTP_MAX_SEGMENTS) { /* no route is that deep */
			http_error(req, ST_NOT_FOUND, status_message(ST_NOT_FOUND));
			return ST_NOT_FOUND;
		}
		req->segs[req->nsegs++] = seg;
		memcpy(path + plen, seg, slen);
		plen += slen;
		i += n;
	}
	path[plen] = '\0';
	req->path = plen ? path : "/";
	return ST_OK;
}

/* key=value pairs joined by '&' (WHATWG URL "application/x-www-form-urlencoded parsing"). */
static enum status parse_query(struct http_req *req)
{
	const char *qs = cgi_var(conn_of(req), "QUERY_STRING");
	const char *why = NULL;

	if (!qs) { /* some servers only pass REQUEST_URI */
		const char *uri = cgi_var(conn_of(req), "REQUEST_URI");

		qs = uri && strchr(uri, '?') ? strchr(uri, '?') + 1 : "";
	}
	for (const char *p = qs; *p;) {
		size_t n = strcspn(p, "&"), klen = strcspn(p, "=");
		struct http_param *prm;
		size_t dummy;

		if (klen > n)
			klen = n;
		if (klen > 0) {
			if (req->nparams == HTTP_MAX_PARAMS) {
				http_errorf(req, ST_BAD_REQUEST,
					    "Too many query parameters (at most %d)",
					    HTTP_MAX_PARAMS);
				return ST_BAD_REQUEST;
			}
			prm = &req->params[req->nparams++];
			prm->key = pct_decode(req->arena, p, klen, true, &dummy, &why);
			if (prm->key) {
				size_t voff = klen < n ? klen + 1 : n;

				prm->value =
				    pct_decode(req->arena, p + voff, n - voff, true, &dummy, &why);
			}
			if (why) {
				http_errorf(req, ST_BAD_REQUEST, "Invalid query string: %s", why);
				return ST_BAD_REQUEST;
			}
		}
		p += n;
		if (*p == '&')
			p++;
	}
	return ST_OK;
}

/* ---- Body ---- */

static size_t max_body(struct http_req *req)
{
	const char *v = http_env(req, "SPANDEX_MAX_BODY");
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return HTTP_MAX_BODY_DEFAULT;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n == 0 || !isdigit((unsigned char)v[0])) {
		log_err(conn_of(req), "SPANDEX_MAX_BODY=%s is not a byte count; using %u", v,
			HTTP_MAX_BODY_DEFAULT);
		return HTTP_MAX_BODY_DEFAULT;
	}
	return n < HTTP_MAX_BODY_CEILING ? (size_t)n : HTTP_MAX_BODY_CEILING;
}

/* Inflates req->body (gzip: RFC 1952, several members allowed; deflate: the zlib format of
 * RFC 1950, as RFC 9110 section 8.4.1.2 defines it). The limit applies to the inflated size,
 * so a small bomb gets the same 413 as a large body; at most max+1 bytes are ever produced. */
static enum status inflate_body(struct http_req *req, int wbits, const char *name)
{
	struct conn *c = conn_of(req);
	z_stream z = {0};
	size_t cap = 0, len = 0, limit = req->max_body + 1;
	enum status st = ST_OK;

	if (inflateInit2(&z, wbits) != Z_OK)
		abort(); /* only out of memory: the spawner restarts the process */
	z.next_in = (Bytef *)req->body;
	z.avail_in = (uInt)req->body_len;
	for (;;) {
		int zr;

		if (len == cap) {
			cap = cap ? cap * 2 : 64 * 1024;
			if (cap > limit)
				cap = limit;
			c->inflated = xrealloc(c->inflated, cap + 1);
		}
		z.next_out = (Bytef *)c->inflated + len;
		z.avail_out = (uInt)(cap - len);
		zr = inflate(&z, Z_NO_FLUSH);
		len = cap - z.avail_out;
		if (len > req->max_body) {
			http_errorf(req, ST_TOO_LARGE,
				    "Decompressed request body exceeds the limit of %zu bytes",
				    req->max_body);
			st = ST_TOO_LARGE;
			goto out;
		}
		if (zr == Z_STREAM_END && z.avail_in == 0)
			break;
		if (zr == Z_STREAM_END && wbits > MAX_WBITS) { /* next gzip member */
			inflateReset(&z);
			continue;
		}
		if (zr == Z_OK || (zr == Z_BUF_ERROR && z.avail_out == 0))
			continue;
		/* Z_DATA_ERROR, trailing bytes after a deflate stream, or input that ends before
		 * the stream does (Z_BUF_ERROR with room left). */
		http_errorf(req, ST_BAD_REQUEST, "Invalid %s data in the request body", name);
		st = ST_BAD_REQUEST;
		goto out;
	}
	c->inflated[len] = '\0';
	req->body = c->inflated;
	req->body_len = len;
out:
	inflateEnd(&z);
	return st;
}

/* Undoes Content-Encoding (RFC 9110 section 8.4); other codings get 415 (section 15.5.16). */
static enum status decode_body(struct http_req *req)
{
	const char *e = req->content_encoding;
	size_t n;

	if (!e)
		return ST_OK;
	e += strspn(e, " \t");
	n = strcspn(e, " \t");
	if (n == 0 || (n == 8 && !strncasecmp(e, "identity", 8)))
		return ST_OK;
	if ((n == 4 && !strncasecmp(e, "gzip", 4)) || (n == 6 && !strncasecmp(e, "x-gzip", 6)))
		return inflate_body(req, MAX_WBITS + 16, "gzip");
	if (n == 7 && !strncasecmp(e, "deflate", 7))
		return inflate_body(req, MAX_WBITS, "deflate");
	http_errorf(req, ST_MEDIA_TYPE, "Unsupported Content-Encoding '%s'", req->content_encoding);
	return ST_MEDIA_TYPE;
}

/* True for the methods whose requests carry a body (RFC 9110 section 9.3). */
static bool method_has_body(const char *m)
{
	return !strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH");
}

/* A body sent without Content-Length (Transfer-Encoding: chunked): Apache's mod_cgi and
 * mod_proxy_fcgi pass it with no CONTENT_LENGTH and end the stream with it, so it is read to
 * its end, at most max_body + 1 bytes (one more tells that it is over the limit). */
static enum status read_unsized(struct http_req *req)
{
	struct conn *c = conn_of(req);
	struct buf *b = &c->unsized;

	for (;;) {
		size_t room = 64 * 1024, got;

		if (b->len + room > req->max_body + 1)
			room = req->max_body + 1 - b->len;
		buf_reserve(b, room);
		got = body_read(c, b->p + b->len, room);
		b->len += got;
		b->p[b->len] = '\0';
		if (b->len > req->max_body) {
			http_errorf(req, ST_TOO_LARGE, "Request body exceeds the limit of %zu bytes",
				    req->max_body);
			return ST_TOO_LARGE;
		}
		if (got < room)
			break;
	}
	req->body = b->p ? b->p : "";
	req->body_len = b->len;
	return decode_body(req);
}

/* Reads exactly CONTENT_LENGTH bytes (RFC 3875 section 4.1.2). A short body is refused:
 * ingesting a truncated batch would store half of what the client sent. Without
 * CONTENT_LENGTH a request that may carry a body is read to its end (read_unsized). */
static enum status read_body(struct http_req *req)
{
	const char *cl = cgi_var(conn_of(req), "CONTENT_LENGTH");
	unsigned long long n = 0;
	char *p, *end;
	size_t got;

	req->max_body = max_body(req);
	req->content_type = cgi_var(conn_of(req), "CONTENT_TYPE");
	req->content_encoding = http_header(req, "Content-Encoding");
	if (!(cl && *cl) && method_has_body(req->method))
		return read_unsized(req);
	if (cl && *cl) {
		errno = 0;
		n = strtoull(cl, &end, 10);
		if (*end || !isdigit((unsigned char)cl[0])) {
			http_error(req, ST_BAD_REQUEST, "Invalid Content-Length");
			return ST_BAD_REQUEST;
		}
		if (errno == ERANGE)
			n = ULLONG_MAX;
	}
	if (n > req->max_body) { /* refused before reading any of it */
		http_errorf(req, ST_TOO_LARGE,
			    "Request body of %llu bytes exceeds the limit of %zu bytes", n,
			    req->max_body);
		return ST_TOO_LARGE;
	}
	p = arena_alloc(req->arena, (size_t)n + 1);
	got = body_read(conn_of(req), p, (size_t)n);
	if (got < n) {
		http_errorf(req, ST_BAD_REQUEST, "Request body ended after %zu of %llu bytes", got,
			    n);
		return ST_BAD_REQUEST;
	}
	p[n] = '\0';
	req->body = p;
	req->body_len = (size_t)n;
	return decode_body(req);
}

enum status http_require_type(struct http_req *req, const char *const *types)
{
	const char *ct = req->content_type ? req->content_type : "";
	struct buf want;
	size_t n;

	/* media-type = type "/" subtype parameters, case-insensitive (RFC 9110 section 8.3.1). */
	ct += strspn(ct, " \t");
	n = strcspn(ct, ";");
	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	for (size_t i = 0; types[i]; i++)
		if (strlen(types[i]) == n && !strncasecmp(ct, types[i], n))
			return ST_OK;
	buf_init(&want);
	for (size_t i = 0; types[i]; i++)
		buf_printf(&want, "%s%s", i ? ", " : "", types[i]);
	if (n == 0)
		http_errorf(req, ST_MEDIA_TYPE, "Missing Content-Type; expected %s%s",
			    types[0] && types[1] ? "one of " : "", want.p);
	else
		http_errorf(req, ST_MEDIA_TYPE, "Unsupported media type '%.*s'; expected %s%s",
			    (int)n, ct, types[0] && types[1] ? "one of " : "", want.p);
	buf_free(&want);
	return ST_MEDIA_TYPE;
}

/* FastAPI's answers: an empty body is a missing field, bad JSON is json_invalid with the
 * position in loc and the parser's reason in ctx. */
enum status http_json_body(struct http_req *req, json_t **out)
{
	struct verrs v;
	char why[128];
	size_t pos = 0;

	*out = NULL;
	verrs_init(&v);
	if (strspn(req->body, " \t\r\n") == req->body_len) {
		verrs_add(&v, json_pack("[s]", "body"), "missing", "Field required", json_null());
	} else {
		*out = jsonx_parse(req->body, req->body_len, &pos, why, sizeof why);
		if (*out) {
			verrs_free(&v);
			return ST_OK;
		}
		verrs_add_ctx(&v, json_pack("[s,I]", "body", (json_int_t)pos), "json_invalid",
			      "JSON decode error", json_object(), json_pack("{s:s}", "error", why));
	}
	http_reply_verrs(req, &v);
	return ST_INVALID;
}

/* ---- Parameter tables ---- */

static bool key_declared(const char *key, const struct http_pspec *specs, size_t n,
			 const char *const *prefixes)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(key, specs[i].name))
			return true;
	for (size_t i = 0; prefixes && prefixes[i]; i++)
		if (!strncmp(key, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* 400 naming every undeclared key once, sorted; false when there is none. */
static bool refuse_unknown(struct http_req *req, const struct http_pspec *specs, size_t n,
			   const char *const *prefixes)
{
	const char *unknown[HTTP_MAX_PARAMS];
	size_t nu = 0;
	struct buf msg;

	for (size_t i = 0; i < req->nparams; i++)
		if (!key_declared(req->params[i].key, specs, n, prefixes))
			unknown[nu++] = req->params[i].key;
	if (nu == 0)
		return false;
	qsort(unknown, nu, sizeof *unknown, cmp_str);
	buf_init(&msg);
	buf_adds(&msg, "Unsupported query parameter(s): ");
	for (size_t i = 0; i < nu; i++)
		if (i == 0 || strcmp(unknown[i], unknown[i - 1]))
			buf_printf(&msg, "%s%s", i ? ", " : "", unknown[i]);
	http_error(req, ST_BAD_REQUEST, msg.p);
	buf_free(&msg);
	return true;
}

/* pydantic's messages and ctx for an int query parameter with ge/le bounds. */
static void check_int(const struct http_pspec *sp, const char *s, long long *out, struct verrs *v)
{
	char *end;
	long long x;
	bool low, high;

	errno = 0;
	x = strtoll(s, &end, 10);
	/* strtoll would skip leading blanks; a number is sign and digits only. */
	if (end == s || *end || isspace((unsigned char)s[0])) {
		verrs_add(v, json_pack("[s,s]", "query", sp->name), "int_parsing",
			  "Input should be a valid integer, unable to parse string as an integer",
			  json_string(s));
		return;
	}
	low = x < sp->min || (errno == ERANGE && x == LLONG_MIN);
	high = x > sp->max || (errno == ERANGE && x == LLONG_MAX);
	if (low || high) {
		long long bound = low ? sp->min : sp->max;
		char msg[96];

		snprintf(msg, sizeof msg, "Input should be %s than or equal to %lld",
			 low ? "greater" : "less", bound);
		verrs_add_ctx(v, json_pack("[s,s]", "query", sp->name),
			      low ? "greater_than_equal" : "less_than_equal", msg, json_string(s),
			      json_pack("{s:I}", low ? "ge" : "le", (json_int_t)bound));
		return;
	}
	*out = x;
}

/* pydantic's enum error: "Input should be 'a', 'b' or 'c'". */
static void check_enum(const struct http_pspec *sp, const char *s, struct verrs *v)
{
	struct buf expected, msg;
	size_t n = 0;

	for (n = 0; sp->choices[n]; n++)
		if (!strcmp(s, sp->choices[n]))
			return;
	buf_init(&expected);
	for (size_t i = 0; i < n; i++)
		buf_printf(&expected, "%s'%s'",
			   i == 0	? ""
			   : i + 1 == n ? " or "
					: ", ",
			   sp->choices[i]);
	buf_init(&msg);
	buf_printf(&msg, "Input should be %s", expected.p);
	verrs_add_ctx(v, json_pack("[s,s]", "query", sp->name), "enum", msg.p, json_string(s),
		      json_pack("{s:s}", "expected", expected.p));
	buf_free(&expected);
	buf_free(&msg);
}

enum status http_params(struct http_req *req, const struct http_pspec *specs, size_t n,
			const char *const *prefixes, struct http_pval *out)
{
	struct verrs v;

	if (refuse_unknown(req, specs, n, prefixes))
		return ST_BAD_REQUEST;
	verrs_init(&v);
	for (size_t i = 0; i < n; i++) {
		const struct http_pspec *sp = &specs[i];
		const char *s = http_param(req, sp->name);

		out[i] = (struct http_pval){.s = s, .present = s != NULL};
		if (!s && sp->required) {
			verrs_add(&v, json_pack("[s,s]", "query", sp->name), "missing",
				  "Field required", json_null());
			continue;
		}
		/* A default goes through the same checks, so a wrong table shows at once. */
		if (!s)
			s = out[i].s = sp->def;
		if (!s)
			continue;
		if (sp->type == PT_INT)
			check_int(sp, s, &out[i].i, &v);
		else if (sp->type == PT_ENUM)
			check_enum(sp, s, &v);
	}
	if (verrs_count(&v)) {
		http_reply_verrs(req, &v);
		return ST_INVALID;
	}
	verrs_free(&v);
	return ST_OK;
}

/* ---- Request loop ---- */

/* Parses one request, authenticates it, reads its body and runs the handler; whatever goes
 * wrong, exactly one reply is written. */
static void handle(struct http_req *req, http_handler handler)
{
	const char *m = cgi_var(conn_of(req), "REQUEST_METHOD");
	enum status st;

	req->method = m && *m ? m : "GET";
	st = parse_path(req);
	if (st == ST_OK)
		st = parse_query(req);
	/* Before the body, so no unauthenticated body is read or inflated. */
	if (st == ST_OK)
		st = http_authenticate(req);
	if (st == ST_OK)
		st = read_body(req);
	if (st == ST_OK)
		st = handler(req);
	if (req->replied)
		return;
	if (st == ST_OK) {
		log_err(conn_of(req), "handler for %s %s returned without a reply", req->method,
			req->path);
		st = ST_INTERNAL;
	}
	http_error(req, st, status_message(st));
}

static void serve_one(FCGX_Request *fr, struct arena *a, http_handler handler)
{
	struct conn c = {.fcgx = fr};
	struct http_req req = {.arena = a, .priv = &c};

	handle(&req, handler);
	/* Leave no body bytes unread: the web server may still be sending them, and a
	 * connection closed under it turns our reply into a 502 (FastCGI spec section 5.3). */
	if (fr) {
		char sink[16384];

		while (FCGX_GetStr(sink, sizeof sink, fr->in) > 0)
			;
	}
	free(c.inflated);
	buf_free(&c.unsized);
	arena_reset(a);
}

/* A worker stops at once when idle, or after the request in hand. */
static void on_term_worker(int sig)
{
	(void)sig;
	if (!busy)
		_exit(0);
	stopping = 1;
}

static void on_term_parent(int sig)
{
	(void)sig;
	stopping = 1;
}

static void set_signals(void (*fn)(int))
{
	struct sigaction sa = {.sa_handler = fn}; /* no SA_RESTART: waits must see the signal */

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* The FastCGI accept loop on the listening socket the spawner left on fd 0 (FastCGI spec
 * section 2.2). */
static int serve(http_handler handler)
{
	FCGX_Request fr;
	struct arena *a = arena_new();
	int rc = 0;

	set_signals(on_term_worker);
	if (FCGX_InitRequest(&fr, 0, 0) != 0)
		abort();
	while (!stopping) {
		if (FCGX_Accept_r(&fr) < 0) {
			rc = stopping ? 0 : 1;
			break;
		}
		busy = 1;
		serve_one(&fr, a, handler);
		FCGX_Finish_r(&fr);
		busy = 0;
	}
	FCGX_Free(&fr, 1);
	arena_free(a);
	return rc;
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static pid_t spawn_worker(http_handler handler)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(serve(handler));
	if (pid < 0)
		log_err(NULL, "fork: %s", strerror(errno));
	return pid;
}

/* Pre-forks n workers that all accept on fd 0, replaces any that dies (after a back-off if
 * it died young), and on SIGTERM/SIGINT stops them and returns 0. */
static int prefork(http_handler handler, int n)
{
	pid_t pids[HTTP_MAX_WORKERS];
	double born[HTTP_MAX_WORKERS];

	set_signals(on_term_parent);
	for (int i = 0; i < n; i++) {
		pids[i] = spawn_worker(handler);
		born[i] = mono_now();
	}
	while (!stopping) {
		int wst, i = 0;
		pid_t pid = waitpid(-1, &wst, 0);

		if (pid < 0 && errno == EINTR)
			continue;
		/* The slot to refill: the dead worker's or, once no child is left, one whose fork
		 * failed. */
		while (i < n && pids[i] != (pid > 0 ? pid : -1))
			i++;
		if (i == n && pid < 0)
			break;
		if (i == n)
			continue;
		if (pid > 0 && !(WIFEXITED(wst) && WEXITSTATUS(wst) == 0))
			log_err(NULL, "worker %d died (status %d); restarting", (int)pid, wst);
		if (mono_now() - born[i] < HTTP_RESPAWN_BACKOFF_SEC) {
			struct timespec ts = {HTTP_RESPAWN_BACKOFF_SEC, 0};

			nanosleep(&ts, NULL); /* SIGTERM cuts it short */
		}
		if (stopping)
			break;
		pids[i] = spawn_worker(handler);
		born[i] = mono_now();
	}
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	return 0;
}

static int worker_count(void)
{
	const char *v = getenv("SPANDEX_WORKERS");
	char *end;
	long n;

	if (!v || !*v)
		return 1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < 1 || n > HTTP_MAX_WORKERS) {
		log_err(NULL, "SPANDEX_WORKERS=%s is not 1..%d; using 1", v, HTTP_MAX_WORKERS);
		return 1;
	}
	return (int)n;
}

int http_main(http_handler handler)
{
	int n;

	/* A client that hangs up mid-reply must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0)
		return 1;
	/* fd 0 is not a socket: plain CGI (RFC 3875), exactly one request. */
	if (FCGX_IsCGI()) {
		struct arena *a = arena_new();

		serve_one(NULL, a, handler);
		arena_free(a);
		return 0;
	}
	n = worker_count();
	return n > 1 ? prefork(handler, n) : serve(handler);
}
