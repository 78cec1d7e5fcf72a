/* The PVH loader against hand-built ELF images, good and bad. */
#include <check.h>
#include <elf.h>
#include <stdbool.h>
#include <string.h>

#include "check_suite.h"
#include "boot/elf_pvh.h"
#include "abi/platform.h"
#include "abi/pvh.h"
#include "unit/suites.h"

#define MEM (16ull << 20)

struct seg {
	uint64_t paddr, filesz, memsz;
};

struct spec {
	int nseg;
	struct seg seg[3];
	bool note;
	uint32_t desc_size;
	uint64_t entry;
	const char *vmm_note; /* after the PVH note: one of vmm's, with this name (NULL: none) */
	uint32_t vmm_type;
};

static uint8_t image[0x8000];
static struct guest_mem mem;

static void setup(void)
{
	struct err e;

	ck_assert_int_eq(guest_mem_alloc(&mem, MEM, &e), 0);
}

static void teardown(void)
{
	guest_mem_free(&mem);
}

/* Headers at 0, program headers at 64, the note at 0x400, segment i's bytes at
 * 0x1000 * (i + 1) filled with 0xa0 + i. Returns the file size. */
static size_t build(const struct spec *s)
{
	Elf64_Ehdr eh = { 0 };
	int nph = s->nseg + (s->note ? 1 : 0);
	size_t size = 0x1000 * (size_t)(s->nseg + 1);

	memset(image, 0, sizeof image);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = s->entry;
	eh.e_phoff = 64;
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (uint16_t)nph;
	eh.e_ehsize = sizeof eh;
	memcpy(image, &eh, sizeof eh);
	for (int i = 0; i < s->nseg; i++) {
		Elf64_Phdr ph = { .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0x1000 * (uint64_t)(i + 1),
				  .p_vaddr = s->seg[i].paddr, .p_paddr = s->seg[i].paddr,
				  .p_filesz = s->seg[i].filesz, .p_memsz = s->seg[i].memsz, .p_align = 0x1000 };
		memcpy(image + 64 + i * sizeof ph, &ph, sizeof ph);
		memset(image + ph.p_offset, 0xa0 + i, s->seg[i].filesz < 0x1000 ? s->seg[i].filesz : 0x1000);
	}
	if (s->note) {
		uint32_t hdr[3] = { 4, s->desc_size, 18 };
		Elf64_Phdr ph = { .p_type = PT_NOTE, .p_offset = 0x400, .p_filesz = 12 + 4 + s->desc_size };
		memcpy(image + 0x400, hdr, sizeof hdr);
		memcpy(image + 0x40c, "Xen", 4);
		memcpy(image + 0x410, &s->entry, s->desc_size);
		if (s->vmm_note) {
			uint32_t vh[3] = { (uint32_t)strlen(s->vmm_note) + 1, 0, s->vmm_type };

			memcpy(image + 0x400 + ph.p_filesz, vh, sizeof vh);
			memcpy(image + 0x400 + ph.p_filesz + 12, s->vmm_note, vh[0]);
			ph.p_filesz += 12 + ((vh[0] + 3) & ~3u);
		}
		memcpy(image + 64 + s->nseg * sizeof ph, &ph, sizeof ph);
	}
	return size;
}

static struct spec good(void)
{
	struct spec s = { 1, { { 0x100000, 0x800, 0x2000 } }, true, 4, 0x100010, NULL, 0 };
	return s;
}

static void expect_error(const struct spec *s, size_t len, const char *needle)
{
	struct pvh_image img;
	struct err e = { "" };
	size_t n = build(s);

	ck_assert_int_lt(pvh_load(image, len ? len : n, &mem, &img, &e), 0);
	ck_assert_msg(strstr(e.msg, needle), "error '%s' lacks '%s'", e.msg, needle);
}

