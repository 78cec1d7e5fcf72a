/* Touches every page of its RAM, over and over: the RAM regions of the PVH
 * memory map (abi/pvh.h), each 4 KiB page written once per pass. It is the
 * guest that allocates all its memory, for the host's per-VM memory limit:
 * vmm maps guest RAM MAP_NORESERVE, so the host pays for a page only once
 * the guest touches it, and after the first pass it pays for all of them.
 *
 * Console: "memhog: N MiB RAM" at start, "memhog: M MiB touched" every
 * 16 MiB of the first pass (so a host killed part-way shows how far it got),
 * "memhog: pass P done" after each pass; it never stops by itself.
 *
 * Each page gets a read-modify-write of one byte (the same value back), not
 * a fresh pattern: the regions hold this image, its stack and page tables,
 * start_info and ACPI tables, and writing them unchanged is as good a touch
 * as any for the host while keeping the guest intact. Only RAM below 4 GiB
 * is reachable: start.S identity-maps 4 GiB, and RAM above the MMIO hole
 * (guests over 3 GiB) is counted and left alone. */
#include "lib/guest.h"

#define PAGE     4096ull
#define MAPPED   (4ull << 30)
#define PROGRESS (16ull << 20)

static void touch(uint64_t start, uint64_t end, uint64_t *done)
{
	for (uint64_t a = (start + PAGE - 1) & ~(PAGE - 1); a + PAGE <= end; a += PAGE) {
		volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)a;

		*p = *p;
		*done += PAGE;
		if (done[1] == 0 && *done % PROGRESS == 0)
			printf_serial("memhog: %llu MiB touched\n", (unsigned long long)(*done >> 20));
	}
}

int guest_main(struct hvm_start_info *si)
{
	const struct hvm_memmap_entry *map = (const struct hvm_memmap_entry *)(uintptr_t)si->memmap_paddr;
	uint64_t ram = 0, unmapped = 0;

	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		if (map[i].type != E820_RAM)
			continue;
		ram += map[i].size;
		if (map[i].addr + map[i].size > MAPPED)
			unmapped += map[i].addr >= MAPPED ? map[i].size : map[i].addr + map[i].size - MAPPED;
	}
	printf_serial("memhog: %llu MiB RAM", (unsigned long long)(ram >> 20));
	if (unmapped)
		printf_serial(" (%llu MiB above 4 GiB left alone)", (unsigned long long)(unmapped >> 20));
	puts_serial("\n");
	/* done[0]: bytes touched in this pass; done[1]: passes finished */
	for (uint64_t done[2] = { 0, 0 };; done[1]++, done[0] = 0) {
		for (uint32_t i = 0; i < si->memmap_entries; i++) {
			uint64_t end = map[i].addr + map[i].size;

			if (map[i].type == E820_RAM && map[i].addr < MAPPED)
				touch(map[i].addr, end < MAPPED ? end : MAPPED, done);
		}
		printf_serial("memhog: pass %llu done, %llu MiB\n", (unsigned long long)done[1] + 1,
			      (unsigned long long)(done[0] >> 20));
	}
}
