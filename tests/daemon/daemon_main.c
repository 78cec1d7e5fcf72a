/* vmmd tests that need no KVM: domains run on a stand-in vmm. */
#include <check.h>
#include <stdlib.h>

#include "suites.h"

int main(void)
{
	SRunner *sr = srunner_create(xml_suite());
	int failed;

	srunner_add_suite(sr, proto_suite());
	srunner_add_suite(sr, api_suite());
	srunner_add_suite(sr, virsh_suite());
	srunner_add_suite(sr, cgroup_suite());
	srunner_add_suite(sr, limits_suite());
	srunner_add_suite(sr, store_suite());
	srunner_add_suite(sr, faults_suite());
	srunner_add_suite(sr, kernel_share_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
