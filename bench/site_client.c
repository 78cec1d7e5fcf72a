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
 *   site_client load PORT N               N keep-alive GETs over the example
 *                                         site's pages on one connection;
 *                                         prints requests/s
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

static int cold(int n, int port, char **argv)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
	static char buf[1 << 16];
	long long *t = calloc((size_t)n, sizeof *t), *tc = calloc((size_t)n, sizeof *tc);
	int good = 0, fails = 0;

	for (int i = 0; i < n; i++) {
		long long t0 = now_us();
		int st = 0, ok = 0;
		pid_t pid = fork();

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

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 5 && strcmp(argv[1], "cold") == 0)
		return cold(atoi(argv[2]), atoi(argv[3]), argv + 4);
	if (argc == 4 && strcmp(argv[1], "load") == 0)
		return load(atoi(argv[2]), atoi(argv[3]));
	fprintf(stderr, "usage: site_client cold N PORT VMM ARGS... | load PORT N\n");
	return 2;
}
