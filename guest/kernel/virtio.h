/* virtio-mmio (version 2) transport and split virtqueues, driven from ring
 * 3. Every register access is an exit, so the steady path touches only
 * QueueNotify (ioeventfd-bound on vmm: the cheap kind) and, after a wake-up
 * by the device's interrupt, InterruptACK. Everything read from the device's
 * side of a ring (used index, ids, lengths) is checked before use; a device
 * that breaks the protocol stops the guest with EXIT_DEVICE. */
#ifndef GUEST_KERNEL_VIRTIO_H
#define GUEST_KERNEL_VIRTIO_H

#include "kernel.h"

#include "abi/virtio_mmio.h"
#include "abi/virtio_ring.h"

/* Queues and configuration words vmm's devices are set up for in batches. */
#define VDEV_MAX_QUEUES  4
#define VDEV_CONFIG_WORDS 2 /* the first 8 bytes: blk's capacity, vsock's CID */

/* A register batch record (abi/virtio_mmio.h) with room for the most ops. */
struct vdev_batch {
	uint32_t count, done;
	struct virtio_mmio_batch_op op[VIRTIO_MMIO_BATCH_MAX];
} __attribute__((aligned(8)));

struct vdev {
	uintptr_t base;
	unsigned gsi;
	uint32_t id;
	uint32_t vendor;
	const char *name;
	bool edge_irq; /* vmm's device: every interrupt is an edge, no InterruptACK needed */
	bool zero_reset; /* vmm's device: a reset zeroes the queue registers and selectors */
	/* vmm's device (unless site.mmio_batch=0): set up through its batch
	 * register, three exits in all. virtio_find's batch identifies it,
	 * resets it, sets ACKNOWLEDGE and DRIVER and reads its features and
	 * QueueNumMax of queues 0 to VDEV_MAX_QUEUES-1; vdev_begin and vq_init
	 * only add ops to `pend`; vdev_ready sends them with DRIVER_OK, the
	 * status and the first VDEV_CONFIG_WORDS configuration words, which the
	 * first vdev_config32 of each word then returns without an exit. */
	bool batch;
	uint64_t dev_features;
	uint16_t qmax[VDEV_MAX_QUEUES];
	uint32_t config[VDEV_CONFIG_WORDS];
	unsigned config_fresh; /* bit i: config[i] not yet handed out */
	struct vdev_batch pend;
};

#define VQ_NONE 0xffff /* end of a queue's free descriptor list */

struct vq {
	struct vdev *dev;
	unsigned index;
	uint16_t num, num_free, last_used, avail_idx;
	/* Free descriptors: those returned (LIFO, linked through desc.next)
	 * first, then never-used ones (`fresh` taken so far, from the top
	 * down), so the pages of a quiet queue's table stay untouched. */
	uint16_t free_head, fresh;
	struct vring_desc *desc;
	struct vring_avail *avail;
	volatile struct vring_used *used;
	struct vq_meta {
		void *cookie;  /* per head: the caller's token; NULL when free */
		uint32_t wlen; /* per head: device-writable bytes offered */
	} *meta;           /* in reverse: meta[num - 1 - id]; taken descriptors only */
	uint16_t kicked_idx;
};

struct vbuf {
	const void *addr;
	uint32_t len;
	bool write; /* device writes it */
};

/* Finds the devices: virtio_mmio.device=SIZE@ADDR:IRQ on the command line,
 * else the eight vmm slots probed. Returns how many were found (at most max).
 * Set-up of one device: vdev_begin, vq_init for each queue, vdev_ready; read
 * configuration (vdev_config32) after vdev_ready, where vmm's batch has it. */
unsigned virtio_find(struct vdev *out, unsigned max);
/* Resets and negotiates VERSION_1 (plus any of want the device offers);
 * returns the accepted feature bits, or panics. */
uint64_t vdev_begin(struct vdev *d, uint64_t want);
void vq_init(struct vq *q, struct vdev *d, unsigned index, unsigned max_num);
/* DRIVER_OK; panics if the device did not accept the set-up. */
void vdev_ready(struct vdev *d);
uint32_t vdev_config32(struct vdev *d, unsigned off);
/* Register accesses of device set-up (find, begin, queues, ready, config)
 * that exited to the VMM (a batch is one), and those done inside batches. */
extern uint64_t vdev_setup_exits, vdev_setup_batched;
/* After a wake-up by this device's interrupt. */
void vdev_ack(struct vdev *d);

/* Posts a chain (device-readable buffers first); false when out of
 * descriptors. cookie must not be NULL. */
bool vq_add(struct vq *q, const struct vbuf *b, unsigned n, void *cookie);
/* Tells the device about new buffers, unless it said it needs no notice. */
void vq_kick(struct vq *q);
/* The next used chain's cookie (and the length written), or NULL. */
void *vq_get(struct vq *q, uint32_t *len);
bool vq_has_used(const struct vq *q);
/* Asks for (or stops) interrupts; turning them on returns whether used
 * buffers are already waiting (then do not sleep). */
bool vq_irq(struct vq *q, bool on);

#endif
