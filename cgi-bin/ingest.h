/* ingest: the handlers of the ingest program, one per ingest format. Each takes a request
 * already routed to its workspace (a valid name) and replies. */
#ifndef SPANDEX_CGI_INGEST_H
#define SPANDEX_CGI_INGEST_H

#include "lib/http.h"

enum status ingest_spans(struct http_req *req, const char *ws);

#endif
