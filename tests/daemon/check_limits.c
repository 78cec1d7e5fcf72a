/* Hostile local clients: connection floods from other users, clients that
 * never open, huge frames, clients that do not read their replies. Root's
 * virsh must keep working and the daemon's memory must stay bounded. The
 * figures (virsh latency, vmmd's RSS) are printed for the record. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_suite.h"
#include "common/harness.h"
#include "suites.h"

#define REMOTE 0x20008086u
#define KEEPALIVE 0x6b656570u
#define NOBODY 65534

static struct vmmd_inst v;

static void teardown(void)
{
	vmmd_fixture_down(&v);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Starts the daemon with args; the test directory searchable by others,
 * so other users reach the sockets (their modes decide). */
static void start(const char *args)
{
	ck_assert_int_eq(vmmd_start(&v, NULL, args), 0);
	ck_assert_int_eq(chmod(v.dir, 0711), 0);
}

static int dial_path(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof sa.sun_path, "%.100s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int dial(bool ro)
{
	char path[320];

	snprintf(path, sizeof path, "%s%s", v.sock, ro ? "-ro" : "");
	return dial_path(path);
}

static void put32(uint8_t *p, uint32_t x)
{
	x = htonl(x);
	memcpy(p, &x, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t x;

	memcpy(&x, p, 4);
	return ntohl(x);
}

/* A message's first 28 bytes (length word announcing len) + payload. */
static size_t frame(uint8_t *buf, uint32_t len, uint32_t prog, int proc, uint32_t serial, const void *payload,
		    size_t n)
{
	put32(buf, len);
	put32(buf + 4, prog);
	put32(buf + 8, 1);
	put32(buf + 12, (uint32_t)proc);
	put32(buf + 16, prog == KEEPALIVE ? 2 : 0); /* MESSAGE for pings, else CALL */
	put32(buf + 20, serial);
	put32(buf + 24, 0);
	if (n)
		memcpy(buf + 28, payload, n);
	return 28 + n;
}

static int send_call(int fd, int proc, uint32_t serial, const void *payload, size_t n)
{
	uint8_t buf[256];
	size_t len = frame(buf, (uint32_t)(28 + n), REMOTE, proc, serial, payload, n);

	return write(fd, buf, len) == (ssize_t)len ? 0 : -1;
}

/* CONNECT_OPEN(NULL, flags): 1 = read-only. */
static int send_open(int fd, uint32_t flags)
{
	uint8_t args[8] = { 0 };

	put32(args + 4, flags);
	return send_call(fd, 1, 1, args, 8);
}

/* Reads one message (up to size bytes) within ms; its length, 0 on EOF,
 * timeout or a message over size. */
static size_t recv_msg(int fd, uint8_t *buf, size_t size, int ms)
{
	size_t got = 0, need = 4;

	while (got < need) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;

		if (poll(&p, 1, ms) != 1)
			return 0;
		r = read(fd, buf + got, need - got);
		if (r <= 0)
			return 0;
		got += (size_t)r;
		if (got == 4 && (need = get32(buf)) > size)
			return 0;
	}
	return got;
}

/* Whether the daemon closes fd within ms (what it still sends is read and
 * counted in *bytes). */
static bool closed_within(int fd, int ms, size_t *bytes)
{
	double end = now_s() + ms / 1000.0;
	uint8_t buf[65536];

	*bytes = 0;
	for (;;) {
		int left = (int)((end - now_s()) * 1000);
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;

		if (left <= 0 || poll(&p, 1, left) != 1)
			return false;
		r = read(fd, buf, sizeof buf);
		if (r <= 0)
			return true; /* EOF or reset */
		*bytes += (size_t)r;
	}
}

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

/* Root's `virsh list` on the read-write socket: seconds (best of 3), and
 * it must succeed. */
static double virsh_list_s(void)
{
	double best = 1e9;
	char out[2048];

	for (int i = 0; i < 3; i++) {
		double t0 = now_s();

		ck_assert_msg(virsh(&v, out, sizeof out, "list --all") == 0, "root's virsh list failed: %s", out);
		if (now_s() - t0 < best)
			best = now_s() - t0;
	}
	return best;
}

/* Root's call on a fresh raw connection (connect, CONNECT_OPEN, a list):
 * the daemon's own latency, without virsh's start-up. */
static double raw_call_s(void)
{
	uint8_t buf[4096], args[8] = { 0 };
	double t0 = now_s();
	int fd = dial(false);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(send_open(fd, 0), 0);
	ck_assert_uint_ge(recv_msg(fd, buf, sizeof buf, 5000), 28);
	ck_assert_uint_eq(get32(buf + 24), 0);
	put32(args, 1); /* need_results, flags 0 */
	ck_assert_int_eq(send_call(fd, 273, 2, args, 8), 0);
	ck_assert_uint_ge(recv_msg(fd, buf, sizeof buf, 5000), 28);
	ck_assert_uint_eq(get32(buf + 24), 0);
	close(fd);
	return now_s() - t0;
}

/* A child that becomes uid (no groups) and opens n connections to the
 * read-only socket, each opened read-only when open_them; it writes one
 * byte to ready once done and waits to be killed. */
static pid_t hostile(uid_t uid, int n, bool open_them, int ready)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct rlimit rl = { (rlim_t)n + 64, (rlim_t)n + 64 };
		char c = 1;

		signal(SIGPIPE, SIG_IGN); /* refused connections are closed under it */
		setrlimit(RLIMIT_NOFILE, &rl);
		if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(uid) < 0)
			_exit(3);
		for (int i = 0; i < n; i++) {
			int fd = dial(true);

			if (fd >= 0 && open_them)
				send_open(fd, 1);
		}
		if (write(ready, &c, 1) != 1)
			_exit(4);
		pause();
		_exit(0);
	}
	return pid;
}

