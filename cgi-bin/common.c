/* common: store configuration and the intake route prefix for every program. */
#include "cgi-bin/common.h"

#include <stdarg.h>
#include <string.h>
#include "lib/model/workspace.h"

void cgi_store(struct http_req *req, struct store *st)
{
	const char *root = http_env(req, "SPANDEX_DATA");
	const char *sync = http_env(req, "SPANDEX_SYNC");
	store_init(st, root && *root ? root : "./data", !(sync && !strcmp(sync, "0")));
}

int cgi_intake_route(struct http_req *req, const char **ws)
{
	static const char *const prefix[] = {"apis", "intake", "v2", "workspaces"};
	if (req->nsegs < 5) {
		http_error(req, ST_NOT_FOUND, "Not Found");
		return -1;
	}
	for (int i = 0; i < 4; i++) {
		if (strcmp(req->segs[i], prefix[i])) {
			http_error(req, ST_NOT_FOUND, "Not Found");
			return -1;
		}
	}
	/* Reference section 10: the name is checked before it is ever used in a path. */
	if (!workspace_valid(req->segs[4])) {
		http_errorf(req, ST_BAD_REQUEST,
			    "Invalid workspace name '%.100s': 2-63 characters, starting with a "
			    "lowercase letter, then lowercase letters, digits, '-', '@', '.', '+' "
			    "or '_', without '--' or a trailing '-'",
			    req->segs[4]);
		return -1;
	}
	*ws = req->segs[4];
	return 5;
}

bool cgi_route_is(struct http_req *req, int i, ...)
{
	va_list ap;
	va_start(ap, i);
	const char *w;
	size_t k = (size_t)i;
	bool ok = true;
	while ((w = va_arg(ap, const char *))) {
		if (k >= req->nsegs || strcmp(req->segs[k], w)) {
			ok = false;
			break;
		}
		k++;
	}
	va_end(ap);
	return ok && k == req->nsegs;
}
