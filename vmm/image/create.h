/* vmm image create: a single-file site image (abi/site_image.h) from a
 * site directory and a kernel. */
#ifndef VMM_IMAGE_CREATE_H
#define VMM_IMAGE_CREATE_H

#include <stdint.h>

#include "util/err.h"

#define IMAGE_ALIGN (1u << 20) /* partitions start and end on 1 MiB, as sgdisk aligns them */

struct image_create_opts {
	const char *site_dir;
	const char *kernel_path;
	const char *cmdline;   /* "" for none */
	const char *out_path;
	uint64_t content_size; /* 0: the archive's size; either way rounded up to IMAGE_ALIGN */
	uint64_t data_size;    /* 0: no data partition; else rounded up to IMAGE_ALIGN */
	uint64_t mtime;        /* every archive entry's */
	int force;             /* replace an existing out_path */
};

/* What was written, for the command's summary line. */
struct image_create_result {
	uint64_t bytes;
	uint64_t archive_bytes, files, dirs;
	uint64_t kernel_bytes;
	uint64_t boot_first, boot_count, content_first, content_count, data_first, data_count; /* LBAs */
};

/* Writes the image to a temporary file beside out_path and moves it into
 * place (atomically refusing an existing file unless force), so a failure
 * leaves no partial image. */
int image_create(const struct image_create_opts *o, struct image_create_result *r, struct err *e);

#endif
