#include "devices/console_port.h"

#include <stddef.h>
#include <string.h>

void console_port_io(void *dev, uint64_t offset, uint8_t *data, uint32_t size, bool is_write)
{
	struct console_port *p = dev;
	uint32_t gpa, len;
	const uint8_t *rec, *bytes;

	if (!is_write) {
		uint32_t v = offset == 0 && size == 4 ? CONSOLE_PORT_MAGIC : 0xffffffffu;

		memcpy(data, &v, size <= 4 ? size : 4);
		return;
	}
	if (offset != 0 || size != 4) {
		__atomic_add_fetch(&p->rejected, 1, __ATOMIC_RELAXED);
		return;
	}
	memcpy(&gpa, data, 4);
	rec = guest_mem_ptr(p->mem, gpa, sizeof(struct console_record));
	if (rec)
		memcpy(&len, rec + offsetof(struct console_record, len), sizeof len);
	/* The guest may change the bytes while we write them out: harmless,
	 * the range itself was checked and stays mapped. */
	if (!rec || len == 0 || len > CONSOLE_PORT_MAX || !(bytes = guest_mem_ptr(p->mem, (uint64_t)gpa + offsetof(struct console_record, bytes), len))) {
		__atomic_add_fetch(&p->rejected, 1, __ATOMIC_RELAXED);
		return;
	}
	p->out(p->opaque, bytes, len);
	__atomic_add_fetch(&p->records, 1, __ATOMIC_RELAXED);
}
