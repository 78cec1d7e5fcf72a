/* The suite shape nearly every test program here has: one test case with a
 * timeout, an optional checked fixture (run around each test in its fork)
 * and a list of tests. */
#ifndef TESTS_CHECK_SUITE_H
#define TESTS_CHECK_SUITE_H

#include <check.h>
#include <stddef.h>

/* tests ends with NULL; setup and teardown may be NULL; timeout_s 0 keeps
 * check's default (4 s, or CK_DEFAULT_TIMEOUT). */
static inline Suite *one_case_suite(const char *suite, const char *tcase, double timeout_s, SFun setup,
				    SFun teardown, const TTest *const tests[])
{
	Suite *s = suite_create(suite);
	TCase *tc = tcase_create(tcase);

	if (timeout_s > 0)
		tcase_set_timeout(tc, timeout_s);
	if (setup || teardown)
		tcase_add_checked_fixture(tc, setup, teardown);
	for (size_t i = 0; tests[i]; i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs s (CK_VERBOSITY=verbose lists every test); returns how many failed. */
static inline int suite_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed;
}

#endif
