/* The firmware's ring-0 code: all of it. PVH enters at fw_start32 (32-bit,
 * paging off, %ebx = start_info); we switch to long mode on static page
 * tables, load static GDT/IDT/TSS and iretq to ring 3, where fw_main does
 * everything else. Ring 3 comes back exactly once, by `ud2` with %ebx =
 * the kernel's start_info and %esi = its PVH entry: the #UD handler drops
 * to 32-bit protected mode with paging off and jumps there. Every
 * instruction here is emulated on PVM hosts (~2.4 us), so there are ~45 in
 * all, counted in firmware/README.md. */
#include "guest/lib/entry.h"
#include "firmware/layout.h"
#define FW_PORT_EXIT 0x604 /* PORT_EXIT (abi/platform.h is C only) */

#define KSTACK 4096
#define USTACK 32768

	.section .note.pvh, "a"
	.p2align 2
	.long 4, 4, 18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long fw_start32

	/* Fixed addresses (layout.h): the IDT's gates are constants. */
	.section .text.traps, "ax"
	.code64
	.globl fw_trap_ud
fw_trap_ud:
	/* From ring 3's hand-off ud2 (nothing else at ring 3 executes ud2):
	 * far return into the 32-bit code segment (compatibility mode). */
	push	$0x38
	push	$fw_leave32
	lretq
	.org	0x40
	.globl fw_trap_fail
fw_trap_fail:
	/* Any other exception is a firmware bug: power off with code 47's
	 * neighbour 1 (no message: printing from here would take thousands
	 * of emulated instructions). */
	mov	$1, %eax
	mov	$FW_PORT_EXIT, %dx
	out	%eax, %dx
1:	hlt
	jmp	1b

	.section .text.boot, "ax"
	.code32
fw_leave32:
	mov	$0x11, %eax		/* PE | ET: paging off leaves long mode */
	mov	%eax, %cr0
	mov	$0xc0000080, %ecx	/* EFER = 0 */
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	mov	%eax, %cr4
	mov	%eax, %cr3
	mov	$0x10, %eax		/* flat 32-bit data, as vcpu_setup_pvh gives */
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	%eax, %fs
	mov	%eax, %gs
	jmp	*%esi

	.globl fw_start32
fw_start32:
	mov	%ebx, %edi		/* start_info, fw_main's argument */
	mov	%ebx, %esi
	ENTER_LONG_MODE gdt_ptr, pml4, 0, fw_long

	.code64
fw_long:
	mov	$0x10, %eax
	mov	%eax, %ss
	mov	$fw_kstack + KSTACK, %esp	/* for the iret frame below */
	lidt	idt_ptr(%rip)
	mov	$0x28, %eax
	ltr	%ax
	/* iretq to ring 3: ss, rsp, rflags (IF off: nothing interrupts a
	 * polling firmware), cs, rip. ds/es stay null: flat 64-bit ignores them. */
	push	$0x1b
	push	$fw_ustack + USTACK - 8	/* as after a call: the ABI's alignment */
	push	$0x2
	push	$0x23
	push	$fw_main
	iretq

	.data
	.p2align 4
gdt:
	.quad 0				/* 0x00 */
	FLAT_SEGMENTS			/* 0x08-0x20 */
	/* 0x28: the TSS at FW_TSS, available 64-bit TSS, limit FW_TSS_LIMIT */
	.quad FW_TSS_LIMIT | ((FW_TSS & 0xffffff) << 16) | (0x89 << 40) | (((FW_TSS >> 24) & 0xff) << 56)
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x38 kernel code, 32-bit (the hand-off) */
gdt_end:
gdt_ptr:
	.word gdt_end - gdt - 1
	.quad gdt

#define GATE_LO(a) (((a) & 0xffff) | (0x08 << 16) | (0x8e00 << 32) | ((((a) >> 16) & 0xffff) << 48))
	.p2align 4
idt:
	.rept 6
	.quad GATE_LO(FW_TRAP_FAIL), 0
	.endr
	.quad GATE_LO(FW_TRAP_UD), 0	/* 6: #UD, the hand-off */
	.rept 25
	.quad GATE_LO(FW_TRAP_FAIL), 0
	.endr
idt_end:
idt_ptr:
	.word idt_end - idt - 1
	.quad idt

	/* Identity map of 4 GiB, 2 MiB user pages (ring 3 reaches RAM,
	 * MMIO and the kernel's destination), the top GiB uncached. */
	.p2align 12
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
	.quad addr + 0x87
	.set addr, addr + 0x200000
	.endr
	.rept 512
	.quad addr + 0x9f
	.set addr, addr + 0x200000
	.endr

	/* The TSS: rsp0 for exceptions from ring 3, and an I/O bitmap that
	 * allows every port below FW_IOMAP_PORTS (IOPL stays 0: PVM ignores it). */
	.section .tss, "aw"
	.long 0
	.quad fw_kstack + KSTACK	/* rsp0 */
	.fill FW_TSS_IOMAP - 12 - 2, 1, 0
	.word FW_TSS_IOMAP
	.fill FW_IOMAP_PORTS / 8, 1, 0
	.byte 0xff

	.bss
	.p2align 12
	.globl fw_kstack, fw_ustack
fw_kstack:
	.fill KSTACK, 1, 0
fw_ustack:
	.fill USTACK, 1, 0

	.section .note.GNU-stack, "", @progbits
