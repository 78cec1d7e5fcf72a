#include "image/inspect.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "abi/site_image.h"
#include "image/boot_part.h"
#include "image/crc32.h"
#include "image/gpt.h"

/* The checks' tally and their lines, kept apart from the listing so every
 * failure is one line at the end, easy to grep. */
struct ctx {
	const struct image_reader *r;
	FILE *out;
	unsigned passed, failed;
	char fails[32][256];
	uint64_t total; /* sectors */
};

static void check(struct ctx *c, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void check(struct ctx *c, int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		c->passed++;
		return;
	}
	if (c->failed < 32) {
		va_start(ap, fmt);
		vsnprintf(c->fails[c->failed], sizeof c->fails[0], fmt, ap);
		va_end(ap);
	}
	c->failed++;
}

static int rd(struct ctx *c, uint64_t off, void *buf, size_t len)
{
	if (off > c->r->size || len > c->r->size - off)
		return -1;
	return c->r->read(c->r->ctx, off, buf, len);
}

/* A header and its entry array: both read, checked, kept. */
struct gpt_copy {
	const char *what; /* "primary", "backup" */
	int header_ok, array_ok;
	struct gpt_header h;
	uint8_t *array; /* num_entries * entry_size bytes, when header_ok */
	size_t array_len;
};

static void read_copy(struct ctx *c, struct gpt_copy *g, uint64_t lba)
{
	uint8_t sector[GPT_SECTOR];
	char why[160];
	uint32_t crc;

	if (rd(c, lba * GPT_SECTOR, sector, GPT_SECTOR) < 0) {
		check(c, 0, "%s GPT header: cannot read LBA %llu", g->what, (unsigned long long)lba);
		return;
	}
	if (gpt_header_check(sector, lba, c->total, &g->h, why, sizeof why) < 0) {
		check(c, 0, "%s GPT header (LBA %llu): %s", g->what, (unsigned long long)lba, why);
		return;
	}
	check(c, 1, "header");
	g->header_ok = 1;
	g->array_len = (size_t)g->h.num_entries * g->h.entry_size; /* <= GPT_ARRAY_MAX: checked */
	if (!(g->array = malloc(g->array_len)) || rd(c, g->h.entries_lba * GPT_SECTOR, g->array, g->array_len) < 0) {
		check(c, 0, "%s GPT entry array: cannot read %zu bytes at LBA %llu", g->what, g->array_len,
		      (unsigned long long)g->h.entries_lba);
		free(g->array);
		g->array = NULL;
		g->header_ok = 0;
		return;
	}
	crc = crc32_update(0, g->array, g->array_len);
	check(c, crc == g->h.entries_crc32, "%s GPT entry array (LBA %llu): CRC32 is 0x%08x, the header says 0x%08x",
	      g->what, (unsigned long long)g->h.entries_lba, crc, g->h.entries_crc32);
	g->array_ok = crc == g->h.entries_crc32;
}

static void check_mbr(struct ctx *c)
{
	uint8_t s[GPT_SECTOR];
	int found = 0;

	if (rd(c, 0, s, sizeof s) < 0) {
		check(c, 0, "protective MBR: cannot read LBA 0");
		return;
	}
	for (unsigned i = 0; i < 4; i++) {
		const uint8_t *p = s + 446 + 16 * i;
		uint32_t start;
		memcpy(&start, p + 8, 4);
		found |= p[4] == 0xee && start == 1;
	}
	check(c, s[510] == 0x55 && s[511] == 0xaa && found,
	      "protective MBR: %s", s[510] != 0x55 || s[511] != 0xaa ? "no 0x55aa signature" : "no type 0xEE partition from LBA 1");
}

