/* sessions: the Intake program of lib/api/intake/routes.c (intake_sessions_surface). */
#include "lib/api/intake/intake.h"

int main(void)
{
	return http_main(&intake_sessions_surface);
}
