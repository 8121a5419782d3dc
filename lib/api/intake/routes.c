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
		.name = "page", .type = PT_INT, .min = 1, .max = (long long)1 << 62, .def = "1"    \
	}
#define PAGE_SIZE                                                                                  \
	{                                                                                          \
		.name = "page_size", .type = PT_INT, .min = 1, .max = QUERY_MAX_PAGE_SIZE,         \
		.def = "10"                                                                        \
	}
#define FILTER                                                                                     \
	{                                                                                          \
		.name = "filter", .type = PT_STRING                                                \
	}
#define MODE                                                                                       \
	{                                                                                          \
		.name = "mode", .type = PT_LITERAL, .choices = modes, .def = "detailed"            \
	}
#define SEARCH                                                                                     \
	{                                                                                          \
		.name = "search", .type = PT_STRING                                                \
	}

static const struct http_pspec span_list[] = {
    PAGE,
    PAGE_SIZE,
    {.name = "sort", .type = PT_ENUM, .choices = span_sorts, .def = "-started_at"},
    FILTER,
    SEARCH,
    {.name = "mode", .type = PT_LITERAL, .choices = span_modes, .def = "detailed"}};
/* The List Span Groups page has no mode: there it is an unsupported parameter like any
 * other. `by` is required (the seed page): a missing one is FastAPI's 422, an empty one
 * (`by=`, `by=,`) the handler's 400 (nemo-intake.md section 7.5). It comes first, as on the
 * page, so its 422 item comes before those of page, page_size and sort. */
static const struct http_pspec group_list[] = {
    {.name = "by", .type = PT_STRING, .required = true},
    PAGE,
    PAGE_SIZE,
    {.name = "sort", .type = PT_ENUM, .choices = group_sorts, .def = "-span_count"},
    FILTER,
    SEARCH};
static const struct http_pspec trace_list[] = {
    PAGE,
    PAGE_SIZE,
    {.name = "sort", .type = PT_ENUM, .choices = span_sorts, .def = "-started_at"},
    FILTER,
    SEARCH,
    MODE};
static const struct http_pspec trace_get[] = {MODE};
/* Annotations and evaluator results (judgement.md sections 1.4 and 1.6): the same page and
 * page_size; their own sorts. */
static const char *const annotation_sorts[] = {"-created_at", "created_at", NULL};
static const char *const evaluator_sorts[] = {"-created_at", "created_at", "-value", "value", NULL};
static const struct http_pspec annotation_list[] = {
    PAGE,
    PAGE_SIZE,
    {.name = "sort", .type = PT_ENUM, .choices = annotation_sorts, .def = "-created_at"},
    FILTER};
static const struct http_pspec evaluator_list[] = {
    PAGE,
    PAGE_SIZE,
    {.name = "sort", .type = PT_ENUM, .choices = evaluator_sorts, .def = "-created_at"},
    FILTER};
/* spans/stats (spandex's own): the window, the bucket (1 minute to 31 days), the filter. */
static const struct http_pspec stats_params[] = {
    {.name = "start", .type = PT_STRING, .required = true},
    {.name = "end", .type = PT_STRING, .required = true},
    {.name = "bucket_seconds", .type = PT_INT, .min = 60, .max = 31 * 86400, .def = "3600"},
    FILTER,
    SEARCH};

/* spans/export and traces/export (spandex's own): the list's filter, search and direction,
 * and the format (lib/model/export.h). */
static const char *const export_sorts[] = {"started_at", "-started_at", NULL};
static const struct http_pspec export_params[] = {
    {.name = "format", .type = PT_LITERAL, .choices = export_format_names, .def = "jsonl"},
    {.name = "sort", .type = PT_ENUM, .choices = export_sorts, .def = "-started_at"},
    FILTER,
    SEARCH};

static const struct http_route ingest_routes[] = {
    HTTP_ROUTE("POST", WS "/ingest/spans", intake_ingest_spans, HTTP_WRITE),
    HTTP_ROUTE("POST", WS "/ingest/otlp/v1/traces", intake_ingest_otlp_nemo, HTTP_WRITE),
    HTTP_ROUTE("POST", WS "/ingest/otlp/v1/logs", intake_ingest_otlp_logs, HTTP_WRITE),
    HTTP_ROUTE("POST", WS "/ingest/chat-completions", intake_ingest_chat, HTTP_WRITE),
    HTTP_ROUTE("POST", WS "/ingest/atif", intake_ingest_atif, HTTP_WRITE),
    /* The standard OTLP path (otel-egp.md 1.1): the workspace from X-Workspace. */
    HTTP_ROUTE("POST", "/v1/traces", intake_ingest_otlp, HTTP_WRITE),
    /* The logs path of the same exporters: the GenAI content events. */
    HTTP_ROUTE("POST", "/v1/logs", intake_ingest_otlp_logs, HTTP_WRITE),
    /* Where Langfuse's span processor and Opik's OTLP set-up post (instrumentation.md 3.1):
     * the same decoding and limits. */
    HTTP_ROUTE("POST", INTAKE_LANGFUSE_OTLP, intake_ingest_otlp, HTTP_WRITE),
    HTTP_ROUTE("POST", INTAKE_OPIK_OTLP, intake_ingest_otlp, HTTP_WRITE),
    HTTP_ROUTE("POST", "/api" INTAKE_OPIK_OTLP, intake_ingest_otlp, HTTP_WRITE),
};
const struct http_surface intake_ingest_surface = {
    .dialect = &intake_dialect,
    .routes = ingest_routes,
    .nroutes = N(ingest_routes),
    .open = api_open,
    .start = api_start,
};

