/* GPT, boot header and command line of a site image (abi/site_image.h),
 * read through fw_disk with every field checked against the disk's size
 * before it is used. */
#include "fw_image.h"

#define GPT_SIG        "EFI PART"
#define GPT_HDR_MIN    92u
#define GPT_ENTRY_MIN  128u
#define GPT_ENTRIES_LBA_MIN 2u
#define BOOT_FIRST_READ 9u /* sectors: the boot header and a 4095-byte command line at +512 */
#define GPT_FIRST_READ 34u /* sectors: MBR, header, 16 KiB of entries */

static int fail(struct fw_error *err, int code, const char *msg)
{
	err->code = code;
	err->msg = msg;
	return code;
}

/* CRC32 (the reflected 0xedb88320 of GPT and zlib), sliced by 16:
 * sixteen 1 KiB tables, built on first use, let each step fold 16 bytes.
 * The firmware checksums the whole kernel file (~1.5 MB for the site
 * kernel): byte at a time that took ~3 ms on the host, sliced by 8
 * ~0.6-0.8 ms, by 16 ~0.45-0.55 ms. */
static uint32_t le32(const uint8_t *p);

uint32_t fw_crc32(uint32_t crc, const void *buf, size_t len)
{
	static uint32_t t[16][256];
	static int ready;
	const uint8_t *p = buf;

	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			t[0][i] = c;
		}
		for (uint32_t i = 0; i < 256; i++)
			for (int k = 1; k < 16; k++)
				t[k][i] = t[0][t[k - 1][i] & 0xff] ^ (t[k - 1][i] >> 8);
		ready = 1;
	}
	crc = ~crc;
	while (len >= 16) {
		uint32_t a = crc ^ le32(p), b = le32(p + 4), c = le32(p + 8), d = le32(p + 12);

		crc = t[15][a & 0xff] ^ t[14][(a >> 8) & 0xff] ^ t[13][(a >> 16) & 0xff] ^ t[12][a >> 24] ^
		      t[11][b & 0xff] ^ t[10][(b >> 8) & 0xff] ^ t[9][(b >> 16) & 0xff] ^ t[8][b >> 24] ^
		      t[7][c & 0xff] ^ t[6][(c >> 8) & 0xff] ^ t[5][(c >> 16) & 0xff] ^ t[4][c >> 24] ^
		      t[3][d & 0xff] ^ t[2][(d >> 8) & 0xff] ^ t[1][(d >> 16) & 0xff] ^ t[0][d >> 24];
		p += 16;
		len -= 16;
	}
	while (len--)
		crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static int overlaps(const struct fw_part *a, const struct fw_part *b)
{
	return a->first < b->first + b->count && b->first < a->first + a->count;
}

int fw_gpt_find(const struct fw_disk *d, struct fw_scratch *s, int check_crc, struct fw_parts *p,
		struct fw_error *err)
{
	static const uint8_t t_boot[16] = SITE_IMAGE_TYPE_BOOT, t_content[16] = SITE_IMAGE_TYPE_CONTENT,
			     t_data[16] = SITE_IMAGE_TYPE_DATA;
	uint8_t *h = s->sector;
	uint32_t hsize, hcrc, nent, esize, ecrc, bytes;
	uint64_t first_usable, last_usable, ents_lba, nboot = 0, ncontent = 0, ndata = 0;
	uint32_t first_read;
	int mbr_ok = 0;

