/* Each VM's cgroup: made with the limits of the domain's XML or the
 * defaults, holding the VM's process (the vmm, moved by a thread of vmmd
 * once it is started, before the start is reported: cgroup_move.h, whose
 * outcomes are checked here too), reported by virsh memtune and
 * schedinfo, and gone after the VM; a move that fails fails the start,
 * with the vmm gone. Skipped (with a note) where vmmd cannot use cgroups
 * (not root, read-only): vmmd says so in its log. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_suite.h"
#include "common/harness.h"
#include "daemon/core/cgroup_move.h"
#include "msg_tail.h"
#include "suites.h"

static struct vmmd_inst v;
static char out[16384];

static void setup(void)
{
	vmmd_fixture_up(&v);
}

static void teardown(void)
{
	vmmd_fixture_down(&v);
}

#define OK(...) ck_assert_msg(virsh(&v, out, sizeof out, __VA_ARGS__) == 0, "virsh failed: %s", msg_tail(out))
#define HAS(s) ck_assert_msg(strstr(out, s) != NULL, "expected '%s' in: %s", s, msg_tail(out))

/* The text of a file, trimmed; "" when unreadable. */
static const char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = 0;
	while (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	return buf;
}

/* The file of the VM's group (by UUID) for controller ctl; *v2 says which. */
static const char *vm_file(const char *ctl, const char *uuid, const char *file, int *v2)
{
	static char p[8500];
	char dir[8300];

	*v2 = vmmd_cgroup_dir(&v, ctl, dir, sizeof dir);
	ck_assert_msg(*v2 >= 0, "no %s hierarchy for vmmd %d", ctl, (int)v.pid);
	snprintf(p, sizeof p, "%s/vmm/%s%s%s", dir, uuid, file ? "/" : "", file ? file : "");
	return p;
}

static bool cgroups_usable(void)
{
	char log[600];

	snprintf(log, sizeof log, "%s/vmmd.log", v.dir);
	if (strstr(slurp(log), "vmmd: warning: VMs run without ")) {
		fprintf(stderr, "check_cgroup: skipped, vmmd has no cgroups here: %s\n", slurp(log));
		return false;
	}
	return true;
}

static void uuid_of(const char *name, char uuid[37])
{
	OK("domuuid %s", name);
	snprintf(uuid, 37, "%.36s", out);
}

static long vmm_pid(const char *name)
{
	return (long)vmmd_vmm_pid(&v, name);
}

/* The VM's group file for ctl holds want1 on v1 hierarchies, want2 (in file2) on v2. */
static void expect(const char *ctl, const char *uuid, const char *file1, const char *want1, const char *file2,
		   const char *want2)
{
	int v2;
	const char *p = vm_file(ctl, uuid, file1, &v2), *want = want1;

	if (v2)
		p = vm_file(ctl, uuid, file2, &v2), want = want2;
	ck_assert_msg(strcmp(slurp(p), want) == 0, "%s: '%s', not '%s'", p, slurp(p), want);
}

/* /proc/PID/cgroup names the VM's group (by UUID) for ctl: the line of
 * the v1 hierarchy that has it ("N:...,ctl,...:/PATH"), or the v2 one
 * ("0::/PATH"). */
static void proc_in_group(long pid, const char *what, const char *ctl, const char *uuid, int v2)
{
	char path[64], want[80], text[4096], *line, *save = NULL;
	bool found = false;

	snprintf(path, sizeof path, "/proc/%ld/cgroup", pid);
	snprintf(text, sizeof text, "%s", slurp(path));
	snprintf(want, sizeof want, "/vmm/%s", uuid);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *ctls = strchr(line, ':'), *dir = ctls ? strchr(ctls + 1, ':') : NULL;
		bool ours = false;

		if (!dir)
			continue;
		*dir++ = 0;
		ctls++;
		if (v2)
			ours = strncmp(line, "0", 2) == 0 && !*ctls;
		else
			for (char *c = strtok(ctls, ","); c; c = strtok(NULL, ","))
				ours |= strcmp(c, ctl) == 0;
		if (ours) {
			size_t n = strlen(dir), w = strlen(want);

			ck_assert_msg(n >= w && strcmp(dir + n - w, want) == 0, "%s %ld: its %s group is %s, not .../vmm/%s",
				      what, pid, ctl, dir, uuid);
			found = true;
		}
	}
	ck_assert_msg(found, "%s %ld: no %s hierarchy in %s", what, pid, ctl, path);
}

