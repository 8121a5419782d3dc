/* qcommon: glue shared by the read programs (spans, traces, sessions): the list parameter
 * table, the filter from the query string, and the reply of a query result. Memory comes
 * from the request's arena; nothing here outlives the request. */
#ifndef SPANDEX_QCOMMON_H
#define SPANDEX_QCOMMON_H

#include "lib/http/http.h"
#include "lib/query/query.h"

/* Path /apis/intake/v2/workspaces/{ws}/<resource>...: segs[QC_WS] is the workspace. */
#define QC_WS 4
#define QC_RESOURCE 5

/* Index of each common list parameter in the table qc_list_specs builds. mode is last: the
 * endpoints without one (spans/groups) use the first QP_MODE entries only. */
enum { QP_PAGE, QP_PAGE_SIZE, QP_SORT, QP_FILTER, QP_MODE, QP__COUNT };

/* Fills specs[QP__COUNT] for a list endpoint whose sort takes sorts (NULL-terminated, the
 * first is the default). */
void qc_list_specs(struct http_pspec *specs, const char *const *sorts);

/* Sets up q (the store of cgi_store) for the workspace of the path, which cgi_intake_route
 * has checked; st must outlive q. */
void qc_query(struct http_req *req, struct query *q, struct store *st);

/* Parses the filter of req for kind. On error replies 400 and returns that status. */
enum status qc_filter(struct http_req *req, enum filter_kind kind, const char *raw,
		      struct filter *f);

/* Replies 200 with body, or the error of s with q->err (or the status's message). */
enum status qc_reply(struct http_req *req, const struct query *q, enum status s,
		     const struct buf *body);

/* The list endpoints (GET spans, spans/groups, traces) share everything but the call: parse
 * the common table (without `mode` unless mode is true; extra, nextra more specs after it),
 * the filter, and reply. run gets q ready and the values of the extra specs. */
typedef enum status (*qc_run)(struct query *q, struct http_pval *extra, struct buf *out);
enum status qc_list(struct http_req *req, enum filter_kind kind, const char *const *sorts,
		    bool mode, const struct http_pspec *extra, size_t nextra, qc_run run);

/* GET .../spans and GET .../spans/groups (cgi-bin/spans_query.c), routed by cgi-bin/spans. */
enum status spans_list(struct http_req *req);
enum status spans_groups(struct http_req *req);

#endif
