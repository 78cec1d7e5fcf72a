#include "check_suite.h"
#include "integration/proc.h"

#include <check.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "msg_tail.h"

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct buf {
	char *p;
	size_t len, cap;
};

static void append(struct buf *b, const char *d, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = 0;
}

int count_of(const char *hay, const char *needle)
{
	int n = 0;

	if (!hay)
		return 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

int test_port_base(void)
{
	return 20000 + (int)(getpid() % 12000);
}

int process_named(const char *comm)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int found = 0;

	while (d && !found && (de = readdir(d))) {
		char path[300], name[64];
		FILE *f;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/comm", de->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		if (fgets(name, sizeof name, f)) {
			name[strcspn(name, "\n")] = 0;
			found = strcmp(name, comm) == 0;
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

const char *vmm_bin(void)
{
	const char *b = getenv("VMM_BIN");

	return b && *b ? b : "build/vmm-san";
}

const char *guest_path(const char *name, char *buf, size_t len)
{
	const char *d = getenv("GUEST_DIR");

	snprintf(buf, len, "%s/%s.elf", d && *d ? d : "build/guests", name);
	return buf;
}

int proc_run(char *const argv[], const struct proc_opts *o, struct proc_result *r)
{
	int in[2], out[2], err[2], st;
	struct buf bo = { 0 }, be = { 0 };
	size_t in_off = 0;
	long start = now_ms();
	int signalled = 0, done_out = 0, done_err = 0;
	pid_t pid;

	memset(r, 0, sizeof *r);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd_in = o->in_fd >= 0 ? o->in_fd : (o->in ? in[0] : open("/dev/null", O_RDONLY));
		dup2(fd_in, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		if (o->in_fd >= 0)
			setsid(), ioctl(0, TIOCSCTTY, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (!o->in || o->in_fd >= 0)
		close(in[1]), in[1] = -1;
	else
		fcntl(in[1], F_SETFL, O_NONBLOCK);
	while (!done_out || !done_err) {
		struct pollfd p[3] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 }, { in[1], POLLOUT, 0 } };
		long t = now_ms() - start;
		char b[4096];

		if (!signalled && o->signo &&
		    ((o->signal_after_ms > 0 && t >= o->signal_after_ms) ||
		     (o->until_out && count_of(bo.p, o->until_out) >= (o->signal_count ? o->signal_count : 1)))) {
			kill(pid, o->signo);
			signalled = 1;
		}
		if (t > o->timeout_ms) {
			kill(pid, SIGKILL);
			r->timed_out = 1;
			break;
		}
		if (in[1] >= 0 && in_off == o->in_len) {
			close(in[1]);
			in[1] = -1;
		}
		if (poll(p, in[1] >= 0 ? 3 : 2, 50) < 0 && errno != EINTR)
			break;
		if (!done_out && (p[0].revents & (POLLIN | POLLHUP))) {
			ssize_t n = read(out[0], b, sizeof b);
			if (n > 0)
				append(&bo, b, (size_t)n);
			else
				done_out = 1;
		}
		if (!done_err && (p[1].revents & (POLLIN | POLLHUP))) {
			ssize_t n = read(err[0], b, sizeof b);
			if (n > 0)
				append(&be, b, (size_t)n);
			else
				done_err = 1;
		}
		if (in[1] >= 0 && (p[2].revents & (POLLOUT | POLLERR))) {
			ssize_t n = write(in[1], o->in + in_off, o->in_len - in_off);
			if (n > 0)
				in_off += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				in_off = o->in_len;
		}
	}
	if (in[1] >= 0)
		close(in[1]);
	close(out[0]);
	close(err[0]);
	waitpid(pid, &st, 0);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	append(&bo, "", 0);
	append(&be, "", 0);
	r->out = bo.p;
	r->out_len = bo.len;
	r->err = be.p;
	r->err_len = be.len;
	return 0;
}

void proc_result_free(struct proc_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

void run_guest(const char *guest, const struct proc_opts *opts, struct proc_result *r, const char **args)
{
	char kernel[512], *argv[40];
	int argc = 0;
	struct proc_opts o = { .in_fd = -1, .timeout_ms = 120000 };

	if (opts)
		o = *opts;
	argv[argc++] = (char *)vmm_bin();
	argv[argc++] = (char *)"run";
	argv[argc++] = (char *)"--kernel";
	argv[argc++] = (char *)guest_path(guest, kernel, sizeof kernel);
	for (; args && *args && argc < 39; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	ck_assert_int_eq(proc_run(argv, &o, r), 0);
	ck_assert_msg(!r->timed_out, "%s timed out; stdout: %s\nstderr: %s", guest, msg_tail(r->out), msg_tail(r->err));
}

int run_suite(struct Suite *s)
{
	return suite_run(s) ? 1 : 0;
}

pid_t proc_spawn_fd(const char *const argv[], const char *out, const char *err, int fd, int as)
{
	pid_t pid = fork();

	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		dup2(null, 0);
		dup2(o, 1);
		dup2(e, 2);
		if (fd >= 0) {
			if (fd == as) /* dup2 onto itself would leave close-on-exec set */
				fcntl(as, F_SETFD, 0);
			else
				dup2(fd, as);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

pid_t proc_spawn(const char *const argv[], const char *out, const char *err)
{
	return proc_spawn_fd(argv, out, err, -1, -1);
}
