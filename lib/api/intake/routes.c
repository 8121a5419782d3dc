/* routes: the route tables of the Intake programs (reference nemo-intake.md section 1). */
#include "lib/api/intake/intake.h"

#include "lib/api/intake/params.h"
#include "lib/model/export.h"
#include "lib/query/query.h"

#define WS "/apis/intake/v2/workspaces/{workspace}"
#define N(a) (sizeof(a) / sizeof(*(a)))

/* Reference section 2: page >= 1, page_size 1..1000 (422 outside); defaults 1 and 10. Spans
 * and traces also sort by a score (spandex's own, lib/api/intake/byscore.c), which the 422's
 * message leaves out (lib/http/params.c: a choice ending in '*' matches by prefix). */
/* In the seed pages' order (TraceSortField, SpanGroupSortField, the mode's Literal), which the
 * 422 lists. */
static const char *const span_sorts[] = {"started_at", "-started_at", "evaluator_scores.*",
					 "-evaluator_scores.*", NULL};
static const char *const group_sorts[] = {"span_count", "-span_count", NULL};
static const char *const modes[] = {"summary", "detailed", NULL};
/* GET spans also takes NeMo Helix's preview (reference §7.1): input and output cut short. */
static const char *const span_modes[] = {"summary", "detailed", "preview", NULL};
static const char *const filter_prefix[] = {"filter[", NULL};
#define PAGE                                                                                       \
	{                                                                                          \
		"page", PT_INT, false, 1, (long long)1 << 62, NULL, "1"                            \
	}
#define PAGE_SIZE                                                                                  \
	{                                                                                          \
		"page_size", PT_INT, false, 1, QUERY_MAX_PAGE_SIZE, NULL, "10"                     \
	}
#define FILTER                                                                                     \
	{                                                                                          \
		"filter", PT_STRING, false, 0, 0, NULL, NULL                                       \
	}
#define MODE                                                                                       \
	{                                                                                          \
		"mode", PT_LITERAL, false, 0, 0, modes, "detailed"                                 \
	}
#define SEARCH                                                                                     \
	{                                                                                          \
		"search", PT_STRING, false, 0, 0, NULL, NULL                                       \
	}

static const struct http_pspec span_list[] = {
    PAGE,   PAGE_SIZE, {"sort", PT_ENUM, false, 0, 0, span_sorts, "-started_at"},
    FILTER, SEARCH,    {"mode", PT_LITERAL, false, 0, 0, span_modes, "detailed"}};
/* The List Span Groups page has no mode: there it is an unsupported parameter like any
 * other. `by` is required (the seed page): a missing one is FastAPI's 422, an empty one
 * (`by=`, `by=,`) the handler's 400 (nemo-intake.md section 7.5). It comes first, as on the
 * page, so its 422 item comes before those of page, page_size and sort. */
static const struct http_pspec group_list[] = {
    {"by", PT_STRING, true, 0, 0, NULL, NULL},
    PAGE,
    PAGE_SIZE,
    {"sort", PT_ENUM, false, 0, 0, group_sorts, "-span_count"},
    FILTER,
    SEARCH};
static const struct http_pspec trace_list[] = {
    PAGE,   PAGE_SIZE, {"sort", PT_ENUM, false, 0, 0, span_sorts, "-started_at"},
    FILTER, SEARCH,    MODE};
static const struct http_pspec trace_get[] = {MODE};
/* Annotations and evaluator results (judgement.md sections 1.4 and 1.6): the same page and
 * page_size; their own sorts. */
static const char *const annotation_sorts[] = {"-created_at", "created_at", NULL};
static const char *const evaluator_sorts[] = {"-created_at", "created_at", "-value", "value", NULL};
static const struct http_pspec annotation_list[] = {
    PAGE, PAGE_SIZE, {"sort", PT_ENUM, false, 0, 0, annotation_sorts, "-created_at"}, FILTER};
static const struct http_pspec evaluator_list[] = {
    PAGE, PAGE_SIZE, {"sort", PT_ENUM, false, 0, 0, evaluator_sorts, "-created_at"}, FILTER};
/* spans/stats (spandex's own): the window, the bucket (1 minute to 31 days), the filter. */
static const struct http_pspec stats_params[] = {
    {"start", PT_STRING, true, 0, 0, NULL, NULL},
    {"end", PT_STRING, true, 0, 0, NULL, NULL},
    {"bucket_seconds", PT_INT, false, 60, 31 * 86400, NULL, "3600"},
    FILTER,
    SEARCH};

/* spans/export and traces/export (spandex's own): the list's filter, search and direction,
 * and the format (lib/model/export.h). */
static const char *const export_sorts[] = {"started_at", "-started_at", NULL};
static const struct http_pspec export_params[] = {
    {"format", PT_LITERAL, false, 0, 0, export_format_names, "jsonl"},
    {"sort", PT_ENUM, false, 0, 0, export_sorts, "-started_at"},
    FILTER,
    SEARCH};

