/* Zeroed blocks for the VM's big, sparsely written structures (device
 * configurations and states, the machine). calloc zeroes a block it carves
 * from the heap by writing it, so every page of it becomes resident for the
 * whole run; a block from mmap is zero already, and only the pages written
 * cost memory. Small blocks still come from calloc. */
#ifndef VMM_UTIL_ZALLOC_H
#define VMM_UTIL_ZALLOC_H

#include <stddef.h>

/* size zeroed bytes, or NULL when out of memory. */
void *zalloc(size_t size);
/* Frees what zalloc(size) returned (NULL: nothing), with that same size. */
void zfree(void *p, size_t size);

#endif
