#include "util/zalloc.h"

#include <stdlib.h>
#include <sys/mman.h>

/* Up to a page, a block shares its pages with its neighbours in the heap;
 * a mapping of its own would cost it a whole page. */
#define ZALLOC_MMAP_MIN (4096u + 1)

/* Under AddressSanitizer, calloc: LeakSanitizer only finds the pointers
 * these blocks hold (the device state's connections, the machine's vCPUs)
 * in memory it allocated, and ASan checks their bounds. */
static int use_mmap(size_t size)
{
#if defined(__SANITIZE_ADDRESS__)
	(void)size;
	return 0;
#else
	return size >= ZALLOC_MMAP_MIN;
#endif
}

void *zalloc(size_t size)
{
	void *p;

	if (!use_mmap(size))
		return calloc(1, size);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void zfree(void *p, size_t size)
{
	if (!p)
		return;
	if (!use_mmap(size))
		free(p);
	else
		munmap(p, size);
}
