/* read: what the read endpoints of this surface share: a trace's row as its root span, and the
 * members of a trace that a score shows beside it (GetScoresResponseTraceData). */
#ifndef SPANDEX_API_LANGFUSE_READ_H
#define SPANDEX_API_LANGFUSE_READ_H

#include "lib/api/langfuse/map.h"
#include "lib/api/langfuse/surface.h"

/* The trace id of the request's workspace: its root span parsed into *s (strings in *root,
 * the request's arena) and what query_trace_find found (t, may be NULL). ST_NOT_FOUND when
 * there is none; another failure is recorded in req. */
enum status langfuse_trace_root(struct http_req *req, const char *id, struct query_trace *t,
				struct span *s, json_t **root);
/* A trace's members a score shows: {"userId","tags","environment","sessionId"} of the trace
 * id (each absent member null), remembered per request in cache (langfuse_trace_cache_new). */
struct langfuse_trace_cache;
struct langfuse_trace_cache *langfuse_trace_cache_new(struct http_req *req);
/* The members of trace id (NULL when it is not stored): user, session, environment, tags. */
struct langfuse_trace_ctx {
	bool found;
	const char *user, *session, *env, *name, *release, *version;
	json_t *tags; /* a list of strings (never NULL) */
};
const struct langfuse_trace_ctx *langfuse_trace_ctx(struct langfuse_trace_cache *c, const char *id);
/* Every live span of trace id, its line (in the request's arena) and start, into *rows, in
 * the order they started; a failure is recorded in req. */
enum status langfuse_trace_spans(struct http_req *req, const char *id, struct query_row **rows,
				 size_t *n);
/* The session a trace's row shows: t's session (a JSON literal) or the row's own, unless it is
 * its trace's default (then NULL). */
const char *langfuse_trace_session(struct arena *a, const struct span *s, const char *session);

#endif
