/* The site kernel's fixed low memory layout, shared by start.S (page
 * tables, stack pointer), kernel.ld (checks it) and trap.c (diagnosis).
 * Plain #defines: included from assembly too. README.md, "Memory layout".
 *
 *   0x100000  TSS, boot code, trap stubs (< 64 KiB; descriptors are constants)
 *   0x110000  guard: 64 KiB left unmapped (pt_low entries absent)
 *   0x120000  ring-3 stack, 1 MiB, growing down from 0x220000; no file
 *             bytes and no loaded segment: its pages are touched on demand
 *   0x220000  the rest of the image (.text, .rodata, .data, .bss with the
 *             ring-0 trap stacks), then the page allocator's RAM
 *
 * The guard is larger than the 4 KiB page it minimally needs: musl's printf
 * (fmt_fp) has an 8 KiB frame, which could step over a single page. */
#ifndef GUEST_KERNEL_LAYOUT_H
#define GUEST_KERNEL_LAYOUT_H

#define IMAGE_BASE        0x100000
#define USTACK_GUARD      0x110000
#define USTACK_GUARD_SIZE 0x10000
#define USTACK_BOTTOM     (USTACK_GUARD + USTACK_GUARD_SIZE)
#define USTACK_SIZE       0x100000
#define USTACK_TOP        (USTACK_BOTTOM + USTACK_SIZE)

#endif
