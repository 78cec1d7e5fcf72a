/* The console's bounds on a regular file (host/console_log.c) and its token
 * bucket (util/token_bucket.c), with a clock the tests drive: the file never
 * passes its cap, keeps the newest output from a line start, stays in order
 * with another writer of the same open file, and counts what the rate limit
 * drops in lines written at most once a second. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_suite.h"
#include "host/console.h"
#include "host/console_log.h"
#include "unit/suites.h"
#include "util/token_bucket.h"

#define MS 1000000ll

START_TEST(bucket_passes_records_whole_or_not_at_all)
{
	struct token_bucket b;

	token_bucket_init(&b, 1000, 2000, 0);
	ck_assert_uint_eq(token_bucket_take(&b, 1500, 0), 1500);
	ck_assert_uint_eq(token_bucket_take(&b, 600, 0), 0); /* 500 left: not a part of it */
	ck_assert_uint_eq(token_bucket_take(&b, 500, 0), 500);
	ck_assert_uint_eq(token_bucket_take(&b, 1, 999 * MS / 1000), 0); /* 0.999 bytes */
	ck_assert_uint_eq(token_bucket_take(&b, 1, MS), 1);
	/* a second refills 1000, never past the burst */
	ck_assert_uint_eq(token_bucket_take(&b, 1001, 1001 * MS), 0);
	ck_assert_uint_eq(token_bucket_take(&b, 1000, 1001 * MS), 1000);
	ck_assert_uint_eq(token_bucket_take(&b, 2001, 100000 * MS), 2000); /* above the burst: its first part */
	ck_assert_uint_eq(token_bucket_take(&b, 1, 100000 * MS), 0);
	/* a clock going back refills nothing */
	ck_assert_uint_eq(token_bucket_take(&b, 1, 0), 0);
	token_bucket_init(&b, 0, 0, 0);
	ck_assert_uint_eq(token_bucket_take(&b, 1u << 30, 0), 1u << 30);
}
END_TEST

START_TEST(bucket_keeps_sub_byte_credit)
{
	struct token_bucket b;
	uint64_t passed = 0;

	/* one byte tried every microsecond for 2 s at 1000 B/s: the UART's pattern */
	token_bucket_init(&b, 1000, 10, 0);
	for (int64_t t = 1; t <= 2000000; t++)
		passed += token_bucket_take(&b, 1, t * 1000);
	ck_assert_uint_ge(passed, 2009);
	ck_assert_uint_le(passed, 2010);
}
END_TEST

static int count_of_lines(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p = strchr(p, '\n'))
		n++;
	return n;
}

static char *tmp_path(char *buf, size_t size)
{
	snprintf(buf, size, "/tmp/check_console_log.XXXXXX");
	int fd = mkstemp(buf);

	ck_assert_int_ge(fd, 0);
	close(fd);
	return buf;
}

/* The file's text, through /proc (the tests' descriptors are write-only,
 * as vmmd's and a shell's are). */
