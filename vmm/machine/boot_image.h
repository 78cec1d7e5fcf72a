/* Direct boot: puts a PVH kernel, its initrd and every table the kernel reads
 * at entry into fresh guest RAM. */
#ifndef VMM_MACHINE_BOOT_IMAGE_H
#define VMM_MACHINE_BOOT_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/config.h"
#include "mem/guest_mem.h"
#include "util/err.h"
#include "util/file_arg.h"

struct boot_entry {
	uint64_t rip;        /* 32-bit PVH entry */
	uint64_t start_info; /* for %ebx */
	bool no_pit;         /* the kernel's ELF note says it needs no PIT (abi/pvh.h) */
};

/* The kernel and initrd, opened once for the whole `vmm run` (paths or fd:N):
 * every boot, a reboot included, reads them from these descriptors and opens
 * no path. */
struct boot_files {
	int kernel_fd;      /* -1 with kernel_mem: the built-in firmware */
	const uint8_t *kernel_mem;
	size_t kernel_mem_size;
	bool firmware;      /* the "kernel" is boot firmware (firmware/), loaded below 1 MiB */
	bool kernel_fixed; /* kernel_fd's bytes never change (a memfd sealed against shrinking
			    * and writing, or vmm's cached copy: kernel_cache.h): its segments'
			    * whole pages are mapped into RAM, not read (boot_image.c) */
	int initrd_fd; /* -1: none */
	char kernel[FILE_ARG_LABEL], initrd[FILE_ARG_LABEL]; /* how messages name them */
};

/* The firmware ELF built from firmware/, linked into vmm as data (firmware/blob.S). */
extern const uint8_t vmm_firmware_elf[], vmm_firmware_elf_end[];

/* Opens cfg's kernel and initrd and checks they are regular, non-empty files.
 * A kernel file that is not a sealed memfd is swapped for its copy in the
 * directory kernel_cache (kernel_cache.h; NULL: none), which is mapped. */
int boot_files_open(struct boot_files *f, const struct vm_config *cfg, const char *kernel_cache, struct err *e);
void boot_files_close(struct boot_files *f);

/* Loads cfg->files (opened by boot_files_open) into m. */
int boot_image_load(const struct vm_config *cfg, struct guest_mem *m, struct boot_entry *out, struct err *e);

#endif
