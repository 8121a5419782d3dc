/* fuzz opik_body: Opik's write bodies (trace and span batch and single creates, PATCH one or
 * a batch, feedback scores in batches and one by one and their deletes, comments) through
 * their handlers (lib/api/opik/spans/write.c, scores.c, comments.c, the mapping of map.c), in any
 * order on one store, as the SDK's unordered queues send them: partial rows, pending PATCHes
 * and early scores are merged, then read back (get, list, stats, score names, a comment). */
#include "t/fuzz/handler.h"
#include "lib/api/opik/surface.h"

#define P "/v1/private"

static const struct fuzz_op ops[] = {
    {"POST", P "/traces/batch"},
    {"POST", P "/spans/batch"},
    {"POST", P "/traces"},
    {"POST", P "/spans"},
    {"PATCH", P "/traces/{id}"},
    {"PATCH", P "/spans/{id}"},
    {"PUT", P "/traces/feedback-scores"},
    {"PUT", P "/spans/feedback-scores"},
    {"PUT", P "/traces/{id}/feedback-scores"},
    {"PUT", P "/spans/{id}/feedback-scores"},
    {"GET", P "/traces/{id}"},
    {"GET", P "/spans/{id}"},
    {"GET", P "/traces"},
    {"GET", P "/spans"},
    {"POST", P "/spans/search"},
    {"PATCH", P "/traces/batch"},
    {"PATCH", P "/spans/batch"},
    {"POST", P "/traces/{id}/feedback-scores/delete"},
    {"POST", P "/spans/{id}/feedback-scores/delete"},
    {"POST", P "/traces/{id}/comments"},
    {"POST", P "/spans/{id}/comments"},
    {"GET", P "/spans/{id}/comments/{id2}"},
    {"PATCH", P "/spans/comments/{id}"},
    {"POST", P "/spans/comments/delete"},
    {"GET", P "/spans/stats"},
    {"GET", P "/traces/feedback-scores/names"},
};

/* The ids of t/fixtures/opik, so PATCHes and reads meet what the seeds create. */
static const char *const ids[] = {"tr-a",    "tr-b",  "tr-c",	   "a-llm", "a-tool",
				  "a-guard", "b-llm", "b-general", "c-llm", "x"};

FUZZ_HANDLER_MAIN(opik_surface, ops, ids)
