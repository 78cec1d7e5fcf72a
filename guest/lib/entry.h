/* Assembler macros the site kernel's and the test guests' entry code share
 * (include from a .S file). Every instruction here runs at ring 0, emulated
 * on PVM hosts, so they stay short. */
#ifndef GUEST_LIB_ENTRY_H
#define GUEST_LIB_ENTRY_H
#ifdef __ASSEMBLER__

/* From PVH's 32-bit flat protected mode into long mode on the static page
 * tables at \pml4, with the GDT at \gdtr (code selector 0x08). cr4 is set
 * to PAE | \cr4_extra and cr0 to PG | ET | PE | \cr0_extra: loaded as
 * constants, not read-modify-write, which saves a ring-0 instruction each;
 * the PVH ABI starts with cr4 = 0 and cr0 = PE (| ET), so nothing is lost,
 * and a loader that left other bits (cr0.EM, say) gets them cleared.
 * Continues at \target in 64-bit code. %esi is left alone (it carries the
 * start_info pointer). */
.macro ENTER_LONG_MODE gdtr, pml4, cr0_extra, target, cr4_extra=0
	lgdt	\gdtr
	mov	$(0x20 | \cr4_extra), %eax	/* PAE */
	mov	%eax, %cr4
	mov	$\pml4, %eax
	mov	%eax, %cr3
	mov	$0xc0000080, %ecx	/* EFER.LME */
	rdmsr
	or	$0x100, %eax
	wrmsr
	mov	$(0x80000011 | \cr0_extra), %eax
	mov	%eax, %cr0
	ljmp	$0x08, $\target
.endm

/* The GDT entries after the null one: 0x08 kernel code (64-bit), 0x10
 * kernel data, 0x18 user data (selector 0x1b), 0x20 user code (64-bit,
 * selector 0x23); flat, so paging alone decides what ring 3 may touch. */
.macro FLAT_SEGMENTS
	.quad 0x00af9a000000ffff
	.quad 0x00cf92000000ffff
	.quad 0x00cff2000000ffff
	.quad 0x00affa000000ffff
.endm

/* The general registers of a trap frame, in the order struct frame (C)
 * lists them: r15 first, at the lowest address. */
.macro PUSH_GPRS
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
.endm

.macro POP_GPRS
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
.endm

#endif
#endif
