/* The power device: how a guest powers off (with an exit code) or resets;
 * its registers are part of the guest interface (abi/platform.h, PORT_POWER).
 * A cooperative power-off is asked for with SIGPWR to vmm. */
#ifndef VMM_DEVICES_POWER_H
#define VMM_DEVICES_POWER_H

#include <stdbool.h>
#include <stdint.h>

#include "abi/platform.h"
#include "devices/vm_request.h"

struct power_dev {
	const struct vm_requester *req;
	int shutdown_requested;
};

/* io_bus handler; opaque is a struct power_dev. */
void power_io(void *dev, uint64_t offset, uint8_t *data, uint32_t size, bool is_write);
void power_request_shutdown(struct power_dev *p);

#endif
