#include "daemon/core/images.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Whether path has a ".." component. */
static bool has_dotdot(const char *path)
{
	for (const char *p = path; (p = strstr(p, "..")); p += 2)
		if ((p == path || p[-1] == '/') && (p[2] == 0 || p[2] == '/'))
			return true;
	return false;
}

int images_init(struct images *im, const char *const *dirs, unsigned n, bool must_exist, struct verr *e)
{
	memset(im, 0, sizeof *im);
	kernel_share_init(&im->kernels);
	for (unsigned i = 0; i < n && i < IMAGES_MAX; i++) {
		struct stat st;
		size_t len = strlen(dirs[i]);

		if (dirs[i][0] != '/' || has_dotdot(dirs[i]))
			return verr_set(e, VERR_INTERNAL_ERROR, "--images '%s': use an absolute path without '..'", dirs[i]);
		if (!must_exist)
			;
		else if (stat(dirs[i], &st) < 0)
			return verr_set(e, VERR_INTERNAL_ERROR, "--images '%s': %s", dirs[i], strerror(errno));
		else if (!S_ISDIR(st.st_mode))
			return verr_set(e, VERR_INTERNAL_ERROR, "--images '%s': not a directory", dirs[i]);
		while (len > 1 && dirs[i][len - 1] == '/')
			len--;
		im->dir[im->n] = strndup(dirs[i], len);
		if (!im->dir[im->n])
			return verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
		im->n++;
	}
	return 0;
}

void images_free(struct images *im)
{
	for (unsigned i = 0; i < im->n; i++)
		free(im->dir[i]);
	im->n = 0;
	kernel_share_free(&im->kernels);
}

const char *images_list(const struct images *im, char *buf, unsigned size)
{
	size_t used = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < im->n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s--images %s", i ? " " : "", im->dir[i]);
	if (!im->n)
		snprintf(buf, size, "no --images");
	return buf;
}

/* The image directory path is below, and path relative to it; NULL (with e)
 * when path breaks the rule on its face. */
static const char *below(const struct images *im, const char *what, const char *path, unsigned *which,
			 struct verr *e)
{
	char dirs[1024];

	if (path[0] == '/' && has_dotdot(path)) {
		verr_set(e, VERR_CONFIG_UNSUPPORTED, "%s '%s' has a '..' component: name it below an image directory (%s)",
			 what, path, images_list(im, dirs, sizeof dirs));
		return NULL;
	}
	for (unsigned i = 0; path[0] == '/' && i < im->n; i++) {
		size_t len = strlen(im->dir[i]);
		const char *rel;

		if (strcmp(im->dir[i], "/") == 0)
			len = 0;
		else if (strncmp(path, im->dir[i], len) != 0 || path[len] != '/')
			continue;
		for (rel = path + len; *rel == '/'; rel++)
			;
		if (!*rel)
			continue; /* the directory itself */
		*which = i;
		return rel;
	}
	verr_set(e, VERR_CONFIG_UNSUPPORTED, "%s '%s' is not below an image directory (%s)", what, path,
		 images_list(im, dirs, sizeof dirs));
	return NULL;
}

/* openat2 from the image directory: RESOLVE_BENEATH keeps every step of the
 * walk (symlinks included) inside it; no /proc magic links, which would
 * lead anywhere. Returns the descriptor, or -1 with errno. */
static int open_beneath(const char *dir, const char *rel, int flags)
{
	struct open_how how = { .flags = (unsigned long long)(flags | O_CLOEXEC),
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC), fd, err;

	if (dfd < 0)
		return -1;
	/* EAGAIN: a rename raced with a '..' step; the kernel asks for a retry */
	for (int tries = 0;; tries++) {
		fd = (int)syscall(SYS_openat2, dfd, rel, &how, sizeof how);
		if (fd >= 0 || errno != EAGAIN || tries == 3)
			break;
	}
	err = errno;
	close(dfd);
	errno = err;
	return fd;
}

static int open_error(const char *what, const char *path, const char *dir, struct verr *e)
{
	if (errno == EXDEV)
		return verr_set(e, VERR_CONFIG_UNSUPPORTED, "%s '%s' leaves the image directory through a symlink (--images %s)",
				what, path, dir);
	if (errno == ELOOP)
		return verr_set(e, VERR_CONFIG_UNSUPPORTED,
				"%s '%s' leads through a symlink loop or a /proc magic link (--images %s)", what, path, dir);
	if (errno == ENOSYS)
		return verr_set(e, VERR_OPERATION_FAILED, "cannot open %s '%s': this kernel has no openat2 (Linux 5.6)",
				what, path);
	return verr_set(e, VERR_OPERATION_FAILED, "cannot open %s '%s': %s", what, path, strerror(errno));
}

