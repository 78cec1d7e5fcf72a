#include "boot/elf_pvh.h"

#include <elf.h>
#include <string.h>

#include "abi/platform.h"
#include "abi/pvh.h"

static int range_ok(uint64_t off, uint64_t size, uint64_t len)
{
	return off <= len && size <= len - off;
}

/* Walks the notes of one PT_NOTE segment: the first PVH note sets
 * out->entry and *have_entry, vmm's NO_PIT and NO_ACPI notes out->no_pit
 * and out->no_acpi. */
static void read_notes(const uint8_t *p, uint64_t size, struct pvh_image *out, int *have_entry)
{
	uint64_t off = 0;

	while (size - off >= 12) {
		uint32_t namesz, descsz, type;
		uint64_t name_off, desc_off, next;

		memcpy(&namesz, p + off, 4);
		memcpy(&descsz, p + off + 4, 4);
		memcpy(&type, p + off + 8, 4);
		name_off = off + 12;
		desc_off = name_off + (((uint64_t)namesz + 3) & ~3ull);
		next = desc_off + (((uint64_t)descsz + 3) & ~3ull);
		if (desc_off > size || next > size)
			return;
		if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 && memcmp(p + name_off, "Xen", 4) == 0 &&
		    !*have_entry) {
			if (descsz == 4) {
				uint32_t v;
				memcpy(&v, p + desc_off, 4);
				out->entry = v;
				*have_entry = 1;
			} else if (descsz == 8) {
				memcpy(&out->entry, p + desc_off, 8);
				*have_entry = 1;
			}
		}
		if ((type == VMM_ELFNOTE_NO_PIT || type == VMM_ELFNOTE_NO_ACPI) &&
		    namesz == sizeof VMM_ELFNOTE_NAME &&
		    memcmp(p + name_off, VMM_ELFNOTE_NAME, sizeof VMM_ELFNOTE_NAME) == 0) {
			if (type == VMM_ELFNOTE_NO_PIT)
				out->no_pit = true;
			else
				out->no_acpi = true;
		}
		off = next;
	}
}

/* Boot firmware (firmware/) lives below 1 MiB, between vmm's boot data
 * (start_info, GDT, command line) and the EBDA, where no kernel it loads
 * may go. */
#define FIRMWARE_LOW_MIN GPA_START_INFO_END

static int check(const uint8_t *elf, size_t len, const struct guest_mem *m, int firmware, struct pvh_image *out,
		 struct err *e)
{
	Elf64_Ehdr eh;
	struct pvh_image notes = { 0 };
	uint64_t entry, lowest = UINT64_MAX, highest = 0;
	int have_entry = 0, have_load = 0;

