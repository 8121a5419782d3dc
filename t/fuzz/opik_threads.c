/* fuzz opik_threads: Opik's thread and retention-rule bodies (lib/api/opik/threads/threads.c,
 * thread_rows.c, thread_filter.c, thread_write.c, thread_delete.c, thread_marks.c,
 * retention.c) through their handlers, after traces with a thread_id are written in any
 * order on one store: searches with filters, retrieve, open and close, tags by model id and in
 * batches, scores and their deletes, comments, deletes, and the rules' creates and deletes. */
#include "t/fuzz/handler.h"
#include "lib/api/opik/surface.h"

#define P "/v1/private"

static const struct fuzz_op ops[] = {
    {"POST", P "/traces/batch"},
    {"POST", P "/spans/batch"},
    {"POST", P "/traces/threads/retrieve"},
    {"POST", P "/traces/threads/search"},
    {"PUT", P "/traces/threads/open"},
    {"PUT", P "/traces/threads/close"},
    {"PATCH", P "/traces/threads/batch"},
    {"PATCH", P "/traces/threads/{id}"},
    {"POST", P "/traces/threads/delete"},
    {"PUT", P "/traces/threads/feedback-scores"},
    {"POST", P "/traces/threads/feedback-scores/delete"},
    {"GET", P "/traces/threads/feedback-scores/names"},
    {"POST", P "/traces/threads/{id}/comments"},
    {"GET", P "/traces/threads/{id}/comments/{id2}"},
    {"POST", P "/retention/rules"},
    {"GET", P "/retention/rules"},
    {"DELETE", P "/retention/rules/{id}"},
};

/* The thread_model_ids of the threads th-a and th-b of project fz (opik_thread_model_id), so
 * the routes by model id meet what the seeds write; and one that names nothing. */
static const char *const ids[] = {"8a3bcd54-a975-d1b7-94f4-7d91d9fc180e",
				  "2615279c-d601-af59-3790-a40aeecbfe99", "x"};

FUZZ_HANDLER_MAIN(opik_surface, ops, ids)
