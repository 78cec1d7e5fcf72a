/* ACPI tables that tell the guest its CPUs, interrupt controllers and how to
 * power off and reset: RSDP -> XSDT -> MADT, FADT (hardware-reduced) -> DSDT.
 * Linux finds them through start_info.rsdp_paddr; test guests parse the MADT. */
#ifndef VMM_BOOT_ACPI_H
#define VMM_BOOT_ACPI_H

#include <stdint.h>

#include "abi/platform.h"
#include "mem/guest_mem.h"
#include "util/err.h"

/* Values the power device (devices/power.h) and the FADT agree on. */
#define ACPI_SLP_TYP_S5  5
#define ACPI_SLP_EN      0x20
#define ACPI_RESET_VALUE POWER_RESET_VALUE

/* Writes the tables at GPA_ACPI; returns the RSDP's address in *rsdp. */
int acpi_build(struct guest_mem *m, unsigned ncpus, uint64_t *rsdp, struct err *e);

#endif
