/* The boot partition of a site image (abi/site_image.h): a struct
 * site_boot_header in its first sector, the kernel command line right
 * after, the kernel (a PVH ELF) at the next 4 KiB boundary. */
#ifndef VMM_IMAGE_BOOT_PART_H
#define VMM_IMAGE_BOOT_PART_H

#include <stddef.h>
#include <stdint.h>

#include "abi/site_image.h"
#include "util/err.h"

/* The largest kernel vmm image writes or reads: far above the site
 * kernel's ~1 MiB, and a bound on what inspect reads into memory. */
#define BOOT_KERNEL_MAX (256u << 20)

/* Where the kernel goes for a command line of cmdline_len bytes. */
uint64_t boot_kernel_offset(uint32_t cmdline_len);

/* Fills in the header for a command line of cmdline_len bytes and a kernel
 * of kernel_size bytes with CRC32 kernel_crc. */
void boot_header_make(struct site_boot_header *h, uint32_t cmdline_len, uint64_t kernel_size, uint32_t kernel_crc);

/* CRC32 of the 64 header bytes with header_crc32 zero. */
uint32_t boot_header_crc(const struct site_boot_header *h);

/* Checks a header read from a boot partition of part_bytes: magic,
 * version, CRC, command line and kernel inside the partition, offsets as
 * the format says. 0, or -1 with why filled in. */
int boot_header_check(const struct site_boot_header *h, uint64_t part_bytes, char *why, size_t whylen);

/* Whether kernel is a PVH ELF vmm (and the firmware) can boot; its entry
 * and loaded range. */
int boot_kernel_check(const uint8_t *kernel, size_t len, uint64_t *entry, uint64_t *lowest, uint64_t *highest,
		      struct err *e);

#endif
