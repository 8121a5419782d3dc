/* spans: GET .../spans, .../spans/groups, .../spans/{span_id} (the stored line is the body)
 * and GET /healthz. */
#include "cgi-bin/common.h"
#include "cgi-bin/qcommon.h"

#include <string.h>
#include <unistd.h>
#include "lib/base/buf.h"

static enum status get_span(struct http_req *req, const char *ws, const char *id)
{
	struct store st;
	struct buf out;
	enum status rc = http_params(req, NULL, 0, NULL, NULL);
	if (rc != ST_OK)
		return rc;
	buf_init(&out);
	cgi_store(req, &st);
	rc = store_get(&st, ws, id, &out);
	if (rc == ST_OK)
		http_reply_json(req, 200, out.p, out.len);
	else if (rc == ST_NOT_FOUND)
		http_errorf(req, rc, "Span %.200s/%.1100s not found", ws, id);
	buf_free(&out);
	return rc == ST_NOT_FOUND ? ST_OK : rc;
}

/* For operators and load balancers: the data directory must be usable. */
static enum status healthz(struct http_req *req)
{
	struct store st;
	cgi_store(req, &st);
	if (access(st.root, R_OK | W_OK | X_OK) < 0) {
		http_errorf(req, ST_UNAVAILABLE, "data directory %s is not usable", st.root);
		return ST_OK;
	}
	static const char ok[] = "{\"status\":\"ok\"}";
	http_reply_json(req, 200, ok, sizeof(ok) - 1);
	return ST_OK;
}

static enum status handle(struct http_req *req)
{
	const char *ws;
	enum status rc = http_allow(req, "GET");
	if (rc != ST_OK)
		return rc;
	if (req->nsegs == 1 && !strcmp(req->segs[0], "healthz"))
		return healthz(req);
	int i = cgi_intake_route(req, &ws);
	if (i < 0)
		return ST_OK;
	if (cgi_route_is(req, i, "spans", NULL))
		return spans_list(req);
	if (cgi_route_is(req, i, "spans", "groups", NULL))
		return spans_groups(req);
	if ((size_t)i + 2 == req->nsegs && !strcmp(req->segs[i], "spans"))
		return get_span(req, ws, req->segs[i + 1]);
	http_error(req, ST_NOT_FOUND, "Not Found");
	return ST_OK;
}

int main(void)
{
	return http_main(handle);
}
