/* Site kernel entry, descriptor tables and the ring-0 trap stubs.
 *
 * Every instruction here runs at ring 0, which on our nested hosts is
 * emulated at ~2.4 us per instruction, so this file is written to execute as
 * few of them as possible:
 *   - page tables, GDT (with its TSS descriptor), TSS and IDT are static
 *     data: the TSS sits at exactly 1 MiB and the stubs in the next 64 KiB,
 *     so descriptor fields that would need shifts are assembler constants;
 *   - boot does 37 ring-0 instructions: long mode (with SSE enabled in
 *     the same constant cr0/cr4 loads), lidt, ltr, the two kvmclock MSRs,
 *     FS base (musl's thread pointer), iretq to ring 3 (IOPL 0, IF 0),
 *     where kmain() runs on a 1 MiB stack at a fixed address with 64 KiB
 *     unmapped below it (layout.h), so an overflow faults there;
 *   - ring 3 reaches its ports through the TSS I/O permission bitmap, not
 *     IOPL 3: PVM hosts ignore IOPL (ring-3 `in`/`out` would #GP) but
 *     honour the bitmap, and so do hardware KVM and QEMU, so one path
 *     serves every host;
 *   - waiting for an interrupt: ring 3 runs `hlt` at wait_for_interrupt,
 *     which traps (#GP); the #GP stub recognises the address and does
 *     `sti; hlt`, the interrupt stub notes the vector in irq_pending and
 *     sends the EOI, and the #GP stub returns past the `hlt`: ~10 ring-0
 *     instructions per wait;
 *   - anything else reaching ring 0 is a fault: trap_common saves the
 *     registers and calls trap_fatal() (trap.c), which prints a diagnosis
 *     and powers off (or, for the kvmclock probe, skips the wrmsr).
 */
#include "guest/lib/entry.h"
#include "guest/libs/libc_shim.h" /* MUSL_TP_LOCALE */
#include "layout.h"               /* IMAGE_BASE, the ring-3 stack and its guard */
#define KSTACK_SIZE  16384
#define ISTACK_SIZE  4096
#define STUB_SIZE    32
#define IOMAP_PORTS  0x800    /* ports 0-0x7ff: PIC, PIT, CMOS, COM1, vmm's 0x600s */
#define VEC_IRQ_BASE 0x40     /* IOAPIC pin g -> vector 0x40 + g (g < 24) */
#define VEC_TIMER    0x60     /* LAPIC timer */
#define VEC_SPURIOUS 0xff
#define LAPIC_EOI    (-0x11fff50) /* 0xffffffff_fee000b0: the LAPIC's alias at the top of the address space */
#define MSR_KVM_WALL_CLOCK_NEW  0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define MSR_FS_BASE  0xc0000100
#define CR0_MP_NE_WP 0x10022  /* MP: fwait honours TS; NE: x87 errors as #MF; WP */
#define CR4_OSFXSR_OSXMMEXCPT 0x600 /* SSE (fxsave-aware OS), unmasked SIMD errors as #XM */
#define TLS_BELOW    256      /* reserved under the thread pointer (TLS variant II) */
#define TLS_SIZE     512      /* musl's struct pthread (200 bytes in 1.2.3) and spare */

	.section .note.pvh, "a"
	.p2align 2
	.long 4, 4, 18		/* name size, desc size, XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long _start32
	/* vmm may leave the PIT out (abi/pvh.h): clock.c falls back to it only
	 * without kvmclock, which every KVM offers */
	.p2align 2
	.long 4, 0, 1		/* name size, no desc, VMM_ELFNOTE_NO_PIT */
	.asciz "vmm"
	/* nothing here reads ACPI: the machine is abi/platform.h's */
	.p2align 2
	.long 4, 0, 2		/* name size, no desc, VMM_ELFNOTE_NO_ACPI */
	.asciz "vmm"

/* ---- the TSS, at exactly IMAGE_BASE (kernel.ld checks) ---- */
	.section .tss, "aw"
	.globl tss
tss:
	.long 0
	.quad kstack + KSTACK_SIZE	/* rsp0: traps from ring 3 */
	.quad 0, 0			/* rsp1, rsp2 */
	.quad 0				/* reserved */
	.quad istack + ISTACK_SIZE	/* ist1: #DF, NMI, #MC */
	.quad 0, 0, 0, 0, 0, 0		/* ist2-7 */
	.quad 0
	.word 0
	.word iomap - tss		/* I/O permission bitmap offset */
	/* A clear bit allows its port at ring 3. Ports past the bitmap are
	 * denied (#GP, diagnosed by trap_fatal); the CPU reads two bytes per
	 * check, hence the all-ones byte the TSS limit must cover. */
iomap:
	.fill IOMAP_PORTS / 8, 1, 0
	.byte 0xff
