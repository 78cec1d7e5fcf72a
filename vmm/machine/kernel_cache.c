#include "machine/kernel_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/owned.h"

#define PREFIX "kernel-"
#define TMP_TAG ".tmp"       /* PREFIX...TMP_TAG PID: a copy being made */
#define TMP_STALE_S 60       /* a copy that old is its dead writer's */

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static int cache_name(const struct stat *src, char *name, size_t size)
{
	int n = snprintf(name, size, PREFIX "%llx-%llx-%llx-%lld.%09ld-%lld.%09ld", (unsigned long long)src->st_dev,
			 (unsigned long long)src->st_ino, (unsigned long long)src->st_size,
			 (long long)src->st_mtim.tv_sec, src->st_mtim.tv_nsec, (long long)src->st_ctim.tv_sec,
			 src->st_ctim.tv_nsec);

	return n > 0 && (size_t)n < size ? 0 : -1;
}

/* A copy in place: a regular file of ours, nobody's to write, whole. */
static int open_copy(int dirfd, const char *name, off_t size)
{
	struct stat st;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !owned_by_us(&st) || (st.st_mode & S_IWUSR) ||
	    st.st_size != size) {
		close(fd);
		return -1;
	}
	return fd;
}

/* In the kernel: a buffer here would leave its pages on vmm's stack or
 * heap for the whole run. */
static bool copy_all(int from, int to, off_t size)
{
	off_t off = 0;

	while (off < size) {
		ssize_t n = sendfile(to, from, &off, (size_t)(size - off));

		if (n <= 0)
			return false;
	}
	return true;
}

/* Copies src into dir under a temporary name, then renames it to name if
 * src did not change meanwhile. 0 when name is in place. */
static int make_copy(int dirfd, int src, const struct stat *before, const char *name)
{
	char tmp[NAME_MAX + 1];
	struct stat after;
	bool ok;
	int fd;

	if (snprintf(tmp, sizeof tmp, "%s" TMP_TAG "%d", name, (int)getpid()) >= (int)sizeof tmp)
		return -1;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
	if (fd < 0)
		return -1;
	ok = copy_all(src, fd, before->st_size) && fstat(src, &after) == 0 && same_file(before, &after);
	if (close(fd) < 0 || !ok || renameat(dirfd, tmp, dirfd, name) < 0) {
		unlinkat(dirfd, tmp, 0);
		return -1;
	}
	return 0;
}

/* Keeps the KERNEL_CACHE_MAX newest copies (keep among them) and drops
 * temporary files their writers left behind. */
static void trim(int dirfd, const char *keep)
{
	struct {
		char name[NAME_MAX + 1];
		time_t mtime;
	} oldest = { "", 0 };
	unsigned copies = 0;
	time_t now = time(NULL);
	struct dirent *de;
	int fd = dup(dirfd);
	DIR *dh = fd >= 0 ? fdopendir(fd) : NULL;

	if (!dh) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(dh))) {
		struct stat st;

		if (strncmp(de->d_name, PREFIX, strlen(PREFIX)) != 0 ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (strstr(de->d_name, TMP_TAG)) {
			if (now - st.st_mtime > TMP_STALE_S)
				unlinkat(dirfd, de->d_name, 0);
			continue;
		}
		copies++;
		if (strcmp(de->d_name, keep) != 0 && (!oldest.name[0] || st.st_mtime < oldest.mtime)) {
			snprintf(oldest.name, sizeof oldest.name, "%s", de->d_name);
			oldest.mtime = st.st_mtime;
		}
	}
	closedir(dh);
	/* one at a time: each new copy drops at most the one that makes room */
	if (copies > KERNEL_CACHE_MAX && oldest.name[0])
		unlinkat(dirfd, oldest.name, 0);
}

int kernel_cache_open(int kernel_fd, const struct stat *src, const char *dir)
{
	char name[NAME_MAX + 1];
	struct stat d;
	int dirfd, fd = -1;

	/* a file with no name (a memfd, an unlinked file) has no identity that
	 * another run could find again */
	if (!dir || !S_ISREG(src->st_mode) || src->st_nlink == 0 ||
	    (unsigned long long)src->st_size > KERNEL_CACHE_FILE_MAX || cache_name(src, name, sizeof name) < 0)
		return -1;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0)
		return -1;
	/* the directory checked is the one used */
	if (fstat(dirfd, &d) < 0 || !owned_by_us(&d)) {
		close(dirfd);
		return -1;
	}
	fd = open_copy(dirfd, name, src->st_size);
	if (fd < 0 && make_copy(dirfd, kernel_fd, src, name) == 0) {
		fd = open_copy(dirfd, name, src->st_size);
		trim(dirfd, name);
	}
	close(dirfd);
	return fd;
}
