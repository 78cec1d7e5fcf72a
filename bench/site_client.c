/* site_client: small HTTP/1.1 clients for bench/site.sh, so that no
 * process start-up sits inside a measurement.
 *
 *   site_client cold N PORT VMM ARGS...   N times: exec VMM ARGS..., poll
 *                                         127.0.0.1:PORT until a 200 arrives,
 *                                         stop it (SIGTERM); prints the median,
 *                                         min and max in microseconds, the
 *                                         number of starts that gave no 200 and
 *                                         the median time to the first accepted
 *                                         connection (the VMM listening)
 *   site_client standby N PORT MEM VMM run ARGS...
 *                                         as cold, but each start is handed
 *                                         to a `VMM standby --mem MEM` started
 *                                         (and left 100 ms to make its VM)
 *                                         beforehand: timed from the handover
 *                                         (cli/standby_proto.h), as vmmd's
 *                                         starts from its standby are
 *   site_client load PORT N               N keep-alive GETs over the example
 *                                         site's pages on one connection;
 *                                         prints requests/s
 *   site_client latency PORT N PATH [W]   W (1000) then N keep-alive GETs of
 *                                         PATH, one at a time on one
 *                                         connection, each timed from its
 *                                         write to the last byte of its body
 *                                         (CLOCK_MONOTONIC); every response
 *                                         must be a complete 200 with a
 *                                         Content-Length, else it says why on
 *                                         stderr, prints nothing and fails;
 *                                         prints "p50_us p99_us mean_us count"
 *                                         over the N (W are a warm-up)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

static int tcp_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

/* Reads one response on fd into buf; returns its status, 0 on EOF/reset/timeout. */
static int read_response(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t got = 0, need = 0;
	char *end = NULL;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, timeout_ms) <= 0)
			return 0;
		n = read(fd, buf + got, cap - 1 - got);
		if (n <= 0)
			return 0;
		got += (size_t)n;
		buf[got] = 0;
		if (!end && (end = strstr(buf, "\r\n\r\n"))) {
			char *cl = strcasestr(buf, "\r\nContent-Length:");
			need = (size_t)(end + 4 - buf) + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (end && got >= need) {
			if (got > need)
				return -1; /* not expected: we never pipeline */
			return strncmp(buf, "HTTP/1.1 ", 9) == 0 ? atoi(buf + 9) : 0;
		}
		if (got == cap - 1)
			return 0;
	}
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* A `vmm standby` with its control socket; returns that socket, -1 on error. */
static int standby_spawn(const char *vmm, const char *mem, pid_t *pid)
{
	int sv[2];
	char opt[64];

	snprintf(opt, sizeof opt, "--mem=%s", mem);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	*pid = fork();
	if (*pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(sv[1], 3);
		execl(vmm, vmm, "standby", opt, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	return *pid < 0 ? -1 : sv[0];
}

/* Hands argv (a `vmm run`'s, from "run") to the standby on ctl, with
 * /dev/null as its stdin, stdout and stderr. */
static int standby_hand_over(int ctl, char **argv)
{
	static char msg[65536];
	static const char magic[] = "vmm-standby-1";
	size_t len = sizeof magic;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), fds[3] = { null, null, null };
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof fds)];
	} c;
	struct iovec iov;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.space, .msg_controllen = sizeof c.space };
	ssize_t sent;

	memcpy(msg, magic, sizeof magic);
	for (int i = 0; argv[i]; i++) {
		size_t l = strlen(argv[i]) + 1;

		if (len + l > sizeof msg)
			return -1;
		memcpy(msg + len, argv[i], l);
		len += l;
	}
	iov = (struct iovec){ msg, len };
	c.h.cmsg_level = SOL_SOCKET;
	c.h.cmsg_type = SCM_RIGHTS;
	c.h.cmsg_len = CMSG_LEN(sizeof fds);
	memcpy(CMSG_DATA(&c.h), fds, sizeof fds);
	sent = sendmsg(ctl, &m, 0);
	close(null);
	return sent == (ssize_t)len ? 0 : -1;
}

