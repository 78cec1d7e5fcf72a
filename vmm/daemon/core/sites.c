#include "daemon/core/sites.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/core/fd_high.h"
#include "daemon/core/lifecycle.h"
#include "daemon/core/store.h"

#define INHERITED_FD 3 /* where vmm finds the site socket: --publish fd:3:PORT */
#define DRAIN_BATCH 64

const struct domain_site *dom_site(const struct domain *d)
{
	const struct domain_config *c = d->def ? d->def : d->live;

	return c && c->site.present ? &c->site : NULL;
}

bool site_watched(const struct domain *d)
{
	return d->site_fd >= 0 && !dom_active(d);
}

int site_socket_path(const struct vmmd *m, const struct domain_config *c, char *out, size_t size, struct verr *e)
{
	char uuid[37];

	uuid_format(c->uuid, uuid);
	if (store_path(out, size, m->state_dir, "sites", uuid, ".sock", e) < 0)
		return -1;
	if (strlen(out) >= sizeof((struct sockaddr_un *)0)->sun_path)
		return verr_set(e, VERR_INTERNAL_ERROR, "site socket path too long: %s", out);
	return 0;
}

int sites_init(struct vmmd *m, struct verr *e)
{
	char dir[STORE_PATH_MAX];

	if (store_path(dir, sizeof dir, m->state_dir, "sites", NULL, NULL, e) < 0)
		return -1;
	m->site_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (m->site_epfd < 0)
		return verr_set(e, VERR_SYSTEM_ERROR, "epoll_create1: %s", strerror(errno));
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return verr_set(e, VERR_SYSTEM_ERROR, "cannot create %s: %s", dir, strerror(errno));
	/* nginx's workers reach the sockets through the group, nobody else */
	if (m->site_gid != (gid_t)-1 && (chown(dir, (uid_t)-1, m->site_gid) < 0 || chmod(dir, 0710) < 0))
		return verr_set(e, VERR_SYSTEM_ERROR, "cannot give %s to the front door's group: %s", dir,
				strerror(errno));
	return 0;
}

static const struct domain *host_owner(struct vmmd *m, const struct domain_config *cfg, const char *host)
{
	for (size_t i = 0; i < m->doms.n; i++) {
		const struct domain *o = m->doms.v[i];
		const struct domain_config *cs[2] = { o->def, o->live };

		if (memcmp(dom_uuid(o), cfg->uuid, 16) == 0)
			continue;
		for (int k = 0; k < 2; k++)
			for (unsigned h = 0; cs[k] && h < cs[k]->site.nhosts; h++)
				if (site_host_equal(cs[k]->site.hosts[h], host))
					return o;
	}
	return NULL;
}

/* Below an image directory (core/images.h), as every file of a domain. */
static int readable(struct vmmd *m, const char *what, const char *path, struct verr *e)
{
	char name[32];
	int fd, rc = 0;
	struct stat st;

	snprintf(name, sizeof name, "TLS %s", what);
	fd = images_open_file(&m->images, name, path, O_RDONLY, e);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		rc = verr_set(e, VERR_CONFIG_UNSUPPORTED, "cannot read the site's TLS %s %s: %s", what, path,
			      strerror(errno));
	else if (st.st_size == 0)
		rc = verr_set(e, VERR_CONFIG_UNSUPPORTED, "the site's TLS %s %s is empty", what, path);
	close(fd);
	return rc;
}

int sites_check(struct vmmd *m, const struct domain_config *cfg, struct verr *e)
{
	const struct domain_site *s = &cfg->site;

	if (!s->present)
		return 0;
	for (unsigned i = 0; i < s->nhosts; i++) {
		const struct domain *o = host_owner(m, cfg, s->hosts[i]);

		if (o)
			return verr_set(e, VERR_OPERATION_FAILED, "host name '%s' already belongs to domain '%s'",
					s->hosts[i], dom_name(o));
	}
	if (s->tls_cert && (readable(m, "certificate", s->tls_cert, e) < 0 || readable(m, "key", s->tls_key, e) < 0))
		return -1;
	return 0;
}

