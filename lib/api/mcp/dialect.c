/* dialect: how this server refuses a request before it is a message (a key, a method, a size,
 * a media type, a busy worker): as the Streamable HTTP transport says, an HTTP error whose body
 * is a JSON-RPC error response without an id; and where its key and workspace come from. The
 * workspace is each call's: each tool takes one as an argument, else the connection's header,
 * checked against the key at the call (server.c), not by lib/http before it. */
#include "lib/api/mcp/surface.h"

#include "lib/api/mcp/rpc.h"

/* The HTTP status rides in the error's data, so that a client that shows only the JSON-RPC
 * error still sees it. A 422 of lib/http's (none of this surface's routes has parameters) is
 * the protocol's "Invalid params". */
static void error_body(struct buf *out, int code, const char *msg)
{
	json_t *data = json_pack("{s:i}", "http_status", code);
	mcp_rpc_error(out, NULL, code == 422 ? MCP_INVALID_PARAMS : MCP_REFUSED, msg, data);
	json_decref(data);
}

static void invalid_body(struct buf *out, json_t *items)
{
	json_t *data = json_pack("{s:i,s:O}", "http_status", 422, "errors", items);
	mcp_rpc_error(out, NULL, MCP_INVALID_PARAMS, "Invalid params", data);
	json_decref(data);
}

const struct http_dialect mcp_dialect = {
    .error = error_body,
    .invalid = invalid_body,
    /* Each call's workspace is its argument, else this header's (server.c): the connection's,
     * which the sharding front places it by (docs/scaling.md). */
    .ws_header = "X-Workspace",
    .ws_by_handler = true,
    .key = &http_key_bearer,
};