/* The vmm (in the group's cgroup.procs, and by its /proc/PID/cgroup) is in
 * the VM's groups once the start has returned. */
static const char *const ctls[] = { "memory", "cpu", "pids" };

static void holds_vmm(const char *uuid, const char *name)
{
	char line[40], procs[4200];
	int v2;

	snprintf(line, sizeof line, "\n%ld\n", vmm_pid(name));
	ck_assert_msg(vmm_pid(name) > 0, "no pid for '%s'", name);
	for (int i = 0; i < 3; i++) {
		snprintf(procs, sizeof procs, "\n%s\n", slurp(vm_file(ctls[i], uuid, "cgroup.procs", &v2)));
		ck_assert_msg(strstr(procs, line), "vmm %ld of '%s' not in its %s group: %s", vmm_pid(name), name,
			      ctls[i], procs);
		proc_in_group(vmm_pid(name), "vmm", ctls[i], uuid, v2);
	}
}

START_TEST(limits_from_xml_and_defaults)
{
	const char *kernel = write_xml(&v, "k.elf", "not a kernel: the fake vmm runs on a name");
	char xml[2048], kpath[600], uuid[37], uuid2[37];
	int v2;

	if (!cgroups_usable())
		return;
	snprintf(kpath, sizeof kpath, "%s", kernel);
	snprintf(xml, sizeof xml,
		 "<domain type='kvm'><name>lim</name><memory unit='MiB'>64</memory>"
		 "<memtune><hard_limit unit='MiB'>100</hard_limit></memtune><vcpu>2</vcpu>"
		 "<cputune><shares>512</shares><period>50000</period><quota>20000</quota></cputune>"
		 "<os><type>hvm</type><kernel>%s</kernel></os></domain>",
		 kpath);
	OK("define %s", write_xml(&v, "lim.xml", xml));
	domain_xml(xml, sizeof xml, "dflt", kpath); /* 64 MiB, 1 vCPU, no tuning */
	OK("define %s", write_xml(&v, "dflt.xml", xml));
	OK("start lim");
	OK("start dflt");
	uuid_of("lim", uuid);
	uuid_of("dflt", uuid2);

	/* from the XML; the quota is per vCPU (libvirt's meaning), the group has 2 */
	expect("memory", uuid, "memory.limit_in_bytes", "104857600", "memory.max", "104857600");
	expect("cpu", uuid, "cpu.shares", "512", "cpu.weight", "50");
	expect("cpu", uuid, "cpu.cfs_period_us", "50000", "cpu.max", "40000 50000");
	expect("cpu", uuid, "cpu.cfs_quota_us", "40000", "cpu.max", "40000 50000");
	expect("pids", uuid, "pids.max", "10", "pids.max", "10");
	holds_vmm(uuid, "lim");
	/* defaults: RAM + 64 MiB, equal shares, no quota, 1 vCPU + 8 tasks */
	expect("memory", uuid2, "memory.limit_in_bytes", "134217728", "memory.max", "134217728");
	expect("cpu", uuid2, "cpu.shares", "1024", "cpu.weight", "100");
	expect("cpu", uuid2, "cpu.cfs_quota_us", "-1", "cpu.max", "max 100000");
	expect("pids", uuid2, "pids.max", "9", "pids.max", "9");
	holds_vmm(uuid2, "dflt");

	OK("memtune lim");
	HAS("hard_limit     : 102400");
	OK("memtune dflt");
	HAS("hard_limit     : 131072");
	OK("schedinfo lim");
	HAS("Scheduler      : posix");
	HAS("cpu_shares     : 512");
	HAS("vcpu_period    : 50000");
	HAS("vcpu_quota     : 20000");
	OK("schedinfo --config dflt");
	HAS("cpu_shares     : 1024");
	HAS("vcpu_quota     : -1");
	OK("dumpxml lim");
	HAS("<hard_limit unit='KiB'>102400</hard_limit>");
	OK("dumpxml dflt");
	ck_assert_msg(!strstr(out, "tune>"), "defaults shown: %s", msg_tail(out));

	OK("destroy lim");
	OK("destroy dflt");
	for (int i = 0; i < 3; i++) {
		const char *d1 = vm_file(ctls[i], uuid, NULL, &v2);

		ck_assert_msg(access(d1, F_OK) < 0 && errno == ENOENT, "%s is still there", d1);
		d1 = vm_file(ctls[i], uuid2, NULL, &v2);
		ck_assert_msg(access(d1, F_OK) < 0 && errno == ENOENT, "%s is still there", d1);
	}
}
END_TEST

