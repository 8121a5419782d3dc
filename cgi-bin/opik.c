/* opik: the Opik REST API program of lib/api/opik/routes.c (opik_surface). */
#include "lib/api/opik/surface.h"

int main(void)
{
	return http_main(&opik_surface);
}
