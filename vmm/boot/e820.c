#include "boot/e820.h"

#include "abi/platform.h"

int e820_build(uint64_t mem_size, struct e820_entry map[E820_MAX])
{
	uint64_t low = mem_size < MMIO_HOLE_START ? mem_size : MMIO_HOLE_START;
	int n = 0;

	map[n++] = (struct e820_entry){ 0, GPA_EBDA, E820_RAM };
	map[n++] = (struct e820_entry){ GPA_EBDA, 0xa0000 - GPA_EBDA, E820_RESERVED };
	map[n++] = (struct e820_entry){ GPA_ACPI, GPA_ACPI_END - GPA_ACPI, E820_ACPI };
	map[n++] = (struct e820_entry){ GPA_KERNEL_MIN, low - GPA_KERNEL_MIN, E820_RAM };
	/* The I/O and local APIC pages, reserved so guests leave them alone. */
	map[n++] = (struct e820_entry){ GPA_IOAPIC, 0x1000, E820_RESERVED };
	map[n++] = (struct e820_entry){ GPA_LAPIC, 0x1000, E820_RESERVED };
	if (mem_size > low)
		map[n++] = (struct e820_entry){ MMIO_HOLE_END, mem_size - low, E820_RAM };
	return n;
}
