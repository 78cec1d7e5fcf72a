/* Faults around vmmd's VMs, on the stand-in vmm: VMs that end while the
 * daemon is down (how, from vmm's own record; crashed, status unknown,
 * when there is none), the daemon killed after a start and before
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
 * directory in its command line (vmm's console socket lies there), still
 * after ms. */
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
			found = strstr(cmd, v.state) && proc_running((pid_t)pid);
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
 * no process behind: the error path of vmmd's child runs in the daemon's
 * memory until it exits. */
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

/* A VM that ends while the daemon is down: the restarted daemon reads how
 * from vmm's own record (--exit-status) and applies the domain's action;
 * one killed by a signal meanwhile left none: crashed, status unknown. */
START_TEST(vm_ends_while_daemon_is_down)
{
	pid_t vmm;

	define("po", image_file(&v, "latepoweroff.elf"));
	define("kd", image_file(&v, "echo.elf"));
	OK("start po");
	OK("start kd");
	vmm = vmmd_vmm_pid(&v, "po");
	kill_daemon();
	for (int i = 0; i < 300 && proc_running(vmm); i++) /* it powers off after 3 s */
		sleep_ms(25);
	ck_assert_msg(!proc_running(vmm), "the vmm did not power off");
	ck_assert_int_eq(kill(vmmd_vmm_pid(&v, "kd"), SIGKILL), 0);
	ck_assert_int_eq(vmmd_restart(&v, NULL), 0);
	ck_assert_msg(wait_log("domain 'po': stopped: the guest powered off", 3000), "no power-off line");
	OK("domstate --reason po");
	HAS("shut off (shutdown)");
	ck_assert_msg(wait_log("domain 'kd': vmm ended with no exit status recorded: crashed (status unknown)", 3000),
		      "no status-unknown line");
	OK("domstate --reason kd");
	HAS("crashed");
	OK("start po"); /* and they start again */
	OK("start kd");
	OK("destroy po");
	OK("destroy kd");
}
END_TEST

START_TEST(daemon_killed_after_start)
{
	char path[512], lock[64];
	pid_t vmm, dead;
	int held, fd;

	define("fd", image_file(&v, "echo.elf"));
	OK("start fd");
	vmm = vmmd_vmm_pid(&v, "fd");
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
	ck_assert(proc_running(vmm));
	ck_assert_msg(access(path, F_OK) < 0, "%s is still there", path);
	ck_assert_msg(access(lock, F_OK) < 0, "%s is still there", lock);
	ck_assert(access("/run/vmm/cid-3999999.lock", F_OK) == 0);
	close(held);
	unlink("/run/vmm/cid-3999999.lock");
	OK("destroy fd");
	ck_assert(!proc_running(vmm));

	/* killed between the vmm's start and the saving of its pid: the record
	 * says "starting" (pid 0), the VM is found by its command line */
	OK("start fd");
	vmm = vmmd_vmm_pid(&v, "fd");
	kill_daemon();
	snprintf(path, sizeof path, "%s/run/fd.state", v.state);
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert(fd >= 0 && dprintf(fd, "id=1\nvmm=0 0\n") > 0);
	close(fd);
	ck_assert_int_eq(vmmd_restart(&v, NULL), 0);
	ck_assert(wait_log("adopting vmm", 1000));
	OK("domstate fd");
	HAS("running");
	OK("destroy fd");
	ck_assert(!proc_running(vmm));

	/* a starting record of a vmm that came from a standby names its pid
	 * (its command line may not name the domain): that process is the VM */
	{
		pid_t other = fork();
		char stat[512], *p;
		unsigned long long start = 0;
		FILE *f;

		if (other == 0) {
			execl("/bin/sleep", "sleep", "60", (char *)NULL);
			_exit(127);
		}
		ck_assert_int_gt(other, 0);
		usleep(50000);
		snprintf(stat, sizeof stat, "/proc/%ld/stat", (long)other);
		f = fopen(stat, "r");
		ck_assert(f && fgets(stat, sizeof stat, f));
		fclose(f);
		p = strrchr(stat, ')');
		for (int field = 2; p && field < 22; field++)
			p = strchr(p + 1, ' ');
		ck_assert(p && sscanf(p, " %llu", &start) == 1);
		OK("start fd");
		vmm = vmmd_vmm_pid(&v, "fd");
		kill_daemon();
		kill(vmm, SIGKILL);
		for (int i = 0; i < 100 && proc_running(vmm); i++)
			usleep(10000);
		fd = open(path, O_WRONLY | O_TRUNC);
		ck_assert(fd >= 0 && dprintf(fd, "id=1\nvmm=0 0\nstandby=%ld %llu\n", (long)other, start) > 0);
		close(fd);
		ck_assert_int_eq(vmmd_restart(&v, NULL), 0);
		snprintf(stat, sizeof stat, "adopting vmm (pid %ld)", (long)other);
		ck_assert(wait_log(stat, 1000));
		OK("domstate fd");
		HAS("running");
		OK("destroy fd");
		ck_assert_int_eq(waitpid(other, NULL, 0), other);
	}

	/* a starting record with no VM behind it is dropped (this one in an
	 * older vmmd's form, which named a monitor process too) */
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

Suite *faults_suite(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("faults");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, vmm_that_cannot_run);
	tcase_add_test(tc, vm_ends_while_daemon_is_down);
	tcase_add_test(tc, daemon_killed_after_start);
	tcase_add_test(tc, autostart_mark_that_looks_temporary_stays);
	tcase_add_test(tc, slow_destroy_serves_others);
	tcase_add_test(tc, slow_start_serves_others);
	tcase_add_test(tc, console_wait_serves_others);
	suite_add_tcase(s, tc);
	return s;
}
