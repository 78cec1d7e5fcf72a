#include "jail/shared_ns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

const struct shared_ns_kind shared_ns_net = { CLONE_NEWNET, "net", "network", "a network" };
const struct shared_ns_kind shared_ns_ipc = { CLONE_NEWIPC, "ipc", "IPC", "an IPC" };

/* The calling thread's own namespace of kind k, in /proc. */
static void own_path(const struct shared_ns_kind *k, char *buf, size_t size)
{
	snprintf(buf, size, "/proc/thread-self/ns/%s", k->proc_name);
}

int shared_ns_check(const struct shared_ns_kind *k, int fd, const char *path, struct err *e)
{
	struct statfs fs;
	struct stat st, own;
	char own_ns[64];
	int type;

	if (fstatfs(fd, &fs) < 0 || fstat(fd, &st) < 0)
		return err_errno(e, "jail: %s", path);
	if ((unsigned long)fs.f_type != NSFS_MAGIC)
		return err_set(e, "jail: %s is not %s namespace (a %s)", path, k->a_what,
			       S_ISREG(st.st_mode)   ? "regular file"
			       : S_ISDIR(st.st_mode) ? "directory"
						     : "file of another kind");
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0)
		return err_errno(e, "jail: %s: NS_GET_NSTYPE", path);
	if (type != k->type)
		return err_set(e, "jail: %s is a namespace of another kind (type %#x), not %s namespace", path,
			       (unsigned)type, k->a_what);
	own_path(k, own_ns, sizeof own_ns);
	if (stat(own_ns, &own) < 0)
		return err_errno(e, "jail: %s", own_ns);
	if (own.st_ino == st.st_ino && own.st_dev == st.st_dev)
		return err_set(e, "jail: %s is the host's own %s namespace", path, k->what);
	return 0;
}

/* An empty regular file: the pin's mount point with nothing mounted. */
static bool unmounted_pin(int fd)
{
	struct statfs fs;
	struct stat st;

	return fstatfs(fd, &fs) == 0 && (unsigned long)fs.f_type != NSFS_MAGIC && fstat(fd, &st) == 0 &&
	       S_ISREG(st.st_mode) && st.st_size == 0;
}

static int join(const struct shared_ns_kind *k, int fd, const char *path, struct err *e)
{
	int rc = shared_ns_check(k, fd, path, e);

	if (rc == 0 && setns(fd, k->type) < 0)
		rc = err_errno(e, "jail: setns into %s", path);
	close(fd);
	return rc;
}

/* A new namespace for the calling thread, bind-mounted at path (an empty
 * file). Returns as shared_ns_join. */
static int create(const struct shared_ns_kind *k, const char *path, struct err *e)
{
	char own_ns[64];
	int fd;

	own_path(k, own_ns, sizeof own_ns);
	if (unshare(k->type) < 0)
		return err_errno(e, "jail: unshare (%s namespace)", k->what);
	if (mount(own_ns, path, NULL, MS_BIND, NULL) < 0) {
		err_errno(e, "jail: cannot pin the shared %s namespace at %s", k->what, path);
		return 1;
	}
	/* what a later vmm will open there: this very namespace */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		err_errno(e, "jail: %s", path);
		return 1;
	}
	struct stat st, own;
	bool same = fstat(fd, &st) == 0 && stat(own_ns, &own) == 0 && st.st_ino == own.st_ino &&
		    st.st_dev == own.st_dev;

	close(fd);
	if (!same) {
		err_set(e, "jail: %s does not show the namespace just mounted there", path);
		return 1;
	}
	return 0;
}

int shared_ns_join(const struct shared_ns_kind *k, const char *path, struct err *e)
{
	char lock[PATH_MAX], dir[PATH_MAX], *slash;
	int fd, lfd, rc;

	/* the common case: pinned already, no lock needed */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd >= 0 && !unmounted_pin(fd))
		return join(k, fd, path, e);
	if (fd >= 0)
		close(fd);
	else if (errno != ENOENT)
		return err_errno(e, "jail: %s", path);

	if (snprintf(lock, sizeof lock, "%s.lock", path) >= (int)sizeof lock)
		return err_set(e, "jail: path too long: %s", path);
	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return err_errno(e, "jail: mkdir %s", dir);
	}
	lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lfd < 0)
		return err_errno(e, "jail: %s", lock);
	if (flock(lfd, LOCK_EX) < 0) {
		rc = err_errno(e, "jail: flock %s", lock);
		goto out;
	}
	/* again under the lock: another vmm may have pinned it meanwhile */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_CREAT, 0444);
	if (fd < 0) {
		rc = err_errno(e, "jail: %s", path);
		goto out;
	}
	if (!unmounted_pin(fd)) {
		rc = join(k, fd, path, e);
		goto out;
	}
	close(fd);
	rc = create(k, path, e);
out:
	close(lfd); /* the lock goes with it */
	return rc;
}

/* Nothing in the directory open at fd but "." and "..". */
static bool dir_empty(int fd)
{
	char buf[512];
	long n = syscall(SYS_getdents64, fd, buf, sizeof buf);

	for (long off = 0; n > 0 && off < n;) {
		const struct dirent64 *d = (const struct dirent64 *)(buf + off);

		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			return false;
		off += d->d_reclen;
	}
	return n == 0 || syscall(SYS_getdents64, fd, buf, sizeof buf) == 0;
}

int shared_empty_root(const char *path, const char *target, struct err *e)
{
	char src[64];
	struct stat st;
	int fd, rc = -1;

	if (mkdir(path, 0555) < 0 && errno != EEXIST)
		return err_errno(e, "jail: mkdir %s", path);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_errno(e, "jail: %s", path);
	if (fstat(fd, &st) < 0)
		err_errno(e, "jail: %s", path);
	else if (st.st_uid != 0 || (st.st_mode & 0022))
		err_set(e, "jail: %s is not root's alone (owner %u, mode %o)", path, (unsigned)st.st_uid,
			(unsigned)(st.st_mode & 07777));
	else if (!dir_empty(fd))
		err_set(e, "jail: %s is not empty", path);
	else {
		/* the directory checked, not whatever path names by now */
		snprintf(src, sizeof src, "/proc/self/fd/%d", fd);
		if (mount(src, target, NULL, MS_BIND, NULL) < 0)
			err_errno(e, "jail: bind %s on %s", path, target);
		else
			rc = 0;
	}
	close(fd);
	return rc;
}
