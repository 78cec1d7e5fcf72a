/* Trap entry stubs: every vector saves the same frame (15 registers, vector,
 * error code, then the CPU's iret frame) and calls trap_dispatch(frame). */
	.text
	.code64

.macro TRAP name, vec, has_err
	.globl \name
\name:
	.if !\has_err
	push	$0
	.endif
	push	$\vec
	jmp	trap_common
.endm

	TRAP trap_ud, 6, 0
	TRAP trap_gp, 13, 1
	TRAP trap_pf, 14, 1
	TRAP trap_df, 8, 1
	TRAP trap_timer, 0x40, 0

trap_common:
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
	mov	%rsp, %rdi
	call	trap_dispatch
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
	add	$16, %rsp
	iretq

	/* enter_user(rip, rsp): iretq to ring 3 with IOPL 0 (ports through the
	 * TSS bitmap) and interrupts on. */
	.globl enter_user
enter_user:
	push	$0x1b
	push	%rsi
	push	$0x0202
	push	$0x23
	push	%rdi
	iretq

	.section .note.GNU-stack, "", @progbits
