/* virtio-vsock end to end: the vsock_echo guest behind `vmm run --publish`,
 * driven by real TCP and unix-socket clients: echo, 200 parallel streams, a
 * client that stops reading, half-close, resets both ways, refused ports,
 * guest-initiated connections, a hostile guest, a guest that never answers
 * (requests time out, clients that leave are reaped), --publish unix: on a
 * live, a stale and a replaced socket; and bad options. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "integration/loopback.h"
#include "integration/proc.h"
#include "msg_tail.h"

#define WAIT_MS 180000
#define PARALLEL 200

struct vm {
	pid_t pid;
	char dir[64], out[96], err[96];
};

static struct vm shared_vm;
static int base_port;
static char unix_path[128];

static char *slurp(const char *path)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : 0;

	buf[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
	return buf;
}

static int wait_output(const struct vm *v, const char *want)
{
	for (long t0 = now_ms(); now_ms() - t0 < WAIT_MS; usleep(50000)) {
		if (strstr(slurp(v->out), want))
			return 0;
		if (waitpid(v->pid, NULL, WNOHANG) == v->pid)
			return -1;
	}
	return -1;
}

/* The output directories of this test's VMs, removed when the test's
 * process exits (tests read a stopped VM's output until then). */
static char vm_dirs[8][64];
static int n_vm_dirs;

static void remove_vm_dirs(void)
{
	for (int i = 0; i < n_vm_dirs; i++) {
		char cmd[128];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", vm_dirs[i]);
		if (system(cmd) != 0)
			fprintf(stderr, "vsock: cannot remove %s\n", vm_dirs[i]);
	}
	n_vm_dirs = 0;
}

/* Starts `vmm run --kernel vsock_echo ARGS...` with output to files. */
static void vm_start(struct vm *v, const char **args)
{
	char kernel[512];
	const char *argv[40];
	int argc = 0;

	snprintf(v->dir, sizeof v->dir, "/tmp/vmm-vsock-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(v->dir));
	if (n_vm_dirs == 0)
		atexit(remove_vm_dirs);
	if (n_vm_dirs < (int)(sizeof vm_dirs / sizeof vm_dirs[0]))
		snprintf(vm_dirs[n_vm_dirs++], sizeof vm_dirs[0], "%s", v->dir);
	snprintf(v->out, sizeof v->out, "%s/out", v->dir);
	snprintf(v->err, sizeof v->err, "%s/err", v->dir);
	argv[argc++] = vmm_bin();
	argv[argc++] = "run";
	argv[argc++] = "--kernel";
	argv[argc++] = guest_path("vsock_echo", kernel, sizeof kernel);
	argv[argc++] = "--console=output";
	for (; *args; args++)
		argv[argc++] = *args;
	argv[argc] = NULL;
	v->pid = proc_spawn(argv, v->out, v->err);
	ck_assert_int_gt(v->pid, 0);
	ck_assert_msg(wait_output(v, "vsock_echo: ready") == 0, "guest not ready: out %s err %s", msg_tail(slurp(v->out)),
		      msg_tail(slurp(v->err)));
}

/* SIGTERM; the VMM must exit cleanly (143) with no sanitizer report. */
static void vm_stop(struct vm *v)
{
	int st;
	const char *err;

	kill(v->pid, SIGTERM);
	ck_assert_int_eq(waitpid(v->pid, &st, 0), v->pid);
	err = slurp(v->err);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGTERM, "status %x, stderr %s", st, msg_tail(err));
	ck_assert_msg(!strstr(err, "Sanitizer") && !strstr(err, "runtime error"), "stderr: %s", msg_tail(err));
}

static int unix_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	ck_assert_msg(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect %s: %s", path, strerror(errno));
	return fd;
}

