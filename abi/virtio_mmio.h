/* virtio over MMIO, version 2 (virtio 1.x, section 4.2.2): the register
 * window of one device, as vmm implements it and our guests drive it, plus
 * the promises vmm's devices make beyond the specification. */
#ifndef ABI_VIRTIO_MMIO_H
#define ABI_VIRTIO_MMIO_H

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

#endif
