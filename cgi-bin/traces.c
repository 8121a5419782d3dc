/* traces: the Intake program of lib/api/intake/routes.c (intake_traces_surface). */
#include "lib/api/intake/intake.h"

int main(int argc, char **argv)
{
	return http_main(&intake_traces_surface, argc, argv);
}