/* The backup must mirror the primary: same disk, same layout, same entries. */
static void check_backup(struct ctx *c, const struct gpt_copy *p, const struct gpt_copy *b)
{
	const struct gpt_header *ph = &p->h, *bh = &b->h;

	check(c, ph->backup_lba == c->total - 1, "primary GPT header: backup at LBA %llu, not the last LBA %llu",
	      (unsigned long long)ph->backup_lba, (unsigned long long)(c->total - 1));
	check(c, bh->backup_lba == 1, "backup GPT header: primary at LBA %llu, not 1", (unsigned long long)bh->backup_lba);
	check(c, !memcmp(ph->disk_guid, bh->disk_guid, 16) && ph->first_usable_lba == bh->first_usable_lba &&
			 ph->last_usable_lba == bh->last_usable_lba && ph->num_entries == bh->num_entries &&
			 ph->entry_size == bh->entry_size && ph->entries_crc32 == bh->entries_crc32,
	      "backup GPT header: disagrees with the primary (disk GUID, usable LBAs or entry array)");
	check(c, p->array_len == b->array_len && !memcmp(p->array, b->array, p->array_len),
	      "backup GPT entry array: differs from the primary");
	check(c, bh->entries_lba > ph->last_usable_lba, "backup GPT entry array: at LBA %llu, inside the usable LBAs",
	      (unsigned long long)bh->entries_lba);
}

static const char *type_name(const uint8_t g[16])
{
	static const uint8_t boot[16] = SITE_IMAGE_TYPE_BOOT, content[16] = SITE_IMAGE_TYPE_CONTENT,
			     data[16] = SITE_IMAGE_TYPE_DATA;

	if (!memcmp(g, boot, 16))
		return "boot";
	if (!memcmp(g, content, 16))
		return "content";
	if (!memcmp(g, data, 16))
		return "data";
	return "unknown";
}

struct span {
	uint64_t first, last;
	unsigned index;
};

static int by_first(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

static void print_size(FILE *out, uint64_t bytes)
{
	if (bytes >= (1ull << 20) && bytes % (1ull << 20) == 0)
		fprintf(out, "%llu MiB", (unsigned long long)(bytes >> 20));
	else if (bytes >= 1024)
		fprintf(out, "%.1f KiB", (double)bytes / 1024);
	else
		fprintf(out, "%llu bytes", (unsigned long long)bytes);
}

/* The command line, shown with C escapes for anything unprintable. */
static void print_cmdline(FILE *out, const uint8_t *s, size_t n)
{
	fputs("command line: \"", out);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			fprintf(out, "\\%c", s[i]);
		else if (s[i] >= 0x20 && s[i] < 0x7f)
			fputc(s[i], out);
		else
			fprintf(out, "\\x%02x", s[i]);
	}
	fputs("\"\n", out);
}

static void check_boot(struct ctx *c, const struct gpt_entry *part)
{
	uint64_t off = part->first_lba * GPT_SECTOR, bytes = (part->last_lba - part->first_lba + 1) * GPT_SECTOR;
	struct site_boot_header h;
	uint8_t cmd[SITE_BOOT_CMDLINE_MAX];
	char why[160];
	uint8_t *kernel;

	if (rd(c, off, &h, sizeof h) < 0) {
		check(c, 0, "boot header: cannot read it at LBA %llu", (unsigned long long)part->first_lba);
		return;
	}
	if (boot_header_check(&h, bytes, why, sizeof why) < 0) {
		check(c, 0, "boot header: %s", why);
		return;
	}
	check(c, 1, "boot header");
	fprintf(c->out, "boot header: version %u, command line %u bytes at +%llu, kernel %llu bytes at +%llu, kernel CRC32 0x%08x\n",
		h.version, h.cmdline_len, (unsigned long long)h.cmdline_offset, (unsigned long long)h.kernel_size,
		(unsigned long long)h.kernel_offset, h.kernel_crc32);
	if (rd(c, off + h.cmdline_offset, cmd, h.cmdline_len) < 0) {
		check(c, 0, "command line: cannot read %u bytes", h.cmdline_len);
	} else {
		print_cmdline(c->out, cmd, h.cmdline_len);
		check(c, !memchr(cmd, 0, h.cmdline_len), "command line: holds a NUL byte");
	}
	/* kernel_size <= BOOT_KERNEL_MAX and inside the partition: checked */
	if (!(kernel = malloc((size_t)h.kernel_size)) || rd(c, off + h.kernel_offset, kernel, (size_t)h.kernel_size) < 0) {
		check(c, 0, "kernel: cannot read %llu bytes at LBA %llu + %llu", (unsigned long long)h.kernel_size,
		      (unsigned long long)part->first_lba, (unsigned long long)h.kernel_offset);
		free(kernel);
		return;
	}
	uint32_t crc = crc32_update(0, kernel, (size_t)h.kernel_size);
	check(c, crc == h.kernel_crc32, "kernel: CRC32 is 0x%08x, the boot header says 0x%08x", crc, h.kernel_crc32);
	struct err e;
	uint64_t entry, lo, hi;
	if (boot_kernel_check(kernel, (size_t)h.kernel_size, &entry, &lo, &hi, &e) < 0) {
		check(c, 0, "kernel: %s", e.msg);
	} else {
		check(c, 1, "kernel");
		fprintf(c->out, "kernel: %llu bytes, PVH entry 0x%llx, loads at 0x%llx-0x%llx\n",
			(unsigned long long)h.kernel_size, (unsigned long long)entry, (unsigned long long)lo,
			(unsigned long long)hi);
	}
	free(kernel);
}