static char *slurp(int fd, size_t *len)
{
	struct stat st;
	char path[64], *s;
	int rfd;

	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	rfd = open(path, O_RDONLY);
	ck_assert_int_ge(rfd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	s = malloc((size_t)st.st_size + 1);
	ck_assert_int_eq(pread(rfd, s, (size_t)st.st_size, 0), st.st_size);
	close(rfd);
	s[st.st_size] = 0;
	*len = (size_t)st.st_size;
	return s;
}

/* Checks that from its second line on, text is "line N" lines with N going
 * up by one, and returns the last N. */
static long check_lines_in_order(const char *text)
{
	const char *p = strchr(text, '\n');
	long prev = -1, n;

	ck_assert_ptr_nonnull(p);
	for (p++; *p; p = strchr(p, '\n') + 1) {
		ck_assert_msg(sscanf(p, "line %ld", &n) == 1, "not a whole line: '%.40s'", p);
		ck_assert_msg(prev < 0 || n == prev + 1, "line %ld after %ld", n, prev);
		prev = n;
		ck_assert_ptr_nonnull(strchr(p, '\n'));
	}
	return prev;
}

static void write_lines(struct console_log *l, int fd, long from, long to, uint64_t max)
{
	char line[64];
	struct stat st;

	for (long i = from; i < to; i++) {
		int n = snprintf(line, sizeof line, "line %ld %.*s\n", i, (int)(i % 37), "....................................");

		console_log_write(l, (const uint8_t *)line, (size_t)n, 0);
		ck_assert_int_eq(fstat(fd, &st), 0);
		ck_assert_uint_le((uint64_t)st.st_size, max);
	}
}

static void cap_keeps_newest(int flags)
{
	struct console_limits lim = { .max = 16384 };
	struct console_log l;
	struct err e;
	char path[64], *text;
	size_t len;
	int fd = open(tmp_path(path, sizeof path), O_WRONLY | flags);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(console_log_init(&l, fd, "vm1", &lim, 0, &e), 0);
	write_lines(&l, fd, 0, 5000, lim.max);
	console_log_close(&l, 0);
	text = slurp(fd, &len);
	ck_assert_uint_gt(len, lim.max / 2);
	ck_assert_msg(strncmp(text, "vmm: vm1: console: log over its cap of 16384 bytes, cut: ", 57) == 0, "%.100s", text);
	ck_assert_int_eq(check_lines_in_order(text), 4999);
	free(text);
	close(fd);
	unlink(path);
}

START_TEST(cap_keeps_the_newest_lines)
{
	cap_keeps_newest(0);
}
END_TEST

START_TEST(cap_works_with_o_append)
{
	cap_keeps_newest(O_APPEND);
}
END_TEST

/* vmmd's case: stdout and stderr are one open file; vmm's own lines
 * written to the other descriptor keep their place. */
START_TEST(cap_shares_the_offset_with_stderr)
{
	struct console_limits lim = { .max = 8192 };
	struct console_log l;
	struct err e;
	char path[64], *text;
	static const char note[] = "vmm: vm1: a line of its own\n";
	size_t len;
	int fd = open(tmp_path(path, sizeof path), O_WRONLY), err_fd = dup(fd);

	ck_assert_int_eq(console_log_init(&l, fd, "vm1", &lim, 0, &e), 0);
	write_lines(&l, fd, 0, 1000, lim.max);
	ck_assert_int_eq(write(err_fd, note, sizeof note - 1), (ssize_t)sizeof note - 1);
	write_lines(&l, fd, 1000, 1010, lim.max);
	text = slurp(fd, &len);
	/* the note sits between 999 and 1000 (999 % 37 == 0: no dots) */
	ck_assert_ptr_nonnull(strstr(text, "\nline 999 \nvmm: vm1: a line of its own\nline 1000 .\n"));
	free(text);
	write_lines(&l, fd, 1010, 3000, lim.max); /* cut: the note goes with the rest */
	text = slurp(fd, &len);
	ck_assert_ptr_null(strstr(text, "a line of its own"));
	ck_assert_ptr_nonnull(strstr(text, "line 2999 "));
	free(text);
	console_log_close(&l, 0);
	close(err_fd);
	close(fd);
	unlink(path);
}
END_TEST

START_TEST(a_write_above_the_cap_keeps_its_end)
{
	struct console_limits lim = { .max = 4096 };
	struct console_log l;
	struct err e;
	char path[64], *text;
	static uint8_t big[20000];
	size_t len;
	int fd = open(tmp_path(path, sizeof path), O_WRONLY);

	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)('a' + i % 26);
	big[sizeof big - 1] = '\n';
	ck_assert_int_eq(console_log_init(&l, fd, "vm1", &lim, 0, &e), 0);
	console_log_write(&l, big, sizeof big, 0);
	text = slurp(fd, &len);
	ck_assert_uint_le(len, 4096);
	ck_assert_uint_gt(len, 3800);
	ck_assert_ptr_nonnull(strstr(text, "discarded so far\n"));
	ck_assert(memcmp(text + len - 100, big + sizeof big - 100, 100) == 0);
	free(text);
	console_log_close(&l, 0);
	close(fd);
	unlink(path);
}
END_TEST

/* No way to read the file back (no /proc at set-up, no write permission
 * left on the file): still bounded, each cut keeps only its line and the
 * write that caused it. */
START_TEST(cap_without_a_reader_still_bounds)
{
	struct console_limits lim = { .max = 8192 };
	struct console_log l;
	struct err e;
	char path[64], *text;
	size_t len;
	int fd = open(tmp_path(path, sizeof path), O_WRONLY);

	ck_assert_int_eq(console_log_init(&l, fd, "vm1", &lim, 0, &e), 0);
	ck_assert_int_ge(l.rw_fd, 0);
	close(l.rw_fd);
	l.rw_fd = -1;
	write_lines(&l, fd, 0, 3000, lim.max);
	text = slurp(fd, &len);
	ck_assert_ptr_nonnull(strstr(text, "line 2999 "));
	ck_assert_int_eq(check_lines_in_order(text), 2999);
	free(text);
	console_log_close(&l, 0);
	close(fd);
	unlink(path);
}
END_TEST

