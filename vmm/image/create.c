#include "image/create.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi/site_image.h"
#include "image/boot_part.h"
#include "image/crc32.h"
#include "image/gpt.h"
#include "image/ustar.h"

#define SECTORS_PER_ALIGN (IMAGE_ALIGN / GPT_SECTOR)
/* Room before the first partition and after the last: the primary and
 * backup GPT fit in 34 and 33 sectors; a whole 1 MiB keeps every
 * partition and the disk's size aligned. */
#define GPT_GAP SECTORS_PER_ALIGN

static int read_kernel(const char *path, uint8_t **buf, size_t *len, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	size_t got = 0;

	if (fd < 0)
		return err_errno(e, "kernel %s", path);
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return err_set(e, "kernel %s: not a regular file", path);
	}
	if (sb.st_size <= 0 || (uint64_t)sb.st_size > BOOT_KERNEL_MAX) {
		close(fd);
		return err_set(e, "kernel %s: %lld bytes, not 1 to %u", path, (long long)sb.st_size, BOOT_KERNEL_MAX);
	}
	if (!(*buf = malloc((size_t)sb.st_size))) {
		close(fd);
		return err_set(e, "kernel %s: out of memory", path);
	}
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, *buf + got, (size_t)sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				err_errno(e, "kernel %s", path);
			else
				err_set(e, "kernel %s: shrank while it was read", path);
			free(*buf);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return 0;
}

/* Deterministic GUIDs: the same inputs give the same image, different
 * sites different GUIDs. splitmix64 over a seed made of the contents' CRCs
 * and sizes; shaped as version 4 (random) GUIDs. */
static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void make_guid(uint64_t *s, uint8_t g[16])
{
	uint64_t a = splitmix(s), b = splitmix(s);
	memcpy(g, &a, 8);
	memcpy(g + 8, &b, 8);
	g[7] = (uint8_t)((g[7] & 0x0f) | 0x40); /* version 4 (the 3rd field, little endian: byte 7 is its top) */
	g[8] = (uint8_t)((g[8] & 0x3f) | 0x80); /* variant 10 */
}

static void set_name(struct gpt_entry *p, const char *name)
{
	for (unsigned i = 0; name[i] && i < 36; i++) {
		uint16_t c = (uint8_t)name[i];
		memcpy(&p->name[i], &c, 2);
	}
}

static uint64_t align_up(uint64_t x)
{
	return (x + IMAGE_ALIGN - 1) / IMAGE_ALIGN * IMAGE_ALIGN;
}

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off, struct err *e, const char *path)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_errno(e, "writing %s", path);
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* One GPT header (primary at LBA 1 or backup at the last LBA). */
static void make_header(uint8_t sector[GPT_SECTOR], uint64_t lba, uint64_t other, uint64_t entries_lba,
			uint64_t total, const uint8_t disk_guid[16], uint32_t entries_crc)
{
	struct gpt_header h;

	memset(&h, 0, sizeof h);
	memcpy(h.signature, GPT_SIGNATURE, 8);
	h.revision = GPT_REVISION;
	h.header_size = GPT_HEADER_SIZE;
	h.current_lba = lba;
	h.backup_lba = other;
	h.first_usable_lba = 2 + GPT_ARRAY_SECTORS;
	h.last_usable_lba = total - 2 - GPT_ARRAY_SECTORS;
	memcpy(h.disk_guid, disk_guid, 16);
	h.entries_lba = entries_lba;
	h.num_entries = GPT_ENTRIES;
	h.entry_size = GPT_ENTRY_SIZE;
	h.entries_crc32 = entries_crc;
	memset(sector, 0, GPT_SECTOR);
	memcpy(sector, &h, sizeof h);
	h.header_crc32 = gpt_header_crc(sector, GPT_HEADER_SIZE);
	memcpy(sector, &h, sizeof h);
}

