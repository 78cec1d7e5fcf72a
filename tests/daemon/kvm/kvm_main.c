/* vmmd with the real vmm and test guests (needs KVM: run it through
 * tests/run-with-kvm.sh). Few tests, generous timeouts: under nested
 * emulation a boot takes seconds. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/harness.h"

static struct vmmd_inst v;
static char out[16384];

#define OK(...) ck_assert_msg(virsh(&v, out, sizeof out, __VA_ARGS__) == 0, "virsh failed: %s", out)
#define HAS(s) ck_assert_msg(strstr(out, s) != NULL, "expected '%s' in: %s", s, out)

static void setup(void)
{
	char vmm[PATH_MAX];

	ck_assert_ptr_nonnull(realpath(BUILD_DIR "/vmm", vmm));
	ck_assert_int_eq(vmmd_start(&v, vmm, "--start-wait=2000"), 0);
}

static void teardown(void)
{
	int rc = vmmd_stop(&v);

	vmmd_cleanup(&v);
	ck_assert_int_eq(rc, 0); /* a clean exit: no crash, no leak */
}

static void define(const char *name, const char *guest)
{
	char kernel[PATH_MAX], path[PATH_MAX + 32], xml[2048];

	snprintf(path, sizeof path, "%s/guests/%s.elf", BUILD_DIR, guest);
	ck_assert_ptr_nonnull(realpath(path, kernel));
	domain_xml(xml, sizeof xml, name, kernel);
	OK("define %s", write_xml(&v, "d.xml", xml));
}

START_TEST(lifecycle_with_real_guests)
{
	define("echo", "echo");
	OK("start echo");
	OK("domstate echo");
	HAS("running");
	OK("suspend echo");
	OK("resume echo");
	/* a daemon restart adopts the running VM */
	ck_assert_int_eq(vmmd_stop(&v), 0);
	ck_assert_int_eq(vmmd_restart(&v, "--start-wait=2000"), 0);
	OK("list");
	HAS("echo");
	HAS("running");
	OK("destroy echo");
	OK("domstate --reason echo");
	HAS("shut off (destroyed)");
	/* a guest that powers off by itself */
	define("hello", "hello");
	OK("start hello");
	ck_assert_int_eq(wait_state(&v, "hello", "shut off", 60000), 0);
	OK("domstate --reason hello");
	HAS("shut off (shutdown)");
	OK("undefine echo");
	OK("undefine hello");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vmmd-kvm");
	TCase *tc = tcase_create("kvm");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, lifecycle_with_real_guests);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
