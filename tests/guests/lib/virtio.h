/* A minimal polling virtio-mmio driver for test guests: one device at a
 * time, one queue, descriptors written by the test itself so hostile tests
 * can write bad ones. */
#ifndef GUEST_VIRTIO_H
#define GUEST_VIRTIO_H

#include <stdint.h>

#include "abi/platform.h"
#include "abi/virtio_mmio.h"
#include "abi/virtio_ring.h"

#define VIRTIO_SLOT(i) (GPA_VIRTIO_MMIO + (uint64_t)(i) * VIRTIO_MMIO_SLOT_SIZE)

struct vqueue {
	uint64_t base;          /* device registers */
	uint16_t num;
	struct vring_desc *desc;
	volatile uint16_t *avail; /* flags, idx, ring[num] */
	volatile uint16_t *used;  /* flags, idx, then {u32 id, u32 len}[num] */
	uint16_t avail_idx, used_seen;
};

uint32_t vreg_read(uint64_t base, uint32_t off);
void vreg_write(uint64_t base, uint32_t off, uint32_t v);
/* Resets and initialises the device at base with queue 0 of num entries
 * (num is written as given: tests pass bad sizes on purpose). Returns the
 * device ID, or 0 when the slot is empty, or -1 if the device refused. */
int vdev_init(struct vqueue *q, uint64_t base, uint16_t num, unsigned queue);
/* Makes descriptors [head..] available and notifies. */
void vq_submit(struct vqueue *q, uint16_t head);
/* Waits (polling) for one used entry; returns its length or -1 after ~timeout. */
int vq_wait(struct vqueue *q);
uint32_t vdev_status(uint64_t base);

#endif
