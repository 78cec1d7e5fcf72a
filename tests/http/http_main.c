/* Runs every web stack suite; exit status is the number of failures. */
#include <stdlib.h>

#include "suites.h"

int main(void)
{
	SRunner *sr = srunner_create(parse_suite());
	int failed;

	srunner_add_suite(sr, fields_suite());
	srunner_add_suite(sr, site_tar_suite());
	srunner_add_suite(sr, site_conf_suite());
	srunner_add_suite(sr, conn_suite());
	srunner_add_suite(sr, chunked_suite());
	srunner_add_suite(sr, app_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
