/* conn: the request's I/O over FastCGI (libfcgi's fcgiapp, explicit FCGX_Request) or plain
 * CGI (RFC 3875): variables, body stream, output, error log. */
#include "lib/http/internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>
#include <unistd.h>
#include <fastcgi.h>
#include "lib/base/arena.h"
#include "lib/base/hash.h"

/* Under plain CGI, at most this much of a body is read and dropped before an early reply
 * (http_body_discard): the largest body a program may be set to take. */
#define HTTP_CGI_DISCARD_MAX HTTP_MAX_BODY_CEILING

static struct http_conn *conn_of(struct http_req *req)
{
	return req->priv;
}

/* The process's environment, indexed at its first read under FastCGI (a worker's never
 * changes; plain CGI reads it as the request's own). */
static struct http_vars proc_env;

/* Indexes env (v->built). An entry without '=' keeps its whole length and never matches. */
static void vars_build(struct http_vars *v, char **env)
{
	v->built = true;
	v->env = env;
	v->n = 0;
	for (; env && env[v->n] && v->n < HTTP_VARS_MAX; v->n++) {
		const char *e = env[v->n], *eq = strchr(e, '=');
		size_t n = eq ? (size_t)(eq - e) : strlen(e);

		v->len[v->n] = n < UINT32_MAX ? (uint32_t)n : UINT32_MAX;
		v->h[v->n] = hash_mem(e, n);
	}
}

/* The value of the next entry named name (n bytes, hash h) from *i on, or NULL; *i is then
 * past it. The first such is what FCGX_GetParam and getenv return. */
static const char *vars_next(const struct http_vars *v, const char *name, size_t n, uint64_t h,
			     size_t *i)
{
	for (; *i < v->n; (*i)++)
		if (v->h[*i] == h && v->len[*i] == n && !memcmp(v->env[*i], name, n) &&
		    v->env[*i][n] == '=')
			return v->env[(*i)++] + n + 1;
	for (; v->env && v->env[*i]; (*i)++)
		if (!strncmp(v->env[*i], name, n) && v->env[*i][n] == '=')
			return v->env[(*i)++] + n + 1;
	return NULL;
}

/* The request's params (FastCGI) or environment (CGI), indexed at the first read. */
static const struct http_vars *req_vars(struct http_conn *c)
{
	if (!c->vars.built)
		vars_build(&c->vars, c->fcgx ? c->fcgx->envp : environ);
	return &c->vars;
}

static const char *vars_get(const struct http_vars *v, const char *name)
{
	size_t i = 0, n = strlen(name);
	return vars_next(v, name, n, hash_mem(name, n), &i);
}

/* FastCGI params and CGI meta-variables play the same role (FastCGI spec section 6.2). */
const char *http_var(struct http_req *req, const char *name)
{
	return vars_get(req_vars(conn_of(req)), name);
}

/* Reads up to n body bytes; fewer only when the body ends (FCGI_STDIN's empty record, or
 * EOF on fd 0). */
size_t http_body_read(struct http_req *req, char *p, size_t n)
{
	struct http_conn *c = conn_of(req);
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
		if (r <= 0) {
			c->body_end = true;
			break;
		}
		got += (size_t)r;
	}
	c->body_got += got;
	return got;
}

/* A write at least this large skips libfcgi's 8 KB buffer, which sends a record (and a write)
 * each 8 KB: a page of 50 KB was seven writes, seven wake-ups of nginx. */
#define CONN_DIRECT_MIN (8u << 10)
/* The content of one record written directly: its 16-bit length's largest multiple of 8
 * (FastCGI spec 3.3; these records carry no padding, which the spec leaves optional). */
#define CONN_RECORD_MAX (FCGI_MAX_LENGTH & ~7u)

/* Writes iov[0..n) whole (advancing it), retrying an interrupted or partial writev. */
static bool writev_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		for (; n > 0 && (size_t)w >= iov->iov_len; iov++, n--)
			w -= (ssize_t)iov->iov_len;
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return true;
}

/* head[0..hn) then p[0..n) as FCGI_STDOUT records of the request, after what libfcgi holds
 * (flushed first, so the order holds), up to 16 records a writev; libfcgi's end of the stream
 * follows at FCGX_Finish_r. False when the connection is gone. */
static bool fcgx_write_direct(FCGX_Request *r, const char *head, size_t hn, const char *p, size_t n)
{
	if (FCGX_FFlush(r->out) < 0)
		return false;
	while (hn + n > 0) {
		FCGI_Header h[16];
		struct iovec iov[48];
		int k = 0, v = 0;
		for (; hn + n > 0 && k < 16; k++) {
			size_t hl = hn < CONN_RECORD_MAX ? hn : CONN_RECORD_MAX,
			       len = n < CONN_RECORD_MAX - hl ? n : CONN_RECORD_MAX - hl;
			h[k] = (FCGI_Header){FCGI_VERSION_1,
					     FCGI_STDOUT,
					     (unsigned char)(r->requestId >> 8),
					     (unsigned char)r->requestId,
					     (unsigned char)((hl + len) >> 8),
					     (unsigned char)(hl + len),
					     0,
					     0};
			iov[v++] = (struct iovec){&h[k], sizeof h[k]};
			if (hl)
				iov[v++] = (struct iovec){(void *)head, hl};
			if (len)
				iov[v++] = (struct iovec){(void *)p, len};
			head += hl, hn -= hl;
			p += len, n -= len;
		}
		if (!writev_all(r->ipcFd, iov, v))
			return false;
	}
	return true;
}

