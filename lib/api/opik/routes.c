/* routes: the Opik program's route table (reference opik.md §2, §3, §10; the seed page
 * opik-v1-list-spans). Every path also answers under /api (opik_dialect.prefix). */
#include "lib/api/opik/surface.h"
#include "lib/api/opik/params.h"

#define P "/v1/private"
#define N(a) (sizeof(a) / sizeof(*(a)))

static const char *const types[] = {"general", "tool", "llm", "guardrail", NULL};
#define BOOL(n)                                                                                    \
	{                                                                                          \
		n, PT_BOOL, false, 0, 0, NULL, "false"                                             \
	}
#define STR(n)                                                                                     \
	{                                                                                          \
		n, PT_STRING, false, 0, 0, NULL, NULL                                              \
	}

/* In the order of params.h's OL_*, for both lists: traces take the table up to trace_id, so
 * trace_id and type are not parameters of theirs. */
static const struct http_pspec span_list[] = {
    {"page", PT_INT, false, 1, (long long)1 << 40, NULL, "1"},
    {"size", PT_INT, false, 1, OPIK_MAX_PAGE_SIZE, NULL, "10"},
    STR("project_name"),
    STR("project_id"),
    STR("filters"),
    STR("sorting"),
    STR("exclude"),
    STR("search"),
    STR("from_time"),
    STR("to_time"),
    BOOL("truncate"),
    BOOL("strip_attachments"),
    STR("trace_id"),
    {"type", PT_ENUM, false, 0, 0, types, NULL},
};
static const struct http_pspec projects[] = {
    {"page", PT_INT, false, 1, (long long)1 << 40, NULL, "1"},
    {"size", PT_INT, false, 1, OPIK_MAX_PAGE_SIZE, NULL, "10"},
    STR("name"),
    STR("sorting"),
};
/* In the order of params.h's OT_*: stats take the table up to the page. */
static const struct http_pspec threads[] = {
    STR("project_name"),
    STR("project_id"),
    STR("filters"),
    STR("search"),
    STR("from_time"),
    STR("to_time"),
    {"page", PT_INT, false, 1, (long long)1 << 40, NULL, "1"},
    {"size", PT_INT, false, 1, OPIK_MAX_PAGE_SIZE, NULL, "10"},
    STR("sorting"),
    BOOL("truncate"),
    BOOL("strip_attachments"),
};
/* In the order of params.h's OR_*. */
static const struct http_pspec rules[] = {
    {"page", PT_INT, false, 1, (long long)1 << 40, NULL, "1"},
    {"size", PT_INT, false, 1, OPIK_MAX_PAGE_SIZE, NULL, "10"},
    BOOL("include_inactive"),
};
static const struct http_pspec one[] = {BOOL("strip_attachments"), BOOL("truncate")};
/* Attachments (attachment.c): an entity's list, in the handler's order; one's download. */
static const char *const entities[] = {"trace", "span", NULL};
static const struct http_pspec attachments[] = {
    {"entity_type", PT_ENUM, true, 0, 0, entities, NULL},
    {"entity_id", PT_STRING, true, 0, 0, NULL, NULL},
    {"page", PT_INT, false, 1, (long long)1 << 40, NULL, "1"},
    {"size", PT_INT, false, 1, OPIK_MAX_PAGE_SIZE, NULL, "10"},
    STR("project_id"),
    STR("path"),
};
static const struct http_pspec download[] = {
    {"file_name", PT_STRING, true, 0, 0, NULL, NULL},
    STR("workspace_name"),
    STR("container_id"),
    {"entity_type", PT_ENUM, false, 0, 0, entities, NULL},
    STR("entity_id"),
    STR("mime_type"),
};
/* In the order of params.h's ON_*: traces take project_id alone. */
static const struct http_pspec names[] = {STR("project_id"),
					  {"type", PT_ENUM, false, 0, 0, types, NULL}};

