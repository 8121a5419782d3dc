/* request: the path and query of a request (RFC 3986) and its body (RFC 3875, RFC 9110
 * section 8.4: Content-Length or read to its end, Content-Encoding undone, the size cap
 * measured after decompression). */
#include "lib/http/internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/mem.h"
#include "lib/base/utf8.h"
#include "lib/json/jsonx.h"

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
enum status http_parse_path(struct http_req *req)
{
	const char *uri = http_var(req, "REQUEST_URI");
	const char *why = NULL;
	char *path;
	size_t len, plen = 0;

	if (!uri) {
		http_log(req, "REQUEST_URI is not set by the web server");
		return http_fail(req, ST_INTERNAL, "%s", status_message(ST_INTERNAL));
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
		/* An encoded '/' stays in its segment: routes match segments, so an id with a '/'
		 * in it (a session "user/42") is one segment, fetched as user%2F42. */
		seg = pct_decode(req->arena, uri + i, n, false, &slen, &why);
		if (seg && (!strcmp(seg, ".") || !strcmp(seg, "..")))
			why = "'.' or '..' segment";
		if (why)
			return http_fail(req, ST_BAD_REQUEST, "Invalid path: %s", why);
		if (req->nsegs == HTTP_MAX_SEGMENTS) /* no route is that deep */
			return http_fail(req, ST_NOT_FOUND, "%s", status_message(ST_NOT_FOUND));
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
enum status http_parse_query(struct http_req *req)
{
	const char *qs = http_var(req, "QUERY_STRING");
	const char *why = NULL;

	if (!qs) { /* some servers only pass REQUEST_URI */
		const char *uri = http_var(req, "REQUEST_URI");

		qs = uri && strchr(uri, '?') ? strchr(uri, '?') + 1 : "";
	}
	for (const char *p = qs; *p;) {
		size_t n = strcspn(p, "&"), klen = strcspn(p, "=");
		struct http_param *prm;
		size_t dummy;

		if (klen > n)
			klen = n;
		if (n > 0) { /* "=5" is a pair of an empty name, as WHATWG and Starlette read it */
			if (req->nparams == HTTP_MAX_PARAMS)
				return http_fail(req, ST_BAD_REQUEST,
						 "Too many query parameters (at most %d)",
						 HTTP_MAX_PARAMS);
			prm = &req->params[req->nparams++];
			prm->key = pct_decode(req->arena, p, klen, true, &dummy, &why);
			if (prm->key) {
				size_t voff = klen < n ? klen + 1 : n;

				prm->value =
				    pct_decode(req->arena, p + voff, n - voff, true, &dummy, &why);
			}
			if (why)
				return http_fail(req, ST_BAD_REQUEST, "Invalid query string: %s",
						 why);
		}
		p += n;
		if (*p == '&')
			p++;
	}
	return ST_OK;
}

/* ---- body ---- */

unsigned long long http_env_count(struct http_req *req, const char *name, unsigned long long def)
{
	const char *v = http_env(req, name);
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return def;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n == 0 || !isdigit((unsigned char)v[0])) {
		http_log(req, "%s=%s is not a positive number; using %llu", name, v, def);
		return def;
	}
	return n;
}

static size_t max_body(struct http_req *req)
{
	unsigned long long n = http_env_count(req, "SPANDEX_MAX_BODY", HTTP_MAX_BODY_DEFAULT);
	return n < HTTP_MAX_BODY_CEILING ? (size_t)n : HTTP_MAX_BODY_CEILING;
}

/* A body over the limit, said as nginx's and Apache's own 413 say it (their error pages in
 * nginx/spandex-locations.conf.in and apache/spandex-shared.conf.in), whichever answers: "Request
 * body is larger than the limit of 8 MiB", the limit in MiB or KiB when it is a whole number
 * of them. after: "" or what follows it (" once decompressed"). */
static enum status too_large(struct http_req *req, const char *after)
{
	size_t n = req->max_body;

