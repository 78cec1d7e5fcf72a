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
const struct shared_ns_kind shared_ns_mnt = { CLONE_NEWNS, "mnt", "mount", "a mount" };

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

/* Binds the namespace file src (a namespace of kind what, just made) on
 * path, an empty file, and opens what path then shows: *fd, which must be
 * that namespace (what a later vmm will open there). 0; the bind's errno
 * where the kernel refused it; -1 otherwise; e says why. */
static int pin(const char *src, const char *path, const char *what, int *fd, struct err *e)
{
	struct stat st, made;
	int err;

	*fd = -1;
	if (mount(src, path, NULL, MS_BIND, NULL) < 0) {
		err = errno;
		err_errno(e, "jail: cannot pin the shared %s namespace at %s", what, path);
		return err;
	}
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (*fd < 0)
		return err_errno(e, "jail: %s", path);
	if (fstat(*fd, &st) < 0 || stat(src, &made) < 0 || st.st_ino != made.st_ino || st.st_dev != made.st_dev) {
		close(*fd);
		*fd = -1;
		return err_set(e, "jail: %s does not show the %s namespace just pinned there", path, what);
	}
	return 0;
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
	if (pin(own_ns, path, k->what, &fd, e) != 0)
		return 1;
	close(fd);
	return 0;
}

/* The pin at path, open in *fd, or -1 in *fd where there is none yet (path
 * missing or an unmounted pin): then *lock holds PATH.lock, flocked, until
 * the caller has pinned a namespace there. 0, or -1 with e. */
static int open_pin(const char *path, int *fd, int *lock, struct err *e)
{
	char lpath[PATH_MAX], dir[PATH_MAX], *slash;

	*lock = -1;
	/* the common case: pinned already, no lock needed */
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (*fd >= 0 && !unmounted_pin(*fd))
		return 0;
	if (*fd >= 0)
		close(*fd);
	else if (errno != ENOENT)
		return err_errno(e, "jail: %s", path);
	*fd = -1;
	if (snprintf(lpath, sizeof lpath, "%s.lock", path) >= (int)sizeof lpath)
		return err_set(e, "jail: path too long: %s", path);
	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return err_errno(e, "jail: mkdir %s", dir);
	}
	*lock = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*lock < 0)
		return err_errno(e, "jail: %s", lpath);
	if (flock(*lock, LOCK_EX) < 0) {
		err_errno(e, "jail: flock %s", lpath);
		goto fail;
	}
	/* again under the lock: another vmm may have pinned it meanwhile */
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_CREAT, 0444);
	if (*fd < 0) {
		err_errno(e, "jail: %s", path);
		goto fail;
	}
	if (!unmounted_pin(*fd)) {
		close(*lock); /* the lock goes with it */
		*lock = -1;
		return 0;
	}
	close(*fd);
	*fd = -1;
	return 0;
fail:
	close(*lock);
	*lock = -1;
	return -1;
}

