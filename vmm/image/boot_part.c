#include "image/boot_part.h"

#include <stdio.h>
#include <string.h>

#include "abi/platform.h"
#include "boot/elf_pvh.h"
#include "image/crc32.h"

uint64_t boot_kernel_offset(uint32_t cmdline_len)
{
	return ((uint64_t)SITE_IMAGE_SECTOR + cmdline_len + 4095) & ~4095ull;
}

uint32_t boot_header_crc(const struct site_boot_header *h)
{
	struct site_boot_header c = *h;

	c.header_crc32 = 0;
	return crc32_update(0, &c, sizeof c);
}

void boot_header_make(struct site_boot_header *h, uint32_t cmdline_len, uint64_t kernel_size, uint32_t kernel_crc)
{
	memset(h, 0, sizeof *h);
	memcpy(h->magic, SITE_BOOT_MAGIC, 8);
	h->version = SITE_BOOT_VERSION;
	h->cmdline_offset = SITE_IMAGE_SECTOR;
	h->cmdline_len = cmdline_len;
	h->kernel_offset = boot_kernel_offset(cmdline_len);
	h->kernel_size = kernel_size;
	h->kernel_crc32 = kernel_crc;
	h->header_crc32 = boot_header_crc(h);
}

int boot_header_check(const struct site_boot_header *h, uint64_t part_bytes, char *why, size_t whylen)
{
	uint32_t crc;

	if (memcmp(h->magic, SITE_BOOT_MAGIC, 8) != 0)
		return snprintf(why, whylen, "no \"%s\" magic", SITE_BOOT_MAGIC), -1;
	if (h->version != SITE_BOOT_VERSION)
		return snprintf(why, whylen, "version %u, not %u", h->version, SITE_BOOT_VERSION), -1;
	crc = boot_header_crc(h);
	if (crc != h->header_crc32)
		return snprintf(why, whylen, "header CRC32 is 0x%08x, computed 0x%08x", h->header_crc32, crc), -1;
	if (h->cmdline_offset != SITE_IMAGE_SECTOR)
		return snprintf(why, whylen, "command line at offset %llu, not %u", (unsigned long long)h->cmdline_offset,
				SITE_IMAGE_SECTOR),
		       -1;
	if (h->cmdline_len > SITE_BOOT_CMDLINE_MAX)
		return snprintf(why, whylen, "command line of %u bytes, over %u", h->cmdline_len, SITE_BOOT_CMDLINE_MAX),
		       -1;
	if (h->cmdline_offset + h->cmdline_len > part_bytes)
		return snprintf(why, whylen, "command line ends past the partition's %llu bytes",
				(unsigned long long)part_bytes),
		       -1;
	if (h->kernel_offset % 4096 || h->kernel_offset < h->cmdline_offset + h->cmdline_len)
		return snprintf(why, whylen, "kernel offset %llu is not 4 KiB aligned after the command line",
				(unsigned long long)h->kernel_offset),
		       -1;
	if (h->kernel_size == 0 || h->kernel_size > BOOT_KERNEL_MAX)
		return snprintf(why, whylen, "kernel size %llu is not 1 to %u bytes", (unsigned long long)h->kernel_size,
				BOOT_KERNEL_MAX),
		       -1;
	if (h->kernel_offset > part_bytes || h->kernel_size > part_bytes - h->kernel_offset)
		return snprintf(why, whylen, "kernel (%llu bytes at %llu) ends past the partition's %llu bytes",
				(unsigned long long)h->kernel_size, (unsigned long long)h->kernel_offset,
				(unsigned long long)part_bytes),
		       -1;
	return 0;
}

int boot_kernel_check(const uint8_t *kernel, size_t len, uint64_t *entry, uint64_t *lowest, uint64_t *highest,
		      struct err *e)
{
	/* pvh_check asks guest_mem_ptr whether segments land in RAM; it never
	 * dereferences. A machine of 64 GiB (the most vmm run gives) stands
	 * for "any RAM": the firmware checks the real fit at boot. The host
	 * pointer is a stand-in that nothing reads through. */
	static uint8_t stand_in;
	struct guest_mem m = { &stand_in, 64ull << 30, MMIO_HOLE_START };
	struct pvh_image img;

	if (pvh_check(kernel, len, &m, &img, e) < 0)
		return -1;
	*entry = img.entry;
	*lowest = img.lowest;
	*highest = img.highest;
	return 0;
}
