#include "boot/start_info.h"

#include <string.h>

#include "boot/e820.h"
#include "abi/platform.h"
#include "abi/pvh.h"

int start_info_write(struct guest_mem *m, const char *cmdline, const struct boot_module *initrd,
		     uint64_t rsdp_paddr, uint64_t *start_info_gpa, struct err *e)
{
	struct e820_entry map[E820_MAX];
	int n = e820_build(m->size, map);
	uint64_t modlist = GPA_START_INFO + sizeof(struct hvm_start_info);
	uint64_t memmap = modlist + sizeof(struct hvm_modlist_entry);
	uint64_t end = memmap + (uint64_t)n * sizeof(struct hvm_memmap_entry);
	struct hvm_start_info *si = guest_mem_ptr(m, GPA_START_INFO, sizeof *si);
	struct hvm_memmap_entry *mm = guest_mem_ptr(m, memmap, end - memmap);
	size_t len = cmdline ? strlen(cmdline) : 0;
	char *cl = guest_mem_ptr(m, GPA_CMDLINE, CMDLINE_MAX);

	if (!si || !mm || !cl || end > GPA_BOOT_GDT)
		return err_set(e, "guest memory too small for boot data");
	if (len >= CMDLINE_MAX)
		return err_set(e, "--cmdline is %zu bytes; the limit is %u", len, CMDLINE_MAX - 1);
	memcpy(cl, cmdline ? cmdline : "", len + 1);

	memset(si, 0, sizeof *si);
	si->magic = HVM_START_MAGIC;
	si->version = 1;
	si->cmdline_paddr = GPA_CMDLINE;
	si->rsdp_paddr = rsdp_paddr;
	si->memmap_paddr = memmap;
	si->memmap_entries = (uint32_t)n;
	if (initrd) {
		struct hvm_modlist_entry *mod = guest_mem_ptr(m, modlist, sizeof *mod);
		mod->paddr = initrd->paddr;
		mod->size = initrd->size;
		mod->cmdline_paddr = 0;
		mod->reserved = 0;
		si->nr_modules = 1;
		si->modlist_paddr = modlist;
	}
	for (int i = 0; i < n; i++)
		mm[i] = (struct hvm_memmap_entry){ map[i].addr, map[i].size, map[i].type, 0 };
	*start_info_gpa = GPA_START_INFO;
	return 0;
}
