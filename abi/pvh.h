/* The PVH direct-boot protocol (Xen's hvm_start_info, version 1), as vmm
 * hands it to a guest and Linux (CONFIG_PVH), QEMU, Firecracker and Cloud
 * Hypervisor use it: the kernel's ELF note names a 32-bit entry point, which
 * runs in flat protected mode with paging off and %ebx pointing at
 * struct hvm_start_info. Shared by vmm, the site kernel and the test guests. */
#ifndef ABI_PVH_H
#define ABI_PVH_H

#include <stddef.h>
#include <stdint.h>

#define XEN_ELFNOTE_PHYS32_ENTRY 18   /* note type in the "Xen" namespace */
/* vmm's own notes, in the "vmm" namespace (name "vmm", NUL-terminated):
 * what a kernel promises it does without, so that vmm need not build it.
 * VMM_ELFNOTE_NO_PIT (no desc): the kernel never touches the i8254 PIT
 * when it runs under KVM (it times with kvmclock, which every KVM offers),
 * so vmm creates no in-kernel PIT: a kernel thread and its state less per
 * VM. A kernel without the note gets a PIT, as on a PC.
 * VMM_ELFNOTE_NO_ACPI (no desc): the kernel never reads ACPI tables (it
 * knows the machine from this ABI), so vmm writes none and start_info's
 * rsdp_paddr is 0: a page of low RAM less per VM that is the VM's own. */
#define VMM_ELFNOTE_NAME         "vmm"
#define VMM_ELFNOTE_NO_PIT       1
#define VMM_ELFNOTE_NO_ACPI      2
#define HVM_START_MAGIC          0x336ec578u
#define HVM_START_VERSION        1

struct hvm_start_info {
	uint32_t magic;          /* HVM_START_MAGIC */
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;  /* struct hvm_modlist_entry[nr_modules]; module 0 is the initrd */
	uint64_t cmdline_paddr;  /* NUL-terminated */
	uint64_t rsdp_paddr;     /* ACPI RSDP */
	uint64_t memmap_paddr;   /* struct hvm_memmap_entry[memmap_entries] */
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

/* The memory map, in e820 terms. */
struct hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;           /* E820_* */
	uint32_t reserved;
};

#define E820_RAM      1
#define E820_RESERVED 2
#define E820_ACPI     3

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info is 56 bytes");
_Static_assert(offsetof(struct hvm_start_info, modlist_paddr) == 16, "hvm_start_info layout");
_Static_assert(offsetof(struct hvm_start_info, cmdline_paddr) == 24, "hvm_start_info layout");
_Static_assert(offsetof(struct hvm_start_info, rsdp_paddr) == 32, "hvm_start_info layout");
_Static_assert(offsetof(struct hvm_start_info, memmap_paddr) == 40, "hvm_start_info layout");
_Static_assert(offsetof(struct hvm_start_info, memmap_entries) == 48, "hvm_start_info layout");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry is 32 bytes");
_Static_assert(sizeof(struct hvm_memmap_entry) == 24, "hvm_memmap_entry is 24 bytes");
_Static_assert(offsetof(struct hvm_memmap_entry, type) == 16, "hvm_memmap_entry layout");

#endif
