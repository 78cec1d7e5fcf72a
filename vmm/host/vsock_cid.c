#include "host/vsock_cid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define AUTO_TRIES 1024

/* 1: locked, 0: held by another VM, -1: cannot lock here at all. */
static int try_lock(uint64_t cid, int *fd_out)
{
	char path[64];
	int fd;

	snprintf(path, sizeof path, "%s/cid-%llu.lock", VSOCK_CID_DIR, (unsigned long long)cid);
	/* vmmd removes free lock files (holding their lock): a file locked
	 * after its name went is no claim, so look again (a few times: each
	 * removal needs the lock free) */
	for (int tries = 0; tries < 8; tries++) {
		struct stat a, b;

		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return -1;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int busy = errno == EWOULDBLOCK;
			close(fd);
			return busy ? 0 : -1;
		}
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			*fd_out = fd;
			return 1;
		}
		close(fd);
	}
	return -1;
}

int vsock_cid_claim(struct vsock_cid *c, uint64_t want, struct err *e)
{
	uint64_t start = VSOCK_CID_MIN + (uint64_t)getpid() % (1u << 20);
	int r;

	c->lock_fd = -1;
	c->cid = want ? want : start;
	if (mkdir(VSOCK_CID_DIR, 0755) < 0 && errno != EEXIST)
		return 0; /* nowhere to keep locks: uniqueness is then the user's affair */
	if (want) {
		r = try_lock(want, &c->lock_fd);
		if (r == 0)
			return err_set(e, "--cid %llu: in use by another VM (%s/cid-%llu.lock)", (unsigned long long)want,
				       VSOCK_CID_DIR, (unsigned long long)want);
		return 0;
	}
	for (unsigned i = 0; i < AUTO_TRIES; i++) {
		c->cid = start + i;
		r = try_lock(c->cid, &c->lock_fd);
		if (r != 0)
			return 0;
	}
	return err_set(e, "no free vsock CID near %llu: use --cid", (unsigned long long)start);
}

void vsock_cid_release(struct vsock_cid *c)
{
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	c->lock_fd = -1;
}