/* Some process's command line holds an argument equal to arg. */
static bool process_with_arg(const char *arg)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	bool found = false;

	ck_assert_ptr_nonnull(d);
	while (!found && (de = readdir(d))) {
		char path[300], buf[8192];
		FILE *f;
		size_t n;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/cmdline", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = 0;
		for (size_t i = 0; i < n && !found; i += strlen(buf + i) + 1)
			found = strcmp(buf + i, arg) == 0;
	}
	closedir(d);
	return found;
}

/* Where the kernel schedules real-time tasks per group (cgroup v1 with
 * RT_GROUP_SCHED: cpu.rt_runtime_us), a new group has no real-time time:
 * moving a SCHED_FIFO task into it fails (EINVAL). */
static bool rt_group_sched(const char *uuid)
{
	char dir[8300], path[8400];
	int v2;

	vm_file("cpu", uuid, NULL, &v2);
	if (v2 || vmmd_cgroup_dir(&v, "cpu", dir, sizeof dir) < 0)
		return false;
	snprintf(path, sizeof path, "%s/cpu.rt_runtime_us", dir);
	return access(path, F_OK) == 0;
}

/* A move into the VM's groups that fails fails the start with vmmd's
 * cgroup error, and leaves no vmm running; the next start runs in its
 * groups. The failure is a real one: vmmd started as a SCHED_FIFO task
 * (inherited by its vmm) where new groups get no real-time time. */
START_TEST(failed_move_fails_the_start)
{
	struct sched_param rt = { .sched_priority = 1 }, normal = { .sched_priority = 0 };
	char xml[2048], uuid[37];
	int rc;

	if (!cgroups_usable())
		return;
	domain_xml(xml, sizeof xml, "cgfail", image_file(&v, "k.elf"));
	OK("define %s", write_xml(&v, "cgfail.xml", xml));
	uuid_of("cgfail", uuid);
	if (!rt_group_sched(uuid)) {
		fprintf(stderr, "check_cgroup: failed_move_fails_the_start skipped: no real-time group scheduling here\n");
		return;
	}
	ck_assert_int_eq(vmmd_stop(&v), 0);
	if (sched_setscheduler(0, SCHED_FIFO, &rt) < 0) {
		fprintf(stderr, "check_cgroup: failed_move_fails_the_start skipped: SCHED_FIFO refused (%s)\n",
			strerror(errno));
		ck_assert_int_eq(vmmd_restart(&v, NULL), 0);
		return;
	}
	rc = vmmd_restart(&v, NULL);
	ck_assert_int_eq(sched_setscheduler(0, SCHED_OTHER, &normal), 0);
	ck_assert_int_eq(rc, 0);

	ck_assert_msg(virsh(&v, out, sizeof out, "start cgfail") != 0, "started outside its cgroup: %s",
		      msg_tail(out));
	HAS("cannot move the VM's processes into its cgroup: Invalid argument");
	OK("domstate cgfail");
	HAS("shut off");
	snprintf(xml, sizeof xml, "--console-socket=%s/run/cgfail.sock", v.state); /* this daemon's vmm */
	ck_assert_msg(!process_with_arg(xml), "the vmm of a failed start still runs");

	ck_assert_int_eq(vmmd_stop(&v), 0);
	ck_assert_int_eq(vmmd_restart(&v, NULL), 0);
	OK("start cgfail");
	holds_vmm(uuid, "cgfail");
	OK("destroy cgfail");
}
END_TEST

/* cgroup_move on its own, on pids groups of its own below vmmd's: the
 * thread makes a VM's group (with its limit) and moves a process into it;
 * a group it cannot make is its error; with no hierarchies at all it
 * reports success at once. The move alone: a group removed after its
 * cgroup.procs was opened fails (ENODEV, as when a move loses a race with
 * a removal), a process that has ended is no error (nothing to move). */
