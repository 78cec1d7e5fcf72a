/* The tar content store, on archives made by the system's tar, and on
 * archives damaged on purpose. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_suite.h"
#include "fixture.h"
#include "suites.h"

static const struct site_entry *find(struct fixture *f, const char *name)
{
	return site_find(&f->site, name, strlen(name));
}

static void check_std(struct fixture *f)
{
	const struct site_entry *e = find(f, "index.html");
	char longname[160];

	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->size, 14);
	ck_assert_uint_eq(e->mtime, FX_MTIME);
	ck_assert_mem_eq(site_data(&f->site, e), "<h1>home</h1>\n", 14);
	e = find(f, "big.bin");
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->size, 100000);
	ck_assert_uint_eq(((const uint8_t *)site_data(&f->site, e))[99999], (uint8_t)(99999 * 7));
	ck_assert_ptr_nonnull(find(f, "docs/index.html"));
	ck_assert_ptr_nonnull(find(f, "style.css.gz"));
	e = find(f, "docs");
	ck_assert_ptr_nonnull(e);
	ck_assert(e->is_dir);
	e = find(f, "empty.txt");
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->size, 0);
	snprintf(longname, sizeof(longname), "long/%090d.txt", 0);
	e = find(f, longname);
	ck_assert_ptr_nonnull(e);
	ck_assert_mem_eq(site_data(&f->site, e), "long\n", 5);
	ck_assert_ptr_null(find(f, "./index.html"));
	ck_assert_ptr_null(find(f, "missing"));
	ck_assert_ptr_null(find(f, ""));
	/* sorted and unique */
	for (size_t i = 1; i < f->site.n; i++)
		ck_assert_int_lt(strcmp(f->site.ent[i - 1].name, f->site.ent[i].name), 0);
}

START_TEST(ustar_archive)
{
	struct fixture f;

	fx_std(&f, "ustar");
	check_std(&f);
	fx_free(&f);
}
END_TEST

START_TEST(pax_archive)
{
	struct fixture f;

	fx_std(&f, "pax");
	check_std(&f);
	fx_free(&f);
}
END_TEST

START_TEST(gnu_archive)
{
	struct fixture f;

	fx_std(&f, "gnu");
	check_std(&f);
	fx_free(&f);
}
END_TEST

START_TEST(very_long_names_through_pax)
{
	struct fixture f;
	char name[400];

	fx_dir(&f);
	memset(name, 'n', sizeof(name));
	memcpy(name, "a/", 2);
	strcpy(name + 250, ".html"); /* one 248-byte component: too long for ustar */
	fx_file(&f, name, "x", 1);
	fx_pack(&f, "pax", NULL);
	ck_assert_int_eq(fx_open(&f), 0);
	ck_assert_ptr_nonnull(find(&f, name));
	fx_free(&f);
}
END_TEST

static int reader(void *ctx, uint64_t off, void *dst, size_t len)
{
	memcpy(dst, (const uint8_t *)ctx + off, len);
	return 0;
}

START_TEST(read_callback_image)
{
	struct fixture f;
	struct site_image img;
	struct site s;
	static char arena[1 << 16];
	char buf[15];

	fx_std(&f, "ustar");
	img.size = f.size;
	img.mem = NULL;
	img.ctx = f.img;
	img.read = NULL;
	ck_assert_int_lt(site_open(&s, &img, arena, sizeof(arena)), 0); /* no reader */
	img.read = reader;
	ck_assert_int_eq(site_open(&s, &img, arena, sizeof(arena)), 0);
	const struct site_entry *e = site_find(&s, "about.html", 10);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_null(site_data(&s, e));
	ck_assert_int_eq(site_read(&s, e, 0, buf, 15), 0);
	ck_assert_mem_eq(buf, "<h1>about</h1>\n", 15);
	ck_assert_int_lt(site_read(&s, e, 1, buf, 15), 0);
	fx_free(&f);
}
END_TEST

