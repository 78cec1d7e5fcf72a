/* virtio-blk and virtio-rng through real guests, and guests that break the
 * virtqueue rules: the device says NEEDS_RESET, the VMM stays up. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "integration/proc.h"
#include "msg_tail.h"

#define TIMEOUT_MS 120000

static char dir[] = "/tmp/vmm-virtio-XXXXXX";
static char disk[256];

static void make_disk(void)
{
	int fd = open(disk, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	char sector0[512] = "VMMDISK0 sector0";

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
	ck_assert_int_eq(pwrite(fd, sector0, 512, 0), 512);
	close(fd);
}

#define HAS(r, s) ck_assert_msg(strstr((r).out, s), "missing '%s' in:\n%s\nstderr:\n%s", s, msg_tail((r).out), msg_tail((r).err))

START_TEST(blk_read_write_flush_id)
{
	struct proc_result r;
	char buf[1024];
	int fd;

	make_disk();
	RUN("virtio_blk", NULL, &r, "--disk", disk, "--cmdline", "mode=rw");
	ck_assert_msg(r.status == 0, "status %d: %s %s", r.status, msg_tail(r.out), msg_tail(r.err));
	HAS(r, "capacity 2048 sectors");
	HAS(r, "sector 0 says 'VMMDISK0 sector0'");
	HAS(r, "write sectors 1-2: status 0");
	HAS(r, "flush: status 0");
	HAS(r, "read back: status 0");
	HAS(r, "sector 1 says 'written by the guest '");
	HAS(r, "get-id: status 0");
	HAS(r, "id 'disk.img'");
	HAS(r, "unknown request type: status 2");
	proc_result_free(&r);
	/* What the guest wrote (and flushed) is in the file after exit. */
	fd = open(disk, O_RDONLY);
	ck_assert_int_eq(pread(fd, buf, 1024, 512), 1024);
	close(fd);
	for (int i = 0; i < 1024; i++)
		ck_assert_int_eq(buf[i], "written by the guest "[i % 21]);
}
END_TEST

START_TEST(blk_read_only_refuses_writes)
{
	struct proc_result r;
	char ro[300], buf[512];
	int fd;

	make_disk();
	snprintf(ro, sizeof ro, "%s,ro", disk);
	RUN("virtio_blk", NULL, &r, "--disk", ro, "--cmdline", "mode=ro");
	ck_assert_int_eq(r.status, 0);
	HAS(r, "write to read-only disk: status 1");
	proc_result_free(&r);
	fd = open(disk, O_RDONLY);
	ck_assert_int_eq(pread(fd, buf, 512, 512), 512);
	close(fd);
	for (int i = 0; i < 512; i++)
		ck_assert_int_eq(buf[i], 0);
}
END_TEST

START_TEST(blk_bounds)
{
	struct proc_result r;

	make_disk();
	RUN("virtio_blk", NULL, &r, "--disk", disk, "--cmdline", "mode=range");
	ck_assert_int_eq(r.status, 0);
	HAS(r, "read past the end: status 1");
	HAS(r, "read straddling the end: status 1");
	proc_result_free(&r);
}
END_TEST

START_TEST(blk_read_write_disk_is_locked)
{
	char kernel[512], ro[300];
	struct proc_result r;
	int st, out[2];
	char buf[256] = "";
	size_t len = 0;
	pid_t pid;

	make_disk();
	ck_assert_int_eq(pipe(out), 0);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(out[1], 1);
		execl(vmm_bin(), vmm_bin(), "run", "--kernel", guest_path("echo", kernel, sizeof kernel), "--disk", disk,
		      "--console=output", (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	while (!strstr(buf, "echo: ready") && len < sizeof buf - 1) {
		ssize_t n = read(out[0], buf + len, sizeof buf - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = 0;
	}
	ck_assert_ptr_nonnull(strstr(buf, "echo: ready"));
	RUN("hello", NULL, &r, "--disk", disk);
	ck_assert_int_eq(r.status, 2);
	ck_assert_msg(strstr(r.err, "in use by another VM"), "stderr: %s", msg_tail(r.err));
	proc_result_free(&r);
	snprintf(ro, sizeof ro, "%s,ro", disk);
	RUN("hello", NULL, &r, "--disk", ro);
	ck_assert_int_eq(r.status, 2);
	proc_result_free(&r);
	kill(pid, SIGTERM);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	close(out[0]);
	/* Released when the first VM ended. */
	RUN("hello", NULL, &r, "--disk", disk);
	ck_assert_int_eq(r.status, 0);
	proc_result_free(&r);
}
END_TEST

START_TEST(rng_bytes_reach_the_guest)
{
	struct proc_result a, b;
	const char *pa, *pb;

	RUN("virtio_rng", NULL, &a, "--rng");
	RUN("virtio_rng", NULL, &b, "--rng");
	ck_assert_int_eq(a.status, 0);
	ck_assert_int_eq(b.status, 0);
	pa = strstr(a.out, "got 32 bytes: ");
	pb = strstr(b.out, "got 32 bytes: ");
	ck_assert_ptr_nonnull(pa);
	ck_assert_ptr_nonnull(pb);
	ck_assert_msg(strncmp(pa, pb, 14 + 64) != 0, "same bytes twice: %s", pa);
	proc_result_free(&a);
	proc_result_free(&b);
}
END_TEST

START_TEST(hostile_guests_get_needs_reset)
{
	int c = _i;
	struct proc_result r;
	char arg[32];

	make_disk();
	snprintf(arg, sizeof arg, "case=%d", c);
	RUN("virtio_hostile", NULL, &r, "--disk", disk, "--cmdline", arg);
	ck_assert_msg(r.status == 0, "case %d: status %d\n%s\n%s", c, r.status, msg_tail(r.out), msg_tail(r.err));
	HAS(r, "needs reset: yes");
	HAS(r, "after reset: works");
	ck_assert_msg(strstr(r.err, "virtio-blk0: ") && strstr(r.err, "device needs reset"), "case %d stderr: %s", c,
		      msg_tail(r.err));
	proc_result_free(&r);
}
END_TEST

START_TEST(bad_disk_arguments)
{
	struct proc_result r;

	RUN("hello", NULL, &r, "--disk", "/nonexistent/disk.img");
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "cannot open disk '/nonexistent/disk.img'"));
	proc_result_free(&r);
	RUN("hello", NULL, &r, "--disk", "/tmp");
	ck_assert_int_eq(r.status, 2);
	proc_result_free(&r);
	RUN("hello", NULL, &r, "--disk", ",ro");
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "no file name"));
	proc_result_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("virtio");
	TCase *tc = tcase_create("devices");
	int failed;

	if (!mkdtemp(dir))
		return 1;
	snprintf(disk, sizeof disk, "%s/disk.img", dir);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, blk_read_write_flush_id);
	tcase_add_test(tc, blk_read_only_refuses_writes);
	tcase_add_test(tc, blk_bounds);
	tcase_add_test(tc, blk_read_write_disk_is_locked);
	tcase_add_test(tc, rng_bytes_reach_the_guest);
	tcase_add_loop_test(tc, hostile_guests_get_needs_reset, 1, 13);
	tcase_add_test(tc, bad_disk_arguments);
	suite_add_tcase(s, tc);
	failed = run_suite(s);
	unlink(disk);
	rmdir(dir);
	return failed;
}
