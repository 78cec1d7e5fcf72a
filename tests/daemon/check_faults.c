/* Faults around vmmd's VMs, on the stand-in vmm: a monitor killed (its VM
 * is watched directly, then destroyed), a VM dying without its monitor
 * (crashed, status unknown), the daemon killed after a start and before
 * recording it (a "starting" record: the VM is found and adopted, or the
 * record dropped), stale files cleaned at start-up, and a slow destroy that
 * does not stall other clients. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_suite.h"
#include "common/harness.h"
#include "msg_tail.h"
#include "suites.h"

static struct vmmd_inst v;
static char out[16384];

#define OK(...) ck_assert_msg(virsh(&v, out, sizeof out, __VA_ARGS__) == 0, "virsh failed: %s", msg_tail(out))
#define HAS(s) ck_assert_msg(strstr(out, s) != NULL, "expected '%s' in: %s", s, msg_tail(out))

static void quiet(void *data, virErrorPtr err)
{
	(void)data, (void)err;
}

static void setup(void)
{
	virSetErrorFunc(NULL, quiet);
	vmmd_fixture_up(&v);
}

static void teardown(void)
{
	vmmd_fixture_down(&v);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void define(const char *name, const char *kernel)
{
	char xml[1024];

	domain_xml(xml, sizeof xml, name, kernel);
	OK("define %s", write_xml(&v, "d.xml", xml));
}

/* Whether pid runs (a zombie left to a non-reaping init does not). */
static int running(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

static int log_has(const char *text)
{
	char path[512];
	static char buf[1 << 16];
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "%s/vmmd.log", v.dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	return strstr(buf, text) != NULL;
}

static int wait_log(const char *text, int ms)
{
	for (int t = 0; t <= ms; t += 25, sleep_ms(25))
		if (log_has(text))
			return 1;
	return 0;
}

static void kill_daemon(void)
{
	kill(v.pid, SIGKILL);
	waitpid(v.pid, NULL, 0);
	v.pid = 0;
}

/* Whether a live process other than vmmd names this test's state
 * directory in its command line (the monitors' status files and vmm's
 * console sockets lie there), still after ms. */
static int state_process_runs(int ms)
{
	for (int t = 0; t <= ms; t += 25, sleep_ms(25)) {
		DIR *d = opendir("/proc");
		struct dirent *de;
		int found = 0;

		while (d && !found && (de = readdir(d))) {
			char cmd[4096];
			long pid = strtol(de->d_name, NULL, 10);

			if (pid <= 1 || pid == (long)v.pid || !proc_cmdline((pid_t)pid, cmd, sizeof cmd))
				continue;
			found = strstr(cmd, v.state) && running((pid_t)pid);
		}
		if (d)
			closedir(d);
		if (!found)
			return 0;
	}
	return 1;
}

/* A vmm that cannot be run (here: no longer executable, after a start
 * that worked) fails the start with the reason, logged once, and leaves
 * no process behind: vmmd's child starts vmm before it becomes the
 * monitor, and that start's error path runs in the daemon's memory. */
START_TEST(vmm_that_cannot_run)
{
	char vmm[600], cmd[1400];

	snprintf(vmm, sizeof vmm, "%s/vmm-copy", v.dir);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", BUILD_DIR "/tests/fake-vmm", vmm);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(vmmd_stop(&v), 0);
	snprintf(cmd, sizeof cmd, "--vmm %s", vmm);
	ck_assert_int_eq(vmmd_restart(&v, cmd), 0);
	define("nx", image_file(&v, "echo.elf"));
	OK("start nx");
	OK("destroy nx");
	ck_assert_int_eq(chmod(vmm, 0644), 0);
	ck_assert_msg(virsh(&v, out, sizeof out, "start nx") != 0, "a vmm that cannot run started: %s", out);
	snprintf(cmd, sizeof cmd, "vmm exited with status 2: vmmd: cannot run %s: Permission denied", vmm);
	HAS(cmd);
	ck_assert(wait_log("vmmd: domain 'nx': failed to start: vmm exited with status 2", 2000));
	OK("domstate nx");
	HAS("shut off");
	ck_assert_msg(!state_process_runs(1000), "a process of the failed start still runs");
}
END_TEST

START_TEST(monitor_killed)
{
	pid_t mon, vmm, mon2, vmm2;

	define("fm", image_file(&v, "echo.elf"));
	OK("start fm");
	vmmd_run_pids(&v, "fm", &mon, &vmm);
	ck_assert(running(mon) && running(vmm));
	kill(mon, SIGKILL);
	ck_assert_msg(wait_log("domain 'fm': its monitor ended; watching vmm", 3000), "no re-adoption line");
	ck_assert(running(vmm));
	OK("domstate fm");
	HAS("running");
	OK("list");
	HAS("fm");
	/* destroy reaches the vmm itself, and a new start is not refused */
	OK("destroy fm");
	ck_assert_int_eq(wait_state(&v, "fm", "shut off", 2000), 0);
	ck_assert(!running(vmm));
	OK("start fm");
	vmmd_run_pids(&v, "fm", &mon2, &vmm2);
	ck_assert(running(vmm2));

	/* now the vmm dies too, with no monitor to record how */
	kill(mon2, SIGKILL);
	ck_assert(wait_log("domain 'fm': its monitor ended; watching vmm", 3000));
	kill(vmm2, SIGKILL);
	ck_assert_msg(wait_log("domain 'fm': vmm ended with no monitor to record how: crashed (status unknown)", 3000),
		      "no status-unknown line");
	ck_assert_int_eq(wait_state(&v, "fm", "shut off", 2000), 0);
	OK("domstate --reason fm");
	HAS("crashed");
}
END_TEST

START_TEST(daemon_killed_after_start)
{
	char path[512], lock[64];
	pid_t mon, vmm, dead;
	int held, fd;

	define("fd", image_file(&v, "echo.elf"));
	OK("start fd");
	vmmd_run_pids(&v, "fd", &mon, &vmm);
	kill_daemon();
	/* leftovers for the start-up clean-up: a temporary file of a dead
	 * writer, a free CID lock file, and a held one that must stay */
	dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	snprintf(path, sizeof path, "%s/run/fd.xml.tmp%ld", v.state, (long)dead);
	close(open(path, O_WRONLY | O_CREAT, 0600));
	mkdir("/run/vmm", 0755);
	snprintf(lock, sizeof lock, "/run/vmm/cid-%ld.lock", 4000000L + (long)getpid());
	close(open(lock, O_WRONLY | O_CREAT, 0600));
	held = open("/run/vmm/cid-3999999.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ck_assert(held >= 0 && flock(held, LOCK_EX) == 0);

	ck_assert_int_eq(vmmd_restart(&v, NULL), 0);
	OK("domstate fd");
	HAS("running");
	ck_assert(running(vmm));
	ck_assert_msg(access(path, F_OK) < 0, "%s is still there", path);
	ck_assert_msg(access(lock, F_OK) < 0, "%s is still there", lock);
	ck_assert(access("/run/vmm/cid-3999999.lock", F_OK) == 0);
	close(held);
	unlink("/run/vmm/cid-3999999.lock");
	OK("destroy fd");
	ck_assert(!running(vmm));

	/* killed between the monitor's start and the saving of its pids: the
	 * record says "starting" (pids 0), the VM is found by its command line */
	OK("start fd");
	vmmd_run_pids(&v, "fd", &mon, &vmm);
	kill_daemon();
	snprintf(path, sizeof path, "%s/run/fd.state", v.state);
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert(fd >= 0 && dprintf(fd, "id=1\nmonitor=0 0\nvmm=0 0\n") > 0);
	close(fd);
	ck_assert_int_eq(vmmd_restart(&v, NULL), 0);
	ck_assert(wait_log("adopting vmm", 1000));
	OK("domstate fd");
	HAS("running");
	OK("destroy fd");
	ck_assert(!running(vmm) && !running(mon));

	/* a starting record with no VM behind it is dropped */
	kill_daemon();
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert(fd >= 0 && dprintf(fd, "id=1\nmonitor=0 0\nvmm=0 0\n") > 0);
	close(fd);
	{
		char def[512], run[512];

		snprintf(def, sizeof def, "%s/domains/fd.xml", v.state);
		snprintf(run, sizeof run, "%s/run/fd.xml", v.state);
		ck_assert(link(def, run) == 0);
	}
	ck_assert_int_eq(vmmd_restart(&v, NULL), 0);
	ck_assert(wait_log("domain 'fd': dropping the record of a start that did not finish", 1000));
	OK("domstate fd");
	HAS("shut off");
	ck_assert(access(path, F_OK) < 0);
}
END_TEST

/* An autostart mark is named after its domain: one whose name looks like
 * a temporary file of a dead writer ("web.tmpPID") keeps it. */
START_TEST(autostart_mark_that_looks_temporary_stays)
{
	char name[64], path[512];
	pid_t dead = fork();

	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	snprintf(name, sizeof name, "web.tmp%ld", (long)dead);
	define(name, image_file(&v, "echo.elf"));
	OK("autostart %s", name);
	snprintf(path, sizeof path, "%s/autostart/%s", v.state, name);
	ck_assert(access(path, F_OK) == 0);
	kill_daemon();
	ck_assert_int_eq(vmmd_restart(&v, NULL), 0);
	ck_assert_msg(access(path, F_OK) == 0, "%s was taken for a temporary file", path);
	OK("dominfo %s", name);
	HAS("enable");
	OK("destroy %s", name);
}
END_TEST

static int median(int *t, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && t[j - 1] > t[j]; j--) {
			int x = t[j];

			t[j] = t[j - 1];
			t[j - 1] = x;
		}
	return t[n / 2];
}

START_TEST(slow_destroy_serves_others)
{
	virConnectPtr c;
	int64_t t0;
	int api[5], cli[5], st;
	pid_t child;

	define("slow", image_file(&v, "slow.elf"));
	OK("start slow");
	c = virConnectOpen(v.uri);
	ck_assert(c != NULL);
	t0 = now_ms();
	child = fork();
	if (child == 0) {
		char o[4096];

		_exit(virsh(&v, o, sizeof o, "destroy slow") == 0 ? 0 : 1);
	}
	sleep_ms(300); /* the destroy is waiting for the vmm now */
	for (int i = 0; i < 5; i++) {
		virDomainPtr *all = NULL;
		int64_t s = now_ms();
		int n = virConnectListAllDomains(c, &all, 0);

		api[i] = (int)(now_ms() - s);
		ck_assert_int_eq(n, 1);
		virDomainFree(all[0]);
		free(all);
		s = now_ms();
		OK("list");
		cli[i] = (int)(now_ms() - s);
		HAS("slow");
	}
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "destroy failed");
	fprintf(stderr, "faults: during a %d ms destroy: virConnectListAllDomains median %d ms, virsh list median %d ms\n",
		(int)(now_ms() - t0), median(api, 5), median(cli, 5));
	ck_assert_msg(now_ms() - t0 >= 2500, "the destroy did not wait for the slow vmm");
	ck_assert_msg(median(cli, 5) < 100, "virsh list took %d ms while a destroy waited", median(cli, 5));
	ck_assert_msg(median(api, 5) < 100, "listing took %d ms while a destroy waited", median(api, 5));
	ck_assert_int_eq(wait_state(&v, "slow", "shut off", 100), 0);
	virConnectClose(c);
}
END_TEST


