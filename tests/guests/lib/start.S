/* Test-guest entry: PVH hands us 32-bit protected mode with paging off and
 * %ebx pointing at start_info. We switch to long mode on page tables that
 * are static data (building them at run time would cost thousands of
 * emulated ring-0 instructions on nested hosts) and call guest_main().
 * The identity map covers 4 GiB with 2 MiB user-accessible pages; the top
 * GiB (MMIO, APICs) is uncached. */
#include "guest/lib/entry.h"

#define STACK_SIZE 16384

	.section .note.pvh, "a"
	.p2align 2
	.long 4, 4, 18		/* name size, desc size, XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long _start32

	.section .text.boot, "ax"
	.code32
	.globl _start32
_start32:
	mov	%ebx, %esi		/* start_info, kept for guest_main */
	ENTER_LONG_MODE gdt_ptr, pml4, 0, long_mode

	.code64
long_mode:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	xor	%eax, %eax
	mov	%ax, %fs
	mov	%ax, %gs
	lea	boot_stack + STACK_SIZE(%rip), %rsp
	mov	%rsi, %rdi
	call	guest_main
	mov	%eax, %edi
	call	poweroff
1:	hlt
	jmp	1b

	.data
	.p2align 4
	.globl gdt
gdt:
	.quad 0				/* 0x00 */
	FLAT_SEGMENTS			/* 0x08-0x20 */
	.quad 0, 0			/* 0x28 TSS, filled in by tss_install() */
	.quad 0x00cf9a000000ffff	/* 0x38 kernel code, 32-bit (AP start-up) */
gdt_end:
	.globl gdt_ptr
gdt_ptr:
	.word gdt_end - gdt - 1
	.quad gdt

	.p2align 12
	.globl pml4
pml4:
	.quad pdpt + 0x7
	.fill 511, 8, 0
pdpt:
	.quad pd + 0x0000 + 0x7
	.quad pd + 0x1000 + 0x7
	.quad pd + 0x2000 + 0x7
	.quad pd + 0x3000 + 0x7
	.fill 508, 8, 0
pd:
	.set addr, 0
	.rept 1536
	.quad addr + 0x87		/* present, writable, user, 2 MiB */
	.set addr, addr + 0x200000
	.endr
	.rept 512
	.quad addr + 0x9f		/* ... and uncached (PCD | PWT) */
	.set addr, addr + 0x200000
	.endr

	.bss
	.p2align 12
boot_stack:
	.fill STACK_SIZE, 1, 0

	.section .note.GNU-stack, "", @progbits
