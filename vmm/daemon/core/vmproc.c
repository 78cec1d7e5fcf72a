#include "daemon/core/vmproc.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/core/fd_high.h"
#include "daemon/core/standby.h"
#include "daemon/core/store.h"

#define MAX_ARGS (26 + 2 * DOMAIN_MAX_DISKS + 2 * DOMAIN_MAX_PUBLISH)
#define SITE_FD 3 /* where vmm finds a site's listening socket */
/* where vmm finds its files: the kernel (its shared sealed memfd,
 * core/kernel_share.h), initrd, disks, its exit status record in that
 * order */
#define FILE_FD 4
#define MAX_FILES (3 + DOMAIN_MAX_DISKS) /* and the exit status record, last */

/* A domain's pidfd lives as long as its VM: kept high (fd_high.h). */
static int pidfd_open_(pid_t pid)
{
	return fd_high((int)syscall(SYS_pidfd_open, pid, 0));
}

void vmproc_probe(const char *vmm_path, struct vmm_features *f)
{
	char cmd[STORE_PATH_MAX + 64], line[512];
	FILE *p;

	memset(f, 0, sizeof *f);
	if (strchr(vmm_path, '\'') || snprintf(cmd, sizeof cmd, "'%s' run --help 2>&1", vmm_path) >= (int)sizeof cmd)
		return;
	p = popen(cmd, "re");
	if (!p)
		return;
	while (fgets(line, sizeof line, p)) {
		if (strstr(line, "--console-socket"))
			f->console_socket = true;
		if (strstr(line, "--disk"))
			f->disk = true;
		if (strstr(line, "--publish"))
			f->vsock = true;
		if (strstr(line, "--publish fd:"))
			f->publish_fd = true;
		if (strstr(line, "--idle-stop"))
			f->idle_stop = true;
		if (strstr(line, "may be fd:N"))
			f->file_fd = true;
		if (strstr(line, "--console-log-max"))
			f->console_limits = true;
		if (strstr(line, "--exit-status"))
			f->exit_status = true;
	}
	pclose(p);
	snprintf(cmd, sizeof cmd, "'%s' standby --help 2>&1", vmm_path);
	p = popen(cmd, "re");
	if (!p)
		return;
	while (fgets(line, sizeof line, p))
		if (strstr(line, "Usage: vmm standby"))
			f->standby = true;
	pclose(p);
}

/* /proc/PID/stat from just after the command's closing ")" (the command
 * may hold spaces and parentheses), into buf; NULL if the process is gone. */
static const char *proc_stat_fields(pid_t pid, char *buf, size_t size)
{
	char path[64];
	const char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p + 2 : NULL;
}

uint64_t proc_starttime(pid_t pid)
{
	char buf[1024];
	unsigned long long start = 0;
	const char *p = proc_stat_fields(pid, buf, sizeof buf);

	/* from the state (field 3) on, starttime is field 22 */
	if (!p || sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
			 &start) != 1)
		return 0;
	return start;
}

static char proc_state(pid_t pid)
{
	char buf[1024];
	const char *p = proc_stat_fields(pid, buf, sizeof buf);

	return p ? p[0] : 0;
}

bool vmproc_vmm_alive(const struct vm_proc *p, bool *stopped)
{
	char st;

	if (p->vmm_pid <= 0 || proc_starttime(p->vmm_pid) != p->vmm_start)
		return false;
	st = proc_state(p->vmm_pid);
	if (stopped)
		*stopped = st == 'T' || st == 't';
	return st && st != 'Z' && st != 'X';
}

int vmproc_signal(const struct vm_proc *p, int sig)
{
	if (!vmproc_vmm_alive(p, NULL))
		return -1;
	return kill(p->vmm_pid, sig);
}

struct argv_buf {
	char *v[MAX_ARGS + 1];
	int n;
};