/* Reads exactly len bytes (or fails after the wait limit). */
static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	long deadline = now_ms() + WAIT_MS;

	while (got < len) {
		ssize_t n = read_by(fd, (char *)buf + got, len - got, deadline);

		if (n < 0 && errno != ETIMEDOUT)
			return -1;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static void echo_once(int fd, size_t len, int seed)
{
	char *out = malloc(len), *in = malloc(len);

	for (size_t i = 0; i < len; i++)
		out[i] = (char)(i * 7 + (size_t)seed);
	ck_assert_int_eq(write(fd, out, len), (ssize_t)len);
	ck_assert_int_eq(read_full(fd, in, len), (ssize_t)len);
	ck_assert(memcmp(in, out, len) == 0);
	free(out);
	free(in);
}

/* Waits for EOF or a reset; returns 0 for EOF, the errno otherwise. */
static int wait_end(int fd)
{
	char b[256];
	long deadline = now_ms() + WAIT_MS;
	ssize_t n;

	while ((n = read_by(fd, b, sizeof b, deadline)) > 0)
		;
	return n == 0 ? 0 : errno;
}

static void shared_start(void)
{
	char p1[32], p2[32], p3[160];

	loopback_up();
	base_port = test_port_base();
	snprintf(unix_path, sizeof unix_path, "/tmp/vmm-vsock-%d.sock", getpid());
	snprintf(p1, sizeof p1, "%d:1234", base_port);
	snprintf(p2, sizeof p2, "127.0.0.1:%d:9999", base_port + 1);
	snprintf(p3, sizeof p3, "unix:%s:1235", unix_path);
	vm_start(&shared_vm, (const char *[]){ "--publish", p1, "--publish", p2, "--publish", p3, "--cid", "77", NULL });
}

START_TEST(tcp_echo)
{
	int fd = tcp_connect(base_port);

	echo_once(fd, 1, 1);
	echo_once(fd, 64, 2);
	echo_once(fd, 100000, 3); /* more than one packet, more than the guest's credit */
	close(fd);
	ck_assert_ptr_nonnull(strstr(slurp(shared_vm.out), "ready cid 77"));
}
END_TEST

START_TEST(unix_echo)
{
	int fd = unix_connect(unix_path);

	echo_once(fd, 5000, 4);
	close(fd);
}
END_TEST

START_TEST(parallel_connections)
{
	static int fds[PARALLEL];
	char msg[100], in[100];

	for (int i = 0; i < PARALLEL; i++)
		fds[i] = i % 4 == 3 ? unix_connect(unix_path) : tcp_connect(base_port);
	for (int i = 0; i < PARALLEL; i++) {
		snprintf(msg, sizeof msg, "connection %03d %070d", i, i);
		ck_assert_int_eq(write(fds[i], msg, sizeof msg), (ssize_t)sizeof msg);
	}
	for (int i = 0; i < PARALLEL; i++) {
		snprintf(msg, sizeof msg, "connection %03d %070d", i, i);
		ck_assert_int_eq(read_full(fds[i], in, sizeof in), (ssize_t)sizeof in);
		ck_assert_msg(memcmp(in, msg, sizeof msg) == 0, "connection %d got another's data", i);
	}
	for (int i = 0; i < PARALLEL; i++)
		close(fds[i]);
}
END_TEST

static long rss_kib(pid_t pid)
{
	char path[64], *p;

	snprintf(path, sizeof path, "/proc/%d/status", pid);
	p = strstr(slurp(path), "VmRSS:");
	return p ? strtol(p + 6, NULL, 10) : -1;
}

START_TEST(stalled_client_does_not_block_others)
{
	int stalled = tcp_connect(base_port), other;
	static char chunk[65536];
	size_t total = 0;
	long idle_since = now_ms(), rss0 = rss_kib(shared_vm.pid), rss1;

	/* Write without ever reading until nothing has moved for 3 s. */
	fcntl(stalled, F_SETFL, O_NONBLOCK);
	while (now_ms() - idle_since < 3000) {
		ssize_t n = write(stalled, chunk, sizeof chunk);

		if (n > 0) {
			total += (size_t)n;
			idle_since = now_ms();
		} else {
			usleep(20000);
		}
		ck_assert_msg(total < (64u << 20), "64 MiB went in without anyone reading: not bounded");
	}
	other = tcp_connect(base_port);
	echo_once(other, 64, 5);
	echo_once(other, 20000, 6);
	rss1 = rss_kib(shared_vm.pid);
	ck_assert_msg(rss1 - rss0 < 16 * 1024, "VMM grew by %ld KiB for one stalled client", rss1 - rss0);
	close(other);
	close(stalled);
}
END_TEST

START_TEST(half_close_returns_everything_then_eof)
{
	int fd = tcp_connect(base_port);
	char in[32];

	ck_assert_int_eq(write(fd, "half-closed", 11), 11);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_int_eq(read_full(fd, in, 11), 11);
	ck_assert(memcmp(in, "half-closed", 11) == 0);
	ck_assert_int_eq(wait_end(fd), 0);
	close(fd);
	fd = unix_connect(unix_path);
	ck_assert_int_eq(write(fd, "unix half", 9), 9);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_int_eq(read_full(fd, in, 9), 9);
	ck_assert_int_eq(wait_end(fd), 0);
	close(fd);
}
END_TEST

START_TEST(guest_reset_reaches_the_client)
{
	int fd = tcp_connect(base_port);

	echo_once(fd, 10, 7);
	ck_assert_int_eq(write(fd, "!rst", 4), 4);
	ck_assert_int_eq(wait_end(fd), ECONNRESET);
	close(fd);
}
END_TEST

START_TEST(client_reset_reaches_the_guest)
{
	struct linger l = { 1, 0 };
	int fd = tcp_connect(base_port), fd2;

	echo_once(fd, 10, 8);
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	close(fd); /* RST */
	fd2 = tcp_connect(base_port);
	echo_once(fd2, 10, 9);
	close(fd2);
}
END_TEST

START_TEST(port_without_listener_is_refused)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(base_port + 1)),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	/* The reset may overtake connect() itself on a slow host. */
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		ck_assert_msg(errno == ECONNRESET, "connect: %s", strerror(errno));
	} else {
		r = wait_end(fd);
		ck_assert_msg(r == ECONNRESET || r == 0, "got %s", strerror(r));
	}
	close(fd);
}
END_TEST

