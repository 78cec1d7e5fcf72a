/* Runs every blkvfs suite (guest/db: the SQLite VFS over the data disk);
 * exit status is the number of failures. SQLite's memsys5 heap is set up
 * here, before check forks a process per test. */
#include <stdlib.h>

#include "suites.h"
#include "testdev.h"

int main(void)
{
	test_sqlite_init();
	SRunner *sr = srunner_create(basic_suite());
	int failed;

	srunner_add_suite(sr, hostile_suite());
	srunner_add_suite(sr, crash_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
