#include "mem/guest_mem.h"

#include <sys/mman.h>
#include <sys/sysinfo.h>

#include "abi/platform.h"

int guest_mem_alloc(struct guest_mem *m, uint64_t size, struct err *e)
{
	struct sysinfo si;
	void *p;

	if (size < MEM_MIN)
		return err_set(e, "--mem %llu bytes is too small: at least %llu MiB is needed",
			       (unsigned long long)size, MEM_MIN >> 20);
	if (size & 0xfff)
		return err_set(e, "--mem must be a multiple of 4 KiB");
	/* MAP_NORESERVE would accept almost any size; refuse what the host could
	 * never back rather than let the guest die later on a failed page fault. */
	if (sysinfo(&si) == 0) {
		uint64_t host = (uint64_t)si.totalram * si.mem_unit + (uint64_t)si.totalswap * si.mem_unit;
		if (size > host)
			return err_set(e, "--mem %llu MiB is more than this host can reserve (%llu MiB of RAM and swap)",
				       (unsigned long long)(size >> 20), (unsigned long long)(host >> 20));
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return err_errno(e, "cannot reserve %llu MiB of guest memory", (unsigned long long)(size >> 20));
	/* A small guest touches a few hundred KiB spread over its RAM; with
	 * transparent huge pages each touch could pin 2 MiB (measured: the site
	 * guest's 0.5 MiB became 2 MiB in some runs). Density over TLB reach.
	 * Hosts without THP refuse the advice; nothing to do then. */
	(void)madvise(p, size, MADV_NOHUGEPAGE);
	m->host = p;
	m->size = size;
	m->low_size = size < MMIO_HOLE_START ? size : MMIO_HOLE_START;
	return 0;
}

int guest_mem_map_file(struct guest_mem *m, uint64_t gpa, int fd, uint64_t off, uint64_t len, struct err *e)
{
	uint8_t *p = guest_mem_ptr(m, gpa, len);

	if (!p || !len || ((gpa | off | len) & 0xfff))
		return err_set(e, "cannot map %llu bytes at guest address 0x%llx: not whole pages of RAM",
			       (unsigned long long)len, (unsigned long long)gpa);
	if (mmap(p, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, (off_t)off) == MAP_FAILED)
		return err_errno(e, "cannot map %llu KiB of a file at guest address 0x%llx",
				 (unsigned long long)(len >> 10), (unsigned long long)gpa);
	/* The new mapping does not inherit the advice of the one it replaced:
	 * the pages the guest writes are anonymous copies, 4 KiB each as
	 * elsewhere in RAM. */
	(void)madvise(p, len, MADV_NOHUGEPAGE);
	return 0;
}

void guest_mem_free(struct guest_mem *m)
{
	if (m->host)
		munmap(m->host, m->size);
	m->host = NULL;
	m->size = m->low_size = 0;
}

void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	uint64_t high = m->size - m->low_size;

	if (gpa + len < gpa)
		return NULL;
	if (gpa < m->low_size) {
		if (len > m->low_size - gpa)
			return NULL;
		return m->host + gpa;
	}
	if (gpa >= MMIO_HOLE_END && gpa - MMIO_HOLE_END < high) {
		uint64_t off = gpa - MMIO_HOLE_END;
		if (len > high - off)
			return NULL;
		return m->host + m->low_size + off;
	}
	return NULL;
}
