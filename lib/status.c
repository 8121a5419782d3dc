/* status: HTTP code and default message per library status (RFC 9110 section 15). */
#include "lib/status.h"

#include <errno.h>

static const struct {
	int http;
	const char *msg;
} table[ST__COUNT] = {
    [ST_OK] = {200, "OK"},
    [ST_NOT_FOUND] = {404, "Not Found"},
    [ST_BAD_REQUEST] = {400, "Bad Request"},
    [ST_INVALID] = {422, "Unprocessable Entity"},
    [ST_TOO_LARGE] = {413, "Request body too large"},
    [ST_MEDIA_TYPE] = {415, "Unsupported Media Type"},
    [ST_METHOD] = {405, "Method Not Allowed"},
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
