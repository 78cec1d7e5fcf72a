#include "devices/i8042.h"

#include <string.h>

#define I8042_CMD_RESET 0xfe

void i8042_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t size, bool is_write)
{
	const struct vm_requester *r = opaque;

	if (!is_write) {
		/* No keyboard: status says both buffers are empty, data reads 0. */
		memset(data, offset == 0 || offset == 4 ? 0 : 0xff, size);
		return;
	}
	if (offset == 4 && data[0] == I8042_CMD_RESET)
		r->fn(r->opaque, VM_REQ_RESET, 0);
}
