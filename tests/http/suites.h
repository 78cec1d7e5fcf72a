/* The web stack's test suites, one per file, run by http_main.c. */
#ifndef TESTS_HTTP_SUITES_H
#define TESTS_HTTP_SUITES_H

#include <check.h>

Suite *parse_suite(void);
Suite *fields_suite(void);
Suite *site_tar_suite(void);
Suite *site_conf_suite(void);
Suite *conn_suite(void);
Suite *chunked_suite(void);
Suite *app_suite(void);

#endif
