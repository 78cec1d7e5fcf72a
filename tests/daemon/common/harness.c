#include "common/harness.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int can_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	snprintf(sa.sun_path, sizeof sa.sun_path, "%.100s", path);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	close(fd);
	return rc == 0;
}

static int spawn(struct vmmd_inst *v, const char *extra_arg)
{
	char log[400];

	snprintf(log, sizeof log, "%s/vmmd.log", v->dir);
	v->pid = fork();
	if (v->pid < 0)
		return -1;
	if (v->pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		char build[PATH_MAX];
		/* image directories: the test's own and the build's (kernels, guests) */
		char *argv[28] = { "vmmd-san", "-f", "--socket", v->sock, "--state-dir", v->state, "--vmm", v->vmm,
				   "--shutdown-timeout", "2", "--images", v->dir, "--images",
				   realpath(BUILD_DIR, build) ? build : BUILD_DIR },
		     *extra = extra_arg ? strdup(extra_arg) : NULL;
		int n = 14;

		/* extra_arg: options separated by spaces (later ones override the above) */
		for (char *tok = extra ? strtok(extra, " ") : NULL; tok && n < 27; tok = strtok(NULL, " "))
			argv[n++] = tok;
		argv[n] = NULL;
		setenv("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=23", 1);
		/* VMMD_BIN: another build (the release one, for memory figures
		 * that ASan's quarantine and shadow would blur) */
		execv(getenv("VMMD_BIN") ? getenv("VMMD_BIN") : BUILD_DIR "/vmmd-san", argv);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		int st;

		if (can_connect(v->sock))
			return 0;
		if (waitpid(v->pid, &st, WNOHANG) == v->pid) {
			v->pid = 0;
			return -1;
		}
		sleep_ms(25);
	}
	return -1;
}

int vmmd_start(struct vmmd_inst *v, const char *vmm, const char *extra_arg)
{
	return vmmd_init(v, vmm) < 0 ? -1 : spawn(v, extra_arg);
}

int vmmd_init(struct vmmd_inst *v, const char *vmm)
{
	char cwd[256];

	memset(v, 0, sizeof *v);
	snprintf(v->dir, sizeof v->dir, "/tmp/vmmd-test-XXXXXX");
	if (!mkdtemp(v->dir) || !getcwd(cwd, sizeof cwd))
		return -1;
	snprintf(v->sock, sizeof v->sock, "%s/sock", v->dir);
	snprintf(v->state, sizeof v->state, "%s/state", v->dir);
	snprintf(v->uri, sizeof v->uri, "vmm+unix:///system?socket=%s", v->sock);
	if (vmm)
		snprintf(v->vmm, sizeof v->vmm, "%s", vmm);
	else
		snprintf(v->vmm, sizeof v->vmm, "%s/%s/tests/fake-vmm", cwd, BUILD_DIR);
	return 0;
}

int vmmd_restart(struct vmmd_inst *v, const char *extra_arg)
{
	return spawn(v, extra_arg);
}

int vmmd_stop(struct vmmd_inst *v)
{
	int st = -1;

	if (v->pid <= 0)
		return -1;
	kill(v->pid, SIGTERM);
	while (waitpid(v->pid, &st, 0) < 0 && errno == EINTR)
		;
	v->pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Kills every process whose command line names this test's state directory
 * (vmm names its console socket in it): VMs
 * whose record still has no pids are among them, a start the stopped daemon
 * had not seen reported (a restarted daemon would look for them; the test
 * ends instead). */
static void kill_by_cmdline(const struct vmmd_inst *v)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char cmd[4096];
		long pid = strtol(de->d_name, NULL, 10);

		if (pid <= 1 || pid == (long)getpid() || !proc_cmdline((pid_t)pid, cmd, sizeof cmd) ||
		    !strstr(cmd, v->state) || kill((pid_t)pid, SIGKILL) != 0)
			continue;
		for (int i = 0; i < 100 && kill((pid_t)pid, 0) == 0; i++)
			sleep_ms(10);
	}
	if (d)
		closedir(d);
}

/* NAME.state: a VM's run record. */
static bool is_run_record(const char *name)
{
	size_t n = strlen(name);

	return n > 6 && strcmp(name + n - 6, ".state") == 0;
}

