/* The machine's virtio-mmio slots (abi/platform.h): slot i is at
 * GPA_VIRTIO_MMIO + i * 4 KiB with the i-th interrupt of virtio_slot_gsi[]. Disks come first, then the
 * entropy device, then vsock. Guests find the slots on the kernel command
 * line in Linux's form, virtio_mmio.device=4K@ADDR:IRQ, appended by us. */
#ifndef VMM_MACHINE_VIRTIO_SLOTS_H
#define VMM_MACHINE_VIRTIO_SLOTS_H

#include "abi/platform.h"
#include "devices/io_bus.h"
#include "host/event_loop.h"
#include "machine/config.h"
#include "virtio/blk.h"
#include "virtio/rng.h"
#include "virtio/vsock.h"

#define VIRTIO_SLOTS_MAX VIRTIO_MMIO_SLOTS

struct virtio_kick {
	struct virtio_dev *dev;
	unsigned queue;
};

struct virtio_slots {
	struct virtio_blk blk[VM_MAX_DISKS];
	unsigned nblk;
	struct virtio_rng rng;
	bool has_rng;
	struct vsock_dev vsock;
	bool has_vsock;
	struct virtio_dev *dev[VIRTIO_SLOTS_MAX];
	unsigned n;
	struct virtio_kick kicks[VIRTIO_SLOTS_MAX * VIRTIO_MAX_QUEUES];
	unsigned nkicks;
};

extern const unsigned virtio_slot_gsi[VIRTIO_SLOTS_MAX];

/* Opens (and locks) the backing files: errors here are the user's to fix. */
int virtio_slots_open(struct virtio_slots *s, const struct vm_config *cfg, struct err *e);
/* Writes cmdline plus one virtio_mmio.device= per slot into out. */
int virtio_slots_cmdline(const struct virtio_slots *s, const char *cmdline, char *out, size_t len, struct err *e);
/* Puts the devices on the MMIO bus and their queues in the I/O loop. */
int virtio_slots_attach(struct virtio_slots *s, struct guest_mem *mem, struct kvm_vm *kvm, struct io_bus *mmio,
			struct event_loop *loop, struct err *e);
void virtio_slots_close(struct virtio_slots *s);

#endif
