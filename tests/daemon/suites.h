#ifndef TESTS_DAEMON_SUITES_H
#define TESTS_DAEMON_SUITES_H

#include <check.h>

Suite *virsh_suite(void);
Suite *api_suite(void);
Suite *proto_suite(void);
Suite *xml_suite(void);
Suite *cgroup_suite(void);
Suite *limits_suite(void);
Suite *store_suite(void);
Suite *faults_suite(void);
Suite *kernel_share_suite(void);

#endif
