/* forward_send: one OTLP/HTTP export request and what its answer means (forward.h), as the
 * OTLP specification's "OTLP/HTTP" section has it: 2xx is taken, with a partial success that
 * names the spans it rejected; 429, 502, 503 and 504 are sent again after a wait (Retry-After
 * when the answer has one); every other code is not sent again. libcurl does the HTTP, one
 * handle kept across requests (its connection too); zlib the gzip. */
#include "src/forward.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include "lib/base/mem.h"
#include "lib/json/jsonx.h"
#include "proto/otlp_trace.pb-c.h"
#include "src/commit.h"

struct fwd_client {
	CURL *h;
	struct buf body, gz, answer, ctype;
	int64_t retry_after_ms;
};

struct fwd_client *fwd_client_new(void)
{
	struct fwd_client *c = xcalloc(1, sizeof *c);
	c->h = curl_easy_init();
	if (!c->h) {
		fprintf(stderr, "spandex: forward: libcurl cannot start\n");
		exit(1);
	}
	return c;
}

void fwd_client_free(struct fwd_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->h);
	buf_free(&c->body);
	buf_free(&c->gz);
	buf_free(&c->answer);
	buf_free(&c->ctype);
	free(c);
}

/* body as one gzip member (RFC 1952) into out: OTLP/HTTP's Content-Encoding: gzip, at zlib's
 * default level (bench/gen's text: 2.5 MB of OTLP/JSON to 75 KB at 6, 335 KB at 1, in about the
 * same time). */
#define FWD_GZIP_LEVEL Z_DEFAULT_COMPRESSION
static bool gzip(const struct buf *body, struct buf *out)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, FWD_GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return false;
	out->len = 0;
	buf_reserve(out, deflateBound(&z, body->len));
	z.next_in = (Bytef *)body->p;
	z.avail_in = (uInt)body->len;
	z.next_out = (Bytef *)out->p;
	z.avail_out = (uInt)(out->cap - 1);
	int rc = deflate(&z, Z_FINISH);
	out->len = z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END;
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;
	size_t len = size * n;
	if (b->len < FWD_MAX_RESPONSE)
		buf_add(b, p, len < FWD_MAX_RESPONSE - b->len ? len : FWD_MAX_RESPONSE - b->len);
	return len;
}

/* Retry-After: delay-seconds or an HTTP-date (RFC 9110 section 10.2.3). */
static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct fwd_client *c = ctx;
	size_t len = size * n;
	static const char ra[] = "retry-after:", ct[] = "content-type:";
	if (len > sizeof ra && !strncasecmp(p, ra, sizeof ra - 1)) {
		char v[128];
		snprintf(v, sizeof v, "%.*s", (int)(len - (sizeof ra - 1)), p + sizeof ra - 1);
		char *s = v + strspn(v, " \t"), *end;
		s[strcspn(s, "\r\n")] = '\0';
		long secs = strtol(s, &end, 10);
		time_t at;
		if (*s && !*end && secs >= 0)
			c->retry_after_ms = secs * 1000LL;
		else if ((at = curl_getdate(s, NULL)) > 0)
			c->retry_after_ms = at > time(NULL) ? (at - time(NULL)) * 1000LL : 0;
	} else if (len > sizeof ct && !strncasecmp(p, ct, sizeof ct - 1)) {
		c->ctype.len = 0;
		buf_add(&c->ctype, p + sizeof ct - 1, len - (sizeof ct - 1));
	}
	return len;
}

/* The answer's text in a line of msg: printable, one line, cut to fit. */
static void snippet(const struct buf *b, char *out, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < b->len && k + 1 < cap; i++)
		out[k++] = isprint((unsigned char)b->p[i]) ? b->p[i] : ' ';
	out[k] = '\0';
}

/* A 2xx's partial success: rejected_spans and error_message (protobuf or JSON, as the
 * request was; JSON's int64 a string or a number). */
