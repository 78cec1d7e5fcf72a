/* The virtio device types `vmm run` offers (devices.c lists them), and the
 * per-type configuration kept in a vm_config. */
#ifndef VMM_MACHINE_DEVICES_H
#define VMM_MACHINE_DEVICES_H

#include "machine/device_type.h"

#define DEVICE_TYPES_MAX 8

/* NULL-terminated, in slot order: the guest sees devices in this order. */
extern const struct device_type *const device_types[];

#endif