static int listen_at(const char *path, gid_t gid, struct verr *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof sa.sun_path)
		return verr_set(e, VERR_INTERNAL_ERROR, "socket path too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return verr_set(e, VERR_SYSTEM_ERROR, "socket: %s", strerror(errno));
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path); /* ours, from an earlier run: nobody holds it any more */
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    chmod(path, gid != (gid_t)-1 ? 0660 : 0600) < 0 ||
	    (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) || listen(fd, SOMAXCONN) < 0) {
		verr_set(e, VERR_SYSTEM_ERROR, "cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int site_open(struct vmmd *m, struct domain *d, struct verr *e)
{
	char path[STORE_PATH_MAX];

	if (d->site_fd >= 0)
		return 0;
	if (site_socket_path(m, dom_config(d), path, sizeof path, e) < 0)
		return -1;
	d->site_fd = fd_high(listen_at(path, m->site_gid, e));
	return d->site_fd < 0 ? -1 : 0;
}

void site_close(struct vmmd *m, struct domain *d)
{
	char path[STORE_PATH_MAX];
	struct verr e;

	if (d->site_fd < 0)
		return;
	if (d->site_polled)
		epoll_ctl(m->site_epfd, EPOLL_CTL_DEL, d->site_fd, NULL);
	d->site_polled = false;
	close(d->site_fd);
	d->site_fd = -1;
	if (site_socket_path(m, dom_config(d), path, sizeof path, &e) == 0)
		unlink(path);
}

/* The listening socket a running vmm inherited from the daemon before it
 * restarted: the same socket, so nothing queued on it is lost. */
static int take_back(struct vmmd *m, struct domain *d)
{
	char path[STORE_PATH_MAX];
	struct sockaddr_un sa;
	socklen_t len = sizeof sa;
	int pidfd, fd, listening = 0;
	socklen_t ilen = sizeof listening;
	struct verr e;

	if (site_socket_path(m, dom_config(d), path, sizeof path, &e) < 0)
		return -1;
	pidfd = (int)syscall(SYS_pidfd_open, d->proc.vmm_pid, 0);
	if (pidfd < 0)
		return -1;
	fd = proc_starttime(d->proc.vmm_pid) == d->proc.vmm_start
		     ? (int)syscall(SYS_pidfd_getfd, pidfd, INHERITED_FD, 0)
		     : -1;
	close(pidfd);
	if (fd < 0)
		return -1;
	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0 || sa.sun_family != AF_UNIX ||
	    len <= offsetof(struct sockaddr_un, sun_path) || strncmp(sa.sun_path, path, sizeof sa.sun_path) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ilen) < 0 || !listening) {
		close(fd);
		return -1;
	}
	d->site_fd = fd_high(fd);
	return 0;
}

void sites_open_all(struct vmmd *m)
{
	for (size_t i = 0; i < m->doms.n; i++) {
		struct domain *d = m->doms.v[i];
		struct verr e;

		if (!dom_site(d) || d->site_fd >= 0)
			continue;
		if (dom_active(d) && take_back(m, d) == 0)
			continue;
		if (dom_active(d))
			fprintf(stderr, "vmmd: site '%s': cannot take its socket back from the running vmm; "
					"listening anew (the VM keeps the old one until it stops)\n", dom_name(d));
		if (site_open(m, d, &e) < 0)
			fprintf(stderr, "vmmd: site '%s': %s\n", dom_name(d), e.msg);
	}
}

static void drain(struct domain *d)
{
	for (int i = 0; i < DRAIN_BATCH; i++) {
		int fd = accept4(d->site_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			return;
		close(fd);
	}
}

void site_clients_waiting(struct vmmd *m, struct domain *d)
{
	const struct domain_site *s = dom_site(d);
	struct verr e;

	if (s && s->on_demand && d->def && now_ms() >= d->site_hold_ms) {
		if (lc_start_on_demand(m, d, &e) == 0)
			return;
		fprintf(stderr, "vmmd: site '%s': cannot start on demand: %s\n", dom_name(d), e.msg);
		d->site_hold_ms = now_ms() + SITE_FAILED_HOLD_MS;
	}
	/* nobody will answer them: closing lets the front door answer 502 now */
	drain(d);
}

void sites_sync_watch(struct vmmd *m)
{
	for (size_t i = 0; i < m->doms.n; i++) {
		struct domain *d = m->doms.v[i];
		bool want = site_watched(d);
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = d->site_fd };

		if (want == d->site_polled)
			continue;
		if (epoll_ctl(m->site_epfd, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, d->site_fd, &ev) == 0 || !want)
			d->site_polled = want;
	}
}

void sites_ready(struct vmmd *m)
{
	struct epoll_event ev[64];
	int n = epoll_wait(m->site_epfd, ev, 64, 0);

	for (int k = 0; k < n; k++)
		for (size_t i = 0; i < m->doms.n; i++) {
			struct domain *d = m->doms.v[i];

			if (d->site_fd == ev[k].data.fd && site_watched(d)) {
				site_clients_waiting(m, d);
				break;
			}
		}
}
