/* mcp: the Model Context Protocol server of lib/api/mcp (mcp_surface), at /mcp. */
#include "lib/api/mcp/surface.h"

int main(void)
{
	return http_main(&mcp_surface);
}
