#include "unit/fake_driver.h"

#include <string.h>
#include <unistd.h>

#include "abi/virtio_mmio.h"
#include "abi/virtio_ring.h"

uint32_t fake_reg_read(struct virtio_dev *d, uint32_t off)
{
	uint32_t v = 0;

	virtio_mmio_io(d, off, (uint8_t *)&v, 4, false);
	return v;
}

void fake_reg_write(struct virtio_dev *d, uint32_t off, uint32_t v)
{
	virtio_mmio_io(d, off, (uint8_t *)&v, 4, true);
}

bool fake_driver_begin(struct virtio_dev *d, uint64_t want)
{
	uint64_t f = want | VIRTIO_F_VERSION_1;

	fake_reg_write(d, VIRTIO_MMIO_STATUS, 0);
	fake_reg_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	fake_reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	fake_reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	fake_reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	fake_reg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
	fake_reg_write(d, VIRTIO_MMIO_STATUS,
		       VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	return (fake_reg_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK) != 0;
}

void fake_queue_setup(struct fake_queue *q, struct virtio_dev *d, unsigned index, uint16_t num, uint64_t gpa)
{
	memset(q, 0, sizeof *q);
	q->dev = d;
	q->index = index;
	q->num = num;
	q->desc = gpa;
	q->avail = gpa + 8192;
	q->used = gpa + 12288;
	memset(guest_mem_ptr(d->mem, gpa, 16384), 0, 16384);
	fake_reg_write(d, VIRTIO_MMIO_QUEUE_SEL, index);
	fake_reg_write(d, VIRTIO_MMIO_QUEUE_NUM, num);
	fake_reg_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)q->desc);
	fake_reg_write(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(q->desc >> 32));
	fake_reg_write(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)q->avail);
	fake_reg_write(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(q->avail >> 32));
	fake_reg_write(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)q->used);
	fake_reg_write(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(q->used >> 32));
	fake_reg_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
}

void fake_driver_ok(struct virtio_dev *d)
{
	fake_reg_write(d, VIRTIO_MMIO_STATUS, fake_reg_read(d, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
}

uint16_t fake_queue_add(struct fake_queue *q, const struct fake_buf *b, unsigned n)
{
	struct vring_desc *desc = guest_mem_ptr(q->dev->mem, q->desc, VRING_DESC_BYTES(q->num));
	struct vring_avail *avail = guest_mem_ptr(q->dev->mem, q->avail, VRING_AVAIL_BYTES(q->num));
	uint16_t head = q->next_desc;

	for (unsigned i = 0; i < n; i++) {
		uint16_t at = (uint16_t)((head + i) % q->num);

		desc[at] = (struct vring_desc){ b[i].gpa, b[i].len,
						(uint16_t)((b[i].write ? VRING_DESC_F_WRITE : 0) |
							   (i + 1 < n ? VRING_DESC_F_NEXT : 0)),
						(uint16_t)((at + 1) % q->num) };
	}
	q->next_desc = (uint16_t)((head + n) % q->num);
	avail->ring[q->avail_idx % q->num] = head;
	__atomic_store_n(&avail->idx, ++q->avail_idx, __ATOMIC_RELEASE);
	return head;
}

void fake_queue_kick(struct fake_queue *q)
{
	fake_reg_write(q->dev, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
	virtio_dev_kick(q->dev, q->index);
}

bool fake_queue_used(struct fake_queue *q, uint32_t *id, uint32_t *len)
{
	struct vring_used *used = guest_mem_ptr(q->dev->mem, q->used, VRING_USED_BYTES(q->num));

	if (__atomic_load_n(&used->idx, __ATOMIC_ACQUIRE) == q->used_seen)
		return false;
	*id = used->ring[q->used_seen % q->num].id;
	*len = used->ring[q->used_seen % q->num].len;
	q->used_seen++;
	return true;
}

uint64_t fake_interrupts(struct virtio_dev *d)
{
	uint64_t v = 0;

	if (read(d->irq_fd, &v, sizeof v) != sizeof v)
		return 0;
	return v;
}