/* p[0..n) through libfcgi's buffer (FastCGI) or to fd 1 (CGI). */
static void out_write(struct http_conn *c, const char *p, size_t n)
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

void http_out_write2(struct http_req *req, const char *head, size_t hn, const char *p, size_t n)
{
	struct http_conn *c = conn_of(req);

	if (c->fcgx && hn + n >= CONN_DIRECT_MIN) {
		/* sent, or the client is gone: nothing useful is left to do */
		fcgx_write_direct(c->fcgx, head, hn, p, n);
		return;
	}
	out_write(c, head, hn);
	out_write(c, p, n);
}

void http_out_write(struct http_req *req, const char *p, size_t n)
{
	http_out_write2(req, NULL, 0, p, n);
}

void http_log(struct http_req *req, const char *fmt, ...)
{
	struct http_conn *c = req ? conn_of(req) : NULL;
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
	struct http_conn *c = req ? conn_of(req) : NULL;
	const char *v = c ? http_var(req, name) : NULL;

	if (v || (c && !c->fcgx)) /* plain CGI's params are the environment */
		return v;
	if (!c)
		return getenv(name);
	if (!proc_env.built)
		vars_build(&proc_env, environ);
	return vars_get(&proc_env, name);
}

/* A header sent more than once is one value, its lines joined with ", " (RFC 9110 section
 * 5.3), as Apache passes it (CGI and mod_proxy_fcgi) and nginx from 1.23 on: nginx 1.22 passes
 * each line as a FastCGI param of its own, of which FCGX_GetParam finds the first. So two
 * workspace or key headers read alike behind every front end (t/integration/fronts.test.mjs). */
static const char *fcgx_header(struct http_req *req, const char *var)
{
	const struct http_vars *v = req_vars(conn_of(req));
	size_t n = strlen(var), i = 0;
	uint64_t h = hash_mem(var, n);
	const char *first = vars_next(v, var, n, h, &i), *more;
	char *joined = NULL;

	while (first && (more = vars_next(v, var, n, h, &i)))
		joined = arena_printf(req->arena, "%s, %s", joined ? joined : first, more);
	return joined ? joined : first;
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
	return conn_of(req)->fcgx && off ? fcgx_header(req, var) : http_var(req, var);
}

const struct http_dialect *http_req_dialect(const struct http_req *req)
{
	const struct http_dialect_route *r = req->surface->dialect->routes;

	for (; req->route && r && r->pattern; r++)
		if (!strcmp(r->pattern, req->route->pattern))
			return r->dialect;
	return req->surface->dialect;
}

const char *http_param(struct http_req *req, const char *key)
{
	const char *v = NULL;
	bool first = http_req_dialect(req)->first_param;

	for (size_t i = 0; i < req->nparams; i++)
		if (!strcmp(req->params[i].key, key)) {
			v = req->params[i].value;
			if (first)
				break;
		}
	return v;
}

/* True for the methods whose requests carry a body (RFC 9110 section 9.3). */
bool http_method_has_body(const char *m)
{
	return !strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH");
}

/* A program that answers before it has read the body (401 without a key, 403 for a read key,
 * 413 over the cap) and exits leaves Apache's mod_cgi(d) writing the rest into a closed pipe:
 * the client then gets the reply, or the reply after a stall and a reset, or nothing (issue
 * 31). So under plain CGI the rest of the body (CONTENT_LENGTH's bytes, or to the end of a
 * chunked one) is read and dropped first, at most HTTP_CGI_DISCARD_MAX bytes. Under FastCGI
 * main.c drains the stream after the reply, which libfcgi buffers. */
void http_body_discard(struct http_req *req)
{
	struct http_conn *c = req->priv;
	const char *cl;
	unsigned long long want = HTTP_CGI_DISCARD_MAX;
	char sink[16384];

	if (c->fcgx || c->body_end || !req->method)
		return;
	cl = http_var(req, "CONTENT_LENGTH");
	if (cl && *cl) {
		char *end;
		unsigned long long n = strtoull(cl, &end, 10);

		if (*end || n <= c->body_got)
			return;
		if (n - c->body_got < want)
			want = n - c->body_got;
	} else if (!http_method_has_body(req->method)) {
		return;
	}
	while (want > 0 && !c->body_end) {
		size_t n = want < sizeof sink ? (size_t)want : sizeof sink;
		size_t got = http_body_read(req, sink, n);

		want -= got;
		if (got < n)
			break;
	}
}
