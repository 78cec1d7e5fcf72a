/* A virtio driver that lives in the test, not in a guest: it lays out split
 * rings in a guest_mem buffer and drives a device through its real register
 * window (virtio_mmio_io) and its real queue kick (virtio_dev_kick, what the
 * I/O thread does when a notify eventfd fires). No KVM is involved: devices
 * are set up with a NULL VM, so interrupts are counted on irq_fd. The idea
 * is Firecracker's test_utils VirtQueue. */
#ifndef TESTS_UNIT_FAKE_DRIVER_H
#define TESTS_UNIT_FAKE_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/mmio.h"

struct fake_queue {
	struct virtio_dev *dev;
	unsigned index;
	uint16_t num;
	uint64_t desc, avail, used;    /* guest-physical addresses of the rings */
	uint16_t next_desc, avail_idx, used_seen;
};

struct fake_buf {
	uint64_t gpa;
	uint32_t len;
	bool write;                    /* device-writable */
};

uint32_t fake_reg_read(struct virtio_dev *d, uint32_t off);
void fake_reg_write(struct virtio_dev *d, uint32_t off, uint32_t v);
/* Resets the device and negotiates VERSION_1 plus want; returns whether the
 * device kept FEATURES_OK. */
bool fake_driver_begin(struct virtio_dev *d, uint64_t want);
/* Lays out queue index with num entries at gpa (needs 16 KiB) and readies it. */
void fake_queue_setup(struct fake_queue *q, struct virtio_dev *d, unsigned index, uint16_t num, uint64_t gpa);
void fake_driver_ok(struct virtio_dev *d);
/* Makes a chain of n buffers available (not yet notified); returns its head. */
uint16_t fake_queue_add(struct fake_queue *q, const struct fake_buf *b, unsigned n);
/* Writes QueueNotify and runs the kick the I/O thread would run. */
void fake_queue_kick(struct fake_queue *q);
/* The next used element, if the device returned one. */
bool fake_queue_used(struct fake_queue *q, uint32_t *id, uint32_t *len);
/* Interrupts raised since the last call. */
uint64_t fake_interrupts(struct virtio_dev *d);

#endif
