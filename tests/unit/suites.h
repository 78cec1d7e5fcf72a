#ifndef TESTS_UNIT_SUITES_H
#define TESTS_UNIT_SUITES_H

#include <check.h>

Suite *size_suite(void);
Suite *elf_pvh_suite(void);
Suite *boot_tables_suite(void);
Suite *uart_suite(void);
Suite *devices_suite(void);
Suite *options_suite(void);
Suite *virtq_suite(void);
Suite *kvm_stats_suite(void);
Suite *virtio_devices_suite(void);
Suite *publish_suite(void);
Suite *console_log_suite(void);
Suite *seccomp_suite(void);
Suite *image_suite(void);
Suite *mmio_batch_suite(void);
Suite *jail_netns_suite(void);
Suite *kernel_cache_suite(void);
Suite *standby_msg_suite(void);

#endif
