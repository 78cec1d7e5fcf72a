#include "host/vsock_publish.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/size.h"

#define ACCEPT_BATCH 64
#define ACCEPT_PAUSE_NS (100 * 1000 * 1000)

static int parse_guest_port(const char *s, uint32_t *out)
{
	uint64_t v;

	/* 0xffffffff is VMADDR_PORT_ANY, never a real port */
	if (parse_uint(s, 0, 0xfffffffeull, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* A group= name from /etc/group (by hand: vmm is linked statically, where
 * glibc's getgrnam would need the shared NSS libraries at run time). */
static int group_lookup(const char *name, uint32_t *gid)
{
	FILE *f = fopen("/etc/group", "re");
	char line[1024];
	int found = -1;

	if (!f)
		return -1;
	while (found < 0 && fgets(line, sizeof line, f)) {
		char *pw, *id, *end;
		uint64_t v;

		if (!(pw = strchr(line, ':')) || !(id = strchr(pw + 1, ':')) || !(end = strchr(id + 1, ':')))
			continue;
		*pw = *end = 0;
		if (strcmp(line, name) == 0 && parse_uint(id + 1, 0, 0xfffffffeull, &v) == 0) {
			*gid = (uint32_t)v;
			found = 0;
		}
	}
	fclose(f);
	return found;
}

/* ",mode=OCTAL,group=NAME|GID" after a unix: form's guest port. */
static int parse_unix_opts(const char *arg, char *opts, struct publish_config *out, struct err *e)
{
	char *save = NULL;

	for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		uint64_t v;

		if (strncmp(o, "mode=", 5) == 0) {
			char *end;
			unsigned long m = strtoul(o + 5, &end, 8);

			if (!o[5] || *end || o[5] == '-' || o[5] == '+' || m > 0777)
				return err_set(e, "--publish '%s': mode '%s' is not an octal mode of at most 0777", arg,
					       o + 5);
			out->has_mode = true;
			out->mode = (uint32_t)m;
		} else if (strncmp(o, "group=", 6) == 0) {
			if (!o[6])
				return err_set(e, "--publish '%s': no group after group=", arg);
			if (parse_uint(o + 6, 0, 0xfffffffeull, &v) == 0)
				out->gid = (uint32_t)v;
			else if (group_lookup(o + 6, &out->gid) < 0)
				return err_set(e, "--publish '%s': no group '%s' in /etc/group", arg, o + 6);
			out->has_gid = true;
		} else {
			return err_set(e, "--publish '%s': unknown option '%s' (mode=OCTAL, group=NAME|GID)", arg, o);
		}
	}
	return 0;
}

int publish_parse(const char *arg, struct publish_config *out, struct err *e)
{
	char buf[256], *gp, *hp, *opts;
	uint64_t v;

	memset(out, 0, sizeof *out);
	if (strlen(arg) >= sizeof buf)
		return err_set(e, "--publish '%.40s...': too long", arg);
	strcpy(buf, arg);
	gp = strrchr(buf, ':');
	if (!gp)
		goto usage;
	*gp++ = 0;
	/* "fd:80", "unix:80": a form with its middle part missing */
	if (strcmp(buf, "fd") == 0 || strcmp(buf, "unix") == 0)
		goto usage;
	/* options follow the guest port (the last ':'), so a path may hold ',' */
	if ((opts = strchr(gp, ',')))
		*opts++ = 0;
	if (parse_guest_port(gp, &out->guest_port) < 0)
		return err_set(e, "--publish '%s': guest port '%s' is not a number in 0-4294967294", arg, gp);
	if (strncmp(buf, "unix:", 5) == 0) {
		if (!buf[5])
			return err_set(e, "--publish '%s': no socket path", arg);
		if (strlen(buf + 5) >= sizeof out->path)
			return err_set(e, "--publish '%s': socket path longer than %zu bytes", arg, sizeof out->path - 1);
		out->is_unix = true;
		strcpy(out->path, buf + 5);
		return opts ? parse_unix_opts(arg, opts, out, e) : 0;
	}
	if (opts)
		return err_set(e, "--publish '%s': mode= and group= are for unix:PATH sockets only", arg);
	if (strncmp(buf, "fd:", 3) == 0) {
		/* 0-2 are stdio: never a listener the parent meant to pass */
		if (parse_uint(buf + 3, 3, INT_MAX, &v) < 0)
			return err_set(e, "--publish '%s': fd '%s' is not a number of at least 3", arg, buf + 3);
		out->is_fd = true;
		out->fd = (int)v;
		return 0;
	}
	hp = strrchr(buf, ':');
	if (hp) {
		char *addr = buf;
		size_t n;

		*hp++ = 0;
		n = strlen(addr);
		if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') { /* [IPv6] */
			addr[n - 1] = 0;
			addr++;
		}
		if (!*addr || strlen(addr) >= sizeof out->addr)
			goto usage;
		strcpy(out->addr, addr);
	} else {
		hp = buf;
		strcpy(out->addr, "127.0.0.1");
	}
	if (parse_uint(hp, 1, 65535, &v) < 0)
		return err_set(e, "--publish '%s': host port '%s' is not a number in 1-65535", arg, hp);
	out->host_port = (uint16_t)v;
	return 0;
usage:
	return err_set(e, "--publish '%s': use [ADDR:]HOSTPORT:GUESTPORT, unix:PATH:GUESTPORT or fd:N:GUESTPORT", arg);
}

/* A socket at path: whether a server answers there. Returns 1 (it does: a
 * connect went through, or its backlog is full), 0 (nobody listens: stale,
 * or gone already), -1 with errno when we cannot tell. The server sees one
 * client come and go. */
static int unix_live(const struct sockaddr_un *a)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), r, err;

	if (fd < 0)
		return -1;
	r = connect(fd, (const struct sockaddr *)a, sizeof *a);
	err = errno;
	close(fd);
	if (r == 0 || err == EAGAIN || err == EINPROGRESS)
		return 1;
	if (err == ECONNREFUSED || err == ENOENT)
		return 0;
	errno = err;
	return -1;
}

