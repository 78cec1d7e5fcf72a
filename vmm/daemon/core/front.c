#include "daemon/core/front.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "daemon/core/front_conf.h"
#include "daemon/core/lifecycle.h"
#include "daemon/core/sites.h"
#include "daemon/core/store.h"

#define RELOAD_DELAY_MS 100   /* changes within this coalesce into one reload */
#define QUICK_DEATH_MS 5000   /* nginx that dies sooner than this is restarted later */
#define RESTART_BACKOFF_MS 1000
#define STOP_WAIT_MS 5000
#define MODSEC_MODULE "/usr/lib/nginx/modules/ngx_http_modsecurity_module.so"

struct front {
	struct front_spec spec;
	char dir[STORE_PATH_MAX];
	char conf[STORE_PATH_MAX], conf_new[STORE_PATH_MAX], conf_check[STORE_PATH_MAX];
	char modsec_rules[STORE_PATH_MAX], cert[STORE_PATH_MAX], key[STORE_PATH_MAX];
	char test_out[STORE_PATH_MAX], reload_out[STORE_PATH_MAX];
	char user[64], group[64];
	char *nginx;
	pid_t pid;
	int pidfd;
	int64_t started_ms;
	int64_t reload_due_ms;  /* 0: nothing to reload */
	/* the reload's `nginx -t`, running while the daemon serves on */
	pid_t test_pid;
	int test_pidfd;
	int64_t test_started_ms, last_test_ms;
	size_t test_sites;
	int64_t restart_due_ms; /* 0: running, or not to restart */
};

static int fpath(char *out, const char *dir, const char *name, struct verr *e)
{
	if (snprintf(out, STORE_PATH_MAX, "%s/%s", dir, name) >= STORE_PATH_MAX)
		return verr_set(e, VERR_INTERNAL_ERROR, "path too long: %s/%s", dir, name);
	return 0;
}

/* Each address must be free now: nginx would only log that it is not. */
static int check_free(const struct front_addr *a, struct verr *e)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	char host[64];
	const char *colon = strrchr(a->text, ':');
	size_t n = (size_t)(colon - a->text);
	int fd, one = 1, rc = 0;
	socklen_t len;

	if (a->text[0] == '[') {
		memcpy(host, a->text + 1, n - 2);
		host[n - 2] = 0;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)atoi(colon + 1));
		inet_pton(AF_INET6, host, &s6->sin6_addr);
		len = sizeof *s6;
	} else {
		memcpy(host, a->text, n);
		host[n] = 0;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)atoi(colon + 1));
		inet_pton(AF_INET, host, &s4->sin_addr);
		len = sizeof *s4;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return verr_set(e, VERR_SYSTEM_ERROR, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		rc = verr_set(e, VERR_OPERATION_FAILED, "front door %s: %s", a->text, strerror(errno));
	close(fd);
	return rc;
}

/* Starts argv with its output in the file out, opened with mode O_TRUNC or
 * O_APPEND (a pipe could fill up and stall it while nobody reads). Returns
 * the pid, -1 on failure. */
