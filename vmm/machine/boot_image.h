/* Direct boot: puts a PVH kernel, its initrd and every table the kernel reads
 * at entry into fresh guest RAM. */
#ifndef VMM_MACHINE_BOOT_IMAGE_H
#define VMM_MACHINE_BOOT_IMAGE_H

#include <stdint.h>

#include "machine/config.h"
#include "mem/guest_mem.h"
#include "util/err.h"

struct boot_entry {
	uint64_t rip;        /* 32-bit PVH entry */
	uint64_t start_info; /* for %ebx */
};

int boot_image_load(const struct vm_config *cfg, struct guest_mem *m, struct boot_entry *out, struct err *e);

#endif
