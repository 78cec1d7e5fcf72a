/* vmmd: serves libvirt's remote protocol so that an unmodified virsh manages
 * vmm VMs. Sets things up, runs the server loop, reports errors once. */
#include <errno.h>
#include <grp.h>
#include <libxml/parser.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/core/fd_high.h"
#include "daemon/core/front.h"
#include "daemon/core/lifecycle.h"
#include "daemon/core/sites.h"
#include "daemon/core/store.h"
#include "daemon/options.h"
#include "daemon/server/server.h"

/* A program: given, else next to this one, else from PATH. */
static char *find_program(const char *name, const char *given)
{
	char self[PATH_MAX + 16], *slash, *path, *dirs, *save = NULL;
	ssize_t n;

	if (given)
		return realpath(given, NULL);
	n = readlink("/proc/self/exe", self, sizeof self - 16);
	if (n > 0) {
		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash && strlen(name) < 16) {
			strcpy(slash + 1, name);
			if (access(self, X_OK) == 0)
				return strdup(self);
		}
	}
	path = getenv("PATH");
	dirs = strdup(path ? path : "/usr/local/bin:/usr/bin");
	for (char *d = dirs ? strtok_r(dirs, ":", &save) : NULL; d; d = strtok_r(NULL, ":", &save)) {
		char cand[PATH_MAX];

		if (snprintf(cand, sizeof cand, "%s/%s", d, name) < (int)sizeof cand && access(cand, X_OK) == 0) {
			free(dirs);
			return strdup(cand);
		}
	}
	free(dirs);
	return NULL;
}

