/* The copies of kernel files vmm keeps to map them (machine/kernel_cache.c),
 * in a temporary directory: a copy is made once and found again, it is the
 * file's bytes, read-only; an edited file gets a copy of its own; a
 * directory others may write is not used, nor a file over the size limit;
 * the directory keeps at most
 * KERNEL_CACHE_MAX copies and loses the temporary files of dead writers. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check_suite.h"
#include "machine/kernel_cache.h"
#include "unit/suites.h"

static char dir[64], src[96];

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/vmm-kcache.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, 0755), 0);
	snprintf(src, sizeof src, "%s-kernel", dir);
}

static void teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", dir, src);
	ck_assert_int_eq(system(cmd), 0);
}

/* Writes the source kernel afresh (new bytes, new change time), open. */
static int write_src(const char *text)
{
	int fd = open(src, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	return fd;
}

/* kernel_cache_open as boot_image.c calls it: with the file's fstat. */
static int cache_open(int fd, const char *in)
{
	struct stat st;

	ck_assert_int_eq(fstat(fd, &st), 0);
	return kernel_cache_open(fd, &st, in);
}

static unsigned entries(const char *with)
{
	struct dirent *de;
	DIR *dh = opendir(dir);
	unsigned n = 0;

	ck_assert_ptr_nonnull(dh);
	while ((de = readdir(dh)))
		n += strstr(de->d_name, with) != NULL;
	closedir(dh);
	return n;
}

START_TEST(copies_once_then_finds_the_copy)
{
	int fd = write_src("kernel one"), a, b;
	struct stat sa, sb;
	char buf[32] = "";

	a = cache_open(fd, dir);
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(pread(a, buf, sizeof buf - 1, 0), 10);
	ck_assert_str_eq(buf, "kernel one");
	ck_assert_int_eq(fstat(a, &sa), 0);
	ck_assert_msg(!(sa.st_mode & 0222), "the copy is writable: %o", sa.st_mode);
	b = cache_open(fd, dir);
	ck_assert_int_ge(b, 0);
	ck_assert_int_eq(fstat(b, &sb), 0);
	ck_assert_msg(sa.st_ino == sb.st_ino, "a second copy was made");
	ck_assert_uint_eq(entries("kernel-"), 1);
	close(a);
	close(b);
	close(fd);
}
END_TEST

START_TEST(an_edited_kernel_gets_its_own_copy)
{
	int fd = write_src("kernel one"), a, b;
	struct stat sa, sb;
	char buf[32] = "";

	a = cache_open(fd, dir);
	close(fd);
	nanosleep(&(struct timespec){ 0, 10000000 }, NULL); /* a later change time */
	fd = write_src("kernel two!");
	b = cache_open(fd, dir);
	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);
	ck_assert_int_eq(fstat(a, &sa), 0);
	ck_assert_int_eq(fstat(b, &sb), 0);
	ck_assert_msg(sa.st_ino != sb.st_ino, "the edited kernel got the old copy");
	ck_assert_int_eq(pread(b, buf, sizeof buf - 1, 0), 11);
	ck_assert_str_eq(buf, "kernel two!");
	close(a);
	close(b);
	close(fd);
}
END_TEST

START_TEST(no_copy_where_others_may_write)
{
	int fd = write_src("kernel");

	ck_assert_int_eq(chmod(dir, 0777), 0);
	ck_assert_int_eq(cache_open(fd, dir), -1);
	ck_assert_uint_eq(entries("kernel-"), 0);
	ck_assert_int_eq(cache_open(fd, NULL), -1);
	close(fd);
}
END_TEST

/* A vmlinux with its symbols is read, not copied: the cache stays small. */
START_TEST(no_copy_of_a_file_over_the_limit)
{
	int fd = write_src("kernel");

	ck_assert_int_eq(ftruncate(fd, (off_t)KERNEL_CACHE_FILE_MAX + 1), 0); /* sparse */
	ck_assert_int_eq(cache_open(fd, dir), -1);
	ck_assert_uint_eq(entries("kernel-"), 0);
	close(fd);
}
END_TEST

START_TEST(keeps_the_newest_copies_and_drops_stale_temporaries)
{
	char stale[128];
	int t;

	snprintf(stale, sizeof stale, "%s/kernel-1-2-3-4.5-6.7.tmp99999", dir);
	t = open(stale, O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
	ck_assert_int_ge(t, 0);
	close(t);
	ck_assert_int_eq(utimensat(AT_FDCWD, stale, (struct timespec[]){ { 0, 0 }, { time(NULL) - 3600, 0 } }, 0), 0);
	for (int i = 0; i < KERNEL_CACHE_MAX + 3; i++) {
		char text[32];
		int fd, c;

		snprintf(text, sizeof text, "kernel %d", i);
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
		fd = write_src(text);
		c = cache_open(fd, dir);
		ck_assert_int_ge(c, 0);
		close(c);
		close(fd);
	}
	ck_assert_uint_le(entries("kernel-"), KERNEL_CACHE_MAX);
	ck_assert_uint_eq(entries(".tmp"), 0);
}
END_TEST

Suite *kernel_cache_suite(void)
{
	const TTest *const tests[] = {
		copies_once_then_finds_the_copy, an_edited_kernel_gets_its_own_copy, no_copy_where_others_may_write,
		no_copy_of_a_file_over_the_limit,
		keeps_the_newest_copies_and_drops_stale_temporaries, NULL,
	};

	return one_case_suite("kernel_cache", "core", 10, setup, teardown, tests);
}
