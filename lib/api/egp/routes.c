/* routes: the Scale GP v5 spans program's route table (otel-egp.md §4.2; the seed page). */
#include "lib/api/egp/surface.h"
#include "lib/api/egp/assess_map.h"
#include "lib/api/egp/params.h"

#define N(a) (sizeof(a) / sizeof(*(a)))

static const char *const orders[] = {"asc", "desc", NULL};

/* In the order of params.h's ES_*. */
static const struct http_pspec search_params[] = {
    {.name = "starting_after", .type = PT_STRING},
    {.name = "ending_before", .type = PT_STRING},
    {.name = "limit", .type = PT_INT, .min = 1, .max = EGP_MAX_LIMIT, .def = "100"},
    {.name = "sort_by", .type = PT_STRING},
    {.name = "sort_order", .type = PT_ENUM, .choices = orders, .def = "asc"},
    {.name = "from_ts", .type = PT_STRING},
    {.name = "to_ts", .type = PT_STRING},
    {.name = "allow_partial_results", .type = PT_BOOL, .def = "false"},
};
/* In the order of params.h's EL_*. */
static const struct http_pspec list_params[] = {
    {.name = "starting_after", .type = PT_STRING},
    {.name = "ending_before", .type = PT_STRING},
    {.name = "limit", .type = PT_INT, .min = 1, .max = EGP_MAX_LIST_LIMIT, .def = "100"},
    {.name = "trace_id", .type = PT_STRING},
    {.name = "parents_only", .type = PT_BOOL, .def = "false"},
    {.name = "from_ts", .type = PT_INT, .min = 0, .max = (long long)1 << 40},
    {.name = "to_ts", .type = PT_INT, .min = 0, .max = (long long)1 << 40},
};
/* In the order of params.h's EA_* (judgement.md 3.4). */
static const struct http_pspec assess_params[] = {
    {.name = "span_id", .type = PT_STRING},
    {.name = "trace_id", .type = PT_STRING},
    {.name = "assessment_type", .type = PT_ENUM, .choices = egp_assess_types},
};

static const struct http_route routes[] = {
    HTTP_ROUTE("POST", "/v5/spans/search", egp_search, HTTP_READ, HTTP_PARAMS(search_params)),
    HTTP_ROUTE("POST", "/v5/spans/batch", egp_batch_insert, HTTP_WRITE),
    HTTP_ROUTE("PUT", "/v5/spans/batch", egp_batch_upsert, HTTP_WRITE),
    HTTP_ROUTE("POST", "/v5/spans", egp_create, HTTP_WRITE),
    HTTP_ROUTE("GET", "/v5/spans", egp_list, HTTP_READ, HTTP_PARAMS(list_params)),
    HTTP_ROUTE("GET", "/v5/spans/{id}", egp_get, HTTP_READ),
    HTTP_ROUTE("PATCH", "/v5/spans/{id}", egp_patch, HTTP_WRITE),
    /* Span assessments (judgement.md 3.1); a delete of one is a write, as the other APIs'
     * judgement deletes are (its creator or an admin: assess.c). */
    HTTP_ROUTE("POST", "/v5/span-assessments", egp_assess_create, HTTP_WRITE),
    HTTP_ROUTE("GET", "/v5/span-assessments", egp_assess_list, HTTP_READ,
	       HTTP_PARAMS(assess_params)),
    HTTP_ROUTE("GET", "/v5/span-assessments/{id}", egp_assess_get, HTTP_READ),
    HTTP_ROUTE("PATCH", "/v5/span-assessments/{id}", egp_assess_patch, HTTP_WRITE),
    HTTP_ROUTE("DELETE", "/v5/span-assessments/{id}", egp_assess_delete, HTTP_WRITE),
};

const struct http_surface egp_surface = {
    .dialect = &egp_dialect,
    .routes = routes,
    .nroutes = N(routes),
    .open = api_open,
    .start = api_start,
    .idle = api_idle,
};