static pid_t spawn_logged(char *const argv[], const char *out, int mode)
{
	pid_t pid = fork();

	if (pid == 0) {
		sigset_t none;
		int null = open("/dev/null", O_RDONLY);
		int fd = open(out, O_WRONLY | O_CREAT | mode, 0600);

		for (int s = 1; s < NSIG; s++)
			signal(s, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (null < 0 || fd < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		syscall(SYS_close_range, 3u, ~0u, 0u);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* The line nginx (or openssl) complained with, from its output file. */
static void complaint(const char *out, char *msg, size_t size)
{
	char *text = store_read_file(out, 1 << 16, NULL), *line;
	size_t n;

	msg[0] = 0;
	if (!text)
		return;
	line = strstr(text, "[emerg]");
	if (!line)
		line = text;
	n = strcspn(line, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(msg, line, n);
	msg[n] = 0;
	free(text);
}

static int exited_ok(pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Runs argv to its end; its complaint, if it failed, goes to msg. */
static int run_wait(char *const argv[], const char *out, char *msg, size_t size)
{
	pid_t pid = spawn_logged(argv, out, O_TRUNC);
	int ok = pid > 0 && exited_ok(pid);

	if (ok)
		msg[0] = 0;
	else
		complaint(out, msg, size);
	unlink(out);
	return ok ? 0 : -1;
}

static int write_conf(struct vmmd *m, const char *path, const struct domain_config *only, size_t *nsites,
		      struct verr *e)
{
	struct front *f = m->front;
	struct front_site *sites = calloc(m->doms.n + 1, sizeof *sites);
	char (*socks)[STORE_PATH_MAX] = calloc(m->doms.n + 1, sizeof *socks);
	char *text = NULL;
	size_t n = 0, size = 0;
	FILE *out;
	int rc = -1;

	if (!sites || !socks) {
		verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
		goto done;
	}
	if (only) {
		if (site_socket_path(m, only, socks[0], STORE_PATH_MAX, e) < 0)
			goto done;
		sites[n++] = (struct front_site){ only, socks[0] };
	} else {
		for (size_t i = 0; i < m->doms.n; i++) {
			const struct domain *d = m->doms.v[i];

			if (!dom_site(d))
				continue;
			if (site_socket_path(m, d->def ? d->def : d->live, socks[n], STORE_PATH_MAX, e) < 0)
				goto done;
			sites[n] = (struct front_site){ d->def ? d->def : d->live, socks[n] };
			n++;
		}
	}
	out = open_memstream(&text, &size);
	if (!out) {
		verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
		goto done;
	}
	front_conf_write(out, &f->spec, sites, n);
	if (fclose(out) != 0) {
		verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
		goto done;
	}
	rc = store_write_atomic(path, text, size, e);
	if (nsites)
		*nsites = n;
done:
	free(text);
	free(sites);
	free(socks);
	return rc;
}

static int test_conf(struct front *f, const char *conf, struct verr *e)
{
	char *argv[] = { f->nginx, "-t", "-q", "-c", (char *)conf, NULL };
	char msg[512];

	if (run_wait(argv, f->test_out, msg, sizeof msg) < 0)
		return verr_set(e, VERR_CONFIG_UNSUPPORTED, "the front door's nginx refuses the configuration: %s",
				msg[0] ? msg : "(no message)");
	return 0;
}

static void spawn_nginx(struct front *f)
{
	char out[STORE_PATH_MAX], *argv[] = { f->nginx, "-c", f->conf, NULL };
	struct verr e;
	pid_t pid;

	f->restart_due_ms = 0;
	if (fpath(out, f->dir, "nginx.out", &e) < 0)
		return;
	pid = spawn_logged(argv, out, O_APPEND);
	if (pid < 0) {
		fprintf(stderr, "vmmd: front door: fork: %s\n", strerror(errno));
		f->restart_due_ms = now_ms() + RESTART_BACKOFF_MS;
		return;
	}
	f->pid = pid;
	f->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	f->started_ms = now_ms();
}

/* A front door left by a daemon that was killed holds the addresses. */
static void stop_stale(struct front *f)
{
	char pidpath[STORE_PATH_MAX], cmdpath[64], cmd[STORE_PATH_MAX + 64], *text;
	struct verr e;
	long pid;
	ssize_t n;
	int fd;

	if (fpath(pidpath, f->dir, "nginx.pid", &e) < 0 || !(text = store_read_file(pidpath, 64, NULL)))
		return;
	pid = strtol(text, NULL, 10);
	free(text);
	if (pid <= 1)
		return;
	snprintf(cmdpath, sizeof cmdpath, "/proc/%ld/cmdline", pid);
	fd = open(cmdpath, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, cmd, sizeof cmd - 1);
	close(fd);
	if (n <= 0)
		return;
	cmd[n] = 0;
	for (ssize_t i = 0; i < n; i++)
		if (!cmd[i])
			cmd[i] = ' ';
	if (!strstr(cmd, "nginx") || !strstr(cmd, f->conf))
		return;
	fprintf(stderr, "vmmd: front door: stopping the nginx (pid %ld) a previous vmmd left\n", pid);
	kill((pid_t)pid, SIGTERM);
	for (int i = 0; i < STOP_WAIT_MS / 50 && kill((pid_t)pid, 0) == 0; i++)
		usleep(50 * 1000);
	kill((pid_t)pid, SIGKILL);
	usleep(50 * 1000);
}

/* nginx's workers reach STATE/sites through every directory above it. */
static int check_reachable(const char *dir, uid_t uid, gid_t gid, struct verr *e)
{
	char buf[STORE_PATH_MAX];
	char *slash;

	snprintf(buf, sizeof buf, "%s", dir);
	for (;;) {
		struct stat st;

		if (stat(buf[0] ? buf : "/", &st) < 0)
			return verr_set(e, VERR_SYSTEM_ERROR, "%s: %s", buf, strerror(errno));
		if (!(st.st_mode & S_IXOTH) && !(st.st_uid == uid && (st.st_mode & S_IXUSR)) &&
		    !(st.st_gid == gid && (st.st_mode & S_IXGRP)))
			return verr_set(e, VERR_OPERATION_FAILED,
					"front door: nginx's workers cannot reach the site sockets: %s is mode %04o "
					"(make it searchable: chmod o+x)",
					buf[0] ? buf : "/", (unsigned)(st.st_mode & 07777));
		slash = strrchr(buf, '/');
		if (!slash || !buf[0])
			return 0;
		*slash = 0;
	}
}

static int setup_tls_fallback(struct front *f, struct verr *e)
{
	char *argv[] = { "/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
			 "-subj", "/CN=vmmd front door", "-keyout", f->key, "-out", f->cert, NULL };
	char msg[256];

	if (access(f->cert, R_OK) == 0 && access(f->key, R_OK) == 0)
		return 0;
	if (run_wait(argv, f->test_out, msg, sizeof msg) < 0)
		return verr_set(e, VERR_OPERATION_FAILED,
				"front door: cannot make the certificate for unknown TLS hosts with openssl: %s", msg);
	return 0;
}

/* Debian's ModSecurity settings, switched from detection to blocking, with
 * the Core Rule Set; CRS's own Apache loader (owasp-crs.load) does not
 * parse in libmodsecurity, so its parts are named here. */
static int write_modsec_rules(struct front *f, struct verr *e)
{
	static const char rules[] =
		"# Written by vmmd: ModSecurity in blocking mode with Debian's OWASP Core Rule Set.\n"
		"Include /etc/nginx/modsecurity.conf\n"
		"SecRuleEngine On\n"
		"SecAuditEngine Off\n"
		"SecStatusEngine Off\n"
		"Include /etc/modsecurity/crs/crs-setup.conf\n"
		"Include /etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf\n"
		"Include /usr/share/modsecurity-crs/rules/*.conf\n"
		"Include /etc/modsecurity/crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf\n";

	return store_write_atomic(f->modsec_rules, rules, sizeof rules - 1, e);
}

int front_open(struct vmmd *m, const struct front_options *o, struct verr *e)
{
	struct front *f;
	char tmp[STORE_PATH_MAX];

	if (!o->nhttp && !o->ntls)
		return 0;
	if (strspn(m->state_dir, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+") !=
	    strlen(m->state_dir))
		return verr_set(e, VERR_OPERATION_FAILED,
				"front door: the state directory's path may only hold letters, digits and /._-+ "
				"(nginx's configuration names it)");
	f = calloc(1, sizeof *f);
	if (!f)
		return verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
	m->front = f;
	f->pidfd = f->test_pidfd = -1;
	for (unsigned i = 0; i < o->nhttp + o->ntls; i++) {
		bool tls = i >= o->nhttp;
		const char *text = tls ? o->tls[i - o->nhttp] : o->http[i];
		struct front_addr *a = tls ? &f->spec.tls[f->spec.ntls++] : &f->spec.http[f->spec.nhttp++];
		const char *why = front_addr_parse(text, a);

		if (why)
			return verr_set(e, VERR_OPERATION_FAILED, "--front%s '%s': %s", tls ? "-tls" : "", text, why);
	}
	f->nginx = realpath(o->nginx, NULL);
	if (!f->nginx || access(f->nginx, X_OK) < 0)
		return verr_set(e, VERR_OPERATION_FAILED, "front door: no nginx at %s (make deps installs it)", o->nginx);
	if (store_path(f->dir, sizeof f->dir, m->state_dir, "front", NULL, NULL, e) < 0 ||
	    fpath(f->conf, f->dir, "nginx.conf", e) < 0 || fpath(f->conf_new, f->dir, "nginx.conf.new", e) < 0 ||
	    fpath(f->conf_check, f->dir, "check.conf", e) < 0 ||
	    fpath(f->modsec_rules, f->dir, "modsecurity.conf", e) < 0 || fpath(f->cert, f->dir, "fallback.crt", e) < 0 ||
	    fpath(f->key, f->dir, "fallback.key", e) < 0 || fpath(tmp, f->dir, "tmp", e) < 0 ||
	    fpath(f->test_out, f->dir, "test.out", e) < 0 || fpath(f->reload_out, f->dir, "reload.out", e) < 0)
		return -1;
	if ((mkdir(f->dir, 0700) < 0 && errno != EEXIST) || (mkdir(tmp, 0700) < 0 && errno != EEXIST))
		return verr_set(e, VERR_SYSTEM_ERROR, "cannot create %s: %s", tmp, strerror(errno));
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam(o->user);
		struct group *gr = pw ? getgrgid(pw->pw_gid) : NULL;

		if (!pw || !gr || pw->pw_uid == 0)
			return verr_set(e, VERR_OPERATION_FAILED, "--front-user '%s': %s", o->user,
					!pw ? "no such user" : pw->pw_uid == 0 ? "not root, please" : "no group");
		snprintf(f->user, sizeof f->user, "%s", pw->pw_name);
		snprintf(f->group, sizeof f->group, "%s", gr->gr_name);
		f->spec.user = f->user;
		f->spec.group = f->group;
		m->site_gid = pw->pw_gid;
		/* only search permission: the subdirectories stay private */
		if (chmod(m->state_dir, 0711) < 0 || chown(tmp, pw->pw_uid, (gid_t)-1) < 0)
			return verr_set(e, VERR_SYSTEM_ERROR, "cannot open %s to the front door: %s", m->state_dir,
					strerror(errno));
		if (check_reachable(m->state_dir, pw->pw_uid, pw->pw_gid, e) < 0)
			return -1;
	}
	f->spec.dir = f->dir;
	f->spec.workers = o->workers;
	f->spec.modsec_module = access(MODSEC_MODULE, R_OK) == 0 ? MODSEC_MODULE : NULL;
	f->spec.modsec_rules = f->modsec_rules;
	f->spec.fallback_cert = f->cert;
	f->spec.fallback_key = f->key;
	if (f->spec.modsec_module && write_modsec_rules(f, e) < 0)
		return -1;
	if (f->spec.ntls && setup_tls_fallback(f, e) < 0)
		return -1;
	stop_stale(f);
	for (unsigned i = 0; i < f->spec.nhttp; i++)
		if (check_free(&f->spec.http[i], e) < 0)
			return -1;
	for (unsigned i = 0; i < f->spec.ntls; i++)
		if (check_free(&f->spec.tls[i], e) < 0)
			return -1;
	return 0;
}

int front_start(struct vmmd *m, struct verr *e)
{
	struct front *f = m->front;

	if (!f)
		return 0;
	if (write_conf(m, f->conf_new, NULL, NULL, e) < 0 || test_conf(f, f->conf_new, e) < 0)
		return -1;
	if (rename(f->conf_new, f->conf) < 0)
		return verr_set(e, VERR_SYSTEM_ERROR, "rename %s: %s", f->conf_new, strerror(errno));
	spawn_nginx(f);
	if (f->pidfd < 0)
		return verr_set(e, VERR_SYSTEM_ERROR, "front door: cannot start nginx");
	return 0;
}

int front_check_site(struct vmmd *m, const struct domain_config *cfg, struct verr *e)
{
	struct front *f = m->front;
	int rc;

	/* a plain site holds nothing nginx could refuse: its names and paths are checked */
	if (!f || !cfg->site.present || (!cfg->site.tls_cert && !cfg->site.waf))
		return 0;
	if (cfg->site.waf && !f->spec.modsec_module)
		return verr_set(e, VERR_CONFIG_UNSUPPORTED,
				"<vmm:waf/> needs nginx's ModSecurity module (make deps installs it)");
	if (write_conf(m, f->conf_check, cfg, NULL, e) < 0)
		return -1;
	rc = test_conf(f, f->conf_check, e);
	unlink(f->conf_check);
	return rc;
}

/* A change waits RELOAD_DELAY_MS for others to join it, and three times as
 * long as the last test took: with thousands of sites a test takes a
 * second and nginx's own reload more, and reloading more often than that
 * only takes CPU from the sites. */
void front_changed(struct vmmd *m)
{
	struct front *f = m->front;

	if (f && !f->reload_due_ms)
		f->reload_due_ms =
			now_ms() + (3 * f->last_test_ms > RELOAD_DELAY_MS ? 3 * f->last_test_ms : RELOAD_DELAY_MS);
}

static void start_reload(struct vmmd *m)
{
	struct front *f = m->front;
	char *argv[] = { f->nginx, "-t", "-q", "-c", f->conf_new, NULL };
	struct verr e;

	f->reload_due_ms = 0;
	if (write_conf(m, f->conf_new, NULL, &f->test_sites, &e) < 0) {
		fprintf(stderr, "vmmd: front door: keeping the previous configuration: %s\n", e.msg);
		return;
	}
	f->test_started_ms = now_ms();
	f->test_pid = spawn_logged(argv, f->reload_out, O_TRUNC);
	f->test_pidfd = f->test_pid > 0 ? (int)syscall(SYS_pidfd_open, f->test_pid, 0) : -1;
	if (f->test_pidfd < 0) {
		fprintf(stderr, "vmmd: front door: cannot test the configuration: %s\n", strerror(errno));
		if (f->test_pid > 0)
			exited_ok(f->test_pid);
		f->test_pid = 0;
		f->reload_due_ms = now_ms() + RESTART_BACKOFF_MS;
	}
}

static void finish_reload(struct vmmd *m)
{
	struct front *f = m->front;
	int ok = exited_ok(f->test_pid);
	char msg[512];

	close(f->test_pidfd);
	f->test_pidfd = -1;
	f->test_pid = 0;
	f->last_test_ms = now_ms() - f->test_started_ms;
	if (!ok) {
		complaint(f->reload_out, msg, sizeof msg);
		fprintf(stderr, "vmmd: front door: keeping the previous configuration: nginx -t: %s\n", msg);
		return;
	}
	if (rename(f->conf_new, f->conf) < 0) {
		fprintf(stderr, "vmmd: front door: rename %s: %s\n", f->conf_new, strerror(errno));
		return;
	}
	if (f->pid > 0 && f->pidfd >= 0)
		kill(f->pid, SIGHUP); /* what `nginx -s reload` sends */
	fprintf(stderr, "vmmd: front door: reloading with %zu sites (tested in %lld ms)\n", f->test_sites,
		(long long)f->last_test_ms);
}

int front_tick(struct vmmd *m)
{
	struct front *f = m->front;
	int64_t now = now_ms(), next = -1;

	if (!f)
		return -1;
	if (f->restart_due_ms && f->restart_due_ms <= now)
		spawn_nginx(f);
	if (f->reload_due_ms && f->reload_due_ms <= now && f->test_pidfd < 0)
		start_reload(m);
	if (f->restart_due_ms)
		next = f->restart_due_ms - now;
	if (f->reload_due_ms && f->test_pidfd < 0 && (next < 0 || f->reload_due_ms - now < next))
		next = f->reload_due_ms - now;
	return next < 0 ? -1 : (int)(next < 1 ? 1 : next);
}

/* nginx ended: it is started again, later if it keeps dying. */
static void nginx_exited(struct vmmd *m)
{
	struct front *f = m->front;
	int status = 0;
	int64_t ran;

	if (!f || f->pid <= 0)
		return;
	while (waitpid(f->pid, &status, 0) < 0 && errno == EINTR)
		;
	close(f->pidfd);
	f->pidfd = -1;
	f->pid = 0;
	ran = now_ms() - f->started_ms;
	fprintf(stderr, "vmmd: front door: nginx %s %d after %lld ms; restarting it%s\n",
		WIFSIGNALED(status) ? "killed by signal" : "exited with status",
		WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), (long long)ran,
		ran < QUICK_DEATH_MS ? " in a second" : "");
	f->restart_due_ms = now_ms() + (ran < QUICK_DEATH_MS ? RESTART_BACKOFF_MS : 0);
	if (!f->restart_due_ms)
		f->restart_due_ms = 1;
}

int front_poll_fds(const struct vmmd *m, int fds[2])
{
	int n = 0;

	if (m->front && m->front->pidfd >= 0)
		fds[n++] = m->front->pidfd;
	if (m->front && m->front->test_pidfd >= 0)
		fds[n++] = m->front->test_pidfd;
	return n;
}

void front_ready(struct vmmd *m, int fd)
{
	if (!m->front)
		return;
	if (fd == m->front->test_pidfd)
		finish_reload(m);
	else if (fd == m->front->pidfd)
		nginx_exited(m);
}

void front_close(struct vmmd *m)
{
	struct front *f = m->front;

	if (!f)
		return;
	if (f->pid > 0) {
		struct pollfd p = { .fd = f->pidfd, .events = POLLIN };

		kill(f->pid, SIGTERM);
		if (f->pidfd < 0 || poll(&p, 1, STOP_WAIT_MS) != 1)
			kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
	}
	if (f->pidfd >= 0)
		close(f->pidfd);
	if (f->test_pid > 0) {
		kill(f->test_pid, SIGKILL);
		exited_ok(f->test_pid);
		close(f->test_pidfd);
	}
	free(f->nginx);
	free(f);
	m->front = NULL;
}