static void add(struct argv_buf *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct argv_buf *a, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (a->n >= MAX_ARGS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	a->v[a->n] = s;
	if (s)
		a->n++;
}

/* record_fd: where vmm finds its exit status record (-1: none). */
static int build_argv(struct argv_buf *a, const struct vmm_paths *paths, const struct vmm_features *f,
		      const char *sock, const struct domain_config *c, unsigned cid, int record_fd, struct verr *e)
{
	int fd = FILE_FD; /* the files' numbers, in vm_files_flat's order */

	/* vmm gets its files from vmmd, opened below the image directories:
	 * a vmm that would open paths itself is not confined to them */
	if (!f->file_fd)
		return verr_set(e, VERR_CONFIG_UNSUPPORTED,
				"this vmm cannot take its files as descriptors (no fd:N in 'vmm run --help')");
	add(a, "%s", paths->vmm);
	add(a, "run");
	if (c->kernel) /* else vmm's firmware boots the site image on the first disk */
		add(a, "--kernel=fd:%d", fd++);
	if (c->initrd)
		add(a, "--initrd=fd:%d", fd++);
	if (c->cmdline)
		add(a, "--cmdline=%s", c->cmdline);
	if (c->mem_kib % 1024 == 0)
		add(a, "--mem=%" PRIu64 "M", c->mem_kib / 1024);
	else
		add(a, "--mem=%" PRIu64 "K", c->mem_kib);
	add(a, "--cpus=%u", c->vcpus);
	add(a, "--name=%s", c->name);
	add(a, "--on-reset=exit");
	if (record_fd >= 0)
		add(a, "--exit-status=fd:%d", record_fd);
	if (f->console_socket)
		add(a, "--console-socket=%s", sock);
	else
		add(a, "--console=output");
	/* the log vmm writes (stdout and stderr, STATE/run/NAME.log) is a
	 * regular file, so vmm bounds it: with its defaults unless vmmd was
	 * given others */
	if (f->console_limits && paths->console_log_max)
		add(a, "--console-log-max=%s", paths->console_log_max);
	if (f->console_limits && paths->console_rate)
		add(a, "--console-rate=%s", paths->console_rate);
	if (c->ndisks && !f->disk)
		return verr_set(e, VERR_CONFIG_UNSUPPORTED, "this vmm has no disk support (--disk)");
	for (unsigned i = 0; i < c->ndisks; i++)
		add(a, "--disk=fd:%d%s", fd++, c->disks[i].readonly ? ",ro" : "");
	if (c->has_vsock && !f->vsock)
		return verr_set(e, VERR_CONFIG_UNSUPPORTED, "this vmm has no vsock support (--cid, --publish)");
	if (c->has_vsock)
		add(a, "--cid=%u", cid);
	for (unsigned i = 0; i < c->npublish; i++) {
		const struct domain_publish *p = &c->publish[i];

		if (p->host)
			add(a, "--publish=%s:%u", p->host, p->guest_port);
		else
			add(a, "--publish=unix:%s:%u", p->unix_path, p->guest_port);
	}
	if (c->site.present) {
		if (!f->publish_fd)
			return verr_set(e, VERR_CONFIG_UNSUPPORTED,
					"this vmm cannot serve a site (no --publish fd:N:PORT)");
		add(a, "--publish=fd:%d:%u", SITE_FD, c->site.guest_port);
		if (c->site.on_demand && c->site.idle_stop_s) {
			if (!f->idle_stop)
				return verr_set(e, VERR_CONFIG_UNSUPPORTED, "this vmm cannot stop an idle site (no --idle-stop)");
			add(a, "--idle-stop=%u", c->site.idle_stop_s);
		}
	}
	if (a->n >= MAX_ARGS)
		return verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
	a->v[a->n] = NULL;
	return 0;
}

/* The child below runs on a stack the sanitizer does not know as a
 * thread's (vmmd-san): its checks there would see stale poison. */
#define NO_ASAN __attribute__((no_sanitize("address")))

struct vmm_start {
	char *const *argv;
	int site_fd;
	const char *log_path;
	const int *files;
	unsigned nfiles;
	unsigned keep_below; /* above every descriptor the vmm gets */
};

static void put_text(const char *s)
{
	if (write(2, s, strlen(s)) < 0) {
		/* the log is all there is to tell */
	}
}

/* The child, vmm to be: until its first call it shares the daemon's
 * memory and descriptor table; that call gives it a table of its own
 * holding only the descriptors below keep_below (fd_high.h says why that
 * is few). Sets up what vmm gets (/dev/null, the log, a site's socket as
 * fd 3, its files from fd 4), in a session of its own (so that the VM
 * outlives a daemon restart) and without the daemon's signal set-up (a
 * mask and ignored signals survive exec), and execs it. Only system calls
 * without the C library's wrappers where it can: the sanitizer's
 * interceptors (vmmd-san) misread a stack that is not a thread's. */
static int NO_ASAN vmm_child(void *arg)
{
	static const uint64_t none;
	static const struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		uint64_t mask;
	} dfl = { SIG_DFL, 0, NULL, 0 };
	const struct vmm_start *x = arg;
	int null, log, s = -1, tmp[MAX_FILES];

	if (syscall(SYS_close_range, x->keep_below, ~0u, CLOSE_RANGE_UNSHARE) < 0)
		_exit(2);
	setsid();
	null = open("/dev/null", O_RDONLY);
	log = open(x->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	/* out of the way first: the targets may be taken by the sources */
	if (x->site_fd >= 0)
		s = fcntl(x->site_fd, F_DUPFD, 64);
	for (unsigned i = 0; i < x->nfiles; i++)
		if ((tmp[i] = fcntl(x->files[i], F_DUPFD, 64)) < 0)
			_exit(2);
	if (null < 0 || log < 0 || (x->site_fd >= 0 && s < 0) || dup2(null, 0) < 0 || dup2(log, 1) < 0 ||
	    dup2(log, 2) < 0 || (s >= 0 && dup2(s, SITE_FD) < 0))
		_exit(2);
	for (unsigned i = 0; i < x->nfiles; i++)
		if (dup2(tmp[i], FILE_FD + (int)i) < 0)
			_exit(2);
	syscall(SYS_close_range, FILE_FD + x->nfiles, ~0u, 0u);
	for (int sig = 1; sig < NSIG; sig++)
		syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof none);
	execv(x->argv[0], x->argv);
	put_text("vmmd: cannot run ");
	put_text(x->argv[0]);
	put_text(": ");
	put_text(strerror(errno));
	put_text("\n");
	_exit(2);
}

