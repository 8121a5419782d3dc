/* spans: the Intake program of lib/api/intake/routes.c (intake_spans_surface). */
#include "lib/api/intake/intake.h"

int main(int argc, char **argv)
{
	return http_main(&intake_spans_surface, argc, argv);
}
