/* query: a request's queries and writes, set up alike for every surface (api.h). Five copies
 * of this (one per surface, issue 53) differed only in the order and page each then set. */
#include "lib/api/common/api.h"

#include <string.h>

void api_query_init(struct http_req *req, struct query *q)
{
	memset(q, 0, sizeof *q);
	q->st = &req->store;
	q->a = req->arena;
	q->ws = req->ws;
	q->sort = "-started_at";
	http_query_limits(req, q);
	http_query_admit(req, q);
}

struct ingest_to api_ingest_to(struct http_req *req)
{
	return (struct ingest_to){
	    .st = &req->store, .ws = req->ws, .a = req->arena, INGEST_SETTINGS(http_env, req)};
}
