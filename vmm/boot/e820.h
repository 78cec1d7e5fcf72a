/* The guest's memory map (e820 types, as PVH's memmap carries them). */
#ifndef VMM_BOOT_E820_H
#define VMM_BOOT_E820_H

#include <stdint.h>

#include "abi/pvh.h" /* E820_RAM, E820_RESERVED, E820_ACPI */

#define E820_MAX 8

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/* Fills map for a guest with mem_size bytes of RAM laid out as in abi/platform.h.
 * Returns the number of entries. */
int e820_build(uint64_t mem_size, struct e820_entry map[E820_MAX]);

#endif