static int listen_unix(struct vsock_listener *l, const struct publish_config *p, struct err *e)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	const char *path = p->path;
	struct stat st;

	strcpy(a.sun_path, path);
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return err_errno(e, "--publish unix:%s: socket", path);
	/* A stale socket from an earlier run (a jailed vmm cannot remove its
	 * own) is replaced; a live one is someone's server, and anything else
	 * is not ours to remove (bind then fails). */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		int live = unix_live(&a);

		if (live > 0)
			return err_set(e, "--publish unix:%s: a server is listening on that socket; not replacing it",
				       path);
		if (live < 0)
			return err_errno(e, "--publish unix:%s: cannot tell whether a server listens there", path);
		unlink(path);
	}
	if (bind(l->fd, (struct sockaddr *)&a, sizeof a) < 0)
		return err_errno(e, "--publish unix:%s: cannot bind", path);
	/* What we bound, so that at exit we remove it and nothing that may
	 * have replaced it since. */
	if (lstat(path, &st) < 0)
		return err_errno(e, "--publish unix:%s: stat after bind", path);
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	strcpy(l->path, path);
	/* Before listen: no client can connect while the socket has the
	 * umask's bits and root's group. */
	if (p->has_gid && chown(path, (uid_t)-1, (gid_t)p->gid) < 0)
		return err_errno(e, "--publish unix:%s: cannot give it group %u", path, p->gid);
	if (p->has_mode && chmod(path, (mode_t)p->mode) < 0)
		return err_errno(e, "--publish unix:%s: cannot set mode %04o", path, p->mode);
	if (listen(l->fd, SOMAXCONN) < 0)
		return err_errno(e, "--publish unix:%s: listen", path);
	return 0;
}

