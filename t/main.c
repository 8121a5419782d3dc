/* main: the one main of the Check suites. Each t/check_<name>.c defines check_suite() and
 * is linked with this file into its own program, so make check runs the suites side by
 * side and names the one that fails. */
#include <check.h>
#include <stdlib.h>

#include "t/check_timeout.h"

#define STR(x) STR_(x)
#define STR_(x) #x

Suite *check_suite(void);

int main(void)
{
	/* Check's own default (4 s a test) is a speed check on a loaded machine: a test of 1.4 s
	 * of CPU failed 12 of 13 runs at a load of 8-25 on two cores (issue 54). Every test case
	 * gets CHECK_TIMEOUT_S instead, set before check_suite() makes them (tcase_create reads
	 * CK_DEFAULT_TIMEOUT); a value in the environment still wins. */
	setenv("CK_DEFAULT_TIMEOUT", STR(CHECK_TIMEOUT_S), 0);
	SRunner *sr = srunner_create(check_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