START_TEST(vmm_survived)
{
	const char *err = slurp(shared_vm.err);

	ck_assert_int_eq(kill(shared_vm.pid, 0), 0);
	ck_assert_msg(!strstr(err, "needs reset") && !strstr(err, "Sanitizer"), "stderr: %s", msg_tail(err));
}
END_TEST

/* The shared VM is the runner's child, so it is stopped and checked here,
 * outside the forked tests. */
static int shared_failed;

static void shared_stop(void)
{
	int st;
	const char *err;

	kill(shared_vm.pid, SIGTERM);
	waitpid(shared_vm.pid, &st, 0);
	err = slurp(shared_vm.err);
	/* unjailed, vmm removes its --publish unix socket; jailed (root), its
	 * root is empty: the socket stays for the next vmm to replace */
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 128 + SIGTERM || strstr(err, "Sanitizer") ||
	    strstr(err, "runtime error") || (geteuid() != 0 && access(unix_path, F_OK) == 0)) {
		fprintf(stderr, "vsock: shared VM did not end cleanly: status %x, stderr:\n%s\n", st, err);
		shared_failed = 1;
	}
	unlink(unix_path);
}

/* Guest-initiated connections: allowed to one unix socket, refused elsewhere. */
struct server {
	int fd;
	char got[256];
};

static void *serve_one(void *arg)
{
	struct server *s = arg;
	int c = accept(s->fd, NULL, NULL);

	if (c >= 0) {
		read_full(c, s->got, sizeof s->got - 1);
		close(c);
	}
	return NULL;
}

START_TEST(guest_connect_allowed_and_refused)
{
	struct vm v;
	struct server s = { .fd = -1 };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char rule[160], rule2[160];
	pthread_t t;

	snprintf(a.sun_path, sizeof a.sun_path, "/tmp/vmm-vsock-up-%d.sock", getpid());
	unlink(a.sun_path);
	s.fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(s.fd, (struct sockaddr *)&a, sizeof a), 0);
	/* the jailed vmm connects as its own uid, which needs write access */
	ck_assert_int_eq(chmod(a.sun_path, 0777), 0);
	ck_assert_int_eq(listen(s.fd, 4), 0);
	pthread_create(&t, NULL, serve_one, &s);
	snprintf(rule, sizeof rule, "7000=unix:%s", a.sun_path);
	snprintf(rule2, sizeof rule2, "7001=unix:%s.none", a.sun_path);
	vm_start(&v, (const char *[]){ "--vsock-connect", rule, "--vsock-connect", rule2, "--cmdline", "connect=7000", NULL });
	ck_assert_msg(wait_output(&v, "connection to host port 7000 closed") == 0, "out: %s", msg_tail(slurp(v.out)));
	pthread_join(t, NULL);
	ck_assert_str_eq(s.got, "hello from guest\n");
	vm_stop(&v);
	close(s.fd);
	unlink(a.sun_path);

	/* No rule for the port, and a rule whose socket does not exist: both refused. */
	vm_start(&v, (const char *[]){ "--vsock-connect", rule2, "--cmdline", "connect=7002", NULL });
	ck_assert_msg(wait_output(&v, "connection to host port 7002 refused") == 0, "out: %s", msg_tail(slurp(v.out)));
	vm_stop(&v);
	vm_start(&v, (const char *[]){ "--vsock-connect", rule2, "--cmdline", "connect=7001", NULL });
	ck_assert_msg(wait_output(&v, "connection to host port 7001 refused") == 0, "out: %s", msg_tail(slurp(v.out)));
	vm_stop(&v);
}
END_TEST