START_TEST(rate_limit_drops_and_reports_once_a_second)
{
	struct console_limits lim = { .max = 0, .rate = 1000, .burst = 1000 };
	struct console_log l;
	struct err e;
	char path[64], *text, rec[100];
	size_t len;
	int fd = open(tmp_path(path, sizeof path), O_WRONLY);

	memset(rec, 'x', sizeof rec - 1);
	rec[sizeof rec - 1] = '\n';
	ck_assert_int_eq(console_log_init(&l, fd, "vm1", &lim, 0, &e), 0);
	/* 100 records a second for 3 s: 10 pass in the first (the burst), then
	 * about 10 a second; the rest are dropped, reported once a second */
	for (int i = 0; i < 300; i++)
		console_log_write(&l, (const uint8_t *)rec, sizeof rec, (int64_t)i * 10 * MS);
	text = slurp(fd, &len);
	ck_assert_int_eq(count_of_lines(text, "bytes dropped (rate limit)"), 3);
	ck_assert_ptr_nonnull(strstr(text, "x\nvmm: vm1: console: 100 bytes dropped (rate limit)\n"));
	free(text);
	/* quiet for 2 s, then one record: the count comes first */
	console_log_write(&l, (const uint8_t *)rec, sizeof rec, 5000 * MS);
	text = slurp(fd, &len);
	ck_assert_int_eq(count_of_lines(text, "bytes dropped (rate limit)"), 4);
	ck_assert_msg(len >= 200 && memcmp(text + len - 100, rec, 100) == 0 &&
			      strstr(text, "bytes dropped (rate limit)\nxxxx"),
		      "%s", text + (len > 300 ? len - 300 : 0));
	ck_assert_uint_eq(l.dropped, 0);
	/* every byte passed or was counted */
	ck_assert_uint_eq(l.dropped_total + (uint64_t)count_of_lines(text, "xxxxxxxxxx") * 100, 301 * 100);
	ck_assert_int_ge(count_of_lines(text, "xxxxxxxxxx"), 38);
	ck_assert_int_le(count_of_lines(text, "xxxxxxxxxx"), 42);
	free(text);
	console_log_close(&l, 0);
	close(fd);
	unlink(path);
}
END_TEST

START_TEST(console_log_file_is_private_and_pipes_are_unlimited)
{
	struct console_output out = { .name = "vm1", .lim = { 4096, 1000, 1000 } };
	struct console c;
	struct err e;
	struct stat st;
	char path[64];
	int p[2], saved = dup(STDOUT_FILENO);

	out.path = tmp_path(path, sizeof path);
	ck_assert_int_eq(console_open(&c, false, &out, &e), 0);
	ck_assert(c.limited);
	ck_assert_int_eq(fstat(c.out_fd, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	console_close(&c);
	unlink(path);
	/* stdout a pipe: written as given, no limits */
	ck_assert_int_eq(pipe(p), 0);
	dup2(p[1], STDOUT_FILENO);
	out.path = NULL;
	ck_assert_int_eq(console_open(&c, false, &out, &e), 0);
	ck_assert(!c.limited);
	console_write(&c, (const uint8_t *)"0123456789", 10);
	console_write(&c, (const uint8_t *)"0123456789", 10);
	console_close(&c);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	ck_assert_int_eq(read(p[0], path, sizeof path), 20);
	close(p[0]);
	close(p[1]);
}
END_TEST

Suite *console_log_suite(void)
{
	const TTest *const tests[] = {
		bucket_passes_records_whole_or_not_at_all, bucket_keeps_sub_byte_credit, cap_keeps_the_newest_lines,
		cap_works_with_o_append, cap_shares_the_offset_with_stderr, a_write_above_the_cap_keeps_its_end,
		cap_without_a_reader_still_bounds,
		rate_limit_drops_and_reports_once_a_second, console_log_file_is_private_and_pipes_are_unlimited, NULL,
	};

	return one_case_suite("console_log", "console_log", 30, NULL, NULL, tests);
}
