/* intake: the NeMo Platform Intake v2 surface (the seed pages, reference nemo-intake.md):
 * its dialect, its route tables (one per program of cgi-bin/) and their handlers. */
#ifndef SPANDEX_API_INTAKE_INTAKE_H
#define SPANDEX_API_INTAKE_INTAKE_H

#include "lib/api/common/api.h"
#include "lib/http/http.h"
#include "lib/ingest/ingest.h"

/* The programs: POST ingest/... and /v1/traces; GET spans..., /healthz, annotations and
 * evaluator-results; GET traces...; GET sessions/{id}. */
extern const struct http_surface intake_ingest_surface;
extern const struct http_surface intake_spans_surface;
extern const struct http_surface intake_traces_surface;
extern const struct http_surface intake_sessions_surface;

/* The dialect: {"detail": "..."} errors, FastAPI's HTTPValidationError for 422, the
 * workspace in the path (X-Workspace for the standard OTLP path), Authorization: Bearer. */
extern const struct http_dialect intake_dialect;
/* OTLP where Langfuse's span processor and Opik's OTLP set-up post it. */
#define INTAKE_LANGFUSE_OTLP "/api/public/otel/v1/traces"
#define INTAKE_OPIK_OTLP "/v1/private/otel/v1/traces"

/* The query parameters as two arrays of req->nparams keys and values (for the filter
 * parsers, which read the filter[...] keys among them). */
void intake_query_pairs(struct http_req *req, const char ***keys, const char ***vals);

/* Handlers (lib/api/intake/ingest.c and read.c). */
enum status intake_ingest_spans(struct http_req *req);
enum status intake_ingest_otlp(struct http_req *req);
enum status intake_ingest_otlp_nemo(struct http_req *req);
enum status intake_ingest_otlp_logs(struct http_req *req);
enum status intake_ingest_chat(struct http_req *req);
enum status intake_ingest_atif(struct http_req *req);
enum status intake_list_spans(struct http_req *req);
enum status intake_span_groups(struct http_req *req);
enum status intake_span_stats(struct http_req *req);
enum status intake_get_span(struct http_req *req);
enum status intake_get_media(struct http_req *req);
enum status intake_list_traces(struct http_req *req);
enum status intake_get_trace(struct http_req *req);
enum status intake_get_session(struct http_req *req);
enum status intake_healthz(struct http_req *req);
enum status intake_list_workspaces(struct http_req *req);
/* GET spans/export and traces/export (spandex's own): the whole listing, streamed. */
enum status intake_export_spans(struct http_req *req);
enum status intake_export_traces(struct http_req *req);
/* Annotations and evaluator results (lib/api/intake/judge.c; judgement.md section 1). */
enum status intake_post_annotation(struct http_req *req);
enum status intake_list_annotations(struct http_req *req);
enum status intake_get_annotation(struct http_req *req);
enum status intake_delete_annotation(struct http_req *req);
enum status intake_post_evaluator(struct http_req *req);
enum status intake_list_evaluators(struct http_req *req);
enum status intake_get_evaluator(struct http_req *req);
enum status intake_span_evaluators(struct http_req *req);
/* Erasure requests (lib/api/intake/erasure.c; docs/erasure.md): POST answers 202 with the
 * request, GET its state (pending, done). */
enum status intake_post_erasure(struct http_req *req);
enum status intake_get_erasure(struct http_req *req);

/* The evaluation results of an OTLP request (lib/api/intake/otlp_evals.c). */
struct otlp_logs;
struct otlp_evals;
/* Finds the span of each evaluation of l that names it by gen_ai.response.id alone, and
 * refuses those it cannot find (l's partial success says why). */
void intake_otlp_resolve(struct http_req *req, struct otlp_logs *l);
/* The OTLP judgements of spans_ids[0..n) written before their span (an evaluation record that
 * came first, which knew no session) get the span's session and project (sessions[i],
 * projects[i]) now, so that NeMo's shapes, which need a session, show them. */
enum status intake_otlp_adopt(struct http_req *req, const char *const *span_ids,
			      const char *const *sessions, const char *const *projects, size_t n);
/* Stores ev after the request's spans or logs; a failure is the store's 503, recorded. */
enum status intake_otlp_evals(struct http_req *req, const struct otlp_evals *ev);

#endif
