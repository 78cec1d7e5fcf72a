#include "machine/devices.h"

extern const struct device_type blk_device_type, rng_device_type, vsock_device_type;

/* One entry per device type (each defined in machine/dev_NAME.c); the order
 * is the order of their slots. */
const struct device_type *const device_types[] = {
	&blk_device_type,
	&rng_device_type,
	&vsock_device_type,
	NULL,
};
_Static_assert(sizeof device_types / sizeof *device_types <= DEVICE_TYPES_MAX + 1,
	       "vm_config and the option codes have room for DEVICE_TYPES_MAX types");
