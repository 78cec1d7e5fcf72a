#include "virtio/rng.h"

#include <errno.h>
#include <sys/random.h>

/* Bounds the work one notification can ask for. */
#define RNG_MAX_PER_BUFFER (64u << 10)

void virtio_rng_process(struct virtio_dev *d, unsigned qi)
{
	struct virtio_rng *r = d->priv;
	struct virtq *q = &d->q[qi];
	struct err e;
	bool any = false;
	int n;

	while ((n = virtq_pop(q, d->mem, &r->chain, &e)) > 0) {
		uint32_t filled = 0;

		for (unsigned i = 0; i < r->chain.n && filled < RNG_MAX_PER_BUFFER; i++) {
			struct vq_buf *b = &r->chain.buf[i];
			uint32_t want = b->len, got = 0;

			if (!b->write)
				continue;
			if (want > RNG_MAX_PER_BUFFER - filled)
				want = RNG_MAX_PER_BUFFER - filled;
			while (got < want) {
				ssize_t k = getrandom(b->p + got, want - got, 0);
				if (k < 0 && errno == EINTR)
					continue;
				if (k <= 0)
					break;
				got += (uint32_t)k;
			}
			filled += got;
		}
		if (virtq_push(q, d->mem, r->chain.head, filled, &e) < 0)
			break;
		any = true;
	}
	if (n < 0) {
		virtio_fail(d, e.msg);
		return;
	}
	if (any)
		virtio_dev_interrupt(d, qi);
}

static const struct virtio_ops rng_ops = {
	.device_id = VIRTIO_ID_RNG,
	.nqueues = 1,
	.queue_notify = virtio_rng_process,
};

int virtio_rng_attach(struct virtio_rng *r, struct guest_mem *mem, struct kvm_vm *kvm, uint64_t base, unsigned gsi,
		      struct err *e)
{
	return virtio_dev_init(&r->dev, &rng_ops, r, "virtio-rng", 0, mem, kvm, base, gsi, e);
}