/* A start waits --start-wait (3 s here) for a vmm that fails at once: as an
 * event of the loop, so another client's list is served meanwhile. */
START_TEST(slow_start_serves_others)
{
	virConnectPtr c;
	int64_t t0;
	int api[5], cli[5], st;
	pid_t child;

	ck_assert_int_eq(vmmd_stop(&v), 0);
	ck_assert_int_eq(vmmd_restart(&v, "--start-wait=3000"), 0);
	define("sw", image_file(&v, "echo.elf"));
	define("other", image_file(&v, "echo.elf"));
	OK("start other");
	c = virConnectOpen(v.uri);
	ck_assert(c != NULL);
	t0 = now_ms();
	child = fork();
	if (child == 0) {
		char o[4096];

		_exit(virsh(&v, o, sizeof o, "start sw") == 0 ? 0 : 1);
	}
	sleep_ms(300); /* the start is in its --start-wait now */
	for (int i = 0; i < 5; i++) {
		virDomainPtr *all = NULL;
		int64_t s = now_ms();
		int n = virConnectListAllDomains(c, &all, 0);

		api[i] = (int)(now_ms() - s);
		ck_assert_int_eq(n, 2);
		for (int k = 0; k < n; k++)
			virDomainFree(all[k]);
		free(all);
		s = now_ms();
		OK("list");
		cli[i] = (int)(now_ms() - s);
		HAS("other");
	}
	OK("domstate sw");
	HAS("running");
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "start failed");
	fprintf(stderr, "faults: during a %d ms start: virConnectListAllDomains median %d ms, virsh list median %d ms\n",
		(int)(now_ms() - t0), median(api, 5), median(cli, 5));
	ck_assert_msg(now_ms() - t0 >= 2500, "the start did not wait --start-wait");
	ck_assert_msg(median(cli, 5) < 100, "virsh list took %d ms while a start waited", median(cli, 5));
	ck_assert_msg(median(api, 5) < 100, "listing took %d ms while a start waited", median(api, 5));
	/* a vmm that fails within the wait still fails the start, with its error */
	define("sf", image_file(&v, "fail.elf"));
	ck_assert(virsh(&v, out, sizeof out, "start sf") != 0);
	HAS("fake setup failure");
	/* its monitor killed within the wait: the vmm runs on, watched, and
	 * the start succeeds */
	define("sm", image_file(&v, "echo.elf"));
	child = fork();
	if (child == 0) {
		char o[4096];

		_exit(virsh(&v, o, sizeof o, "start sm") == 0 ? 0 : 1);
	}
	{
		pid_t mon = 0, vmm = 0;
		char path[512];

		snprintf(path, sizeof path, "%s/run/sm.state", v.state);
		for (int i = 0; i < 100 && !vmm; i++, sleep_ms(20))
			if (access(path, F_OK) == 0)
				vmmd_run_pids(&v, "sm", &mon, &vmm);
		ck_assert_int_gt(vmm, 0);
		ck_assert_int_eq(kill(mon, SIGKILL), 0);
		ck_assert_int_eq(waitpid(child, &st, 0), child);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "start failed");
		ck_assert(wait_log("domain 'sm': its monitor ended; watching vmm", 1000));
		OK("domstate sm");
		HAS("running");
		ck_assert(running(vmm));
		OK("destroy sm");
	}
	virConnectClose(c);
}
END_TEST

