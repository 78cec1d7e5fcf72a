/* vmm image inspect against arbitrary files: whatever the GPT, boot header
 * and kernel say, it must read only inside the file, allocate only what
 * the checked bounds allow, and report rather than crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/inspect.h"

struct mem {
	const uint8_t *p;
	size_t size;
};

/* Aborts on a read past the end: inspect must check bounds before reading,
 * not rely on the reader to refuse. */
static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct mem *m = ctx;

	if (off > m->size || len > m->size - off)
		abort();
	memcpy(buf, m->p + off, len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct mem m = { data, size };
	struct image_reader r = { mem_read, &m, size };

	if (!null && !(null = fopen("/dev/null", "w")))
		abort();
	image_inspect(&r, null);
	return 0;
}
