/* dialect: how Langfuse says an error ({"message": ..., "error": <its error class>}, as its
 * withMiddlewares writes a BaseError), where its workspace and key come from (Basic <public
 * key>:<secret key>: the public key, also sent as X-Langfuse-Public-Key, is the workspace), and
 * the helpers its handlers share: pages, times, the JSON body. */
#include "lib/api/langfuse/surface.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "lib/base/time.h"
#include "lib/json/jsonw.h"
#include "lib/json/jsonx.h"

/* Langfuse's error classes by HTTP status (packages/shared/src/errors). */
static const char *error_name(int code)
{
	switch (code) {
	case 400:
	case 415:
	case 422:
		return "InvalidRequestError";
	case 401:
		return "UnauthorizedError";
	case 403:
		return "ForbiddenError";
	case 404:
		return "LangfuseNotFoundError";
	case 405:
		return "MethodNotAllowedError";
	case 409:
		return "LangfuseConflictError";
	case 413:
		return "PayloadTooLargeError";
	case 429:
		return "TooManyRequestsError";
	case 503:
		return "ServiceUnavailableError";
	default:
		return "InternalServerError";
	}
}

static void langfuse_error(struct buf *out, int code, const char *msg)
{
	buf_adds(out, "{\"message\":");
	jsonw_string(out, msg, strlen(msg));
	buf_printf(out, ",\"error\":\"%s\"}", error_name(code));
}

/* A 422 of lib/http (a parameter, the body's JSON): Langfuse's zod answer, its issues. */
static void langfuse_invalid(struct buf *out, json_t *items)
{
	size_t i;
	json_t *it;
	buf_adds(out, "{\"message\":\"Invalid request data\",\"error\":[");
	json_array_foreach(items, i, it)
	{
		const char *msg = json_string_value(json_object_get(it, "msg"));
		json_t *loc = json_object_get(it, "loc");
		buf_adds(out, i ? ",{\"message\":" : "{\"message\":");
		jsonw_string(out, msg ? msg : "Invalid", strlen(msg ? msg : "Invalid"));
		buf_adds(out, ",\"path\":");
		jsonw_value(out, loc ? loc : json_array());
		buf_addc(out, '}');
	}
	buf_adds(out, "]}");
}

const struct http_dialect langfuse_dialect = {
    .error = langfuse_error,
    .invalid = langfuse_invalid,
    .ws_header = "X-Langfuse-Public-Key",
    .ws_from = http_ws_basic_user,
    .ws_default = "default",
    /* A public key that names no workspace: Langfuse's "Invalid credentials". */
    .ws_refusal = ST_UNAUTHORIZED,
    .key = &http_key_basic,
};

enum status langfuse_bad(struct http_req *req, const char *path, const char *msg)
{
	struct buf *b = arena_buf(req->arena);
	buf_adds(b, "{\"message\":\"Invalid request data\",\"error\":[{\"message\":");
	jsonw_string(b, msg, strlen(msg));
	buf_adds(b, ",\"path\":[");
	if (path)
		jsonw_string(b, path, strlen(path));
	buf_adds(b, "]}]}");
	http_reply_json(req, 400, b->p, b->len);
	return ST_OK;
}

bool langfuse_refuse(struct http_req *req, const char *fmt, ...)
{
	va_list ap;
	struct buf *b = arena_buf(req->arena);
	char msg[512];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	langfuse_error(b, 400, msg);
	http_reply_json(req, 400, b->p, b->len);
	return false;
}

void langfuse_page_meta(struct buf *out, long long page, long long limit, size_t total)
{
	buf_printf(out, "],\"meta\":{\"page\":%lld,\"limit\":%lld,\"totalItems\":%zu,", page, limit,
		   total);
	buf_printf(out, "\"totalPages\":%lld}}",
		   limit > 0 ? ((long long)total + limit - 1) / limit : 0LL);
}

enum status langfuse_json_body(struct http_req *req, json_t **out)
{
	size_t pos = 0;
	struct err e = {0};
	*out = NULL;
	json_t *v = req->body_len ? jsonx_parse(req->body, req->body_len, &pos, &e) : NULL;
	if (!json_is_object(v)) {
		langfuse_bad(req, NULL,
			     !req->body_len ? "Required: the body is empty"
			     : v	    ? "Expected object"
				 : arena_printf(req->arena, "Invalid JSON at byte %zu", pos));
		return ST_OK;
	}
	*out = v;
	return ST_OK;
}

/* A positive integer parameter in [1, max]; false when the 400 is written. */
static bool count_param(struct http_req *req, const char *name, long long max, long long *out)
{
	const char *s = http_param(req, name);
	long long v;
	int range;
	if (!s)
		return true;
	if (!http_text_int(s, false, &v, &range) || range || v < 1 || v > max) {
		langfuse_bad(req, name,
			     arena_printf(req->arena, "Expected an integer from 1 to %lld", max));
		return false;
	}
	*out = v;
	return true;
}

bool langfuse_paging(struct http_req *req, long long max, long long *page, long long *limit)
{
	*page = 1;
	*limit = LF_DEFAULT_LIMIT;
	return count_param(req, "page", (long long)1 << 40, page) &&
	       count_param(req, "limit", max, limit);
}

bool langfuse_time_param(struct http_req *req, const char *name, int64_t *us, bool *given)
{
	const char *s = http_param(req, name);
	if (given)
		*given = false;
	if (!s)
		return true;
	if (!time_parse(s, false, us)) {
		langfuse_bad(req, name, "Invalid datetime: expected ISO 8601");
		return false;
	}
	if (given)
		*given = true;
	return true;
}

size_t langfuse_param_all(struct http_req *req, const char *name, const char ***out)
{
	size_t n = 0;
	*out = arena_alloc(req->arena, (req->nparams ? req->nparams : 1) * sizeof **out);
	for (size_t i = 0; i < req->nparams; i++)
		if (!strcmp(req->params[i].key, name))
			(*out)[n++] = req->params[i].value;
	return n;
}

bool langfuse_window(struct http_req *req, const char *from, const char *to, struct filter *f)
{
	int64_t us[2];
	bool given[2];
	struct filter_cond *c = (struct filter_cond *)f->conds;
	if (!langfuse_time_param(req, from, &us[0], &given[0]) ||
	    !langfuse_time_param(req, to, &us[1], &given[1]))
		return false;
	if (given[0])
		c[f->n++] =
		    (struct filter_cond){.field = FF_STARTED_AT, .op = FOP_GTE, .us = us[0]};
	if (given[1])
		c[f->n++] =
		    (struct filter_cond){.field = FF_STARTED_AT, .op = FOP_LTE, .us = us[1] - 1};
	return true;
}

void *langfuse_grow(struct arena *a, void *p, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return p;
	*cap = 2 * *cap + 16;
	void *grown = arena_alloc(a, *cap * size);
	if (n)
		memcpy(grown, p, n * size);
	return grown;
}
