#include "daemon/server/server.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/core/front.h"
#include "daemon/core/lifecycle.h"
#include "daemon/core/sites.h"
#include "daemon/core/waits.h"
#include "daemon/proc/proc.h"
#include "daemon/server/dispatch.h"

static int listen_on(const char *path, mode_t mode, gid_t gid, struct verr *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof sa.sun_path)
		return verr_set(e, VERR_INTERNAL_ERROR, "socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return verr_set(e, VERR_SYSTEM_ERROR, "socket: %s", strerror(errno));
	/* a leftover socket file is replaced; a live one is not */
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		close(fd);
		return verr_set(e, VERR_OPERATION_FAILED, "%s is in use by another daemon", path);
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return verr_set(e, VERR_SYSTEM_ERROR, "socket: %s", strerror(errno));
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || chmod(path, mode) < 0 ||
	    (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) || listen(fd, 128) < 0) {
		verr_set(e, VERR_SYSTEM_ERROR, "cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int server_open(struct server *s, const char *path, mode_t mode, gid_t gid, const char *ro_path, mode_t ro_mode,
		gid_t ro_gid, struct verr *e)
{
	sigset_t set;

	memset(s, 0, sizeof *s);
	s->limits = SERVER_LIMITS_DEFAULT;
	s->listen_fd[0] = s->listen_fd[1] = s->signal_fd = -1;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->signal_fd < 0)
		return verr_set(e, VERR_SYSTEM_ERROR, "signalfd: %s", strerror(errno));
	s->listen_fd[0] = listen_on(path, mode, gid, e);
	if (s->listen_fd[0] < 0)
		return -1;
	s->paths[0] = strdup(path);
	if (ro_path) {
		s->listen_fd[1] = listen_on(ro_path, ro_mode, ro_gid, e);
		if (s->listen_fd[1] < 0)
			return -1;
		s->paths[1] = strdup(ro_path);
	}
	return 0;
}

/* Why a new connection of uid on the socket (readonly or not) gets no
 * slot, or NULL when it gets one. */
static const char *no_slot(const struct server *s, uid_t uid, bool readonly)
{
	const struct server_limits *l = &s->limits;
	size_t mine = 0;

	if (s->nconns >= l->max_conns)
		return "all connection slots taken";
	if (uid != 0 && s->nconns + l->root_reserve >= l->max_conns)
		return "the last slots are kept for root";
	if (readonly && s->nconns + l->rw_reserve + l->root_reserve >= l->max_conns)
		return "the read-only socket's slots are taken";
	if (uid == 0)
		return NULL;
	for (size_t i = 0; i < s->nconns; i++)
		mine += s->conns[i]->uid == uid;
	return mine >= l->per_user ? "the per-user limit" : NULL;
}

/* Refusals are logged as a count at most every 10 s: a flood of them must
 * not become a flood of log lines. */
static void note_refused(struct server *s, uid_t uid, const char *why, int64_t now)
{
	s->refused++;
	if (now - s->refused_logged_ms < 10000 && s->refused_logged_ms)
		return;
	fprintf(stderr, "vmmd: refused %u client connection(s) (last: uid %u, %s)\n", s->refused, (unsigned)uid, why);
	s->refused = 0;
	s->refused_logged_ms = now;
}

static void accept_one(struct server *s, int lfd, bool readonly, int64_t now)
{
	/* a few per round: clients waiting in the backlog behind a flood
	 * (root's among them) are reached soon */
	for (int k = 0; k < 32; k++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct ucred cred = { .uid = (uid_t)-1 };
		socklen_t clen = sizeof cred;
		const char *why;
		struct conn *c, **v;

		if (fd < 0)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0)
			cred.uid = (uid_t)-1; /* counted as an unprivileged user of its own */
		why = no_slot(s, cred.uid, readonly);
		if (why) {
			/* closed at once: the client sees the connection end, and the
			 * backlog does not fill behind it */
			close(fd);
			note_refused(s, cred.uid, why, now);
			continue;
		}
		if (!(c = conn_new(fd, readonly, &s->budget))) {
			close(fd);
			continue;
		}
		v = realloc(s->conns, (s->nconns + 1) * sizeof *v);
		if (!v) {
			conn_free(c);
			continue;
		}
		c->uid = cred.uid;
		c->t_accept = c->t_active = c->t_progress = now;
		s->conns = v;
		s->conns[s->nconns++] = c;
	}
}

