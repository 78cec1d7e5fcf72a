/* Debian's cloud kernel (its vmlinux, fetched by tests/linux/get-vmlinux.sh)
 * boots under `vmm run` far enough to print its banner on our console. */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "check_suite.h"
#include "integration/proc.h"
#include "msg_tail.h"

START_TEST(linux_prints_its_banner)
{
	const char *vmlinux = getenv("VMLINUX") ? getenv("VMLINUX") : "build/linux/vmlinux";
	char *argv[] = { (char *)vmm_bin(), (char *)"run", (char *)"--kernel", (char *)vmlinux, (char *)"--mem",
			 (char *)"256M", (char *)"--cpus", (char *)"2", (char *)"--cmdline",
			 (char *)"console=ttyS0 earlyprintk=serial,ttyS0", (char *)"--console=output", NULL };
	/* The whole awaited string: the guest is stopped as soon as it appears,
	 * so its output may end right there (on PVM hosts this kernel dies with
	 * an emulation failure ~20 s later; the signal comes long before).
	 * 60 s on hardware KVM; nested emulation (run-in-tcg) is slower. */
	struct proc_opts o = { .in_fd = -1, .timeout_ms = 600000, .signo = SIGTERM, .until_out = "Linux version 6." };
	struct proc_result r;

	ck_assert_int_eq(proc_run(argv, &o, &r), 0);
	ck_assert_msg(!r.timed_out, "no banner; stdout: %s\nstderr: %s", msg_tail(r.out), msg_tail(r.err));
	ck_assert_msg(strstr(r.out, "Linux version 6."), "no banner in %s", msg_tail(r.out));
	ck_assert_msg(r.status == 128 + SIGTERM, "status %d; stderr: %s", r.status, msg_tail(r.err));
	proc_result_free(&r);
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
		linux_prints_its_banner, NULL,
	};

	return run_suite(one_case_suite("linux", "boot", 700, NULL, NULL, tests));
}
