/* The single-file site image: a GPT disk (512-byte sectors) whose
 * partitions carry everything a site needs, told apart by type GUIDs of
 * our own. `vmm image create` writes it, the firmware (firmware/) reads it
 * inside the guest and boots the kernel it holds; nothing in the host
 * parses a tenant's image beyond `vmm image inspect`.
 *
 * The disk: a protective MBR (LBA 0), the primary GPT header (LBA 1) and
 * entry array (LBA 2-33: 128 entries of 128 bytes), the partitions, the
 * backup entry array and the backup header (last LBA), with the CRC32s
 * UEFI 2.x defines, so sgdisk -v and fdisk -l accept it. Partitions, in
 * this order (the firmware finds them by type, not by index):
 *
 *   boot     SITE_IMAGE_TYPE_BOOT: a struct site_boot_header in its first
 *            sector, the kernel command line after it, and the kernel, a
 *            PVH ELF64 (XEN_ELFNOTE_PHYS32_ENTRY), at kernel_offset;
 *   content  SITE_IMAGE_TYPE_CONTENT: the site archive (the ustar that
 *            --disk FILE,ro carries for direct boot), raw;
 *   data     SITE_IMAGE_TYPE_DATA, optional: the database area (what a
 *            second --disk carries for direct boot), raw.
 *
 * The firmware hands the kernel the command line vmm gave the firmware
 * (its virtio_mmio.device= entries), then the boot partition's, then
 * "site.part=content:FIRST:COUNT" and, with a data partition,
 * "site.part=data:FIRST:COUNT" (LBAs of 512 bytes on the first virtio-blk
 * disk), so the site kernel reads its archive and database from windows of
 * one disk instead of two disks. */
#ifndef ABI_SITE_IMAGE_H
#define ABI_SITE_IMAGE_H

#include <stdint.h>

#define SITE_IMAGE_SECTOR 512u

/* Type GUIDs in GPT's on-disk byte order (the first three fields little
 * endian), with their text form. */
#define SITE_IMAGE_TYPE_BOOT_STR    "8e0e714d-5269-45e2-ba42-76ff1a470344"
#define SITE_IMAGE_TYPE_CONTENT_STR "f95c6476-5001-4884-8d12-954237882126"
#define SITE_IMAGE_TYPE_DATA_STR    "faf4e7cf-05bd-4801-900f-09ce98d0e12a"
#define SITE_IMAGE_TYPE_BOOT                                                                              \
	{ 0x4d, 0x71, 0x0e, 0x8e, 0x69, 0x52, 0xe2, 0x45, 0xba, 0x42, 0x76, 0xff, 0x1a, 0x47, 0x03, 0x44 }
#define SITE_IMAGE_TYPE_CONTENT                                                                           \
	{ 0x76, 0x64, 0x5c, 0xf9, 0x01, 0x50, 0x84, 0x48, 0x8d, 0x12, 0x95, 0x42, 0x37, 0x88, 0x21, 0x26 }
#define SITE_IMAGE_TYPE_DATA                                                                              \
	{ 0xcf, 0xe7, 0xf4, 0xfa, 0xbd, 0x05, 0x01, 0x48, 0x90, 0x0f, 0x09, 0xce, 0x98, 0xd0, 0xe1, 0x2a }

/* The first sector of the boot partition. Offsets are bytes from the
 * partition's start; everything must lie inside the partition. */
#define SITE_BOOT_MAGIC   "VMMBOOT1"
#define SITE_BOOT_VERSION 1u
#define SITE_BOOT_CMDLINE_MAX 4095u

struct site_boot_header {
	char magic[8];           /* SITE_BOOT_MAGIC, no NUL */
	uint32_t version;        /* SITE_BOOT_VERSION */
	uint32_t header_crc32;   /* CRC32 (GPT's) of these 64 bytes with this field 0 */
	uint64_t cmdline_offset; /* SITE_IMAGE_SECTOR: right after this sector */
	uint32_t cmdline_len;    /* bytes, no NUL, at most SITE_BOOT_CMDLINE_MAX */
	uint32_t reserved0;
	uint64_t kernel_offset;  /* 4 KiB aligned */
	uint64_t kernel_size;    /* bytes of the ELF file */
	uint32_t kernel_crc32;   /* CRC32 (GPT's) of the kernel's bytes */
	uint32_t reserved1;
	uint64_t reserved2;
};
_Static_assert(sizeof(struct site_boot_header) == 64, "site_boot_header is 64 bytes");

/* Why the firmware powered off instead of booting: its exit code (the
 * power device's exit register), with one line on the console saying it.
 * vmm run exits with it; vmm reports it by name. */
enum site_firmware_exit {
	SITE_FW_EXIT_NO_DISK = 40,     /* no virtio-blk disk */
	SITE_FW_EXIT_DISK_ERROR = 41,  /* the disk failed a read */
	SITE_FW_EXIT_NO_GPT = 42,      /* no protective MBR or GPT signature */
	SITE_FW_EXIT_BAD_CRC = 43,     /* a GPT header, entry array or boot header CRC is wrong */
	SITE_FW_EXIT_BAD_GPT = 44,     /* GPT fields out of bounds (sizes, LBAs, overlaps) */
	SITE_FW_EXIT_NO_BOOT = 45,     /* no boot partition (or two) */
	SITE_FW_EXIT_BAD_BOOT = 46,    /* a boot header out of bounds (magic, version, offsets) */
	SITE_FW_EXIT_BAD_KERNEL = 47,  /* the kernel ELF is malformed or out of bounds, or its CRC is wrong */
	SITE_FW_EXIT_NO_MEMORY = 48,   /* the kernel does not fit the guest's RAM (or overlaps the firmware) */
};

#endif
