/* The virtio-mmio transport (version 2, virtio 1.x only): the register
 * window of one device in the MMIO hole, feature negotiation, queue set-up,
 * notifications through ioeventfd and interrupts through irqfd.
 *
 * Threads: registers are accessed by vCPU threads; queues are processed by
 * the I/O thread when a queue's eventfd fires. Both hold dev->lock. A device
 * that finds the guest breaking the rules calls virtio_fail(): the device
 * stops, sets DEVICE_NEEDS_RESET and interrupts; the VMM keeps running. */
#ifndef VMM_VIRTIO_MMIO_H
#define VMM_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "abi/platform.h"
#include "abi/virtio_mmio.h"
#include "kvm/kvm.h"
#include "mem/guest_mem.h"
#include "util/err.h"
#include "virtio/virtq.h"

#define VIRTIO_MMIO_SIZE   VIRTIO_MMIO_SLOT_SIZE
#define VIRTIO_MAX_QUEUES  4

struct virtio_dev;

struct virtio_ops {
	uint32_t device_id;
	unsigned nqueues;
	/* Reads device config space (offset from 0x100); out-of-range reads are zero. */
	void (*config_read)(struct virtio_dev *d, uint32_t off, uint8_t *data, uint32_t size);
	/* The I/O thread: queue q was notified. Called with d->lock held. */
	void (*queue_notify)(struct virtio_dev *d, unsigned q);
	/* The driver reset the device (status 0): drop in-flight state. With lock held. */
	void (*reset)(struct virtio_dev *d);
};

struct virtio_dev {
	pthread_mutex_t lock;
	const struct virtio_ops *ops;
	void *priv;               /* the device model's own state */
	char name[32];            /* for messages: "virtio-blk0" */
	struct guest_mem *mem;
	struct kvm_vm *kvm;
	uint64_t base;
	unsigned gsi;
	uint64_t features;        /* offered: device features | VERSION_1 */
	uint64_t driver_features;
	uint32_t status, dev_feat_sel, drv_feat_sel, queue_sel, int_status, config_gen;
	bool failed;              /* NEEDS_RESET until the driver resets us */
	struct virtq q[VIRTIO_MAX_QUEUES];
	int notify_fd[VIRTIO_MAX_QUEUES];
	int irq_fd;
	uint64_t interrupts;      /* counters, for benchmarks */
	uint64_t notifies;
	uint64_t batches;         /* writes to VIRTIO_MMIO_VMM_BATCH */
};

/* Prepares the device and binds its eventfds to KVM. With kvm NULL (unit
 * tests) nothing is bound: irq_fd counts interrupts, and a QueueNotify
 * write signals notify_fd[q], as without ioeventfd. */
int virtio_dev_init(struct virtio_dev *d, const struct virtio_ops *ops, void *priv, const char *name,
		    uint64_t features, struct guest_mem *mem, struct kvm_vm *kvm, uint64_t base, unsigned gsi,
		    struct err *e);
void virtio_dev_destroy(struct virtio_dev *d);
/* io_bus handler for the register window. A write to VIRTIO_MMIO_VMM_BATCH
 * performs a record of register accesses from guest memory, each through the
 * same handler as a trapped one (abi/virtio_mmio.h). */
void virtio_mmio_io(void *dev, uint64_t offset, uint8_t *data, uint32_t size, bool is_write);
/* I/O thread: queue q's eventfd fired. */
void virtio_dev_kick(struct virtio_dev *d, unsigned q);
/* Signals used buffers on the device's interrupt (if the driver wants one). */
void virtio_dev_interrupt(struct virtio_dev *d, unsigned q);
/* Handles one chain of a device's queue: returns 0 with the bytes it wrote
 * into the chain in *written, or -1 with e set when the chain breaks the
 * device's rules (the device then fails). */
typedef int (*virtio_chain_fn)(void *ctx, const struct vq_chain *c, uint32_t *written, struct err *e);
/* The one queue-draining loop every device uses: pops each chain the guest
 * made available on queue q into *c, hands it to fn and returns it to the
 * guest as used. Any mistake of the guest's (a malformed ring or chain, or
 * fn's -1) fails the device with virtio_fail and stops. Sends no interrupt,
 * so the caller signals once per batch. Returns the chains completed, or -1
 * if the device failed. */
int virtio_drain(struct virtio_dev *d, unsigned q, struct vq_chain *c, virtio_chain_fn fn, void *ctx);
/* Marks the device broken (DEVICE_NEEDS_RESET) and says why on stderr. */
void virtio_fail(struct virtio_dev *d, const char *why);
/* Whether the driver finished set-up and the device is usable. */
bool virtio_dev_live(const struct virtio_dev *d);

#endif