/* Kills the VMs this test's daemon left running, by their recorded pids. */
static void kill_vms(struct vmmd_inst *v)
{
	char path[512], line[128];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof path, "%s/run", v->state);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		FILE *f;

		if (!is_run_record(de->d_name))
			continue;
		snprintf(path, sizeof path, "%.300s/run/%.100s", v->state, de->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof line, f)) {
			long pid;

			if (sscanf(line, "vmm=%ld", &pid) == 1 && pid > 1 && kill((pid_t)pid, SIGKILL) == 0)
				for (int i = 0; i < 100 && kill((pid_t)pid, 0) == 0; i++)
					sleep_ms(10);
		}
		if (f)
			fclose(f);
	}
	closedir(d);
}

/* Whether run/ still holds a record of a VM (NAME.state). */
static bool runs_left(const struct vmmd_inst *v)
{
	char path[512];
	struct dirent *de;
	bool left = false;
	DIR *d;

	snprintf(path, sizeof path, "%s/run", v->state);
	d = opendir(path);
	while (d && !left && (de = readdir(d)))
		left = is_run_record(de->d_name);
	if (d)
		closedir(d);
	return left;
}

/* Kills the VMs the running daemon recorded and waits (1 s at most: a
 * domain that restarts on a crash keeps its record) until it has seen
 * them end: it removes each one's cgroups then (ended after it stopped,
 * they would leave them on the host). */
static void vmmd_end_vms(struct vmmd_inst *v)
{
	if (v->pid <= 0)
		return;
	kill_vms(v);
	for (int i = 0; i < 100 && runs_left(v); i++)
		sleep_ms(10);
}

void vmmd_cleanup(struct vmmd_inst *v)
{
	char cmd[1200];

	vmmd_end_vms(v);
	if (v->pid > 0)
		vmmd_stop(v);
	kill_vms(v);
	kill_by_cmdline(v);
	/* a vmm may still be writing its log or status: a second pass takes that too */
	snprintf(cmd, sizeof cmd, "rm -rf '%s' 2>/dev/null || { sleep 0.2; rm -rf '%s'; }", v->dir, v->dir);
	if (system(cmd) < 0)
		return;
}

