#include "daemon/core/kernel_share.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#define MEMFD_NAME_MAX 249 /* the kernel's limit, without the NUL */

void kernel_share_init(struct kernel_share *ks)
{
	memset(ks, 0, sizeof *ks);
	for (unsigned i = 0; i < KERNEL_SHARE_MAX; i++)
		ks->e[i].memfd = -1;
}

static void drop(struct kernel_share_entry *en)
{
	if (en->memfd >= 0)
		close(en->memfd);
	free(en->path);
	memset(en, 0, sizeof *en);
	en->memfd = -1;
}

void kernel_share_free(struct kernel_share *ks)
{
	for (unsigned i = 0; i < KERNEL_SHARE_MAX; i++)
		drop(&ks->e[i]);
}

static bool same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static bool same_file(const struct kernel_share_entry *en, const struct stat *st)
{
	return en->memfd >= 0 && en->dev == st->st_dev && en->ino == st->st_ino && en->size == st->st_size &&
	       same_time(en->mtim, st->st_mtim) && same_time(en->ctim, st->st_ctim);
}

/* Reported once: the first failure after sharing last worked. */
static void warn(struct kernel_share *ks, const char *path, const char *what)
{
	if (ks->warned)
		return;
	ks->warned = true;
	fprintf(stderr, "vmmd: warning: kernel '%s' is not shared between VMs (%s: %s); each VM reads its own copy\n",
		path, what, strerror(errno));
}

/* A sealed memfd with a copy of fd's size bytes, reopened read-only (vmm
 * maps it privately and never needs to write it); -1 with errno and *what.
 * Its name, "vmm-kernel:PATH" (the path's end where it is too long), is
 * what /proc/PID/maps and /proc/PID/fd of a vmm show for it. */
static int sealed_copy(int fd, off_t size, const char *path, const char **what)
{
	char self[64], name[MEMFD_NAME_MAX + 1];
	size_t len = strlen(path), room = MEMFD_NAME_MAX - (sizeof "vmm-kernel:" - 1);
	int mfd, ro, err;

	snprintf(name, sizeof name, "vmm-kernel:%s", len > room ? path + (len - room) : path);
	mfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

	*what = "memfd_create";
	if (mfd < 0)
		return -1;
	*what = "copying it into a memfd";
	for (off_t off = 0; off < size;) {
		ssize_t n = sendfile(mfd, fd, &off, (size_t)(size - off));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO; /* shrank meanwhile: the stat check after says so too */
			goto fail;
		}
	}
	*what = "sealing the memfd";
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		goto fail;
	/* the same memfd through a read-only open file: no write can ever go
	 * through it, seals or not; where /proc is missing the sealed one will do */
	snprintf(self, sizeof self, "/proc/self/fd/%d", mfd);
	ro = open(self, O_RDONLY | O_CLOEXEC);
	if (ro < 0)
		return mfd;
	close(mfd);
	return ro;
fail:
	err = errno;
	close(mfd);
	errno = err;
	return -1;
}

/* The slot a new entry takes: a free one, else the oldest (with the bytes
 * kept under KERNEL_SHARE_BYTES_MAX, more of the oldest go). */
static struct kernel_share_entry *make_room(struct kernel_share *ks, off_t size)
{
	for (;;) {
		struct kernel_share_entry *free_slot = NULL, *oldest = NULL;
		uint64_t bytes = (uint64_t)size;

		for (unsigned i = 0; i < KERNEL_SHARE_MAX; i++) {
			struct kernel_share_entry *en = &ks->e[i];

			if (en->memfd < 0) {
				free_slot = free_slot ? free_slot : en;
				continue;
			}
			bytes += (uint64_t)en->size;
			if (!oldest || en->used < oldest->used)
				oldest = en;
		}
		if (free_slot && bytes <= KERNEL_SHARE_BYTES_MAX)
			return free_slot;
		drop(oldest); /* there is one: size alone fits (checked by the caller) */
	}
}

int kernel_share_get(struct kernel_share *ks, int fd, const char *path)
{
	struct kernel_share_entry *en = NULL;
	struct stat st, after;
	const char *what;
	int mfd, dup;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > KERNEL_SHARE_FILE_MAX)
		return -1; /* vmm names what is wrong with it */
	for (unsigned i = 0; i < KERNEL_SHARE_MAX; i++) {
		if (same_file(&ks->e[i], &st))
			en = &ks->e[i];
		else if (ks->e[i].memfd >= 0 && strcmp(ks->e[i].path, path) == 0)
			drop(&ks->e[i]); /* a new file under that name: later starts boot it */
	}
	if (!en) {
		mfd = sealed_copy(fd, st.st_size, path, &what);
		if (mfd < 0) {
			warn(ks, path, what);
			return -1;
		}
		/* a file written while it was copied is not kept: vmm reads
		 * the file itself, as it would without the cache */
		if (fstat(fd, &after) < 0 || after.st_size != st.st_size || !same_time(after.st_mtim, st.st_mtim) ||
		    !same_time(after.st_ctim, st.st_ctim)) {
			close(mfd);
			return -1;
		}
		en = make_room(ks, st.st_size);
		en->path = strdup(path);
		if (!en->path) {
			close(mfd);
			errno = ENOMEM;
			warn(ks, path, "out of memory");
			return -1;
		}
		en->memfd = mfd;
		en->dev = st.st_dev;
		en->ino = st.st_ino;
		en->size = st.st_size;
		en->mtim = st.st_mtim;
		en->ctim = st.st_ctim;
	}
	dup = fcntl(en->memfd, F_DUPFD_CLOEXEC, 0);
	if (dup < 0) {
		warn(ks, path, "dup");
		return -1;
	}
	en->used = ++ks->clock;
	ks->warned = false;
	return dup;
}
