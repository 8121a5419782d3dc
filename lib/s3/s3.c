/* s3: the requests (see s3.h). One curl easy handle per struct s3, reset between requests, so
 * the connection to the endpoint is kept; libcurl signs (CURLOPT_AWS_SIGV4) and we send the
 * payload's SHA-256 in x-amz-content-sha256, which libcurl 7.88 leaves out and radosgw needs
 * (reference/s3.md). */
#include "lib/s3/s3.h"

#include <curl/curl.h>
#include <errno.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "lib/base/mem.h"

/* The SHA-256 of no bytes: a request without a body signs it. */
#define S3_EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct s3 {
	struct s3_conf c;
	CURL *h;
	char sigv4[128];
	struct s3_counts n;
};

/* What one request sends and where its answer goes. */
struct req {
	const char *method;
	const char *key;   /* relative to the prefix; NULL: the bucket itself */
	const char *query; /* encoded, parameters sorted, each with '=' (reference/s3.md) */
	const struct s3_part *parts;
	size_t nparts;
	const char *sha; /* of the body: hex */
	bool create;	 /* If-None-Match: * */
	uint64_t range_off, range_len;
	/* The answer's body: into out (a success), or to fd; an error's into err. */
	struct buf *out;
	int fd;
	uint64_t got;
	/* Sending: which part, and where in it. */
	size_t pi;
	uint64_t po;
	int read_errno;
	int write_errno;
	/* The answer. */
	long http;
	bool amz; /* it had an x-amz-request-id: an S3 server answered */
	char ctype[64];
	struct buf err;
	uint64_t length; /* Content-Length of a HEAD */
};

static bool curl_ready;

struct s3 *s3_new(const struct s3_conf *c)
{
	if (!curl_ready) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		curl_ready = true;
	}
	struct s3 *s = xcalloc(1, sizeof(*s));
	s->c = *c;
	s->h = curl_easy_init();
	if (!s->h)
		abort(); /* out of memory, as xmalloc would */
	snprintf(s->sigv4, sizeof s->sigv4, "aws:amz:%s:s3", c->region);
	return s;
}

void s3_free(struct s3 *s)
{
	if (!s)
		return;
	curl_easy_cleanup(s->h);
	free(s);
}

const struct s3_conf *s3_conf_of(const struct s3 *s)
{
	return &s->c;
}

const struct s3_counts *s3_counts(const struct s3 *s)
{
	return &s->n;
}

