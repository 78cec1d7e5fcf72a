#include "daemon/core/store.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/domain/xml.h"

int store_path(char *out, size_t size, const char *dir, const char *sub, const char *name, const char *suffix,
	       struct verr *e)
{
	int n = snprintf(out, size, "%s/%s%s%s%s", dir, sub, name ? "/" : "", name ? name : "", suffix ? suffix : "");

	if (n < 0 || (size_t)n >= size)
		return verr_set(e, VERR_INTERNAL_ERROR, "path too long under '%s'", dir);
	return 0;
}

static int mkdir_p(const char *path, struct verr *e)
{
	char buf[STORE_PATH_MAX];

	if (strlen(path) >= sizeof buf)
		return verr_set(e, VERR_INTERNAL_ERROR, "path too long: %s", path);
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return verr_set(e, VERR_SYSTEM_ERROR, "cannot create directory '%s': %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return verr_set(e, VERR_SYSTEM_ERROR, "cannot create directory '%s': %s", buf, strerror(errno));
	return 0;
}

int store_init(const char *dir, struct verr *e)
{
	static const char *const subs[] = { "domains", "autostart", "run" };
	char p[STORE_PATH_MAX];

	if (mkdir_p(dir, e) < 0)
		return -1;
	for (size_t i = 0; i < 3; i++)
		if (store_path(p, sizeof p, dir, subs[i], NULL, NULL, e) < 0 || mkdir_p(p, e) < 0)
			return -1;
	return 0;
}

static void fsync_parent(const char *path)
{
	char dir[STORE_PATH_MAX];
	char *slash;
	int fd;

	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		return;
	*slash = 0;
	fd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Atomic: a reader (or a daemon that crashed half way) sees the old file
 * or the new one. durable: also on disk before it returns, with its
 * directory entry, for what must survive a host crash. */
static int write_atomic(const char *path, const char *data, size_t len, bool durable, struct verr *e)
{
	char tmp[STORE_PATH_MAX + 32];
	size_t done = 0;
	int fd;

	snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return verr_set(e, VERR_SYSTEM_ERROR, "cannot write '%s': %s", tmp, strerror(errno));
	while (done < len) {
		ssize_t w = write(fd, data + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		done += (size_t)w;
	}
	if (durable && fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		fd = -1;
		goto fail;
	}
	if (durable)
		fsync_parent(path);
	return 0;
fail:
	verr_set(e, VERR_SYSTEM_ERROR, "cannot write '%s': %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

int store_write_atomic(const char *path, const char *data, size_t len, struct verr *e)
{
	return write_atomic(path, data, len, true, e);
}

char *store_read_file(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0, cap = 4096;
	char *buf;

	if (fd < 0)
		return NULL;
	buf = malloc(cap + 1);
	while (buf) {
		ssize_t r;

		if (n == cap) {
			char *nb = cap > max ? NULL : realloc(buf, cap * 2 + 1);

			if (!nb) {
				if (cap > max)
					break; /* n > max: EFBIG below */
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			buf = NULL;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (!buf || n > max) {
		if (buf)
			errno = EFBIG;
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

/* Writes c's XML to path, unless it is larger than a load would take: a
 * file that cannot be read back would lose the domain at the next start. */
static int save_xml(const char *path, const struct domain_config *c, bool durable, struct verr *e)
{
	char *xml = domain_xml_format(c, -1);
	size_t len;
	int rc;

	if (!xml)
		return verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
	len = strlen(xml);
	if (len > DOMAIN_XML_MAX)
		rc = verr_set(e, VERR_CONFIG_UNSUPPORTED, "domain '%s' would take %zu bytes of XML (at most %u)",
			      c->name, len, DOMAIN_XML_MAX);
	else
		rc = write_atomic(path, xml, len, durable, e);
	free(xml);
	return rc;
}

int store_save_def(const char *dir, const struct domain_config *c, struct verr *e)
{
	char path[STORE_PATH_MAX];

	if (store_path(path, sizeof path, dir, "domains", c->name, ".xml", e) < 0)
		return -1;
	return save_xml(path, c, true, e);
}

int store_remove_def(const char *dir, const char *name, struct verr *e)
{
	char path[STORE_PATH_MAX];

	if (store_path(path, sizeof path, dir, "domains", name, ".xml", e) < 0)
		return -1;
	if (unlink(path) < 0 && errno != ENOENT)
		return verr_set(e, VERR_SYSTEM_ERROR, "cannot remove '%s': %s", path, strerror(errno));
	fsync_parent(path);
	return store_set_autostart(dir, name, false, e);
}

int store_set_autostart(const char *dir, const char *name, bool on, struct verr *e)
{
	char path[STORE_PATH_MAX];

	if (store_path(path, sizeof path, dir, "autostart", name, NULL, e) < 0)
		return -1;
	if (on)
		return store_write_atomic(path, "", 0, e);
	if (unlink(path) < 0 && errno != ENOENT)
		return verr_set(e, VERR_SYSTEM_ERROR, "cannot remove '%s': %s", path, strerror(errno));
	fsync_parent(path);
	return 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* A definition that cannot be loaded is renamed to FILE.bad-TIME beside
 * itself (UTC, -N added if taken), out of the way of the next start and of
 * a define of the same name, and kept for whoever wants to look; one line
 * on stderr names it and why. Dropping it silently lost the domain while
 * the file stayed. */
static void set_aside(const char *path, const char *why)
{
	char bad[STORE_PATH_MAX + 64], stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	int rc = -1;

	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
	for (int i = 1; i <= 10 && rc < 0; i++) {
		if (i == 1)
			snprintf(bad, sizeof bad, "%s.bad-%s", path, stamp);
		else
			snprintf(bad, sizeof bad, "%s.bad-%s-%d", path, stamp, i);
		rc = renameat2(AT_FDCWD, path, AT_FDCWD, bad, RENAME_NOREPLACE);
		if (rc < 0 && errno != EEXIST)
			break;
	}
	if (rc == 0) {
		fsync_parent(path);
		fprintf(stderr, "vmmd: cannot load %s: %s; moved to %s\n", path, why, bad);
	} else {
		fprintf(stderr, "vmmd: cannot load %s: %s; left in place (cannot rename it: %s)\n", path, why,
			strerror(errno));
	}
}

static int load_one_def(const char *dir, const char *file, struct domains *ds)
{
	char path[STORE_PATH_MAX], name[DOMAIN_NAME_MAX + 8], why[1100];
	struct domain_config *c;
	struct domain *d;
	struct verr e;
	size_t len;
	char *xml;

	if (store_path(path, sizeof path, dir, "domains", file, NULL, &e) < 0) {
		fprintf(stderr, "vmmd: cannot load %s/domains/%s: %s\n", dir, file, e.msg);
		return -1;
	}
	if (strlen(file) >= sizeof name) {
		set_aside(path, "the name is longer than a domain's name may be");
		return -1;
	}
	strcpy(name, file);
	name[strlen(name) - 4] = 0;
	xml = store_read_file(path, DOMAIN_XML_MAX, &len);
	if (!xml) {
		if (errno == EFBIG)
			snprintf(why, sizeof why, "larger than %u bytes", DOMAIN_XML_MAX);
		else
			snprintf(why, sizeof why, "%s", strerror(errno));
		set_aside(path, why);
		return -1;
	}
	c = domain_xml_parse(xml, len, &e);
	free(xml);
	if (!c) {
		set_aside(path, e.msg);
		return -1;
	}
	if (strcmp(c->name, name) != 0)
		snprintf(why, sizeof why, "it defines domain '%s', not '%s'", c->name, name);
	else if ((d = domains_by_uuid(ds, c->uuid)))
		snprintf(why, sizeof why, "its uuid belongs to domain '%s'", dom_name(d));
	else
		why[0] = 0;
	if (why[0]) {
		set_aside(path, why);
		domain_config_free(c);
		return -1;
	}
	d = domains_add(ds, c);
	if (!d) {
		fprintf(stderr, "vmmd: cannot load %s: out of memory\n", path);
		domain_config_free(c);
		return -1;
	}
	if (store_path(path, sizeof path, dir, "autostart", name, NULL, &e) == 0)
		d->autostart = access(path, F_OK) == 0;
	return 0;
}

/* FILE.xml.tmpPID: a write that its daemon did not finish (killed before
 * the rename), so the definition beside it is the one in force. Removed
 * when that process is gone; another daemon's write may be under way. */
static void remove_unfinished(const char *dir, const char *file)
{
	const char *t = strstr(file, ".xml.tmp");
	char path[STORE_PATH_MAX];
	struct verr e;
	char *end;
	long pid;

	if (!t || !t[8])
		return;
	errno = 0;
	pid = strtol(t + 8, &end, 10);
	if (*end || errno || pid < 1 || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
		return;
	if (store_path(path, sizeof path, dir, "domains", file, NULL, &e) == 0 && unlink(path) == 0)
		fprintf(stderr, "vmmd: removed %s, a write that did not finish\n", path);
}

int store_load_defs(const char *dir, struct domains *ds, struct verr *e)
{
	char path[STORE_PATH_MAX];
	struct dirent *de;
	DIR *dh;

	if (store_path(path, sizeof path, dir, "domains", NULL, NULL, e) < 0)
		return -1;
	dh = opendir(path);
	if (!dh)
		return verr_set(e, VERR_SYSTEM_ERROR, "cannot open '%s': %s", path, strerror(errno));
	while ((de = readdir(dh))) {
		if (de->d_name[0] == '.')
			continue;
		if (has_suffix(de->d_name, ".xml"))
			load_one_def(dir, de->d_name, ds);
		else
			remove_unfinished(dir, de->d_name);
	}
	closedir(dh);
	return 0;
}

int store_save_run(const char *dir, const struct domain *d, struct verr *e)
{
	char path[STORE_PATH_MAX], state[256];

	/* Not durable: run/ describes processes that a host crash ends anyway,
	 * and the rename already keeps a daemon crash from leaving half a file;
	 * the fsyncs (two files, two directories) made every start and stop
	 * wait 1.3 ms for the disk. */
	if (store_path(path, sizeof path, dir, "run", dom_name(d), ".xml", e) < 0 ||
	    save_xml(path, d->live, false, e) < 0 ||
	    store_path(path, sizeof path, dir, "run", dom_name(d), ".state", e) < 0)
		return -1;
	snprintf(state, sizeof state, "id=%d\nvmm=%ld %" PRIu64 "\n", d->id, (long)d->proc.vmm_pid,
		 d->proc.vmm_start);
	if (d->proc.starting_pid)
		snprintf(state + strlen(state), sizeof state - strlen(state), "standby=%ld %" PRIu64 "\n",
			 (long)d->proc.starting_pid, d->proc.starting_start);
	return write_atomic(path, state, strlen(state), false, e);
}

void store_remove_run(const char *dir, const char *name)
{
	/* .status.tmp: left by the monitor of an older vmmd killed while
	 * writing the status */
	static const char *const suffixes[] = { ".state", ".xml", ".status", ".sock", ".status.tmp" };
	char path[STORE_PATH_MAX];
	struct verr e;

	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
		if (store_path(path, sizeof path, dir, "run", name, suffixes[i], &e) == 0)
			unlink(path);
}

int store_list_runs(const char *dir, char ***names, size_t *n)
{
	char path[STORE_PATH_MAX];
	struct dirent *de;
	struct verr e;
	DIR *dh;

	*names = NULL;
	*n = 0;
	if (store_path(path, sizeof path, dir, "run", NULL, NULL, &e) < 0 || !(dh = opendir(path)))
		return -1;
	while ((de = readdir(dh))) {
		char **v;

		if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".state"))
			continue;
		v = realloc(*names, (*n + 1) * sizeof *v);
		if (!v)
			break;
		*names = v;
		v[*n] = strndup(de->d_name, strlen(de->d_name) - 6);
		if (v[*n])
			(*n)++;
	}
	closedir(dh);
	return 0;
}

int store_load_run(const char *dir, const char *name, int *id, struct vm_proc *p, struct domain_config **live,
		   struct verr *e)
{
	char path[STORE_PATH_MAX];
	uint64_t mstart;
	long mpid, vpid, spid;
	size_t len;
	char *text, *sb;
	int n;

	*live = NULL;
	if (store_path(path, sizeof path, dir, "run", name, ".state", e) < 0)
		return -1;
	text = store_read_file(path, 4096, NULL);
	if (!text)
		return verr_set(e, VERR_SYSTEM_ERROR, "cannot read '%s'", path);
	n = sscanf(text, "id=%d vmm=%ld %" SCNu64, id, &vpid, &p->vmm_start);
	/* a starting record's vmm that came from a standby */
	if ((sb = strstr(text, "\nstandby=")) && sscanf(sb, "\nstandby=%ld %" SCNu64, &spid, &p->starting_start) == 2 &&
	    spid > 0)
		p->starting_pid = (pid_t)spid;
	/* an older vmmd's record names the VM's monitor too: its vmm is
	 * watched like any other (the monitor still writes the status) */
	if (n == 1)
		n = sscanf(text, "id=%d monitor=%ld %" SCNu64 " vmm=%ld %" SCNu64, id, &mpid, &mstart, &vpid,
			   &p->vmm_start) == 5 ? 3 : 0;
	free(text);
	/* pid 0: the "starting" record written before the vmm's start */
	if (n != 3 || *id < 1 || vpid < 0)
		return verr_set(e, VERR_INTERNAL_ERROR, "malformed '%s'", path);
	p->vmm_pid = (pid_t)vpid;
	if (store_path(path, sizeof path, dir, "run", name, ".xml", e) < 0)
		return -1;
	text = store_read_file(path, DOMAIN_XML_MAX, &len);
	if (!text)
		return verr_set(e, VERR_SYSTEM_ERROR, "cannot read '%s'", path);
	*live = domain_xml_parse(text, len, e);
	free(text);
	return *live ? 0 : -1;
}

int store_read_status(const char *dir, const char *name, int *status)
{
	char path[STORE_PATH_MAX];
	struct verr e;
	char *text;
	int rc, code;

	if (store_path(path, sizeof path, dir, "run", name, ".status", &e) < 0)
		return -1;
	text = store_read_file(path, 64, NULL);
	if (!text)
		return -1;
	/* vmm's own record ("exit N", vmm --exit-status), or the wait status
	 * an older vmmd's monitor wrote */
	if (sscanf(text, "exit %d", &code) == 1)
		rc = code >= 0 && code <= 255 ? (*status = code << 8, 0) : -1;
	else
		rc = sscanf(text, "%d", status) == 1 && *status >= 0 ? 0 : -1;
	free(text);
	return rc;
}