/* The content partition must start with a ustar header (magic and
 * checksum), as the site kernel expects; the archive's entries are the
 * kernel's to judge (guest/http/site_tar.c). */
static void check_content(struct ctx *c, const struct gpt_entry *part)
{
	uint8_t h[512];
	unsigned sum = 0;
	char field[9];

	if (rd(c, part->first_lba * GPT_SECTOR, h, sizeof h) < 0) {
		check(c, 0, "content: cannot read LBA %llu", (unsigned long long)part->first_lba);
		return;
	}
	for (unsigned i = 0; i < sizeof h; i++)
		sum += i >= 148 && i < 156 ? ' ' : h[i];
	memcpy(field, h + 148, 8);
	field[8] = 0;
	check(c, memcmp(h + 257, "ustar", 5) == 0 && strtoul(field, NULL, 8) == sum,
	      "content: the partition does not start with a ustar header (magic, checksum)");
}

/* Lists and checks the partitions of one good copy of the GPT. */
static void check_partitions(struct ctx *c, const struct gpt_copy *g)
{
	const struct gpt_header *h = &g->h;
	struct span *spans = calloc(h->num_entries, sizeof *spans);
	unsigned n = 0, count[4] = { 0, 0, 0, 0 };
	struct gpt_entry boot = { 0 }, content = { 0 };

	if (!spans) {
		check(c, 0, "partitions: out of memory");
		return;
	}
	fprintf(c->out, "partitions (%s GPT, usable LBAs %llu-%llu):\n", g->what, (unsigned long long)h->first_usable_lba,
		(unsigned long long)h->last_usable_lba);
	for (unsigned i = 0; i < h->num_entries; i++) {
		struct gpt_entry p;
		char tg[37], name[37];

		memcpy(&p, g->array + (size_t)i * h->entry_size, sizeof p); /* entry_size >= 128: checked */
		if (gpt_entry_unused(&p))
			continue;
		const char *t = type_name(p.type_guid);
		gpt_guid_str(p.type_guid, tg);
		gpt_name_str(&p, name);
		fprintf(c->out, "  %3u %-8s %s  LBA %llu-%llu  ", i + 1, t, tg, (unsigned long long)p.first_lba,
			(unsigned long long)p.last_lba);
		if (p.first_lba <= p.last_lba)
			print_size(c->out, (p.last_lba - p.first_lba + 1) * GPT_SECTOR);
		fprintf(c->out, "  \"%s\"\n", name);
		int inside = p.first_lba <= p.last_lba && p.first_lba >= h->first_usable_lba &&
			     p.last_lba <= h->last_usable_lba;
		check(c, inside, "partition %u (%s): LBA %llu-%llu is not inside the usable LBAs %llu-%llu", i + 1, t,
		      (unsigned long long)p.first_lba, (unsigned long long)p.last_lba,
		      (unsigned long long)h->first_usable_lba, (unsigned long long)h->last_usable_lba);
		if (!inside)
			continue;
		spans[n++] = (struct span){ p.first_lba, p.last_lba, i + 1 };
		unsigned k = !strcmp(t, "boot") ? 0 : !strcmp(t, "content") ? 1 : !strcmp(t, "data") ? 2 : 3;
		if (k == 0 && !count[0])
			boot = p;
		if (k == 1 && !count[1])
			content = p;
		count[k]++;
	}
	qsort(spans, n, sizeof *spans, by_first);
	for (unsigned i = 1; i < n; i++)
		check(c, spans[i].first > spans[i - 1].last, "partitions %u and %u overlap (LBA %llu-%llu and %llu-%llu)",
		      spans[i - 1].index, spans[i].index, (unsigned long long)spans[i - 1].first,
		      (unsigned long long)spans[i - 1].last, (unsigned long long)spans[i].first,
		      (unsigned long long)spans[i].last);
	free(spans);
	check(c, count[0] == 1, "partitions: %u boot partitions, not 1", count[0]);
	check(c, count[1] == 1, "partitions: %u content partitions, not 1", count[1]);
	check(c, count[2] <= 1, "partitions: %u data partitions, at most 1", count[2]);
	if (count[0] == 1)
		check_boot(c, &boot);
	if (count[1] == 1)
		check_content(c, &content);
}