START_TEST(hostile_guest_gets_needs_reset_and_vmm_stays_up)
{
	struct vm v;
	char p[32];
	int fd;

	loopback_up();
	snprintf(p, sizeof p, "%d:1234", base_port + 2);
	vm_start(&v, (const char *[]){ "--publish", p, "--cmdline", "hostile=1", NULL });
	ck_assert_ptr_nonnull(strstr(slurp(v.out), "needs reset"));
	ck_assert_msg(wait_output(&v, "unknown op got rst") == 0, "out: %s", msg_tail(slurp(v.out)));
	ck_assert_ptr_nonnull(strstr(slurp(v.err), "virtio-vsock: tx packet length field does not match"));
	fd = tcp_connect(base_port + 2);
	echo_once(fd, 1000, 10);
	close(fd);
	vm_stop(&v);
}
END_TEST

/* Clock ticks of CPU the process has used (utime + stime). */
static long cpu_ticks(pid_t pid)
{
	char path[64], *p;
	long ut = 0, st = 0;

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	p = strrchr(slurp(path), ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &ut, &st) != 2)
		return -1;
	return ut + st;
}

/* More clients than the VMM has fds for: the listener waits (no busy loop on
 * the I/O thread), the clients it took are served, and new ones are again
 * once fds are free. */
START_TEST(out_of_fds_waits_without_spinning)
{
	enum { CLIENTS = 150 };
	struct rlimit old, low;
	struct vm v;
	char p[32];
	int fds[CLIENTS], fd;
	long c0, c1, hz = sysconf(_SC_CLK_TCK);

	loopback_up();
	snprintf(p, sizeof p, "%d:1234", base_port + 3);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 64;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	vm_start(&v, (const char *[]){ "--publish", p, NULL });
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	for (int i = 0; i < CLIENTS; i++)
		fds[i] = tcp_connect(base_port + 3);
	echo_once(fds[0], 100, 11);
	sleep(1);
	c0 = cpu_ticks(v.pid);
	sleep(2);
	c1 = cpu_ticks(v.pid);
	ck_assert_msg(c0 >= 0 && c1 - c0 < hz, "vmm used %ld ticks of CPU in 2 s with its fds exhausted", c1 - c0);
	for (int i = 0; i < CLIENTS; i++)
		close(fds[i]);
	fd = tcp_connect(base_port + 3);
	echo_once(fd, 100, 12);
	close(fd);
	vm_stop(&v);
}
END_TEST

static void bad_args(const char *want, const char **args);

/* Sockets in CLOSE-WAIT on local TCP port `port`: clients that hung up and
 * that vmm (or its listener's backlog) still holds. */
static int close_wait_on(int port)
{
	FILE *f = fopen("/proc/net/tcp", "r");
	char line[512];
	unsigned lport, st;
	int n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f))
		if (sscanf(line, " %*d: %*x:%x %*x:%*x %x", &lport, &st) == 2 && (int)lport == port && st == 0x08)
			n++;
	fclose(f);
	return n;
}

/* A stat of vmm's stderr (VMM_STATS=1): the number after `what`. */
static long stat_of(const char *err, const char *what)
{
	const char *p = strstr(err, what);

	return p ? strtol(p + strlen(what), NULL, 10) : -1;
}

/* A guest that never answers a port's REQUESTs (silent=1234): a waiting
 * client is reset after the 2 s timeout, hundreds of connect-and-close
 * clients leave nothing in CLOSE-WAIT (reaped as they hang up, not at the
 * timeout), and both ports keep accepting. */
