/* virtio-rng (entropy): every buffer the guest posts is filled from getrandom(). */
#ifndef VMM_VIRTIO_RNG_H
#define VMM_VIRTIO_RNG_H

#include "virtio/mmio.h"

struct virtio_rng {
	struct virtio_dev dev;
	struct vq_chain chain;
};

int virtio_rng_attach(struct virtio_rng *r, struct guest_mem *mem, struct kvm_vm *kvm, uint64_t base, unsigned gsi,
		      struct err *e);
void virtio_rng_process(struct virtio_dev *d, unsigned q);

#endif
