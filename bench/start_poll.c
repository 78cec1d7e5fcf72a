/* start_poll: time from a start to the site's first HTTP 200, for
 * bench/virsh-start.sh, polling GET / on 127.0.0.1:PORT.
 *
 *   start_poll wait PORT LIMIT_MS CMD...   runs CMD, polls every 0.5 ms until
 *                                          a 200, then waits for CMD to exit;
 *                                          prints "us_to_200 us_to_exit"
 *   start_poll kill PORT LIMIT_MS CMD...   the same, then stops CMD (SIGTERM);
 *                                          prints "us_to_200 0"
 *   start_poll create URI DOMAIN PORT      vmmd's start path without virsh's
 *                                          own start-up: a libvirt client
 *                                          with its connection open already
 *                                          (as a management program keeps
 *                                          one) calls virDomainCreate in a
 *                                          thread and polls every 0.2 ms from
 *                                          the call; prints "us_to_200"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* One GET /; the status code, -1 if there was none. */
static int get(int port)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char buf[64] = "";
	int s = socket(AF_INET, SOCK_STREAM, 0), code = -1, n = 0;

	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&a, sizeof a) == 0 && send(s, req, sizeof req - 1, MSG_NOSIGNAL) > 0) {
		struct pollfd p = { .fd = s, .events = POLLIN };

		while (n < 12 && poll(&p, 1, 10000) == 1) {
			ssize_t r = recv(s, buf + n, sizeof buf - 1 - (size_t)n, 0);

			if (r <= 0)
				break;
			n += (int)r;
		}
		buf[n] = 0;
		if (sscanf(buf, "HTTP/1.%*d %d", &code) != 1)
			code = -1;
	}
	close(s);
	return code;
}

static int run_cmd(bool kill_after, int port, long long limit, char **cmd)
{
	long long t0 = now_us(), t200 = -1, texit = 0;
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 1);
		execvp(cmd[0], cmd);
		_exit(127);
	}
	while (now_us() - t0 < limit) {
		if (get(port) == 200) {
			t200 = now_us() - t0;
			break;
		}
		if (!texit && waitpid(pid, &st, WNOHANG) == pid) {
			texit = now_us() - t0;
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				break; /* virsh start failed, or vmm ended */
		}
		usleep(500);
	}
	if (kill_after) {
		kill(pid, SIGTERM);
		waitpid(pid, &st, 0);
		texit = 0;
	} else if (!texit) {
		waitpid(pid, &st, 0);
		texit = now_us() - t0;
	}
	if (t200 < 0) {
		fprintf(stderr, "no HTTP 200 on port %d\n", port);
		return 1;
	}
	printf("%lld %lld\n", t200, texit);
	return 0;
}

static int created = -2;

static void *create(void *dom)
{
	created = virDomainCreate(dom);
	return NULL;
}

static int create_domain(const char *uri, const char *name, int port)
{
	virConnectPtr c = virConnectOpen(uri);
	virDomainPtr d = c ? virDomainLookupByName(c, name) : NULL;
	pthread_t t;
	long long t0, t200 = -1;

	if (!d)
		return 1;
	t0 = now_us();
	if (pthread_create(&t, NULL, create, d))
		return 1;
	while (now_us() - t0 < 60000000LL) {
		if (get(port) == 200) {
			t200 = now_us() - t0;
			break;
		}
		usleep(200);
	}
	pthread_join(t, NULL);
	virDomainFree(d);
	virConnectClose(c);
	if (t200 < 0 || created != 0) {
		fprintf(stderr, "start_poll: no HTTP 200 on port %d (virDomainCreate returned %d)\n", port, created);
		return 1;
	}
	printf("%lld\n", t200);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "create") == 0)
		return create_domain(argv[2], argv[3], atoi(argv[4]));
	if (argc >= 5 && (strcmp(argv[1], "wait") == 0 || strcmp(argv[1], "kill") == 0))
		return run_cmd(strcmp(argv[1], "kill") == 0, atoi(argv[2]), atoll(argv[3]) * 1000, argv + 4);
	fprintf(stderr, "usage: start_poll wait|kill PORT LIMIT_MS CMD... | start_poll create URI DOMAIN PORT\n");
	return 2;
}
