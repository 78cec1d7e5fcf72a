#include "daemon/core/cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/core/domains.h"
#include "daemon/core/store.h"
#include "host/vsock_cid.h"

/* Unlinks a lock file only while holding its lock, and only if the name
 * still leads to the file locked: a vmm that opened it just before the
 * unlink finds, once it has the lock, that the name is gone and starts over
 * (host/vsock_cid.c), so no two VMs can hold one CID through two files. */
static bool remove_if_free(int dirfd, const char *name)
{
	struct stat a, b;
	bool removed = false;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0)
		return false;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &a) == 0 && S_ISREG(a.st_mode) &&
	    fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		removed = unlinkat(dirfd, name, 0) == 0;
	close(fd); /* drops the lock */
	return removed;
}

void cleanup_cid_lock(unsigned cid)
{
	char name[32];
	int dirfd;

	if (!cid)
		return;
	dirfd = open(VSOCK_CID_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return;
	snprintf(name, sizeof name, "cid-%u.lock", cid);
	remove_if_free(dirfd, name);
	close(dirfd);
}

static unsigned cleanup_cid_dir(void)
{
	unsigned n = 0;
	struct dirent *de;
	DIR *dh = opendir(VSOCK_CID_DIR);

	if (!dh)
		return 0;
	while ((de = readdir(dh))) {
		size_t len = strlen(de->d_name);

		if (strncmp(de->d_name, "cid-", 4) == 0 && len > 9 && strcmp(de->d_name + len - 5, ".lock") == 0)
			n += remove_if_free(dirfd(dh), de->d_name);
	}
	closedir(dh);
	return n;
}

/* The writer's pid of a NAME.tmpPID file (store_write_atomic), 0 if the
 * name is not one. */
static pid_t tmp_writer(const char *name)
{
	const char *t = strstr(name, ".tmp"), *p;
	long pid;

	while (t && strstr(t + 1, ".tmp"))
		t = strstr(t + 1, ".tmp");
	if (!t || !t[4])
		return 0;
	for (p = t + 4; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	pid = atol(t + 4);
	return pid > 0 && pid < (1L << 22) ? (pid_t)pid : 0;
}

/* keep: names that are not temporary files whatever they look like (an
 * autostart mark is named after its domain, and "web.tmp5" is a valid
 * domain name); NULL: none. */
static unsigned cleanup_tmp(const char *state_dir, const char *sub, struct domains *keep)
{
	char path[STORE_PATH_MAX];
	unsigned n = 0;
	struct dirent *de;
	struct verr e;
	DIR *dh;

	if (store_path(path, sizeof path, state_dir, sub, NULL, NULL, &e) < 0 || !(dh = opendir(path)))
		return 0;
	while ((de = readdir(dh))) {
		pid_t pid = tmp_writer(de->d_name);

		if (keep && domains_by_name(keep, de->d_name))
			continue;
		/* a live pid may be another program by now: its file stays */
		if (pid && pid != getpid() && kill(pid, 0) < 0 && errno == ESRCH &&
		    unlinkat(dirfd(dh), de->d_name, 0) == 0)
			n++;
	}
	closedir(dh);
	return n;
}

void cleanup_stale(const char *state_dir, struct domains *doms)
{
	/* domains/: store_load_defs removes its unfinished writes itself */
	static const char *const subs[] = { "autostart", "run", "front", "sites" };
	unsigned locks = cleanup_cid_dir(), tmps = 0;

	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
		tmps += cleanup_tmp(state_dir, subs[i], strcmp(subs[i], "autostart") == 0 ? doms : NULL);
	if (locks || tmps)
		fprintf(stderr, "vmmd: removed %u unused CID lock file(s) from %s and %u temporary file(s) of dead writers\n",
			locks, VSOCK_CID_DIR, tmps);
}