START_TEST(duplicates_last_wins)
{
	struct fixture f;
	char cmd[512];

	fx_dir(&f);
	fx_file(&f, "a.html", "old", 3);
	fx_file(&f, "b.html", "b", 1);
	/* tar -r appends a second a.html, as updating an archive does */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && tar --format=ustar -cf ../dup.tar a.html b.html && "
		 "printf new! > a.html && tar --format=ustar -rf ../dup.tar a.html && "
		 "mv ../dup.tar ../$(basename '%s').dup", f.dir, f.dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s.dup", f.dir);
	FILE *fp = fopen(cmd, "rb");
	ck_assert_ptr_nonnull(fp);
	f.img = malloc(1 << 16);
	f.size = fread(f.img, 1, 1 << 16, fp);
	fclose(fp);
	unlink(cmd);
	ck_assert_int_eq(fx_open(&f), 0);
	ck_assert_uint_eq(f.site.n, 2);
	const struct site_entry *e = find(&f, "a.html");
	ck_assert_uint_eq(e->size, 4);
	ck_assert_mem_eq(site_data(&f.site, e), "new!", 4);
	fx_free(&f);
}
END_TEST

START_TEST(links_skipped)
{
	struct fixture f;
	char cmd[256];

	fx_dir(&f);
	fx_file(&f, "real.html", "r", 1);
	snprintf(cmd, sizeof(cmd), "ln -s /etc/passwd '%s/evil' && ln '%s/real.html' '%s/hard.html'",
		 f.dir, f.dir, f.dir);
	ck_assert_int_eq(system(cmd), 0);
	fx_pack(&f, "ustar", NULL);
	ck_assert_int_eq(fx_open(&f), 0);
	ck_assert_ptr_null(find(&f, "evil"));
	/* whichever name tar stored as the hard link, both serve the data */
	ck_assert_mem_eq(site_data(&f.site, find(&f, "real.html")), "r", 1);
	ck_assert_mem_eq(site_data(&f.site, find(&f, "hard.html")), "r", 1);
	fx_free(&f);
}
END_TEST

/* Offset of the header for name in a ustar image (name field only). */
static uint8_t *header_of(struct fixture *f, const char *name)
{
	for (size_t off = 0; off + 512 <= f->size; off += 512)
		if (strcmp((char *)f->img + off, name) == 0 &&
		    memcmp(f->img + off + 257, "ustar", 5) == 0)
			return f->img + off;
	ck_abort_msg("no header %s", name);
	return NULL;
}