/* pread of the whole n bytes (a short file is EIO: it changed under us). */
static int pread_all(int fd, void *p, size_t n, uint64_t off)
{
	char *c = p;
	while (n) {
		ssize_t k = pread(fd, c, n, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = EIO;
			return -1;
		}
		c += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t k = write(fd, c, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

enum status s3_sha256(const struct s3_part *parts, size_t n, char sha[65], struct err *e)
{
	struct sha256_ctx h;
	uint8_t d[SHA256_DIGEST_SIZE];
	char *chunk = NULL;
	sha256_init(&h);
	for (size_t i = 0; i < n; i++) {
		if (parts[i].mem) {
			sha256_update(&h, parts[i].len, parts[i].mem);
			continue;
		}
		if (!chunk)
			chunk = xmalloc(S3_CHUNK);
		for (uint64_t o = 0; o < parts[i].len;) {
			size_t k =
			    parts[i].len - o < S3_CHUNK ? (size_t)(parts[i].len - o) : S3_CHUNK;
			if (pread_all(parts[i].fd, chunk, k, parts[i].off + o) < 0) {
				free(chunk);
				return err_sys(e, errno, "reading what to upload");
			}
			sha256_update(&h, k, (const uint8_t *)chunk);
			o += k;
		}
	}
	free(chunk);
	sha256_digest(&h, sizeof d, d);
	for (size_t i = 0; i < sizeof d; i++)
		sprintf(sha + 2 * i, "%02x", d[i]);
	return ST_OK;
}

/* CURLOPT_READFUNCTION: the parts, in order. */
static size_t on_read(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct req *r = ctx;
	size_t room = size * nmemb, done = 0;
	while (done < room && r->pi < r->nparts) {
		const struct s3_part *pt = &r->parts[r->pi];
		uint64_t left = pt->len - r->po;
		size_t k = left < room - done ? (size_t)left : room - done;
		if (pt->mem) {
			memcpy(p + done, (const char *)pt->mem + r->po, k);
		} else if (k && pread_all(pt->fd, p + done, k, pt->off + r->po) < 0) {
			r->read_errno = errno;
			return CURL_READFUNC_ABORT;
		}
		done += k;
		r->po += k;
		if (r->po == pt->len) {
			r->pi++;
			r->po = 0;
		}
	}
	return done;
}

/* CURLOPT_WRITEFUNCTION: a success's body into out or fd, an error's into err. */
static size_t on_write(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct req *r = ctx;
	size_t n = size * nmemb;
	if (r->http >= 300 || r->http == 0) {
		if (r->err.len < S3_ERR_BODY)
			buf_add(&r->err, p,
				n < S3_ERR_BODY - r->err.len ? n : S3_ERR_BODY - r->err.len);
		return n;
	}
	if (r->fd >= 0) {
		if (write_all(r->fd, p, n) < 0) {
			r->write_errno = errno;
			return 0;
		}
	} else if (r->out) {
		if (r->out->len + n > S3_MAX_SMALL) {
			r->write_errno = EFBIG;
			return 0;
		}
		buf_add(r->out, p, n);
	}
	r->got += n;
	return n;
}

/* CURLOPT_HEADERFUNCTION: the status (for on_write), whether S3 answered, the type. */
static size_t on_header(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct req *r = ctx;
	size_t n = size * nmemb;
	if (n > 5 && !strncmp(p, "HTTP/", 5)) {
		const char *sp = memchr(p, ' ', n);
		r->http = sp ? strtol(sp + 1, NULL, 10) : 0;
		r->amz = false;
		r->ctype[0] = '\0';
	} else if (n > 17 && !strncasecmp(p, "x-amz-request-id:", 17)) {
		r->amz = true;
	} else if (n > 13 && !strncasecmp(p, "content-type:", 13)) {
		size_t k = n - 13;
		const char *v = p + 13;
		while (k && (*v == ' '))
			v++, k--;
		while (k && (v[k - 1] == '\r' || v[k - 1] == '\n'))
			k--;
		snprintf(r->ctype, sizeof r->ctype, "%.*s", (int)k, v);
	} else if (n > 15 && !strncasecmp(p, "content-length:", 15)) {
		r->length = strtoull(p + 15, NULL, 10);
	}
	return n;
}

/* The URL of r: endpoint/bucket[/prefix/key][?query]. */
static void url_of(const struct s3 *s, const struct req *r, struct buf *u)
{
	buf_printf(u, "%s/%s", s->c.endpoint, s->c.bucket);
	if (r->key) {
		buf_addc(u, '/');
		if (s->c.prefix[0]) {
			s3_uri_encode(u, s->c.prefix, strlen(s->c.prefix), true);
			buf_addc(u, '/');
		}
		s3_uri_encode(u, r->key, strlen(r->key), true);
	} else {
		buf_addc(u, '/');
	}
	if (r->query)
		buf_printf(u, "?%s", r->query);
}

static struct curl_slist *headers_of(const struct req *r)
{
	char h[160];
	struct curl_slist *l = NULL;
	snprintf(h, sizeof h, "x-amz-content-sha256: %s", r->sha ? r->sha : S3_EMPTY_SHA);
	l = curl_slist_append(l, h);
	/* libcurl asks for a 100-continue on every PUT; that Expect must stay: it signs a header
	 * removed ("Expect:") although it is not sent, and names an empty one ("Expect;") wrongly
	 * in the signed list (7.88), so the server refuses either signature. */
	if (r->parts)
		l = curl_slist_append(l, "Content-Type: application/octet-stream");
	if (r->create)
		l = curl_slist_append(l, "If-None-Match: *");
	if (r->range_len || r->range_off) {
		if (r->range_len)
			snprintf(h, sizeof h, "Range: bytes=%llu-%llu",
				 (unsigned long long)r->range_off,
				 (unsigned long long)(r->range_off + r->range_len - 1));
		else
			snprintf(h, sizeof h, "Range: bytes=%llu-",
				 (unsigned long long)r->range_off);
		l = curl_slist_append(l, h);
	}
	return l;
}

/* The cause of a failed request in the operator's words. */
static enum status fail(struct s3 *s, const struct req *r, CURLcode cc, const char *cerr,
			struct err *e)
{
	char what[S3_MAX_KEY + 64], code[64];
	snprintf(what, sizeof what, "%s s3://%s/%s%s%s", r->method, s->c.bucket, s->c.prefix,
		 s->c.prefix[0] && r->key ? "/" : "", r->key ? r->key : "");
	if (r->read_errno)
		return err_sys(e, r->read_errno, "%s: reading what to send", what);
	if (r->write_errno)
		return err_sys(e, r->write_errno, "%s: writing what was received", what);
	if (cc != CURLE_OK) {
		if (cc == CURLE_OPERATION_TIMEDOUT)
			return err_set(e, ST_UNAVAILABLE,
				       "%s: %s stopped answering (nothing for %d s)", what,
				       s->c.endpoint, s->c.stall_sec ?: S3_STALL_SEC);
		if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST)
			return err_set(
			    e, ST_UNAVAILABLE,
			    "%s: cannot reach the endpoint %s (%s): is SPANDEX_S3_ENDPOINT "
			    "right and its server up?",
			    what, s->c.endpoint, cerr[0] ? cerr : curl_easy_strerror(cc));
		return err_set(e, ST_UNAVAILABLE, "%s: %s: %s", what, s->c.endpoint,
			       cerr[0] ? cerr : curl_easy_strerror(cc));
	}
	s3_error_code(r->err.p, r->err.len, code, sizeof code);
	if (!code[0] && !r->amz)
		return err_set(e, ST_UNAVAILABLE,
			       "%s: %s answered HTTP %ld%s%s with no S3 error: it is not an S3 "
			       "server (check SPANDEX_S3_ENDPOINT)",
			       what, s->c.endpoint, r->http, r->ctype[0] ? ", " : "", r->ctype);
	if (!strcmp(code, "SignatureDoesNotMatch"))
		return err_set(e, ST_UNAVAILABLE,
			       "%s: the server refused the signature (SignatureDoesNotMatch): "
			       "AWS_SECRET_ACCESS_KEY is wrong",
			       what);
	if (!strcmp(code, "InvalidAccessKeyId"))
		return err_set(e, ST_UNAVAILABLE,
			       "%s: the server knows no such key (InvalidAccessKeyId): "
			       "AWS_ACCESS_KEY_ID is wrong",
			       what);
	if (!strcmp(code, "NoSuchBucket"))
		return err_set(e, ST_UNAVAILABLE,
			       "%s: there is no bucket '%s' at %s (NoSuchBucket): create it, or "
			       "fix SPANDEX_S3",
			       what, s->c.bucket, s->c.endpoint);
	if (!strcmp(code, "AccessDenied"))
		return err_set(e, ST_UNAVAILABLE,
			       "%s: access denied (AccessDenied): the key may not use bucket '%s'",
			       what, s->c.bucket);
	return err_set(e, ST_UNAVAILABLE, "%s: HTTP %ld%s%s", what, r->http, code[0] ? " " : "",
		       code);
}

/* Runs r: ST_OK on a 2xx, ST_CONFLICT on a 412 (of a create), ST_NOT_FOUND on a 404 of a key
 * (NoSuchKey), else ST_UNAVAILABLE with the cause. */
static enum status perform(struct s3 *s, struct req *r, struct err *e)
{
	CURL *h = s->h;
	struct buf url;
	char cerr[CURL_ERROR_SIZE] = "";
	uint64_t len = 0;
	buf_init(&url);
	buf_init(&r->err);
	url_of(s, r, &url);
	for (size_t i = 0; i < r->nparts; i++)
		len += r->parts[i].len;
	struct curl_slist *hl = headers_of(r);
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url.p);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, s->sigv4);
	curl_easy_setopt(h, CURLOPT_USERNAME, s->c.key_id);
	curl_easy_setopt(h, CURLOPT_PASSWORD, s->c.secret);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)S3_CONNECT_MS);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)(s->c.stall_sec ?: S3_STALL_SEC));
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	if (getenv("S3_DEBUG"))
		curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	if (!strcmp(r->method, "PUT")) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, r);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	} else if (!strcmp(r->method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(r->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
	}
	CURLcode cc = curl_easy_perform(h);
	long code = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (cc == CURLE_OK)
		r->http = code;
	curl_off_t up = 0, down = 0;
	curl_easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &up);
	curl_easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &down);
	s->n.sent += (uint64_t)up;
	s->n.received += (uint64_t)down;
	curl_slist_free_all(hl);
	buf_free(&url);
	enum status st;
	char c[64];
	s3_error_code(r->err.p, r->err.len, c, sizeof c);
	if (cc == CURLE_OK && r->http >= 200 && r->http < 300 && !r->read_errno && !r->write_errno)
		st = ST_OK;
	else if (cc == CURLE_OK && r->http == 412 && r->create && (r->amz || c[0]))
		st = ST_CONFLICT;
	else if (cc == CURLE_OK && r->http == 404 && r->key &&
		 (!strcmp(c, "NoSuchKey") || (!strcmp(r->method, "HEAD") && r->amz)))
		st = ST_NOT_FOUND;
	else
		st = fail(s, r, cc, cerr, e);
	buf_free(&r->err);
	return st;
}

