/* vsock bench helper (built by bench/vsock.sh):
 *   vsock_client serve PATH            a single-threaded epoll echo server on a unix socket
 *   vsock_client rr unix:PATH|PORT N   N round trips of 64 bytes; prints round trips/s
 *   vsock_client bulk unix:PATH|PORT MB  streams MB MiB through an echo, reading the
 *                                       echo back at the same time; prints MB/s */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int dial(const char *where)
{
	int fd, one = 1;

	if (strncmp(where, "unix:", 5) == 0) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		snprintf(a.sun_path, sizeof a.sun_path, "%s", where + 5);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
			return perror("connect"), -1;
	} else {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(where)),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
			return perror("connect"), -1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	return fd;
}

static int serve(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int l = socket(AF_UNIX, SOCK_STREAM, 0), ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = l }, evs[64];
	static char buf[1 << 16];

	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	unlink(path);
	if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 64) < 0)
		return perror("bind"), 1;
	epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == l) {
				struct epoll_event c = { .events = EPOLLIN, .data.fd = accept(l, NULL, NULL) };
				epoll_ctl(ep, EPOLL_CTL_ADD, c.data.fd, &c);
				continue;
			}
			ssize_t r = read(fd, buf, sizeof buf);
			if (r <= 0) {
				close(fd);
				continue;
			}
			for (ssize_t off = 0; off < r;) { /* blocking write: the client reads concurrently */
				ssize_t w = write(fd, buf + off, (size_t)(r - off));
				if (w <= 0)
					break;
				off += w;
			}
		}
	}
}

static int rr(const char *where, long n)
{
	char msg[64], in[64];
	int fd = dial(where);
	double t0;

	if (fd < 0)
		return 1;
	memset(msg, 'r', sizeof msg);
	t0 = now();
	for (long i = 0; i < n; i++) {
		size_t got = 0;
		if (write(fd, msg, sizeof msg) != sizeof msg)
			return perror("write"), 1;
		while (got < sizeof in) {
			ssize_t r = read(fd, in + got, sizeof in - got);
			if (r <= 0)
				return fprintf(stderr, "read: connection ended\n"), 1;
			got += (size_t)r;
		}
	}
	printf("%.0f\n", (double)n / (now() - t0));
	close(fd);
	return 0;
}

static int bulk(const char *where, long mib)
{
	static char out[1 << 16], in[1 << 16];
	size_t total = (size_t)mib << 20, sent = 0, got = 0;
	int fd = dial(where);
	double t0;

	if (fd < 0)
		return 1;
	memset(out, 'b', sizeof out);
	t0 = now();
	while (got < total) {
		struct pollfd p = { fd, (short)(POLLIN | (sent < total ? POLLOUT : 0)), 0 };
		if (poll(&p, 1, 10000) <= 0)
			return fprintf(stderr, "bulk: stalled\n"), 1;
		if ((p.revents & POLLOUT) && sent < total) {
			size_t k = total - sent < sizeof out ? total - sent : sizeof out;
			ssize_t w = send(fd, out, k, MSG_DONTWAIT);
			if (w > 0)
				sent += (size_t)w;
		}
		if (p.revents & (POLLIN | POLLHUP)) {
			ssize_t r = recv(fd, in, sizeof in, MSG_DONTWAIT);
			if (r == 0)
				return fprintf(stderr, "bulk: connection ended\n"), 1;
			if (r > 0)
				got += (size_t)r;
		}
	}
	printf("%.1f\n", (double)total / (now() - t0) / 1e6);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return serve(argv[2]);
	if (argc == 4 && strcmp(argv[1], "rr") == 0)
		return rr(argv[2], atol(argv[3]));
	if (argc == 4 && strcmp(argv[1], "bulk") == 0)
		return bulk(argv[2], atol(argv[3]));
	fprintf(stderr, "usage: vsock_client serve PATH | rr WHERE N | bulk WHERE MIB\n");
	return 2;
}
