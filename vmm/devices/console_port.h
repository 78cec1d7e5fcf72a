/* The bulk console port: console output a whole buffer per exit.
 *
 * KVM emulates string I/O one element at a time, so a `rep outsb` of N bytes
 * to the UART costs N exits to the VMM (measured: an 80-byte access-log line
 * is ~80 exits). This vmm-specific port takes a buffer instead:
 *
 *   PORT_CONSOLE_BULK (0x610), 4 ports:
 *     32-bit read   returns CONSOLE_PORT_MAGIC ("VMMC"): the port exists
 *     32-bit write  the guest-physical address of a record below 4 GiB:
 *                   u32 length (1 to CONSOLE_PORT_MAX), then that many bytes,
 *                   written to the console as if sent through COM1
 *
 * A record outside guest RAM or with a bad length is dropped and counted.
 * On other VMMs the port reads as all ones, so a guest can probe for it. */
#ifndef VMM_DEVICES_CONSOLE_PORT_H
#define VMM_DEVICES_CONSOLE_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem/guest_mem.h"

#define CONSOLE_PORT_MAGIC 0x434d4d56u /* "VMMC" */
#define CONSOLE_PORT_MAX   (64u << 10)

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
