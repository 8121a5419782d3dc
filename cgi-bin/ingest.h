/* ingest: the handlers of the ingest program, one per ingest format. Each takes a request
 * already routed to its workspace (a valid name) and replies. */
#ifndef SPANDEX_CGI_INGEST_H
#define SPANDEX_CGI_INGEST_H

#include "lib/http.h"

enum status ingest_spans(struct http_req *req, const char *ws);

/* POST .../ingest/otlp/v1/traces: an OTLP ExportTraceServiceRequest in protobuf or
 * OTLP/JSON (cgi-bin/ingest_otlp.c). */
enum status ingest_otlp(struct http_req *req, const char *ws);
/* POST /v1/traces, the standard OTLP path: the workspace comes from the X-Workspace header
 * (default "default"), so OTEL_EXPORTER_OTLP_ENDPOINT=http://host:port works unchanged. */
enum status ingest_otlp_v1(struct http_req *req);

#endif
