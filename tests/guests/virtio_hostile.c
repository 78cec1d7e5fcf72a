/* Breaks the virtio rules on purpose against the block device in slot 0
 * (case=N on the command line), checks the device says NEEDS_RESET, then
 * resets it and shows it works again. The VMM must survive all of it. */
#include "lib/guest.h"
#include "lib/virtio.h"


static struct vqueue q;
static struct { uint32_t type, reserved; uint64_t sector; } hdr;
static uint8_t data[512] __attribute__((aligned(16)));
static volatile uint8_t status;

static const char *setup_case(int c)
{
	struct vring_desc *d = q.desc;
	uint16_t num = q.num;

	hdr.type = 0;
	hdr.sector = 0;
	d[0] = (struct vring_desc){ (uint64_t)&hdr, 16, VRING_DESC_F_NEXT, 1 };
	d[1] = (struct vring_desc){ (uint64_t)data, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2 };
	d[2] = (struct vring_desc){ (uint64_t)&status, 1, VRING_DESC_F_WRITE, 0 };
	switch (c) {
	case 1: d[1].addr = 1ull << 40; return "address past the end of RAM";
	case 2: d[1].addr = 0xd0000000; return "address in the MMIO hole";
	case 3: d[1].addr = 0xfffffffffffff000ull; d[1].len = 0x2000; return "address wrapping around";
	case 4: d[1].next = 1; return "descriptor loop";
	case 5: d[1].len = 0; return "zero-length descriptor";
	case 6: /* the longest chain the ring can express, and then some */
		for (uint16_t i = 1; i < num; i++)
			d[i] = (struct vring_desc){ (uint64_t)data, 1, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, (uint16_t)((i + 1) % num) };
		return "chain longer than the queue";
	case 7: d[1].flags = VRING_DESC_F_NEXT; d[0].flags |= VRING_DESC_F_WRITE; return "readable after writable";
	case 8: d[1].next = 4000; return "next index out of range";
	case 9: d[0].flags |= 4; return "indirect descriptor not negotiated";
	case 0:
	case 12: return "a valid request";
	default: return 0;
	}
}

int guest_main(struct hvm_start_info *si)
{
	int c = (int)cmdline_uint(si, "case", 0);
	uint16_t size = (uint16_t)cmdline_uint(si, "qsize", 8);
	const char *what;
	uint64_t deadline;
	uint32_t st;

	if (c == 10 || c == 11) { /* bad queue sizes are refused at set-up */
		vdev_init(&q, VIRTIO_SLOT(0), c == 10 ? 3 : 1024, 0);
		what = c == 10 ? "queue size not a power of 2" : "queue size over the maximum";
	} else {
		if (vdev_init(&q, VIRTIO_SLOT(0), size, 0) != 2)
			return 1;
		what = setup_case(c);
		if (!what)
			return 1;
		if (c == 12) {
			what = "available index jumped";
			q.avail_idx = 100;
		}
		vq_submit(&q, 0);
	}
	printf_serial("hostile: case %d: %s\n", c, what);
	deadline = rdtsc() + 20ull * 3000000000ull;
	while (!((st = vdev_status(VIRTIO_SLOT(0))) & VIRTIO_STATUS_NEEDS_RESET) && rdtsc() < deadline)
		__asm__ volatile("pause");
	printf_serial("hostile: needs reset: %s\n", (st & VIRTIO_STATUS_NEEDS_RESET) ? "yes" : "no");

	/* A reset brings the device back. */
	if (vdev_init(&q, VIRTIO_SLOT(0), 8, 0) != 2)
		return 1;
	setup_case(0);
	vq_submit(&q, 0);
	printf_serial("hostile: after reset: %s\n", vq_wait(&q) == 513 && status == 0 ? "works" : "broken");
	return 0;
}
