/* The bulk console port (abi/platform.h, PORT_CONSOLE_BULK): console
 * output a whole buffer per exit, where the UART costs an exit per byte.
 * A record outside guest RAM or with a bad length is dropped and counted. */
#ifndef VMM_DEVICES_CONSOLE_PORT_H
#define VMM_DEVICES_CONSOLE_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/platform.h"
#include "mem/guest_mem.h"

struct console_port {
	const struct guest_mem *mem;
	void (*out)(void *opaque, const uint8_t *bytes, size_t len);
	void *opaque;
	uint64_t records;  /* written to the console */
	uint64_t rejected; /* dropped: outside RAM, length 0 or too long, wrong access size */
};

/* io_bus handler; dev is a struct console_port. */
void console_port_io(void *dev, uint64_t offset, uint8_t *data, uint32_t size, bool is_write);

#endif
