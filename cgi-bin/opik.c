/* opik: the Opik REST API program of lib/api/opik/routes.c (opik_surface). */
#include "lib/api/opik/surface.h"

int main(int argc, char **argv)
{
	return http_main(&opik_surface, argc, argv);
}
