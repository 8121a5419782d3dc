/* surface: the Opik REST API surface (reference opik.md), enough for the `opik` npm SDK: traces
 * and spans written in batches and patched, read by id, listed, searched as a stream, scored
 * and commented (judgements, judged.h), grouped into threads (thread.h), with the workspace's
 * retention rules (retention.c). Every route answers under /v1/private and /api/v1/private;
 * the workspace is Comet-Workspace
 * ("default" when absent), the key the raw authorization header. */
#ifndef SPANDEX_API_OPIK_SURFACE_H
#define SPANDEX_API_OPIK_SURFACE_H

#include "lib/api/common/api.h"
#include "lib/api/opik/map.h"
#include "lib/http/http.h"
#include "lib/ingest/ingest.h"
#include "lib/query/query.h"

extern const struct http_surface opik_surface;
extern const struct http_dialect opik_dialect;

/* Limits (opik.md §2, §6). */
/* A page's size: Opik sets no maximum (@Min(1) alone); this one keeps (page - 1) * size in 64
 * bits, and the query's memory budget bounds what a page holds. */
#define OPIK_MAX_PAGE_SIZE 1000000
#define OPIK_MAX_BATCH 1000	   /* traces, spans, scores, ids or comment ids of one batch */
#define OPIK_SEARCH_LIMIT 500	   /* search's default limit ... */
#define OPIK_MAX_SEARCH_LIMIT 2000 /* ... and its most */
/* The conditions of one `filters` (every endpoint that takes them, threads' too): Opik sets no
 * most, but each is tested on every candidate's line, and 10,000 of them on a project of a few
 * hundred spans once held a worker for the whole query budget (issue 55). The NeMo filter's
 * most (lib/query/cond.h). */
#define OPIK_MAX_FILTERS FILTER_MAX_CONDS
/* Field names of one `exclude`: a span has 25 fields to leave out; each is looked for in the
 * list for every row rendered. */
#define OPIK_MAX_EXCLUDE 64

/* Handlers: write.c and read.c. */
/* The writes serve traces and spans alike, the entity taken from the route's pattern. */
enum status opik_batch(struct http_req *req);
enum status opik_create(struct http_req *req);
enum status opik_patch(struct http_req *req);
enum status opik_patch_batch(struct http_req *req);
/* Whether the route is of spans or of traces (its pattern). */
enum opik_entity opik_entity_of(const struct http_req *req);
/* The ids of a batch (1 to OPIK_MAX_BATCH strings spandex takes as ids: BatchDelete's, a batch
 * PATCH's), into *out in the request's arena; problems to v. */
void opik_batch_ids(struct http_req *req, json_t *ids, const char ***out, struct verrs *v);
/* A member k of o that may be a string: absent or null (*out NULL, true), a string (*out it,
 * true), else false; and whether a string is NULL or only white space (request.c). */
bool opik_opt_str(json_t *o, const char *k, const char **out);
bool opik_blank(const char *s);
/* A request's project, as Opik takes one: a blank name or id is none (ValidationUtils), and an
 * id wins over a name given beside it (the services read the id first). */
void opik_project_pick(const char **name, const char **id);
/* A search stream's cursor, member k of body: NULL when absent or "" (Jackson reads "" as a
 * null UUID, so the stream starts from the newest). */
const char *opik_cursor(json_t *body, const char *k);
/* A search stream's limit, member "limit" of body: OPIK_SEARCH_LIMIT when absent or null, else
 * what Jackson reads as an Integer (a number, its fraction cut, or an integer's text; anything
 * else, or past Java's int, Dropwizard's 400 "Unable to process JSON"), 1 to
 * OPIK_MAX_SEARCH_LIMIT, outside them a 422 as Opik's @Min/@Max of the body give it
 * (opik.md §1; ST_INVALID, the reply written). */
enum status opik_search_limit(struct http_req *req, json_t *body, long long *limit);
/* A number's text as Opik's BigDecimal reads it: decimal digits, sign, point and exponent
 * only (no space, hex, inf or nan); and finite as a double, which spandex compares (1e400,
 * which BigDecimal reads, is refused); into *out. */
bool opik_number(const char *s, double *out);
/* Checks of a body (request.c), each a 422 item into v: member k a string that is not blank
 * (*out); member k an array of min to OPIK_MAX_BATCH strings (not blank unless blank_ok). */