/* virsh console right after a start, before the vmm made its socket: the
 * open waits for it as an event of the loop, so others are served. */
START_TEST(console_wait_serves_others)
{
	int cli[5], st;
	int64_t t0;
	pid_t child;

	define("cw", image_file(&v, "sockwait.elf"));
	OK("start cw");
	t0 = now_ms();
	child = fork();
	if (child == 0) {
		virConnectPtr c = virConnectOpen(v.uri);
		virDomainPtr d = c ? virDomainLookupByName(c, "cw") : NULL;
		virStreamPtr s = c ? virStreamNew(c, 0) : NULL;
		char buf[256] = "";
		int n = 0;

		if (!d || !s || virDomainOpenConsole(d, NULL, s, 0) < 0)
			_exit(1);
		/* the vmm greets whoever connects: proof the stream is its */
		while (n < (int)sizeof buf - 1 && !strstr(buf, "\r\n")) {
			int r = virStreamRecv(s, buf + n, sizeof buf - 1 - (size_t)n);

			if (r <= 0)
				_exit(2);
			n += r;
			buf[n] = 0;
		}
		_exit(strstr(buf, "fake console cw") ? 0 : 3);
	}
	sleep_ms(200); /* the open is waiting for the socket now */
	for (int i = 0; i < 5; i++) {
		int64_t s = now_ms();

		OK("list");
		cli[i] = (int)(now_ms() - s);
		HAS("cw");
	}
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "console open failed (%d)", st);
	ck_assert_msg(now_ms() - t0 >= 800, "the console open did not wait for the socket");
	fprintf(stderr, "faults: during a %d ms console open: virsh list median %d ms\n", (int)(now_ms() - t0),
		median(cli, 5));
	ck_assert_msg(median(cli, 5) < 100, "virsh list took %d ms while a console open waited", median(cli, 5));
}
END_TEST

