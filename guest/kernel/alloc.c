/* A small page allocator: a bump pointer over the RAM after the image, and
 * free lists by page count for what is returned (connection buffers, disk
 * chunks, tx slots). Freed memory is reused first (LIFO), so the set of
 * guest pages ever touched stays as small as the peak need: pages never
 * handed out are never touched, and cost the host nothing. Blocks of
 * NLISTS pages and more (request bodies, big Lua strings and tables) go on
 * one list, taken back best fit with the rest split off, so a site that
 * handles 1 MiB bodies all day reuses the same pages. */
#include "kernel.h"

#define PAGE 4096ul
#define NLISTS 65

struct free_node {
	struct free_node *next;
};

struct big_node {
	struct big_node *next;
	size_t n;
};

static uintptr_t bump, limit, base;
static struct free_node *lists[NLISTS];
static struct big_node *big;
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
	if (n >= NLISTS) {
		struct big_node **best = NULL;

		for (struct big_node **b = &big; *b; b = &(*b)->next)
			if ((*b)->n >= n && (!best || (*b)->n < (*best)->n))
				best = b;
		if (best) {
			struct big_node *f = *best;
			size_t got = f->n;

			*best = f->next;
			in_use += got * PAGE;
			if (got > n)
				free_pages((char *)f + n * PAGE, got - n);
			return f;
		}
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
	} else {
		struct big_node *b = p;

		b->n = n;
		b->next = big;
		big = b;
	}
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