static const struct http_route spans_routes[] = {
    HTTP_ROUTE("GET", WS "/spans", intake_list_spans, HTTP_READ, HTTP_PARAMS(span_list),
	       .prefixes = filter_prefix, .strict = true),
    HTTP_ROUTE("GET", WS "/spans/groups", intake_span_groups, HTTP_READ, HTTP_PARAMS(group_list),
	       .prefixes = filter_prefix, .strict = true),
    HTTP_ROUTE("GET", WS "/spans/stats", intake_span_stats, HTTP_READ, HTTP_PARAMS(stats_params),
	       .prefixes = filter_prefix, .strict = true),
    HTTP_ROUTE("GET", WS "/spans/export", intake_export_spans, HTTP_READ,
	       HTTP_PARAMS(export_params), .prefixes = filter_prefix, .strict = true),
    HTTP_ROUTE("GET", WS "/spans/{id}", intake_get_span, HTTP_READ),
    /* The media files ingest moved out of spans (docs/media.md), beside the spans. */
    HTTP_ROUTE("GET", WS "/media/{id}", intake_get_media, HTTP_READ),
    HTTP_ROUTE("GET", "/healthz", intake_healthz, HTTP_PUBLIC),
    /* The workspaces the key may read (spandex's own); the key is checked by the handler. */
    HTTP_ROUTE("GET", "/apis/intake/v2/workspaces", intake_list_workspaces, HTTP_PUBLIC),
    /* Judgements live beside the spans, and spans/{id}/evaluator-results is under spans/: one
     * program for them all (nginx/programs). Annotations have no PATCH (405). */
    HTTP_ROUTE("GET", WS "/spans/{id}/evaluator-results", intake_span_evaluators, HTTP_READ),
    HTTP_ROUTE("POST", WS "/annotations", intake_post_annotation, HTTP_WRITE),
    /* Erasure (docs/erasure.md): an admin's, as `spandex erase` is the operator's. */
    HTTP_ROUTE("POST", WS "/erasures", intake_post_erasure, HTTP_ADMIN),
    HTTP_ROUTE("GET", WS "/erasures/{id}", intake_get_erasure, HTTP_ADMIN),
    HTTP_ROUTE("GET", WS "/annotations", intake_list_annotations, HTTP_READ,
	       HTTP_PARAMS(annotation_list), .prefixes = filter_prefix, .strict = true),
    HTTP_ROUTE("GET", WS "/annotations/{id}", intake_get_annotation, HTTP_READ),
    HTTP_ROUTE("DELETE", WS "/annotations/{id}", intake_delete_annotation, HTTP_WRITE),
    HTTP_ROUTE("POST", WS "/evaluator-results", intake_post_evaluator, HTTP_WRITE),
    HTTP_ROUTE("GET", WS "/evaluator-results", intake_list_evaluators, HTTP_READ,
	       HTTP_PARAMS(evaluator_list), .prefixes = filter_prefix, .strict = true),
    HTTP_ROUTE("GET", WS "/evaluator-results/{id}", intake_get_evaluator, HTTP_READ),
};
const struct http_surface intake_spans_surface = {
    .dialect = &intake_dialect,
    .routes = spans_routes,
    .nroutes = N(spans_routes),
    .open = api_open,
    .start = api_start,
    .idle = api_idle,
};

static const struct http_route traces_routes[] = {
    HTTP_ROUTE("GET", WS "/traces", intake_list_traces, HTTP_READ, HTTP_PARAMS(trace_list),
	       .prefixes = filter_prefix, .strict = true),
    HTTP_ROUTE("GET", WS "/traces/export", intake_export_traces, HTTP_READ,
	       HTTP_PARAMS(export_params), .prefixes = filter_prefix, .strict = true),
    HTTP_ROUTE("GET", WS "/traces/{id}", intake_get_trace, HTTP_READ, HTTP_PARAMS(trace_get)),
};
const struct http_surface intake_traces_surface = {
    .dialect = &intake_dialect,
    .routes = traces_routes,
    .nroutes = N(traces_routes),
    .open = api_open,
    .start = api_start,
    .idle = api_idle,
};

static const struct http_route sessions_routes[] = {
    HTTP_ROUTE("GET", WS "/sessions/{id}", intake_get_session, HTTP_READ),
};
const struct http_surface intake_sessions_surface = {
    .dialect = &intake_dialect,
    .routes = sessions_routes,
    .nroutes = N(sessions_routes),
    .open = api_open,
    .start = api_start,
    .idle = api_idle,
};
