/* fuzz mcp_body: the MCP server's messages (lib/api/mcp: the JSON-RPC layer of rpc.c, the
 * methods of server.c, each tool's argument check of tools.c and the tools themselves), one
 * POST /mcp a request, in any order on one store; a score or a comment written by one is read
 * by the next (its target must exist, so most are refused, as an agent's typo is). */
#include "t/fuzz/handler.h"
#include "lib/api/mcp/surface.h"

static const struct fuzz_op ops[] = {
    {"POST", "/mcp"},
};

static const char *const ids[] = {"x"};

FUZZ_HANDLER_MAIN(mcp_surface, ops, ids)
