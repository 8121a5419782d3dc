/* sessions: GET .../sessions/{id}, the Session aggregate of reference §7.3. */
#include "cgi-bin/common.h"
#include "cgi-bin/qcommon.h"

#include <string.h>
#include "lib/base/buf.h"

static enum status handler(struct http_req *req)
{
	struct store st;
	struct query q;
	struct buf out;
	const char *ws;
	enum status s = http_allow(req, "GET");
	if (s != ST_OK)
		return s;
	int i = cgi_intake_route(req, &ws);
	if (i < 0)
		return ST_OK;
	if ((size_t)i + 2 != req->nsegs || strcmp(req->segs[i], "sessions"))
		return ST_NOT_FOUND;
	s = http_params(req, NULL, 0, NULL, NULL);
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
