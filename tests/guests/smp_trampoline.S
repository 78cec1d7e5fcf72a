/* Application-processor start-up code. The boot CPU copies tramp_start ..
 * tramp_end to TRAMP_BASE and sends INIT-SIPI-SIPI with vector
 * TRAMP_BASE >> 12; each AP starts here in real mode, reaches long mode on
 * the shared page tables and calls ap_main(apic_id). */
#define TRAMP_BASE 0x10000
#define AP_STACK   4096

	.section .rodata
	.globl tramp_start, tramp_end
	.code16
tramp_start:
	cli
	mov	%cs, %ax
	mov	%ax, %ds
	lgdtl	(tramp_gdt_ptr - tramp_start)
	mov	%cr0, %eax
	or	$1, %eax
	mov	%eax, %cr0
	ljmpl	$0x38, $(TRAMP_BASE + tramp32 - tramp_start)

	.code32
tramp32:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	%cr4, %eax
	or	$0x20, %eax
	mov	%eax, %cr4
	mov	$pml4, %eax
	mov	%eax, %cr3
	mov	$0xc0000080, %ecx
	rdmsr
	or	$0x100, %eax
	wrmsr
	mov	%cr0, %eax
	or	$0x80000000, %eax
	mov	%eax, %cr0
	ljmp	$0x08, $ap_long

	.p2align 3
tramp_gdt_ptr:
	.word	8 * 8 - 1
	.long	gdt
tramp_end:

	.text
	.code64
ap_long:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$0xfee00020, %eax	/* local APIC ID register */
	mov	(%rax), %eax
	shr	$24, %eax
	mov	%eax, %edi
	lea	ap_stacks(%rip), %rsp
	lea	1(%rdi), %rcx
	shl	$12, %rcx
	add	%rcx, %rsp
	call	ap_main
1:	cli
	hlt
	jmp	1b

	.bss
	.p2align 12
ap_stacks:
	.fill	256 * AP_STACK, 1, 0

	.section .note.GNU-stack, "", @progbits
