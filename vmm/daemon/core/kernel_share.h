/* One sealed memfd per distinct kernel file, handed to every vmm booted
 * from it instead of the file: vmm maps a sealed memfd's pages into guest
 * RAM copy-on-write (machine/boot_image.c), so the kernel's code and
 * read-only data are one copy in the host's memory for all those VMs
 * (~1 MiB per VM for the site kernel) instead of a private copy each.
 *
 * An entry is the file's identity (device, inode, size, modification and
 * change times of the descriptor vmmd opened: a rewritten or replaced file
 * is a new entry) and a read-only descriptor of a memfd named
 * "vmm-kernel:PATH" holding a copy of its bytes, sealed against writing, shrinking and growing and against new
 * seals. The cache belongs to whoever holds it (struct images, vmmd's
 * image directories); nothing of it is global. Running VMs hold their own
 * descriptors, so dropping an entry only stops sharing with later starts. */
#ifndef VMM_DAEMON_CORE_KERNEL_SHARE_H
#define VMM_DAEMON_CORE_KERNEL_SHARE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define KERNEL_SHARE_MAX 16                  /* entries */
#define KERNEL_SHARE_FILE_MAX (1ull << 30)   /* as vmm's KERNEL_FILE_MAX: larger ones vmm refuses */
#define KERNEL_SHARE_BYTES_MAX (1ull << 30)  /* all entries' copies together */

struct kernel_share_entry {
	int memfd; /* -1: a free slot */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
	char *path;     /* as the domain named it: a new file there replaces the entry */
	uint64_t used;  /* the cache's clock at its last use: the oldest goes first */
};

struct kernel_share {
	struct kernel_share_entry e[KERNEL_SHARE_MAX];
	uint64_t clock;
	bool warned; /* a failure was reported; quiet until sharing works again */
};

void kernel_share_init(struct kernel_share *ks);
void kernel_share_free(struct kernel_share *ks);

/* The descriptor to give vmm for the kernel file open at fd (path: how the
 * domain names it): a new close-on-exec descriptor of the sealed memfd
 * holding its bytes (copied now if no entry has them), or -1 when it is
 * not shared (empty, larger than KERNEL_SHARE_FILE_MAX, changed while being
 * copied, or the memfd failed: reported once on stderr); the caller then
 * passes fd itself, which vmm reads as before. */
int kernel_share_get(struct kernel_share *ks, int fd, const char *path);

#endif
