/* Dispatch of guest port and MMIO accesses to the device that claims the
 * address. Accesses nobody claims behave like an open bus: reads return all
 * ones, writes are dropped. */
#ifndef VMM_DEVICES_IO_BUS_H
#define VMM_DEVICES_IO_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

/* offset is relative to the range's base; size is 1, 2, 4 or 8. */
typedef void (*io_handler_fn)(void *opaque, uint64_t offset, uint8_t *data, uint32_t size, bool is_write);

#define IO_BUS_MAX 32

struct io_range {
	uint64_t base;
	uint64_t len;
	io_handler_fn fn;
	void *opaque;
};

struct io_bus {
	struct io_range r[IO_BUS_MAX];
	unsigned n;
	uint64_t unclaimed; /* accesses nobody answered, for diagnostics */
};

int io_bus_add(struct io_bus *b, uint64_t base, uint64_t len, io_handler_fn fn, void *opaque, struct err *e);
/* Returns true when a device claimed the access. */
bool io_bus_access(struct io_bus *b, uint64_t addr, uint8_t *data, uint32_t size, bool is_write);

#endif
