/* The self-test of what ring-3 C code built with SSE needs (musl, and the
 * Lua and SQLite linked on top of it): SSE and x87 arithmetic work (start.S
 * set cr0/cr4 for them), and %fs points at the thread block with its self
 * pointer and musl's locale pointer (start.S, tls_block; README.md, "SSE
 * and TLS"). A few ring-3 instructions, no exits.
 *
 * This file alone is compiled WITHOUT -mgeneral-regs-only (kernel.mk:
 * KERNEL_SSE_CFLAGS): ring 3 only, never from trap.c or anything else that
 * runs at ring 0, which must leave the XMM and x87 registers alone. */
#include "kernel.h"

/* volatile, so the compiler cannot fold the arithmetic at build time */
static volatile double two = 2.0, million = 1e6, seven = 7.0;
static volatile int three = 3;
static volatile long double one_x87 = 1.0L, tiny_x87 = 0x1p-60L;
volatile bool fpu_check_running;

void fpu_check(void)
{
	fpu_check_running = true;
	/* SSE2: sqrtsd, mulsd, divsd, cvtsi2sd, cvttsd2si.
	 * sqrt(2) * 1e6 / 7 = 202030.508...; 3 / 4.0 * 100 = 75. */
	double r;
	__asm__ volatile("sqrtsd %1, %0" : "=x"(r) : "x"(two));
	long a = (long)(r * million / seven);
	long b = (long)(three / 4.0 * 100.0);
	if (a != 202030 || b != 75)
		panic(EXIT_SELFTEST, "SSE arithmetic is wrong (%ld, %ld; expected 202030, 75)", a, b);

	/* x87 (long double, as musl's strtod and printf use it): 1 + 2^-60 is
	 * not 1 only with the 64-bit precision fninit selects. */
	long double x = one_x87 + tiny_x87;
	if (x == one_x87)
		panic(EXIT_SELFTEST, "x87 arithmetic lost precision (control word not fninit's default)");

	/* The FS base: %fs:0 holds the block's own address, and a store through
	 * %fs lands in the block. */
	uint64_t self, probe;
	__asm__ volatile("mov %%fs:0, %0" : "=r"(self));
	__asm__ volatile("movl $0x5e1f, %%fs:0x34" ::: "memory");
	probe = *(volatile uint32_t *)(tls_block + 0x34);
	*(volatile uint32_t *)(tls_block + 0x34) = 0;
	if (self != (uint64_t)(uintptr_t)tls_block || probe != 0x5e1f)
		panic(EXIT_SELFTEST, "FS base is not the thread block: %%fs:0 = 0x%lx, block at 0x%lx", self,
			(uint64_t)(uintptr_t)tls_block);
	/* musl's locale pointer (strerror, wcrtomb, MB_CUR_MAX dereference
	 * it): the zeroed C locale. */
	const void *const *loc;
	__asm__ volatile("mov %%fs:0xa8, %0" : "=r"(loc));
	if (loc != c_locale || loc[0] || loc[1] || loc[2] || loc[3] || loc[4] || loc[5])
		panic(EXIT_SELFTEST, "the thread block's locale pointer (%%fs:0xa8 = 0x%lx) is not the zeroed C locale at 0x%lx",
		      (uint64_t)(uintptr_t)loc, (uint64_t)(uintptr_t)c_locale);
	fpu_check_running = false;
}