/* vmmd running from a directory of its own, beside a vmmd-monitor that
 * sleeps as long as the file monitor-delay says before it execs the real
 * one: a monitor slow to report the vmm. */
static void slow_monitor_daemon(void)
{
	vmmd_restart_with_monitor_prelude(&v, "sleep \"$(cat %s/monitor-delay 2>/dev/null || echo 0)\"\n");
}

static void monitor_delay(const char *seconds)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof path, "%s/monitor-delay", v.dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(seconds, f);
	fclose(f);
}

/* virsh start in a child; its exit status (0 ok) once reaped, its output in o. */
static pid_t start_in_child(const char *name, const char *o_path)
{
	pid_t child = fork();

	if (child == 0) {
		char o[4096];
		int rc = virsh(&v, o, sizeof o, "start %s", name);
		FILE *f = fopen(o_path, "w");

		if (f) {
			fputs(o, f);
			fclose(f);
		}
		_exit(rc == 0 ? 0 : 1);
	}
	return child;
}

/* A monitor slow to report: the start waits as an event of the loop (the
 * domain paused, starting up, meanwhile), a destroy then ends it at once,
 * and one that never reports in 5 s fails the start with its group killed. */
START_TEST(slow_report_serves_others)
{
	char o_path[600], o[4096] = "";
	int cli[5], st;
	int64_t t0;
	pid_t child;
	FILE *f;

	slow_monitor_daemon();
	snprintf(o_path, sizeof o_path, "%s/start.out", v.dir);
	define("sr", image_file(&v, "echo.elf"));
	monitor_delay("1.5");
	t0 = now_ms();
	child = start_in_child("sr", o_path);
	sleep_ms(300);
	for (int i = 0; i < 5; i++) {
		int64_t s = now_ms();

		OK("list --all");
		cli[i] = (int)(now_ms() - s);
		HAS("sr");
	}
	OK("domstate --reason sr");
	HAS("paused (starting up)");
	ck_assert(virsh(&v, out, sizeof out, "suspend sr") != 0);
	HAS("still starting");
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "start failed");
	fprintf(stderr, "faults: during a %d ms report: virsh list median %d ms\n", (int)(now_ms() - t0),
		median(cli, 5));
	ck_assert_msg(now_ms() - t0 >= 1300, "the start did not wait for the monitor");
	ck_assert_msg(median(cli, 5) < 100, "virsh list took %d ms while a start waited", median(cli, 5));
	OK("domstate sr");
	HAS("running");
	OK("destroy sr");

	/* destroyed while the monitor has not reported */
	monitor_delay("3");
	child = start_in_child("sr", o_path);
	sleep_ms(300);
	t0 = now_ms();
	OK("destroy sr");
	ck_assert_msg(now_ms() - t0 < 1000, "the destroy waited %d ms", (int)(now_ms() - t0));
	OK("domstate --reason sr");
	HAS("shut off (destroyed)");
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	f = fopen(o_path, "r");
	ck_assert_ptr_nonnull(f);
	o[fread(o, 1, sizeof o - 1, f)] = 0;
	fclose(f);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1 && strstr(o, "was destroyed while it started"), "%s", o);

	/* never reports: the start fails after 5 s */
	monitor_delay("8");
	t0 = now_ms();
	ck_assert(virsh(&v, out, sizeof out, "start sr") != 0);
	HAS("cannot start the vmm process");
	ck_assert_msg(now_ms() - t0 >= 4500 && now_ms() - t0 < 7000, "failed after %d ms", (int)(now_ms() - t0));
	OK("domstate --reason sr");
	HAS("shut off (failed)");
	ck_assert(wait_log("domain 'sr': failed to start: cannot start the vmm process", 1000));
}
END_TEST

Suite *faults_suite(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("faults");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, vmm_that_cannot_run);
	tcase_add_test(tc, monitor_killed);
	tcase_add_test(tc, daemon_killed_after_start);
	tcase_add_test(tc, autostart_mark_that_looks_temporary_stays);
	tcase_add_test(tc, slow_destroy_serves_others);
	tcase_add_test(tc, slow_start_serves_others);
	tcase_add_test(tc, console_wait_serves_others);
	tcase_add_test(tc, slow_report_serves_others);
	suite_add_tcase(s, tc);
	return s;
}
