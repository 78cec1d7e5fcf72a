/* Loader for ELF64 kernels that carry a PVH entry note. Everything in the
 * file is untrusted: offsets, sizes and addresses are checked before use. */
#ifndef VMM_BOOT_ELF_PVH_H
#define VMM_BOOT_ELF_PVH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem/guest_mem.h"
#include "util/err.h"

struct pvh_image {
	uint64_t entry;   /* 32-bit PVH entry point (guest-physical) */
	uint64_t lowest;  /* lowest loaded guest-physical address */
	uint64_t highest; /* end of the highest loaded segment (exclusive) */
	bool no_pit;      /* the kernel's VMM_ELFNOTE_NO_PIT note (abi/pvh.h) */
	bool no_acpi;     /* its VMM_ELFNOTE_NO_ACPI note */
};

/* Validates the whole image, then copies its PT_LOAD segments into guest RAM.
 * Guest RAM must be fresh (zero), so bss needs no clearing. */
int pvh_load(const uint8_t *elf, size_t len, struct guest_mem *m, struct pvh_image *out, struct err *e);

/* pvh_load for boot firmware (firmware/): its segments may also lie in low
 * RAM between vmm's command line and the EBDA, below every kernel. */
int pvh_load_firmware(const uint8_t *elf, size_t len, struct guest_mem *m, struct pvh_image *out, struct err *e);

/* Validation only: finds the entry and the loaded range without copying. */
int pvh_check(const uint8_t *elf, size_t len, const struct guest_mem *m, struct pvh_image *out, struct err *e);

#endif