	if (n && n % (1u << 20) == 0)
		return http_fail(req, ST_TOO_LARGE,
				 "Request body is larger than the limit of %zu MiB%s", n >> 20,
				 after);
	if (n && n % 1024 == 0)
		return http_fail(req, ST_TOO_LARGE,
				 "Request body is larger than the limit of %zu KiB%s", n >> 10,
				 after);
	return http_fail(req, ST_TOO_LARGE, "Request body is larger than the limit of %zu bytes%s",
			 n, after);
}

/* Inflates req->body (gzip: RFC 1952, several members allowed; deflate: the zlib format of
 * RFC 1950, as RFC 9110 section 8.4.1.2 defines it). The limit applies to the inflated size,
 * so a small bomb gets the same 413 as a large body; at most max+1 bytes are ever produced. */
static enum status inflate_body(struct http_req *req, int wbits, const char *name)
{
	struct http_conn *c = req->priv;
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
			st = too_large(req, " once decompressed");
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
		http_fail(req, ST_BAD_REQUEST, "Invalid %s data in the request body", name);
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
enum status http_decode_body(struct http_req *req)
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
	return http_fail(req, ST_MEDIA_TYPE, "Unsupported Content-Encoding '%s'",
			 req->content_encoding);
}

/* A body sent without Content-Length (Transfer-Encoding: chunked): Apache's mod_cgi and
 * mod_proxy_fcgi pass it with no CONTENT_LENGTH and end the stream with it, so it is read to
 * its end, at most max_body + 1 bytes (one more tells that it is over the limit). */
static enum status read_unsized(struct http_req *req)
{
	struct http_conn *c = req->priv;
	struct buf *b = &c->unsized;

	for (;;) {
		size_t room = 64 * 1024, got;

		if (b->len + room > req->max_body + 1)
			room = req->max_body + 1 - b->len;
		buf_reserve(b, room);
		got = http_body_read(req, b->p + b->len, room);
		b->len += got;
		b->p[b->len] = '\0';
		if (b->len > req->max_body)
			return too_large(req, "");
		if (got < room)
			break;
	}
	req->body = b->p ? b->p : "";
	req->body_len = b->len;
	return http_decode_body(req);
}

/* Reads exactly CONTENT_LENGTH bytes (RFC 3875 section 4.1.2). A short body is refused:
 * ingesting a truncated batch would store half of what the client sent. Without
 * CONTENT_LENGTH a request that may carry a body is read to its end (read_unsized). */
enum status http_read_body(struct http_req *req)
{
	const char *cl = http_var(req, "CONTENT_LENGTH");
	unsigned long long n = 0;
	char *p, *end;
	size_t got;

	req->max_body = max_body(req);
	req->content_type = http_var(req, "CONTENT_TYPE");
	req->content_encoding = http_header(req, "Content-Encoding");
	if (!(cl && *cl) && http_method_has_body(req->method))
		return read_unsized(req);
	if (cl && *cl) {
		errno = 0;
		n = strtoull(cl, &end, 10);
		if (*end || !isdigit((unsigned char)cl[0]))
			return http_fail(req, ST_BAD_REQUEST, "%s", "Invalid Content-Length");
		if (errno == ERANGE)
			n = ULLONG_MAX;
	}
	if (n > req->max_body) /* refused before reading any of it */
		return too_large(req, "");
	p = arena_alloc(req->arena, (size_t)n + 1);
	got = http_body_read(req, p, (size_t)n);
	if (got < n)
		return http_fail(req, ST_BAD_REQUEST, "Request body ended after %zu of %llu bytes",
				 got, n);
	p[n] = '\0';
	req->body = p;
	req->body_len = (size_t)n;
	return http_decode_body(req);
}

/* The media type of Content-Type value ct, its *n bytes from the result: media-type = type
 * "/" subtype parameters, case-insensitive (RFC 9110 section 8.3.1), blanks around it left
 * out. */
static const char *media_type(const char *ct, size_t *n)
{
	ct += strspn(ct, " \t");
	*n = strcspn(ct, ";");
	while (*n > 0 && (ct[*n - 1] == ' ' || ct[*n - 1] == '\t'))
		(*n)--;
	return ct;
}

enum status http_require_type(struct http_req *req, const char *const *types)
{
	struct buf want;
	size_t n;
	const char *ct = media_type(req->content_type ? req->content_type : "", &n);

