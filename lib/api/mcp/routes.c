/* routes: the one path of the MCP program. Only POST: a GET, which asks for an SSE stream this
 * server does not offer, and a DELETE, which ends a session it never started, get the 405 with
 * Allow that the transport allows for both (lib/http writes it). */
#include "lib/api/mcp/surface.h"

static const struct http_route routes[] = {
    {.method = "POST", .pattern = "/mcp", .fn = mcp_post, .access = HTTP_READ},
};

const struct http_surface mcp_surface = {
    .dialect = &mcp_dialect,
    .routes = routes,
    .nroutes = sizeof routes / sizeof *routes,
    .open = api_open,
    .start = api_start,
    .idle = api_idle,
};
