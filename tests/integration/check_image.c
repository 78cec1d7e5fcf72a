/* Single-file site images booted through vmm's built-in firmware
 * (firmware/): an image of examples/site made by `vmm image create` boots
 * with `vmm run --disk IMAGE` and serves; test guests as the image's kernel
 * show the command line the firmware composes and that a reset boots
 * through the firmware again; images broken one field at a time (CRCs
 * fixed up where the point is to get past them) power off with the exit
 * code abi/site_image.h gives for each reason, a "firmware: " line on the
 * console and vmm's reason on stderr. */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "abi/site_image.h"
#include "check_suite.h"
#include "integration/loopback.h"
#include "integration/proc.h"
#include "msg_tail.h"

static char tmp[64];
static char site_img[128], hello_img[128], reset_img[128];

static const char *vmm_release(void)
{
	/* `vmm image create` finds the site kernel beside vmm: build/guest/site.elf */
	return "build/vmm";
}

static void run_cmd(char *const argv[], struct proc_result *r, int timeout_ms)
{
	struct proc_opts o = { .in_fd = -1, .timeout_ms = timeout_ms };

	ck_assert_int_eq(proc_run(argv, &o, r), 0);
	ck_assert_msg(!r->timed_out, "%s timed out; stdout: %s\nstderr: %s", argv[0], msg_tail(r->out),
		      msg_tail(r->err));
}

/* `vmm image create examples/site -o out [extra...]`; fails the check (or
 * the set-up) if it does not succeed. */
static int image_create(const char *out, const char *kernel, const char *cmdline, const char *data_size)
{
	const char *argv[16];
	struct proc_result r;
	struct proc_opts o = { .in_fd = -1, .timeout_ms = 60000 };
	int n = 0, ok;

	argv[n++] = vmm_release();
	argv[n++] = "image";
	argv[n++] = "create";
	argv[n++] = "examples/site";
	argv[n++] = "-o";
	argv[n++] = out;
	argv[n++] = "-f";
	if (kernel) {
		argv[n++] = "--kernel";
		argv[n++] = kernel;
	}
	if (cmdline) {
		argv[n++] = "--cmdline";
		argv[n++] = cmdline;
	}
	if (data_size) {
		argv[n++] = "--data-size";
		argv[n++] = data_size;
	}
	argv[n] = NULL;
	if (proc_run((char *const *)argv, &o, &r) < 0)
		return -1;
	ok = !r.timed_out && r.status == 0;
	if (!ok)
		fprintf(stderr, "vmm image create %s: status %d: %s%s\n", out, r.status, r.out, r.err);
	proc_result_free(&r);
	return ok ? 0 : -1;
}

/* ---- images in memory: read, patch, fix CRCs, write ---- */

static uint32_t crc32_gpt(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t c = 0xffffffffu;

	while (len--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
	}
	return ~c;
}

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void wr64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

struct img {
	uint8_t *b;
	size_t len;
};

static void img_load(struct img *m, const char *path)
{
	FILE *f = fopen(path, "rb");

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	m->len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	m->b = malloc(m->len);
	ck_assert_ptr_nonnull(m->b);
	ck_assert_uint_eq(fread(m->b, 1, m->len, f), m->len);
	fclose(f);
}

static void img_save(const struct img *m, const char *path)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(m->b, 1, m->len, f), m->len);
	ck_assert_int_eq(fclose(f), 0);
}

static uint8_t *gpt_hdr(struct img *m) { return m->b + 512; }
static uint8_t *gpt_entry(struct img *m, unsigned i)
{
	uint8_t *h = gpt_hdr(m);

	return m->b + rd64(h + 72) * 512 + (size_t)i * rd32(h + 84);
}

static void gpt_fix_header(struct img *m)
{
	uint8_t *h = gpt_hdr(m);

	wr32(h + 16, 0);
	wr32(h + 16, crc32_gpt(h, rd32(h + 12)));
}

/* Both primary CRCs again, after a change to the entries or the header. */
static void gpt_fix(struct img *m)
{
	uint8_t *h = gpt_hdr(m);

	wr32(h + 88, crc32_gpt(gpt_entry(m, 0), (size_t)rd32(h + 80) * rd32(h + 84)));
	wr32(h + 16, 0);
	wr32(h + 16, crc32_gpt(h, rd32(h + 12)));
}

/* The boot partition's first byte (entry 0 is the boot partition: vmm image create's order). */
static struct site_boot_header *boot_hdr(struct img *m)
{
	return (struct site_boot_header *)(m->b + rd64(gpt_entry(m, 0) + 32) * 512);
}

