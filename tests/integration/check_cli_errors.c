/* Bad input to `vmm`: each gets one line on stderr naming the problem and
 * exit status 2, never a crash. None of these needs KVM. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_suite.h"
#include "integration/proc.h"
#include "msg_tail.h"

static char dir[] = "/tmp/vmm-cli-XXXXXX";

static void expect_error(const char *needle, const char **args, const char *env)
{
	char *argv[32];
	int argc = 0;
	struct proc_opts o = { .in_fd = -1, .timeout_ms = 20000 };
	struct proc_result r;

	if (env) {
		argv[argc++] = (char *)"/usr/bin/env";
		argv[argc++] = (char *)env;
	}
	argv[argc++] = (char *)vmm_bin();
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	ck_assert_int_eq(proc_run(argv, &o, &r), 0);
	ck_assert_msg(r.status == 2, "status %d for %s; stderr: %s", r.status, needle, msg_tail(r.err));
	ck_assert_msg(strstr(r.err, needle), "stderr '%s' lacks '%s'", msg_tail(r.err), needle);
	ck_assert_msg(count_of(r.err, "\n") == 1, "not one line: '%s'", msg_tail(r.err));
	ck_assert_msg(strncmp(r.err, "vmm: ", 5) == 0, "no prefix: '%s'", msg_tail(r.err));
	proc_result_free(&r);
}

#define EXPECT(needle, ...) expect_error(needle, (const char *[]){ __VA_ARGS__, NULL }, NULL)

static const char *hello(void)
{
	static char p[512];

	return guest_path("hello", p, sizeof p);
}

START_TEST(missing_kernel_file)
{
	EXPECT("cannot open kernel '/nonexistent/kernel': No such file", "run", "--kernel", "/nonexistent/kernel");
	/* --firmware FILE: messages name it as firmware */
	EXPECT("cannot open firmware '/nonexistent/fw': No such file", "run", "--firmware", "/nonexistent/fw");
	EXPECT("firmware 'tests/README.md': not an ELF file", "run", "--firmware", "tests/README.md");
	EXPECT("--kernel and --firmware", "run", "--kernel", hello(), "--firmware", hello());
}
END_TEST

START_TEST(kernel_is_a_directory)
{
	EXPECT("is a directory", "run", "--kernel", "/tmp");
}
END_TEST

START_TEST(kernel_is_random_bytes)
{
	char path[600];
	unsigned char b[8192];
	FILE *f;

	snprintf(path, sizeof path, "%s/random", dir);
	for (size_t i = 0; i < sizeof b; i++)
		b[i] = (unsigned char)(rand() & 0xff);
	b[0] = 0x42; /* never an ELF by accident */
	f = fopen(path, "wb");
	fwrite(b, 1, sizeof b, f);
	fclose(f);
	EXPECT("not an ELF file", "run", "--kernel", path);
}
END_TEST

START_TEST(kernel_is_empty_or_a_host_program)
{
	char path[600];

	snprintf(path, sizeof path, "%s/empty", dir);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	EXPECT("is empty", "run", "--kernel", path);
	EXPECT("not an executable", "run", "--kernel", "/bin/ls"); /* a PIE, not a kernel */
}
END_TEST

/* fd:N, a file the parent passed: each misuse is named by its number. The
 * descriptors are put at fixed numbers here (vmm inherits them). */
START_TEST(bad_file_descriptors)
{
	char path[600];
	int d = open(dir, O_RDONLY | O_DIRECTORY), f;

	snprintf(path, sizeof path, "%s/disk.img", dir);
	f = open(path, O_CREAT | O_RDWR, 0644);
	ck_assert_int_eq(ftruncate(f, 65536), 0);
	close(f);
	f = open(path, O_RDONLY);
	ck_assert(d >= 0 && f >= 0);
	ck_assert_int_eq(dup2(d, 20), 20);
	ck_assert_int_eq(dup2(f, 21), 21);
	close(22);
	EXPECT("kernel fd 22 is not open (the parent must pass it)", "run", "--kernel", "fd:22");
	EXPECT("kernel fd 20 is a directory", "run", "--kernel", "fd:20");
	EXPECT("kernel 'fd:2': fd '2' is not a number of at least 3", "run", "--kernel", "fd:2");
	EXPECT("kernel 'fd:x': fd 'x' is not a number of at least 3", "run", "--kernel", "fd:x");
	EXPECT("initrd fd 22 is not open", "run", "--kernel", hello(), "--initrd", "fd:22");
	EXPECT("disk fd 20 is not a regular file", "run", "--kernel", hello(), "--disk", "fd:20,ro");
	/* a read-write disk needs a descriptor open for writing too */
	EXPECT("disk fd 21 is not open for reading and writing", "run", "--kernel", hello(), "--disk", "fd:21");
	EXPECT("disk fd 22 is not open", "run", "--kernel", hello(), "--disk", "fd:22,ro");
	/* the exit status record is written: a read-only descriptor will not do */
	EXPECT("--exit-status fd 21 is not open for reading and writing", "run", "--kernel", hello(), "--exit-status",
	       "fd:21");
	EXPECT("cannot open --exit-status '/': Is a directory", "run", "--kernel", hello(), "--exit-status", "/");
	close(20);
	close(21);
	close(d);
	close(f);
}
END_TEST