void opik_need_str(struct verrs *v, json_t *body, const char *k, const char **out);
void opik_need_strs(struct verrs *v, json_t *body, const char *k, size_t min, bool blank_ok);
/* The request's JSON body (a JSON content type, else 415), in the request's arena. */
enum status opik_json_body(struct http_req *req, json_t **body);
/* A batch's body {"<list>": [item, ...]}, a JSON content type else 415, in the request's
 * arena. A body of 1 to OPIK_MAX_BATCH items is read into *read (*n of them, struct
 * opik_item: their objects not built, input and output as their text when they came as
 * jsonw_value writes them; *items NULL); any other is parsed whole as opik_json_body parses it
 * (malformed JSON its 400), its member list into *items (NULL when absent; *read NULL). */
enum status opik_batch_body(struct http_req *req, const char *list, json_t **items,
			    struct opik_item **read, size_t *n);
/* The same, and v initialised, holding a 422 item when the body is no object. */
enum status opik_json_object(struct http_req *req, json_t **body, struct verrs *v);
/* Attachments (attachment.c): the media files a span or trace references. */
enum status opik_attachment_list(struct http_req *req);
enum status opik_attachment_download(struct http_req *req);
/* Their upload (upload.c): Opik's upload-start, the PUT of a file, upload-complete, delete. The
 * row of an entity keeps its uploaded attachments as OPIK_RAW_ATTACHMENTS. */
#define OPIK_RAW_ATTACHMENTS "opik.attachments"
/* What an upload-start answers, as Opik's backend on local storage does: its SDKs then PUT the
 * whole file to the one URL, with their key. */
#define OPIK_UPLOAD_ID "BEMinIO"
enum status opik_upload_start(struct http_req *req);
enum status opik_upload(struct http_req *req);
enum status opik_upload_complete(struct http_req *req);
enum status opik_attachments_delete(struct http_req *req);
/* write.c, for the uploads: a row for id written before its create, which the create completes
 * (its OPIK_RAW_PENDING the PATCH fields it waits to apply); the row a write of trace id goes
 * to (its own, else the root of the trace another API wrote, else id). */
#define OPIK_RAW_PENDING "opik.pending"
void opik_partial_row(struct arena *a, const char *ws, enum opik_entity ent, const char *id,
		      const char *trace, struct span *out);
const char *opik_trace_target(struct http_req *req, const char *id);
/* Feedback scores (scores.c; names: stats.c) and comments (comments.c), as judgements. */
enum status opik_scores(struct http_req *req);
enum status opik_score(struct http_req *req);
enum status opik_score_delete(struct http_req *req);
enum status opik_score_names(struct http_req *req);
enum status opik_comment_create(struct http_req *req);
enum status opik_comment_get(struct http_req *req);
enum status opik_comment_update(struct http_req *req);
enum status opik_comments_delete(struct http_req *req);
enum status opik_get_trace(struct http_req *req);
enum status opik_get_span(struct http_req *req);
enum status opik_list_traces(struct http_req *req);
enum status opik_list_spans(struct http_req *req);
enum status opik_search_traces(struct http_req *req);
enum status opik_search_spans(struct http_req *req);
enum status opik_project_retrieve(struct http_req *req);
enum status opik_trace_delete(struct http_req *req);
enum status opik_list_projects(struct http_req *req);
enum status opik_span_stats(struct http_req *req);
/* The q-quantile of the sorted v[0..n) (0 for none), interpolated between the nearest ranks:
 * the duration percentiles of the stats (stats.c). */
double opik_quantile(const double *v, size_t n, double q);
enum status opik_trace_stats(struct http_req *req);
/* The query of a list (GET spans or traces) with these conditions, in the request's arena;
 * 400 in the dialect on a bad one (read.c). */
enum status opik_list_query(struct http_req *req, enum opik_entity ent, const char *project,
			    const char *project_id, const char *trace_id, const char *type,
			    const char *filters_text, const char *search, const char *from,
			    const char *to, struct query **q);
enum status opik_traces_delete(struct http_req *req);
/* Deletes every span of the n traces (the trace rows too): a deleting version of each
 * (span_tombstone), in batches of OPIK_MAX_BATCH, and their judgements (write.c); no reply. */