static void wait_ready(int rfd, int count)
{
	for (int i = 0; i < count; i++) {
		struct pollfd p = { rfd, POLLIN, 0 };
		char c;

		int st = -1;

		if (poll(&p, 1, 60000) != 1) {
			pid_t w = waitpid(-1, &st, WNOHANG);

			ck_abort_msg("no child ready (%d of %d); a child %d ended with %#x", i, count, (int)w, st);
		}
		ck_assert_int_eq(read(rfd, &c, 1), 1);
	}
}

static void kill_all(pid_t *pids, int n)
{
	for (int i = 0; i < n; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
}

static bool log_has(const char *text)
{
	char path[400], buf[65536];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/vmmd.log", v.dir);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	return strstr(buf, text) != NULL;
}

/* 520 idle connections of nobody to the read-only socket, then 1,000 opened
 * ones from 40 users: root's virsh list keeps working, quickly. */
START_TEST(floods_of_other_users_leave_root_its_socket)
{
	int pipefd[2];
	pid_t pids[41];
	double list0, raw0, list1, raw1, list2, raw2;
	long rss0, rss1, rss2;

	start(NULL);
	ck_assert_int_eq(pipe(pipefd), 0);
	list0 = virsh_list_s();
	raw0 = raw_call_s();
	rss0 = rss_kib(v.pid);

	pids[0] = hostile(NOBODY, 520, false, pipefd[1]);
	wait_ready(pipefd[0], 1);
	list1 = virsh_list_s();
	raw1 = raw_call_s();
	rss1 = rss_kib(v.pid);
	ck_assert(log_has("the per-user limit"));

	/* 40 users x 25 opened read-only connections: past the read-only
	 * socket's share; the reserve keeps the read-write socket's */
	for (int i = 0; i < 40; i++)
		pids[1 + i] = hostile(60001 + (uid_t)i, 25, true, pipefd[1]);
	wait_ready(pipefd[0], 40);
	list2 = virsh_list_s();
	raw2 = raw_call_s();
	rss2 = rss_kib(v.pid);
	printf("limits: root's virsh list %.0f ms idle, %.0f ms with nobody's 520, %.0f ms with 1,000 from 40 users; "
	       "raw open+list %.1f / %.1f / %.1f ms; vmmd-san RSS %ld / %ld / %ld KiB\n",
	       list0 * 1e3, list1 * 1e3, list2 * 1e3, raw0 * 1e3, raw1 * 1e3, raw2 * 1e3, rss0, rss1, rss2);
	/* virsh's own start-up is most of it; the daemon's part is the raw call */
	ck_assert_msg(raw2 < 0.1, "root's call took %.0f ms", raw2 * 1e3);
	ck_assert_msg(list2 < list0 + 0.5, "root's virsh list took %.0f ms (%.0f ms idle)", list2 * 1e3, list0 * 1e3);
	kill_all(pids, 41);
	close(pipefd[0]);
	close(pipefd[1]);
}
END_TEST

START_TEST(unopened_clients_are_closed_after_the_deadline)
{
	uint8_t buf[256];
	size_t bytes;
	double t0;
	int idle, opened;

	start("--open-timeout 1");
	idle = dial(true);
	opened = dial(true);
	ck_assert_int_ge(idle, 0);
	ck_assert_int_eq(send_open(opened, 1), 0);
	ck_assert_uint_ge(recv_msg(opened, buf, sizeof buf, 5000), 28);
	t0 = now_s();
	ck_assert(closed_within(idle, 3000, &bytes));
	ck_assert_uint_eq(bytes, 0);
	ck_assert_msg(now_s() - t0 > 0.5, "closed before its deadline");
	/* the opened one stays, and is served */
	ck_assert_int_eq(send_call(opened, 59, 2, NULL, 0), 0);
	ck_assert_uint_ge(recv_msg(opened, buf, sizeof buf, 5000), 28);
	ck_assert_uint_eq(get32(buf + 24), 0);
	close(idle);
	close(opened);
}
END_TEST

START_TEST(huge_frames_refused_unless_opened_read_write)
{
	static uint8_t big[1u << 20];
	uint8_t buf[4096];
	size_t n, bytes;
	int fd;

	start(NULL);
	/* before CONNECT_OPEN: 32 MiB announced, an error at once and closed */
	fd = dial(false);
	frame(big, 32u << 20, REMOTE, 1, 5, NULL, 0);
	ck_assert_int_eq(write(fd, big, 4096), 4096);
	n = recv_msg(fd, buf, sizeof buf, 2000);
	ck_assert_uint_gt(n, 28);
	ck_assert_uint_eq(get32(buf + 20), 5); /* the call's serial */
	ck_assert_uint_eq(get32(buf + 24), 1); /* error */
	ck_assert(memmem(buf, n, "over the limit of 65536 bytes for an unopened connection", 56));
	ck_assert(closed_within(fd, 1000, &bytes));
	close(fd);
	/* a read-only connection, opened: 100 KiB is too much */
	fd = dial(true);
	ck_assert_int_eq(send_open(fd, 1), 0);
	ck_assert_uint_ge(recv_msg(fd, buf, sizeof buf, 5000), 28);
	frame(big, 100u << 10, REMOTE, 23, 6, NULL, 0);
	ck_assert_int_eq(write(fd, big, 28), 28);
	n = recv_msg(fd, buf, sizeof buf, 2000);
	ck_assert(memmem(buf, n, "for a read-only connection", 26));
	ck_assert(closed_within(fd, 1000, &bytes));
	close(fd);
	/* opened read-write: a 1 MiB call is read whole (and its bad payload
	 * answered), the connection stays */
	fd = dial(false);
	ck_assert_int_eq(send_open(fd, 0), 0);
	ck_assert_uint_ge(recv_msg(fd, buf, sizeof buf, 5000), 28);
	memset(big, 0xff, sizeof big);
	frame(big, sizeof big, REMOTE, 23, 7, NULL, 0);
	ck_assert_int_eq(write(fd, big, sizeof big), (ssize_t)sizeof big);
	n = recv_msg(fd, buf, sizeof buf, 5000);
	ck_assert_uint_eq(get32(buf + 20), 7);
	ck_assert(memmem(buf, n, "Unable to decode", 16));
	ck_assert_int_eq(send_call(fd, 59, 8, NULL, 0), 0);
	n = recv_msg(fd, buf, sizeof buf, 5000);
	ck_assert_uint_eq(get32(buf + 24), 0);
	close(fd);
}
END_TEST

/* One read-only attacker as nobody: a partial 32 MiB frame, then an opened
 * connection pipelining calls without reading a reply. Writes what the
 * daemon let it send (KiB) to report. */
static void pin_memory(int report)
{
	static uint8_t buf[1u << 16];
	size_t off = 0, sent = 0;
	int fd = dial(true);
	uint32_t kib;

	if (fd >= 0) {
		frame(buf, 32u << 20, REMOTE, 1, 1, NULL, 0);
		if (write(fd, buf, sizeof buf) < 0)
			sent = 0; /* refused at once: nothing to pin */
	}
	fd = dial(true);
	if (fd < 0 || send_open(fd, 1) < 0)
		_exit(5);
	while (off + 28 <= sizeof buf)
		off += frame(buf + off, 28, REMOTE, 59, 2, NULL, 0); /* GET_HOSTNAME */
	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (double end = now_s() + 2; now_s() < end;) {
		ssize_t w = write(fd, buf, off);

		if (w > 0)
			sent += (size_t)w;
		else if (w < 0 && errno != EAGAIN)
			break;
		else
			usleep(10000);
	}
	kib = (uint32_t)(sent >> 10);
	if (write(report, &kib, sizeof kib) != sizeof kib)
		_exit(4);
	pause();
	_exit(0);
}

START_TEST(readonly_clients_cannot_pin_memory)
{
	int pipefd[2];
	pid_t pids[8];
	long rss0, rss1, rss2;
	uint32_t sent_kib = 0;
	size_t bytes;
	int fd;

	/* the release build: ASan's quarantine would hold freed buffers */
	setenv("VMMD_BIN", BUILD_DIR "/vmmd", 1);
	start("--write-timeout 3");
	unsetenv("VMMD_BIN");
	ck_assert_int_eq(pipe(pipefd), 0);
	virsh_list_s();
	rss0 = rss_kib(v.pid);
	for (int i = 0; i < 8; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			signal(SIGPIPE, SIG_IGN);
			if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
				_exit(3);
			pin_memory(pipefd[1]);
		}
	}
	for (int i = 0; i < 8; i++) {
		uint32_t kib;
		struct pollfd p = { pipefd[0], POLLIN, 0 };

		ck_assert_int_eq(poll(&p, 1, 30000), 1);
		ck_assert_int_eq(read(pipefd[0], &kib, sizeof kib), sizeof kib);
		sent_kib += kib;
	}
	rss1 = rss_kib(v.pid);
	/* the same from root's side, in this process: it must be cut off
	 * (--write-timeout 3) with its queue bounded */
	signal(SIGPIPE, SIG_IGN);
	fd = dial(true);
	ck_assert_int_eq(send_open(fd, 1), 0);
	{
		static uint8_t buf[1u << 16];
		size_t off = 0;

		while (off + 28 <= sizeof buf)
			off += frame(buf + off, 28, REMOTE, 59, 2, NULL, 0);
		fcntl(fd, F_SETFL, O_NONBLOCK);
		for (double end = now_s() + 1; now_s() < end;)
			if (write(fd, buf, off) < 0)
				usleep(10000);
	}
	sleep(4);
	rss2 = rss_kib(v.pid);
	ck_assert(closed_within(fd, 5000, &bytes));
	printf("limits: 8 read-only attackers sent %u KiB; vmmd RSS %ld KiB before, %ld KiB during, %ld KiB after "
	       "they were cut off; a non-reader got %zu KiB before its close\n",
	       sent_kib, rss0, rss1, rss2, bytes >> 10);
	ck_assert_msg(rss1 - rss0 < 16 * 1024, "vmmd grew by %ld KiB", rss1 - rss0);
	/* at most the pause, one batch's replies and the socket's buffers */
	ck_assert_uint_lt(bytes, 2u << 20);
	kill_all(pids, 8);
	close(fd);
	close(pipefd[0]);
	close(pipefd[1]);
	/* root still served */
	virsh_list_s();
}
END_TEST

