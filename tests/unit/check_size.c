#include <check.h>
#include <stdint.h>

#include "check_suite.h"
#include "unit/suites.h"
#include "util/size.h"

START_TEST(sizes_with_suffixes)
{
	uint64_t v;

	ck_assert_int_eq(parse_size("4096", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(parse_size("64M", &v), 0);
	ck_assert_uint_eq(v, 64ull << 20);
	ck_assert_int_eq(parse_size("512k", &v), 0);
	ck_assert_uint_eq(v, 512ull << 10);
	ck_assert_int_eq(parse_size("1G", &v), 0);
	ck_assert_uint_eq(v, 1ull << 30);
	ck_assert_int_eq(parse_size("2GiB", &v), 0);
	ck_assert_uint_eq(v, 2ull << 30);
	ck_assert_int_eq(parse_size("128MB", &v), 0);
	ck_assert_uint_eq(v, 128ull << 20);
	ck_assert_int_eq(parse_size("0", &v), 0);
	ck_assert_uint_eq(v, 0);
}
END_TEST

START_TEST(malformed_sizes)
{
	uint64_t v;
	const char *bad[] = { "", "M", "12Q", "-1", " 1", "1 M", "1.5G", "64MiBx", "0x10",
			      "18446744073709551616", "17179869184G", NULL };

	for (int i = 0; bad[i]; i++)
		ck_assert_msg(parse_size(bad[i], &v) < 0, "'%s' accepted", bad[i]);
	ck_assert_int_lt(parse_size(NULL, &v), 0);
}
END_TEST

START_TEST(bounded_uints)
{
	uint64_t v;

	ck_assert_int_eq(parse_uint("4", 1, 254, &v), 0);
	ck_assert_uint_eq(v, 4);
	ck_assert_int_lt(parse_uint("0", 1, 254, &v), 0);
	ck_assert_int_lt(parse_uint("255", 1, 254, &v), 0);
	ck_assert_int_lt(parse_uint("4x", 1, 254, &v), 0);
	ck_assert_int_lt(parse_uint("", 1, 254, &v), 0);
}
END_TEST

Suite *size_suite(void)
{
	const TTest *const tests[] = {
		sizes_with_suffixes, malformed_sizes, bounded_uints, NULL,
	};

	return one_case_suite("size", "parse", 0, NULL, NULL, tests);
}