tss_end:
	.p2align 4

/* ---- boot ---- */
	.section .text.boot, "ax"
	.code32
	.globl _start32
_start32:
	mov	%ebx, %esi		/* hvm_start_info, handed to kmain */
	/* cr0: WP, and for SSE/x87 at ring 3 MP | NE (EM, TS clear); cr4:
	 * OSFXSR | OSXMMEXCPT. No XSAVE/AVX: PVM's emulator lacks xrstor. */
	ENTER_LONG_MODE gdt_ptr, pml4, CR0_MP_NE_WP, long_mode, CR4_OSFXSR_OSXMMEXCPT

	.code64
long_mode:
	mov	$0x10, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	lidt	idt_ptr
	mov	$0x28, %eax
	ltr	%ax
	mov	$kstack + KSTACK_SIZE, %esp
	/* kvmclock: the host fills these pages; ring 3 reads them. A host
	 * without it #GPs here and trap_fatal skips the instruction. */
	mov	$MSR_KVM_SYSTEM_TIME_NEW, %ecx
	mov	$pvclock + 1, %eax
	xor	%edx, %edx
	.globl kvmclock_wrmsr1
kvmclock_wrmsr1:
	wrmsr
	mov	$MSR_KVM_WALL_CLOCK_NEW, %ecx
	mov	$pvwall, %eax
	.globl kvmclock_wrmsr2
kvmclock_wrmsr2:
	wrmsr
	/* FS base: musl's thread pointer, %fs:0 = tls_block (%edx is still 0). */
	mov	$MSR_FS_BASE, %ecx
	mov	$tls_block, %eax
	wrmsr
	/* To ring 3 for good: IOPL 0 (ports through the TSS bitmap),
	 * interrupts off (ring 3 polls; it waits through `hlt`). */
	push	$0x1b
	push	$USTACK_TOP
	push	$0x0002
	push	$0x23
	push	$user_start
	iretq

/* ---- trap stubs: one per vector, STUB_SIZE bytes apart ---- */
	.section .text.traps, "ax"
	.p2align 5
	.globl trap_stubs
trap_stubs:
	.set vec, 0
	.rept 256
	.p2align 5
	.if vec == 13
	jmp	trap_gp
	.elseif vec < 32
	.if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	push	$0
	.endif
	push	$vec
	jmp	trap_common
	.elseif (vec >= VEC_IRQ_BASE) && (vec < VEC_IRQ_BASE + 24)
	orl	$(1 << (vec - VEC_IRQ_BASE)), irq_pending(%rip)
	incq	irq_count(%rip)
	movl	$0, LAPIC_EOI
	iretq
	.elseif vec == VEC_TIMER
	orl	$0x80000000, irq_pending(%rip)
	incq	irq_count(%rip)
	movl	$0, LAPIC_EOI
	iretq
	.elseif vec == VEC_SPURIOUS
	iretq
	.else
	push	$0
	push	$vec
	jmp	trap_common
	.endif
	.set vec, vec + 1
	.endr

	/* #GP. From the one `hlt` ring 3 uses to wait: sleep until an
	 * interrupt (whose stub runs first and returns here), then resume ring
	 * 3 after its hlt. IF comes back off with ring 3's RFLAGS. */
trap_gp:
	cmpq	$wait_for_interrupt, 8(%rsp)
	jne	1f
	sti
	hlt
	incq	8(%rsp)
	add	$8, %rsp
	iretq
1:	push	$13
	jmp	trap_common

	/* The slow path: the full frame for trap_fatal(). */
trap_common:
	PUSH_GPRS
	mov	%rsp, %rdi
	call	trap_fatal
	POP_GPRS
	add	$16, %rsp
	iretq

/* ---- ring 3 ---- */
	.text
user_start:
	/* x87 and SSE control to their defaults (all exceptions masked,
	 * x87 64-bit precision, round to nearest): native at ring 3. */
	fninit
	ldmxcsr	mxcsr_default(%rip)
	mov	%rsi, %rdi
	call	kmain
	ud2

	/* The only `hlt` ring 3 executes: trap_gp knows its address. */
	.globl wait_for_interrupt
wait_for_interrupt:
	hlt
	ret

/* ---- descriptor tables and page tables ---- */
	.data
	.p2align 4
idt_ptr:
	.word 256 * 16 - 1
	.quad idt

	.p2align 12
