#include "daemon/core/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const res_name[CG_NRES] = { "memory", "cpu", "pids" };

#define REMOVE_TRIES 50 /* x 2 ms: the VM's last process may still be on its way out */
#define CFS_PERIOD_DEFAULT_US 100000u /* the CFS period a new CPU group has */

/* Whether the list, separated by sep, holds word. */
static bool has_word(const char *list, const char *word, char sep)
{
	size_t n = strlen(word);

	for (const char *p = list; *p;) {
		const char *end = strchr(p, sep);
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && strncmp(p, word, n) == 0)
			return true;
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

static void note(struct cgroups *cg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct cgroups *cg, const char *fmt, ...)
{
	size_t used = strlen(cg->note);
	va_list ap;

	if (used && used + 2 < sizeof cg->note)
		strcpy(cg->note + used, "; "), used += 2;
	va_start(ap, fmt);
	vsnprintf(cg->note + used, sizeof cg->note - used, fmt, ap);
	va_end(ap);
}

/* The mount point and root of the v1 hierarchy with controller ctl, or of
 * the unified hierarchy (ctl NULL), from /proc/self/mountinfo. */
static int find_mount(const char *ctl, char *dir, size_t dsize, char *root, size_t rsize)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int rc = -1;

	if (!f)
		return -1;
	while (rc < 0 && fgets(line, sizeof line, f)) {
		char *tok[64], *save = NULL;
		int n = 0, sep = -1;

		for (char *t = strtok_r(line, " \n", &save); t && n < 64; t = strtok_r(NULL, " \n", &save)) {
			if (sep < 0 && strcmp(t, "-") == 0)
				sep = n;
			tok[n++] = t;
		}
		if (n < 5 || sep < 0 || sep + 3 >= n)
			continue;
		if (ctl ? strcmp(tok[sep + 1], "cgroup") != 0 || !has_word(tok[sep + 3], ctl, ',')
			: strcmp(tok[sep + 1], "cgroup2") != 0)
			continue;
		if (snprintf(dir, dsize, "%s", tok[4]) < (int)dsize && snprintf(root, rsize, "%s", tok[3]) < (int)rsize)
			rc = 0;
	}
	fclose(f);
	return rc;
}

/* vmmd's own group for controller ctl (NULL: the unified hierarchy), from
 * /proc/self/cgroup: "ID:CONTROLLERS:PATH". */
static int own_path(const char *ctl, char *path, size_t size)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096];
	int rc = -1;

	if (!f)
		return -1;
	while (rc < 0 && fgets(line, sizeof line, f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *nl;

		if (!c2)
			continue;
		*c1 = *c2 = 0;
		nl = strchr(c2 + 1, '\n');
		if (nl)
			*nl = 0;
		if (ctl ? !has_word(c1 + 1, ctl, ',') : strcmp(line, "0") != 0 || c1[1] != 0)
			continue;
		if (snprintf(path, size, "%s", c2 + 1) < (int)size)
			rc = 0;
	}
	fclose(f);
	return rc;
}

/* The directory of vmmd's own group in a hierarchy. */
static int own_dir(const char *ctl, char *out, size_t size)
{
	char mnt[PATH_MAX], root[PATH_MAX], path[PATH_MAX];
	const char *rel;
	size_t rl;

	if (find_mount(ctl, mnt, sizeof mnt, root, sizeof root) < 0 || own_path(ctl, path, sizeof path) < 0)
		return -1;
	rl = strlen(root);
	if (strcmp(root, "/") == 0)
		rel = path;
	else if (strncmp(path, root, rl) == 0 && (path[rl] == 0 || path[rl] == '/'))
		rel = path + rl;
	else
		return -1; /* our group is outside what is mounted */
	if (strcmp(rel, "/") == 0)
		rel = "";
	return snprintf(out, size, "%s%s", mnt, rel) < (int)size ? 0 : -1;
}

/* Writes val to dir/file; 0 or -errno. */
static int put(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	size_t n = strlen(val);
	int fd, err = 0;

	if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path)
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, n) != (ssize_t)n)
		err = -errno;
	close(fd);
	return err;
}

