/* The firmware's reading of a site image (firmware/gpt.c, elf_load.c)
 * against arbitrary disks: it must refuse them or load a kernel without
 * reading past the disk or its buffers, and place bytes only inside the
 * RAM ranges it was given and clear of the busy ones (asserted in ptr()).
 * The input is the disk (whole 512-byte sectors); a trailing partial
 * sector whose first byte is odd turns the CRC checks off, so mutations
 * reach the fields behind them (the seeds in corpus/firmware_image carry
 * valid CRCs: tests/fuzz/firmware_image_seeds.py). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/fw_image.h"

#define RAM_LOW_END 0x9fc00u
#define RAM_START   0x100000u
#define RAM_END     0x500000u /* a 5 MiB guest: room for the hello-sized seeds */

static uint8_t *ram; /* guest-physical [0, RAM_END) */

struct disk {
	const uint8_t *data;
	uint64_t sectors;
};

static int disk_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
	const struct disk *d = ctx;

	if (lba > d->sectors || count > d->sectors - lba)
		return -1; /* as the device answers a read past the end */
	memcpy(buf, d->data + lba * SITE_IMAGE_SECTOR, (size_t)count * SITE_IMAGE_SECTOR);
	return 0;
}

static void *ram_ptr(void *ctx, uint64_t paddr, uint64_t len)
{
	const struct fw_mem *m = ctx;
	int in_ram = 0;

	for (unsigned i = 0; i < m->n_ram; i++)
		in_ram |= paddr >= m->ram[i].start && paddr + len <= m->ram[i].end && paddr + len >= paddr;
	if (!in_ram)
		abort();
	for (unsigned i = 0; i < m->n_busy; i++)
		if (paddr < m->busy[i].end && m->busy[i].start < paddr + len)
			abort();
	return ram + paddr;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fw_scratch s;
	static uint8_t *bounce;
	static char cmdline[4096];
	struct disk d = { data, size / SITE_IMAGE_SECTOR };
	struct fw_disk disk = { d.sectors, disk_read, &d };
	struct fw_mem m = { .n_ram = 2, .n_busy = 3, .ptr = ram_ptr, .zero_bss = 1 };
	int check_crc = !(size % SITE_IMAGE_SECTOR && data[size - size % SITE_IMAGE_SECTOR] & 1);
	struct fw_parts parts;
	struct fw_kernel k;
	struct fw_error err;
	struct fw_boot *b = malloc(sizeof *b);

	if (!ram)
		ram = malloc(RAM_END);
	if (!bounce)
		bounce = malloc(16u << 10); /* small: more chunks, more edges */
	if (!ram || !bounce || !b)
		abort();
	m.ctx = &m;
	m.ram[0] = (struct fw_range){ 0, RAM_LOW_END };
	m.ram[1] = (struct fw_range){ RAM_START, RAM_END };
	m.busy[0] = (struct fw_range){ 0x6000, 0x8000 }; /* vmm's boot data (abi/platform.h) */
	m.busy[1] = (struct fw_range){ 0x6800, 0x7800 }; /* its command line, inside it */
	m.busy[2] = (struct fw_range){ 0x30000, 0x76000 };
	s.bounce = bounce;
	s.bounce_size = 16u << 10;
	if (!fw_gpt_find(&disk, &s, check_crc, &parts, &err) && !fw_boot_read(&disk, &s, check_crc, &parts, b, &err) &&
	    !fw_kernel_load(&disk, &s, check_crc, b, &m, &k, &err) &&
	    !fw_cmdline_build(cmdline, sizeof cmdline, "virtio_mmio.device=4K@0xd0000000:5", b, &parts, &err)) {
		if (strlen(cmdline) >= sizeof cmdline || k.entry < RAM_START || k.entry >= RAM_END)
			abort();
	} else if (err.code < SITE_FW_EXIT_NO_DISK || err.code > SITE_FW_EXIT_NO_MEMORY || !err.msg) {
		abort();
	}
	free(b);
	return 0;
}