static int write_image(int fd, const char *path, const struct image_create_opts *o, const uint8_t *kernel,
		       size_t kernel_len, const struct ustar *tar, struct image_create_result *r, struct err *e)
{
	uint32_t cmdline_len = (uint32_t)strlen(o->cmdline);
	uint64_t kernel_off = boot_kernel_offset(cmdline_len);
	uint64_t boot_bytes = align_up(kernel_off + kernel_len);
	uint64_t content_bytes = align_up(o->content_size ? o->content_size : tar->len);
	uint64_t data_bytes = o->data_size ? align_up(o->data_size) : 0;
	static struct gpt_entry entries[GPT_ENTRIES];
	uint8_t sector[GPT_SECTOR], disk_guid[16];
	struct site_boot_header bh;
	uint32_t kernel_crc = crc32_update(0, kernel, kernel_len), tar_crc = crc32_update(0, tar->data, tar->len);
	uint64_t seed, total, lba = GPT_GAP;
	static const uint8_t types[3][16] = { SITE_IMAGE_TYPE_BOOT, SITE_IMAGE_TYPE_CONTENT, SITE_IMAGE_TYPE_DATA };
	static const char *const names[3] = { "boot", "content", "data" };
	uint64_t sizes[3] = { boot_bytes, content_bytes, data_bytes };
	uint32_t entries_crc;

	if (o->content_size && tar->len > o->content_size)
		return err_set(e, "the archive of %s is %zu bytes, more than --content-size %llu", o->site_dir, tar->len,
			       (unsigned long long)o->content_size);
	memset(entries, 0, sizeof entries);
	seed = ((uint64_t)kernel_crc << 32 | tar_crc) ^ crc32_update(0, o->cmdline, cmdline_len) ^
	       (content_bytes << 20) ^ (data_bytes << 40) ^ tar->len;
	make_guid(&seed, disk_guid);
	for (unsigned i = 0; i < 3; i++) {
		if (!sizes[i])
			continue;
		memcpy(entries[i].type_guid, types[i], 16);
		make_guid(&seed, entries[i].unique_guid);
		entries[i].first_lba = lba;
		entries[i].last_lba = lba + sizes[i] / GPT_SECTOR - 1;
		set_name(&entries[i], names[i]);
		lba += sizes[i] / GPT_SECTOR;
	}
	total = lba + GPT_GAP;
	entries_crc = crc32_update(0, entries, sizeof entries);

	r->bytes = total * GPT_SECTOR;
	r->archive_bytes = tar->len;
	r->files = tar->files;
	r->dirs = tar->dirs;
	r->kernel_bytes = kernel_len;
	r->boot_first = entries[0].first_lba, r->boot_count = boot_bytes / GPT_SECTOR;
	r->content_first = entries[1].first_lba, r->content_count = content_bytes / GPT_SECTOR;
	r->data_first = entries[2].first_lba, r->data_count = data_bytes / GPT_SECTOR;

	/* Sized first: what is never written (padding, the data partition)
	 * reads as zeros and takes no disk space. */
	if (ftruncate(fd, (off_t)r->bytes) < 0)
		return err_errno(e, "sizing %s to %llu bytes", path, (unsigned long long)r->bytes);
	gpt_protective_mbr(sector, total);
	if (pwrite_all(fd, sector, GPT_SECTOR, 0, e, path) < 0)
		return -1;
	make_header(sector, 1, total - 1, 2, total, disk_guid, entries_crc);
	if (pwrite_all(fd, sector, GPT_SECTOR, GPT_SECTOR, e, path) < 0 ||
	    pwrite_all(fd, entries, sizeof entries, 2 * GPT_SECTOR, e, path) < 0)
		return -1;
	make_header(sector, total - 1, 1, total - 1 - GPT_ARRAY_SECTORS, total, disk_guid, entries_crc);
	if (pwrite_all(fd, entries, sizeof entries, (total - 1 - GPT_ARRAY_SECTORS) * GPT_SECTOR, e, path) < 0 ||
	    pwrite_all(fd, sector, GPT_SECTOR, (total - 1) * GPT_SECTOR, e, path) < 0)
		return -1;

	boot_header_make(&bh, cmdline_len, kernel_len, kernel_crc);
	uint64_t boot_off = entries[0].first_lba * GPT_SECTOR;
	if (pwrite_all(fd, &bh, sizeof bh, boot_off, e, path) < 0 ||
	    pwrite_all(fd, o->cmdline, cmdline_len, boot_off + SITE_IMAGE_SECTOR, e, path) < 0 ||
	    pwrite_all(fd, kernel, kernel_len, boot_off + kernel_off, e, path) < 0 ||
	    pwrite_all(fd, tar->data, tar->len, entries[1].first_lba * GPT_SECTOR, e, path) < 0)
		return -1;
	if (fsync(fd) < 0)
		return err_errno(e, "writing %s", path);
	return 0;
}

int image_create(const struct image_create_opts *o, struct image_create_result *r, struct err *e)
{
	uint8_t *kernel = NULL;
	size_t kernel_len = 0;
	uint64_t entry, lo, hi;
	struct ustar tar;
	char tmp[4096];
	int fd, rc = -1;

	memset(r, 0, sizeof *r);
	if (strlen(o->cmdline) > SITE_BOOT_CMDLINE_MAX)
		return err_set(e, "--cmdline is %zu bytes, over %u", strlen(o->cmdline), SITE_BOOT_CMDLINE_MAX);
	if (!o->force && access(o->out_path, F_OK) == 0)
		return err_set(e, "%s exists (--force replaces it)", o->out_path);
	if (read_kernel(o->kernel_path, &kernel, &kernel_len, e) < 0)
		return -1;
	if (boot_kernel_check(kernel, kernel_len, &entry, &lo, &hi, e) < 0) {
		char msg[sizeof e->msg];
		snprintf(msg, sizeof msg, "%s", e->msg);
		free(kernel);
		return err_set(e, "kernel %s: %s", o->kernel_path, msg);
	}
	if (ustar_pack_dir(o->site_dir, o->mtime, &tar, e) < 0) {
		free(kernel);
		return -1;
	}
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp%ld", o->out_path, (long)getpid()) >= sizeof tmp) {
		err_set(e, "%s: the path is too long", o->out_path);
		goto out;
	}
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
		err_errno(e, "creating %s", tmp);
		goto out;
	}
	rc = write_image(fd, tmp, o, kernel, kernel_len, &tar, r, e);
	if (close(fd) < 0 && rc == 0)
		rc = err_errno(e, "writing %s", tmp);
	/* link() refuses an existing name atomically; rename() replaces it. */
	if (rc == 0 && !o->force && link(tmp, o->out_path) < 0)
		rc = errno == EEXIST ? err_set(e, "%s exists (--force replaces it)", o->out_path)
				     : err_errno(e, "creating %s", o->out_path);
	if (rc == 0 && o->force && rename(tmp, o->out_path) < 0)
		rc = err_errno(e, "moving %s to %s", tmp, o->out_path);
	if (rc < 0 || !o->force)
		unlink(tmp);
out:
	ustar_free(&tar);
	free(kernel);
	return rc;
}
