/* surface: a Model Context Protocol server over the store (docs/mcp.md), so that a coding or
 * support agent reads its traces, spans, sessions and figures, and scores and comments on them,
 * through the tools of tool.h. One path, /mcp, speaking the protocol's Streamable HTTP
 * transport (specification 2025-11-25): one JSON-RPC message a POST, answered with one
 * application/json reply (no SSE stream: GET is a 405) or a 202, and no session the server
 * keeps. The key is the HTTP APIs' (Authorization: Bearer, the same roles); the workspace is a
 * tool's argument, checked against the key at each call. */
#ifndef SPANDEX_API_MCP_SURFACE_H
#define SPANDEX_API_MCP_SURFACE_H

#include "lib/api/common/api.h"
#include "lib/http/http.h"
#include "lib/model/judgement.h"

extern const struct http_surface mcp_surface;
extern const struct http_dialect mcp_dialect;
/* The judgement views an answer names where a score or comment shows (add_score's
 * "shown_by"), NULL-terminated, in that order: the other surfaces' own (struct
 * judgement_view), which the program hands this one (cgi-bin/mcp.c), as a surface uses no
 * sibling; NULL: none named. */
extern const struct judgement_view *const *mcp_views;

/* Limits (docs/mcp.md, "Limits"). */
/* One message of a client: a tool call of a few short arguments, a comment of at most
 * JUDGEMENT_MAX_TEXT bytes (64 KiB) at the most. A larger body is refused with a JSON-RPC
 * error before it is parsed, so that nothing near SPANDEX_MAX_BODY (8 MiB) is read as JSON. */
#define MCP_MAX_REQUEST (256u << 10)

/* POST /mcp: one JSON-RPC message (rpc.h), answered. */
enum status mcp_post(struct http_req *req);

#endif