enum status s3_put(struct s3 *s, const char *key, const struct s3_part *parts, size_t n,
		   const char *sha, enum s3_put_mode mode, struct err *e)
{
	char own[65];
	if (!sha) {
		enum status st = s3_sha256(parts, n, own, e);
		if (st != ST_OK)
			return st;
		sha = own;
	}
	struct req r = {.method = "PUT",
			.key = key,
			.parts = parts,
			.nparts = n,
			.sha = sha,
			.create = mode == S3_CREATE,
			.fd = -1};
	s->n.puts++;
	return perform(s, &r, e);
}

enum status s3_get(struct s3 *s, const char *key, struct buf *out, struct err *e)
{
	struct req r = {.method = "GET", .key = key, .out = out, .fd = -1};
	s->n.gets++;
	return perform(s, &r, e);
}

enum status s3_get_fd(struct s3 *s, const char *key, uint64_t off, uint64_t len, int fd,
		      uint64_t *got, struct err *e)
{
	struct req r = {.method = "GET", .key = key, .fd = fd, .range_off = off, .range_len = len};
	s->n.gets++;
	enum status st = perform(s, &r, e);
	if (got)
		*got = r.got;
	return st;
}

enum status s3_head(struct s3 *s, const char *key, uint64_t *size, struct err *e)
{
	struct req r = {.method = "HEAD", .key = key, .fd = -1};
	s->n.heads++;
	enum status st = perform(s, &r, e);
	if (st == ST_OK && size)
		*size = r.length;
	return st;
}

