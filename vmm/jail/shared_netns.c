#include "jail/shared_netns.h"

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
#include <unistd.h>

#define OWN_NET "/proc/thread-self/ns/net"

int shared_netns_check(int fd, const char *path, struct err *e)
{
	struct statfs fs;
	struct stat st, own;
	int type;

	if (fstatfs(fd, &fs) < 0 || fstat(fd, &st) < 0)
		return err_errno(e, "jail: %s", path);
	if ((unsigned long)fs.f_type != NSFS_MAGIC)
		return err_set(e, "jail: %s is not a network namespace (a %s)", path,
			       S_ISREG(st.st_mode)   ? "regular file"
			       : S_ISDIR(st.st_mode) ? "directory"
						     : "file of another kind");
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0)
		return err_errno(e, "jail: %s: NS_GET_NSTYPE", path);
	if (type != CLONE_NEWNET)
		return err_set(e, "jail: %s is a namespace of another kind (type %#x), not a network namespace", path,
			       (unsigned)type);
	if (stat(OWN_NET, &own) < 0)
		return err_errno(e, "jail: %s", OWN_NET);
	if (own.st_ino == st.st_ino && own.st_dev == st.st_dev)
		return err_set(e, "jail: %s is the host's own network namespace", path);
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

static int join(int fd, const char *path, struct err *e)
{
	int rc = shared_netns_check(fd, path, e);

	if (rc == 0 && setns(fd, CLONE_NEWNET) < 0)
		rc = err_errno(e, "jail: setns into %s", path);
	close(fd);
	return rc;
}

/* A new namespace for the calling thread, bind-mounted at path (an empty
 * file). Returns as shared_netns_join. */
static int create(const char *path, struct err *e)
{
	int fd;

	if (unshare(CLONE_NEWNET) < 0)
		return err_errno(e, "jail: unshare (network namespace)");
	if (mount(OWN_NET, path, NULL, MS_BIND, NULL) < 0) {
		err_errno(e, "jail: cannot pin the shared network namespace at %s", path);
		return 1;
	}
	/* what a later vmm will open there: this very namespace */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		err_errno(e, "jail: %s", path);
		return 1;
	}
	struct stat st, own;
	bool same = fstat(fd, &st) == 0 && stat(OWN_NET, &own) == 0 && st.st_ino == own.st_ino &&
		    st.st_dev == own.st_dev;

	close(fd);
	if (!same) {
		err_set(e, "jail: %s does not show the namespace just mounted there", path);
		return 1;
	}
	return 0;
}

int shared_netns_join(const char *path, struct err *e)
{
	char lock[PATH_MAX], dir[PATH_MAX], *slash;
	int fd, lfd, rc;

	/* the common case: pinned already, no lock needed */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd >= 0 && !unmounted_pin(fd))
		return join(fd, path, e);
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
		rc = join(fd, path, e);
		goto out;
	}
	close(fd);
	rc = create(path, e);
out:
	close(lfd); /* the lock goes with it */
	return rc;
}
