/* vmmd-monitor run directly, as vmmd runs it (a unix socketpair as its
 * report socket, exec'd in the parent of the vmm it is given, started
 * first), with a shell standing in for vmm: it reports and records the vmm
 * after vmmd's go, kills it when no go comes (vmmd's start failed, or vmmd
 * died), and refuses a VMM_PID that is not its child. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_suite.h"
#include "suites.h"

#define REPORT_FD 5

static char dir[256];
static char status_path[300], pid_path[300];

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/vmmd-monitor-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(status_path, sizeof status_path, "%s/vm.status", dir);
	snprintf(pid_path, sizeof pid_path, "%s/vmm.pid", dir);
}

static void teardown(void)
{
	unlink(status_path);
	unlink(pid_path);
	rmdir(dir);
}

/* Starts the monitor, as vmmd does, in the parent of a "vmm" that writes
 * its pid to pid_path and sleeps; *sock is vmmd's end of the report
 * socket. vmm_pid: the pid the monitor is given, 0 for that vmm's. */
static pid_t start_monitor_with(int *sock, long vmm_pid)
{
	char script[1024], pid_text[24];
	int sv[2];
	pid_t pid;

	snprintf(script, sizeof script, "echo $$ > %s.tmp && mv %s.tmp %s && exec sleep 30", pid_path, pid_path,
		 pid_path);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		pid_t vmm;

		if (dup2(sv[1], REPORT_FD) < 0 || fcntl(REPORT_FD, F_SETFD, 0) < 0) /* it may be sv[1] itself */
			_exit(99);
		vmm = fork();
		if (vmm == 0) {
			close(REPORT_FD);
			execl("/bin/sh", "sh", "-c", script, (char *)NULL);
			_exit(97);
		}
		snprintf(pid_text, sizeof pid_text, "%ld", vmm_pid ? vmm_pid : (long)vmm);
		execl(BUILD_DIR "/vmmd-monitor", "vmmd-monitor", status_path, "5", pid_text, (char *)NULL);
		_exit(98);
	}
	close(sv[1]);
	*sock = sv[0];
	return pid;
}

static pid_t start_monitor(int *sock)
{
	return start_monitor_with(sock, 0);
}

/* The vmm's pid, once it has written it (it runs before any go). */
static pid_t vmm_started(void)
{
	for (int i = 0; i < 1000; i++) {
		FILE *f = fopen(pid_path, "r");
		long pid = 0;

		if (f) {
			ck_assert_int_eq(fscanf(f, "%ld", &pid), 1);
			fclose(f);
			return (pid_t)pid;
		}
		usleep(10000);
	}
	ck_abort_msg("the vmm did not start before the go");
	return -1;
}

static int exit_status(pid_t monitor)
{
	int st;

	ck_assert_int_eq(waitpid(monitor, &st, 0), monitor);
	ck_assert_msg(WIFEXITED(st), "monitor ended by signal %d", WTERMSIG(st));
	return WEXITSTATUS(st);
}

START_TEST(no_go_kills_the_vmm)
{
	int sock;
	pid_t mon = start_monitor(&sock), vmm = vmm_started();

	ck_assert_int_eq(kill(vmm, 0), 0);
	close(sock); /* vmmd's start failed, or vmmd died */
	ck_assert_int_eq(exit_status(mon), 4);
	ck_assert_msg(kill(vmm, 0) < 0 && errno == ESRCH, "the vmm of a start with no go still runs");
	ck_assert_msg(access(status_path, F_OK) < 0, "a start with no go recorded a status");
}
END_TEST

/* A message that is not a go ('g') is no go either. */
START_TEST(other_message_is_no_go)
{
	int sock;
	pid_t mon = start_monitor(&sock), vmm = vmm_started();

	ck_assert_int_eq(send(sock, "x", 1, 0), 1);
	ck_assert_int_eq(exit_status(mon), 4);
	ck_assert(kill(vmm, 0) < 0 && errno == ESRCH);
	close(sock);
}
END_TEST

/* A go with no groups (vmmd has no cgroups): the vmm is reported, and its
 * end recorded in the status file. */
START_TEST(go_reports_and_records)
{
	int sock;
	pid_t mon = start_monitor(&sock), vmm = vmm_started(), reported = 0;
	char text[32] = "";
	FILE *f;

	ck_assert_int_eq(send(sock, "g", 1, 0), 1);
	ck_assert_int_eq(recv(sock, &reported, sizeof reported, 0), (ssize_t)sizeof reported);
	ck_assert_int_eq(reported, vmm);
	close(sock);
	ck_assert_int_eq(kill(vmm, SIGTERM), 0);
	ck_assert_int_eq(exit_status(mon), 0);
	f = fopen(status_path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(text, sizeof text, f));
	fclose(f);
	ck_assert_int_eq(atoi(text), SIGTERM); /* the wait status of a vmm killed by SIGTERM */
}
END_TEST

/* A VMM_PID that is not the monitor's child (here the test's own) is
 * refused before anything: nothing is reported or recorded. */
START_TEST(vmm_pid_not_a_child_is_refused)
{
	int sock;
	pid_t mon = start_monitor_with(&sock, (long)getpid()), vmm = vmm_started(), reported;

	ck_assert_int_eq(exit_status(mon), 2);
	ck_assert_int_eq(recv(sock, &reported, sizeof reported, MSG_DONTWAIT), 0); /* closed, nothing sent */
	ck_assert_msg(access(status_path, F_OK) < 0, "a refused monitor recorded a status");
	close(sock);
	kill(vmm, SIGKILL);
}
END_TEST

Suite *monitor_suite(void)
{
	const TTest *const tests[] = { no_go_kills_the_vmm, other_message_is_no_go, go_reports_and_records,
				       vmm_pid_not_a_child_is_refused, NULL };

	return one_case_suite("monitor", "go", 30, setup, teardown, tests);
}
