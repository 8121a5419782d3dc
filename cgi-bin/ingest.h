/* ingest: the handlers of the ingest program, one per body format, each in its own file;
 * cgi-bin/ingest.c routes to them. Each replies itself and returns the status it replied with
 * (or a non-OK status for lib/http to answer with its default message). */
#ifndef SPANDEX_INGEST_H
#define SPANDEX_INGEST_H

#include "lib/http.h"

/* POST .../workspaces/{ws}/ingest/otlp/v1/traces: an OTLP ExportTraceServiceRequest in
 * protobuf or OTLP/JSON (cgi-bin/ingest_otlp.c). ws is already validated. */
enum status ingest_otlp(struct http_req *req, const char *ws);
/* POST /v1/traces, the standard OTLP path: the workspace comes from the X-Workspace header
 * (default "default"), so OTEL_EXPORTER_OTLP_ENDPOINT=http://host:port works unchanged. */
enum status ingest_otlp_v1(struct http_req *req);

#endif
