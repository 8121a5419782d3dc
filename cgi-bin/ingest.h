/* ingest: the handlers of the ingest program, one per ingest format. Each takes a request
 * already routed to its workspace (a valid name) and replies. */
#ifndef SPANDEX_CGI_INGEST_H
#define SPANDEX_CGI_INGEST_H

#include "lib/http/http.h"

enum status ingest_spans(struct http_req *req, const char *ws);
/* POST .../ingest/chat-completions (cgi-bin/ingest_chat.c): one captured chat-completion
 * call; 201 {"session_id","span_id"}. */
enum status ingest_chat(struct http_req *req, const char *ws);
/* POST .../ingest/atif (cgi-bin/ingest_atif.c): one ATIF trajectory; 201, empty body. */
enum status ingest_atif(struct http_req *req, const char *ws);

/* POST .../ingest/otlp/v1/traces: an OTLP ExportTraceServiceRequest in protobuf or
 * OTLP/JSON (cgi-bin/ingest_otlp.c). */
enum status ingest_otlp(struct http_req *req, const char *ws);
/* POST /v1/traces, the standard OTLP path: the workspace comes from the X-Workspace header
 * (default "default"), so OTEL_EXPORTER_OTLP_ENDPOINT=http://host:port works unchanged. */
enum status ingest_otlp_v1(struct http_req *req);

#endif
