/* The kernel ELF of a site image: checked from its headers before a byte is
 * placed; then the whole file streams once through the bounce buffer for
 * its CRC32 (and the PT_NOTE bytes, wherever in the file they lie), and
 * only when the CRC matches are the PT_LOAD segments read again, by the
 * device, straight to their places. */
#include "fw_image.h"

#include "abi/platform.h"
#include "abi/pvh.h"

#define PT_LOAD 1
#define PT_NOTE 4
#define EHDR_SIZE 64u
#define PHDR_SIZE 56u
#define FW_DMA_MAX (4ull << 20) /* bytes per read straight to a segment */

struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static int fail(struct fw_error *err, int code, const char *msg)
{
	err->code = code;
	err->msg = msg;
	return code;
}

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

/* [a, a+len) lies inside one RAM range and touches no busy range. */
static int place_ok(const struct fw_mem *m, uint64_t a, uint64_t len)
{
	int in_ram = 0;

	for (unsigned i = 0; i < m->n_ram && i < FW_RAM_MAX; i++)
		if (a >= m->ram[i].start && a <= m->ram[i].end && len <= m->ram[i].end - a)
			in_ram = 1;
	if (!in_ram)
		return 0;
	for (unsigned i = 0; i < m->n_busy && i < FW_BUSY_MAX; i++)
		if (a < m->busy[i].end && m->busy[i].start < a + len)
			return 0;
	return 1;
}

/* Walks one note segment's bytes for Xen's PHYS32_ENTRY. */
static int find_entry(const uint8_t *p, uint64_t size, uint32_t *entry)
{
	uint64_t off = 0;

	while (size - off >= 12) {
		uint32_t namesz = le32(p + off), descsz = le32(p + off + 4), type = le32(p + off + 8);
		uint64_t name = off + 12, desc = name + (((uint64_t)namesz + 3) & ~3ull);
		uint64_t next = desc + (((uint64_t)descsz + 3) & ~3ull);

		if (desc > size || next > size)
			return 0;
		if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 && !__builtin_memcmp(p + name, "Xen", 4) &&
		    descsz >= 4) {
			*entry = le32(p + desc);
			return 1;
		}
		off = next;
	}
	return 0;
}

