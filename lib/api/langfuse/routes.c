/* routes: the Langfuse program's route table (Langfuse's Fern definition: ingestion.yml,
 * trace.yml, observations.yml and legacy/observations-v1.yml, sessions.yml, scores.yml and
 * legacy/score-v1.yml, legacy/metrics-v1.yml's metrics and daily metrics, metrics.yml's v2 metrics,
 * health.yml, media.yml). Query parameters are read by the handlers, which answer a bad one with
 * Langfuse's 400 (its zod error), not lib/http's 422; one the API does not know is ignored, as
 * Langfuse's schemas strip it. */
#include "lib/api/langfuse/surface.h"

#define P "/api/public"
#define N(a) (sizeof(a) / sizeof(*(a)))
#define ROUTE(m, path, handler, role)                                                              \
	{                                                                                          \
		.method = m, .pattern = P path, .fn = handler, .access = role                      \
	}

static const struct http_route routes[] = {
    ROUTE("POST", "/ingestion", langfuse_ingestion, HTTP_WRITE),
    ROUTE("GET", "/health", langfuse_health, HTTP_PUBLIC),
    ROUTE("GET", "/traces", langfuse_traces_list, HTTP_READ),
    /* Deletes take the admin role, as every API's here (docs/configuration.md, "API keys"). */
    ROUTE("DELETE", "/traces", langfuse_traces_delete, HTTP_ADMIN),
    ROUTE("GET", "/traces/{id}", langfuse_trace_get, HTTP_READ),
    ROUTE("DELETE", "/traces/{id}", langfuse_trace_delete, HTTP_ADMIN),
    ROUTE("GET", "/observations", langfuse_observations_list, HTTP_READ),
    ROUTE("GET", "/observations/{id}", langfuse_observation_get, HTTP_READ),
    ROUTE("GET", "/v2/observations", langfuse_observations_v2, HTTP_READ),
    ROUTE("GET", "/sessions", langfuse_sessions_list, HTTP_READ),
    ROUTE("GET", "/sessions/{id}", langfuse_session_get, HTTP_READ),
    ROUTE("POST", "/scores", langfuse_score_create, HTTP_WRITE),
    /* A score is a judgement, and deleting one a write, as Opik's and NeMo's are. */
    ROUTE("DELETE", "/scores/{id}", langfuse_score_delete, HTTP_WRITE),
    ROUTE("GET", "/v2/scores", langfuse_scores_list, HTTP_READ),
    ROUTE("GET", "/v2/scores/{id}", langfuse_score_get, HTTP_READ),
    ROUTE("GET", "/metrics/daily", langfuse_metrics_daily, HTTP_READ),
    ROUTE("GET", "/metrics", langfuse_metrics, HTTP_READ),
    ROUTE("GET", "/v2/metrics", langfuse_metrics_v2, HTTP_READ),
    ROUTE("POST", "/media", langfuse_media_create, HTTP_WRITE),
    ROUTE("GET", "/media/{id}", langfuse_media_get, HTTP_READ),
    ROUTE("PATCH", "/media/{id}", langfuse_media_patch, HTTP_WRITE),
    /* The URLs the two above hand out: no key, their signature is the access (media.c). */
    HTTP_ROUTE("PUT", P "/media/upload/{workspace}/{id}", langfuse_media_upload, HTTP_PUBLIC,
	       HTTP_PARAMS(langfuse_media_upload_params), .admit = langfuse_media_upload_admit),
    HTTP_ROUTE("GET", P "/media/download/{workspace}/{id}", langfuse_media_download, HTTP_PUBLIC,
	       HTTP_PARAMS(langfuse_media_download_params), .admit = langfuse_media_download_admit),
};

const struct http_surface langfuse_surface = {
    .dialect = &langfuse_dialect,
    .routes = routes,
    .nroutes = N(routes),
    .open = api_open,
    .start = api_start,
    .idle = api_idle,
};