static const struct http_route routes[] = {
    /* Threads (judgement.md 2.4), before the traces' {id} routes their paths would match. */
    {"GET", P "/traces/threads", opik_list_threads, HTTP_READ, threads, N(threads), NULL, false},
    {"POST", P "/traces/threads/retrieve", opik_thread_retrieve, HTTP_READ, NULL, 0, NULL, false},
    {"POST", P "/traces/threads/search", opik_search_threads, HTTP_READ, NULL, 0, NULL, false},
    {"GET", P "/traces/threads/stats", opik_thread_stats, HTTP_READ, threads, OT_PAGE, NULL, false},
    {"PUT", P "/traces/threads/open", opik_thread_open, HTTP_WRITE, NULL, 0, NULL, false},
    {"PUT", P "/traces/threads/close", opik_thread_close, HTTP_WRITE, NULL, 0, NULL, false},
    {"PATCH", P "/traces/threads/batch", opik_thread_patch_batch, HTTP_WRITE, NULL, 0, NULL, false},
    {"PATCH", P "/traces/threads/comments/{id}", opik_comment_update, HTTP_WRITE, NULL, 0, NULL,
     false},
    {"PATCH", P "/traces/threads/{id}", opik_thread_update, HTTP_WRITE, NULL, 0, NULL, false},
    {"POST", P "/traces/threads/delete", opik_threads_delete, HTTP_ADMIN, NULL, 0, NULL, false},
    {"PUT", P "/traces/threads/feedback-scores", opik_thread_scores, HTTP_WRITE, NULL, 0, NULL,
     false},
    {"POST", P "/traces/threads/feedback-scores/delete", opik_thread_scores_delete, HTTP_WRITE,
     NULL, 0, NULL, false},
    {"GET", P "/traces/threads/feedback-scores/names", opik_thread_score_names, HTTP_READ, names,
     ON_TYPE, NULL, false},
    {"POST", P "/traces/threads/comments/delete", opik_comments_delete, HTTP_WRITE, NULL, 0, NULL,
     false},
    {"POST", P "/traces/threads/{id}/comments", opik_thread_comment_create, HTTP_WRITE, NULL, 0,
     NULL, false},
    {"GET", P "/traces/threads/{id}/comments/{id2}", opik_thread_comment_get, HTTP_READ, NULL, 0,
     NULL, false},
    /* Retention rules (judgement.md 2.5): what `spandex retain` keeps; deciding what is
     * removed takes the admin role, reading them a read key. */
    {"GET", P "/retention/rules", opik_retention_rules, HTTP_READ, rules, N(rules), NULL, false},
    {"POST", P "/retention/rules", opik_retention_rule_create, HTTP_ADMIN, NULL, 0, NULL, false},
    {"GET", P "/retention/rules/{id}", opik_retention_rule, HTTP_READ, NULL, 0, NULL, false},
    {"DELETE", P "/retention/rules/{id}", opik_retention_rule_delete, HTTP_ADMIN, NULL, 0, NULL,
     false},
    {"POST", P "/traces/batch", opik_batch, HTTP_WRITE, NULL, 0, NULL, false},
    {"POST", P "/spans/batch", opik_batch, HTTP_WRITE, NULL, 0, NULL, false},
    {"POST", P "/traces/search", opik_search_traces, HTTP_READ, NULL, 0, NULL, false},
    /* Deletes take the admin role (issue 13: admin is everything, deletes too). */
    {"POST", P "/traces/delete", opik_traces_delete, HTTP_ADMIN, NULL, 0, NULL, false},
    {"DELETE", P "/traces/{id}", opik_trace_delete, HTTP_ADMIN, NULL, 0, NULL, false},
    {"POST", P "/spans/search", opik_search_spans, HTTP_READ, NULL, 0, NULL, false},
    {"POST", P "/traces", opik_create, HTTP_WRITE, NULL, 0, NULL, false},
    {"POST", P "/spans", opik_create, HTTP_WRITE, NULL, 0, NULL, false},
    {"PUT", P "/traces/feedback-scores", opik_scores, HTTP_WRITE, NULL, 0, NULL, false},
    {"PUT", P "/spans/feedback-scores", opik_scores, HTTP_WRITE, NULL, 0, NULL, false},
    {"PUT", P "/traces/{id}/feedback-scores", opik_score, HTTP_WRITE, NULL, 0, NULL, false},
    {"PUT", P "/spans/{id}/feedback-scores", opik_score, HTTP_WRITE, NULL, 0, NULL, false},
    /* Scores and comments are judgements (judgement.md 2.1, 2.2); a delete of them is a
     * write (the SDK deletes its queued scores with a write key). */
    {"POST", P "/traces/{id}/feedback-scores/delete", opik_score_delete, HTTP_WRITE, NULL, 0, NULL,
     false},
    {"POST", P "/spans/{id}/feedback-scores/delete", opik_score_delete, HTTP_WRITE, NULL, 0, NULL,
     false},
    {"GET", P "/traces/feedback-scores/names", opik_score_names, HTTP_READ, names, ON_TYPE, NULL,
     false},
    {"GET", P "/spans/feedback-scores/names", opik_score_names, HTTP_READ, names, N(names), NULL,
     false},
    {"POST", P "/traces/comments/delete", opik_comments_delete, HTTP_WRITE, NULL, 0, NULL, false},
    {"POST", P "/spans/comments/delete", opik_comments_delete, HTTP_WRITE, NULL, 0, NULL, false},
    {"POST", P "/traces/{id}/comments", opik_comment_create, HTTP_WRITE, NULL, 0, NULL, false},
    {"POST", P "/spans/{id}/comments", opik_comment_create, HTTP_WRITE, NULL, 0, NULL, false},
    {"GET", P "/traces/{id}/comments/{id2}", opik_comment_get, HTTP_READ, NULL, 0, NULL, false},
    {"GET", P "/spans/{id}/comments/{id2}", opik_comment_get, HTTP_READ, NULL, 0, NULL, false},
    {"PATCH", P "/traces/comments/{id}", opik_comment_update, HTTP_WRITE, NULL, 0, NULL, false},
    {"PATCH", P "/spans/comments/{id}", opik_comment_update, HTTP_WRITE, NULL, 0, NULL, false},
    /* Before the PATCH of an id: "batch" is no id. */
    {"PATCH", P "/traces/batch", opik_patch_batch, HTTP_WRITE, NULL, 0, NULL, false},
    {"PATCH", P "/spans/batch", opik_patch_batch, HTTP_WRITE, NULL, 0, NULL, false},
    {"PATCH", P "/traces/{id}", opik_patch, HTTP_WRITE, NULL, 0, NULL, false},
    {"PATCH", P "/spans/{id}", opik_patch, HTTP_WRITE, NULL, 0, NULL, false},
    {"GET", P "/traces/stats", opik_trace_stats, HTTP_READ, span_list, OL_TRACE_ID, NULL, false},
    {"GET", P "/spans/stats", opik_span_stats, HTTP_READ, span_list, N(span_list), NULL, false},
    {"GET", P "/traces/{id}", opik_get_trace, HTTP_READ, one, N(one), NULL, false},
    {"GET", P "/spans/{id}", opik_get_span, HTTP_READ, one, N(one), NULL, false},
    {"GET", P "/traces", opik_list_traces, HTTP_READ, span_list, OL_TRACE_ID, NULL, false},
    {"GET", P "/spans", opik_list_spans, HTTP_READ, span_list, N(span_list), NULL, false},
    /* The media ingest moved out of spans (docs/media.md), as Opik's attachments. */
    {"GET", P "/attachment/list", opik_attachment_list, HTTP_READ, attachments, N(attachments),
     NULL, false},
    {"GET", P "/attachment/download", opik_attachment_download, HTTP_READ, download, N(download),
     NULL, false},
    {"POST", P "/projects/retrieve", opik_project_retrieve, HTTP_READ, NULL, 0, NULL, false},
    {"GET", P "/projects", opik_list_projects, HTTP_READ, projects, N(projects), NULL, false},
};

const struct http_surface opik_surface = {
    .dialect = &opik_dialect,
    .routes = routes,
    .nroutes = N(routes),
    .open = api_open,
    .start = api_start,
};
