/* Runs every unit suite. Each check_*.c file provides one suite constructor. */
#include <check.h>
#include <stdlib.h>

#include "unit/suites.h"

int main(void)
{
	SRunner *sr = srunner_create(size_suite());
	int failed;

	srunner_add_suite(sr, elf_pvh_suite());
	srunner_add_suite(sr, boot_tables_suite());
	srunner_add_suite(sr, uart_suite());
	srunner_add_suite(sr, devices_suite());
	srunner_add_suite(sr, options_suite());
	srunner_add_suite(sr, virtq_suite());
	srunner_add_suite(sr, kvm_stats_suite());
	srunner_add_suite(sr, virtio_devices_suite());
	srunner_add_suite(sr, publish_suite());
	srunner_add_suite(sr, console_log_suite());
	srunner_add_suite(sr, seccomp_suite());
	srunner_add_suite(sr, image_suite());
	srunner_add_suite(sr, mmio_batch_suite());
	srunner_add_suite(sr, jail_netns_suite());
	srunner_add_suite(sr, kernel_cache_suite());
	srunner_add_suite(sr, standby_msg_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
