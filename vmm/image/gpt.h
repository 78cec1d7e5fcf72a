/* GPT as UEFI 2.x lays it out on 512-byte sectors: the protective MBR, the
 * header and the partition entry array, their CRC32s and the checks a
 * reader applies to a header from an untrusted disk. The fields are little
 * endian on disk, as on the x86-64 hosts vmm runs on, so the structs are
 * the bytes. */
#ifndef VMM_IMAGE_GPT_H
#define VMM_IMAGE_GPT_H

#include <stddef.h>
#include <stdint.h>

#define GPT_SECTOR        512u
#define GPT_HEADER_SIZE   92u
#define GPT_ENTRIES       128u  /* what we write; a reader accepts others */
#define GPT_ENTRY_SIZE    128u
#define GPT_ARRAY_SECTORS 32u   /* 128 entries * 128 bytes */
#define GPT_REVISION      0x00010000u
#define GPT_SIGNATURE     "EFI PART"
/* A reader's bound on the entry array: UEFI allows more than 128 entries,
 * but nothing sane needs 1 MiB of them. */
#define GPT_ARRAY_MAX     (1u << 20)

struct gpt_header {
	char signature[8];
	uint32_t revision;
	uint32_t header_size;
	uint32_t header_crc32;
	uint32_t reserved;
	uint64_t current_lba;
	uint64_t backup_lba;
	uint64_t first_usable_lba;
	uint64_t last_usable_lba;
	uint8_t disk_guid[16];
	uint64_t entries_lba;
	uint32_t num_entries;
	uint32_t entry_size;
	uint32_t entries_crc32;
} __attribute__((packed));
_Static_assert(sizeof(struct gpt_header) == GPT_HEADER_SIZE, "GPT header is 92 bytes");

struct gpt_entry {
	uint8_t type_guid[16];
	uint8_t unique_guid[16];
	uint64_t first_lba;
	uint64_t last_lba; /* inclusive */
	uint64_t attributes;
	uint16_t name[36]; /* UTF-16LE, NUL-padded */
} __attribute__((packed));
_Static_assert(sizeof(struct gpt_entry) == GPT_ENTRY_SIZE, "GPT entry is 128 bytes");

/* The protective MBR for a disk of total sectors: one partition of type
 * 0xEE from LBA 1 to the end (capped at 2^32 - 1 sectors, as UEFI says). */
void gpt_protective_mbr(uint8_t sector[GPT_SECTOR], uint64_t total);

/* Sets header_crc32 over the header's header_size bytes (at most a sector;
 * the sector buffer holds them) with the field zero, as UEFI defines it. */
uint32_t gpt_header_crc(const uint8_t sector[GPT_SECTOR], uint32_t header_size);

/* Checks one header read from LBA lba of a disk of total sectors: signature,
 * revision, size, CRC, its own LBA, usable range, entry array bounds (inside
 * the disk, outside the usable range, at most GPT_ARRAY_MAX bytes). Returns
 * 0, or -1 with why (a phrase) filled in. */
int gpt_header_check(const uint8_t sector[GPT_SECTOR], uint64_t lba, uint64_t total, struct gpt_header *out,
		     char *why, size_t whylen);

/* Whether an entry is unused (all-zero type GUID). */
int gpt_entry_unused(const struct gpt_entry *e);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" of a GUID in GPT's byte order. */
void gpt_guid_str(const uint8_t g[16], char out[37]);

/* An entry's name as ASCII ('?' for anything else), NUL-terminated. */
void gpt_name_str(const struct gpt_entry *e, char out[37]);

#endif
