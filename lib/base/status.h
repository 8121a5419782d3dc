/* status: the one status enum of the library, its table of HTTP codes and default messages,
 * and the one error object (a status and its reason) that every layer passes up. Core
 * modules return statuses; lib/http turns them into replies in the API's own error shape.
 * Nothing here allocates. */
#ifndef SPANDEX_BASE_STATUS_H
#define SPANDEX_BASE_STATUS_H

#include <stddef.h>

enum status {
	ST_OK = 0,
	ST_NOT_FOUND,	 /* 404 */
	ST_BAD_REQUEST,	 /* 400: bad parameter or filter */
	ST_INVALID,	 /* 422: schema violation */
	ST_TOO_LARGE,	 /* 413: body over the limit */
	ST_MEDIA_TYPE,	 /* 415: unsupported media type */
	ST_METHOD,	 /* 405 */
	ST_UNAUTHORIZED, /* 401: no key, or one that is not known */
	ST_FORBIDDEN,	 /* 403: a known key without the right to this */
	ST_CONFLICT,	 /* 409: the write contradicts what is stored */
	ST_TOO_MANY,	 /* 429: over a rate or cost budget; retry later */
	ST_UNAVAILABLE,	 /* 503: the store cannot take the write now (disk full, lock, I/O) */
	ST_INTERNAL,	 /* 500: a bug; never for bad input */
	ST__COUNT
};

/* HTTP status code for s. */
int status_http(enum status s);
/* Default message for s, used when the caller has no better one. */
const char *status_message(enum status s);
/* Maps an errno from a failed store call to a status (ENOSPC, EDQUOT, EIO ... -> 503). */
enum status status_from_errno(int err);

/* The error object: what went wrong, in one sentence for the client or the operator. A
 * function that can fail takes a struct err * (NULL when the caller needs no reason), fills
 * it and returns its status; the caller passes it up unchanged or replies with it. */
#define ERR_MSG 512
struct err {
	enum status st;
	char msg[ERR_MSG]; /* "" when there is no better text than status_message(st) */
};
/* Sets e (when not NULL) and returns st. */
enum status err_set(struct err *e, enum status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* For a failed system call: the status of errnum, and "<what>: <strerror(errnum)>". */
enum status err_sys(struct err *e, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The message of e: its text, or the status's default. */
const char *err_text(const struct err *e);

#endif
