/* egp: the Scale GP v5 spans program of lib/api/egp/routes.c (egp_surface). */
#include "lib/api/egp/surface.h"

int main(int argc, char **argv)
{
	return http_main(&egp_surface, argc, argv);
}