START_TEST(loads_good_image)
{
	struct spec s = good();
	struct pvh_image img;
	struct err e = { "" };
	size_t n = build(&s);
	uint8_t *p;

	ck_assert_int_eq(pvh_load(image, n, &mem, &img, &e), 0);
	ck_assert_uint_eq(img.entry, 0x100010);
	ck_assert_uint_eq(img.lowest, 0x100000);
	ck_assert_uint_eq(img.highest, 0x102000);
	p = guest_mem_ptr(&mem, 0x100000, 0x2000);
	ck_assert_uint_eq(p[0], 0xa0);
	ck_assert_uint_eq(p[0x7ff], 0xa0);
	ck_assert_uint_eq(p[0x800], 0); /* bss stays zero */
}
END_TEST

/* vmm's own notes (abi/pvh.h): each type sets its flag; another owner's
 * note of a type vmm knows, or a type vmm does not know, says nothing. */
START_TEST(reads_vmms_notes)
{
	static const struct {
		const char *owner; /* NULL: no note */
		uint32_t type;
		bool no_pit, no_acpi;
	} cases[] = {
		{ NULL, 0, false, false }, /* a PIT and ACPI tables, as on a PC */
		{ "vmm", VMM_ELFNOTE_NO_PIT, true, false },
		{ "vmm", VMM_ELFNOTE_NO_ACPI, false, true },
		{ "vmmx", VMM_ELFNOTE_NO_PIT, false, false },
		{ "vmmx", VMM_ELFNOTE_NO_ACPI, false, false },
		{ "vmm", 3, false, false },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct spec s = good();
		struct pvh_image img;
		struct err e = { "" };

		s.vmm_note = cases[i].owner;
		s.vmm_type = cases[i].type;
		ck_assert_int_eq(pvh_load(image, build(&s), &mem, &img, &e), 0);
		ck_assert_msg(img.no_pit == cases[i].no_pit && img.no_acpi == cases[i].no_acpi,
			      "note %s/%u: no_pit %d, no_acpi %d", cases[i].owner ? cases[i].owner : "(none)",
			      cases[i].type, img.no_pit, img.no_acpi);
		ck_assert_uint_eq(img.entry, 0x100010);
	}
}
END_TEST

START_TEST(loads_eight_byte_note_and_two_segments)
{
	struct spec s = good();
	struct pvh_image img;
	struct err e = { "" };

	s.desc_size = 8;
	s.nseg = 2;
	s.seg[1] = (struct seg){ 0x200000, 0x100, 0x100 };
	s.entry = 0x200004;
	ck_assert_int_eq(pvh_load(image, build(&s), &mem, &img, &e), 0);
	ck_assert_uint_eq(img.entry, 0x200004);
	ck_assert_uint_eq(img.highest, 0x200100);
	ck_assert_uint_eq(((uint8_t *)guest_mem_ptr(&mem, 0x200000, 1))[0], 0xa1);
}
END_TEST

START_TEST(rejects_truncated_files)
{
	struct spec s = good();

	expect_error(&s, 3, "not an ELF");
	expect_error(&s, 40, "truncated ELF header");
	expect_error(&s, 64 + 20, "program headers");
	expect_error(&s, 0x1000 + 0x10, "past the end of the file");
}
END_TEST

START_TEST(rejects_wrong_class_and_machine)
{
	struct spec s = good();
	struct pvh_image img;
	struct err e = { "" };
	size_t n = build(&s);

	image[EI_CLASS] = ELFCLASS32;
	ck_assert_int_lt(pvh_load(image, n, &mem, &img, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "64-bit"));
	n = build(&s);
	image[18] = EM_386;
	image[19] = 0;
	ck_assert_int_lt(pvh_load(image, n, &mem, &img, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "not x86-64"));
	n = build(&s);
	image[EI_DATA] = ELFDATA2MSB;
	ck_assert_int_lt(pvh_load(image, n, &mem, &img, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "little-endian"));
}
END_TEST