unsigned image_inspect(const struct image_reader *r, FILE *out)
{
	struct ctx *c = calloc(1, sizeof *c);
	struct gpt_copy p = { .what = "primary" }, b = { .what = "backup" };
	unsigned failed;

	if (!c) {
		fprintf(out, "FAIL: out of memory\n");
		return 1;
	}
	c->r = r;
	c->out = out;
	c->total = r->size / GPT_SECTOR;
	fprintf(out, "image: %llu bytes (%llu sectors of %u)\n", (unsigned long long)r->size,
		(unsigned long long)c->total, GPT_SECTOR);
	/* MBR, two headers and two arrays of the smallest legal size. */
	check(c, r->size % GPT_SECTOR == 0, "image: %llu bytes, not a whole number of %u-byte sectors",
	      (unsigned long long)r->size, GPT_SECTOR);
	if (c->total < 6) {
		check(c, 0, "image: %llu sectors, too small for a GPT", (unsigned long long)c->total);
		goto done;
	}
	check_mbr(c);
	read_copy(c, &p, 1);
	/* The backup is where the primary says, or (primary unusable) at the
	 * end, where UEFI looks for it. */
	read_copy(c, &b, p.header_ok ? p.h.backup_lba : c->total - 1);
	if (p.header_ok && b.header_ok)
		check_backup(c, &p, &b);
	if (p.header_ok || b.header_ok) {
		char guid[37];
		const struct gpt_copy *g = p.header_ok && p.array_ok ? &p : b.header_ok && b.array_ok ? &b : p.header_ok ? &p : &b;
		gpt_guid_str(g->h.disk_guid, guid);
		fprintf(out, "disk GUID %s, %u entries of %u bytes\n", guid, g->h.num_entries, g->h.entry_size);
		check_partitions(c, g);
	}
done:
	failed = c->failed;
	fprintf(out, "checks: %u passed, %u failed\n", c->passed, c->failed);
	for (unsigned i = 0; i < c->failed && i < 32; i++)
		fprintf(out, "FAIL: %s\n", c->fails[i]);
	if (c->failed > 32)
		fprintf(out, "FAIL: ... and %u more\n", c->failed - 32);
	free(p.array);
	free(b.array);
	free(c);
	return failed;
}
