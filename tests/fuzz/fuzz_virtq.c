/* The virtqueue walker and the virtio-blk request path against arbitrary
 * guest memory and queue state: the first 32 bytes of the input set the
 * queue, the rest is guest RAM from address 0. Requests go to a memfd disk. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_queue.h"
#include "virtio/blk.h"

#define RAM (4u << 20)

static struct guest_mem mem;
static struct virtio_blk blk;

static void init(void)
{
	struct err e;
	static const struct virtio_ops ops = { .device_id = VIRTIO_ID_BLOCK, .nqueues = 1 };

	if (guest_mem_alloc(&mem, RAM, &e) < 0)
		abort();
	blk.fd = memfd_create("disk", 0);
	if (blk.fd < 0 || ftruncate(blk.fd, 64 << 10) < 0)
		abort();
	blk.sectors = 128;
	blk.dev.ops = &ops;
	blk.dev.priv = &blk;
	blk.dev.mem = &mem;
	blk.dev.irq_fd = eventfd(0, EFD_NONBLOCK);
	blk.dev.status = 4; /* DRIVER_OK */
	strcpy(blk.dev.name, "fuzz-blk");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtq *q = &blk.dev.q[0];
	uint32_t w[8];

	if (!mem.host)
		init();
	if (!fuzz_load(data, size, w, 8, &mem))
		return 0;
	fuzz_set_queue(q, &mem, RAM, w);
	blk.readonly = w[6] & 1;
	blk.dev.failed = false;
	if (!q->ready)
		return 0;
	virtio_blk_process(&blk.dev, 0);
	return 0;
}