enum status s3_delete(struct s3 *s, const char *key, struct err *e)
{
	struct req r = {.method = "DELETE", .key = key, .fd = -1};
	s->n.deletes++;
	enum status st = perform(s, &r, e);
	return st == ST_NOT_FOUND ? ST_OK : st;
}

static bool list_skip(void *ctx, const struct s3_obj *o)
{
	(void)ctx;
	(void)o;
	return true;
}

/* The query of a ListObjectsV2 page: its parameters in sorted order, each with '='. */
static void list_query(const struct s3 *s, struct buf *q, const char *pfx, const char *after,
		       const char *tok, size_t max)
{
	struct buf full;
	buf_init(&full);
	if (s->c.prefix[0])
		buf_printf(&full, "%s/", s->c.prefix);
	buf_adds(&full, pfx);
	if (tok[0]) {
		buf_adds(q, "continuation-token=");
		s3_uri_encode(q, tok, strlen(tok), false);
		buf_addc(q, '&');
	}
	buf_printf(q, "list-type=2&max-keys=%zu&prefix=", max);
	s3_uri_encode(q, full.p, full.len, false);
	if (after && *after && !tok[0]) {
		buf_adds(q, "&start-after=");
		if (s->c.prefix[0]) {
			s3_uri_encode(q, s->c.prefix, strlen(s->c.prefix), false);
			buf_adds(q, "%2F");
		}
		s3_uri_encode(q, after, strlen(after), false);
	}
	buf_free(&full);
}

