/* spans: GET .../spans, .../spans/groups, .../spans/{span_id} (seed pages) and GET /healthz. */
#include "cgi-bin/qcommon.h"

#include <string.h>

static enum status get_span(struct http_req *req)
{
	struct store st;
	struct query q;
	struct buf out;
	enum status s = http_params(req, NULL, 0, NULL, NULL);
	if (s != ST_OK)
		return s;
	qc_query(req, &q, &st);
	buf_init(&out);
	s = workspace_valid(q.ws) ? store_get(&st, q.ws, req->segs[QC_RESOURCE + 1], &out) : ST_NOT_FOUND;
	if (s == ST_NOT_FOUND)
		http_errorf(req, s, "Span %s/%s not found", q.ws, req->segs[QC_RESOURCE + 1]);
	else if (s == ST_OK)
		http_reply_json(req, 200, out.p, out.len);
	buf_free(&out);
	return s;
}

static enum status handler(struct http_req *req)
{
	if (req->nsegs == 1 && strcmp(req->segs[0], "healthz") == 0) {
		http_reply_json(req, 200, "{\"status\":\"ok\"}", 15);
		return ST_OK;
	}
	bool list = qc_route(req, "spans", QC_RESOURCE + 1);
	bool sub = qc_route(req, "spans", QC_RESOURCE + 2);
	if (!list && !sub)
		return ST_NOT_FOUND;
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
		return ST_METHOD;
	if (list)
		return spans_list(req);
	if (strcmp(req->segs[QC_RESOURCE + 1], "groups") == 0)
		return spans_groups(req);
	return get_span(req);
}

int main(void)
{
	return http_main(handler);
}
