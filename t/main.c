/* main: the one main of the Check suites. Each t/check_<name>.c defines check_suite() and
 * is linked with this file into its own program, so make check runs the suites side by
 * side and names the one that fails. */
#include <check.h>
#include <stdlib.h>

Suite *check_suite(void);

int main(void)
{
	SRunner *sr = srunner_create(check_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