/* Two read-write clients announce 32 MiB frames under --client-memory 40M:
 * the second gets a libvirt error and keeps its connection. */
START_TEST(memory_budget_refuses_with_an_error)
{
	static uint8_t big[16u << 20];
	uint8_t buf[4096];
	size_t n;
	int a, b;

	start("--client-memory 40M");
	a = dial(false);
	b = dial(false);
	ck_assert_int_eq(send_open(a, 0), 0);
	ck_assert_uint_ge(recv_msg(a, buf, sizeof buf, 5000), 28);
	ck_assert_int_eq(send_open(b, 0), 0);
	ck_assert_uint_ge(recv_msg(b, buf, sizeof buf, 5000), 28);
	memset(big, 0xff, sizeof big);
	frame(big, 32u << 20, REMOTE, 23, 3, NULL, 0);
	ck_assert_int_eq(write(a, big, sizeof big), (ssize_t)sizeof big);
	usleep(300000); /* the daemon holds a's 16 MiB (and grows to 32 MiB) */
	frame(big, 32u << 20, REMOTE, 23, 4, NULL, 0);
	ck_assert_int_eq(write(b, big, 4096), 4096);
	n = recv_msg(b, buf, sizeof buf, 5000);
	ck_assert_uint_gt(n, 28);
	ck_assert_uint_eq(get32(buf + 20), 4);
	ck_assert_uint_eq(get32(buf + 24), 1);
	ck_assert_msg(memmem(buf, n, "client buffers are full", 23), "%.*s", (int)n - 28, buf + 28);
	/* b sends the rest of its frame (discarded), then is served again */
	for (size_t left = (32u << 20) - 4096; left;) {
		size_t k = left < sizeof big ? left : sizeof big;

		ck_assert_int_eq(write(b, big, k), (ssize_t)k);
		left -= k;
	}
	ck_assert_int_eq(send_call(b, 59, 5, NULL, 0), 0);
	n = recv_msg(b, buf, sizeof buf, 5000);
	ck_assert_uint_eq(get32(buf + 20), 5);
	ck_assert_uint_eq(get32(buf + 24), 0);
	/* a finishes its frame: answered (a bad payload, but read whole) */
	for (size_t left = 16u << 20; left;) {
		ssize_t w = write(a, big, left);

		ck_assert_int_gt(w, 0);
		left -= (size_t)w;
	}
	n = recv_msg(a, buf, sizeof buf, 5000);
	ck_assert_uint_eq(get32(buf + 20), 3);
	ck_assert(memmem(buf, n, "Unable to decode", 16));
	close(a);
	close(b);
}
END_TEST