int shared_ns_join(const struct shared_ns_kind *k, const char *path, struct err *e)
{
	int fd, lock, rc;

	if (open_pin(path, &fd, &lock, e) < 0)
		return -1;
	if (fd >= 0)
		return join(k, fd, path, e);
	rc = create(k, path, e);
	close(lock);
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

/* The empty directory at path (made, mode 0555, where missing), open:
 * root's alone and empty, as checked on the descriptor (not whatever path
 * names by now). -1 with e otherwise. */
static int empty_dir_open(const char *path, struct err *e)
{
	struct stat st;
	int fd;

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
	else
		return fd;
	close(fd);
	return -1;
}

/* In the calling thread's new mount namespace (every mount private, as
 * unshare copied them): the empty directory at empty, bound on itself
 * read-only, becomes the root, and every other mount goes with the old
 * root. The detach waits for an RCU grace period: once per host, here. */
static int mnt_build(const char *empty, struct err *e)
{
	char src[64];
	int dfd, rc = -1;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_errno(e, "jail: making the mounts private");
	dfd = empty_dir_open(empty, e);
	if (dfd < 0)
		return -1;
	snprintf(src, sizeof src, "/proc/self/fd/%d", dfd);
	if (mount(src, empty, NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, empty, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		err_errno(e, "jail: binding %s read-only", empty);
		goto out;
	}
	/* the bind, not the directory under it */
	if (chdir(empty) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 ||
	    chdir("/") < 0) {
		err_errno(e, "jail: making %s the root", empty);
		goto out;
	}
	rc = 0;
out:
	close(dfd);
	return rc;
}

/* A mount namespace whose one mount is the empty root, pinned at path:
 * built in a new namespace of the calling thread, which then returns to
 * the host's (host: its descriptor) to pin it. Its descriptor, or -1 with
 * e; the thread is back in the host's namespace either way, or the
 * process is not safe to go on (-2). -3 (and e): the pin was refused as
 * a possible loop (below). */
static int mnt_create(const char *path, const char *empty, int host, struct err *e)
{
	char own_src[64];
	int own_fd, fd, rc;

	if (unshare(CLONE_NEWNS) < 0)
		return err_errno(e, "jail: unshare (mount namespace)");
	own_fd = open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);
	rc = own_fd < 0 ? err_errno(e, "jail: /proc/thread-self/ns/mnt") : mnt_build(empty, e);
	if (setns(host, CLONE_NEWNS) < 0) {
		err_errno(e, "jail: back into the host's mount namespace");
		rc = -2;
	}
	if (rc < 0)
		goto out;
	snprintf(own_src, sizeof own_src, "/proc/self/fd/%d", own_fd);
	rc = pin(own_src, path, "mount", &fd, e);
	rc = rc == 0 ? fd : rc == EINVAL ? -3 : -1;
out:
	if (own_fd >= 0)
		close(own_fd);
	return rc;
}

/* The kernel pins a mount namespace only where its id is above that of
 * the namespace it is pinned in (its check against loops), and Linux 6.18
 * hands ids out in batches per CPU: one made on this CPU may number below
 * a host namespace made on another (never below the initial one; a vmm in
 * a container's may meet it). Made on each other CPU the thread may run
 * on in turn, until one is pinned; the thread's CPUs restored after. */
static int mnt_create_elsewhere(const char *path, const char *empty, int host, struct err *e)
{
	cpu_set_t allowed, one;
	int rc = -3, here = sched_getcpu();

	if (sched_getaffinity(0, sizeof allowed, &allowed) < 0)
		return -1;
	for (int cpu = 0; cpu < CPU_SETSIZE && rc == -3; cpu++) {
		if (cpu == here || !CPU_ISSET(cpu, &allowed))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof one, &one) == 0)
			rc = mnt_create(path, empty, host, e);
	}
	sched_setaffinity(0, sizeof allowed, &allowed);
	return rc == -3 ? -1 : rc;
}

int shared_mnt_open(const char *path, const char *empty, struct err *e)
{
	int fd, lock, host, rc;

	if (open_pin(path, &fd, &lock, e) < 0)
		return -1;
	if (fd >= 0) {
		if (shared_ns_check(&shared_ns_mnt, fd, path, e) < 0) {
			close(fd);
			return -1;
		}
		return fd;
	}
	host = open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);
	rc = host < 0 ? err_errno(e, "jail: /proc/thread-self/ns/mnt") : mnt_create(path, empty, host, e);
	if (rc == -3)
		rc = mnt_create_elsewhere(path, empty, host, e);
	if (host >= 0)
		close(host);
	close(lock);
	return rc;
}

int shared_empty_root(const char *path, const char *target, struct err *e)
{
	char src[64];
	int fd = empty_dir_open(path, e), rc = -1;

	if (fd < 0)
		return -1;
	snprintf(src, sizeof src, "/proc/self/fd/%d", fd);
	if (mount(src, target, NULL, MS_BIND, NULL) < 0)
		err_errno(e, "jail: bind %s on %s", path, target);
	else
		rc = 0;
	close(fd);
	return rc;
}
