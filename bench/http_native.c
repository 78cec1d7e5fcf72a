/* The guest's web stack (guest/http) as an ordinary host process: one thread,
 * epoll, TCP, the site archive in memory, the access log buffered to a file.
 * On the target hosts the guest's ring-3 code runs natively, so this shows
 * what the web stack itself costs per request, apart from the exits and
 * wake-ups the VM adds; bench/site.sh measures it beside nginx.
 *
 *   http_native SITE.TAR PORT LOGFILE      serves until SIGTERM
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "http/http_conn.h"

#define RX_CAP (16 << 10)
#define HEAD_CAP 4096

struct client {
	int fd;
	struct http_conn http;
	char in[RX_CAP];
};

static uint64_t unix_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void log_line(void *ctx, const char *line, size_t n)
{
	fwrite(line, 1, n, ctx);
	fputc('\n', ctx);
}

static int send_all(int fd, const struct iovec *iov, int n)
{
	struct iovec v[2];
	int k = n;

	memcpy(v, iov, sizeof *iov * (size_t)n);
	for (int i = 0; i < k;) {
		ssize_t w = writev(fd, v + i, k - i);

		if (w < 0 && errno == EAGAIN) {
			/* Rare with 1 KiB bodies: wait for room rather than buffer. */
			fd_set s;
			FD_ZERO(&s);
			FD_SET(fd, &s);
			select(fd + 1, NULL, &s, NULL, NULL);
			continue;
		}
		if (w < 0)
			return -1;
		while (i < k && (size_t)w >= v[i].iov_len)
			w -= (ssize_t)v[i++].iov_len;
		if (i < k) {
			v[i].iov_base = (char *)v[i].iov_base + w;
			v[i].iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Answers what has arrived; returns -1 when the connection should close. */
static int serve(struct client *c, const struct site *site)
{
	char head[HEAD_CAP];
	struct http_out out;
	enum http_conn_res r;

	while ((r = http_conn_next(&c->http, head, sizeof head, &out, unix_ms())) == HTTP_CONN_RESPONSE) {
		struct iovec v[2] = { { head, out.hdr_len }, { NULL, 0 } };
		int n = 1;

		if (out.entry) {
			v[1].iov_base = (char *)site_data(site, out.entry) + out.body_off;
			v[1].iov_len = out.body_len;
			n = 2;
		}
		if (send_all(c->fd, v, n) < 0 || out.close)
			return -1;
	}
	return r == HTTP_CONN_CLOSE ? -1 : 0;
}

int main(int argc, char **argv)
{
	static char arena[1 << 20], conf_text[64 << 10];
	struct site site;
	struct site_image img;
	struct site_conf conf;
	struct http_server srv;
	const struct site_entry *ce;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct stat st;
	int fd, lfd, ep, one = 1;
	void *tar;
	FILE *log;

	if (argc != 4) {
		fprintf(stderr, "usage: http_native SITE.TAR PORT LOGFILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0 || (tar = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) ==
						    MAP_FAILED) {
		perror(argv[1]);
		return 2;
	}
	site_image_mem(&img, tar, (uint64_t)st.st_size);
	if (site_open(&site, &img, arena, sizeof arena) < 0) {
		fprintf(stderr, "http_native: %s\n", site.err);
		return 2;
	}
	site_conf_default(&conf);
	ce = site_find(&site, "site.conf", 9);
	if (ce && (ce->size > sizeof conf_text || site_read(&site, ce, 0, conf_text, ce->size) < 0 ||
		   site_conf_parse(&conf, conf_text, ce->size) < 0)) {
		fprintf(stderr, "http_native: site.conf: %s\n", conf.err);
		return 2;
	}
	log = fopen(argv[3], "w");
	if (!log) {
		perror(argv[3]);
		return 2;
	}
	/* the static server: the optional (app) fields stay zero */
	srv = (struct http_server){
		.site = &site, .conf = &conf, .server_name = "vmm-site", .log = log_line, .log_ctx = log,
	};
	a.sin_port = htons((uint16_t)atoi(argv[2]));
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, SOMAXCONN) < 0) {
		perror("http_native: listen");
		return 2;
	}
	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &(struct epoll_event){ .events = EPOLLIN, .data.ptr = NULL });
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct epoll_event ev[64];
		int n = epoll_wait(ep, ev, 64, -1);

		for (int i = 0; i < n; i++) {
			struct client *c = ev[i].data.ptr;
			char buf[RX_CAP];
			ssize_t got;

			if (!c) {
				int cfd;
				while ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					c = malloc(sizeof *c);
					if (!c) {
						close(cfd);
						continue;
					}
					c->fd = cfd;
					setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					http_conn_init(&c->http, &srv, c->in, sizeof c->in, "127.0.0.1", unix_ms());
					epoll_ctl(ep, EPOLL_CTL_ADD, cfd,
						  &(struct epoll_event){ .events = EPOLLIN, .data.ptr = c });
				}
				continue;
			}
			got = read(c->fd, buf, sizeof buf);
			if (got < 0 && errno == EAGAIN)
				continue;
			if (got <= 0)
				http_conn_eof(&c->http);
			for (size_t off = 0; got > 0 && off < (size_t)got;) {
				size_t took = http_conn_feed(&c->http, buf + off, (size_t)got - off, unix_ms());

				off += took;
				if (serve(c, &site) < 0 || (!took && off < (size_t)got)) {
					got = -1; /* answered nothing and took nothing: give up on it */
					break;
				}
			}
			if (got <= 0) {
				serve(c, &site);
				close(c->fd);
				free(c);
			}
		}
	}
}
