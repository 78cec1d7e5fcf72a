/* api_create: vmmd's start path without virsh's own start-up, for
 * bench/virsh-start.sh. A libvirt C API client that has its connection open
 * already (as a management program keeps one) calls virDomainCreate in a
 * thread and polls GET / on 127.0.0.1:PORT every 0.2 ms from the call to
 * the first 200.
 *
 *   api_create URI DOMAIN PORT     prints the microseconds to the first 200
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <libvirt/libvirt.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

static int created = -2;

static void *create(void *dom)
{
	created = virDomainCreate(dom);
	return NULL;
}

int main(int argc, char **argv)
{
	virConnectPtr c;
	virDomainPtr d;
	pthread_t t;
	long long t0, t200 = -1;
	int port;

	if (argc != 4) {
		fprintf(stderr, "usage: api_create URI DOMAIN PORT\n");
		return 2;
	}
	port = atoi(argv[3]);
	c = virConnectOpen(argv[1]);
	d = c ? virDomainLookupByName(c, argv[2]) : NULL;
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
		fprintf(stderr, "api_create: no HTTP 200 on port %d (virDomainCreate returned %d)\n", port, created);
		return 1;
	}
	printf("%lld\n", t200);
	return 0;
}