	if (len < EI_NIDENT || memcmp(elf, ELFMAG, SELFMAG) != 0)
		return err_set(e, "not an ELF file");
	if (elf[EI_CLASS] != ELFCLASS64)
		return err_set(e, "not a 64-bit ELF file (ELF class %u)", elf[EI_CLASS]);
	if (len < sizeof eh)
		return err_set(e, "truncated ELF header (%zu bytes)", len);
	memcpy(&eh, elf, sizeof eh);
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return err_set(e, "not a little-endian ELF file");
	if (eh.e_machine != EM_X86_64)
		return err_set(e, "ELF machine %u is not x86-64", eh.e_machine);
	if (eh.e_type != ET_EXEC)
		return err_set(e, "ELF type %u is not an executable", eh.e_type);
	if (eh.e_phnum == 0)
		return err_set(e, "ELF file has no program headers");
	if (eh.e_phentsize != sizeof(Elf64_Phdr) ||
	    !range_ok(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), len))
		return err_set(e, "truncated or malformed ELF program headers");

	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, elf + eh.e_phoff + i * sizeof ph, sizeof ph);
		if (ph.p_type == PT_NOTE) {
			if (!range_ok(ph.p_offset, ph.p_filesz, len))
				return err_set(e, "ELF note segment %u lies past the end of the file", i);
			read_notes(elf + ph.p_offset, ph.p_filesz, &notes, &have_entry);
			continue;
		}
		if (ph.p_type != PT_LOAD)
			continue;
		/* Checked before the empty-segment skip: a segment with no memory
		 * but file bytes must not reach the copy in pvh_load. */
		if (ph.p_filesz > ph.p_memsz)
			return err_set(e, "ELF segment %u: file size exceeds memory size", i);
		if (ph.p_memsz == 0)
			continue;
		if (!range_ok(ph.p_offset, ph.p_filesz, len))
			return err_set(e, "ELF segment %u lies past the end of the file (truncated?)", i);
		if (ph.p_paddr + ph.p_memsz < ph.p_paddr)
			return err_set(e, "ELF segment %u wraps around the address space", i);
		if (ph.p_paddr < GPA_KERNEL_MIN &&
		    !(firmware && ph.p_paddr >= FIRMWARE_LOW_MIN && ph.p_paddr + ph.p_memsz <= GPA_EBDA))
			return err_set(e, "ELF segment %u at 0x%llx overlaps the boot area below 1 MiB", i,
				       (unsigned long long)ph.p_paddr);
		if (ph.p_paddr < MMIO_HOLE_END && ph.p_paddr + ph.p_memsz > MMIO_HOLE_START)
			return err_set(e, "ELF segment %u (0x%llx-0x%llx) overlaps the MMIO hole", i,
				       (unsigned long long)ph.p_paddr,
				       (unsigned long long)(ph.p_paddr + ph.p_memsz));
		if (!guest_mem_ptr(m, ph.p_paddr, ph.p_memsz))
			return err_set(e, "ELF segment %u (0x%llx-0x%llx) lies outside guest RAM (%llu MiB); try a larger --mem",
				       i, (unsigned long long)ph.p_paddr,
				       (unsigned long long)(ph.p_paddr + ph.p_memsz),
				       (unsigned long long)(m->size >> 20));
		if (ph.p_paddr < lowest)
			lowest = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > highest)
			highest = ph.p_paddr + ph.p_memsz;
		have_load = 1;
	}
	if (!have_load)
		return err_set(e, "ELF file has no loadable segments");
	if (!have_entry)
		return err_set(e, "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY): the kernel must be built with PVH support");

	/* The entry must be code we loaded, not a stray address. */
	entry = notes.entry;
	have_entry = 0;
	for (unsigned i = 0; i < eh.e_phnum && !have_entry; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, elf + eh.e_phoff + i * sizeof ph, sizeof ph);
		if (ph.p_type == PT_LOAD && entry >= ph.p_paddr && entry - ph.p_paddr < ph.p_filesz)
			have_entry = 1;
	}
	if (!have_entry)
		return err_set(e, "PVH entry 0x%llx is outside every loaded segment", (unsigned long long)entry);
	if (entry > 0xffffffffull)
		return err_set(e, "PVH entry 0x%llx is above 4 GiB, unreachable in 32-bit mode", (unsigned long long)entry);

	out->entry = entry;
	out->no_pit = notes.no_pit;
	out->no_acpi = notes.no_acpi;
	out->lowest = lowest;
	out->highest = highest;
	return 0;
}

int pvh_check(const uint8_t *elf, size_t len, const struct guest_mem *m, struct pvh_image *out, struct err *e)
{
	return check(elf, len, m, 0, out, e);
}

static int load(const uint8_t *elf, size_t len, struct guest_mem *m, int firmware, struct pvh_image *out,
		struct err *e)
{
	Elf64_Ehdr eh;

	if (check(elf, len, m, firmware, out, e) < 0)
		return -1;
	memcpy(&eh, elf, sizeof eh);
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, elf + eh.e_phoff + i * sizeof ph, sizeof ph);
		if (ph.p_type == PT_LOAD && ph.p_memsz > 0 && ph.p_filesz > 0)
			memcpy(guest_mem_ptr(m, ph.p_paddr, ph.p_memsz), elf + ph.p_offset, ph.p_filesz);
	}
	return 0;
}

int pvh_load(const uint8_t *elf, size_t len, struct guest_mem *m, struct pvh_image *out, struct err *e)
{
	return load(elf, len, m, 0, out, e);
}

int pvh_load_firmware(const uint8_t *elf, size_t len, struct guest_mem *m, struct pvh_image *out, struct err *e)
{
	return load(elf, len, m, 1, out, e);
}
