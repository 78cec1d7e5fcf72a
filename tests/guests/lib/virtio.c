#include "lib/virtio.h"

#include "lib/guest.h"


/* Rings live in a fixed low region of each test guest's RAM. */
static uint8_t ring_mem[3][8192] __attribute__((aligned(4096)));

uint32_t vreg_read(uint64_t base, uint32_t off) { return mmio_r32(base + off); }
void vreg_write(uint64_t base, uint32_t off, uint32_t v) { mmio_w32(base + off, v); }
uint32_t vdev_status(uint64_t base) { return vreg_read(base, VIRTIO_MMIO_STATUS); }

int vdev_init(struct vqueue *q, uint64_t base, uint16_t num, unsigned queue)
{
	uint8_t *mem = ring_mem[queue % 3];
	uint32_t id;

	if (vreg_read(base, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC || vreg_read(base, VIRTIO_MMIO_VERSION) != VIRTIO_MMIO_VERSION_2)
		return 0;
	id = vreg_read(base, VIRTIO_MMIO_DEVICE_ID);
	if (queue == 0) {
		vreg_write(base, VIRTIO_MMIO_STATUS, 0);
		vreg_write(base, VIRTIO_MMIO_STATUS, 1 | 2); /* ACKNOWLEDGE | DRIVER */
		vreg_write(base, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
		vreg_write(base, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VIRTIO_F_VERSION_1 */
		vreg_write(base, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
		vreg_write(base, VIRTIO_MMIO_DRIVER_FEATURES, 0);
		vreg_write(base, VIRTIO_MMIO_STATUS, 1 | 2 | 8);
		if (!(vreg_read(base, VIRTIO_MMIO_STATUS) & 8))
			return -1;
	}
	memset(mem, 0, sizeof ring_mem[0]);
	q->base = base;
	q->num = num;
	q->desc = (struct vring_desc *)mem;
	q->avail = (volatile uint16_t *)(mem + 4096);
	q->used = (volatile uint16_t *)(mem + 6144);
	q->avail_idx = q->used_seen = 0;
	vreg_write(base, VIRTIO_MMIO_QUEUE_SEL, queue);
	vreg_write(base, VIRTIO_MMIO_QUEUE_NUM, num);
	vreg_write(base, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(uint64_t)q->desc);
	vreg_write(base, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
	vreg_write(base, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(uint64_t)q->avail);
	vreg_write(base, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
	vreg_write(base, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(uint64_t)q->used);
	vreg_write(base, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
	vreg_write(base, VIRTIO_MMIO_QUEUE_READY, 1);
	vreg_write(base, VIRTIO_MMIO_STATUS, 1 | 2 | 8 | 4); /* DRIVER_OK */
	return (int)id;
}

void vq_submit(struct vqueue *q, uint16_t head)
{
	q->avail[2 + q->avail_idx % (q->num ? q->num : 1)] = head;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->avail[1] = ++q->avail_idx;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vreg_write(q->base, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

int vq_wait(struct vqueue *q)
{
	uint64_t deadline = rdtsc() + 20ull * 3000000000ull;

	while (q->used[1] == q->used_seen) {
		if (rdtsc() > deadline)
			return -1;
		__asm__ volatile("pause");
	}
	{
		volatile uint32_t *elem = (volatile uint32_t *)(q->used + 2) + 2 * (q->used_seen % q->num);
		q->used_seen++;
		return (int)elem[1];
	}
}
