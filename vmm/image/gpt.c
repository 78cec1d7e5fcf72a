#include "image/gpt.h"

#include <stdio.h>
#include <string.h>

#include "image/crc32.h"

void gpt_protective_mbr(uint8_t s[GPT_SECTOR], uint64_t total)
{
	uint64_t size = total - 1;
	uint32_t lba1 = 1, sz = size > 0xffffffffu ? 0xffffffffu : (uint32_t)size;
	uint8_t *p = s + 446;

	memset(s, 0, GPT_SECTOR);
	p[0] = 0x00;                              /* not bootable */
	p[1] = 0x00, p[2] = 0x02, p[3] = 0x00;    /* CHS of LBA 1 */
	p[4] = 0xee;                              /* GPT protective */
	p[5] = 0xff, p[6] = 0xff, p[7] = 0xff;    /* CHS: past what CHS can say */
	memcpy(p + 8, &lba1, 4);
	memcpy(p + 12, &sz, 4);
	s[510] = 0x55;
	s[511] = 0xaa;
}

uint32_t gpt_header_crc(const uint8_t sector[GPT_SECTOR], uint32_t header_size)
{
	uint8_t tmp[GPT_SECTOR];

	if (header_size > GPT_SECTOR)
		header_size = GPT_SECTOR;
	memcpy(tmp, sector, header_size);
	memset(tmp + offsetof(struct gpt_header, header_crc32), 0, 4);
	return crc32_update(0, tmp, header_size);
}

int gpt_header_check(const uint8_t sector[GPT_SECTOR], uint64_t lba, uint64_t total, struct gpt_header *h,
		     char *why, size_t whylen)
{
	uint64_t array_bytes, array_sectors;
	uint32_t crc;

	memcpy(h, sector, sizeof *h);
	if (memcmp(h->signature, GPT_SIGNATURE, 8) != 0)
		return snprintf(why, whylen, "no \"EFI PART\" signature"), -1;
	if (h->revision != GPT_REVISION)
		return snprintf(why, whylen, "revision 0x%08x, not 0x%08x", h->revision, GPT_REVISION), -1;
	if (h->header_size < GPT_HEADER_SIZE || h->header_size > GPT_SECTOR)
		return snprintf(why, whylen, "header size %u outside %u-%u", h->header_size, GPT_HEADER_SIZE,
				GPT_SECTOR),
		       -1;
	crc = gpt_header_crc(sector, h->header_size);
	if (crc != h->header_crc32)
		return snprintf(why, whylen, "header CRC32 is 0x%08x, computed 0x%08x", h->header_crc32, crc), -1;
	if (h->current_lba != lba)
		return snprintf(why, whylen, "says it is at LBA %llu, read from LBA %llu",
				(unsigned long long)h->current_lba, (unsigned long long)lba),
		       -1;
	if (h->backup_lba >= total || h->backup_lba == 0)
		return snprintf(why, whylen, "other header's LBA %llu is outside the disk (%llu sectors)",
				(unsigned long long)h->backup_lba, (unsigned long long)total),
		       -1;
	if (h->first_usable_lba > h->last_usable_lba || h->last_usable_lba >= total || h->first_usable_lba < 2)
		return snprintf(why, whylen, "usable LBAs %llu-%llu do not fit a disk of %llu sectors",
				(unsigned long long)h->first_usable_lba, (unsigned long long)h->last_usable_lba,
				(unsigned long long)total),
		       -1;
	if (h->entry_size < GPT_ENTRY_SIZE || h->entry_size % 8 || h->entry_size > GPT_ARRAY_MAX)
		return snprintf(why, whylen, "entry size %u is not a multiple of 8 from %u", h->entry_size,
				GPT_ENTRY_SIZE),
		       -1;
	array_bytes = (uint64_t)h->num_entries * h->entry_size;
	if (h->num_entries == 0 || array_bytes > GPT_ARRAY_MAX)
		return snprintf(why, whylen, "%u entries of %u bytes: not 1 to %u bytes", h->num_entries,
				h->entry_size, GPT_ARRAY_MAX),
		       -1;
	array_sectors = (array_bytes + GPT_SECTOR - 1) / GPT_SECTOR;
	if (h->entries_lba < 2 || h->entries_lba >= total || array_sectors > total - h->entries_lba)
		return snprintf(why, whylen, "entry array at LBA %llu (%llu sectors) is outside the disk",
				(unsigned long long)h->entries_lba, (unsigned long long)array_sectors),
		       -1;
	/* The array, and the header itself, must not lie where partitions may. */
	if ((h->entries_lba <= h->last_usable_lba && h->entries_lba + array_sectors > h->first_usable_lba) ||
	    (lba >= h->first_usable_lba && lba <= h->last_usable_lba))
		return snprintf(why, whylen, "header or entry array overlaps the usable LBAs %llu-%llu",
				(unsigned long long)h->first_usable_lba, (unsigned long long)h->last_usable_lba),
		       -1;
	return 0;
}

int gpt_entry_unused(const struct gpt_entry *e)
{
	static const uint8_t zero[16];

	return memcmp(e->type_guid, zero, 16) == 0;
}

void gpt_guid_str(const uint8_t g[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", g[3], g[2], g[1],
		 g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

void gpt_name_str(const struct gpt_entry *e, char out[37])
{
	unsigned i;

	for (i = 0; i < 36; i++) {
		uint16_t c;
		memcpy(&c, &e->name[i], 2);
		if (c == 0)
			break;
		out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[i] = 0;
}