START_TEST(bad_memory_sizes)
{
	EXPECT("--mem must be greater than 0", "run", "--kernel", hello(), "--mem", "0");
	EXPECT("more than this host can reserve", "run", "--kernel", hello(), "--mem", "100T");
	EXPECT("not a size", "run", "--kernel", hello(), "--mem", "huge");
	EXPECT("too small", "run", "--kernel", hello(), "--mem", "1M");
}
END_TEST

START_TEST(bad_cpu_counts)
{
	EXPECT("--cpus 0: must be between 1 and 254", "run", "--kernel", hello(), "--cpus", "0");
	EXPECT("--cpus 1000: must be between 1 and 254", "run", "--kernel", hello(), "--cpus", "1000");
}
END_TEST

START_TEST(bad_console_limits)
{
	EXPECT("--console-log-max 1K: 0 (no cap) or at least 4K", "run", "--kernel", hello(), "--console-log-max", "1K");
	EXPECT("--console-log-max 'lots': not a size", "run", "--kernel", hello(), "--console-log-max", "lots");
	EXPECT("--console-burst 0: 1 to 1G", "run", "--kernel", hello(), "--console-burst", "0");
	EXPECT("--console-rate 2G: at most 1G", "run", "--kernel", hello(), "--console-rate", "2G");
	EXPECT("--console-log with --console=none", "run", "--kernel", hello(), "--console-log", "/tmp/x", "--console=none");
}
END_TEST

START_TEST(unknown_options_and_commands)
{
	EXPECT("unknown option '--frobnicate'", "run", "--kernel", hello(), "--frobnicate");
	EXPECT("unknown command 'fly'", "fly");
	EXPECT("no kernel given", "run");
}
END_TEST

START_TEST(no_permission_on_kvm)
{
	char dev[600], env[700];

	/* A device node root can read is useless here (root bypasses modes), so
	 * run as nobody against a stand-in device only root may open. */
	snprintf(dev, sizeof dev, "%s/kvm", dir);
	close(open(dev, O_CREAT | O_WRONLY, 0600));
	chmod(dev, 0600);
	snprintf(env, sizeof env, "VMM_KVM_DEVICE=%s", dev);
	const char *args[] = { "--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/env", env,
			       vmm_bin(), "run", "--kernel", hello(), NULL };
	char *argv[16];
	int argc = 0;
	struct proc_opts o = { .in_fd = -1, .timeout_ms = 20000 };
	struct proc_result r;

	argv[argc++] = (char *)"/usr/bin/setpriv";
	for (int i = 0; args[i]; i++)
		argv[argc++] = (char *)args[i];
	argv[argc] = NULL;
	ck_assert_int_eq(proc_run(argv, &o, &r), 0);
	ck_assert_msg(r.status == 2, "status %d; stderr: %s", r.status, msg_tail(r.err));
	ck_assert_msg(strstr(r.err, "no permission to open"), "stderr: %s", msg_tail(r.err));
	ck_assert_int_eq(count_of(r.err, "\n"), 1);
	proc_result_free(&r);
}
END_TEST

START_TEST(help_and_version)
{
	char *argv[] = { (char *)vmm_bin(), (char *)"run", (char *)"--help", NULL };
	char *argv2[] = { (char *)vmm_bin(), (char *)"--version", NULL };
	struct proc_opts o = { .in_fd = -1, .timeout_ms = 20000 };
	struct proc_result r;

	ck_assert_int_eq(proc_run(argv, &o, &r), 0);
	ck_assert_int_eq(r.status, 0);
	for (const char *opt = "--kernel\0--initrd\0--cmdline\0--mem\0--cpus\0--name\0--on-reset\0--console\0"; *opt;
	     opt += strlen(opt) + 1)
		ck_assert_msg(strstr(r.out, opt), "help lacks %s", opt);
	proc_result_free(&r);
	ck_assert_int_eq(proc_run(argv2, &o, &r), 0);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "vmm "));
	proc_result_free(&r);
}
END_TEST

/* `vmm standby` refuses before it makes a VM (no KVM needed): without a
 * control socket at fd 3 (a file is none either), and with bad options. */
START_TEST(standby_without_its_socket_or_with_bad_options)
{
	EXPECT("descriptor 3 is not a socket", "standby");
	EXPECT("--mem 'lots': not a size", "standby", "--mem", "lots");
	EXPECT("unknown option '--cpus=2'", "standby", "--cpus=2");
	EXPECT("unexpected argument 'run'", "standby", "run");
}
END_TEST

static int make_dir(void)
{
	if (!mkdtemp(dir))
		return -1;
	return chmod(dir, 0755);
}

static void remove_dir(void)
{
	char cmd[600];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int main(void)
{
	const TTest *const tests[] = {
		missing_kernel_file, kernel_is_a_directory, kernel_is_random_bytes, kernel_is_empty_or_a_host_program,
		bad_file_descriptors, bad_memory_sizes, bad_cpu_counts, bad_console_limits, unknown_options_and_commands, no_permission_on_kvm, help_and_version,
		standby_without_its_socket_or_with_bad_options,
		NULL,
	};
	int failed;

	if (make_dir() < 0) {
		perror("mkdtemp");
		return 1;
	}
	failed = suite_run(one_case_suite("cli_errors", "bad input", 60, NULL, NULL, tests));
	remove_dir();
	return failed ? 1 : 0;
}
