#include "virtio/rng.h"

#include <errno.h>
#include <sys/random.h>

/* Bounds the work one notification can ask for. */
#define RNG_MAX_PER_BUFFER (64u << 10)

/* Fills the chain's device-writable part (up to RNG_MAX_PER_BUFFER). */
static int rng_fill(void *ctx, const struct vq_chain *c, uint32_t *written, struct err *e)
{
	struct iovec iov[VIRTQ_MAX_SIZE];
	unsigned n = vq_chain_iov(c, true, 0, RNG_MAX_PER_BUFFER, iov, VIRTQ_MAX_SIZE, NULL);

	(void)ctx;
	(void)e;
	*written = 0;
	for (unsigned i = 0; i < n; i++) {
		for (size_t got = 0; got < iov[i].iov_len;) {
			ssize_t k = getrandom((uint8_t *)iov[i].iov_base + got, iov[i].iov_len - got, 0);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return 0; /* the host ran dry: hand back what we have */
			got += (size_t)k;
			*written += (uint32_t)k;
		}
	}
	return 0;
}

void virtio_rng_process(struct virtio_dev *d, unsigned qi)
{
	struct virtio_rng *r = d->priv;

	if (virtio_drain(d, qi, &r->chain, rng_fill, r) > 0)
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
