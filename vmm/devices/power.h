/* The power device: how a guest powers off (with an exit code) or resets.
 * Eight I/O ports at PORT_POWER (0x600):
 *   +0  ACPI sleep control (8-bit write): SLP_EN | SLP_TYP=5 (0x34) powers off, code 0
 *   +1  ACPI sleep status (8-bit read): always 0
 *   +2  ACPI reset register (8-bit write): ACPI_RESET_VALUE (0x01) resets
 *   +4  exit code (8/16/32-bit write): powers off; vmm exits with the value's low 8 bits
 *   +5  shutdown request (8-bit read): 1 once the host asked for a cooperative
 *       power-off (SIGPWR to vmm); the host also pulses IRQ 9 then
 * The FADT points Linux at +0 and +2; test guests and our site kernel use +4/+5. */
#ifndef VMM_DEVICES_POWER_H
#define VMM_DEVICES_POWER_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/vm_request.h"

#define POWER_IRQ 9

struct power_dev {
	const struct vm_requester *req;
	int shutdown_requested;
};

/* io_bus handler; opaque is a struct power_dev. */
void power_io(void *dev, uint64_t offset, uint8_t *data, uint32_t size, bool is_write);
void power_request_shutdown(struct power_dev *p);

#endif