/* standby_mem: NULL, exec argv; else hand argv + 1 to a standby of argv[0]. */
static int cold(int n, int port, char **argv, const char *standby_mem)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
	static char buf[1 << 16];
	long long *t = calloc((size_t)n, sizeof *t), *tc = calloc((size_t)n, sizeof *tc);
	int good = 0, fails = 0;

	for (int i = 0; i < n; i++) {
		long long t0;
		int st = 0, ok = 0;
		pid_t pid;

		if (standby_mem) {
			int ctl = standby_spawn(argv[0], standby_mem, &pid);

			if (ctl < 0) {
				perror("standby: cannot start it");
				return 1;
			}
			usleep(100000);
			t0 = now_us();
			if (standby_hand_over(ctl, argv + 1) < 0) {
				perror("standby: cannot hand the run over");
				return 1;
			}
			close(ctl);
		} else {
			t0 = now_us();
			pid = fork();
		}
		if (pid == 0) {
			int null = open("/dev/null", O_RDWR);
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			execv(argv[0], argv);
			_exit(127);
		}
		int refused = 0, other = 0, last = 0;

		while (!ok && now_us() - t0 < 60000000LL) {
			int fd = tcp_connect(port);

			if (fd >= 0 && !tc[good])
				tc[good] = now_us() - t0; /* the VMM listens: what follows is the guest's */
			if (fd >= 0) {
				if (write(fd, req, sizeof req - 1) == (ssize_t)sizeof req - 1 &&
				    (last = read_response(fd, buf, sizeof buf, 5000)) == 200)
					ok = 1;
				else
					other++;
				close(fd);
			} else {
				refused++;
			}
			if (!ok) {
				if (waitpid(pid, &st, WNOHANG) == pid) {
					fprintf(stderr, "cold: vmm exited (status %#x) before answering\n", st);
					return 1;
				}
				usleep(200);
			}
		}
		t[i] = now_us() - t0;
		kill(pid, SIGTERM);
		for (long long w = now_us(); waitpid(pid, &st, WNOHANG) != pid; usleep(1000)) {
			if (now_us() - w > 20000000LL) {
				fprintf(stderr, "cold %d: vmm still running 20 s after SIGTERM; killed\n", i);
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
				break;
			}
		}
		if (!WIFSIGNALED(st) && !(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGTERM))
			fprintf(stderr, "cold %d: vmm ended with status %#x after SIGTERM\n", i, st);
		if (getenv("SITE_CLIENT_DEBUG"))
			fprintf(stderr, "cold %d: %lld us (first connect %lld us), %d refused, %d without a 200 (last %d)\n",
				i, t[i], tc[good], refused, other, last);
		if (!ok) {
			fprintf(stderr, "cold %d: no 200 within 60 s (%d refused, %d without a 200, last status %d)\n", i,
				refused, other, last);
			fails++;
			tc[good] = 0;
			continue;
		}
		t[good++] = t[i];
	}
	if (!good)
		return 1;
	qsort(t, (size_t)good, sizeof *t, cmp_ll);
	qsort(tc, (size_t)good, sizeof *tc, cmp_ll);
	printf("%lld %lld %lld %d %lld\n", good % 2 ? t[good / 2] : (t[good / 2 - 1] + t[good / 2]) / 2, t[0],
	       t[good - 1], fails, good % 2 ? tc[good / 2] : (tc[good / 2 - 1] + tc[good / 2]) / 2);
	free(t);
	free(tc);
	return 0;
}

static int load(int port, int n)
{
	static const char *paths[] = { "/", "/about.html", "/style.css", "/logo.png", "/docs/", "/nope.html" };
	static char buf[1 << 20];
	int fd = tcp_connect(port);
	long long t0 = now_us();

	if (fd < 0) {
		perror("connect");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char req[256];
		const char *p = paths[i % 6];
		int len = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", p), st;

		if (write(fd, req, (size_t)len) != len || (st = read_response(fd, buf, sizeof buf, 30000)) !=
								   (i % 6 == 5 ? 404 : 200)) {
			fprintf(stderr, "load: request %d (%s) failed\n", i, p);
			return 1;
		}
	}
	printf("%.0f\n", n / ((now_us() - t0) / 1e6));
	close(fd);
	return 0;
}

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* The nearest-rank percentile P of the n sorted values v. */
static long long percentile(const long long *v, int n, int p)
{
	long long k = ((long long)n * p + 99) / 100;

	return v[k > 0 ? k - 1 : 0];
}

static int latency(int port, int n, const char *path, int warm)
{
	static char buf[1 << 20];
	char req[512];
	int len = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", path);
	long long *t = calloc((size_t)n, sizeof *t), sum = 0;
	int fd = tcp_connect(port);

	if (n <= 0 || warm < 0 || !t || len <= 0 || len >= (int)sizeof req) {
		fprintf(stderr, "latency: bad arguments\n");
		return 1;
	}
	if (fd < 0) {
		perror("latency: connect");
		return 1;
	}
	for (int i = 0; i < warm + n; i++) {
		long long t0 = now_ns(), t1;
		int st = 0;
		char *end, *cl;

		if (write(fd, req, (size_t)len) != len) {
			fprintf(stderr, "latency: request %d: write failed: %s\n", i, strerror(errno));
			return 1;
		}
		st = read_response(fd, buf, sizeof buf, 30000);
		t1 = now_ns();
		/* read_response stops at Content-Length: without one the length
		 * of the body is unknown, so the response could be short. */
		end = st > 0 ? strstr(buf, "\r\n\r\n") : NULL;
		cl = end ? strcasestr(buf, "\r\nContent-Length:") : NULL;
		if (st != 200 || !cl || cl >= end) {
			fprintf(stderr, "latency: request %d of %d (GET %s): %s\n", i, warm + n, path,
				st == 200 ? "200 without a Content-Length"
				: st > 0  ? "status is not 200"
				: st < 0  ? "more bytes than the response's length"
					  : "short or no response (EOF, reset, not HTTP/1.1, over 1 MiB or none in 30 s)");
			if (st > 0)
				fprintf(stderr, "latency: its status line: %.*s\n", (int)strcspn(buf, "\r\n"), buf);
			return 1;
		}
		if (i >= warm) {
			t[i - warm] = t1 - t0;
			sum += t1 - t0;
		}
	}
	close(fd);
	qsort(t, (size_t)n, sizeof *t, cmp_ll);
	printf("%.1f %.1f %.1f %d\n", percentile(t, n, 50) / 1e3, percentile(t, n, 99) / 1e3, (double)sum / n / 1e3, n);
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 5 && strcmp(argv[1], "cold") == 0)
		return cold(atoi(argv[2]), atoi(argv[3]), argv + 4, NULL);
	if (argc >= 7 && strcmp(argv[1], "standby") == 0)
		return cold(atoi(argv[2]), atoi(argv[3]), argv + 5, argv[4]);
	if (argc == 4 && strcmp(argv[1], "load") == 0)
		return load(atoi(argv[2]), atoi(argv[3]));
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "latency") == 0)
		return latency(atoi(argv[2]), atoi(argv[3]), argv[4], argc == 6 ? atoi(argv[5]) : 1000);
	fprintf(stderr, "usage: site_client cold N PORT VMM ARGS... | standby N PORT MEM VMM run ARGS... | load PORT N |"
			" latency PORT N PATH [WARMUP]\n");
	return 2;
}
