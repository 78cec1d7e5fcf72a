/* Reads 32 bytes from the virtio entropy device in slot 0 and prints them. */
#include "lib/guest.h"
#include "lib/virtio.h"

static uint8_t buf[32];

int guest_main(struct hvm_start_info *si)
{
	struct vqueue q;
	int n;

	(void)si;
	if (vdev_init(&q, VIRTIO_SLOT(0), 4, 0) != 4) {
		puts_serial("rng: no entropy device in slot 0\n");
		return 1;
	}
	q.desc[0] = (struct vring_desc){ (uint64_t)buf, sizeof buf, VRING_DESC_F_WRITE, 0 };
	vq_submit(&q, 0);
	n = vq_wait(&q);
	printf_serial("rng: got %d bytes: ", n);
	for (int i = 0; i < n && i < 32; i++)
		printf_serial("%02x", buf[i]);
	puts_serial("\n");
	return n == 32 ? 0 : 1;
}
