/* The blkvfs test suites, one per file, run by db_main.c. */
#ifndef TESTS_DB_SUITES_H
#define TESTS_DB_SUITES_H

#include <check.h>

Suite *basic_suite(void);
Suite *hostile_suite(void);
Suite *crash_suite(void);

#endif
