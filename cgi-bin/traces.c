/* traces: GET .../traces (List Traces seed page) and GET .../traces/{id} (reference §7.2). */
#include "cgi-bin/common.h"
#include "cgi-bin/qcommon.h"

#include <string.h>
#include "lib/base/buf.h"

static const char *const trace_sorts[] = {"-started_at", "started_at", NULL};

static enum status run_list(struct query *q, struct http_pval *extra, struct buf *out)
{
	(void)extra;
	return query_traces(q, out);
}

static enum status get_trace(struct http_req *req)
{
	static const char *const modes[] = {"detailed", "summary", NULL};
	static const struct http_pspec specs[] = {
	    {"mode", PT_ENUM, false, 0, 0, modes, "detailed"}};
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
	const char *ws;
	enum status rc = http_allow(req, "GET");
	if (rc != ST_OK)
		return rc;
	int i = cgi_intake_route(req, &ws);
	if (i < 0)
		return ST_OK;
	if (cgi_route_is(req, i, "traces", NULL))
		return qc_list(req, FILTER_TRACES, trace_sorts, true, NULL, 0, run_list);
	if ((size_t)i + 2 == req->nsegs && !strcmp(req->segs[i], "traces"))
		return get_trace(req);
	return ST_NOT_FOUND;
}

int main(void)
{
	return http_main(handler);
}
