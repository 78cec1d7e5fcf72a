/* Drives the virtio-blk disk in slot 0. mode=rw: read sector 0, write
 * sectors 1-2, flush, read back, get the ID; mode=ro: a write must fail;
 * mode=range: a read past the end must fail. Prints what it saw. */
#include "lib/guest.h"
#include "lib/virtio.h"

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8

struct req {
	uint32_t type, reserved;
	uint64_t sector;
};

static struct vqueue q;
static struct req hdr;
static uint8_t data[1024] __attribute__((aligned(16)));
static volatile uint8_t status;

/* One request: header, optional data (len bytes, device-writable for reads), status. */
static int request(uint32_t type, uint64_t sector, uint32_t len)
{
	uint16_t n = 0;

	hdr = (struct req){ type, 0, sector };
	status = 0xff;
	q.desc[n] = (struct vring_desc){ (uint64_t)&hdr, sizeof hdr, VRING_DESC_F_NEXT, (uint16_t)(n + 1) };
	n++;
	if (len) {
		uint16_t f = VRING_DESC_F_NEXT | (type == T_OUT ? 0 : VRING_DESC_F_WRITE);
		q.desc[n] = (struct vring_desc){ (uint64_t)data, len, f, (uint16_t)(n + 1) };
		n++;
	}
	q.desc[n] = (struct vring_desc){ (uint64_t)&status, 1, VRING_DESC_F_WRITE, 0 };
	vq_submit(&q, 0);
	if (vq_wait(&q) < 0)
		return -2;
	return status;
}

int guest_main(struct hvm_start_info *si)
{
	const char *cl = cmdline(si);
	int mode_ro = 0, mode_range = 0;
	uint64_t capacity;

	for (const char *p = cl; *p; p++) {
		if (p[0] == 'm' && p[1] == 'o' && p[2] == 'd' && p[3] == 'e' && p[4] == '=') {
			mode_ro = p[5] == 'r' && p[6] == 'o';
			mode_range = p[5] == 'r' && p[6] == 'a';
		}
	}
	if (vdev_init(&q, VIRTIO_SLOT(0), 8, 0) != 2) {
		puts_serial("blk: no block device in slot 0\n");
		return 1;
	}
	capacity = (uint64_t)vreg_read(VIRTIO_SLOT(0), VIRTIO_MMIO_CONFIG) | ((uint64_t)vreg_read(VIRTIO_SLOT(0), VIRTIO_MMIO_CONFIG + 4) << 32);
	printf_serial("blk: capacity %lu sectors\n", capacity);
	if (request(T_IN, 0, 512) != 0)
		return 2;
	data[16] = 0;
	printf_serial("blk: sector 0 says '%s'\n", (const char *)data);
	if (mode_range) {
		printf_serial("blk: read past the end: status %d\n", request(T_IN, capacity, 512));
		printf_serial("blk: read straddling the end: status %d\n", request(T_IN, capacity - 1, 1024));
		return 0;
	}
	for (int i = 0; i < 1024; i++)
		data[i] = (uint8_t)("written by the guest "[i % 21]);
	if (mode_ro) {
		printf_serial("blk: write to read-only disk: status %d\n", request(T_OUT, 1, 1024));
		return 0;
	}
	printf_serial("blk: write sectors 1-2: status %d\n", request(T_OUT, 1, 1024));
	printf_serial("blk: flush: status %d\n", request(T_FLUSH, 0, 0));
	memset(data, 0, sizeof data);
	printf_serial("blk: read back: status %d\n", request(T_IN, 1, 1024));
	data[21] = 0;
	printf_serial("blk: sector 1 says '%s'\n", (const char *)data);
	memset(data, 0, 32);
	printf_serial("blk: get-id: status %d\n", request(T_GET_ID, 0, 20));
	printf_serial("blk: id '%s'\n", (const char *)data);
	printf_serial("blk: unknown request type: status %d\n", request(77, 0, 0));
	return 0;
}
