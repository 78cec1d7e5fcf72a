#include "devices/io_bus.h"

#include <string.h>

int io_bus_add(struct io_bus *b, uint64_t base, uint64_t len, io_handler_fn fn, void *opaque, struct err *e)
{
	if (b->n == IO_BUS_MAX)
		return err_set(e, "too many devices on one bus");
	for (unsigned i = 0; i < b->n; i++)
		if (base < b->r[i].base + b->r[i].len && b->r[i].base < base + len)
			return err_set(e, "device range 0x%llx+%llu overlaps another", (unsigned long long)base,
				       (unsigned long long)len);
	b->r[b->n++] = (struct io_range){ base, len, fn, opaque };
	return 0;
}

bool io_bus_access(struct io_bus *b, uint64_t addr, uint8_t *data, uint32_t size, bool is_write)
{
	for (unsigned i = 0; i < b->n; i++) {
		struct io_range *r = &b->r[i];
		if (addr >= r->base && addr - r->base < r->len) {
			r->fn(r->opaque, addr - r->base, data, size, is_write);
			return true;
		}
	}
	if (!is_write)
		memset(data, 0xff, size);
	__atomic_add_fetch(&b->unclaimed, 1, __ATOMIC_RELAXED);
	return false;
}
