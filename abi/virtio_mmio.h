/* virtio over MMIO, version 2 (virtio 1.x, section 4.2.2): the register
 * window of one device, as vmm implements it and our guests drive it, plus
 * the promises vmm's devices make beyond the specification. */
#ifndef ABI_VIRTIO_MMIO_H
#define ABI_VIRTIO_MMIO_H

#include <stddef.h>
#include <stdint.h>

/* Register offsets in the window; every register is 32 bits wide. */
#define VIRTIO_MMIO_MAGIC_VALUE        0x000 /* "virt" */
#define VIRTIO_MMIO_VERSION            0x004 /* 2 */
#define VIRTIO_MMIO_DEVICE_ID          0x008 /* VIRTIO_ID_*; 0: empty slot */
#define VIRTIO_MMIO_VENDOR_ID          0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES    0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES    0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL          0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX      0x034
#define VIRTIO_MMIO_QUEUE_NUM          0x038
#define VIRTIO_MMIO_QUEUE_READY        0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY       0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS   0x060
#define VIRTIO_MMIO_INTERRUPT_ACK      0x064
#define VIRTIO_MMIO_STATUS             0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW     0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH    0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW   0x090 /* the avail ring */
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH  0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW   0x0a0 /* the used ring */
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH  0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION  0x0fc
#define VIRTIO_MMIO_CONFIG             0x100 /* device-specific configuration */

#define VIRTIO_MMIO_MAGIC              0x74726976u /* "virt", little endian */
#define VIRTIO_MMIO_VERSION_2          2

/* Device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE      1
#define VIRTIO_STATUS_DRIVER           2
#define VIRTIO_STATUS_DRIVER_OK        4
#define VIRTIO_STATUS_FEATURES_OK      8
#define VIRTIO_STATUS_NEEDS_RESET      64
#define VIRTIO_STATUS_FAILED           128

/* InterruptStatus bits. */
#define VIRTIO_INT_USED_BUFFER         1
#define VIRTIO_INT_CONFIG              2

#define VIRTIO_F_VERSION_1             (1ull << 32)

#define VIRTIO_ID_BLOCK                2
#define VIRTIO_ID_RNG                  4
#define VIRTIO_ID_VSOCK                19

/* vmm's VendorID ("VMM"). Its devices make one promise beyond the spec:
 * every interrupt is an edge (irqfd) whatever InterruptStatus holds, so a
 * driver that recognises this VendorID may skip the InterruptACK write (an
 * exit per wake-up) and still never miss an interrupt. */
#define VIRTIO_VENDOR_VMM              0x00564d4du

/* vmm's batched register interface, only on devices whose VendorID is
 * VIRTIO_VENDOR_VMM (a driver must read VendorID before writing here; other
 * VMMs do not have it). On a PVM host every register access that reaches
 * the VMM costs 16-34 us, so one exit that performs a whole sequence of
 * accesses replaces a device's ~30 set-up exits.
 *
 * The guest writes (32-bit write) the guest-physical address of a
 * virtio_mmio_batch record, 8-byte aligned and wholly in RAM below 4 GiB,
 * to VIRTIO_MMIO_VMM_BATCH. vmm copies the record, then performs its ops in
 * order, each exactly as the trapped 32-bit access to that register would
 * (same handler, same checks, same effects): an op whose reg has
 * VIRTIO_MMIO_BATCH_READ set reads the register (offset reg & ~READ) and
 * stores the value in op.value; otherwise it writes op.value. vmm stops at
 * the first op that is not allowed: an offset that is not 4-aligned, lies
 * outside the device's 4 KiB window (VIRTIO_MMIO_SLOT_SIZE, abi/platform.h;
 * bits 12-30 of reg set), or is VIRTIO_MMIO_VMM_BATCH itself (no
 * nesting); any other register is fine, the device configuration (0x100
 * up) and QueueNotify included. Before the write returns, vmm stores in
 * `done` the number of ops performed and, for each performed read, its
 * value. Ops not performed and the value fields of writes are left as the
 * guest wrote them.
 *
 * A record that cannot be used (address unaligned or not RAM, count over
 * VIRTIO_MMIO_BATCH_MAX, the ops not all in RAM) or an op not allowed is
 * guest misbehaviour: the device sets DEVICE_NEEDS_RESET and says why on
 * vmm's stderr, like any other (`done` is written when the record's header
 * was readable). Reading VIRTIO_MMIO_VMM_BATCH returns 0.
 *
 * Not a speed-up for the data path (queue notifications are ioeventfd-bound
 * and cost no exit to user space); it is for set-up. */
/* Unused in virtio 1.2's layout: its last queue/shared-memory registers end
 * at QueueReset (0x0c0), and ConfigGeneration is at 0x0fc. */
#define VIRTIO_MMIO_VMM_BATCH          0x0e0
#define VIRTIO_MMIO_BATCH_READ         0x80000000u
#define VIRTIO_MMIO_BATCH_MAX          32u

struct virtio_mmio_batch_op {
	uint32_t reg;   /* register offset, | VIRTIO_MMIO_BATCH_READ for a read */
	uint32_t value; /* written, or (read) filled in by vmm */
};

struct virtio_mmio_batch {
	uint32_t count; /* ops that follow, 0 to VIRTIO_MMIO_BATCH_MAX */
	uint32_t done;  /* set by vmm: ops performed (count when all were) */
	struct virtio_mmio_batch_op op[];
};

_Static_assert(sizeof(struct virtio_mmio_batch_op) == 8, "batch op: u32 reg, u32 value");
_Static_assert(sizeof(struct virtio_mmio_batch) == 8, "batch record: u32 count, u32 done, then the ops");
_Static_assert(offsetof(struct virtio_mmio_batch, done) == 4, "batch record: done at 4");
_Static_assert(offsetof(struct virtio_mmio_batch, op) == 8, "batch record: ops from 8");
_Static_assert(VIRTIO_MMIO_VMM_BATCH > VIRTIO_MMIO_QUEUE_DEVICE_HIGH && VIRTIO_MMIO_VMM_BATCH < VIRTIO_MMIO_CONFIG_GENERATION,
	       "the batch register lies in a gap of the standard layout");
_Static_assert((VIRTIO_MMIO_VMM_BATCH & 3) == 0, "registers are 32-bit aligned");
_Static_assert(0xfffu < VIRTIO_MMIO_BATCH_READ, "every offset in a 4 KiB window fits below the READ bit");
_Static_assert(8 + VIRTIO_MMIO_BATCH_MAX * 8 <= 4096, "a whole record fits in one page");

#endif
