#include "devices/power.h"

#include <string.h>

#include "boot/acpi.h"

void power_request_shutdown(struct power_dev *p)
{
	__atomic_store_n(&p->shutdown_requested, 1, __ATOMIC_RELEASE);
}

void power_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t size, bool is_write)
{
	struct power_dev *p = opaque;
	const struct vm_requester *r = p->req;
	uint32_t v = 0;

	if (!is_write) {
		memset(data, 0, size);
		if (offset == POWER_REG_SHUTDOWN)
			data[0] = (uint8_t)__atomic_load_n(&p->shutdown_requested, __ATOMIC_ACQUIRE);
		return;
	}
	memcpy(&v, data, size < 4 ? size : 4);
	switch (offset) {
	case POWER_REG_SLEEP:
		if ((v & ACPI_SLP_EN) && ((v >> 2) & 7) == ACPI_SLP_TYP_S5)
			r->fn(r->opaque, VM_REQ_POWEROFF, 0);
		break;
	case POWER_REG_RESET:
		if ((v & 0xff) == ACPI_RESET_VALUE)
			r->fn(r->opaque, VM_REQ_RESET, 0);
		break;
	case POWER_REG_EXIT:
		r->fn(r->opaque, VM_REQ_POWEROFF, (int)(v & 0xff));
		break;
	default:
		break;
	}
}
