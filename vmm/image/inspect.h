/* vmm image inspect: reads a site image, which may be anything (a tenant's
 * upload), prints what it holds and checks it. Every offset, size and count
 * in it is bounded before use; nothing is read past its end. */
#ifndef VMM_IMAGE_INSPECT_H
#define VMM_IMAGE_INSPECT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Where the image's bytes come from: a file (pread) or memory (the fuzzer). */
struct image_reader {
	/* len bytes at off, all inside size; 0 or -1 (an I/O error). */
	int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
	void *ctx;
	uint64_t size; /* bytes */
};

/* Prints the partitions, the boot header, the kernel and the command line
 * to out, then one "FAIL: ..." line per failed check. Returns the number of
 * failed checks (0: the image is sound). */
unsigned image_inspect(const struct image_reader *r, FILE *out);

#endif
