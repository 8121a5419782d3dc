/* status: the one status enum of the library, and its table of HTTP codes and messages.
 * Core modules return these; lib/http turns them into replies. Nothing here allocates. */
#ifndef SPANDEX_STATUS_H
#define SPANDEX_STATUS_H

enum status {
	ST_OK = 0,
	ST_NOT_FOUND,	/* 404 */
	ST_BAD_REQUEST, /* 400: bad parameter or filter */
	ST_INVALID,	/* 422: schema violation */
	ST_TOO_LARGE,	/* 413: body over the limit */
	ST_MEDIA_TYPE,	/* 415: unsupported media type */
	ST_METHOD,	/* 405 */
	ST_UNAVAILABLE, /* 503: the store cannot take the write now (disk full, lock, I/O) */
	ST_INTERNAL,	/* 500: a bug; never for bad input */
	ST__COUNT
};

/* HTTP status code for s. */
int status_http(enum status s);
/* Default message for s, used when the caller has no better one. */
const char *status_message(enum status s);
/* Maps an errno from a failed store write to a status (ENOSPC, EDQUOT, EIO ... -> 503). */
enum status status_from_errno(int err);

#endif
