/* The machine's virtio-mmio slots (abi/platform.h): slot i is at
 * GPA_VIRTIO_MMIO + i * 4 KiB with the i-th interrupt of virtio_slot_gsi[].
 * Slots go to the device types of machine/devices.c in their order, each
 * type getting as many as its configuration asks for. Guests find the slots
 * on the kernel command line in Linux's form, virtio_mmio.device=4K@ADDR:IRQ,
 * appended by us. */
#ifndef VMM_MACHINE_VIRTIO_SLOTS_H
#define VMM_MACHINE_VIRTIO_SLOTS_H

#include "abi/platform.h"
#include "devices/io_bus.h"
#include "machine/config.h"
#include "machine/device_type.h"

#define VIRTIO_SLOTS_MAX VIRTIO_MMIO_SLOTS

struct virtio_kick {
	struct virtio_dev *dev;
	unsigned queue;
};

struct virtio_slot {
	const struct device_type *type;
	void *state;   /* the type's instance, owned by the slot */
	unsigned index; /* instance number within its type */
	void *host;    /* its type's run-long resources, or NULL */
};

struct virtio_slots {
	struct virtio_slot slot[VIRTIO_SLOTS_MAX];
	unsigned n;
	struct virtio_kick kicks[VIRTIO_SLOTS_MAX * VIRTIO_MAX_QUEUES];
	unsigned nkicks;
};

/* Run-long resources of every configured device type (device_type.host_open),
 * indexed like device_types[]; claimed once before the first boot. */
struct virtio_hosts {
	void *host[DEVICE_TYPES_MAX];
};

extern const unsigned virtio_slot_gsi[VIRTIO_SLOTS_MAX];

int virtio_hosts_open(struct virtio_hosts *h, struct vm_config *cfg, struct err *e);
void virtio_hosts_close(struct virtio_hosts *h);

/* Opens every configured device instance (files, locks): errors here are the
 * user's to fix. hosts may be NULL (no run-long resources). */
int virtio_slots_open(struct virtio_slots *s, const struct vm_config *cfg, const struct virtio_hosts *hosts,
		      struct err *e);
/* Writes cmdline plus one virtio_mmio.device= per slot into out. */
int virtio_slots_cmdline(const struct virtio_slots *s, const char *cmdline, char *out, size_t len, struct err *e);
/* Binds each device's transport, puts it on the MMIO bus and its queues in the I/O loop. */
int virtio_slots_attach(struct virtio_slots *s, const struct device_env *env, struct io_bus *mmio, struct err *e);
/* --idle-stop (I/O thread): whether any device is in use now; *activity
 * gets the sum of their use counts (device_type.in_use). */
bool virtio_slots_in_use(const struct virtio_slots *s, uint64_t *activity);
/* --idle-stop (I/O thread): every device takes no new work from now on. */
void virtio_slots_quiesce(const struct virtio_slots *s);
void virtio_slots_close(struct virtio_slots *s);

#endif