static void assert_mode(const char *suffix, mode_t mode, gid_t gid)
{
	char path[320];
	struct stat st;

	snprintf(path, sizeof path, "%s%s", v.sock, suffix);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_msg((st.st_mode & 0777) == mode, "%s: mode %o, want %o", path, st.st_mode & 0777, mode);
	ck_assert_uint_eq(st.st_gid, gid);
}

START_TEST(readonly_socket_mode_follows_the_group)
{
	struct group *g = getgrnam("nogroup");

	ck_assert_ptr_nonnull(g);
	start(NULL);
	assert_mode("", 0600, 0);
	assert_mode("-ro", 0666, 0);
	ck_assert_int_eq(vmmd_stop(&v), 0);
	ck_assert_int_eq(vmmd_restart(&v, "--group nogroup"), 0);
	assert_mode("", 0660, g->gr_gid);
	assert_mode("-ro", 0660, g->gr_gid);
	ck_assert_int_eq(vmmd_stop(&v), 0);
	ck_assert_int_eq(vmmd_restart(&v, "--group nogroup --ro-mode 0664"), 0);
	assert_mode("-ro", 0664, g->gr_gid);
	ck_assert_int_eq(vmmd_stop(&v), 0);
	ck_assert_int_eq(vmmd_restart(&v, "--ro-group nogroup"), 0);
	assert_mode("", 0600, 0);
	assert_mode("-ro", 0660, g->gr_gid);
}
END_TEST

Suite *limits_suite(void)
{
	const TTest *const tests[] = {
		floods_of_other_users_leave_root_its_socket,
		unopened_clients_are_closed_after_the_deadline,
		huge_frames_refused_unless_opened_read_write,
		readonly_clients_cannot_pin_memory,
		memory_budget_refuses_with_an_error,
		readonly_socket_mode_follows_the_group,
		NULL,
	};

	return one_case_suite("limits", "hostile", 120, NULL, teardown, tests);
}