/* Hands the start to the standby sb: the descriptors vmm_child would
 * set up (/dev/null, the log twice, the site's socket or /dev/null, the
 * files), opened here. Its pid, or 0 when sb cannot take it. */
static pid_t hand_to_standby(struct vmm_standby *sb, const struct domain_config *c, char *const *argv, int site,
			     const char *log_path, const int *files, unsigned nfiles, uint64_t *start)
{
	int fds[FILE_FD + MAX_FILES], null, log;
	pid_t pid = 0;

	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (null >= 0 && log >= 0) {
		fds[0] = null;
		fds[1] = fds[2] = log;
		fds[SITE_FD] = site >= 0 ? site : null;
		for (unsigned i = 0; i < nfiles; i++)
			fds[FILE_FD + i] = files[i];
		pid = standby_hand_over(sb, c->mem_kib, argv + 1, fds, FILE_FD + (int)nfiles, start);
	}
	if (null >= 0)
		close(null);
	if (log >= 0)
		close(log);
	return pid;
}

/* As vfork (the daemon waits until the child execs; no copy of its page
 * tables, which hold every domain) and without a copy of its descriptor
 * table either (CLONE_FILES, then vmm_child's unsharing copy of the low
 * part). The child runs on a stack in this frame: the daemon does not use
 * it until the child has exec'd. */
static pid_t __attribute__((noinline)) start_vmm(struct vmm_start *x)
{
	static_assert(FILE_FD + MAX_FILES < 64, "vmm_child's temporaries lie at 64 and above");
	char stack[32768] __attribute__((aligned(16)));
	int top = x->site_fd;

	for (unsigned i = 0; i < x->nfiles; i++)
		if (x->files[i] > top)
			top = x->files[i];
	x->keep_below = (unsigned)top + 1;
	return clone(vmm_child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, x);
}

int vmproc_spawn(const struct vmm_paths *paths, const struct vmm_features *f, const char *state_dir,
		 const struct domain_config *c, unsigned cid, int site_fd, const struct vm_files *vf,
		 struct vmm_standby *sb, struct vm_proc *p, struct verr *e)
{
	int files[MAX_FILES];
	unsigned nfiles = 0;
	char sock[STORE_PATH_MAX], log[STORE_PATH_MAX], status_path[STORE_PATH_MAX];
	struct argv_buf a = { .n = 0 };
	int record = -1, site = -1, rc = -1;
	pid_t vmm;