idt:
	.set vec, 0
	.rept 256
	.word trap_stubs - IMAGE_BASE + vec * STUB_SIZE
	.word 0x08
	.if (vec == 2) || (vec == 8) || (vec == 18)
	.byte 1				/* IST1 */
	.else
	.byte 0
	.endif
	.byte 0x8e			/* interrupt gate, DPL 0 */
	.word IMAGE_BASE >> 16
	.long 0
	.long 0
	.set vec, vec + 1
	.endr

	/* Identity map: 0-1 GiB RAM (the first 2 MiB in 4 KiB pages with page
	 * 0 absent, so NULL faults, and the ring-3 stack's 64 KiB guard absent,
	 * so an overflow faults; layout.h), 3-4 GiB MMIO uncached; the MMIO GiB is
	 * also mapped at the top of the address space so ring-0 stubs reach
	 * the LAPIC with a sign-extended 32-bit address. All user-accessible:
	 * ring 3 runs the drivers. Every entry has its accessed bit (and a leaf
	 * its dirty bit) set already: otherwise the page walker sets them, and
	 * each of the six pages becomes a private copy in every VM instead of
	 * staying shared with the other VMs' (vmm maps the image copy-on-write). */
	.p2align 12
	.globl pml4
pml4:
	.quad pdpt_lo + 0x27		/* present, writable, user, accessed */
	.fill 510, 8, 0
	.quad pdpt_hi + 0x27
pdpt_lo:
	.quad pd_ram + 0x27
	.quad 0, 0
	.quad pd_mmio + 0x27
	.fill 508, 8, 0
pdpt_hi:
	.fill 511, 8, 0
	.quad pd_mmio + 0x27
pd_ram:
	.quad pt_low + 0x27
	.set addr, 0x200000
	.rept 511
	.quad addr + 0xe7		/* present, writable, user, accessed, dirty, 2 MiB */
	.set addr, addr + 0x200000
	.endr
pd_mmio:
	.set addr, 0xc0000000
	.rept 512
	.quad addr + 0xff		/* ... and uncached (PCD | PWT) */
	.set addr, addr + 0x200000
	.endr
pt_low:
	.quad 0				/* page 0: absent */
	.set addr, 0x1000
	.rept 511
	.if (addr >= USTACK_GUARD) && (addr < USTACK_GUARD + USTACK_GUARD_SIZE)
	.quad 0				/* the ring-3 stack's guard: absent */
	.else
	.quad addr + 0x67		/* present, writable, user, accessed, dirty */
	.endif
	.set addr, addr + 0x1000
	.endr

	/* The GDT shares its page with the thread's block below, which is
	 * written anyway: `ltr` sets the TSS descriptor's busy bit, and on a
	 * page of its own that write alone made a private copy per VM. */
	.p2align 4
gdt:
	.quad 0				/* 0x00 */
	FLAT_SEGMENTS			/* 0x08-0x20 */
	.quad 0x0000891000000000 + (tss_end - tss - 1) /* 0x28 TSS: base IMAGE_BASE, limit covers the bitmap */
	.quad 0
gdt_end:
gdt_ptr:
	.word gdt_end - gdt - 1
	.quad gdt

	/* The thread's block: %fs points at tls_block, where musl's struct
	 * pthread lives (x86-64 is TLS variant II: the thread pointer points at
	 * the thread structure, static TLS lies below it). First quadword
	 * `self` = its own address (__pthread_self() reads %fs:0); musl 1.2.3
	 * has the stack canary at %fs:0x28, errno at %fs:0x34, the locale
	 * pointer at %fs:0xa8 (README.md, "SSE and TLS"; the offsets come from
 * guest/libs/libc_shim.h, which check-libs.sh verifies against libc.a). */
	.p2align 6
tls_below:
	.fill TLS_BELOW, 1, 0
	.globl tls_block
tls_block:
	.quad tls_block			/* self */
	.fill MUSL_TP_LOCALE - 8, 1, 0
	.quad c_locale			/* locale: musl's C locale */
	.fill TLS_SIZE - MUSL_TP_LOCALE - 8, 1, 0
	.globl tls_block_end
tls_block_end:

	/* musl's "C" locale: struct __locale_struct, six category pointers,
	 * all NULL (so MB_CUR_MAX is 1 and strerror/wcrtomb may dereference
	 * the thread's locale pointer). */
	.p2align 3
	.globl c_locale
c_locale:
	.fill 48, 1, 0

mxcsr_default:
	.long 0x1f80

	.p2align 6
	.globl pvclock
pvclock:
	.fill 32, 1, 0			/* struct pvclock_vcpu_time_info */
	.globl pvwall
pvwall:
	.fill 16, 1, 0			/* struct pvclock_wall_clock */

	.bss
	.p2align 12
kstack:
	.fill KSTACK_SIZE, 1, 0
istack:
	.fill ISTACK_SIZE, 1, 0
	/* The ring-3 stack is not here: it has a fixed place below the image
	 * with an unmapped guard under it (layout.h). */

	/* For kernel.ld's checks of layout.h. */
	.globl ustack_guard, ustack_top
	.set ustack_guard, USTACK_GUARD
	.set ustack_top, USTACK_TOP

	.section .note.GNU-stack, "", @progbits