int fw_kernel_load(const struct fw_disk *d, struct fw_scratch *s, int check_crc, const struct fw_boot *b,
		   const struct fw_mem *m, struct fw_kernel *k, struct fw_error *err)
{
	static struct phdr ph[FW_PHDR_MAX];
	uint64_t size = b->h.kernel_size, notes_len = 0, note_off[FW_PHDR_MAX];
	uint32_t chunk = s->bounce_size / SITE_IMAGE_SECTOR * SITE_IMAGE_SECTOR, crc = 0, first;
	const uint8_t *e = s->bounce;
	unsigned phnum, nload = 0;
	uint64_t phoff;
	int have_entry = 0;

	if (chunk < 4096)
		return fail(err, SITE_FW_EXIT_BAD_KERNEL, "bounce buffer too small");
	/* fw_boot_read put the file inside the boot partition; the first chunk
	 * holds the ELF and program headers, which must lie in it. */
	first = size < chunk ? (uint32_t)((size + SITE_IMAGE_SECTOR - 1) / SITE_IMAGE_SECTOR * SITE_IMAGE_SECTOR) : chunk;
	if (d->read(d->ctx, b->kernel_lba, first / SITE_IMAGE_SECTOR, s->bounce))
		return fail(err, SITE_FW_EXIT_DISK_ERROR, "reading the kernel failed");
	if (size < EHDR_SIZE || __builtin_memcmp(e, "\177ELF", 4) || e[4] != 2 || e[5] != 1 || e[6] != 1)
		return fail(err, SITE_FW_EXIT_BAD_KERNEL, "the kernel is not a little-endian ELF64 file");
	if (le16(e + 16) != 2 || le16(e + 18) != 62)
		return fail(err, SITE_FW_EXIT_BAD_KERNEL, "the kernel is not an x86-64 executable");
	phoff = le64(e + 32);
	phnum = le16(e + 56);
	if (le16(e + 54) != PHDR_SIZE || phnum == 0 || phnum > FW_PHDR_MAX || phoff > size ||
	    phoff > first || (uint64_t)phnum * PHDR_SIZE > first - phoff || (uint64_t)phnum * PHDR_SIZE > size - phoff)
		return fail(err, SITE_FW_EXIT_BAD_KERNEL, "the kernel's program headers are out of bounds");
	k->lowest = UINT64_MAX;
	k->highest = 0;
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *q = e + phoff + (uint64_t)i * PHDR_SIZE;
		struct phdr *h = &ph[i];

		h->type = le32(q);
		h->offset = le64(q + 8);
		h->paddr = le64(q + 24);
		h->filesz = le64(q + 32);
		h->memsz = le64(q + 40);
		if (h->type != PT_LOAD && h->type != PT_NOTE)
			continue;
		if (h->offset > size || h->filesz > size - h->offset)
			return fail(err, SITE_FW_EXIT_BAD_KERNEL, "a kernel segment lies past the end of its file");
		if (h->type == PT_NOTE) {
			if (h->filesz > FW_NOTES_MAX - notes_len)
				return fail(err, SITE_FW_EXIT_BAD_KERNEL, "the kernel's notes are too large");
			note_off[i] = notes_len;
			notes_len += h->filesz;
			continue;
		}
		if (h->memsz == 0)
			continue;
		if (h->filesz > h->memsz || h->paddr + h->memsz < h->paddr)
			return fail(err, SITE_FW_EXIT_BAD_KERNEL, "a kernel segment's sizes are inconsistent");
		/* Below 1 MiB lie the firmware and the boot tables (abi/platform.h). */
		if (h->paddr < GPA_KERNEL_MIN || !place_ok(m, h->paddr, h->memsz))
			return fail(err, SITE_FW_EXIT_NO_MEMORY,
				    "a kernel segment lies outside RAM or over the firmware's memory");
		for (unsigned j = 0; j < i; j++)
			if (ph[j].type == PT_LOAD && ph[j].memsz && h->paddr < ph[j].paddr + ph[j].memsz &&
			    ph[j].paddr < h->paddr + h->memsz)
				return fail(err, SITE_FW_EXIT_BAD_KERNEL, "kernel segments overlap");
		if (h->paddr < k->lowest)
			k->lowest = h->paddr;
		if (h->paddr + h->memsz > k->highest)
			k->highest = h->paddr + h->memsz;
		nload++;
	}
	if (!nload)
		return fail(err, SITE_FW_EXIT_BAD_KERNEL, "the kernel has no loadable segment");

	/* Pass 1, through the bounce buffer: the CRC of the whole file and the
	 * note bytes; nothing lands in RAM unless the CRC matches. */
	for (uint64_t off = 0; off < size;) {
		uint64_t len = size - off < chunk ? size - off : chunk;

		if (off && d->read(d->ctx, b->kernel_lba + off / SITE_IMAGE_SECTOR,
				   (uint32_t)((len + SITE_IMAGE_SECTOR - 1) / SITE_IMAGE_SECTOR), s->bounce))
			return fail(err, SITE_FW_EXIT_DISK_ERROR, "reading the kernel failed");
		crc = fw_crc32(crc, s->bounce, len);
		for (unsigned i = 0; i < phnum; i++) {
			const struct phdr *h = &ph[i];
			uint64_t lo = h->offset > off ? h->offset : off;
			uint64_t hi = h->offset + h->filesz < off + len ? h->offset + h->filesz : off + len;

			if (h->type == PT_NOTE && lo < hi)
				__builtin_memcpy(s->notes + note_off[i] + (lo - h->offset), s->bounce + (lo - off), hi - lo);
		}
		off += len;
	}
	if (check_crc && crc != b->h.kernel_crc32)
		return fail(err, SITE_FW_EXIT_BAD_KERNEL, "kernel CRC mismatch");
	for (unsigned i = 0; i < phnum && !have_entry; i++)
		if (ph[i].type == PT_NOTE)
			have_entry = find_entry(s->notes + note_off[i], ph[i].filesz, &k->entry);
	if (!have_entry)
		return fail(err, SITE_FW_EXIT_BAD_KERNEL, "the kernel has no PVH entry note");
	have_entry = 0;
	for (unsigned i = 0; i < phnum; i++)
		if (ph[i].type == PT_LOAD && ph[i].memsz && k->entry >= ph[i].paddr &&
		    k->entry - ph[i].paddr < ph[i].filesz)
			have_entry = 1;
	if (!have_entry)
		return fail(err, SITE_FW_EXIT_BAD_KERNEL, "the kernel's PVH entry lies outside its loaded code");
	/* Pass 2: each segment's whole sectors read by the device straight to
	 * their place (the guest touches none of those pages: on PVM each
	 * first touch costs ~10 us), the last partial sector through the
	 * sector buffer. The file offsets are sector aligned when the
	 * segments are (kernel_offset is 4 KiB aligned); others are copied
	 * through the bounce buffer. */
	for (unsigned i = 0; i < phnum; i++) {
		const struct phdr *h = &ph[i];
		uint64_t done = 0;

		if (h->type != PT_LOAD || !h->memsz || !h->filesz)
			continue;
		if (h->offset % SITE_IMAGE_SECTOR == 0) {
			uint64_t whole = h->filesz / SITE_IMAGE_SECTOR * SITE_IMAGE_SECTOR;

			/* A partial last sector whose spill stays inside the
			 * segment's memory (its bss) is read whole too, and the
			 * spill cleared after: one request less per segment. */
			if (whole < h->filesz && h->memsz - whole >= SITE_IMAGE_SECTOR)
				whole += SITE_IMAGE_SECTOR;

			while (done < whole) {
				uint64_t n = whole - done < FW_DMA_MAX ? whole - done : FW_DMA_MAX;

				if (d->read(d->ctx, b->kernel_lba + (h->offset + done) / SITE_IMAGE_SECTOR,
					    (uint32_t)(n / SITE_IMAGE_SECTOR), m->ptr(m->ctx, h->paddr + done, n)))
					return fail(err, SITE_FW_EXIT_DISK_ERROR, "reading the kernel failed");
				done += n;
			}
			if (done > h->filesz) {
				__builtin_memset(m->ptr(m->ctx, h->paddr + h->filesz, done - h->filesz), 0, done - h->filesz);
				done = h->filesz;
			}
		}
		while (done < h->filesz) {
			uint64_t at = h->offset + done, in = at % SITE_IMAGE_SECTOR;
			uint64_t n = h->filesz - done;

			if (n > chunk - in)
				n = chunk - in;
			if (d->read(d->ctx, b->kernel_lba + at / SITE_IMAGE_SECTOR,
				    (uint32_t)((in + n + SITE_IMAGE_SECTOR - 1) / SITE_IMAGE_SECTOR), s->bounce))
				return fail(err, SITE_FW_EXIT_DISK_ERROR, "reading the kernel failed");
			__builtin_memcpy(m->ptr(m->ctx, h->paddr + done, n), s->bounce + in, n);
			done += n;
		}
	}
	if (m->zero_bss)
		for (unsigned i = 0; i < phnum; i++)
			if (ph[i].type == PT_LOAD && ph[i].memsz > ph[i].filesz)
				__builtin_memset(m->ptr(m->ctx, ph[i].paddr + ph[i].filesz, ph[i].memsz - ph[i].filesz), 0,
						 ph[i].memsz - ph[i].filesz);
	return 0;
}
