/* A small page allocator: a bump pointer over the RAM after the image, and
 * free lists by page count for what is returned (connection buffers, disk
 * chunks, tx slots). Freed memory is reused first (LIFO), so the set of
 * guest pages ever touched stays as small as the peak need: pages never
 * handed out are never touched, and cost the host nothing. */
#include "kernel.h"

#define PAGE 4096ul
#define NLISTS 65

struct free_node {
	struct free_node *next;
};

static uintptr_t bump, limit, base;
static struct free_node *lists[NLISTS];
static uint64_t in_use;

void alloc_init(uintptr_t start, uintptr_t end)
{
	base = bump = (start + PAGE - 1) & ~(PAGE - 1);
	limit = end;
}

void *alloc_pages(size_t n)
{
	if (n == 0)
		n = 1;
	if (n < NLISTS && lists[n]) {
		struct free_node *f = lists[n];
		lists[n] = f->next;
		in_use += n * PAGE;
		return f;
	}
	if (n > (limit - bump) / PAGE)
		return NULL;
	void *p = (void *)bump;
	bump += n * PAGE;
	in_use += n * PAGE;
	return p;
}

void free_pages(void *p, size_t n)
{
	if (!p)
		return;
	if (n == 0)
		n = 1;
	in_use -= n * PAGE;
	if (n < NLISTS) {
		struct free_node *f = p;
		f->next = lists[n];
		lists[n] = f;
	}
	/* Larger blocks are only freed at boot (the index scratch): dropped. */
}

void *kalloc(size_t size)
{
	void *p = alloc_pages((size + PAGE - 1) / PAGE);

	if (!p)
		panic(EXIT_NO_MEMORY, "out of memory allocating %lu bytes (%lu KiB in use, %lu KiB left)",
		      (uint64_t)size, in_use >> 10, (uint64_t)(limit - bump) >> 10);
	return p;
}

uint64_t mem_used_bytes(void)
{
	return bump - base;
}

uint64_t mem_free_bytes(void)
{
	return limit - bump;
}
