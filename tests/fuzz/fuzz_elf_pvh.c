/* The PVH ELF loader against arbitrary files: it must reject or load them
 * without touching memory outside the file or guest RAM. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "boot/elf_pvh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guest_mem mem;
	struct pvh_image img;
	struct err e;

	if (!mem.host && guest_mem_alloc(&mem, 8u << 20, &e) < 0)
		abort();
	pvh_load(data, size, &mem, &img, &e);
	return 0;
}
