/* surface: the Scale GP v5 spans API surface (reference otel-egp.md §4, the seed page
 * scale-egp-v5-spans-search): create, batch insert and upsert, get, patch, search, list; and
 * its span assessments (judgement.md section 3), which are judgements (assess_map.h). The
 * workspace is the x-selected-account-id header, the key x-api-key; errors in FastAPI's
 * shapes. */
#ifndef SPANDEX_API_EGP_SURFACE_H
#define SPANDEX_API_EGP_SURFACE_H

#include "lib/api/common/api.h"
#include "lib/api/egp/map.h"
#include "lib/http/http.h"
#include "lib/ingest/ingest.h"
#include "lib/query/query.h"

extern const struct http_surface egp_surface;
extern const struct http_dialect egp_dialect;

/* Limits (the seed page and otel-egp.md §4.2, §4.5). */
#define EGP_MAX_BATCH 1000
#define EGP_MAX_LIMIT 10000 /* search's limit; GET /v5/spans takes at most 1000 */
#define EGP_MAX_LIST_LIMIT 1000
#define EGP_MAX_TERMS 10  /* search_texts: terms ... */
#define EGP_MIN_TERM 2	  /* ... of at least this many characters */
#define EGP_MAX_IDS 10000 /* every id list of one search together */
/* extra_metadata's conditions (its keys, a list value counting each element): each is looked
 * for in every candidate's metadata, so a search of many of them costs CPU, not bytes (issue
 * 55); the NeMo filter's most (lib/query/cond.h). */
#define EGP_MAX_METADATA FILTER_MAX_CONDS

/* A 422 of one item: loc (a JSON list), pydantic's type and msg, and the input it refuses
 * (NULL: null), which FastAPI's items always carry; loc and input are taken. */
enum status egp_invalid(struct http_req *req, json_t *loc, const char *type, const char *msg,
			json_t *input);
/* Adds pydantic's too_long item to v: body list key holds list, more than max items. */
void egp_too_long(struct verrs *v, const char *key, int max, json_t *list);

/* The endpoints; an account, as responses name it, is the request's workspace. */
enum status egp_create(struct http_req *req);
enum status egp_batch_insert(struct http_req *req);
enum status egp_batch_upsert(struct http_req *req);
enum status egp_get(struct http_req *req);
enum status egp_patch(struct http_req *req);
/* search.c: POST /v5/spans/search (the seed page) and GET /v5/spans. */
enum status egp_search(struct http_req *req);
enum status egp_list(struct http_req *req);

enum status egp_assess_create(struct http_req *req);
enum status egp_assess_list(struct http_req *req);
enum status egp_assess_get(struct http_req *req);
enum status egp_assess_patch(struct http_req *req);
enum status egp_assess_delete(struct http_req *req);

/* The trace ids (as a query's keys, QK_TRACE) of the spans whose assessments, as SGP shows
 * them, have one of types (a list of AssessmentType strings): the search's assessment_types
 * (judgement.md 3.6). A failure is recorded in req. */
enum status egp_assessed_traces(struct http_req *req, json_t *types, struct query_keys *out);

#endif
