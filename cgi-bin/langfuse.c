/* langfuse: Langfuse's public API of lib/api/langfuse (langfuse_surface), at /api/public/. */
#include "lib/api/langfuse/surface.h"

int main(int argc, char **argv)
{
	return http_main(&langfuse_surface, argc, argv);
}
