/* Guest memory translation, the e820 map, start_info and the ACPI tables. */
#include <check.h>
#include <string.h>

#include "check_suite.h"
#include "boot/acpi.h"
#include "boot/e820.h"
#include "abi/platform.h"
#include "abi/pvh.h"
#include "boot/start_info.h"
#include "unit/suites.h"

static uint8_t sum(const uint8_t *p, uint32_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

START_TEST(translation_is_bounded)
{
	struct guest_mem m;
	struct err e;

	ck_assert_int_eq(guest_mem_alloc(&m, 16 << 20, &e), 0);
	ck_assert_ptr_eq(guest_mem_ptr(&m, 0, 16 << 20), m.host);
	ck_assert_ptr_nonnull(guest_mem_ptr(&m, (16 << 20) - 1, 1));
	ck_assert_ptr_null(guest_mem_ptr(&m, (16 << 20) - 1, 2));
	ck_assert_ptr_null(guest_mem_ptr(&m, 16 << 20, 1));
	ck_assert_ptr_null(guest_mem_ptr(&m, 0xfffffffffffffff0ull, 0x20));
	ck_assert_ptr_null(guest_mem_ptr(&m, MMIO_HOLE_END, 1));
	guest_mem_free(&m);
}
END_TEST

START_TEST(too_small_or_unaligned_memory_is_refused)
{
	struct guest_mem m;
	struct err e;

	ck_assert_int_lt(guest_mem_alloc(&m, 1 << 20, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "too small"));
	ck_assert_int_lt(guest_mem_alloc(&m, (16 << 20) + 1, &e), 0);
	ck_assert_int_lt(guest_mem_alloc(&m, 1ull << 50, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "more than this host can reserve"));
}
END_TEST

START_TEST(e820_small_guest)
{
	struct e820_entry map[E820_MAX];
	int n = e820_build(64 << 20, map);
	uint64_t ram = 0;

	ck_assert_int_eq(n, 6);
	for (int i = 0; i < n; i++) {
		if (map[i].type == E820_RAM)
			ram += map[i].size;
		if (i)
			ck_assert_uint_ge(map[i].addr, map[i - 1].addr + map[i - 1].size);
	}
	ck_assert_uint_eq(ram, (64 << 20) - (0x100000 - GPA_EBDA));
	ck_assert_uint_eq(map[3].addr, 0x100000);
	ck_assert_uint_eq(map[3].addr + map[3].size, 64 << 20);
}
END_TEST

START_TEST(e820_large_guest_splits_around_hole)
{
	struct e820_entry map[E820_MAX];
	int n = e820_build(5ull << 30, map);

	ck_assert_int_eq(n, 7);
	ck_assert_uint_eq(map[3].addr + map[3].size, MMIO_HOLE_START);
	ck_assert_uint_eq(map[6].addr, MMIO_HOLE_END);
	ck_assert_uint_eq(map[6].size, (5ull << 30) - MMIO_HOLE_START);
	ck_assert_uint_eq(map[6].type, E820_RAM);
}
END_TEST

START_TEST(start_info_layout)
{
	struct guest_mem m;
	struct err e;
	struct boot_module mod = { 0x800000, 0x1234 };
	uint64_t at;
	struct hvm_start_info *si;
	struct hvm_modlist_entry *ml;
	struct hvm_memmap_entry *mm;

	ck_assert_int_eq(guest_mem_alloc(&m, 16 << 20, &e), 0);
	ck_assert_int_eq(start_info_write(&m, "console=ttyS0", &mod, 0xe0000, &at, &e), 0);
	si = guest_mem_ptr(&m, at, sizeof *si);
	ck_assert_uint_eq(si->magic, HVM_START_MAGIC);
	ck_assert_uint_eq(si->version, 1);
	ck_assert_uint_eq(si->rsdp_paddr, 0xe0000);
	ck_assert_str_eq((char *)guest_mem_ptr(&m, si->cmdline_paddr, 14), "console=ttyS0");
	ck_assert_uint_eq(si->nr_modules, 1);
	ml = guest_mem_ptr(&m, si->modlist_paddr, sizeof *ml);
	ck_assert_uint_eq(ml->paddr, 0x800000);
	ck_assert_uint_eq(ml->size, 0x1234);
	ck_assert_uint_eq(si->memmap_entries, 6);
	mm = guest_mem_ptr(&m, si->memmap_paddr, sizeof *mm * si->memmap_entries);
	ck_assert_uint_eq(mm[0].type, E820_RAM);
	ck_assert_uint_eq(mm[3].addr, 0x100000);
	/* start_info, its lists, the boot GDT and a short command line share
	 * one page: each page vmm writes is a private page of every VM */
	ck_assert_uint_le(si->memmap_paddr + si->memmap_entries * sizeof *mm, GPA_BOOT_GDT);
	ck_assert_uint_eq(GPA_BOOT_GDT / 4096, at / 4096);
	ck_assert_uint_eq((si->cmdline_paddr + 2047) / 4096, at / 4096);
	guest_mem_free(&m);
}
END_TEST

START_TEST(start_info_refuses_long_cmdline)
{
	struct guest_mem m;
	struct err e;
	uint64_t at;
	static char big[CMDLINE_MAX + 1];

	memset(big, 'a', CMDLINE_MAX);
	ck_assert_int_eq(guest_mem_alloc(&m, 16 << 20, &e), 0);
	ck_assert_int_lt(start_info_write(&m, big, NULL, 0, &at, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "--cmdline"));
	guest_mem_free(&m);
}
END_TEST

static const uint8_t *find_table(struct guest_mem *m, const uint8_t *xsdt, const char *sig)
{
	uint32_t len;

	memcpy(&len, xsdt + 4, 4);
	for (uint32_t off = 36; off < len; off += 8) {
		uint64_t a;
		const uint8_t *t;

		memcpy(&a, xsdt + off, 8);
		t = guest_mem_ptr(m, a, 36);
		if (t && memcmp(t, sig, 4) == 0)
			return t;
	}
	return NULL;
}

START_TEST(acpi_tables_are_consistent)
{
	struct guest_mem m;
	struct err e;
	uint64_t rsdp_gpa, xsdt_gpa, dsdt_gpa;
	const uint8_t *rsdp, *xsdt, *madt, *fadt, *dsdt;
	uint32_t len;
	int cpus = 0;

	ck_assert_int_eq(guest_mem_alloc(&m, 16 << 20, &e), 0);
	ck_assert_int_eq(acpi_build(&m, 4, &rsdp_gpa, &e), 0);
	ck_assert_uint_ge(rsdp_gpa, GPA_ACPI);
	rsdp = guest_mem_ptr(&m, rsdp_gpa, 36);
	ck_assert_int_eq(memcmp(rsdp, "RSD PTR ", 8), 0);
	ck_assert_uint_eq(sum(rsdp, 20), 0);
	ck_assert_uint_eq(sum(rsdp, 36), 0);
	memcpy(&xsdt_gpa, rsdp + 24, 8);
	xsdt = guest_mem_ptr(&m, xsdt_gpa, 36);
	memcpy(&len, xsdt + 4, 4);
	ck_assert_uint_eq(sum(xsdt, len), 0);

	madt = find_table(&m, xsdt, "APIC");
	ck_assert_ptr_nonnull(madt);
	memcpy(&len, madt + 4, 4);
	ck_assert_uint_eq(sum(madt, len), 0);
	for (uint32_t off = 44; off < len; off += madt[off + 1])
		if (madt[off] == 0 && (madt[off + 4] & 1))
			ck_assert_int_eq(madt[off + 3], cpus++);
	ck_assert_int_eq(cpus, 4);

	fadt = find_table(&m, xsdt, "FACP");
	ck_assert_ptr_nonnull(fadt);
	memcpy(&len, fadt + 4, 4);
	ck_assert_uint_eq(sum(fadt, len), 0);
	memcpy(&dsdt_gpa, fadt + 140, 8);
	dsdt = guest_mem_ptr(&m, dsdt_gpa, 36);
	ck_assert_int_eq(memcmp(dsdt, "DSDT", 4), 0);
	memcpy(&len, dsdt + 4, 4);
	ck_assert_uint_eq(sum(dsdt, len), 0);
	ck_assert_int_eq(memcmp(dsdt + 37, "_S5_", 4), 0);
	guest_mem_free(&m);
}
END_TEST

Suite *boot_tables_suite(void)
{
	const TTest *const tests[] = {
		translation_is_bounded, too_small_or_unaligned_memory_is_refused, e820_small_guest,
		e820_large_guest_splits_around_hole, start_info_layout, start_info_refuses_long_cmdline,
		acpi_tables_are_consistent, NULL,
	};

	return one_case_suite("boot_tables", "tables", 0, NULL, NULL, tests);
}
