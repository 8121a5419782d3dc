/* fuzz egp_body: Scale GP's bodies (create, batch insert and upsert, PATCH, the search
 * request's filters, and span assessments) through their handlers (lib/api/egp/spans.c and
 * assess.c, the mappings of map.c and assess_map.c), in any order on one store, then read back
 * (get, search, list). */
#include "t/fuzz/handler.h"
#include "lib/api/egp/surface.h"

static const struct fuzz_op ops[] = {
    {"POST", "/v5/spans"},
    {"POST", "/v5/spans/batch"},
    {"PUT", "/v5/spans/batch"},
    {"PATCH", "/v5/spans/{id}"},
    {"POST", "/v5/spans/search"},
    {"GET", "/v5/spans/{id}"},
    {"GET", "/v5/spans"},
    /* Span assessments (judgement.md 3): their bodies' checks and the type rule; a PATCH and a
     * DELETE reach an assessment only by chance (their ids are uuids). */
    {"POST", "/v5/span-assessments"},
    {"GET", "/v5/span-assessments"},
    {"PATCH", "/v5/span-assessments/{id}"},
    {"DELETE", "/v5/span-assessments/{id}"},
};

/* The ids of t/fixtures/egp, so PATCHes and reads meet what the seeds create. */
static const char *const ids[] = {"a-root", "a-llm", "a-tool", "a-guard", "b-root",
				  "b-llm",  "b-ret", "c-root", "x"};

FUZZ_HANDLER_MAIN(egp_surface, ops, ids)