	__builtin_memset(p, 0, sizeof *p);
	if (d->sectors > (1ull << 54))
		return fail(err, SITE_FW_EXIT_BAD_GPT, "the disk is larger than 8 EiB");
	if (d->sectors < 3)
		return fail(err, SITE_FW_EXIT_NO_GPT, "the disk is too small to hold a GPT");
	/* One request for the MBR, the header and (where it usually lies, at
	 * LBA 2-33) the entry array: each request is a round trip to vmm's I/O
	 * thread. */
	first_read = d->sectors < GPT_FIRST_READ ? (uint32_t)d->sectors : GPT_FIRST_READ;
	if (d->read(d->ctx, 0, first_read, s->entries))
		return fail(err, SITE_FW_EXIT_DISK_ERROR, "reading the GPT failed");
	__builtin_memcpy(h, s->entries, SITE_IMAGE_SECTOR);
	/* Protective MBR: 0x55aa and a partition of type 0xee. */
	for (int i = 0; i < 4; i++)
		mbr_ok |= h[446 + 16 * i + 4] == 0xee;
	if (h[510] != 0x55 || h[511] != 0xaa || !mbr_ok)
		return fail(err, SITE_FW_EXIT_NO_GPT, "no protective MBR in sector 0");
	__builtin_memcpy(h, s->entries + SITE_IMAGE_SECTOR, SITE_IMAGE_SECTOR);
	if (__builtin_memcmp(h, GPT_SIG, 8))
		return fail(err, SITE_FW_EXIT_NO_GPT, "no GPT signature in sector 1");
	hsize = le32(h + 12);
	if (hsize < GPT_HDR_MIN || hsize > SITE_IMAGE_SECTOR)
		return fail(err, SITE_FW_EXIT_BAD_GPT, "GPT header size out of bounds");
	hcrc = le32(h + 16);
	__builtin_memset(h + 16, 0, 4);
	if (check_crc && fw_crc32(0, h, hsize) != hcrc)
		return fail(err, SITE_FW_EXIT_BAD_CRC, "GPT header CRC mismatch");
	first_usable = le64(h + 40);
	last_usable = le64(h + 48);
	ents_lba = le64(h + 72);
	nent = le32(h + 80);
	esize = le32(h + 84);
	ecrc = le32(h + 88);
	if (le64(h + 24) != 1)
		return fail(err, SITE_FW_EXIT_BAD_GPT, "GPT header's own LBA is not 1");
	if (esize < GPT_ENTRY_MIN || esize % 8 || esize > FW_ENTRIES_MAX || nent == 0 ||
	    nent > FW_ENTRIES_MAX / esize)
		return fail(err, SITE_FW_EXIT_BAD_GPT, "GPT entry array size out of bounds");
	bytes = nent * esize;
	if (ents_lba < GPT_ENTRIES_LBA_MIN || ents_lba >= d->sectors ||
	    (bytes + SITE_IMAGE_SECTOR - 1) / SITE_IMAGE_SECTOR > d->sectors - ents_lba)
		return fail(err, SITE_FW_EXIT_BAD_GPT, "GPT entry array outside the disk");
	if (first_usable > last_usable || last_usable >= d->sectors || first_usable < 2)
		return fail(err, SITE_FW_EXIT_BAD_GPT, "GPT usable LBAs outside the disk");
	if (ents_lba == 2 && 2 + (bytes + SITE_IMAGE_SECTOR - 1) / SITE_IMAGE_SECTOR <= first_read)
		__builtin_memmove(s->entries, s->entries + 2 * SITE_IMAGE_SECTOR, bytes);
	else if (d->read(d->ctx, ents_lba, (bytes + SITE_IMAGE_SECTOR - 1) / SITE_IMAGE_SECTOR, s->entries))
		return fail(err, SITE_FW_EXIT_DISK_ERROR, "reading the GPT entry array failed");
	if (check_crc && fw_crc32(0, s->entries, bytes) != ecrc)
		return fail(err, SITE_FW_EXIT_BAD_CRC, "GPT entry array CRC mismatch");

	for (uint32_t i = 0; i < nent; i++) {
		const uint8_t *e = s->entries + (size_t)i * esize;
		struct fw_part part = { le64(e + 32), 0 };
		uint64_t last = le64(e + 40);
		struct fw_part *dst;

		if (!__builtin_memcmp(e, t_boot, 16))
			dst = &p->boot, nboot++;
		else if (!__builtin_memcmp(e, t_content, 16))
			dst = &p->content, ncontent++;
		else if (!__builtin_memcmp(e, t_data, 16))
			dst = &p->data, ndata++;
		else
			continue; /* other types (and empty entries) are not ours to check */
		if (part.first < first_usable || last < part.first || last > last_usable)
			return fail(err, SITE_FW_EXIT_BAD_GPT, "a partition lies outside the disk's usable LBAs");
		part.count = last - part.first + 1;
		*dst = part;
	}
	if (nboot != 1)
		return fail(err, SITE_FW_EXIT_NO_BOOT, nboot ? "more than one boot partition" : "no boot partition");
	if (ncontent > 1 || ndata > 1)
		return fail(err, SITE_FW_EXIT_BAD_GPT, "more than one content or data partition");
	p->have_content = ncontent == 1;
	p->have_data = ndata == 1;
	if ((p->have_content && overlaps(&p->boot, &p->content)) || (p->have_data && overlaps(&p->boot, &p->data)) ||
	    (p->have_content && p->have_data && overlaps(&p->content, &p->data)))
		return fail(err, SITE_FW_EXIT_BAD_GPT, "partitions overlap");
	return 0;
}

int fw_boot_read(const struct fw_disk *d, struct fw_scratch *s, int check_crc, const struct fw_parts *p,
		 struct fw_boot *b, struct fw_error *err)
{
	struct site_boot_header *h = &b->h;
	uint64_t part_bytes = p->boot.count * SITE_IMAGE_SECTOR; /* count < disk sectors < 2^55: no overflow */
	uint32_t crc, head;