START_TEST(unanswered_requests_time_out_and_leavers_are_reaped)
{
	enum { CLIENTS = 400 };
	struct vm v;
	char p1[32], p2[32];
	const char *err;
	int silent = base_port + 4, fd, cw = -1;
	long t0, waited;

	loopback_up();
	setenv("VMM_STATS", "1", 1);
	snprintf(p1, sizeof p1, "%d:1234", silent);
	snprintf(p2, sizeof p2, "%d:1235", silent + 1);
	vm_start(&v, (const char *[]){ "--publish", p1, "--publish", p2, "--cmdline", "silent=1234", NULL });
	fd = tcp_connect(silent);
	t0 = now_ms();
	ck_assert_int_eq(wait_end(fd), ECONNRESET);
	waited = now_ms() - t0;
	close(fd);
	fprintf(stderr, "vsock: an unanswered request was reset after %ld ms\n", waited);
	ck_assert_msg(waited >= 1900 && waited < 30000, "reset after %ld ms, not about 2 s", waited);

	t0 = now_ms();
	for (int i = 0; i < CLIENTS; i++)
		close(tcp_connect(i % 2 ? silent : silent + 1));
	for (long t = now_ms(); now_ms() - t < 20000; usleep(50000))
		if ((cw = close_wait_on(silent) + close_wait_on(silent + 1)) == 0)
			break;
	fprintf(stderr, "vsock: %d connect-and-close clients: no CLOSE-WAIT after %ld ms\n", CLIENTS,
		now_ms() - t0);
	ck_assert_msg(cw == 0, "%d sockets still in CLOSE-WAIT", cw);
	fd = tcp_connect(silent + 1);
	echo_once(fd, 100, 13);
	close(fd);
	fd = tcp_connect(silent); /* accepted, then reset: not refused at once */
	ck_assert_int_eq(wait_end(fd), ECONNRESET);
	close(fd);
	vm_stop(&v);
	/* Most leavers went as they hung up, not at the timeout: their REQUEST
	 * raced them, so a few may be timed out. */
	err = slurp(v.err);
	ck_assert_msg(stat_of(err, "clients gone while waiting ") >= CLIENTS / 4, "stderr: %s", msg_tail(err));
	ck_assert_msg(stat_of(err, "requests timed out ") >= 2, "stderr: %s", msg_tail(err));
}
END_TEST

