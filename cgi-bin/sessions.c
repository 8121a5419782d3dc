/* sessions: GET .../sessions/{id}, the Session aggregate of reference §7.3. */
#include "cgi-bin/qcommon.h"

#include <string.h>

static enum status handler(struct http_req *req)
{
	struct store st;
	struct query q;
	struct buf out;
	if (!qc_route(req, "sessions", QC_RESOURCE + 2))
		return ST_NOT_FOUND;
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
		return ST_METHOD;
	enum status s = http_params(req, NULL, 0, NULL, NULL);
	if (s != ST_OK)
		return s;
	qc_query(req, &q, &st);
	buf_init(&out);
	s = qc_reply(req, &q, query_session_get(&q, req->segs[QC_RESOURCE + 1], &out), &out);
	buf_free(&out);
	return s;
}

int main(void)
{
	return http_main(handler);
}