	for (size_t i = 0; types[i]; i++)
		if (strlen(types[i]) == n && !strncasecmp(ct, types[i], n))
			return ST_OK;
	buf_init(&want);
	for (size_t i = 0; types[i]; i++)
		buf_printf(&want, "%s%s", i ? ", " : "", types[i]);
	if (n == 0)
		http_fail(req, ST_MEDIA_TYPE, "Missing Content-Type; expected %s%s",
			  types[0] && types[1] ? "one of " : "", want.p);
	else
		http_fail(req, ST_MEDIA_TYPE, "Unsupported media type '%.*s'; expected %s%s",
			  (int)n, ct, types[0] && types[1] ? "one of " : "", want.p);
	buf_free(&want);
	return ST_MEDIA_TYPE;
}

/* FastAPI's answers: an empty body is a missing field, bad JSON is json_invalid with the
 * position in loc and the parser's reason in ctx. */
enum status http_json_body(struct http_req *req, json_t **out)
{
	struct verrs v;
	struct err why;
	size_t pos = 0;

	*out = NULL;
	verrs_init(&v);
	if (strspn(req->body, " \t\r\n") == req->body_len) {
		verrs_add(&v, json_pack("[s]", "body"), "missing", "Field required", json_null());
	} else {
		*out = jsonx_parse(req->body, req->body_len, &pos, &why);
		if (*out) {
			verrs_free(&v);
			return ST_OK;
		}
		verrs_add_ctx(&v, json_pack("[s,I]", "body", (json_int_t)pos), "json_invalid",
			      "JSON decode error", json_object(),
			      json_pack("{s:s}", "error", why.msg));
	}
	return http_fail_invalid(req, &v);
}

/* A structured syntax suffix (RFC 6839 section 3.1): application/<x>+json (FastAPI takes an
 * empty x too). */
static bool json_suffix(const char *ct)
{
	static const char app[] = "application/";
	size_t n;

	ct = media_type(ct, &n);
	return n >= sizeof app - 1 + 5 && !strncasecmp(ct, app, sizeof app - 1) &&
	       !memchr(ct + sizeof app - 1, '/', n - (sizeof app - 1)) &&
	       !strncasecmp(ct + n - 5, "+json", 5);
}

enum status http_fastapi_type(struct http_req *req)
{
	static const char *const json_types[] = {"application/json", NULL};
	const char *ct = req->content_type;
	return ct && ct[strspn(ct, " \t")] && !json_suffix(ct) ? http_require_type(req, json_types)
							       : ST_OK;
}

enum status http_fastapi_body(struct http_req *req, json_t **out)
{
	enum status st = http_fastapi_type(req);
	return st == ST_OK ? http_json_body(req, out) : st;
}

/* s percent-encoded into b but its unreserved characters. */
static void pct_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (isalnum(*p) || strchr("-._~", *p))
			buf_addc(b, (char)*p);
		else {
			buf_addc(b, '%');
			buf_addc(b, hex[*p >> 4]);
			buf_addc(b, hex[*p & 15]);
		}
}

const char *http_location(struct http_req *req, const char *prefix, const char *id)
{
	struct buf *b = arena_buf(req->arena);
	buf_adds(b, "Location: ");
	if (prefix)
		buf_adds(b, prefix);
	for (size_t i = 0; !prefix && i < req->nsegs; i++) {
		buf_addc(b, '/');
		pct_encode(b, req->segs[i]);
	}
	buf_addc(b, '/');
	pct_encode(b, id ? id : "");
	buf_adds(b, "\r\n");
	return b->p;
}
