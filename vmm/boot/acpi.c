#include "boot/acpi.h"

#include <string.h>

#include "abi/platform.h"

#define OEM_ID       "VMMVMM"
#define OEM_TABLE_ID "VMMTABLE"

struct cursor {
	uint8_t *base; /* host view of GPA_ACPI */
	uint64_t used;
	uint64_t cap;
};

static uint8_t checksum(const uint8_t *p, uint64_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Reserves len bytes at the given alignment; returns the host pointer (zeroed). */
static uint8_t *take(struct cursor *c, uint64_t len, uint64_t align, uint64_t *gpa)
{
	uint64_t off = (c->used + align - 1) & ~(align - 1);

	if (off + len > c->cap)
		return NULL;
	c->used = off + len;
	*gpa = GPA_ACPI + off;
	memset(c->base + off, 0, len);
	return c->base + off;
}

static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, OEM_ID, 6);
	memcpy(t + 16, OEM_TABLE_ID, 8);
	put32(t + 24, 1);
	memcpy(t + 28, "VMM ", 4);
	put32(t + 32, 1);
}

static void finish(uint8_t *t, uint32_t len)
{
	t[9] = 0;
	t[9] = checksum(t, len);
}

/* A Generic Address Structure for one byte in I/O space. */
static void gas_io8(uint8_t *p, uint16_t port)
{
	p[0] = 1; /* system I/O */
	p[1] = 8;
	p[2] = 0;
	p[3] = 1; /* byte access */
	put64(p + 4, port);
}

static int build_dsdt(struct cursor *c, uint64_t *gpa)
{
	/* Name (_S5, Package (4) { 5, 0, 0, 0 }): the sleep type for power-off. */
	static const uint8_t aml[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x04,
				       0x0a, ACPI_SLP_TYP_S5, 0x00, 0x00, 0x00 };
	uint32_t len = 36 + sizeof aml;
	uint8_t *t = take(c, len, 16, gpa);

	if (!t)
		return -1;
	header(t, "DSDT", len, 2);
	memcpy(t + 36, aml, sizeof aml);
	finish(t, len);
	return 0;
}

static int build_fadt(struct cursor *c, uint64_t dsdt, uint64_t *gpa)
{
	uint32_t len = 276;
	uint8_t *t = take(c, len, 16, gpa);

	if (!t)
		return -1;
	header(t, "FACP", len, 6);
	put32(t + 40, (uint32_t)dsdt);
	put16(t + 109, 0x0004 | 0x0020);      /* IAPC_BOOT_ARCH: no VGA, no CMOS RTC */
	put32(t + 112, (1u << 20) | (1u << 10)); /* HW_REDUCED_ACPI, RESET_REG_SUP */
	gas_io8(t + 116, PORT_POWER + 2);      /* RESET_REG */
	t[128] = ACPI_RESET_VALUE;
	t[131] = 3;                           /* FADT minor version: 6.3 */
	put64(t + 140, dsdt);                 /* X_DSDT */
	gas_io8(t + 244, PORT_POWER);         /* SLEEP_CONTROL_REG */
	gas_io8(t + 256, PORT_POWER + 1);     /* SLEEP_STATUS_REG */
	memcpy(t + 268, "VMMVMMVM", 8);       /* hypervisor vendor identity */
	finish(t, len);
	return 0;
}

static int build_madt(struct cursor *c, unsigned ncpus, uint64_t *gpa)
{
	uint32_t len = 44 + 8 * ncpus + 12;
	uint8_t *t = take(c, len, 16, gpa), *p;

	if (!t)
		return -1;
	header(t, "APIC", len, 4);
	put32(t + 36, (uint32_t)GPA_LAPIC);
	put32(t + 40, 1); /* PCAT_COMPAT: the (in-kernel) 8259 pair exists */
	p = t + 44;
	for (unsigned i = 0; i < ncpus; i++, p += 8) {
		p[0] = 0;         /* processor local APIC */
		p[1] = 8;
		p[2] = (uint8_t)i; /* ACPI processor UID */
		p[3] = (uint8_t)i; /* APIC ID = vCPU index */
		put32(p + 4, 1);  /* enabled */
	}
	p[0] = 1; /* I/O APIC */
	p[1] = 12;
	p[2] = (uint8_t)ncpus; /* its ID follows the CPUs' */
	put32(p + 4, (uint32_t)GPA_IOAPIC);
	put32(p + 8, 0);
	finish(t, len);
	return 0;
}

int acpi_build(struct guest_mem *m, unsigned ncpus, uint64_t *rsdp_gpa, struct err *e)
{
	struct cursor c = { guest_mem_ptr(m, GPA_ACPI, GPA_ACPI_END - GPA_ACPI), 0, GPA_ACPI_END - GPA_ACPI };
	uint64_t rsdp, xsdt, madt, fadt, dsdt;
	uint8_t *r, *x;

	if (!c.base)
		return err_set(e, "guest memory too small for ACPI tables");
	r = take(&c, 36, 16, &rsdp);
	if (!r || build_dsdt(&c, &dsdt) < 0 || build_fadt(&c, dsdt, &fadt) < 0 ||
	    build_madt(&c, ncpus, &madt) < 0)
		return err_set(e, "ACPI tables do not fit below 1 MiB");
	x = take(&c, 36 + 16, 16, &xsdt);
	if (!x)
		return err_set(e, "ACPI tables do not fit below 1 MiB");
	header(x, "XSDT", 36 + 16, 1);
	put64(x + 36, fadt);
	put64(x + 44, madt);
	finish(x, 36 + 16);

	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, OEM_ID, 6);
	r[15] = 2; /* ACPI 2.0+: use the XSDT */
	put32(r + 20, 36);
	put64(r + 24, xsdt);
	r[8] = checksum(r, 20);
	r[32] = checksum(r, 36);
	*rsdp_gpa = rsdp;
	return 0;
}