/* Numeric addresses only (inet_pton): no resolver in a static binary. */
static int listen_tcp(struct vsock_listener *l, const struct publish_config *p, struct err *e)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(p->host_port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(p->host_port) };
	struct sockaddr *sa;
	socklen_t len;
	int one = 1;

	if (inet_pton(AF_INET, p->addr, &a4.sin_addr) == 1) {
		sa = (struct sockaddr *)&a4;
		len = sizeof a4;
	} else if (inet_pton(AF_INET6, p->addr, &a6.sin6_addr) == 1) {
		sa = (struct sockaddr *)&a6;
		len = sizeof a6;
	} else {
		return err_set(e, "--publish %s:%u: '%s' is not a numeric IP address", p->addr, p->host_port, p->addr);
	}
	l->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return err_errno(e, "--publish %s:%u: socket", p->addr, p->host_port);
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(l->fd, sa, len) < 0)
		return err_errno(e, "--publish %s:%u: cannot listen there", p->addr, p->host_port);
	if (listen(l->fd, SOMAXCONN) < 0)
		return err_errno(e, "--publish %s:%u: listen", p->addr, p->host_port);
	return 0;
}

/* Whether p's inherited fd is what the parent promised: an open, listening
 * stream socket, unix or TCP, given once. */
static int check_inherited(const struct publish_config *pub, unsigned i, struct err *e)
{
	const struct publish_config *p = &pub[i];
	struct sockaddr_storage a;
	socklen_t len = sizeof a;
	int type = 0, listening = 0;
	socklen_t tlen = sizeof type, llen = sizeof listening;

	for (unsigned j = 0; j < i; j++)
		if (pub[j].is_fd && pub[j].fd == p->fd)
			return err_set(e, "--publish fd:%d:%u: fd %d is already published", p->fd, p->guest_port,
				       p->fd);
	if (fcntl(p->fd, F_GETFD) < 0)
		return err_set(e, "--publish fd:%d:%u: fd %d is not open (the parent must pass it)", p->fd,
			       p->guest_port, p->fd);
	if (getsockopt(p->fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 || type != SOCK_STREAM ||
	    getsockopt(p->fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &llen) < 0 || !listening)
		return err_set(e, "--publish fd:%d:%u: fd %d is not a listening stream socket", p->fd, p->guest_port,
			       p->fd);
	if (getsockname(p->fd, (struct sockaddr *)&a, &len) < 0 ||
	    (a.ss_family != AF_UNIX && a.ss_family != AF_INET && a.ss_family != AF_INET6))
		return err_set(e, "--publish fd:%d:%u: fd %d is not a unix or TCP socket", p->fd, p->guest_port,
			       p->fd);
	return 0;
}

static int adopt_inherited(struct vsock_listener *l, const struct publish_config *p, struct err *e)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof a;
	int fl;

	if (getsockname(p->fd, (struct sockaddr *)&a, &len) < 0)
		return err_errno(e, "--publish fd:%d:%u: getsockname", p->fd, p->guest_port);
	/* O_NONBLOCK is shared with the parent's copy; accept must not block us. */
	fl = fcntl(p->fd, F_GETFL);
	if (fl < 0 || fcntl(p->fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(p->fd, F_SETFD, FD_CLOEXEC) < 0)
		return err_errno(e, "--publish fd:%d:%u: fcntl", p->fd, p->guest_port);
	l->fd = p->fd;
	l->is_unix = a.ss_family == AF_UNIX;
	l->inherited = true;
	return 0;
}

int vsock_listeners_open(struct vsock_listeners *ls, const struct publish_config *pub, unsigned n,
			 struct err *e)
{
	memset(ls, 0, sizeof *ls);
	if (n > VSOCK_MAX_PUBLISH)
		return err_set(e, "at most %u --publish", VSOCK_MAX_PUBLISH);
	/* Before we open anything: a number the parent did not pass could
	 * otherwise be taken by one of our own sockets and pass the checks. */
	for (unsigned i = 0; i < n; i++)
		if (pub[i].is_fd && check_inherited(pub, i, e) < 0)
			return -1;
	for (unsigned i = 0; i < n; i++) {
		const struct publish_config *p = &pub[i];
		struct vsock_listener *l = &ls->l[ls->n++];
		int rc;

		l->fd = -1;
		l->pause_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (l->pause_fd < 0) {
			err_errno(e, "timerfd_create");
			vsock_listeners_close(ls);
			return -1;
		}
		l->is_unix = p->is_unix;
		l->guest_port = p->guest_port;
		if (p->is_fd)
			rc = adopt_inherited(l, p, e);
		else
			rc = p->is_unix ? listen_unix(l, p, e) : listen_tcp(l, p, e);
		if (rc < 0) {
			vsock_listeners_close(ls);
			return -1;
		}
	}
	return 0;
}

void vsock_listeners_close(struct vsock_listeners *ls)
{
	for (unsigned i = 0; i < ls->n; i++) {
		struct vsock_listener *l = &ls->l[i];
		struct stat st;

		/* An inherited socket: only our copy; the parent keeps the
		 * socket, and the clients waiting in its backlog, for the next vmm. */
		if (l->fd >= 0)
			close(l->fd);
		if (l->pause_fd >= 0)
			close(l->pause_fd);
		/* Only the socket we bound: another vmm may have replaced it since
		 * (ours looked stale to it). Jailed, the root is empty: nothing is
		 * found, and the next start replaces our stale socket. */
		if (l->path[0] && lstat(l->path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == l->dev &&
		    st.st_ino == l->ino)
			unlink(l->path);
		l->fd = l->pause_fd = -1;
		l->path[0] = 0;
		l->inherited = false;
	}
	ls->n = 0;
}

static void on_accept(void *opaque, uint32_t events)
{
	struct vsock_listener *l = opaque;

	(void)events;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;

		if (fd < 0) {
			/* Out of fds the listener stays readable: stop watching it
			 * for a while rather than spin; the client waits in the backlog. */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				struct itimerspec t = { .it_value.tv_nsec = ACCEPT_PAUSE_NS };
				if (timerfd_settime(l->pause_fd, 0, &t, NULL) == 0)
					event_loop_mod(l->loop, l->fd, 0);
			}
			return;
		}
		/* Small request/response exchanges must not wait for Nagle. */
		if (!l->is_unix)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		l->client(l->client_ctx, fd, !l->is_unix, l->guest_port);
	}
}

