/* Just enough of the PC keyboard controller for its reset line: a write of
 * 0xfe to port 0x64 resets the machine (Linux's reboot=k, and many others).
 * Registered at 0x60-0x64: offset 0 is data, offset 4 command/status. */
#ifndef VMM_DEVICES_I8042_H
#define VMM_DEVICES_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/vm_request.h"

void i8042_io(void *requester, uint64_t offset, uint8_t *data, uint32_t size, bool is_write);

#endif