int images_open_file(const struct images *im, const char *what, const char *path, int flags, struct verr *e)
{
	unsigned i;
	const char *rel = below(im, what, path, &i, e);
	struct stat st;
	int fd;

	if (!rel)
		return -1;
	/* O_NONBLOCK: a FIFO put there must not hang the daemon */
	fd = open_beneath(im->dir[i], rel, flags | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return open_error(what, path, im->dir[i], e);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || fcntl(fd, F_SETFL, flags & O_ACCMODE) < 0) {
		close(fd);
		return verr_set(e, VERR_OPERATION_FAILED, "%s '%s' is not a regular file", what, path);
	}
	return fd;
}

/* The define-time check of one path: may be missing, must not escape. */
static int check_path(const struct images *im, const char *what, const char *path, struct verr *e)
{
	unsigned i;
	const char *rel = below(im, what, path, &i, e);
	int fd;

	if (!rel)
		return -1;
	fd = open_beneath(im->dir[i], rel, O_PATH);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == ENOENT ? 0 : open_error(what, path, im->dir[i], e);
}

int images_check(const struct images *im, const struct domain_config *c, struct verr *e)
{
	if ((c->kernel && check_path(im, "kernel", c->kernel, e) < 0) ||
	    (c->initrd && check_path(im, "initrd", c->initrd, e) < 0))
		return -1;
	for (unsigned i = 0; i < c->ndisks; i++)
		if (check_path(im, "disk", c->disks[i].file, e) < 0)
			return -1;
	if (c->site.tls_cert && (check_path(im, "TLS certificate", c->site.tls_cert, e) < 0 ||
				 check_path(im, "TLS key", c->site.tls_key, e) < 0))
		return -1;
	return 0;
}

int images_open(struct images *im, const struct domain_config *c, struct vm_files *f, struct verr *e)
{
	f->kernel = f->initrd = -1;
	f->ndisks = 0;
	/* No kernel: vmm boots the image on the first disk with its firmware. */
	if (c->kernel && (f->kernel = images_open_file(im, "kernel", c->kernel, O_RDONLY, e)) < 0)
		goto fail;
	if (f->kernel >= 0) {
		int shared = kernel_share_get(&im->kernels, f->kernel, c->kernel);

		if (shared >= 0) {
			close(f->kernel);
			f->kernel = shared;
		}
	}
	if (c->initrd && (f->initrd = images_open_file(im, "initrd", c->initrd, O_RDONLY, e)) < 0)
		goto fail;
	for (; f->ndisks < c->ndisks; f->ndisks++) {
		const struct domain_disk *d = &c->disks[f->ndisks];
		int fd = images_open_file(im, "disk", d->file, d->readonly ? O_RDONLY : O_RDWR, e);

		if (fd < 0)
			goto fail;
		f->disks[f->ndisks] = fd;
		/* vmm locks it too (the same open file, so its lock is this one);
		 * taking it here names the file in the error */
		if (flock(fd, (d->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
			f->ndisks++;
			if (errno == EWOULDBLOCK)
				verr_set(e, VERR_OPERATION_FAILED, "disk '%s' is in use by another VM (locked)", d->file);
			else
				verr_set(e, VERR_OPERATION_FAILED, "cannot lock disk '%s': %s", d->file, strerror(errno));
			goto fail;
		}
	}
	/* nginx reads these by path: they are checked, not passed */
	if (c->site.tls_cert && (check_path(im, "TLS certificate", c->site.tls_cert, e) < 0 ||
				 check_path(im, "TLS key", c->site.tls_key, e) < 0))
		goto fail;
	return 0;
fail:
	vm_files_close(f);
	return -1;
}

void vm_files_close(struct vm_files *f)
{
	if (f->kernel >= 0)
		close(f->kernel);
	if (f->initrd >= 0)
		close(f->initrd);
	for (unsigned i = 0; i < f->ndisks; i++)
		close(f->disks[i]);
	f->kernel = f->initrd = -1;
	f->ndisks = 0;
}
