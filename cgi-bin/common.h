/* common: glue shared by the programs in cgi-bin/: the store a request uses and the
 * /apis/intake/v2/workspaces/{workspace}/ route prefix. */
#ifndef SPANDEX_CGI_COMMON_H
#define SPANDEX_CGI_COMMON_H

#include "lib/http/http.h"
#include "lib/store/store.h"

/* The store configured for this request: SPANDEX_DATA (default ./data) and SPANDEX_SYNC
 * (fdatasync unless "0"). */
void cgi_store(struct http_req *req, struct store *st);

/* Matches /apis/intake/v2/workspaces/{workspace}/...: sets *ws (a valid workspace name) and
 * returns the index of the first segment after it. Otherwise replies (404 for another path,
 * 400 for a workspace name outside the naming rules) and returns -1. */
int cgi_intake_route(struct http_req *req, const char **ws);

/* True when the segments from index i on are exactly the given NULL-terminated words. */
bool cgi_route_is(struct http_req *req, int i, ...);

#endif
