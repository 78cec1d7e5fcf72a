/* Trap entry stubs: every vector saves the same frame (15 registers, vector,
 * error code, then the CPU's iret frame) and calls trap_dispatch(frame). */
#include "guest/lib/entry.h"
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
	PUSH_GPRS
	mov	%rsp, %rdi
	call	trap_dispatch
	POP_GPRS
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
