/* status: HTTP code and default message per library status (RFC 9110 section 15), and the
 * error object. */
#include "lib/base/status.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
	int http;
	const char *msg;
} table[ST__COUNT] = {
    [ST_OK] = {200, "OK"},
    [ST_NOT_FOUND] = {404, "Not Found"},
    [ST_BAD_REQUEST] = {400, "Bad Request"},
    [ST_INVALID] = {422, "Unprocessable Entity"},
    [ST_TOO_LARGE] = {413, "Request body is larger than the limit"},
    [ST_MEDIA_TYPE] = {415, "Unsupported Media Type"},
    [ST_METHOD] = {405, "Method Not Allowed"},
    [ST_UNAUTHORIZED] = {401, "Not authenticated"},
    [ST_FORBIDDEN] = {403, "Not allowed"},
    [ST_CONFLICT] = {409, "Conflict"},
    [ST_TOO_MANY] = {429, "Too many requests; retry later"},
    [ST_UNAVAILABLE] = {503, "The store cannot take the write now; retry later"},
    [ST_INTERNAL] = {500, "Internal Server Error"},
};

int status_http(enum status s)
{
	return (unsigned)s < ST__COUNT ? table[s].http : 500;
}

const char *status_message(enum status s)
{
	return (unsigned)s < ST__COUNT ? table[s].msg : "Internal Server Error";
}

enum status status_from_errno(int err)
{
	switch (err) {
	case ENOENT:
		return ST_NOT_FOUND;
	case ENAMETOOLONG:
		return ST_BAD_REQUEST;
	default:
		/* ENOSPC, EDQUOT, EIO, EROFS, EMFILE, EAGAIN, EINTR...: the client may retry. */
		return ST_UNAVAILABLE;
	}
}

enum status err_set(struct err *e, enum status st, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return st;
	e->st = st;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return st;
}

enum status err_sys(struct err *e, int errnum, const char *fmt, ...)
{
	va_list ap;
	enum status st = status_from_errno(errnum);
	if (!e)
		return st;
	e->st = st;
	va_start(ap, fmt);
	int n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, ": %s", strerror(errnum));
	return st;
}

const char *err_text(const struct err *e)
{
	return e && e->msg[0] ? e->msg : status_message(e ? e->st : ST_INTERNAL);
}