	memset(p, 0, sizeof *p);
	p->pidfd = -1;
	if (store_path(sock, sizeof sock, state_dir, "run", c->name, ".sock", e) < 0 ||
	    store_path(log, sizeof log, state_dir, "run", c->name, ".log", e) < 0 ||
	    store_path(status_path, sizeof status_path, state_dir, "run", c->name, ".status", e) < 0)
		return -1;
	if (f->console_socket && strlen(sock) >= 108)
		return verr_set(e, VERR_INTERNAL_ERROR, "console socket path too long: %s", sock);
	if (vf->kernel >= 0)
		files[nfiles++] = vf->kernel;
	if (vf->initrd >= 0)
		files[nfiles++] = vf->initrd;
	for (unsigned i = 0; i < vf->ndisks; i++)
		files[nfiles++] = vf->disks[i];
	unlink(sock);
	/* where vmm records how it ends, for a daemon that is not its
	 * parent any more by then (restarted meanwhile): emptied, as is an
	 * earlier instance's record by a vmm that writes none */
	if (!f->exit_status) {
		unlink(status_path);
	} else {
		record = open(status_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (record < 0) {
			verr_set(e, VERR_SYSTEM_ERROR, "cannot create '%s': %s", status_path, strerror(errno));
			goto out;
		}
		files[nfiles++] = record;
	}
	if (build_argv(&a, paths, f, sock, c, cid, record >= 0 ? FILE_FD + (int)nfiles - 1 : -1, e) < 0)
		goto out;
	/* the site's socket lies high (fd_high.h): a low copy for the child,
	 * so that its table can stop low */
	if (c->site.present && site_fd >= 0 && (site = fcntl(site_fd, F_DUPFD_CLOEXEC, 3)) < 0) {
		verr_set(e, VERR_SYSTEM_ERROR, "cannot start the vmm process: %s", strerror(errno));
		goto out;
	}
	if (sb && f->standby && (vmm = hand_to_standby(sb, c, a.v, site, log, files, nfiles, &p->vmm_start)) > 0) {
		p->standby = true;
	} else {
		struct vmm_start x = { .argv = a.v, .site_fd = site, .log_path = log, .files = files, .nfiles = nfiles };

		vmm = start_vmm(&x);
	}
	if (vmm < 0) {
		verr_set(e, VERR_SYSTEM_ERROR, "cannot start the vmm process: %s", strerror(errno));
		goto out;
	}
	p->vmm_pid = vmm;
	p->is_child = true;
	p->pidfd = pidfd_open_(vmm);
	if (p->pidfd < 0) {
		verr_set(e, VERR_SYSTEM_ERROR, "pidfd_open: %s", strerror(errno));
		vmproc_abandon(p);
		goto out;
	}
	rc = 0;
out:
	if (site >= 0)
		close(site);
	if (record >= 0)
		close(record);
	for (int i = 0; i < a.n; i++)
		free(a.v[i]);
	return rc;
}

void vmproc_abandon(struct vm_proc *p)
{
	if (p->is_child && p->vmm_pid > 0) {
		kill(p->vmm_pid, SIGKILL);
		waitpid(p->vmm_pid, NULL, 0);
	}
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
	p->is_child = false;
}

int vmproc_adopt(struct vm_proc *p)
{
	p->is_child = false;
	p->pidfd = -1;
	if (!vmproc_vmm_alive(p, NULL))
		return -1;
	p->pidfd = pidfd_open_(p->vmm_pid);
	/* the vmm may have ended (its pid reused) between the check and the open */
	if (p->pidfd >= 0 && !vmproc_vmm_alive(p, NULL)) {
		close(p->pidfd);
		p->pidfd = -1;
	}
	return p->pidfd >= 0 ? 0 : -1;
}

/* /proc/PID/cmdline into buf (NUL-separated arguments); its length, 0 if
 * unreadable. */
static size_t read_cmdline(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return (size_t)n;
}

/* Argument i (from 0), or NULL. */
static const char *cmdline_arg(const char *buf, size_t len, int i)
{
	const char *p = buf;

	while (i-- > 0 && p < buf + len)
		p += strlen(p) + 1;
	return p < buf + len ? p : NULL;
}

static bool cmdline_has(const char *buf, size_t len, const char *want)
{
	for (const char *p = buf; p < buf + len; p += strlen(p) + 1)
		if (strcmp(p, want) == 0)
			return true;
	return false;
}

int vmproc_find(struct vm_proc *p, const char *console_arg)
{
	static char cmd[65536]; /* vmm's argument list: a few KiB at most */
	struct dirent *de;
	DIR *dh;

	p->vmm_pid = 0;
	p->vmm_start = 0;
	if (!console_arg || !(dh = opendir("/proc")))
		return -1;
	while ((de = readdir(dh))) {
		pid_t pid = (pid_t)atol(de->d_name);
		const char *a1;
		size_t len;

		if (pid <= 0 || !(len = read_cmdline(pid, cmd, sizeof cmd)))
			continue;
		a1 = cmdline_arg(cmd, len, 1);
		if (a1 && strcmp(a1, "run") == 0 && cmdline_has(cmd, len, console_arg)) {
			p->vmm_pid = pid;
			p->vmm_start = proc_starttime(pid);
		}
	}
	closedir(dh);
	if (p->vmm_pid > 0 && p->vmm_start)
		return 0;
	p->vmm_pid = 0;
	return -1;
}

int vmproc_wait(const struct vm_proc *p, int ms)
{
	struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };

	if (p->pidfd < 0)
		return 1;
	return poll(&pfd, 1, ms) == 1 ? 1 : 0;
}

int vmproc_release(struct vm_proc *p)
{
	int status = -1;

	if (p->is_child && p->vmm_pid > 0 && waitpid(p->vmm_pid, &status, 0) != p->vmm_pid)
		status = -1;
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
	p->is_child = false;
	return status;
}