static void drop(struct server *s, struct vmmd *m, size_t i)
{
	struct conn *c = s->conns[i];

	console_detach(m, c);
	waits_conn_gone(m, c); /* its deferred replies have nowhere to go */
	conn_free(c);
	s->conns[i] = s->conns[--s->nconns];
}

/* Serves the complete messages buffered, while the output queue is under
 * CONN_OUT_PAUSE (the rest wait for the client to read). */
static void serve_buffered(struct server *s, struct vmmd *m, struct conn *c, int64_t now)
{
	size_t len;
	int r;

	while (!c->dead && !c->closing && conn_pending(c) < CONN_OUT_PAUSE && (r = conn_next(c, &len)) != 0) {
		struct verr e;

		switch (r) {
		case CONN_BAD:
			c->dead = true;
			return;
		case CONN_TOO_BIG:
			/* answered (when the header is here) and closed at once:
			 * reading the rest would be holding it */
			verr_set(&e, VERR_RPC, "message of %zu bytes is over the limit of %zu bytes for %s connection", len,
				 conn_frame_max(c), c->opened ? "a read-only" : "an unopened");
			dispatch_refuse(c, c->in, c->in_len, &e);
			c->closing = true;
			return;
		case CONN_NO_ROOM:
			if (c->in_len < RPC_MIN_LEN)
				return; /* the header first, to answer it */
			verr_set(&e, VERR_OPERATION_FAILED,
				 "vmmd's client buffers are full (%zu of %zu MiB in use): message of %zu bytes refused, try again",
				 s->budget.used >> 20, s->budget.max >> 20, len);
			dispatch_refuse(c, c->in, c->in_len, &e);
			conn_skip(c, len);
			continue;
		}
		c->t_active = now;
		if (s->budget.used > s->budget.max) {
			/* refused before it runs: a call that changes state must not
			 * happen and then lose its reply */
			verr_set(&e, VERR_OPERATION_FAILED, "vmmd's client buffers are full (%zu of %zu MiB in use): try again",
				 s->budget.used >> 20, s->budget.max >> 20);
			dispatch_refuse(c, c->in, len, &e);
		} else {
			dispatch_message(m, c, c->in, len);
		}
		conn_consume(c, len);
	}
}

/* Closes connections past their deadlines; returns the ms until the next
 * one (-1: none). */
static int reap(struct server *s, int64_t now)
{
	const struct server_limits *l = &s->limits;
	int64_t next = -1;

	for (size_t i = 0; i < s->nconns; i++) {
		struct conn *c = s->conns[i];
		int64_t due[3] = { -1, -1, -1 };

		if (!c->opened)
			due[0] = c->t_accept + l->open_timeout_ms;
		/* only read-only clients of other users: root's and the
		 * read-write socket's working clients are never cut for silence
		 * (a virsh that keeps its connection pings every 5 s anyway) */
		else if (c->readonly && c->uid != 0 && l->ro_idle_ms)
			due[1] = c->t_active + l->ro_idle_ms;
		if (conn_pending(c))
			due[2] = c->t_progress + l->write_timeout_ms;
		for (int k = 0; k < 3; k++) {
			if (due[k] < 0)
				continue;
			if (due[k] <= now)
				c->dead = true;
			else if (next < 0 || due[k] < next)
				next = due[k];
		}
	}
	return next < 0 ? -1 : (int)(next - now);
}

/* Console opens waiting for a vmm's socket (proc/console.c): retried when
 * due, before the sweep flushes their replies. Returns the ms until the
 * next try (-1: none). */
static int consoles(struct server *s, struct vmmd *m, int64_t now)
{
	int next = -1;

	for (size_t i = 0; i < s->nconns; i++) {
		int t = s->conns[i]->dead ? -1 : console_tick(m, s->conns[i], now);

		if (t >= 0 && (next < 0 || t < next))
			next = t;
	}
	return next;
}

/* Serves what each connection has buffered, flushes what that and the last
 * round produced, and drops finished connections. Returns 1 when a
 * connection still has a complete call it may be served now (its output
 * fell under the pause): the next poll must not wait. */
