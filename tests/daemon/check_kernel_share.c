/* core/kernel_share.c on its own: one sealed, read-only memfd per distinct
 * kernel file, named after it; a rewritten file gets a new copy while the
 * old one stays whole for whoever holds it; files it must not share are
 * refused (-1: vmmd passes the file); the cache stays within its bounds,
 * the least recently used entry going first. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/core/kernel_share.h"
#include "suites.h"

static char dir[64];
static struct kernel_share ks;

static void up(void)
{
	snprintf(dir, sizeof dir, "/tmp/vmmd-kshare-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	kernel_share_init(&ks);
}

static void down(void)
{
	char cmd[128];

	kernel_share_free(&ks);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Writes text to DIR/name through a new file renamed into place (a new
 * inode, as an install does); *path gets its path. */
static void put(const char *name, const char *text, char *path, size_t size)
{
	char tmp[160];
	FILE *f;

	snprintf(path, size, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s.new", path);
	f = fopen(tmp, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(rename(tmp, path), 0);
}

/* kernel_share_get for path as vmmd calls it: with the file open. */
static int get(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), shared;

	ck_assert_int_ge(fd, 0);
	shared = kernel_share_get(&ks, fd, path);
	close(fd);
	return shared;
}

static ino_t ino(int fd)
{
	struct stat st;

	ck_assert_int_eq(fstat(fd, &st), 0);
	return st.st_ino;
}

static void has_text(int fd, const char *want)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

	ck_assert_int_ge(n, 0);
	buf[n] = 0;
	ck_assert_str_eq(buf, want);
}

static unsigned entries(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < KERNEL_SHARE_MAX; i++)
		n += ks.e[i].memfd >= 0;
	return n;
}

START_TEST(one_sealed_read_only_memfd_per_file)
{
	char path[128], link[64], name[512], want[256];
	int a, b;
	ssize_t n;

	put("k.elf", "kernel one", path, sizeof path);
	a = get(path);
	b = get(path);
	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);
	ck_assert_int_ne(a, b);
	ck_assert_uint_eq(ino(a), ino(b)); /* the same memfd */
	ck_assert_uint_eq(entries(), 1);
	has_text(a, "kernel one");
	ck_assert_int_eq(fcntl(a, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	ck_assert_int_eq(fcntl(a, F_GETFL) & O_ACCMODE, O_RDONLY);
	ck_assert_int_eq(fcntl(a, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_lt(pwrite(a, "x", 1, 0), 0);
	snprintf(link, sizeof link, "/proc/self/fd/%d", a);
	n = readlink(link, name, sizeof name - 1);
	ck_assert_int_gt(n, 0);
	name[n] = 0;
	snprintf(want, sizeof want, "/memfd:vmm-kernel:%s (deleted)", path);
	ck_assert_str_eq(name, want);
	close(a);
	close(b);
}
END_TEST

START_TEST(a_rewritten_file_is_copied_again)
{
	char path[128];
	int a, b;

	put("k.elf", "kernel one", path, sizeof path);
	a = get(path);
	put("k.elf", "kernel two, longer", path, sizeof path);
	b = get(path);
	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);
	ck_assert_uint_ne(ino(a), ino(b));
	has_text(a, "kernel one"); /* a running VM's copy stays whole */
	has_text(b, "kernel two, longer");
	ck_assert_uint_eq(entries(), 1); /* the old entry for that path went */
	close(a);
	close(b);
}
END_TEST

START_TEST(files_not_shared_are_refused)
{
	char path[128];
	int d = open(dir, O_RDONLY | O_DIRECTORY);

	put("empty.elf", "", path, sizeof path);
	ck_assert_int_eq(get(path), -1); /* vmm names the empty file */
	ck_assert_int_eq(kernel_share_get(&ks, d, dir), -1);
	ck_assert_uint_eq(entries(), 0);
	close(d);
}
END_TEST

START_TEST(the_cache_is_bounded_oldest_first)
{
	char path[128], name[32], first[128], second[128];
	int fd;

	put("k0.elf", "k0", first, sizeof first);
	put("k1.elf", "k1", second, sizeof second);
	close(get(first));
	close(get(second));
	for (unsigned i = 2; i < KERNEL_SHARE_MAX + 4; i++) {
		snprintf(name, sizeof name, "k%u.elf", i);
		put(name, name, path, sizeof path);
		fd = get(path);
		ck_assert_int_ge(fd, 0);
		close(fd);
		close(get(second)); /* in use: stays */
		ck_assert_uint_le(entries(), KERNEL_SHARE_MAX);
	}
	ck_assert_uint_eq(entries(), KERNEL_SHARE_MAX);
	for (unsigned i = 0; i < KERNEL_SHARE_MAX; i++) {
		ck_assert_msg(!ks.e[i].path || strcmp(ks.e[i].path, first) != 0, "the oldest entry was kept");
		if (ks.e[i].path && strcmp(ks.e[i].path, second) == 0)
			second[0] = 0;
	}
	ck_assert_msg(second[0] == 0, "the entry used last was dropped");
}
END_TEST

Suite *kernel_share_suite(void)
{
	Suite *s = suite_create("kernel_share");
	TCase *tc = tcase_create("kernel_share");

	tcase_add_checked_fixture(tc, up, down);
	tcase_add_test(tc, one_sealed_read_only_memfd_per_file);
	tcase_add_test(tc, a_rewritten_file_is_copied_again);
	tcase_add_test(tc, files_not_shared_are_refused);
	tcase_add_test(tc, the_cache_is_bounded_oldest_first);
	suite_add_tcase(s, tc);
	return s;
}