static const struct http_route ingest_routes[] = {
    {"POST", WS "/ingest/spans", intake_ingest_spans, HTTP_WRITE, NULL, 0, NULL, false},
    {"POST", WS "/ingest/otlp/v1/traces", intake_ingest_otlp_nemo, HTTP_WRITE, NULL, 0, NULL,
     false},
    {"POST", WS "/ingest/otlp/v1/logs", intake_ingest_otlp_logs, HTTP_WRITE, NULL, 0, NULL, false},
    {"POST", WS "/ingest/chat-completions", intake_ingest_chat, HTTP_WRITE, NULL, 0, NULL, false},
    {"POST", WS "/ingest/atif", intake_ingest_atif, HTTP_WRITE, NULL, 0, NULL, false},
    /* The standard OTLP path (otel-egp.md 1.1): the workspace from X-Workspace. */
    {"POST", "/v1/traces", intake_ingest_otlp, HTTP_WRITE, NULL, 0, NULL, false},
    /* The logs path of the same exporters: the GenAI content events. */
    {"POST", "/v1/logs", intake_ingest_otlp_logs, HTTP_WRITE, NULL, 0, NULL, false},
    /* Where Langfuse's span processor and Opik's OTLP set-up post (instrumentation.md 3.1):
     * the same decoding and limits. */
    {"POST", INTAKE_LANGFUSE_OTLP, intake_ingest_otlp, HTTP_WRITE, NULL, 0, NULL, false},
    {"POST", INTAKE_OPIK_OTLP, intake_ingest_otlp, HTTP_WRITE, NULL, 0, NULL, false},
    {"POST", "/api" INTAKE_OPIK_OTLP, intake_ingest_otlp, HTTP_WRITE, NULL, 0, NULL, false},
};
const struct http_surface intake_ingest_surface = {
    .dialect = &intake_dialect,
    .routes = ingest_routes,
    .nroutes = N(ingest_routes),
    .open = api_open,
    .start = api_start,
};

static const struct http_route spans_routes[] = {
    {"GET", WS "/spans", intake_list_spans, HTTP_READ, span_list, N(span_list), filter_prefix,
     true},
    {"GET", WS "/spans/groups", intake_span_groups, HTTP_READ, group_list, N(group_list),
     filter_prefix, true},
    {"GET", WS "/spans/stats", intake_span_stats, HTTP_READ, stats_params, N(stats_params),
     filter_prefix, true},
    {"GET", WS "/spans/export", intake_export_spans, HTTP_READ, export_params, N(export_params),
     filter_prefix, true},
    {"GET", WS "/spans/{id}", intake_get_span, HTTP_READ, NULL, 0, NULL, false},
    /* The media files ingest moved out of spans (docs/media.md), beside the spans. */
    {"GET", WS "/media/{id}", intake_get_media, HTTP_READ, NULL, 0, NULL, false},
    {"GET", "/healthz", intake_healthz, HTTP_PUBLIC, NULL, 0, NULL, false},
    /* The workspaces the key may read (spandex's own); the key is checked by the handler. */
    {"GET", "/apis/intake/v2/workspaces", intake_list_workspaces, HTTP_PUBLIC, NULL, 0, NULL,
     false},
    /* Judgements live beside the spans, and spans/{id}/evaluator-results is under spans/: one
     * program for them all (nginx/programs). Annotations have no PATCH (405). */
    {"GET", WS "/spans/{id}/evaluator-results", intake_span_evaluators, HTTP_READ, NULL, 0, NULL,
     false},
    {"POST", WS "/annotations", intake_post_annotation, HTTP_WRITE, NULL, 0, NULL, false},
    /* Erasure (docs/erasure.md): an admin's, as `spandex erase` is the operator's. */
    {"POST", WS "/erasures", intake_post_erasure, HTTP_ADMIN, NULL, 0, NULL, false},
    {"GET", WS "/erasures/{id}", intake_get_erasure, HTTP_ADMIN, NULL, 0, NULL, false},
    {"GET", WS "/annotations", intake_list_annotations, HTTP_READ, annotation_list,
     N(annotation_list), filter_prefix, true},
    {"GET", WS "/annotations/{id}", intake_get_annotation, HTTP_READ, NULL, 0, NULL, false},
    {"DELETE", WS "/annotations/{id}", intake_delete_annotation, HTTP_WRITE, NULL, 0, NULL, false},
    {"POST", WS "/evaluator-results", intake_post_evaluator, HTTP_WRITE, NULL, 0, NULL, false},
    {"GET", WS "/evaluator-results", intake_list_evaluators, HTTP_READ, evaluator_list,
     N(evaluator_list), filter_prefix, true},
    {"GET", WS "/evaluator-results/{id}", intake_get_evaluator, HTTP_READ, NULL, 0, NULL, false},
};
const struct http_surface intake_spans_surface = {
    .dialect = &intake_dialect,
    .routes = spans_routes,
    .nroutes = N(spans_routes),
    .open = api_open,
    .start = api_start,
};

static const struct http_route traces_routes[] = {
    {"GET", WS "/traces", intake_list_traces, HTTP_READ, trace_list, N(trace_list), filter_prefix,
     true},
    {"GET", WS "/traces/export", intake_export_traces, HTTP_READ, export_params, N(export_params),
     filter_prefix, true},
    {"GET", WS "/traces/{id}", intake_get_trace, HTTP_READ, trace_get, N(trace_get), NULL, false},
};
const struct http_surface intake_traces_surface = {
    .dialect = &intake_dialect,
    .routes = traces_routes,
    .nroutes = N(traces_routes),
    .open = api_open,
    .start = api_start,
};

static const struct http_route sessions_routes[] = {
    {"GET", WS "/sessions/{id}", intake_get_session, HTTP_READ, NULL, 0, NULL, false},
};
const struct http_surface intake_sessions_surface = {
    .dialect = &intake_dialect,
    .routes = sessions_routes,
    .nroutes = N(sessions_routes),
    .open = api_open,
    .start = api_start,
};