static int sweep(struct server *s, struct vmmd *m, int64_t now)
{
	int ready = 0;

	/* from the end: drop() moves the last connection into the hole */
	for (size_t i = s->nconns; i-- > 0;) {
		struct conn *c = s->conns[i];
		size_t len;
		int w;

		if (!c->dead)
			serve_buffered(s, m, c, now);
		if (!c->dead) {
			w = conn_flush(c);
			if (w < 0)
				c->dead = true;
			else if (w > 0 || !conn_pending(c))
				c->t_progress = now;
		}
		if (c->dead || (c->closing && !conn_pending(c))) {
			drop(s, m, i);
			continue;
		}
		if (!c->closing && conn_pending(c) < CONN_OUT_PAUSE && conn_next(c, &len) == 1)
			ready = 1;
	}
	return ready;
}

enum slot_kind { SLOT_SIGNAL, SLOT_LISTEN, SLOT_DOMAIN, SLOT_SITE, SLOT_FRONT, SLOT_CONN, SLOT_CONSOLE };

struct slot {
	enum slot_kind kind;
	int index;
};

/* The domains' process fds (a start's report socket, a pidfd) live in one
 * epoll set, which the poll loop watches as one fd: polling a thousand
 * pidfds each round cost vmmd 13% of its time while sites started with
 * 1,000 running. Synced each round: first every fd that changed leaves
 * (an fd closed meanwhile has left by itself, and its number may be
 * another's now: a change of owner counts as a change), then the new ones
 * join. */
static void domains_sync_watch(struct vmmd *m)
{
	for (size_t i = 0; i < m->doms.n; i++) {
		struct domain *d = m->doms.v[i];

		if (d->polled_fd >= 0 && (d->polled_fd != lc_poll_fd(d) || d->polled_owner != lc_poll_owner(d))) {
			epoll_ctl(m->dom_epfd, EPOLL_CTL_DEL, d->polled_fd, NULL);
			d->polled_fd = -1;
		}
	}
	for (size_t i = 0; i < m->doms.n; i++) {
		struct domain *d = m->doms.v[i];
		int fd = lc_poll_fd(d);
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

		if (fd >= 0 && d->polled_fd < 0 && epoll_ctl(m->dom_epfd, EPOLL_CTL_ADD, fd, &ev) == 0) {
			d->polled_fd = fd;
			d->polled_owner = lc_poll_owner(d);
		}
	}
}

/* The dom_epfd is readable: each ready domain's event. */
static void domains_ready(struct vmmd *m)
{
	struct epoll_event ev[64];
	int n = epoll_wait(m->dom_epfd, ev, 64, 0);

	for (int k = 0; k < n; k++)
		for (size_t i = 0; i < m->doms.n; i++)
			if (m->doms.v[i]->polled_fd == ev[k].data.fd && lc_poll_fd(m->doms.v[i]) == ev[k].data.fd) {
				lc_event(m, m->doms.v[i], ev[k].data.fd);
				break;
			}
}

