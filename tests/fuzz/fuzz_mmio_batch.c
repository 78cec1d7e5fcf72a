/* vmm's batched register interface (VIRTIO_MMIO_VMM_BATCH) against arbitrary
 * records, checked against the same accesses made one by one. The input:
 * two words (the record's address within twice a 64 KiB window, and bits
 * choosing trapped accesses before the batch and whether the window is at
 * the start or the end of RAM), then the window's bytes. Device A gets the batch; device B,
 * in a copy of RAM, gets the first `done` ops of the record as it was one
 * trapped access at a time (and virtio_fail where A failed): both must end
 * in the same state with the same read values, and done never exceeds
 * count. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abi/virtio_mmio.h"
#include "virtio/mmio.h"

#define RAM (4u << 20) /* MEM_MIN */
#define WIN (64u << 10)

static struct guest_mem mem[2];
static struct virtio_dev dev[2];

static void config_read(struct virtio_dev *d, uint32_t off, uint8_t *data, uint32_t size)
{
	(void)d;
	for (uint32_t i = 0; i < size; i++)
		data[i] = (uint8_t)(off * 13 + i);
}

static void queue_notify(struct virtio_dev *d, unsigned q)
{
	(void)d;
	(void)q;
}

static const struct virtio_ops ops = {
	.device_id = 7, .nqueues = 3, .config_read = config_read, .queue_notify = queue_notify,
};

static void init(void)
{
	struct err e;

	for (unsigned i = 0; i < 2; i++)
		if (guest_mem_alloc(&mem[i], RAM, &e) < 0 ||
		    virtio_dev_init(&dev[i], &ops, NULL, "fuzz-batch", 0x12345678ull, &mem[i], NULL, 0xd0000000u, 5, &e) < 0)
			abort();
}

static uint32_t rd(struct virtio_dev *d, uint32_t off)
{
	uint32_t v = 0;

	virtio_mmio_io(d, off, (uint8_t *)&v, 4, false);
	return v;
}

static void wr(struct virtio_dev *d, uint32_t off, uint32_t v)
{
	virtio_mmio_io(d, off, (uint8_t *)&v, 4, true);
}

static void same(const struct virtio_dev *a, const struct virtio_dev *b)
{
	if (a->status != b->status || a->driver_features != b->driver_features || a->dev_feat_sel != b->dev_feat_sel ||
	    a->drv_feat_sel != b->drv_feat_sel || a->queue_sel != b->queue_sel || a->int_status != b->int_status ||
	    a->config_gen != b->config_gen || a->failed != b->failed || a->interrupts != b->interrupts)
		abort();
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		if (a->q[i].num != b->q[i].num || a->q[i].ready != b->q[i].ready || a->q[i].desc_gpa != b->q[i].desc_gpa ||
		    a->q[i].avail_gpa != b->q[i].avail_gpa || a->q[i].used_gpa != b->q[i].used_gpa)
			abort();
	for (unsigned i = 0; i < ops.nqueues; i++) {
		uint64_t x = 0, y = 0;

		/* QueueNotify's fallback: the same kicks reached both */
		if (read(a->notify_fd[i], &x, sizeof x) < 0)
			x = 0;
		if (read(b->notify_fd[i], &y, sizeof y) < 0)
			y = 0;
		if (x != y)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t w[2], count = 0, done = 0;
	struct virtio_mmio_batch_op op[VIRTIO_MMIO_BATCH_MAX];

	if (!mem[0].host)
		init();
	memset(op, 0, sizeof op);
	if (size < sizeof w)
		return 0;
	memcpy(w, data, sizeof w);
	uint32_t win = w[1] & 8 ? RAM - WIN : 0;
	for (unsigned i = 0; i < 2; i++) {
		size_t n = size - sizeof w < WIN ? size - sizeof w : WIN;

		memset(mem[i].host + win, 0, WIN);
		memcpy(mem[i].host + win, data + sizeof w, n);
		wr(&dev[i], VIRTIO_MMIO_STATUS, 0);
		/* a device part way through set-up, or failed, or live */
		if (w[1] & 1)
			wr(&dev[i], VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
		if (w[1] & 2)
			wr(&dev[i], VIRTIO_MMIO_QUEUE_SEL, (w[1] >> 8) & 3);
		if (w[1] & 4)
			virtio_fail(&dev[i], "fuzz");
	}
	same(&dev[0], &dev[1]);
	uint32_t gpa = win + (w[0] & (2 * WIN - 1));
	const uint8_t *rec = guest_mem_ptr(&mem[1], gpa, 8);
	if (rec) {
		memcpy(&count, rec, 4);
		if (count <= VIRTIO_MMIO_BATCH_MAX && guest_mem_ptr(&mem[1], (uint64_t)gpa + 8, (uint64_t)count * 8))
			memcpy(op, rec + 8, (size_t)count * 8);
	}
	wr(&dev[0], VIRTIO_MMIO_VMM_BATCH, gpa);
	const uint8_t *after = guest_mem_ptr(&mem[0], gpa, 8);
	if (after && !(gpa & 7)) {
		memcpy(&done, after + 4, 4);
		if (count > VIRTIO_MMIO_BATCH_MAX && done != 0)
			abort();
	}
	if (done > count || done > VIRTIO_MMIO_BATCH_MAX)
		abort();
	/* the same accesses one at a time */
	for (uint32_t i = 0; i < done; i++) {
		uint32_t reg = op[i].reg & ~VIRTIO_MMIO_BATCH_READ;

		if (op[i].reg & VIRTIO_MMIO_BATCH_READ) {
			uint32_t got;

			memcpy(&got, after + 8 + i * 8 + 4, 4);
			if (got != rd(&dev[1], reg))
				abort();
		} else {
			wr(&dev[1], reg, op[i].value);
		}
	}
	if (dev[0].failed && !dev[1].failed)
		virtio_fail(&dev[1], "fuzz");
	same(&dev[0], &dev[1]);
	/* A record refused fails the device, with nothing performed. */
	if (!rec || (gpa & 7) || count > VIRTIO_MMIO_BATCH_MAX ||
	    (count && !guest_mem_ptr(&mem[1], (uint64_t)gpa + 8, (uint64_t)count * 8))) {
		if (!dev[0].failed || done)
			abort();
	}
	return 0;
}
