/* Writes what a PVH kernel finds at entry: start_info, memory map, command
 * line and module list. */
#ifndef VMM_BOOT_START_INFO_H
#define VMM_BOOT_START_INFO_H

#include <stdint.h>

#include "mem/guest_mem.h"
#include "util/err.h"

struct boot_module {
	uint64_t paddr;
	uint64_t size;
};

/* Returns the guest-physical address of start_info (for %ebx at entry). */
int start_info_write(struct guest_mem *m, const char *cmdline, const struct boot_module *initrd,
		     uint64_t rsdp_paddr, uint64_t *start_info_gpa, struct err *e);

#endif
