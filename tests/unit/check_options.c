/* `vmm run` option parsing: defaults, values and every error. */
#include <check.h>
#include <string.h>

#include "check_suite.h"
#include "cli/run_options.h"
#include "unit/suites.h"

static enum parse_result parse(struct vm_config *c, struct err *e, const char **args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = (char *)"run";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	return run_options_parse(argc, argv, c, e);
}

#define PARSE(c, e, ...) parse(c, e, (const char *[]){ __VA_ARGS__, NULL })

START_TEST(defaults)
{
	struct vm_config c;
	struct err e;

	ck_assert_int_eq(PARSE(&c, &e, "--kernel", "/k/hello.elf"), PARSE_OK);
	ck_assert_str_eq(c.kernel, "/k/hello.elf");
	ck_assert_uint_eq(c.mem, 64ull << 20);
	ck_assert_uint_eq(c.cpus, 1);
	ck_assert_str_eq(c.name, "hello.elf");
	ck_assert_str_eq(c.cmdline, "");
	ck_assert(!c.reset_exits);
	ck_assert_int_eq(c.console, CONSOLE_STDIO);
	ck_assert_int_eq(c.halt_poll_ns, -1);
	ck_assert(!c.exit_stats);
	ck_assert_uint_eq(c.idle_stop_s, 0);
}
END_TEST

START_TEST(idle_stop_with_a_vsock_device)
{
	struct vm_config c;
	struct err e = { "" };

	ck_assert_int_eq(PARSE(&c, &e, "-k", "k", "--publish", "fd:3:80", "--idle-stop", "30"), PARSE_OK);
	ck_assert_uint_eq(c.idle_stop_s, 30);
	vm_config_free(&c);
	ck_assert_int_eq(PARSE(&c, &e, "-k", "k", "--idle-stop", "86400", "--cid", "7"), PARSE_OK);
	ck_assert_uint_eq(c.idle_stop_s, 86400);
	vm_config_free(&c);
}
END_TEST

START_TEST(every_option)
{
	struct vm_config c;
	struct err e;

	ck_assert_int_eq(PARSE(&c, &e, "-k", "k", "--initrd", "i", "--cmdline", "a b", "--mem", "1G", "--cpus", "4",
			       "--name", "site", "--on-reset=exit", "--console=output", "--halt-poll-ns", "0",
			       "--exit-stats"),
			 PARSE_OK);
	ck_assert_str_eq(c.initrd, "i");
	ck_assert_str_eq(c.cmdline, "a b");
	ck_assert_uint_eq(c.mem, 1ull << 30);
	ck_assert_uint_eq(c.cpus, 4);
	ck_assert_str_eq(c.name, "site");
	ck_assert(c.reset_exits);
	ck_assert_int_eq(c.console, CONSOLE_OUTPUT);
	ck_assert_int_eq(c.halt_poll_ns, 0);
	ck_assert(c.exit_stats);
	ck_assert_int_eq(PARSE(&c, &e, "--help"), PARSE_HELP);
}
END_TEST

static void expect(const char *needle, const char **args)
{
	struct vm_config c;
	struct err e = { "" };

	ck_assert_int_eq(parse(&c, &e, args), PARSE_ERROR);
	vm_config_free(&c); /* device options allocate their configuration */
	ck_assert_msg(strstr(e.msg, needle), "'%s' lacks '%s'", e.msg, needle);
	ck_assert_ptr_null(strchr(e.msg, '\n'));
}

#define EXPECT(needle, ...) expect(needle, (const char *[]){ __VA_ARGS__, NULL })

START_TEST(errors_name_the_problem)
{
	EXPECT("no kernel", "--mem", "64M");
	EXPECT("--mem must be greater than 0", "-k", "k", "--mem", "0");
	EXPECT("not a size", "-k", "k", "--mem", "lots");
	EXPECT("between 1 and", "-k", "k", "--cpus", "0");
	EXPECT("between 1 and", "-k", "k", "--cpus", "1000");
	EXPECT("not a number", "-k", "k", "--cpus", "two");
	EXPECT("unknown option '--frobnicate'", "-k", "k", "--frobnicate");
	EXPECT("unknown option '-z'", "-k", "k", "-z");
	EXPECT("needs a value", "-k");
	EXPECT("--on-reset", "-k", "k", "--on-reset=sometimes");
	EXPECT("--console", "-k", "k", "--console=tty");
	EXPECT("--name", "-k", "k", "--name", "a/b");
	EXPECT("unexpected argument 'extra'", "-k", "k", "extra");
	EXPECT("--halt-poll-ns", "-k", "k", "--halt-poll-ns", "-1");
	EXPECT("--halt-poll-ns", "-k", "k", "--halt-poll-ns", "2000000000");
	EXPECT("--idle-stop needs a vsock device (--publish or --cid)", "-k", "k", "--idle-stop", "5");
	EXPECT("--idle-stop needs a vsock device", "-k", "k", "--idle-stop", "5", "--disk", "d");
	EXPECT("--idle-stop '0': must be a number of seconds, 1-86400", "-k", "k", "--cid", "7", "--idle-stop", "0");
	EXPECT("--idle-stop '86401'", "-k", "k", "--cid", "7", "--idle-stop", "86401");
	EXPECT("--idle-stop '1s'", "-k", "k", "--cid", "7", "--idle-stop", "1s");
	EXPECT("fd '2' is not a number of at least 3", "-k", "k", "--publish", "fd:2:80");
}
END_TEST

/* No --kernel: the first --disk is a site image the firmware boots (the
 * built-in one, or --firmware FILE). */
START_TEST(firmware_boot)
{
	struct vm_config c;
	struct err e;

	ck_assert_int_eq(PARSE(&c, &e, "--disk", "/i/site.img,ro"), PARSE_OK);
	ck_assert(c.boot_firmware);
	ck_assert_ptr_null(c.kernel);
	ck_assert_ptr_null(c.firmware);
	ck_assert_str_eq(c.name, "firmware");
	vm_config_free(&c);
	ck_assert_int_eq(PARSE(&c, &e, "--firmware", "/f/fw.elf", "--disk", "d"), PARSE_OK);
	ck_assert(c.boot_firmware);
	ck_assert_str_eq(c.firmware, "/f/fw.elf");
	ck_assert_str_eq(c.name, "fw.elf");
	vm_config_free(&c);
	ck_assert_int_eq(PARSE(&c, &e, "--kernel", "k", "--disk", "d"), PARSE_OK);
	ck_assert(!c.boot_firmware);
	vm_config_free(&c);
	EXPECT("--kernel and --firmware", "-k", "k", "--firmware", "f");
	EXPECT("--initrd needs --kernel", "--disk", "d", "--initrd", "i");
	EXPECT("or --disk IMAGE", "--cid", "7");
}
END_TEST

Suite *options_suite(void)
{
	const TTest *const tests[] = {
		defaults, every_option, idle_stop_with_a_vsock_device, errors_name_the_problem, firmware_boot, NULL,
	};

	return one_case_suite("options", "run", 0, NULL, NULL, tests);
}