enum status s3_list(struct s3 *s, const char *pfx, const char *start_after, size_t max,
		    s3_list_fn fn, void *ctx, struct err *e)
{
	char tok[1024] = "";
	size_t plen = s->c.prefix[0] ? strlen(s->c.prefix) + 1 : 0, given = 0;
	struct buf body, q;
	buf_init(&body);
	buf_init(&q);
	enum status st = ST_OK;
	for (;;) {
		size_t page = S3_LIST_MAX, count;
		if (max && max - given < page)
			page = max - given;
		q.len = 0;
		body.len = 0;
		list_query(s, &q, pfx, start_after, tok, page);
		struct req r = {.method = "GET", .query = q.p, .out = &body, .fd = -1};
		s->n.lists++;
		if ((st = perform(s, &r, e)) != ST_OK)
			break;
		bool more, stop;
		if (!s3_list_parse(body.p, body.len, plen, fn, ctx, &more, tok, sizeof tok, &count,
				   &stop)) {
			st = err_set(e, ST_UNAVAILABLE,
				     "listing s3://%s/%s: %s answered with no ListBucketResult: it "
				     "is not an S3 server (check SPANDEX_S3_ENDPOINT)",
				     s->c.bucket, s->c.prefix, s->c.endpoint);
			break;
		}
		given += count;
		if (stop || !more || !tok[0] || (max && given >= max))
			break;
	}
	buf_free(&body);
	buf_free(&q);
	return st;
}

enum status s3_list_dirs(struct s3 *s, const char *pfx, s3_dir_fn fn, void *ctx, struct err *e)
{
	struct buf body, q, full;
	char tok[1024] = "";
	size_t plen = s->c.prefix[0] ? strlen(s->c.prefix) + 1 : 0;
	enum status st = ST_OK;
	buf_init(&body);
	buf_init(&q);
	buf_init(&full);
	if (s->c.prefix[0])
		buf_printf(&full, "%s/", s->c.prefix);
	buf_adds(&full, pfx);
	for (;;) {
		q.len = body.len = 0;
		if (tok[0]) {
			buf_adds(&q, "continuation-token=");
			s3_uri_encode(&q, tok, strlen(tok), false);
			buf_addc(&q, '&');
		}
		buf_printf(&q, "delimiter=%%2F&list-type=2&max-keys=%d&prefix=", S3_LIST_MAX);
		s3_uri_encode(&q, full.p, full.len, false);
		struct req r = {.method = "GET", .query = q.p, .out = &body, .fd = -1};
		s->n.lists++;
		if ((st = perform(s, &r, e)) != ST_OK)
			break;
		bool more, stop;
		size_t count;
		s3_dirs_parse(body.p, body.len, plen, fn, ctx);
		if (!s3_list_parse(body.p, body.len, plen, list_skip, NULL, &more, tok, sizeof tok,
				   &count, &stop)) {
			st = err_set(e, ST_UNAVAILABLE,
				     "listing s3://%s/%s: %s answered with no ListBucketResult: it "
				     "is not an S3 server (check SPANDEX_S3_ENDPOINT)",
				     s->c.bucket, s->c.prefix, s->c.endpoint);
			break;
		}
		if (!more || !tok[0])
			break;
	}
	buf_free(&body);
	buf_free(&q);
	buf_free(&full);
	return st;
}

static bool list_none(void *ctx, const struct s3_obj *o)
{
	(void)ctx;
	(void)o;
	return false;
}

enum status s3_check(struct s3 *s, struct err *e)
{
	return s3_list(s, "", NULL, 1, list_none, NULL, e);
}
