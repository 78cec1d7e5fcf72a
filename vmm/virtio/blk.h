/* virtio-blk over a raw disk file: read, write, flush (fdatasync: an
 * acknowledged flush is on stable storage), get-id. A read-only disk fails
 * writes with an I/O error; a read-write disk holds an exclusive flock so a
 * second VM cannot open it read-write (read-only openers share a lock). */
#ifndef VMM_VIRTIO_BLK_H
#define VMM_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/blk_config.h"
#include "util/err.h"
#include "util/file_arg.h"
#include "virtio/mmio.h"

struct virtio_blk {
	struct virtio_dev dev;
	int fd; /* the blk_disk's: not ours to close */
	bool readonly;
	uint64_t sectors;
	char id[21];
	struct vq_chain chain;
};

/* A disk file, open and locked for the whole `vmm run`: every boot's
 * device uses its descriptor, so a reboot opens no path and the lock is
 * held throughout. */
struct blk_disk {
	int fd;
	bool readonly;
	uint64_t sectors;
	char id[21];
	char label[FILE_ARG_LABEL]; /* how messages name it: 'PATH' or fd N */
};

/* Opens (the path, or takes fd:N) and locks cfg's file. */
int blk_disk_open(struct blk_disk *d, const struct disk_config *cfg, struct err *e);
void blk_disk_close(struct blk_disk *d);

/* A boot's device over d, which it borrows (d outlives it); the caller then
 * calls virtio_blk_attach. */
void virtio_blk_init(struct virtio_blk *b, const struct blk_disk *d);
int virtio_blk_attach(struct virtio_blk *b, unsigned index, struct guest_mem *mem, struct kvm_vm *kvm,
		      uint64_t base, unsigned gsi, struct err *e);
/* Processes every available request on the queue (exposed for fuzzing). */
void virtio_blk_process(struct virtio_dev *d, unsigned q);

#endif
