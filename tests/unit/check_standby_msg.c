/* The standby's message (cli/standby_proto.h): what is a `vmm run` handed
 * over, and every way it can be something else. */
#include <check.h>
#include <string.h>

#include "cli/standby_proto.h"
#include "check_suite.h"
#include "cli/standby_msg.h"
#include "unit/suites.h"

static char buf[VMM_STANDBY_MSG_MAX + 2];
static char *argv[VMM_STANDBY_ARGS_MAX + 1];

/* magic, then the n strings of args, each with its NUL; its length */
static size_t msg(const char *const *args, int n)
{
	size_t len = sizeof VMM_STANDBY_MAGIC;

	memcpy(buf, VMM_STANDBY_MAGIC, len);
	for (int i = 0; i < n; i++) {
		memcpy(buf + len, args[i], strlen(args[i]) + 1);
		len += strlen(args[i]) + 1;
	}
	return len;
}

START_TEST(a_run_is_cut_into_its_arguments)
{
	const char *args[] = { "run", "--kernel=fd:4", "", "--name=a b" };
	struct err e;
	int argc;

	ck_assert_int_eq(standby_msg_parse(buf, msg(args, 4), argv, &argc, &e), 0);
	ck_assert_int_eq(argc, 4);
	for (int i = 0; i < 4; i++)
		ck_assert_str_eq(argv[i], args[i]);
	ck_assert_ptr_null(argv[4]);
}
END_TEST

START_TEST(what_is_not_a_run_is_refused)
{
	const char *run[] = { "run", "--mem=16M" }, *image[] = { "image", "create" };
	struct err e;
	size_t len;
	int argc;

	len = msg(run, 2);
	ck_assert_int_lt(standby_msg_parse(buf, len - 1, argv, &argc, &e), 0); /* last argument without its NUL */
	ck_assert_ptr_nonnull(strstr(e.msg, "NUL"));
	ck_assert_int_lt(standby_msg_parse(buf, sizeof VMM_STANDBY_MAGIC, argv, &argc, &e), 0); /* no arguments */
	ck_assert_int_lt(standby_msg_parse(buf, msg(image, 2), argv, &argc, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "not a 'run'"));
	ck_assert_int_lt(standby_msg_parse(buf, 0, argv, &argc, &e), 0);
	len = msg(run, 2);
	buf[3] ^= 1; /* another magic */
	ck_assert_int_lt(standby_msg_parse(buf, len, argv, &argc, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "not a standby message"));
	ck_assert_int_lt(standby_msg_parse(buf, VMM_STANDBY_MSG_MAX + 1, argv, &argc, &e), 0);
	ck_assert_int_eq(argc, 0);
}
END_TEST

START_TEST(arguments_are_bounded)
{
	static const char *args[VMM_STANDBY_ARGS_MAX + 1];
	struct err e;
	int argc;

	args[0] = "run";
	for (int i = 1; i <= VMM_STANDBY_ARGS_MAX; i++)
		args[i] = "-x";
	ck_assert_int_eq(standby_msg_parse(buf, msg(args, VMM_STANDBY_ARGS_MAX), argv, &argc, &e), 0);
	ck_assert_int_eq(argc, VMM_STANDBY_ARGS_MAX);
	ck_assert_int_lt(standby_msg_parse(buf, msg(args, VMM_STANDBY_ARGS_MAX + 1), argv, &argc, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "more than"));
}
END_TEST

Suite *standby_msg_suite(void)
{
	const TTest *const tests[] = {
		a_run_is_cut_into_its_arguments, what_is_not_a_run_is_refused, arguments_are_bounded, NULL,
	};

	return one_case_suite("standby_msg", "parse", 0, NULL, NULL, tests);
}
