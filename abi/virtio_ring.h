/* Split virtqueues (virtio 1.x, section 2.7): the three rings a driver lays
 * out in guest memory and a device reads and writes. Little endian, as x86. */
#ifndef ABI_VIRTIO_RING_H
#define ABI_VIRTIO_RING_H

#include <stddef.h>
#include <stdint.h>

#define VRING_DESC_F_NEXT          1 /* the chain continues at .next */
#define VRING_DESC_F_WRITE         2 /* device-writable (else device-readable) */
#define VRING_DESC_F_INDIRECT      4 /* not offered by vmm */
#define VRING_AVAIL_F_NO_INTERRUPT 1 /* driver: no interrupt needed for used buffers */
#define VRING_USED_F_NO_NOTIFY     1 /* device: no QueueNotify needed for new buffers */

/* Descriptor table: 16 bytes an entry, 16-byte aligned. */
struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Avail ring (driver -> device), 2-byte aligned: flags, idx, ring[num]. */
struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

/* Used ring (device -> driver), 4-byte aligned: flags, idx, ring[num]. */
struct vring_used_elem {
	uint32_t id;             /* head of the chain */
	uint32_t len;            /* bytes the device wrote into it */
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[];
};

/* Bytes of each part for a queue of num entries, as the spec sizes them:
 * with the trailing event-index field, though VIRTIO_F_EVENT_IDX is not
 * offered (a device must not let the rings overlap even there). */
#define VRING_DESC_BYTES(num)  (16ull * (num))
#define VRING_AVAIL_BYTES(num) (6ull + 2ull * (num))
#define VRING_USED_BYTES(num)  (6ull + 8ull * (num))

_Static_assert(sizeof(struct vring_desc) == 16, "vring_desc is 16 bytes");
_Static_assert(offsetof(struct vring_desc, len) == 8, "vring_desc layout");
_Static_assert(offsetof(struct vring_desc, flags) == 12, "vring_desc layout");
_Static_assert(offsetof(struct vring_desc, next) == 14, "vring_desc layout");
_Static_assert(sizeof(struct vring_avail) == 4, "vring_avail header is 4 bytes");
_Static_assert(sizeof(struct vring_used_elem) == 8, "vring_used_elem is 8 bytes");
_Static_assert(offsetof(struct vring_used, ring) == 4, "vring_used header is 4 bytes");

#endif