static uint8_t *kernel_of(struct img *m)
{
	return (uint8_t *)boot_hdr(m) + boot_hdr(m)->kernel_offset;
}

static void boot_fix(struct img *m, int kernel_too)
{
	struct site_boot_header *h = boot_hdr(m);

	if (kernel_too)
		h->kernel_crc32 = crc32_gpt(kernel_of(m), h->kernel_size);
	h->header_crc32 = 0;
	h->header_crc32 = crc32_gpt(h, sizeof *h);
}

/* Boots path (read-only disk) with extra arguments; returns the result. */
static void boot(const char *path, struct proc_result *r, const char *const *extra)
{
	char disk[160];
	const char *argv[24];
	int n = 0;

	snprintf(disk, sizeof disk, "%s,ro", path);
	argv[n++] = vmm_bin();
	argv[n++] = "run";
	argv[n++] = "--disk";
	argv[n++] = disk;
	argv[n++] = "--console=output";
	argv[n++] = "--on-reset=exit";
	for (; extra && *extra && n < 23; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	run_cmd((char *const *)argv, r, 60000);
}

static void expect_exit(const char *path, int code, const char *console, const char *const *extra)
{
	struct proc_result r;

	boot(path, &r, extra);
	ck_assert_msg(r.status == code, "%s: exit %d, expected %d; stdout: %s\nstderr: %s", path, r.status, code,
		      msg_tail(r.out), msg_tail(r.err));
	ck_assert_msg(strstr(r.out, console), "no '%s' on the console: %s", console, msg_tail(r.out));
	ck_assert_int_eq(count_of(r.out, "firmware: "), 1);
	ck_assert_msg(strstr(r.err, "the firmware could not boot the disk image"), "stderr: %s", msg_tail(r.err));
	proc_result_free(&r);
}

/* A copy of the site image, patched by fn, booted: expects code. */
static void broken(const char *tag, void (*fn)(struct img *), int code, const char *console)
{
	char path[160];
	struct img m;

	img_load(&m, site_img);
	fn(&m);
	snprintf(path, sizeof path, "%s/%s.img", tmp, tag);
	img_save(&m, path);
	free(m.b);
	expect_exit(path, code, console, NULL);
}

/* ---- tests ---- */

START_TEST(image_boots_and_serves)
{
	char disk[160], pub[64], out[160], err[160], buf[4096];
	const char *argv[12];
	int port = test_port_base(), fd, status, n = 0;
	long deadline;
	size_t got = 0;
	pid_t pid;

	snprintf(disk, sizeof disk, "%s,ro", site_img);
	snprintf(pub, sizeof pub, "127.0.0.1:%d:80", port);
	snprintf(out, sizeof out, "%s/serve.out", tmp);
	snprintf(err, sizeof err, "%s/serve.err", tmp);
	argv[n++] = vmm_bin();
	argv[n++] = "run";
	argv[n++] = "--disk";
	argv[n++] = disk;
	argv[n++] = "--publish";
	argv[n++] = pub;
	argv[n++] = "--console=output";
	argv[n] = NULL;
	loopback_up();
	pid = proc_spawn(argv, out, err);
	ck_assert_int_gt(pid, 0);
	deadline = now_ms() + 30000;
	for (;;) {
		FILE *f = fopen(out, "r");
		size_t len = f ? fread(buf, 1, sizeof buf - 1, f) : 0;

		if (f)
			fclose(f);
		buf[len] = 0;
		if (strstr(buf, "site: listening on vsock port 80"))
			break;
		if (now_ms() > deadline || waitpid(pid, &status, WNOHANG) == pid) {
			kill(pid, SIGKILL);
			ck_abort_msg("the image did not come up; console: %s", msg_tail(buf));
		}
		usleep(10000);
	}
	/* The kernel got its archive as a window of the one disk. */
	ck_assert_msg(strstr(buf, "site.part=content:"), "console: %s", msg_tail(buf));
	fd = tcp_connect(port);
	{
		static const char req[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
		ssize_t w = write(fd, req, sizeof req - 1), k;

		ck_assert_int_eq(w, (ssize_t)(sizeof req - 1));
		while (got < sizeof buf - 1 && (k = read_by(fd, buf + got, sizeof buf - 1 - got, now_ms() + 10000)) > 0)
			got += (size_t)k;
		buf[got] = 0;
	}
	close(fd);
	kill(pid, SIGTERM);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(!strncmp(buf, "HTTP/1.1 200", 12), "response: %s", msg_tail(buf));
}
END_TEST

/* The hello guest as the image's kernel prints the command line it got:
 * vmm's (the device), the boot partition's, then the partitions. */
START_TEST(command_line_is_composed)
{
	struct proc_result r;

	boot(hello_img, &r, (const char *[]){ "--cmdline", "from=vmm", NULL });
	ck_assert_msg(r.status == 0, "exit %d; stdout: %s\nstderr: %s", r.status, msg_tail(r.out), msg_tail(r.err));
	ck_assert_msg(strstr(r.out, "from=vmm virtio_mmio.device=4K@0xd0000000:5 greeting=1 x=y site.part=content:") ||
			      strstr(r.out, "virtio_mmio.device=4K@0xd0000000:5 from=vmm greeting=1 x=y site.part=content:"),
		      "stdout: %s", msg_tail(r.out));
	ck_assert_msg(strstr(r.out, " site.part=data:"), "stdout: %s", msg_tail(r.out));
	proc_result_free(&r);
}
END_TEST

/* A reset boots the firmware again, which loads the kernel again. */
START_TEST(reset_boots_through_the_firmware)
{
	char disk[160];
	struct proc_result r;
	struct proc_opts o = { .in_fd = -1, .timeout_ms = 60000, .signo = SIGTERM,
			       .until_out = "reset: resetting", .signal_count = 3 };
	char *argv[] = { (char *)vmm_bin(), (char *)"run", (char *)"--disk", disk, (char *)"--console=output", NULL };

	snprintf(disk, sizeof disk, "%s,ro", reset_img);
	ck_assert_int_eq(proc_run(argv, &o, &r), 0);
	ck_assert(!r.timed_out);
	ck_assert_int_ge(count_of(r.out, "reset: resetting"), 3);
	ck_assert_msg(strstr(r.err, "guest reset, restarting"), "stderr: %s", msg_tail(r.err));
	proc_result_free(&r);
}
END_TEST

START_TEST(no_disk)
{
	struct proc_result r;
	char *argv[] = { (char *)vmm_bin(), (char *)"run", (char *)"--firmware", (char *)"build/firmware/firmware.elf",
			 (char *)"--console=output", NULL };

	run_cmd(argv, &r, 60000);
	ck_assert_int_eq(r.status, SITE_FW_EXIT_NO_DISK);
	ck_assert_ptr_nonnull(strstr(r.out, "firmware: no virtio-blk disk"));
	ck_assert_ptr_nonnull(strstr(r.err, "no virtio-blk disk (exit 40)"));
	proc_result_free(&r);
}
END_TEST

static void zero_mbr(struct img *m) { memset(m->b, 0, 512); }
static void no_signature(struct img *m) { memcpy(gpt_hdr(m), "EFI TRAP", 8); }
static void bad_header_crc(struct img *m) { gpt_hdr(m)[40] ^= 1; }
static void bad_entries_crc(struct img *m) { gpt_entry(m, 1)[60] ^= 1; }
static void part_past_disk(struct img *m)
{
	wr64(gpt_entry(m, 1) + 40, m->len / 512 + 100);
	gpt_fix(m);
}
static void entries_too_big(struct img *m)
{
	wr32(gpt_hdr(m) + 80, 100000); /* 12.8 MB of entries: no array CRC to fix */
	gpt_fix_header(m);
}
static void overlapping_parts(struct img *m)
{
	wr64(gpt_entry(m, 1) + 32, rd64(gpt_entry(m, 0) + 40)); /* content starts on boot's last LBA */
	gpt_fix(m);
}
static void no_boot_type(struct img *m)
{
	gpt_entry(m, 0)[0] ^= 0xff;
	gpt_fix(m);
}
static void two_boot(struct img *m)
{
	memcpy(gpt_entry(m, 1), gpt_entry(m, 0), 16);
	gpt_fix(m);
}
static void boot_magic(struct img *m) { boot_hdr(m)->magic[0] = 'X'; }
static void boot_crc(struct img *m) { boot_hdr(m)->reserved2 = 1; }
static void kernel_past_part(struct img *m)
{
	boot_hdr(m)->kernel_size = (rd64(gpt_entry(m, 0) + 40) - rd64(gpt_entry(m, 0) + 32) + 1) * 512;
	boot_fix(m, 0);
}
static void cmdline_unaligned_kernel(struct img *m)
{
	boot_hdr(m)->kernel_offset += 512;
	boot_fix(m, 0);
}
static void kernel_crc(struct img *m) { kernel_of(m)[boot_hdr(m)->kernel_size / 2] ^= 1; }
static void kernel_not_elf(struct img *m)
{
	kernel_of(m)[1] = 'X';
	boot_fix(m, 1);
}
static void kernel_phdrs_out(struct img *m)
{
	wr64(kernel_of(m) + 32, boot_hdr(m)->kernel_size - 8); /* e_phoff */
	boot_fix(m, 1);
}
/* The first PT_LOAD moved over the firmware (0x30000-...) or past RAM. */
static void kernel_over_firmware(struct img *m)
{
	uint8_t *ph = kernel_of(m) + rd64(kernel_of(m) + 32);

	wr64(ph + 24, 0x40000);
	boot_fix(m, 1);
}
static void kernel_past_ram(struct img *m)
{
	uint8_t *ph = kernel_of(m) + rd64(kernel_of(m) + 32);

	wr64(ph + 24, 0x7f000000);
	boot_fix(m, 1);
}

START_TEST(bad_images)
{
	broken("nombr", zero_mbr, SITE_FW_EXIT_NO_GPT, "firmware: no protective MBR");
	broken("nosig", no_signature, SITE_FW_EXIT_NO_GPT, "firmware: no GPT signature");
	broken("hdrcrc", bad_header_crc, SITE_FW_EXIT_BAD_CRC, "firmware: GPT header CRC mismatch");
	broken("entcrc", bad_entries_crc, SITE_FW_EXIT_BAD_CRC, "firmware: GPT entry array CRC mismatch");
	broken("pastdisk", part_past_disk, SITE_FW_EXIT_BAD_GPT, "firmware: a partition lies outside");
	broken("bigents", entries_too_big, SITE_FW_EXIT_BAD_GPT, "firmware: GPT entry array size");
	broken("overlap", overlapping_parts, SITE_FW_EXIT_BAD_GPT, "firmware: partitions overlap");
	broken("noboot", no_boot_type, SITE_FW_EXIT_NO_BOOT, "firmware: no boot partition");
	broken("twoboot", two_boot, SITE_FW_EXIT_NO_BOOT, "firmware: more than one boot partition");
	broken("magic", boot_magic, SITE_FW_EXIT_BAD_BOOT, "firmware: no boot header magic");
	broken("bootcrc", boot_crc, SITE_FW_EXIT_BAD_CRC, "firmware: boot header CRC mismatch");
	broken("kpast", kernel_past_part, SITE_FW_EXIT_BAD_BOOT, "firmware: kernel outside the boot partition");
	broken("kalign", cmdline_unaligned_kernel, SITE_FW_EXIT_BAD_BOOT, "firmware: kernel outside");
	broken("kcrc", kernel_crc, SITE_FW_EXIT_BAD_KERNEL, "firmware: kernel CRC mismatch");
	broken("kelf", kernel_not_elf, SITE_FW_EXIT_BAD_KERNEL, "firmware: the kernel is not");
	broken("kphdr", kernel_phdrs_out, SITE_FW_EXIT_BAD_KERNEL, "firmware: the kernel's program headers");
	broken("kfw", kernel_over_firmware, SITE_FW_EXIT_NO_MEMORY, "firmware: a kernel segment lies outside RAM");
	broken("kram", kernel_past_ram, SITE_FW_EXIT_NO_MEMORY, "firmware: a kernel segment lies outside RAM");
}
END_TEST

static void setup_images(void)
{
	char k[128];

	snprintf(tmp, sizeof tmp, "/tmp/vmm-image-XXXXXX");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(site_img, sizeof site_img, "%s/site.img", tmp);
	snprintf(hello_img, sizeof hello_img, "%s/hello.img", tmp);
	snprintf(reset_img, sizeof reset_img, "%s/reset.img", tmp);
	if (image_create(site_img, NULL, NULL, NULL) < 0 ||
	    image_create(hello_img, guest_path("hello", k, sizeof k), "greeting=1 x=y", "1M") < 0 ||
	    image_create(reset_img, guest_path("reset", k, sizeof k), NULL, NULL) < 0)
		exit(2);
}

static void remove_images(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
}

int main(void)
{
	const TTest *const tests[] = { image_boots_and_serves, command_line_is_composed,
					      reset_boots_through_the_firmware, no_disk, bad_images, NULL };
	int failed;

	setup_images();
	failed = run_suite(one_case_suite("image", "site images through the firmware", 300, NULL, NULL, tests));
	remove_images();
	return failed;
}