START_TEST(rejects_segments_outside_ram)
{
	struct spec s = good();

	s.seg[0] = (struct seg){ MEM - 0x1000, 0x800, 0x2000 };
	s.entry = MEM - 0x1000;
	expect_error(&s, 0, "outside guest RAM");
	s.seg[0] = (struct seg){ 0x1000, 0x800, 0x800 };
	s.entry = 0x1000;
	expect_error(&s, 0, "boot area");
	s.seg[0] = (struct seg){ 0xfffffffffffff000ull, 0x800, 0x2000 };
	s.entry = 0xfffffffffffff000ull;
	expect_error(&s, 0, "wraps");
}
END_TEST

START_TEST(rejects_segments_in_mmio_hole)
{
	struct spec s = good();

	s.seg[0] = (struct seg){ MMIO_HOLE_START - 0x1000, 0x800, 0x2000 };
	s.entry = MMIO_HOLE_START - 0x1000;
	expect_error(&s, 0, "MMIO hole");
	s.seg[0] = (struct seg){ 0xfee00000, 0x800, 0x800 };
	s.entry = 0xfee00000;
	expect_error(&s, 0, "MMIO hole");
}
END_TEST

START_TEST(rejects_entry_outside_segments)
{
	struct spec s = good();

	s.entry = 0x300000;
	expect_error(&s, 0, "outside every loaded segment");
	s.entry = 0x100900; /* in bss: not loaded code */
	expect_error(&s, 0, "outside every loaded segment");
}
END_TEST

START_TEST(rejects_missing_note)
{
	struct spec s = good();

	s.note = false;
	expect_error(&s, 0, "no PVH entry note");
	s.note = true;
	s.desc_size = 2;
	expect_error(&s, 0, "no PVH entry note");
}
END_TEST

START_TEST(rejects_file_size_over_memory_size)
{
	struct spec s = good();

	s.seg[0].filesz = 0x3000;
	expect_error(&s, 0, "file size exceeds memory size");
	/* An empty segment with file bytes (found by fuzzing: it used to be
	 * skipped by the checks and then copied with its file size). */
	s = good();
	s.nseg = 2;
	s.seg[1] = (struct seg){ 0x200000, 0x800, 0 };
	expect_error(&s, 0, "segment 1: file size exceeds memory size");
}
END_TEST

/* Boot firmware (firmware/) may load between vmm's command line and the
 * EBDA; kernels may not, and firmware may not reach the boot tables. */
START_TEST(firmware_loads_low)
{
	struct spec s = good();
	struct pvh_image img;
	struct err e = { "" };
	size_t n;

	s.seg[0] = (struct seg){ 0x30000, 0x800, 0x40000 };
	s.entry = 0x30010;
	n = build(&s);
	ck_assert_int_lt(pvh_load(image, n, &mem, &img, &e), 0);
	ck_assert_int_eq(pvh_load_firmware(image, n, &mem, &img, &e), 0);
	ck_assert_uint_eq(img.entry, 0x30010);
	s.seg[0] = (struct seg){ 0x90000, 0x800, 0x10000 }; /* over the EBDA */
	s.entry = 0x90010;
	n = build(&s);
	ck_assert_int_lt(pvh_load_firmware(image, n, &mem, &img, &e), 0);
	s.seg[0] = (struct seg){ 0x7000, 0x800, 0x800 }; /* over vmm's command line */
	s.entry = 0x7010;
	n = build(&s);
	ck_assert_int_lt(pvh_load_firmware(image, n, &mem, &img, &e), 0);
	ck_assert_msg(strstr(e.msg, "boot area"), "%s", e.msg);
}
END_TEST

Suite *elf_pvh_suite(void)
{
	const TTest *const tests[] = {
		loads_good_image, loads_eight_byte_note_and_two_segments, rejects_truncated_files,
		rejects_wrong_class_and_machine, rejects_segments_outside_ram, rejects_segments_in_mmio_hole,
		rejects_entry_outside_segments, rejects_missing_note, rejects_file_size_over_memory_size,
		firmware_loads_low, reads_vmms_notes, NULL,
	};

	return one_case_suite("elf_pvh", "load", 0, setup, teardown, tests);
}