static void rechecksum(uint8_t *h)
{
	unsigned sum = 0;

	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

static void expect_error(struct fixture *f, const char *what)
{
	ck_assert_int_lt(fx_open(f), 0);
	ck_assert_msg(strstr(f->site.err, what) != NULL, "'%s' not in '%s'", what, f->site.err);
	ck_assert_ptr_nonnull(strstr(f->site.err, "site archive: offset "));
}

START_TEST(truncated)
{
	struct fixture f;
	size_t end = 0;

	fx_std(&f, "ustar");
	/* cut right after the last entry's data: the end-of-archive blocks are gone */
	for (size_t off = 0; off + 512 <= f.size; off += 512)
		if (memcmp(f.img + off + 257, "ustar", 5) == 0) {
			size_t sz = strtoul((char *)f.img + off + 124, NULL, 8);
			end = off + 512 + (sz + 511) / 512 * 512;
			off = end - 512;
		}
	f.size = end;
	expect_error(&f, "truncated archive");
	f.size = (size_t)(header_of(&f, "./big.bin") - f.img) + 4096; /* inside big.bin */
	expect_error(&f, "runs past the end");
	f.size = (size_t)(header_of(&f, "./index.html") - f.img) + 100; /* inside a header */
	expect_error(&f, "truncated archive");
	f.size = 0;
	expect_error(&f, "truncated archive");
	fx_free(&f);
}
END_TEST

START_TEST(bad_checksum)
{
	struct fixture f;

	fx_std(&f, "ustar");
	header_of(&f, "./about.html")[0x70] ^= 1; /* inside the mode field */
	expect_error(&f, "checksum mismatch");
	fx_free(&f);
}
END_TEST

START_TEST(size_past_end)
{
	struct fixture f;

	fx_std(&f, "ustar");
	uint8_t *h = header_of(&f, "./about.html");
	snprintf((char *)h + 124, 12, "%011o", 077777777);
	rechecksum(h);
	expect_error(&f, "runs past the end of the image");
	snprintf((char *)h + 124, 12, "%011o", 017);
	h[124] = 'x';
	rechecksum(h);
	expect_error(&f, "malformed size field");
	fx_free(&f);
}
END_TEST

START_TEST(bad_names)
{
	struct fixture f;

	fx_std(&f, "ustar");
	uint8_t *h = header_of(&f, "./about.html");
	memcpy(h, "/etc/passwd\0", 12);
	rechecksum(h);
	expect_error(&f, "absolute name refused");
	memcpy(h, "a/../../x\0", 10);
	rechecksum(h);
	expect_error(&f, "'..' component");
	memcpy(h, "..\0", 3);
	rechecksum(h);
	expect_error(&f, "'..' component");
	memcpy(h, "a\x01" "b\0", 4);
	rechecksum(h);
	expect_error(&f, "control characters");
	fx_free(&f);
}
END_TEST

START_TEST(absolute_names_from_tar)
{
	struct fixture f;
	char cmd[256];

	fx_dir(&f);
	fx_file(&f, "x.html", "x", 1);
	snprintf(cmd, sizeof(cmd), "tar --format=ustar -P -cf '%s/../abs.tar' '%s/x.html'", f.dir,
		 f.dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/../abs.tar", f.dir);
	FILE *fp = fopen(cmd, "rb");
	f.img = malloc(1 << 16);
	f.size = fread(f.img, 1, 1 << 16, fp);
	fclose(fp);
	unlink(cmd);
	expect_error(&f, "absolute name refused");
	fx_free(&f);
}
END_TEST

START_TEST(not_a_tar)
{
	struct fixture f;

	fx_dir(&f);
	f.img = malloc(4096);
	f.size = 4096;
	for (int i = 0; i < 4096; i++)
		f.img[i] = (uint8_t)(i * 31 + 7);
	expect_error(&f, "bad magic");
	fx_free(&f);
}
END_TEST

START_TEST(arena_too_small)
{
	struct fixture f;
	struct site_image img;
	struct site s;
	static char arena[10000];

	fx_std(&f, "ustar");
	site_image_mem(&img, f.img, f.size);
	ck_assert_int_lt(site_open(&s, &img, arena, 100), 0);
	ck_assert_ptr_nonnull(strstr(s.err, "arena too small"));
	ck_assert_int_lt(site_open(&s, &img, arena, sizeof(arena)), 0);
	ck_assert_ptr_nonnull(strstr(s.err, "arena too small"));
	fx_free(&f);
}
END_TEST

START_TEST(pax_records_checked)
{
	struct fixture f;

	fx_dir(&f);
	fx_file(&f, "a.html", "a", 1);
	fx_pack(&f, "pax", NULL);
	ck_assert_int_eq(fx_open(&f), 0);
	/* find the first 'x' header and break its record length */
	uint8_t *h = NULL;
	for (size_t off = 0; off + 512 <= f.size; off += 512)
		if (memcmp(f.img + off + 257, "ustar", 5) == 0 && f.img[off + 156] == 'x') {
			h = f.img + off;
			break;
		}
	ck_assert_ptr_nonnull(h);
	memset(h + 512, '9', 3); /* "NN key=..." loses the space after its length */
	expect_error(&f, "malformed pax");
	fx_free(&f);
}
END_TEST

Suite *site_tar_suite(void)
{
	const TTest *const tests[] = {
		ustar_archive, pax_archive, gnu_archive, very_long_names_through_pax, read_callback_image,
		duplicates_last_wins, links_skipped, truncated, bad_checksum, size_past_end, bad_names,
		absolute_names_from_tar, not_a_tar, arena_too_small, pax_records_checked, NULL,
	};

	return one_case_suite("site_tar", "core", 30, NULL, NULL, tests);
}