/* Reads dir/file (at most size - 1 bytes); 0 or -errno. */
static int get(const char *dir, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path)
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

static bool exists(const char *dir, const char *file)
{
	char path[PATH_MAX];

	return snprintf(path, sizeof path, "%s/%s", dir, file) < (int)sizeof path && access(path, F_OK) == 0;
}

/* On the unified hierarchy controllers reach a group only through its
 * parent's cgroup.subtree_control, and a group other than the root that
 * holds processes may not hand them on: vmmd then moves itself into a leaf
 * of its own group, "vmmd" (the unit file delegates the group to us). */
static int v2_enable(const char *own, const char *base, const char *ctl)
{
	char word[32], leaf[PATH_MAX];
	int rc;

	snprintf(word, sizeof word, "+%s", ctl);
	rc = put(own, "cgroup.subtree_control", word);
	if (rc == -EBUSY && snprintf(leaf, sizeof leaf, "%s/vmmd", own) < (int)sizeof leaf &&
	    (mkdir(leaf, 0755) == 0 || errno == EEXIST) && put(leaf, "cgroup.procs", "0") == 0)
		rc = put(own, "cgroup.subtree_control", word);
	return rc < 0 ? rc : put(base, "cgroup.subtree_control", word);
}

void cgroups_init(struct cgroups *cg)
{
	char v2own[PATH_MAX], controllers[512] = "";
	bool have_v2 = own_dir(NULL, v2own, sizeof v2own) == 0 &&
		       get(v2own, "cgroup.controllers", controllers, sizeof controllers) == 0;
	char *nl = strchr(controllers, '\n');

	memset(cg, 0, sizeof *cg);
	if (nl)
		*nl = 0;
	for (int r = 0; r < CG_NRES; r++) {
		char own[PATH_MAX], base[PATH_MAX + 8];
		bool v2 = false;
		int rc;

		if (own_dir(res_name[r], own, sizeof own) < 0) {
			if (!have_v2 || !has_word(controllers, res_name[r], ' ')) {
				note(cg, "no %s controller", res_name[r]);
				continue;
			}
			snprintf(own, sizeof own, "%s", v2own);
			v2 = true;
		}
		snprintf(base, sizeof base, "%s/vmm", own);
		if (mkdir(base, 0755) < 0 && errno != EEXIST) {
			note(cg, "cannot create %s: %s", base, strerror(errno));
			continue;
		}
		if (v2 && (rc = v2_enable(own, base, res_name[r])) < 0) {
			note(cg, "cannot enable the %s controller under %s: %s", res_name[r], own, strerror(-rc));
			continue;
		}
		cg->base[r] = strdup(base);
		cg->v2[r] = v2;
		if (!cg->base[r])
			note(cg, "out of memory");
	}
	cg->memsw = cg->base[CG_MEMORY] && !cg->v2[CG_MEMORY] && exists(cg->base[CG_MEMORY], "memory.memsw.limit_in_bytes");
}

void cgroups_free(struct cgroups *cg)
{
	for (int r = 0; r < CG_NRES; r++)
		free(cg->base[r]);
	memset(cg, 0, sizeof *cg);
}

/* Whether r's group is the same directory as an earlier resource's (on the
 * unified hierarchy they all share one). */
static bool shared_dir(const struct cgroups *cg, int r)
{
	for (int q = 0; q < r; q++)
		if (cg->base[q] && strcmp(cg->base[q], cg->base[r]) == 0)
			return true;
	return false;
}

static void vm_dir(const struct cgroups *cg, int r, const uint8_t uuid[16], char *out, size_t size)
{
	char u[37];

	uuid_format(uuid, u);
	snprintf(out, size, "%s/%s", cg->base[r], u);
}

static int set(const char *dir, const char *file, const char *val, struct verr *e)
{
	int rc = put(dir, file, val);

	if (rc < 0)
		return verr_set(e, VERR_SYSTEM_ERROR, "cannot write '%s' to %s/%s: %s", val, dir, file, strerror(-rc));
	return 0;
}