int server_run(struct server *s, struct vmmd *m, struct verr *e)
{
	struct pollfd *pfd = NULL;
	struct slot *slots = NULL;
	size_t cap = 0;

	s->budget.max = s->limits.memory;
	for (;;) {
		int64_t now = now_ms();
		int conn_timeout = reap(s, now), console_timeout = consoles(s, m, now), ready = sweep(s, m, now);
		size_t n = 0, need = 7 + 2 * s->nconns;
		int timeout = lc_tick(m), front_timeout = front_tick(m);

		if (front_timeout >= 0 && (timeout < 0 || front_timeout < timeout))
			timeout = front_timeout;
		if (conn_timeout >= 0 && (timeout < 0 || conn_timeout < timeout))
			timeout = conn_timeout;
		if (console_timeout >= 0 && (timeout < 0 || console_timeout < timeout))
			timeout = console_timeout;
		if (ready)
			timeout = 0;

		if (need > cap) {
			struct pollfd *np = realloc(pfd, need * sizeof *np);
			struct slot *ns = np ? realloc(slots, need * sizeof *ns) : NULL;

			if (np)
				pfd = np;
			if (!ns) {
				free(pfd);
				free(slots);
				return verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
			}
			slots = ns;
			cap = need;
		}
		pfd[n] = (struct pollfd){ .fd = s->signal_fd, .events = POLLIN };
		slots[n++] = (struct slot){ SLOT_SIGNAL, 0 };
		for (int i = 0; i < 2; i++) {
			if (s->listen_fd[i] < 0)
				continue;
			pfd[n] = (struct pollfd){ .fd = s->listen_fd[i], .events = POLLIN };
			slots[n++] = (struct slot){ SLOT_LISTEN, i };
		}
		domains_sync_watch(m);
		pfd[n] = (struct pollfd){ .fd = m->dom_epfd, .events = POLLIN };
		slots[n++] = (struct slot){ SLOT_DOMAIN, 0 };
		{
			int fds[2], nf = front_poll_fds(m, fds);

			for (int i = 0; i < nf; i++) {
				pfd[n] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
				slots[n++] = (struct slot){ SLOT_FRONT, 0 };
			}
		}
		sites_sync_watch(m);
		if (m->site_epfd >= 0) {
			pfd[n] = (struct pollfd){ .fd = m->site_epfd, .events = POLLIN };
			slots[n++] = (struct slot){ SLOT_SITE, 0 };
		}
		for (size_t i = 0; i < s->nconns; i++) {
			struct conn *c = s->conns[i];
			/* back-pressure: no new calls while its replies wait */
			short ev = c->closing || conn_pending(c) >= CONN_OUT_PAUSE ? 0 : POLLIN;

			if (conn_pending(c))
				ev |= POLLOUT;
			pfd[n] = (struct pollfd){ .fd = c->fd, .events = ev };
			slots[n++] = (struct slot){ SLOT_CONN, (int)i };
			if (c->console_fd >= 0) {
				ev = c->out_len - c->out_off < CONN_CONSOLE_READ_PAUSE ? POLLIN : 0;
				if (c->cin_len)
					ev |= POLLOUT;
				pfd[n] = (struct pollfd){ .fd = c->console_fd, .events = ev };
				slots[n++] = (struct slot){ SLOT_CONSOLE, (int)i };
			}
		}
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			free(pfd);
			free(slots);
			return verr_set(e, VERR_SYSTEM_ERROR, "poll: %s", strerror(errno));
		}
		/* domains first */
		for (size_t k = 0; k < n; k++)
			if (slots[k].kind == SLOT_DOMAIN && pfd[k].revents)
				domains_ready(m);
		/* then stopped sites with clients waiting (a site that stopped just
		 * now is watched from the next round) */
		for (size_t k = 0; k < n; k++)
			if (slots[k].kind == SLOT_SITE && pfd[k].revents)
				sites_ready(m);
		for (size_t k = 0; k < n; k++) {
			struct conn *c;

			if (!pfd[k].revents)
				continue;
			switch (slots[k].kind) {
			case SLOT_SIGNAL: {
				struct signalfd_siginfo si;

				while (read(s->signal_fd, &si, sizeof si) == sizeof si)
					if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
						free(pfd);
						free(slots);
						return 0;
					}
				break;
			}
			case SLOT_LISTEN:
				accept_one(s, s->listen_fd[slots[k].index], slots[k].index == 1, now_ms());
				break;
			case SLOT_CONN:
				c = s->conns[slots[k].index];
				/* served at the top of the next round (sweep) */
				if ((pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) && conn_fill(c) < 0)
					c->dead = true;
				break;
			case SLOT_CONSOLE:
				c = s->conns[slots[k].index];
				console_pump(m, c, pfd[k].revents & (POLLIN | POLLHUP | POLLERR), pfd[k].revents & POLLOUT);
				break;
			case SLOT_FRONT:
				front_ready(m, pfd[k].fd);
				break;
			case SLOT_DOMAIN:
			case SLOT_SITE:
				break;
			}
		}
	}
}

void server_close(struct server *s, struct vmmd *m)
{
	while (s->nconns)
		drop(s, m, s->nconns - 1);
	waits_free(m);
	free(s->conns);
	for (int i = 0; i < 2; i++) {
		if (s->listen_fd[i] >= 0) {
			close(s->listen_fd[i]);
			unlink(s->paths[i]);
		}
		free(s->paths[i]);
	}
	if (s->signal_fd >= 0)
		close(s->signal_fd);
}
