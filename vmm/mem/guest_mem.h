/* Guest RAM: one anonymous mapping, split around the MMIO hole, and the one
 * bounds-checked translation from guest-physical addresses to host pointers
 * that everything touching guest memory goes through. */
#ifndef VMM_MEM_GUEST_MEM_H
#define VMM_MEM_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct guest_mem {
	uint8_t *host;     /* size bytes; low part first, then the part above 4 GiB */
	uint64_t size;     /* RAM in bytes */
	uint64_t low_size; /* RAM below the MMIO hole, mapped at GPA 0 */
};

/* Reserves RAM (MAP_NORESERVE: untouched pages cost nothing). */
int guest_mem_alloc(struct guest_mem *m, uint64_t size, struct err *e);
void guest_mem_free(struct guest_mem *m);

/* Maps [off, off + len) of fd over the RAM at [gpa, gpa + len), private
 * (copy-on-write: the guest's and vmm's writes stay in this VM) and never
 * executable; gpa, off and len page-aligned. Pages the guest only reads
 * stay the file's, shared by every VM that maps it. The caller guarantees
 * the file cannot shrink under the mapping (a sealed memfd): a page past
 * its end would kill vmm with SIGBUS. guest_mem_free unmaps it with the
 * rest. */
int guest_mem_map_file(struct guest_mem *m, uint64_t gpa, int fd, uint64_t off, uint64_t len, struct err *e);

/* Host pointer for [gpa, gpa + len) when the whole range is RAM in one piece,
 * NULL otherwise (outside RAM, in the hole, wrapping, or crossing 4 GiB). */
void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* Top of RAM below the hole (exclusive). */
static inline uint64_t guest_mem_low_end(const struct guest_mem *m)
{
	return m->low_size;
}

#endif
