/* api: what every surface (lib/api/<name>) shares above lib/http: a request's queries and
 * writes set up one way, whatever the API. It names no API; a surface's own choices (its
 * default order, page) are set by the surface after these. Everything lives in req->arena. */
#ifndef SPANDEX_API_COMMON_API_H
#define SPANDEX_API_COMMON_API_H

#include "lib/http/http.h"
#include "lib/ingest/ingest.h"
#include "lib/query/query.h"

/* q zeroed, then a query of req's workspace on its store, in its arena, newest first
 * (sort "-started_at"), under the request's budget (SPANDEX_QUERY_MS ...) and admitted to the
 * slots of expensive queries once it reads SPANDEX_QUERY_HEAVY bytes (issue 30, item 8): a
 * client repeating scans of a large workspace never holds every worker. */
void api_query_init(struct http_req *req, struct query *q);

/* Where req's writes go (lib/ingest): its store, workspace and arena, and the settings of its
 * environment. */
struct ingest_to api_ingest_to(struct http_req *req);

#endif
