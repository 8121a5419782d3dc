/* routes: the Scale GP v5 spans program's route table (otel-egp.md §4.2; the seed page). */
#include "lib/api/egp/surface.h"
#include "lib/api/egp/assess.h"
#include "lib/api/egp/params.h"

#define N(a) (sizeof(a) / sizeof(*(a)))

static const char *const orders[] = {"asc", "desc", NULL};

/* In the order of params.h's ES_*. */
static const struct http_pspec search_params[] = {
    {"starting_after", PT_STRING, false, 0, 0, NULL, NULL},
    {"ending_before", PT_STRING, false, 0, 0, NULL, NULL},
    {"limit", PT_INT, false, 1, EGP_MAX_LIMIT, NULL, "100"},
    {"sort_by", PT_STRING, false, 0, 0, NULL, NULL},
    {"sort_order", PT_ENUM, false, 0, 0, orders, "asc"},
    {"from_ts", PT_STRING, false, 0, 0, NULL, NULL},
    {"to_ts", PT_STRING, false, 0, 0, NULL, NULL},
    {"allow_partial_results", PT_BOOL, false, 0, 0, NULL, "false"},
};
/* In the order of params.h's EL_*. */
static const struct http_pspec list_params[] = {
    {"starting_after", PT_STRING, false, 0, 0, NULL, NULL},
    {"ending_before", PT_STRING, false, 0, 0, NULL, NULL},
    {"limit", PT_INT, false, 1, EGP_MAX_LIST_LIMIT, NULL, "100"},
    {"trace_id", PT_STRING, false, 0, 0, NULL, NULL},
    {"parents_only", PT_BOOL, false, 0, 0, NULL, "false"},
    {"from_ts", PT_INT, false, 0, (long long)1 << 40, NULL, NULL},
    {"to_ts", PT_INT, false, 0, (long long)1 << 40, NULL, NULL},
};
/* In the order of params.h's EA_* (judgement.md 3.4). */
static const struct http_pspec assess_params[] = {
    {"span_id", PT_STRING, false, 0, 0, NULL, NULL},
    {"trace_id", PT_STRING, false, 0, 0, NULL, NULL},
    {"assessment_type", PT_ENUM, false, 0, 0, egp_assess_types, NULL},
};

static const struct http_route routes[] = {
    {"POST", "/v5/spans/search", egp_search, HTTP_READ, search_params, N(search_params), NULL,
     false},
    {"POST", "/v5/spans/batch", egp_batch_insert, HTTP_WRITE, NULL, 0, NULL, false},
    {"PUT", "/v5/spans/batch", egp_batch_upsert, HTTP_WRITE, NULL, 0, NULL, false},
    {"POST", "/v5/spans", egp_create, HTTP_WRITE, NULL, 0, NULL, false},
    {"GET", "/v5/spans", egp_list, HTTP_READ, list_params, N(list_params), NULL, false},
    {"GET", "/v5/spans/{id}", egp_get, HTTP_READ, NULL, 0, NULL, false},
    {"PATCH", "/v5/spans/{id}", egp_patch, HTTP_WRITE, NULL, 0, NULL, false},
    /* Span assessments (judgement.md 3.1); a delete of one is a write, as the other APIs'
     * judgement deletes are (its creator or an admin: assess.c). */
    {"POST", "/v5/span-assessments", egp_assess_create, HTTP_WRITE, NULL, 0, NULL, false},
    {"GET", "/v5/span-assessments", egp_assess_list, HTTP_READ, assess_params, N(assess_params),
     NULL, false},
    {"GET", "/v5/span-assessments/{id}", egp_assess_get, HTTP_READ, NULL, 0, NULL, false},
    {"PATCH", "/v5/span-assessments/{id}", egp_assess_patch, HTTP_WRITE, NULL, 0, NULL, false},
    {"DELETE", "/v5/span-assessments/{id}", egp_assess_delete, HTTP_WRITE, NULL, 0, NULL, false},
};

const struct http_surface egp_surface = {
    .dialect = &egp_dialect,
    .routes = routes,
    .nroutes = N(routes),
    .open = api_open,
    .start = api_start,
};
