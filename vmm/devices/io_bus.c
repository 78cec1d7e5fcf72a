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
	b->r[b->n++] = (struct io_range){ base, len, fn, NULL, opaque };
	return 0;
}

int io_bus_set_string_out(struct io_bus *b, uint64_t base, io_string_out_fn fn, struct err *e)
{
	for (unsigned i = 0; i < b->n; i++)
		if (b->r[i].base == base) {
			b->r[i].string_out = fn;
			return 0;
		}
	return err_set(e, "no device range at 0x%llx", (unsigned long long)base);
}

static struct io_range *find(struct io_bus *b, uint64_t addr)
{
	for (unsigned i = 0; i < b->n; i++)
		if (addr >= b->r[i].base && addr - b->r[i].base < b->r[i].len)
			return &b->r[i];
	return NULL;
}

bool io_bus_access(struct io_bus *b, uint64_t addr, uint8_t *data, uint32_t size, bool is_write)
{
	struct io_range *r = find(b, addr);

	if (r) {
		r->fn(r->opaque, addr - r->base, data, size, is_write);
		return true;
	}
	if (!is_write)
		memset(data, 0xff, size);
	__atomic_add_fetch(&b->unclaimed, 1, __ATOMIC_RELAXED);
	return false;
}

bool io_bus_access_string(struct io_bus *b, uint64_t addr, uint8_t *data, uint32_t size, uint32_t count,
			  bool is_write)
{
	struct io_range *r = find(b, addr);

	if (r && is_write && r->string_out) {
		r->string_out(r->opaque, addr - r->base, data, size, count);
		return true;
	}
	for (uint32_t i = 0; i < count; i++, data += size)
		io_bus_access(b, addr, data, size, is_write);
	return r != NULL;
}
