/* traces: GET .../traces (List Traces seed page) and GET .../traces/{id} (reference §7.2). */
#include "cgi-bin/qcommon.h"

#include <string.h>

static const char *const trace_sorts[] = {"-started_at", "started_at", NULL};

static enum status run_list(struct query *q, struct http_pval *vals, struct buf *out)
{
	(void)vals;
	return query_traces(q, out);
}

static enum status get_trace(struct http_req *req)
{
	static const char *const modes[] = {"detailed", "summary", NULL};
	static const struct http_pspec specs[] = {{"mode", PT_ENUM, false, 0, 0, modes, "detailed"}};
	struct http_pval vals[1];
	struct store st;
	struct query q;
	struct buf out;
	enum status s = http_params(req, specs, 1, NULL, vals);
	if (s != ST_OK)
		return s;
	qc_query(req, &q, &st);
	q.summary = strcmp(vals[0].s, "summary") == 0;
	buf_init(&out);
	s = qc_reply(req, &q, query_trace_get(&q, req->segs[QC_RESOURCE + 1], &out), &out);
	buf_free(&out);
	return s;
}

static enum status handler(struct http_req *req)
{
	bool list = qc_route(req, "traces", QC_RESOURCE + 1);
	bool one = qc_route(req, "traces", QC_RESOURCE + 2);
	if (!list && !one)
		return ST_NOT_FOUND;
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
		return ST_METHOD;
	if (one)
		return get_trace(req);
	return qc_list(req, FILTER_TRACES, trace_sorts, NULL, 0, run_list);
}

int main(void)
{
	return http_main(handler);
}