enum status opik_traces_gone(struct http_req *req, const char *const *traces, size_t n);
/* sorting=[{"field","direction"}] (§7.4): the first element's field (NULL: none) and whether
 * it asks ASC: "ASC" or "DESC" (either case), and without a direction asc_default (Opik's
 * SortingQueryBuilder takes none as ASC); malformed JSON is a 400 in the dialect (read.c). */
enum status opik_sorting_first(struct http_req *req, const char *text, const char **field,
			       bool asc_default, bool *asc);
/* from_time and to_time (either NULL: none) as conditions on the start time, appended to
 * c[*n..] (two at most); 400 in the dialect when one is not an ISO 8601 date-time, or when
 * from_time is not before to_time, as Opik refuses it (read.c). */
enum status opik_time_window(struct http_req *req, const char *from, const char *to,
			     struct filter_cond *c, size_t *n);

/* Threads (thread.h: threads.c, thread_write.c, thread_delete.c, thread_marks.c), reference
 * judgement.md 2.4: a thread is a session within a project. */
enum status opik_list_threads(struct http_req *req);
enum status opik_thread_retrieve(struct http_req *req);
enum status opik_search_threads(struct http_req *req);
enum status opik_thread_stats(struct http_req *req);
enum status opik_thread_score_names(struct http_req *req);
enum status opik_thread_open(struct http_req *req);
enum status opik_thread_close(struct http_req *req);
enum status opik_thread_update(struct http_req *req);
enum status opik_thread_patch_batch(struct http_req *req);
enum status opik_threads_delete(struct http_req *req);
enum status opik_thread_scores(struct http_req *req);
enum status opik_thread_scores_delete(struct http_req *req);
enum status opik_thread_comment_create(struct http_req *req);
enum status opik_thread_comment_get(struct http_req *req);
/* Retention rules (retention.c), reference judgement.md 2.5: kept per workspace in the store
 * (ops.h, store_rules_*) and honoured by `spandex retain`. */
enum status opik_retention_rules(struct http_req *req);
enum status opik_retention_rule(struct http_req *req);
enum status opik_retention_rule_create(struct http_req *req);
enum status opik_retention_rule_delete(struct http_req *req);

/* filter_parse.c, filter.c: the `filters` of a list or search (a JSON array, or its text as a
 * query parameter), as a predicate for lib/query. 400 in the dialect on a bad filter. */
struct opik_filter;
enum status opik_filter_parse(struct http_req *req, enum opik_entity ent, json_t *filters,
			      const char *raw_text, struct opik_filter **out);
/* Only the spans of project (NULL: any) and of span type (NULL: any). */
void opik_filter_scope(struct opik_filter *f, const char *project, const char *type);
/* Only the spans of the project whose id opik_project_id gives. */
void opik_filter_project_id(struct opik_filter *f, const char *id);
/* The kinds the filter's types allow, for the index to narrow by (a superset; 0: any). */
uint32_t opik_filter_kinds(const struct opik_filter *f);
/* Trace rows too (a list of spans leaves them out). */
void opik_filter_all(struct opik_filter *f);
/* Whether f tests nothing but a project name on the line, which the index condition on the
 * project (the default one: also every span naming none) says as well: no conditions, type,
 * project id, and trace rows taken. */
bool opik_filter_project_only(const struct opik_filter *f);
void opik_filter_pred(struct opik_filter *f, struct query_pred *p);
/* The texts a span's name, input or output must hold for f to match (its =, contains,
 * starts_with and ends_with on them, case-blind), as lib/query's free-text terms match them in
 * the stored line: each value of 3 bytes or more that the line holds as written (printable
 * ASCII but '"' and '\\'), at most max of at most max_len bytes, into terms; how many. A
 * necessary condition the text index narrows by (lib/query's nsearch_hints); f's predicate
 * still decides. */
size_t opik_filter_terms(const struct opik_filter *f, const char **terms, size_t max,
			 size_t max_len);
/* A trace filter on usage or cost: q tests it on each trace's rollup. */
void opik_filter_rollup(struct opik_filter *f, struct query *q);
/* The filter's feedback_scores conditions answered from the judgement index (query_judged):
 * a key set of q for each (name and a value in range, or any value), and the complement for
 * != and is_empty tested on each item's id. A failure is recorded in req. */
enum status opik_filter_judged(struct opik_filter *f, struct http_req *req, struct query *q);

#endif