START_TEST(move_reports_each_outcome)
{
	char dir[8300], base[8400], g1[8500], g2[8600], procs[8700], pid_text[24];
	struct cgroups cg = { 0 }, none = { 0 };
	struct domain_config c = { .mem_kib = 16384, .vcpus = 1 };
	struct cgroup_join j;
	struct verr e = { 0 };
	pid_t child;
	int fd, v2;

	if (!cgroups_usable())
		return;
	v2 = vmmd_cgroup_dir(&v, "pids", dir, sizeof dir);
	ck_assert_int_ge(v2, 0);
	snprintf(base, sizeof base, "%s/vmm/move-test-%ld", dir, (long)getpid());
	ck_assert_int_eq(mkdir(base, 0755), 0);
	if (v2) { /* the unified hierarchy: the controller is enabled per level, as vmmd does for its vmm/ */
		snprintf(procs, sizeof procs, "%s/cgroup.subtree_control", base);
		fd = open(procs, O_WRONLY | O_CLOEXEC);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, "+pids", 5), 5);
		close(fd);
	}
	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	ck_assert_int_gt(child, 0);
	snprintf(pid_text, sizeof pid_text, "%ld", (long)child);

	cg.base[CG_PIDS] = base;
	cg.v2[CG_PIDS] = v2 == 1;
	ck_assert_int_eq(uuid_parse("6f1a2b3c-0000-4000-8000-00000000abcd", c.uuid), 0);
	fd = cgroup_move_start(&cg, &c, child, &e);
	ck_assert_int_ge(fd, 0);
	ck_assert_msg(cgroup_move_result(fd, &e) == 0, "%s", e.msg);
	snprintf(g1, sizeof g1, "%s/6f1a2b3c-0000-4000-8000-00000000abcd", base);
	snprintf(procs, sizeof procs, "%s/cgroup.procs", g1);
	ck_assert_msg(strstr(slurp(procs), pid_text), "%s not in %s: %s", pid_text, procs, slurp(procs));
	snprintf(procs, sizeof procs, "%s/pids.max", g1);
	ck_assert_str_eq(slurp(procs), "9");

	snprintf(g2, sizeof g2, "%s/no-such-dir", base);
	cg.base[CG_PIDS] = g2;
	fd = cgroup_move_start(&cg, &c, child, &e);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(cgroup_move_result(fd, &e), -1);
	ck_assert_msg(strstr(e.msg, "cannot create cgroup") && strstr(e.msg, "No such file or directory"), "%s", e.msg);

	fd = cgroup_move_start(&none, &c, child, &e);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(cgroup_move_result(fd, &e), 0);

	snprintf(g2, sizeof g2, "%s/gone", base);
	ck_assert_int_eq(mkdir(g2, 0755), 0);
	snprintf(procs, sizeof procs, "%s/cgroup.procs", g2);
	j.fd[0] = open(procs, O_WRONLY | O_CLOEXEC);
	j.n = 1;
	ck_assert_int_ge(j.fd[0], 0);
	ck_assert_int_eq(rmdir(g2), 0);
	ck_assert_int_eq(cgroup_move_now(&j, child), ENODEV);

	kill(child, SIGKILL);
	ck_assert_int_eq(waitid(P_PID, (id_t)child, &(siginfo_t){ 0 }, WEXITED | WNOWAIT), 0); /* a zombie now */
	snprintf(procs, sizeof procs, "%s/cgroup.procs", g1);
	j.fd[0] = open(procs, O_WRONLY | O_CLOEXEC);
	j.n = 1;
	ck_assert_int_eq(cgroup_move_now(&j, child), 0);
	ck_assert_int_eq(waitpid(child, NULL, 0), child);
	for (int i = 0; i < 100 && rmdir(g1) < 0; i++)
		usleep(10000);
	ck_assert_int_eq(rmdir(base), 0);
}
END_TEST

Suite *cgroup_suite(void)
{
	const TTest *const tests[] = { limits_from_xml_and_defaults, failed_move_fails_the_start, move_reports_each_outcome,
				       NULL };

	return one_case_suite("cgroup", "limits", 60, setup, teardown, tests);
}
