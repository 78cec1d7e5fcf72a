/* Benchmark guest for virtio-blk: random 4 KiB reads (32 in flight) and
 * sequential 128 KiB reads over the disk in slot 0. Prints a marker before
 * and after each phase so the host can time it. reads=N sets the count. */
#include "lib/guest.h"
#include "lib/virtio.h"
#include "guest/lib/xorshift.h"

#define DEPTH 32
#define QSIZE 128

struct req {
	uint32_t type, reserved;
	uint64_t sector;
};

static struct vqueue q;
static struct req hdr[DEPTH];
static volatile uint8_t status[DEPTH];
static uint8_t buf[DEPTH][4096] __attribute__((aligned(4096)));

static uint64_t rnd = 0x2545f4914f6cdd1dull;

/* Posts n requests of len bytes (len <= 4096 * DEPTH for sequential use buf as one block). */
static void post(unsigned i, uint64_t sector, uint64_t addr, uint32_t len)
{
	uint16_t d = (uint16_t)(i * 3);

	hdr[i] = (struct req){ 0, 0, sector };
	q.desc[d] = (struct vring_desc){ (uint64_t)&hdr[i], 16, VRING_DESC_F_NEXT, (uint16_t)(d + 1) };
	q.desc[d + 1] = (struct vring_desc){ addr, len, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, (uint16_t)(d + 2) };
	q.desc[d + 2] = (struct vring_desc){ (uint64_t)&status[i], 1, VRING_DESC_F_WRITE, 0 };
	q.avail[2 + q.avail_idx % QSIZE] = d;
	q.avail_idx++;
}

static void notify_and_wait(unsigned n)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q.avail[1] = q.avail_idx;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vreg_write(q.base, 0x50, 0);
	for (unsigned i = 0; i < n; i++)
		vq_wait(&q);
}

int guest_main(struct hvm_start_info *si)
{
	uint64_t reads = cmdline_uint(si, "reads", 20000), sectors, done;

	if (vdev_init(&q, VIRTIO_SLOT(0), QSIZE, 0) != 2)
		return 1;
	sectors = (uint64_t)vreg_read(VIRTIO_SLOT(0), VIRTIO_MMIO_CONFIG) | ((uint64_t)vreg_read(VIRTIO_SLOT(0), VIRTIO_MMIO_CONFIG + 4) << 32);
	puts_serial("bench: random start\n");
	for (done = 0; done < reads; done += DEPTH) {
		for (unsigned i = 0; i < DEPTH; i++)
			post(i, (xorshift64(&rnd) % (sectors / 8)) * 8, (uint64_t)buf[i], 4096);
		notify_and_wait(DEPTH);
	}
	printf_serial("bench: random done %lu\n", done);
	puts_serial("bench: sequential start\n");
	for (done = 0; done + 256 <= sectors; done += 256) {
		post(0, done, (uint64_t)buf, 128 << 10);
		notify_and_wait(1);
	}
	printf_serial("bench: sequential done %lu\n", done * 512);
	return 0;
}