static void partial(struct fwd_client *c, bool json, struct fwd_answer *out)
{
	if (!c->answer.len)
		return;
	if (json || strstr(c->ctype.p ? c->ctype.p : "", "json")) {
		size_t pos;
		json_t *v = jsonx_parse(c->answer.p, c->answer.len, &pos, NULL);
		json_t *ps = json_object_get(v, "partialSuccess"), *r, *m;
		r = json_object_get(ps, "rejectedSpans");
		m = json_object_get(ps, "errorMessage");
		out->rejected = json_is_integer(r)  ? (uint64_t)json_integer_value(r)
				: json_is_string(r) ? strtoull(json_string_value(r), NULL, 10)
						    : 0;
		if (json_is_string(m))
			snprintf(out->msg, sizeof out->msg, "%s", json_string_value(m));
		json_decref(v);
		return;
	}
	Otlp__ExportTraceServiceResponse *r = otlp__export_trace_service_response__unpack(
	    NULL, c->answer.len, (const uint8_t *)c->answer.p);
	if (r && r->partial_success) {
		out->rejected = r->partial_success->rejected_spans > 0
				    ? (uint64_t)r->partial_success->rejected_spans
				    : 0;
		if (r->partial_success->error_message)
			snprintf(out->msg, sizeof out->msg, "%s",
				 r->partial_success->error_message);
	}
	if (r)
		otlp__export_trace_service_response__free_unpacked(r, NULL);
}

/* What an HTTP status means (forward.h, enum fwd_outcome). */
static enum fwd_outcome outcome(long http)
{
	if (http >= 200 && http < 300)
		return FWD_OK;
	if (http == 429 || http == 502 || http == 503 || http == 504)
		return FWD_RETRY;
	if (http == 401 || http == 403 || http == 404 || http == 405 || http == 407 || http == 415)
		return FWD_REFUSED;
	return FWD_DROP;
}

/* The request's body (and its encoding) into c->body, gzipped when e says so: the buffer to
 * send. */
static const struct buf *encode(struct fwd_client *c, const struct fwd_endpoint *e, struct arena *a,
				const struct catalog_otlp *spans, size_t n)
{
	c->body.len = 0;
	if (e->json) {
		struct catalog_out_doc d;
		catalog_out_json_begin(&c->body, &d);
		for (size_t i = 0; i < n; i++)
			catalog_out_json_add(&c->body, &d, &spans[i]);
		catalog_out_json_end(&c->body, &d);
	} else {
		fwd_pb_encode(a, spans, n, &c->body);
	}
	return e->gzip && gzip(&c->body, &c->gz) ? &c->gz : &c->body;
}

void fwd_post(struct fwd_client *c, const struct fwd_endpoint *e, struct arena *a,
	      const struct catalog_otlp *spans, size_t n, struct fwd_answer *out)
{
	const struct buf *b = encode(c, e, a, spans, n);
	struct curl_slist *hs = NULL;
	char err[CURL_ERROR_SIZE] = "";
	memset(out, 0, sizeof *out);
	out->retry_after_ms = -1;
	c->answer.len = 0;
	c->ctype.len = 0;
	c->retry_after_ms = -1;
	hs = curl_slist_append(hs, e->json ? "Content-Type: application/json"
					   : "Content-Type: application/x-protobuf");
	if (e->gzip && b == &c->gz)
		hs = curl_slist_append(hs, "Content-Encoding: gzip");
	hs = curl_slist_append(hs, "Expect:"); /* no 100-continue round trip */
	for (size_t i = 0; i < e->nheaders; i++)
		hs = curl_slist_append(hs, e->headers[i]);
	CURL *h = c->h;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, e->url);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, b->p);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "spandex/" PACKAGE_VERSION " (" SPANDEX_COMMIT ")");
	curl_easy_setopt(h, CURLOPT_TIMEOUT, e->timeout_s);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, e->timeout_s < 10 ? e->timeout_s : 10L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &c->answer);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
	CURLcode rc = curl_easy_perform(h);
	curl_slist_free_all(hs);
	buf_addc(&c->ctype, '\0');
	c->ctype.len--;
	if (rc != CURLE_OK) {
		out->o = FWD_RETRY;
		snprintf(out->msg, sizeof out->msg, "no answer: %s",
			 *err ? err : curl_easy_strerror(rc));
		return;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->http);
	out->o = outcome(out->http);
	out->retry_after_ms = c->retry_after_ms;
	if (out->o == FWD_OK) {
		partial(c, e->json, out);
		return;
	}
	char text[160];
	snippet(&c->answer, text, sizeof text);
	snprintf(out->msg, sizeof out->msg, "HTTP %ld%s%s", out->http, *text ? ": " : "", text);
}