static void on_pause_end(void *opaque, uint32_t events)
{
	struct vsock_listener *l = opaque;
	uint64_t n;

	(void)events;
	if (read(l->pause_fd, &n, sizeof n) == sizeof n)
		event_loop_mod(l->loop, l->fd, EPOLLIN);
}

int vsock_listeners_attach(struct vsock_listeners *ls, struct event_loop *loop, vsock_client_fn client, void *ctx,
			   struct err *e)
{
	for (unsigned i = 0; i < ls->n; i++) {
		ls->l[i].client = client;
		ls->l[i].client_ctx = ctx;
		ls->l[i].loop = loop;
		if (event_loop_add(loop, ls->l[i].fd, EPOLLIN, on_accept, &ls->l[i], e) < 0 ||
		    event_loop_add(loop, ls->l[i].pause_fd, EPOLLIN, on_pause_end, &ls->l[i], e) < 0)
			return -1;
	}
	return 0;
}

void vsock_listeners_detach(struct vsock_listeners *ls)
{
	for (unsigned i = 0; i < ls->n; i++) {
		struct vsock_listener *l = &ls->l[i];

		if (!l->loop)
			continue;
		event_loop_del(l->loop, l->fd);
		event_loop_del(l->loop, l->pause_fd);
		l->loop = NULL;
	}
}

bool vsock_listeners_pending(const struct vsock_listeners *ls)
{
	for (unsigned i = 0; i < ls->n; i++) {
		struct pollfd p = { .fd = ls->l[i].fd, .events = POLLIN };

		if (poll(&p, 1, 0) > 0 && (p.revents & POLLIN))
			return true;
	}
	return false;
}