static int set_memory(const struct cgroups *cg, const char *dir, const struct domain_config *c, struct verr *e)
{
	char v[32];

	snprintf(v, sizeof v, "%" PRIu64, domain_mem_limit_kib(c) * 1024);
	if (cg->v2[CG_MEMORY])
		/* no swap, as v1's memsw = limit: the guest's RAM cannot leave the limit for swap */
		return set(dir, "memory.max", v, e) < 0 ||
		       (exists(dir, "memory.swap.max") && set(dir, "memory.swap.max", "0", e) < 0) ? -1 : 0;
	/* memsw must stay >= the memory limit at every step: open it first */
	if (cg->memsw && set(dir, "memory.memsw.limit_in_bytes", "-1", e) < 0)
		return -1;
	if (set(dir, "memory.limit_in_bytes", v, e) < 0)
		return -1;
	return cg->memsw ? set(dir, "memory.memsw.limit_in_bytes", v, e) : 0;
}

/* libvirt's <quota> is per vCPU, and libvirt puts each vCPU thread in a
 * group of its own; vmm's threads share one group, which gets the quota of
 * all its vCPUs together (the I/O thread runs within it too). */
static int64_t total_quota(const struct domain_config *c)
{
	int64_t q = domain_cpu_quota_us(c);

	if (q < 0)
		return -1;
	return q > DOMAIN_CPU_QUOTA_MAX / (int64_t)c->vcpus ? DOMAIN_CPU_QUOTA_MAX : q * (int64_t)c->vcpus;
}

/* fresh: the group was made just now, with the kernel's defaults: no
 * quota, a 100 ms period. Writing those again is not free: every write
 * of a quota or period walks all the host's CPU groups (tg_set_bandwidth;
 * 9% of vmmd's time while sites started with 1,000 running). */
static int set_cpu(const struct cgroups *cg, const char *dir, const struct domain_config *c, bool fresh,
		   struct verr *e)
{
	uint64_t shares = domain_cpu_shares(c), period = domain_cpu_period_us(c);
	int64_t quota = total_quota(c);
	bool defaults = fresh && quota < 0 && period == CFS_PERIOD_DEFAULT_US;
	char v[64];

	if (cg->v2[CG_CPU]) {
		/* cpu.weight 1..10000 with 100 the default, as shares' 1024 is */
		uint64_t w = shares * 100 / DOMAIN_CPU_SHARES_DEFAULT;

		snprintf(v, sizeof v, "%" PRIu64, w < 1 ? 1 : w > 10000 ? 10000 : w);
		if (set(dir, "cpu.weight", v, e) < 0)
			return -1;
		if (defaults)
			return 0;
		if (quota < 0)
			snprintf(v, sizeof v, "max %" PRIu64, period);
		else
			snprintf(v, sizeof v, "%" PRId64 " %" PRIu64, quota, period);
		return set(dir, "cpu.max", v, e);
	}
	snprintf(v, sizeof v, "%" PRIu64, shares);
	if (set(dir, "cpu.shares", v, e) < 0)
		return -1;
	if (!exists(dir, "cpu.cfs_quota_us")) {
		if (c->tune.period_us || c->tune.quota_us)
			return verr_set(e, VERR_CONFIG_UNSUPPORTED,
					"<cputune> <period>/<quota> need CPU bandwidth control (CONFIG_CFS_BANDWIDTH)");
		return 0;
	}
	if (defaults)
		return 0;
	/* no quota while the period changes (the pair is checked at each write) */
	if (set(dir, "cpu.cfs_quota_us", "-1", e) < 0)
		return -1;
	snprintf(v, sizeof v, "%" PRIu64, period);
	if (set(dir, "cpu.cfs_period_us", v, e) < 0)
		return -1;
	snprintf(v, sizeof v, "%" PRId64, quota);
	return set(dir, "cpu.cfs_quota_us", v, e);
}

static void remove_dirs(const struct cgroups *cg, const uint8_t uuid[16])
{
	for (int r = 0; r < CG_NRES; r++) {
		char dir[PATH_MAX];

		if (!cg->base[r] || shared_dir(cg, r))
			continue;
		vm_dir(cg, r, uuid, dir, sizeof dir);
		rmdir(dir);
	}
}

