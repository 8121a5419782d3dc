/* surface: Langfuse's public API (docs/api-langfuse.md) over the store: the batch ingestion its
 * v2/v3 SDKs post (POST /api/public/ingestion), and the read API its SDKs and users script
 * against (traces, observations, sessions, scores, daily metrics, health), in Langfuse's
 * shapes (its Fern definition, fern/apis/server/definition/). Auth as Langfuse does it:
 * Basic <public key>:<secret key>, the public key the workspace, the secret key a spandex key
 * of it, as the OTLP route at /api/public/otel/v1/traces already takes them.
 *
 * A Langfuse trace is stored as a root span whose span_id is the trace id (map.h), its
 * observations as spans of that trace; scores are judgements (api "langfuse"). What Langfuse's
 * SDK writes is stored under the attribute names its OTel SDK sends (langfuse.*, user.id), so
 * that both of its routes read back alike, and every other API reads them as its own. */
#ifndef SPANDEX_API_LANGFUSE_SURFACE_H
#define SPANDEX_API_LANGFUSE_SURFACE_H

#include "lib/api/common/api.h"
#include "lib/http/http.h"
#include "lib/ingest/ingest.h"
#include "lib/model/judgement.h"
#include "lib/query/query.h"

extern const struct http_surface langfuse_surface;
extern const struct http_dialect langfuse_dialect;

/* Limits (docs/limits.md). */
/* Events of one ingestion batch: Langfuse caps a batch at 3.5 MB, not at a count; its SDKs
 * send 15 (flushAt) at a time and at most a few hundred. A thousand events is each API's batch
 * here (the Intake batch, Opik's, Scale GP's), and what one store_update writes at once. */
#define LF_MAX_BATCH 1000
/* Items of a page: Langfuse's default is 50; its scores list refuses more than 100. */
#define LF_DEFAULT_LIMIT 50
#define LF_MAX_LIMIT QUERY_MAX_PAGE_SIZE
#define LF_MAX_SCORE_LIMIT 100
/* Trace ids of one DELETE /traces, and score ids of one scoreIds list. */
#define LF_MAX_IDS 1000
/* Days of one page of daily metrics, and distinct models a day's usage lists. */
#define LF_MAX_METRIC_MODELS 1000

/* How long a media URL (an upload's, a download's) is good for: Langfuse's, an hour for both
 * (its getSignedUploadUrl's ttlSeconds, LANGFUSE_S3_MEDIA_DOWNLOAD_URL_EXPIRY_SECONDS). */
#define LF_MEDIA_URL_TTL_S 3600

/* This surface's name in a judgement's "api" (judgement_api_valid) and a span's source. */
#define LF_API "langfuse"

/* Replies in Langfuse's shapes. */
/* A 400 as Langfuse's zod validation answers it: {"message": "Invalid request data",
 * "error": [{"message": msg, "path": [path]}]}; returns ST_OK (the reply is written). */
enum status langfuse_bad(struct http_req *req, const char *path, const char *msg);
/* A 400 {"message": <fmt ...>, "error": "InvalidRequestError"}, as Langfuse throws an
 * InvalidRequestError; returns false (the reply is written). */
bool langfuse_refuse(struct http_req *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A page: {"data": [<data[0..n) joined>], "meta": {page, limit, totalItems, totalPages}}. */
void langfuse_page_meta(struct buf *out, long long page, long long limit, size_t total);
/* The JSON body of a write: an object, else a 400 in Langfuse's shape (replied: *out NULL). */
enum status langfuse_json_body(struct http_req *req, json_t **out);
/* page and limit of a list (1.., 1..max, defaults 1 and LF_DEFAULT_LIMIT); false when the
 * reply (400) is written. */
bool langfuse_paging(struct http_req *req, long long max, long long *page, long long *limit);
/* A datetime query parameter (ISO 8601) into *us; true when absent (*us untouched) or read;
 * false when the 400 is written. */
bool langfuse_time_param(struct http_req *req, const char *name, int64_t *us, bool *given);
/* The time window of a list: the datetime parameters from (on or after) and to (before), each
 * a condition on started_at appended to f->conds (room for two); false when the 400 is
 * written. */
bool langfuse_window(struct http_req *req, const char *from, const char *to, struct filter *f);
/* p, an array of n items of size bytes with room for *cap, with room for one more (the
 * arena's: the old array is left to it). */
void *langfuse_grow(struct arena *a, void *p, size_t n, size_t *cap, size_t size);
/* The values of a query parameter given any number of times (tags=a&tags=b), in the arena. */
size_t langfuse_param_all(struct http_req *req, const char *name, const char ***out);

/* The endpoints. */
enum status langfuse_ingestion(struct http_req *req); /* ingest.c */
enum status langfuse_health(struct http_req *req);    /* metrics.c */
enum status langfuse_metrics_daily(struct http_req *req);
enum status langfuse_metrics(struct http_req *req); /* metrics_group.c */
enum status langfuse_metrics_v2(struct http_req *req);
enum status langfuse_traces_list(struct http_req *req); /* traces.c */
enum status langfuse_trace_get(struct http_req *req);
enum status langfuse_trace_delete(struct http_req *req);
enum status langfuse_traces_delete(struct http_req *req);
enum status langfuse_observations_list(struct http_req *req); /* observations.c */
enum status langfuse_observations_v2(struct http_req *req);
enum status langfuse_observation_get(struct http_req *req);
enum status langfuse_sessions_list(struct http_req *req); /* sessions.c */
enum status langfuse_session_get(struct http_req *req);
enum status langfuse_score_create(struct http_req *req); /* scores.c */
enum status langfuse_scores_list(struct http_req *req);
enum status langfuse_score_get(struct http_req *req);
enum status langfuse_score_delete(struct http_req *req);
/* media.c: Langfuse's media API, its signed upload and download URLs and their parameters. */
enum status langfuse_media_create(struct http_req *req);
enum status langfuse_media_get(struct http_req *req);
enum status langfuse_media_patch(struct http_req *req);
enum status langfuse_media_upload_admit(struct http_req *req);
enum status langfuse_media_upload(struct http_req *req);
enum status langfuse_media_download_admit(struct http_req *req);
enum status langfuse_media_download(struct http_req *req);
#define LF_MEDIA_UPLOAD_PARAMS 5
#define LF_MEDIA_DOWNLOAD_PARAMS 2
extern const struct http_pspec langfuse_media_upload_params[LF_MEDIA_UPLOAD_PARAMS];
extern const struct http_pspec langfuse_media_download_params[LF_MEDIA_DOWNLOAD_PARAMS];

#endif