static void unix_listen_at(int *fd, const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(bind(*fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(*fd, 4), 0);
}

/* --publish unix: a socket someone listens on is refused (and left alone),
 * a stale one replaced, mode and group applied, and at exit (unjailed) vmm
 * removes its own socket but not one that replaced it. */
START_TEST(publish_unix_live_refused_stale_replaced_own_removed)
{
	struct vm v;
	struct stat st;
	char path[128], arg[200];
	int other, fd;

	snprintf(path, sizeof path, "/tmp/vmm-vsock-live-%d.sock", getpid());
	unlink(path);
	unix_listen_at(&other, path);
	snprintf(arg, sizeof arg, "unix:%s:1235", path);
	bad_args("a server is listening on that socket", (const char *[]){ "--publish", arg, NULL });
	fd = unix_connect(path); /* still the other's */
	close(fd);
	close(other); /* now stale: the file stays, nobody listens */
	ck_assert_int_eq(lstat(path, &st), 0);

	snprintf(arg, sizeof arg, "unix:%s:1235,mode=0660,group=1", path);
	vm_start(&v, (const char *[]){ "--no-jail", "--publish", arg, NULL });
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_msg((st.st_mode & 07777) == 0660 && st.st_gid == 1, "mode %o gid %u", st.st_mode & 07777,
		      (unsigned)st.st_gid);
	fd = unix_connect(path);
	echo_once(fd, 100, 14);
	close(fd);
	vm_stop(&v);
	ck_assert_msg(lstat(path, &st) < 0 && errno == ENOENT, "vmm left its socket behind");

	/* Another server takes the path while vmm runs: vmm leaves it be. */
	snprintf(arg, sizeof arg, "unix:%s:1235", path);
	vm_start(&v, (const char *[]){ "--no-jail", "--publish", arg, NULL });
	ck_assert_int_eq(unlink(path), 0);
	unix_listen_at(&other, path);
	vm_stop(&v);
	fd = unix_connect(path);
	close(fd);
	close(other);
	unlink(path);
}
END_TEST

/* Bad options: one clear line, exit 2, before anything boots. */
static void bad_args(const char *want, const char **args)
{
	char *argv[16];
	int argc = 0;
	struct proc_result r;
	struct proc_opts o = { .in_fd = -1, .timeout_ms = 60000 };

	argv[argc++] = (char *)vmm_bin();
	argv[argc++] = (char *)"run";
	argv[argc++] = (char *)"--kernel";
	argv[argc++] = (char *)"/nonexistent";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	ck_assert_int_eq(proc_run(argv, &o, &r), 0);
	ck_assert_msg(r.status == 2, "status %d for %s", r.status, want);
	ck_assert_msg(strstr(r.err, want), "stderr '%s' lacks '%s'", msg_tail(r.err), want);
	ck_assert_int_eq(count_of(r.err, "\n"), 1);
	proc_result_free(&r);
}

START_TEST(bad_publish_arguments)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	char busy[32];

	bad_args("use [ADDR:]HOSTPORT:GUESTPORT", (const char *[]){ "--publish", "8080", NULL });
	bad_args("host port 'x'", (const char *[]){ "--publish", "x:1234", NULL });
	bad_args("host port '70000'", (const char *[]){ "--publish", "70000:1234", NULL });
	bad_args("guest port '-1'", (const char *[]){ "--publish", "8080:-1", NULL });
	bad_args("no socket path", (const char *[]){ "--publish", "unix::5", NULL });
	bad_args("mode '0999'", (const char *[]){ "--publish", "unix:/tmp/x.sock:5,mode=0999", NULL });
	bad_args("no group 'no-such-group-here'",
		 (const char *[]){ "--publish", "unix:/tmp/x.sock:5,group=no-such-group-here", NULL });
	bad_args("are for unix:PATH sockets only", (const char *[]){ "--publish", "8080:5,mode=0600", NULL });
	bad_args("not a numeric IP address", (const char *[]){ "--publish", "localhost:8080:1", NULL });
	bad_args("use GUESTPORT=unix:PATH", (const char *[]){ "--vsock-connect", "5=tcp:1.2.3.4", NULL });
	bad_args("--cid '2'", (const char *[]){ "--cid", "2", NULL });
	bad_args("--cid 'x'", (const char *[]){ "--cid", "x", NULL });
	/* A port in use: reported before the guest boots. */
	loopback_up();
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	getsockname(fd, (struct sockaddr *)&a, &len);
	snprintf(busy, sizeof busy, "%u:1234", ntohs(a.sin_port));
	bad_args("Address already in use", (const char *[]){ "--publish", busy, NULL });
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vsock");
	TCase *shared = tcase_create("one echo VM"), *own = tcase_create("own VMs"), *cli = tcase_create("options");
	int failed;

	signal(SIGPIPE, SIG_IGN);
	tcase_set_timeout(shared, 600);
	tcase_set_timeout(own, 900);
	tcase_set_timeout(cli, 300);
	tcase_add_unchecked_fixture(shared, shared_start, shared_stop);
	tcase_add_test(shared, tcp_echo);
	tcase_add_test(shared, unix_echo);
	tcase_add_test(shared, parallel_connections);
	tcase_add_test(shared, stalled_client_does_not_block_others);
	tcase_add_test(shared, half_close_returns_everything_then_eof);
	tcase_add_test(shared, guest_reset_reaches_the_client);
	tcase_add_test(shared, client_reset_reaches_the_guest);
	tcase_add_test(shared, port_without_listener_is_refused);
	tcase_add_test(shared, vmm_survived);
	tcase_add_test(own, guest_connect_allowed_and_refused);
	tcase_add_test(own, hostile_guest_gets_needs_reset_and_vmm_stays_up);
	tcase_add_test(own, out_of_fds_waits_without_spinning);
	tcase_add_test(own, unanswered_requests_time_out_and_leavers_are_reaped);
	tcase_add_test(own, publish_unix_live_refused_stale_replaced_own_removed);
	tcase_add_test(cli, bad_publish_arguments);
	suite_add_tcase(s, cli);
	suite_add_tcase(s, shared);
	suite_add_tcase(s, own);
	failed = run_suite(s);
	return failed || shared_failed ? 1 : 0;
}
