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

struct vdev {
	uintptr_t base;
	unsigned gsi;
	uint32_t id;
	const char *name;
	bool edge_irq; /* vmm's device: every interrupt is an edge, no InterruptACK needed */
	bool zero_reset; /* vmm's device: a reset zeroes the queue registers and selectors */
};

struct vq {
	struct vdev *dev;
	unsigned index;
	uint16_t num, num_free, free_head, last_used, avail_idx;
	struct vring_desc *desc;
	struct vring_avail *avail;
	volatile struct vring_used *used;
	void **cookie;      /* per head: the caller's token; NULL when free */
	uint32_t *wlen;     /* per head: device-writable bytes offered */
	uint16_t kicked_idx;
};

struct vbuf {
	const void *addr;
	uint32_t len;
	bool write; /* device writes it */
};

/* Finds the devices: virtio_mmio.device=SIZE@ADDR:IRQ on the command line,
 * else the eight vmm slots probed. Returns how many were found (at most max). */
unsigned virtio_find(struct vdev *out, unsigned max);
/* Resets and negotiates VERSION_1 (plus any of want the device offers);
 * returns the accepted feature bits, or panics. */
uint64_t vdev_begin(struct vdev *d, uint64_t want);
void vq_init(struct vq *q, struct vdev *d, unsigned index, unsigned max_num);
void vdev_ready(struct vdev *d);
uint32_t vdev_config32(struct vdev *d, unsigned off);
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