int virsh(struct vmmd_inst *v, char *out, size_t size, const char *fmt, ...)
{
	char args[2048], cmd[3072];
	va_list ap;
	size_t n = 0;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof cmd, "virsh -c '%s' %s 2>&1", v->uri, args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (out && size) {
		n = fread(out, 1, size - 1, p);
		out[n] = 0;
	} else {
		char sink[4096];

		while (fread(sink, 1, sizeof sink, p) > 0)
			;
	}
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

const char *write_xml(struct vmmd_inst *v, const char *file, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", v->dir, file);
	f = fopen(path, "w");
	if (!f)
		return NULL;
	fputs(text, f);
	fclose(f);
	return path;
}

void domain_xml(char *out, size_t size, const char *name, const char *kernel)
{
	snprintf(out, size,
		 "<domain type='kvm'>\n  <name>%s</name>\n  <memory unit='MiB'>64</memory>\n  <vcpu>1</vcpu>\n"
		 "  <os>\n    <type>hvm</type>\n    <kernel>%s</kernel>\n  </os>\n</domain>\n",
		 name, kernel);
}

const char *image_file(struct vmmd_inst *v, const char *name)
{
	static char path[8][600];
	static int k;
	FILE *f;

	k = (k + 1) % 8;
	snprintf(path[k], sizeof path[k], "%s/images", v->dir);
	mkdir(path[k], 0755);
	snprintf(path[k], sizeof path[k], "%s/images/%s", v->dir, name);
	f = fopen(path[k], "w");
	if (f) {
		fputs("not a kernel: the fake vmm only reads its name\n", f);
		fclose(f);
	}
	return path[k];
}

int wait_state(struct vmmd_inst *v, const char *name, const char *want, int ms)
{
	char out[256];

	for (int t = 0; t <= ms; t += 50) {
		if (virsh(v, out, sizeof out, "domstate %s", name) == 0 && strncmp(out, want, strlen(want)) == 0)
			return 0;
		sleep_ms(50);
	}
	return -1;
}

void vmmd_fixture_up(struct vmmd_inst *v)
{
	ck_assert_int_eq(vmmd_start(v, NULL, NULL), 0);
}

void vmmd_fixture_down(struct vmmd_inst *v)
{
	int rc;

	vmmd_end_vms(v);
	rc = vmmd_stop(v);

	vmmd_cleanup(v);
	ck_assert_int_eq(rc, 0);
}

int vmmd_cgroup_dir(const struct vmmd_inst *v, const char *ctl, char *dir, size_t size)
{
	char line[4096], path[4096] = "", mnt[4096] = "", cgfile[64];
	size_t plen;
	bool v2 = false;
	FILE *f;

	snprintf(cgfile, sizeof cgfile, "/proc/%d/cgroup", (int)v->pid);
	f = fopen(cgfile, "r");
	while (f && fgets(line, sizeof line, f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		char ctls[256];

		if (!c2)
			continue;
		snprintf(ctls, sizeof ctls, ",%.*s,", (int)(c2 - c1 - 1), c1 + 1);
		if (strstr(ctls, ctl) && strstr(ctls, ctl)[-1] == ',' && strstr(ctls, ctl)[strlen(ctl)] == ',')
			sscanf(c2 + 1, "%4095s", path);
		else if (!path[0] && c2 == c1 + 1)
			sscanf(c2 + 1, "%4095s", path), v2 = true;
	}
	if (f)
		fclose(f);
	/* on v2 a vmmd whose group held processes moved itself into the leaf
	 * "vmmd"; the VMs' groups stay under the group it was given */
	plen = strlen(path);
	if (v2 && plen > 5 && strcmp(path + plen - 5, "/vmmd") == 0)
		path[plen - 5] = 0;
	f = fopen("/proc/self/mountinfo", "r");
	while (f && fgets(line, sizeof line, f)) {
		char root[4096], mp[4096], *dash = strstr(line, " - ");
		char fstype[64], opts[1024];

		if (!dash || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mp) != 2 ||
		    sscanf(dash + 3, "%63s %*s %1023s", fstype, opts) != 2 || strcmp(root, "/") != 0)
			continue;
		if (v2 ? strcmp(fstype, "cgroup2") == 0
		       : strcmp(fstype, "cgroup") == 0 && (strstr(opts, ctl) && (strstr(opts, ctl)[strlen(ctl)] == ',' ||
										 !strstr(opts, ctl)[strlen(ctl)])))
			snprintf(mnt, sizeof mnt, "%s", mp);
	}
	if (f)
		fclose(f);
	if (!path[0] || !mnt[0])
		return -1;
	snprintf(dir, size, "%s%s", mnt, strcmp(path, "/") == 0 ? "" : path);
	return v2 ? 1 : 0;
}

int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(s, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (s >= 0)
		close(s);
	return port;
}

pid_t vmmd_vmm_pid(const struct vmmd_inst *v, const char *name)
{
	char path[512];
	long vp = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/run/%s.state", v->state, name);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "no %s", path);
	ck_assert_int_eq(fscanf(f, "id=%*d vmm=%ld", &vp), 1);
	fclose(f);
	return (pid_t)vp;
}

bool proc_running(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

size_t proc_cmdline(pid_t pid, char *buf, size_t size)
{
	char path[64];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	for (size_t i = 0; i < n; i++)
		buf[i] = buf[i] ? buf[i] : ' ';
	buf[n] = 0;
	return n;
}

pid_t vmmd_standby_pid(const struct vmmd_inst *v, unsigned long mem_kib, int ms)
{
	char want[1200], cmd[4096], path[64], stat[512];

	snprintf(want, sizeof want, "%s standby --mem=%luK", v->vmm, mem_kib);
	for (int waited = 0; waited <= ms; waited += 20, sleep_ms(20)) {
		DIR *d = opendir("/proc");
		struct dirent *de;
		pid_t found = 0;

		while (d && !found && (de = readdir(d))) {
			long pid = strtol(de->d_name, NULL, 10), ppid = 0;
			FILE *f;

			if (pid <= 1 || !proc_cmdline((pid_t)pid, cmd, sizeof cmd) || strncmp(cmd, want, strlen(want)))
				continue;
			snprintf(path, sizeof path, "/proc/%ld/stat", pid);
			if ((f = fopen(path, "r")) && fgets(stat, sizeof stat, f) && strrchr(stat, ')'))
				sscanf(strrchr(stat, ')'), ") %*c %ld", &ppid);
			if (f)
				fclose(f);
			if (ppid == (long)v->pid)
				found = (pid_t)pid;
		}
		if (d)
			closedir(d);
		if (found)
			return found;
	}
	return 0;
}

