/* Image directories (vmmd --images): the only places a domain's files may
 * come from. Kernel, initrd, disks and a site's TLS certificate and key must
 * be named by an absolute path below one of them, without a '..' component,
 * and are opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) from
 * the directory: a symlink that stays inside is followed, one that leads out
 * (absolute, or through '..') is refused. Definitions are checked at define
 * and again at start, when vmmd opens the files itself and hands them to vmm
 * as descriptors (vmm opens no path of its own). */
#ifndef VMM_DAEMON_CORE_IMAGES_H
#define VMM_DAEMON_CORE_IMAGES_H

#include <stdbool.h>

#include "daemon/core/kernel_share.h"
#include "daemon/domain/config.h"
#include "daemon/rpc/verr.h"

#define IMAGES_MAX 8
#define IMAGES_DEFAULT "/var/lib/vmm/images"

struct images {
	char *dir[IMAGES_MAX]; /* absolute, without a trailing '/' (except "/" itself) */
	unsigned n;
	struct kernel_share kernels; /* the kernels' sealed copies that vmm gets (core/kernel_share.h) */
};

/* Takes the --images directories: absolute, without '..', and when
 * must_exist directories now (the default may be missing: its domains then
 * fail to start, naming it). */
int images_init(struct images *im, const char *const *dirs, unsigned n, bool must_exist, struct verr *e);
void images_free(struct images *im);
/* "--images A --images B": for messages. */
const char *images_list(const struct images *im, char *buf, unsigned size);

/* The files of a domain's vmm, open in vmmd; -1 where none. */
struct vm_files {
	int kernel, initrd;
	int disks[DOMAIN_MAX_DISKS];
	unsigned ndisks;
};

/* At define: every path of c obeys the rule; files that do not exist yet
 * pass (a start reports them), a symlink out of the directory does not. */
int images_check(const struct images *im, const struct domain_config *c, struct verr *e);
/* At start: opens c's kernel, initrd (read-only) and disks (read-only, or
 * read-write and locked exclusively, so a disk another VM holds is reported
 * by name here), and checks the site's certificate and key again. The
 * kernel is handed over as its sealed memfd from im->kernels, shared with
 * every VM booted from the same file (the file itself where that fails). */
int images_open(struct images *im, const struct domain_config *c, struct vm_files *f, struct verr *e);
void vm_files_close(struct vm_files *f);

/* One file under the rule, opened with flags (O_RDONLY or O_RDWR): a
 * regular file's descriptor, or -1 with e naming what and path. */
int images_open_file(const struct images *im, const char *what, const char *path, int flags, struct verr *e);

#endif