	/* The header and the command line after it in one request, into the
	 * bounce buffer (at least BOOT_FIRST_READ sectors: fw_kernel_load
	 * needs more). */
	if (s->bounce_size < BOOT_FIRST_READ * SITE_IMAGE_SECTOR)
		return fail(err, SITE_FW_EXIT_BAD_BOOT, "bounce buffer too small");
	head = p->boot.count < BOOT_FIRST_READ ? (uint32_t)p->boot.count : BOOT_FIRST_READ;
	if (d->read(d->ctx, p->boot.first, head, s->bounce))
		return fail(err, SITE_FW_EXIT_DISK_ERROR, "reading the boot header failed");
	__builtin_memcpy(h, s->bounce, sizeof *h);
	if (__builtin_memcmp(h->magic, SITE_BOOT_MAGIC, 8))
		return fail(err, SITE_FW_EXIT_BAD_BOOT, "no boot header magic in the boot partition");
	if (h->version != SITE_BOOT_VERSION)
		return fail(err, SITE_FW_EXIT_BAD_BOOT, "unknown boot header version");
	crc = h->header_crc32;
	h->header_crc32 = 0;
	if (check_crc && fw_crc32(0, h, sizeof *h) != crc)
		return fail(err, SITE_FW_EXIT_BAD_CRC, "boot header CRC mismatch");
	h->header_crc32 = crc;
	if (h->cmdline_len > SITE_BOOT_CMDLINE_MAX || h->cmdline_offset < sizeof *h ||
	    h->cmdline_offset > part_bytes || h->cmdline_len > part_bytes - h->cmdline_offset)
		return fail(err, SITE_FW_EXIT_BAD_BOOT, "boot command line outside the boot partition");
	if (h->kernel_offset % 4096 || h->kernel_offset == 0 || h->kernel_size == 0 ||
	    h->kernel_offset > part_bytes || h->kernel_size > part_bytes - h->kernel_offset)
		return fail(err, SITE_FW_EXIT_BAD_BOOT, "kernel outside the boot partition");
	b->kernel_lba = p->boot.first + h->kernel_offset / SITE_IMAGE_SECTOR;
	b->cmdline[0] = 0;
	if (h->cmdline_len && h->cmdline_offset + h->cmdline_len <= (uint64_t)head * SITE_IMAGE_SECTOR) {
		__builtin_memcpy(b->cmdline, s->bounce + h->cmdline_offset, h->cmdline_len);
	} else if (h->cmdline_len) {
		/* Up to 4095 bytes at any byte offset: read the sectors that hold
		 * them, one at a time through the sector buffer. */
		uint64_t off = h->cmdline_offset;
		uint32_t done = 0;

		while (done < h->cmdline_len) {
			uint32_t in = (uint32_t)(off % SITE_IMAGE_SECTOR), n = SITE_IMAGE_SECTOR - in;

			if (n > h->cmdline_len - done)
				n = h->cmdline_len - done;
			if (d->read(d->ctx, p->boot.first + off / SITE_IMAGE_SECTOR, 1, s->sector))
				return fail(err, SITE_FW_EXIT_DISK_ERROR, "reading the boot command line failed");
			__builtin_memcpy(b->cmdline + done, s->sector + in, n);
			done += n;
			off += n;
		}
	}
	if (h->cmdline_len) {
		for (uint32_t i = 0; i < h->cmdline_len; i++)
			if ((uint8_t)b->cmdline[i] < 0x20 || (uint8_t)b->cmdline[i] > 0x7e)
				return fail(err, SITE_FW_EXIT_BAD_BOOT, "boot command line has a control or non-ASCII byte");
		b->cmdline[h->cmdline_len] = 0;
	}
	return 0;
}

struct out {
	char *p;
	size_t len, cap;
	int overflow;
};

static void put(struct out *o, const char *s)
{
	while (*s) {
		if (o->len + 1 >= o->cap) {
			o->overflow = 1;
			return;
		}
		o->p[o->len++] = *s++;
	}
	o->p[o->len] = 0;
}

static void put_u64(struct out *o, uint64_t v)
{
	char buf[21], *q = buf + sizeof buf - 1;

	*q = 0;
	do
		*--q = (char)('0' + v % 10);
	while (v /= 10);
	put(o, q);
}

static void put_part(struct out *o, const char *name, const struct fw_part *part)
{
	put(o, " site.part=");
	put(o, name);
	put(o, ":");
	put_u64(o, part->first);
	put(o, ":");
	put_u64(o, part->count);
}

int fw_cmdline_build(char *out, size_t cap, const char *base, const struct fw_boot *b, const struct fw_parts *p,
		     struct fw_error *err)
{
	struct out o = { out, 0, cap, 0 };

	if (cap)
		out[0] = 0;
	put(&o, base);
	if (b->cmdline[0]) {
		if (o.len)
			put(&o, " ");
		put(&o, b->cmdline);
	}
	if (p->have_content)
		put_part(&o, "content", &p->content);
	if (p->have_data)
		put_part(&o, "data", &p->data);
	if (o.overflow || !cap)
		return fail(err, SITE_FW_EXIT_BAD_BOOT, "the kernel command line is too long");
	return 0;
}
