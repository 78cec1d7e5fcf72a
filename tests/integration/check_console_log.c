/* Console output into files stays bounded against a guest that floods it
 * (tests/guests/flood.c, 64 KiB records through the bulk console port as
 * fast as it can): `vmm run --console-log FILE`, and stdout and stderr as
 * one regular file, as vmmd gives them. Each run lasts until the file shows
 * both a cut (the size cap) and a dropped-bytes line (the rate limit), a
 * couple of seconds on KVM, longer where guests run slowly. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_suite.h"
#include "integration/proc.h"
#include "msg_tail.h"

#define CAP         (1u << 20)
#define STATUS_LINE 200 /* vmm's last stderr line may pass the cap by this (vmm run --help) */
#define WAIT_MS     90000
#define CUT_LINE    "vmm: flood: console: log over its cap of 1048576 bytes, cut: "
#define DROP_LINE   " bytes dropped (rate limit)\n"

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = malloc((size_t)n + 1);
	*len = fread(s, 1, (size_t)n, f);
	s[*len] = 0;
	fclose(f);
	return s;
}

static void sleep_ms(int ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

/* Starts vmm on the flood guest with extra args; out_fd (if >= 0) becomes
 * its stdout and stderr (one open file), else they go to /dev/null. */
static pid_t start_flood(const char *const extra[], int out_fd)
{
	char guest[256];
	const char *argv[24] = { vmm_bin(), "run", "--kernel", guest_path("flood", guest, sizeof guest), "--name", "flood",
				 "--console=output", "--console-log-max=1M", "--console-rate=256K",
				 "--console-burst=512K" };
	int n = 10;
	pid_t pid;

	for (int i = 0; extra[i]; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(out_fd >= 0 ? out_fd : null, 1);
		dup2(out_fd >= 0 ? out_fd : null, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	return pid;
}

/* Waits for the cut and the dropped-bytes line, checking the cap all along;
 * then lets the flood run a little longer and stops vmm with SIGTERM. */
static int flood_until_cut(pid_t pid, const char *path)
{
	size_t len = 0;
	char *text = NULL;
	int status, waited = 0;

	for (;;) {
		free(text);
		text = read_file(path, &len);
		ck_assert_msg(len <= CAP, "the file grew to %zu bytes", len);
		if (text && strncmp(text, CUT_LINE, strlen(CUT_LINE)) == 0 && strstr(text, DROP_LINE))
			break;
		ck_assert_msg(waitpid(pid, &status, WNOHANG) == 0, "vmm ended early (status %d): %s", status,
			      text ? msg_tail(text) : "no file");
		ck_assert_msg(waited < WAIT_MS, "no cut and dropped-bytes line after %d s: %s", WAIT_MS / 1000,
			      text ? msg_tail(text) : "no file");
		sleep_ms(50);
		waited += 50;
	}
	free(text);
	sleep_ms(500);
	kill(pid, SIGTERM);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* After the cut line: whole flood lines and dropped-bytes lines, records in
 * increasing order; returns the last record's number. */
static long check_newest_in_order(const char *text)
{
	const char *p = strchr(text, '\n') + 1;
	long prev = -1, n, drops = 0;

	ck_assert_msg(strncmp(text, CUT_LINE, strlen(CUT_LINE)) == 0, "starts: %.120s", text);
	for (; *p; p = strchr(p, '\n') + 1) {
		const char *nl = strchr(p, '\n');

		ck_assert_msg(nl, "a last line without its newline: %s", msg_tail(p));
		if (sscanf(p, "flood %ld ", &n) == 1) {
			ck_assert_msg(n > prev, "record %ld after %ld", n, prev);
			prev = n;
		} else if (strncmp(p, "vmm: flood: console: ", 21) == 0 && nl + 1 - p > (long)strlen(DROP_LINE) &&
			   strncmp(nl + 1 - strlen(DROP_LINE), DROP_LINE, strlen(DROP_LINE)) == 0) {
			drops++;
		} else if (strcmp(p, "vmm: flood: stopped by Terminated\n") != 0) {
			ck_assert_msg(strspn(p, ".") == 63 && p[63] == '\n', "not a flood line: %.80s", p);
		}
	}
	ck_assert_int_gt(drops, 0);
	ck_assert_int_gt(prev, 0);
	return prev;
}

START_TEST(console_log_file_stays_under_its_cap)
{
	char path[] = "/tmp/check_console_log.XXXXXX", err_path[] = "/tmp/check_console_log_err.XXXXXX";
	int fd = mkstemp(path), err_fd = mkstemp(err_path);
	const char *extra[] = { "--console-log", path, NULL };
	struct stat st;
	size_t len;
	char *text, *err;

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(flood_until_cut(start_flood(extra, err_fd), path), 128 + SIGTERM);
	close(err_fd);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	text = read_file(path, &len);
	ck_assert_uint_le(len, CAP);
	ck_assert_uint_ge(len, CAP / 2); /* cut to the newest half, then written on */
	check_newest_in_order(text);
	err = read_file(err_path, &len); /* only vmm's own lines: none of the console */
	ck_assert_msg(len >= 34 && strcmp(err + len - 34, "vmm: flood: stopped by Terminated\n") == 0 &&
			      !strstr(err, "flood 0"),
		      "stderr: %s", msg_tail(err));
	free(text);
	free(err);
	unlink(path);
	unlink(err_path);
}
END_TEST

START_TEST(stdout_and_stderr_in_one_file_stay_under_the_cap)
{
	char path[] = "/tmp/check_console_log.XXXXXX";
	int fd = mkstemp(path);
	const char *extra[] = { NULL };
	size_t len;
	char *text;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flood_until_cut(start_flood(extra, fd), path), 128 + SIGTERM);
	close(fd);
	text = read_file(path, &len);
	ck_assert_uint_le(len, CAP + STATUS_LINE);
	check_newest_in_order(text);
	ck_assert_msg(len > 34 && strcmp(text + len - 34, "vmm: flood: stopped by Terminated\n") == 0, "ends: %s",
		      msg_tail(text));
	free(text);
	unlink(path);
}
END_TEST

int main(void)
{
	const TTest *const tests[] = {
		console_log_file_stays_under_its_cap,
		stdout_and_stderr_in_one_file_stay_under_the_cap,
		NULL,
	};

	return run_suite(one_case_suite("console_log", "vmm run console limits", 300, NULL, NULL, tests));
}
