/* spans_query: GET .../spans (List Spans, reference §7.1) and GET .../spans/groups (List Span
 * Groups seed page, §7.5), for the spans program. */
#include "cgi-bin/qcommon.h"

#include <string.h>
#include "lib/base/buf.h"

static const char *const span_sorts[] = {"-started_at", "started_at", NULL};
static const char *const group_sorts[] = {"-span_count", "span_count", NULL};

static enum status run_spans(struct query *q, struct http_pval *extra, struct buf *out)
{
	(void)extra;
	return query_spans(q, out);
}

static enum status run_groups(struct query *q, struct http_pval *extra, struct buf *out)
{
	enum query_group_by by[2];
	size_t nby;
	/* extra[0] is `by`; a missing one gets the §7.5 400, not a 422. */
	enum status s = query_group_by_parse(extra[0].s, by, &nby, q->err, sizeof q->err);
	if (s != ST_OK)
		return s;
	return query_groups(q, by, nby, out);
}

enum status spans_list(struct http_req *req)
{
	return qc_list(req, FILTER_SPANS, span_sorts, true, NULL, 0, run_spans);
}

enum status spans_groups(struct http_req *req)
{
	static const struct http_pspec by = {"by", PT_STRING, false, 0, 0, NULL, NULL};
	return qc_list(req, FILTER_SPANS, group_sorts, false, &by, 1, run_groups);
}
