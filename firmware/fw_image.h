/* The firmware's reading of a site image (abi/site_image.h): GPT, boot
 * header, kernel ELF. Pure C without libc, so the same files build into the
 * firmware (ring 3, freestanding) and into the host fuzzer
 * (tests/fuzz/fuzz_firmware_image.c). Every number comes from a hostile
 * disk: each is bounds-checked before it is used, and the only memory
 * written outside the caller's buffers goes through fw_mem.ptr for ranges
 * that passed the RAM and busy-range checks. */
#ifndef FIRMWARE_FW_IMAGE_H
#define FIRMWARE_FW_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "abi/site_image.h"

struct fw_range {
	uint64_t start, end; /* [start, end) */
};

struct fw_disk {
	uint64_t sectors; /* capacity, 512-byte sectors */
	/* Reads count sectors at lba into buf; 0 on success. */
	int (*read)(void *ctx, uint64_t lba, uint32_t count, void *buf);
	void *ctx;
};

#define FW_RAM_MAX  32
#define FW_BUSY_MAX 8
#define FW_PHDR_MAX 64

struct fw_mem {
	struct fw_range ram[FW_RAM_MAX]; /* where kernel segments may go */
	unsigned n_ram;
	struct fw_range busy[FW_BUSY_MAX]; /* what they must not touch: the firmware, start_info, cmdline */
	unsigned n_busy;
	/* The bytes at guest-physical [paddr, paddr+len), already checked. */
	void *(*ptr)(void *ctx, uint64_t paddr, uint64_t len);
	void *ctx;
	int zero_bss; /* 0: RAM is known to be fresh zeroes (vmm allocates it per boot) */
};

/* Scratch space the caller owns (the firmware's .bss, the fuzzer's heap). */
#define FW_ENTRIES_MAX (32u << 10) /* the GPT entry array; 16 KiB is usual */
#define FW_NOTES_MAX   4096u
struct fw_scratch {
	uint8_t sector[SITE_IMAGE_SECTOR];
	uint8_t entries[FW_ENTRIES_MAX];
	uint8_t notes[FW_NOTES_MAX];
	uint8_t *bounce; /* kernel file chunks; a multiple of 512 bytes */
	uint32_t bounce_size;
};

struct fw_part {
	uint64_t first, count; /* LBAs */
};

struct fw_parts {
	struct fw_part boot, content, data;
	int have_content, have_data;
};

struct fw_boot {
	struct site_boot_header h;
	char cmdline[SITE_BOOT_CMDLINE_MAX + 1];
	uint64_t kernel_lba; /* absolute */
};

struct fw_kernel {
	uint32_t entry; /* the PVH 32-bit entry */
	uint64_t lowest, highest;
};

/* An error: the exit code (enum site_firmware_exit) and a static message. */
struct fw_error {
	int code;
	const char *msg;
};

uint32_t fw_crc32(uint32_t crc, const void *buf, size_t len);

/* Each returns 0, or sets *err and returns its code. check_crc is 1 in the
 * firmware; the fuzzer clears it for some inputs to get past the CRCs. */
int fw_gpt_find(const struct fw_disk *d, struct fw_scratch *s, int check_crc, struct fw_parts *p,
		struct fw_error *err);
int fw_boot_read(const struct fw_disk *d, struct fw_scratch *s, int check_crc, const struct fw_parts *p,
		 struct fw_boot *b, struct fw_error *err);
int fw_kernel_load(const struct fw_disk *d, struct fw_scratch *s, int check_crc, const struct fw_boot *b,
		   const struct fw_mem *m, struct fw_kernel *k, struct fw_error *err);
/* The kernel's command line: base, the boot partition's, then the
 * site.part= entries; NUL-terminated in out[cap]. */
int fw_cmdline_build(char *out, size_t cap, const char *base, const struct fw_boot *b, const struct fw_parts *p,
		     struct fw_error *err);

#endif
