/* vmm/image/: CRC32 against its published check value, the ustar packer's
 * bytes and refusals, and inspect on doctored copies of the compact site
 * image the fuzzer starts from (tests/fuzz/corpus/image_inspect/). */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi/site_image.h"
#include "check_suite.h"
#include "image/crc32.h"
#include "image/gpt.h"
#include "image/inspect.h"
#include "image/ustar.h"
#include "unit/suites.h"

#define SEED "tests/fuzz/corpus/image_inspect/small_image"

START_TEST(crc32_check_value)
{
	/* CRC-32/ISO-HDLC's check value, which zlib and UEFI share. */
	ck_assert_uint_eq(crc32_update(0, "123456789", 9), 0xcbf43926u);
	ck_assert_uint_eq(crc32_update(0, "", 0), 0);
	ck_assert_uint_eq(crc32_update(crc32_update(0, "1234", 4), "56789", 5), 0xcbf43926u);
}
END_TEST

static char dir[64];

static void mk(const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", dir, rel);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
}

static void mkd(const char *rel)
{
	char p[512];

	snprintf(p, sizeof p, "%s/%s", dir, rel);
	ck_assert_int_eq(mkdir(p, 0755), 0);
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/check_image.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

static unsigned header_sum(const uint8_t *h)
{
	unsigned sum = 0;

	for (unsigned i = 0; i < 512; i++)
		sum += i >= 148 && i < 156 ? ' ' : h[i];
	return sum;
}

START_TEST(ustar_sorted_and_split)
{
	/* 60 + '/' + 60 + '/' + 9: over 100 bytes, so a prefix split. */
	char a[61], b[61], path[200];
	struct ustar t;
	struct err e;

	memset(a, 'a', 60), a[60] = 0;
	memset(b, 'b', 60), b[60] = 0;
	mk("z.html", "zz");
	mk("a.html", "a");
	mkd(a);
	snprintf(path, sizeof path, "%s/%s", a, b);
	mkd(path);
	snprintf(path, sizeof path, "%s/%s/page.html", a, b);
	mk(path, "deep");
	ck_assert_msg(ustar_pack_dir(dir, 1234, &t, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(t.files, 3);
	ck_assert_uint_eq(t.dirs, 2);
	/* a.html, aaa/, aaa/bbb/, aaa/bbb/page.html, z.html: each a header and
	 * (files) one data block, then two zero blocks */
	ck_assert_uint_eq(t.len, (5 + 3 + 2) * 512);
	const uint8_t *h = t.data;
	ck_assert_str_eq((const char *)h, "a.html");
	ck_assert_str_eq((const char *)h + 257, "ustar");
	ck_assert_uint_eq(strtoul((const char *)h + 148, NULL, 8), header_sum(h));
	ck_assert_uint_eq(strtoul((const char *)h + 136, NULL, 8), 1234);
	h += 1024;
	ck_assert_int_eq(h[156], '5');
	h += 1024; /* aaa/bbb/ fits in 100 bytes; the file does not */
	ck_assert_int_eq(h[156], '0');
	/* split at the first '/' that leaves at most 100 bytes: prefix aaa, name bbb/page.html */
	ck_assert_int_eq(strncmp((const char *)h, path + 61, 100), 0);
	ck_assert_str_eq((const char *)h + 345, a);
	ck_assert_uint_eq(strtoul((const char *)h + 148, NULL, 8), header_sum(h));
	ck_assert_str_eq((const char *)t.data + 6 * 512, "z.html");
	/* the same tree, the same bytes */
	struct ustar t2;
	ck_assert_int_eq(ustar_pack_dir(dir, 1234, &t2, &e), 0);
	ck_assert_uint_eq(t2.len, t.len);
	ck_assert_int_eq(memcmp(t.data, t2.data, t.len), 0);
	ustar_free(&t);
	ustar_free(&t2);
}
END_TEST

START_TEST(ustar_refusals)
{
	char p[512], name[102];
	struct ustar t;
	struct err e;

	ck_assert_int_lt(ustar_pack_dir(dir, 0, &t, &e), 0); /* empty */
	ck_assert_ptr_nonnull(strstr(e.msg, "holds no regular file"));
	mk("index.html", "x");
	snprintf(p, sizeof p, "%s/link", dir);
	ck_assert_int_eq(symlink("index.html", p), 0);
	ck_assert_int_lt(ustar_pack_dir(dir, 0, &t, &e), 0);
	ck_assert_msg(strstr(e.msg, "link: a symbolic link"), "%s", e.msg);
	unlink(p);
	snprintf(p, sizeof p, "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(p, 0644), 0);
	ck_assert_int_lt(ustar_pack_dir(dir, 0, &t, &e), 0);
	ck_assert_msg(strstr(e.msg, "fifo: a FIFO"), "%s", e.msg);
	unlink(p);
	memset(name, 'n', 101), name[101] = 0; /* one component over 100 bytes */
	mk(name, "x");
	ck_assert_int_lt(ustar_pack_dir(dir, 0, &t, &e), 0);
	ck_assert_msg(strstr(e.msg, "has no '/' that splits it"), "%s", e.msg);
}
END_TEST

/* The seed image, its size, and a way to make a doctored copy consistent
 * again (array CRC into both headers, header CRCs), so a test can reach the
 * checks behind the CRCs. */
static uint8_t *seed(size_t *len)
{
	int fd = open(SEED, O_RDONLY);
	struct stat sb;
	uint8_t *p;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	ck_assert_ptr_nonnull(p = malloc((size_t)sb.st_size));
	ck_assert_int_eq(read(fd, p, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*len = (size_t)sb.st_size;
	return p;
}

static void reseal(uint8_t *img, size_t len)
{
	uint64_t total = len / 512, lbas[2] = { 1, total - 1 };

	for (int i = 0; i < 2; i++) {
		struct gpt_header h;
		uint8_t *s = img + lbas[i] * 512;
		memcpy(&h, s, sizeof h);
		if (h.entries_lba < total && (uint64_t)h.num_entries * h.entry_size <= (total - h.entries_lba) * 512)
			h.entries_crc32 = crc32_update(0, img + h.entries_lba * 512, (size_t)h.num_entries * h.entry_size);
		memcpy(s, &h, sizeof h);
		h.header_crc32 = gpt_header_crc(s, GPT_HEADER_SIZE);
		memcpy(s, &h, sizeof h);
	}
}

struct mem {
	const uint8_t *p;
	size_t len;
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct mem *m = ctx;
	ck_assert(off <= m->len && len <= m->len - off);
	memcpy(buf, m->p + off, len);
	return 0;
}

/* inspect's output for img, and its failure count. */
static unsigned run_inspect(const uint8_t *img, size_t len, char *out, size_t outlen)
{
	struct mem m = { img, len };
	struct image_reader r = { mem_read, &m, len };
	FILE *f = fmemopen(out, outlen, "w");
	unsigned n;

	ck_assert_ptr_nonnull(f);
	n = image_inspect(&r, f);
	fclose(f);
	return n;
}

static void entry_lbas(uint8_t *img, uint64_t array_lba, unsigned i, uint64_t first, uint64_t last)
{
	struct gpt_entry e;
	uint8_t *p = img + array_lba * 512 + i * 128;

	memcpy(&e, p, sizeof e);
	e.first_lba = first;
	e.last_lba = last;
	memcpy(p, &e, sizeof e);
}

START_TEST(inspect_doctored)
{
	static char out[16384];
	size_t len;
	uint8_t *img = seed(&len);
	uint64_t total = len / 512, backup_array = total - 33;

	ck_assert_msg(run_inspect(img, len, out, sizeof out) == 0, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "PVH entry 0x"));

	/* content partition onto the boot partition, in both arrays, sealed */
	uint8_t *c = malloc(len);
	memcpy(c, img, len);
	entry_lbas(c, 2, 1, 40, 44);
	entry_lbas(c, backup_array, 1, 40, 44);
	reseal(c, len);
	ck_assert_uint_gt(run_inspect(c, len, out, sizeof out), 0);
	ck_assert_msg(strstr(out, "FAIL: partitions 1 and 2 overlap"), "%s", out);

	/* a partition past the usable LBAs */
	memcpy(c, img, len);
	entry_lbas(c, 2, 2, 45, total + 1000);
	entry_lbas(c, backup_array, 2, 45, total + 1000);
	reseal(c, len);
	ck_assert_uint_gt(run_inspect(c, len, out, sizeof out), 0);
	ck_assert_msg(strstr(out, "FAIL: partition 3 (data): LBA 45-"), "%s", out);

	/* an entry array claimed far larger than the disk: refused, not read */
	memcpy(c, img, len);
	struct gpt_header h;
	memcpy(&h, c + 512, sizeof h);
	h.num_entries = 0x7fffffff;
	memcpy(c + 512, &h, sizeof h);
	reseal(c, len);
	ck_assert_uint_gt(run_inspect(c, len, out, sizeof out), 0);
	ck_assert_msg(strstr(out, "FAIL: primary GPT header (LBA 1): 2147483647 entries"), "%s", out);
	/* ... and the backup still lists the partitions */
	ck_assert_msg(strstr(out, "partitions (backup GPT"), "%s", out);

	/* the boot header's kernel past the partition's end */
	memcpy(c, img, len);
	struct site_boot_header bh;
	memcpy(&bh, c + 34 * 512, sizeof bh);
	bh.kernel_size = 1u << 20;
	bh.header_crc32 = 0;
	bh.header_crc32 = crc32_update(0, &bh, sizeof bh);
	memcpy(c + 34 * 512, &bh, sizeof bh);
	ck_assert_uint_gt(run_inspect(c, len, out, sizeof out), 0);
	ck_assert_msg(strstr(out, "FAIL: boot header: kernel (1048576 bytes at 4096) ends past"), "%s", out);

	/* truncated: the backup is gone */
	ck_assert_uint_gt(run_inspect(img, len - 512, out, sizeof out), 0);
	ck_assert_msg(strstr(out, "FAIL: primary GPT header (LBA 1): other header's LBA"), "%s", out);
	free(c);
	free(img);
}
END_TEST

Suite *image_suite(void)
{
	const TTest *const tests[] = {
		crc32_check_value, ustar_sorted_and_split, ustar_refusals, inspect_doctored, NULL,
	};

	return one_case_suite("image", "image", 0, setup, teardown, tests);
}
