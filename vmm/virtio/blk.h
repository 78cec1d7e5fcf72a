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
#include "virtio/mmio.h"

struct virtio_blk {
	struct virtio_dev dev;
	int fd;
	bool readonly;
	uint64_t sectors;
	char id[21];
	struct vq_chain chain;
};

/* Opens and locks the file; the caller then calls virtio_blk_attach. */
int virtio_blk_open(struct virtio_blk *b, const struct disk_config *cfg, struct err *e);
int virtio_blk_attach(struct virtio_blk *b, unsigned index, struct guest_mem *mem, struct kvm_vm *kvm,
		      uint64_t base, unsigned gsi, struct err *e);
void virtio_blk_close(struct virtio_blk *b);
/* Processes every available request on the queue (exposed for fuzzing). */
void virtio_blk_process(struct virtio_dev *d, unsigned q);

#endif