int cgroup_vm_check(const struct cgroups *cg, const struct domain_config *c, struct verr *e)
{
	if (c->tune.hard_limit_kib && !cg->base[CG_MEMORY])
		return verr_set(e, VERR_CONFIG_UNSUPPORTED, "<memtune> cannot be applied: vmmd has no memory cgroup (%s)",
				cg->note);
	if ((c->tune.shares || c->tune.period_us || c->tune.quota_us) && !cg->base[CG_CPU])
		return verr_set(e, VERR_CONFIG_UNSUPPORTED, "<cputune> cannot be applied: vmmd has no cpu cgroup (%s)",
				cg->note);
	return 0;
}

int cgroup_vm_prepare(const struct cgroups *cg, const struct domain_config *c, struct cgroup_join *j,
		      struct verr *e)
{
	j->n = 0;
	if (cgroup_vm_check(cg, c, e) < 0)
		return -1;
	for (int r = 0; r < CG_NRES; r++) {
		char dir[PATH_MAX], v[32];
		int rc = 0;
		bool fresh;

		if (!cg->base[r])
			continue;
		vm_dir(cg, r, c->uuid, dir, sizeof dir);
		fresh = false;
		if (!shared_dir(cg, r)) {
			fresh = mkdir(dir, 0755) == 0;
			if (!fresh && errno != EEXIST) {
				verr_set(e, VERR_SYSTEM_ERROR, "cannot create cgroup %s: %s", dir, strerror(errno));
				goto fail;
			}
		}
		if (r == CG_MEMORY)
			rc = set_memory(cg, dir, c, e);
		else if (r == CG_CPU)
			rc = set_cpu(cg, dir, c, fresh, e);
		else
			snprintf(v, sizeof v, "%" PRIu64, domain_pids_max(c)), rc = set(dir, "pids.max", v, e);
		if (rc < 0)
			goto fail;
		if (shared_dir(cg, r))
			continue;
		j->fd[j->n] = open(strcat(dir, "/cgroup.procs"), O_WRONLY | O_CLOEXEC);
		if (j->fd[j->n] < 0) {
			verr_set(e, VERR_SYSTEM_ERROR, "cannot open %s: %s", dir, strerror(errno));
			goto fail;
		}
		j->n++;
	}
	return 0;
fail:
	cgroup_join_close(j);
	remove_dirs(cg, c->uuid);
	return -1;
}

void cgroup_join_close(struct cgroup_join *j)
{
	for (unsigned i = 0; i < j->n; i++)
		close(j->fd[i]);
	j->n = 0;
}

unsigned cgroup_vm_oom_kills(const struct cgroups *cg, const uint8_t uuid[16])
{
	char dir[PATH_MAX], text[2048];
	const char *p;

	if (!cg->base[CG_MEMORY])
		return 0;
	vm_dir(cg, CG_MEMORY, uuid, dir, sizeof dir);
	/* v1 counts in memory.oom_control (Linux 4.13 on), v2 in memory.events */
	if (get(dir, cg->v2[CG_MEMORY] ? "memory.events" : "memory.oom_control", text, sizeof text) < 0)
		return 0;
	p = strstr(text, "oom_kill ");
	return p ? (unsigned)strtoul(p + 9, NULL, 10) : 0;
}

int cgroup_vm_remove(const struct cgroups *cg, const uint8_t uuid[16], struct verr *e)
{
	for (int r = 0; r < CG_NRES; r++) {
		char dir[PATH_MAX];
		int tries = 0;

		if (!cg->base[r] || shared_dir(cg, r))
			continue;
		vm_dir(cg, r, uuid, dir, sizeof dir);
		while (rmdir(dir) < 0 && errno != ENOENT) {
			if (errno != EBUSY || ++tries == REMOVE_TRIES)
				return verr_set(e, VERR_SYSTEM_ERROR, "cannot remove cgroup %s: %s", dir, strerror(errno));
			nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
		}
	}
	return 0;
}
