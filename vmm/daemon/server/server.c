#include "daemon/server/server.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int server_open(struct server *s, const char *path, mode_t mode, const char *ro_path, mode_t ro_mode, gid_t gid,
		struct verr *e)
{
	sigset_t set;

	memset(s, 0, sizeof *s);
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
		s->listen_fd[1] = listen_on(ro_path, ro_mode, gid, e);
		if (s->listen_fd[1] < 0)
			return -1;
		s->paths[1] = strdup(ro_path);
	}
	return 0;
}

static void accept_one(struct server *s, int lfd, bool readonly)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct conn *c, **v;

	if (fd < 0)
		return;
	if (s->nconns >= SERVER_MAX_CONNS || !(c = conn_new(fd, readonly))) {
		close(fd);
		return;
	}
	v = realloc(s->conns, (s->nconns + 1) * sizeof *v);
	if (!v) {
		conn_free(c);
		return;
	}
	s->conns = v;
	s->conns[s->nconns++] = c;
}

static void drop(struct server *s, struct vmmd *m, size_t i)
{
	struct conn *c = s->conns[i];

	console_detach(m, c);
	waits_conn_gone(m, c); /* its deferred replies have nowhere to go */
	conn_free(c);
	s->conns[i] = s->conns[--s->nconns];
}

static void serve_input(struct vmmd *m, struct conn *c)
{
	size_t len;
	int r;

	if (conn_fill(c) < 0) {
		c->dead = true;
		return;
	}
	while (!c->dead && !c->closing && (r = conn_next(c, &len)) != 0) {
		if (r < 0) {
			c->dead = true; /* bad length word: no way to resynchronise */
			return;
		}
		dispatch_message(m, c, c->in, len);
		conn_consume(c, len);
	}
}

enum slot_kind { SLOT_SIGNAL, SLOT_LISTEN, SLOT_DOMAIN, SLOT_SITE, SLOT_FRONT, SLOT_CONN, SLOT_CONSOLE };

struct slot {
	enum slot_kind kind;
	int index;
};

int server_run(struct server *s, struct vmmd *m, struct verr *e)
{
	struct pollfd *pfd = NULL;
	struct slot *slots = NULL;
	size_t cap = 0;

	for (;;) {
		size_t n = 0, need = 6 + m->doms.n + 2 * s->nconns;
		int timeout = lc_tick(m), front_timeout = front_tick(m);

		if (front_timeout >= 0 && (timeout < 0 || front_timeout < timeout))
			timeout = front_timeout;

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
		for (size_t i = 0; i < m->doms.n; i++) {
			if (m->doms.v[i]->proc.pidfd < 0)
				continue;
			pfd[n] = (struct pollfd){ .fd = m->doms.v[i]->proc.pidfd, .events = POLLIN };
			slots[n++] = (struct slot){ SLOT_DOMAIN, (int)i };
		}
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
			short ev = c->closing ? 0 : POLLIN;

			if (c->out_len > c->out_off)
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
		/* domains first: their indices are only valid until something changes the list */
		for (size_t k = 0; k < n; k++) {
			if (slots[k].kind != SLOT_DOMAIN || !pfd[k].revents)
				continue;
			for (size_t i = 0; i < m->doms.n; i++)
				if (m->doms.v[i]->proc.pidfd == pfd[k].fd) {
					lc_exited(m, m->doms.v[i]);
					break;
				}
		}
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
				accept_one(s, s->listen_fd[slots[k].index], slots[k].index == 1);
				break;
			case SLOT_CONN:
				c = s->conns[slots[k].index];
				if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
					serve_input(m, c);
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
		/* flush what the iteration produced, then drop finished connections */
		for (size_t i = s->nconns; i-- > 0;) {
			struct conn *c = s->conns[i];

			if (!c->dead && conn_flush(c) < 0)
				c->dead = true;
			if (c->dead || (c->closing && c->out_len == c->out_off))
				drop(s, m, i);
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
