/* The site content store: an index over a POSIX tar archive (ustar, or pax
 * as written by `tar --format=pax`; GNU long names are understood too), read
 * in place from the site disk. The index lives in a caller-provided arena;
 * file data is never copied by the store, only located. */
#ifndef GUEST_HTTP_SITE_TAR_H
#define GUEST_HTTP_SITE_TAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SITE_NAME_MAX 512     /* longest entry name accepted */
#define SITE_PAX_MAX  8192    /* largest pax/GNU extended header accepted */
#define SITE_ERR_LEN  200

/* Reads len bytes at image offset off into buf; 0 on success. The store only
 * calls it with ranges inside the image's size. */
typedef int (*site_read_fn)(void *ctx, uint64_t off, void *buf, size_t len);

struct site_image {
	uint64_t size;
	const uint8_t *mem; /* the whole image in memory, or NULL to use read */
	site_read_fn read;
	void *ctx;
};

void site_image_mem(struct site_image *img, const void *p, uint64_t size);

struct site_entry {
	const char *name; /* in the arena: "dir/file.html", no leading "./" or "/" */
	uint32_t name_len;
	uint32_t seq;     /* archive order, so the last of duplicates wins */
	bool is_dir;
	uint64_t off;     /* of the file's data in the image */
	uint64_t size;
	uint64_t mtime;   /* unix seconds; negative times read as 0 */
};

struct site {
	struct site_image img;
	struct site_entry *ent; /* sorted by name, names unique */
	size_t n;
	char err[SITE_ERR_LEN]; /* why site_open failed, for the console */
};

/* Validates the whole archive and builds the index. Refused, with a message
 * in s->err naming the offset: truncation (no end-of-archive block), bad
 * magic or header checksum, malformed numbers, data past the image's end,
 * absolute names or names with ".." components, names too long or with
 * control bytes, unsupported (sparse) entries, malformed pax records, an
 * arena too small. Entries other than files and directories (links,
 * devices, fifos) are skipped. Later duplicates replace earlier ones, as
 * when tar extracts. Returns 0 or -1. */
int site_open(struct site *s, const struct site_image *img, void *arena, size_t arena_len);

/* Exact lookup of a normalised name (no leading '/'); NULL when absent. */
const struct site_entry *site_find(const struct site *s, const char *name, size_t n);

/* Reads part of an entry's data; 0 on success, -1 outside the entry or on a
 * read error. */
int site_read(const struct site *s, const struct site_entry *e, uint64_t off, void *buf,
	      size_t len);

/* The entry's data in place when the image is in memory, else NULL. */
const void *site_data(const struct site *s, const struct site_entry *e);

#endif