static int make_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	if (mkdir(dir, 0755) == 0)
		chmod(dir, 0755); /* clients of the read-only socket need to reach it */
	else if (errno != EEXIST) {
		fprintf(stderr, "vmmd: cannot create %s: %s\n", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* --images, or the default, which is created (0755) when missing: a host
 * set up by hand then has the place the README names. Explicit directories
 * must exist: a typo would otherwise refuse every domain. */
static int images_setup(const struct vmmd_options *o, struct vmmd *m)
{
	static const char *const dflt[] = { IMAGES_DEFAULT };
	struct verr e;

	if (!o->nimages) {
		char parent[] = IMAGES_DEFAULT;

		*strrchr(parent, '/') = 0;
		if (mkdir(parent, 0755) == 0)
			chmod(parent, 0755);
	}
	if (!o->nimages && mkdir(IMAGES_DEFAULT, 0755) == 0)
		chmod(IMAGES_DEFAULT, 0755); /* umask 077 is ours, not the directory's */
	else if (!o->nimages && errno != EEXIST)
		fprintf(stderr, "vmmd: warning: cannot create %s: %s (no domain can start until it exists)\n",
			IMAGES_DEFAULT, strerror(errno));
	if (images_init(&m->images, o->nimages ? o->images : dflt, o->nimages ? o->nimages : 1, o->nimages > 0,
			&e) < 0) {
		fprintf(stderr, "vmmd: %s\n", e.msg);
		return -1;
	}
	return 0;
}

/* Returns 0, -1 on failure, -2 when the front door cannot have its addresses. */
static int run(const struct vmmd_options *o, struct vmmd *m)
{
	struct front_options fo = { o->front, o->front_tls, o->nfront, o->nfront_tls, o->front_user, o->nginx,
				    (unsigned)o->front_workers };
	struct server srv;
	char ro_path[PATH_MAX];
	gid_t gid = (gid_t)-1, ro_gid;
	mode_t ro_mode;
	struct verr e;
	int rc = -1;

	if (o->group) {
		struct group *g = getgrnam(o->group);

		if (!g) {
			fprintf(stderr, "vmmd: no group '%s'\n", o->group);
			return -1;
		}
		gid = g->gr_gid;
	}
	ro_gid = gid;
	if (o->ro_group) {
		struct group *g = getgrnam(o->ro_group);

		if (!g) {
			fprintf(stderr, "vmmd: no group '%s'\n", o->ro_group);
			return -1;
		}
		ro_gid = g->gr_gid;
	}
	/* a group given means access is meant to be the group's: the read-only
	 * socket too (world-readable only when asked, --ro-mode 0666) */
	ro_mode = o->ro_mode >= 0 ? (mode_t)o->ro_mode : ro_gid != (gid_t)-1 ? 0660 : 0666;
	snprintf(ro_path, sizeof ro_path, "%s-ro", o->socket);
	if (images_setup(o, m) < 0)
		return -1;
	if (store_init(m->state_dir, &e) < 0 || store_load_defs(m->state_dir, &m->doms, &e) < 0) {
		fprintf(stderr, "vmmd: %s\n", e.msg);
		return -1;
	}
	if (front_open(m, &fo, &e) < 0 || sites_init(m, &e) < 0) {
		fprintf(stderr, "vmmd: %s\n", e.msg);
		return -2;
	}
	if (make_parent(o->socket) < 0)
		return -1;
	if (server_open(&srv, o->socket, o->group ? 0660 : 0600, gid, o->ro_socket ? ro_path : NULL, ro_mode, ro_gid,
			&e) < 0) {
		fprintf(stderr, "vmmd: %s\n", e.msg);
		server_close(&srv, m);
		return -1;
	}
	srv.limits.max_conns = (unsigned)o->max_clients;
	srv.limits.per_user = (unsigned)o->max_clients_per_user;
	srv.limits.open_timeout_ms = (unsigned)o->open_timeout_s * 1000u;
	srv.limits.ro_idle_ms = (unsigned)o->ro_idle_timeout_s * 1000u;
	srv.limits.write_timeout_ms = (unsigned)o->write_timeout_s * 1000u;
	srv.limits.memory = (size_t)o->client_memory;
	if (!o->foreground && daemon(0, 0) < 0) {
		fprintf(stderr, "vmmd: cannot go to the background: %s\n", strerror(errno));
		server_close(&srv, m);
		return -1;
	}
	lc_adopt_all(m);
	sites_open_all(m);
	lc_standby_plan(m);
	lc_autostart_all(m);
	if (front_start(m, &e) < 0) {
		fprintf(stderr, "vmmd: %s\n", e.msg);
		server_close(&srv, m);
		return -2;
	}
	fprintf(stderr, "vmmd: listening on %s (vmm: %s%s)\n", o->socket, m->vmm_path,
		m->feat.console_socket ? ", console socket" : "");
	rc = server_run(&srv, m, &e);
	if (rc < 0)
		fprintf(stderr, "vmmd: %s\n", e.msg);
	server_close(&srv, m);
	return rc;
}

int main(int argc, char **argv)
{
	struct vmmd_options o;
	struct vmmd m = { 0 };
	char *vmm;
	int rc;

	rc = options_parse(argc, argv, &o);
	if (rc != OPTIONS_OK)
		return rc == OPTIONS_EXIT_OK ? 0 : 2;
	vmm = find_program("vmm", o.vmm);
	if (!vmm) {
		fprintf(stderr, "vmmd: cannot find the vmm binary%s%s (use --vmm PATH)\n", o.vmm ? " " : "",
			o.vmm ? o.vmm : "");
		return 2;
	}
	umask(077);
	xmlInitParser();
	m.state_dir = o.state_dir;
	m.vmm_path = vmm;
	m.uri = o.uri;
	m.shutdown_timeout_ms = o.shutdown_timeout_s * 1000;
	m.start_wait_ms = o.start_wait_ms;
	vmproc_probe(vmm, &m.feat);
	standby_init(&m.standby);
	m.console_log_max = o.console_log_max;
	m.console_rate = o.console_rate;
	if ((o.console_log_max || o.console_rate) && !m.feat.console_limits)
		fprintf(stderr, "vmmd: warning: %s has no --console-log-max: --console-log-max and --console-rate "
				"do nothing\n", vmm);
	cgroups_init(&m.cg);
	/* a host without (writable) cgroups still runs VMs, without limits;
	 * a domain whose XML sets a limit that cannot be applied fails to start */
	if (m.cg.note[0])
		fprintf(stderr, "vmmd: warning: VMs run without %s cgroup limits: %s\n",
			m.cg.base[CG_MEMORY] || m.cg.base[CG_CPU] || m.cg.base[CG_PIDS] ? "some" : "any", m.cg.note);
	m.site_gid = (gid_t)-1;
	m.site_epfd = -1;
	fd_high_init();
	m.dom_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (m.dom_epfd < 0) {
		fprintf(stderr, "vmmd: epoll_create1: %s\n", strerror(errno));
		rc = -1;
	} else
		rc = run(&o, &m);
	standby_stop(&m.standby);
	front_close(&m);
	domains_free(&m.doms);
	images_free(&m.images);
	cgroups_free(&m.cg);
	if (m.site_epfd >= 0)
		close(m.site_epfd);
	if (m.dom_epfd >= 0)
		close(m.dom_epfd);
	free(vmm);
	xmlCleanupParser();
	return rc == -2 ? 2 : rc < 0 ? 1 : 0;
}
