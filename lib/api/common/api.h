/* api: what every surface (lib/api/<name>) shares above lib/http: the application a request
 * runs against (req->app: the store; lib/http holds it as an opaque pointer), its queries and
 * writes set up one way whatever the API, and the reply of a media file. It names no API; a
 * surface's own choices (its default order, page) are set by the surface after these.
 * Everything lives in req->arena. */
#ifndef SPANDEX_API_COMMON_API_H
#define SPANDEX_API_COMMON_API_H

#include "lib/http/http.h"
#include "lib/ingest/ingest.h"
#include "lib/query/query.h"
#include "lib/store/ops.h"
#include "lib/store/store.h"

/* What the handlers of a surface run against: req->app once api_open has set it. */
struct api_app {
	struct store store; /* req->root, with SPANDEX_SYNC of this request */
};

/* Every surface's http_surface.open: req->app, in req's arena. Holds the data directory's
 * serve lock from then on, so a restore refuses to run under the program (issue 30); while
 * one runs, ST_UNAVAILABLE (503) with the reason recorded in req. */
enum status api_open(struct http_req *req);

/* bucket.c: the request's store hooked to the bucket's shipper when SPANDEX_S3 is set (its
 * fence, and sync mode), by api_open. api_start, every surface's http_surface.start, says at
 * start-up when the settings are wrong and, given the data directory (root; NULL: plain CGI,
 * not checked), when the bucket does not answer as it should (kept for /healthz too). */
void api_bucket(struct http_req *req);
void api_start(const char *root);
/* Every reading surface's http_surface.idle: a step of what the worker builds for its searches
 * while no request waits (store_tail_idle: the fresh days' pairs of words a phrase asked, or of
 * a tail past a size in the store of the last request api_open saw). True while more is left.
 * The ingest program has none: its batches keep its CPU. */
bool api_idle(void);

/* The store of req (api_open's). */
static inline struct store *api_store(struct http_req *req)
{
	return &((struct api_app *)req->app)->store;
}

/* q zeroed, then a query of req's workspace on its store, in its arena, newest first
 * (sort "-started_at"), under api_query_limits and api_query_admit. */
void api_query_init(struct http_req *req, struct query *q);
/* The budget a query of req runs under (SPANDEX_QUERY_MS, SPANDEX_QUERY_BYTES,
 * SPANDEX_QUERY_MEM), its time counted from the request's start: every query of a request
 * shares it, and the parse of the body is inside it. */
void api_query_limits(struct http_req *req, struct query *q);
/* http_heavy as q's admission (query.admit) once it has read SPANDEX_QUERY_HEAVY bytes or its
 * request has spent SPANDEX_QUERY_HEAVY_MS of CPU, so a small query never takes a slot and a
 * scan of a large project, or a line-by-line test of many conditions, always does (issue 30,
 * item 8): a client repeating scans of a large workspace never holds every worker. */
void api_query_admit(struct http_req *req, struct query *q);

/* Where req's writes go (lib/ingest): its store, workspace and arena, and the settings of its
 * environment. */
struct ingest_to api_ingest_to(struct http_req *req);

/* An erasure of req's workspace (docs/erasure.md): ids[0..n) (n > 0) of the kind by, in
 * requests of at most STORE_ERASE_MAX_VALUES, each asked by "<api>:<the key's id>" (api: the
 * surface's name, for the audit line). From the return no reader shows what they name; the
 * next `spandex erase --pending` takes its bytes out of the files. *judgements (NULL: not
 * wanted): how many judgements they hid (by judgement: how many of the ids had a version). A
 * failure is in e, not replied. */
enum status api_erase(struct http_req *req, const char *api, enum store_erase_by by,
		      const char *const *ids, size_t n, size_t *judgements, struct err *e);

/* The whole reply of req's workspace's media file hex (lib/ingest/media.h), or of the file a
 * client's tag id names (STORE_MEDIA_TAG_ID base64url digits: Langfuse's media id): its bytes,
 * typed by what they are (media_sniff; application/octet-stream and an attachment when they are
 * none of the types it knows), an ETag of its name and immutable caching; 304 when If-None-Match
 * names it. Else the status (ST_NOT_FOUND: no such file, or hex is no media name) and e's
 * reason, replying nothing: the surface words its own error. */
enum status api_reply_media(struct http_req *req, const char *hex, struct err *e);
/* Where this server is as req's client reached it, for a URL it hands out ("" when the request
 * says nothing usable): SPANDEX_PUBLIC_URL when set (its trailing '/' cut), else the scheme
 * (X-Forwarded-Proto, or HTTPS) and the Host header, with the port the request came to
 * (SERVER_PORT) when it names none: Debian's fastcgi_params passes nginx's $host, which has
 * none. */
const char *api_base_url(struct http_req *req);
/* s percent-encoded but its unreserved characters (RFC 3986 section 2.3), for a query value of
 * such a URL, in a's memory. */
const char *api_url_escape(struct arena *a, const char *s);

#endif
