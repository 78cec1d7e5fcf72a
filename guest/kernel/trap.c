/* The ring-0 slow path: anything that reaches trap_common in start.S. Runs
 * emulated on nested hosts, so it is only for what must never be fast: the
 * boot-time kvmclock probe and fatal faults. */
#include "kernel.h"
#include "layout.h"

struct frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

extern char kvmclock_wrmsr1[], kvmclock_wrmsr2[];
bool kvmclock_missing;

static const char *const names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode",
	"device not available", "double fault", "coprocessor overrun", "invalid TSS",
	"segment not present", "stack fault", "general protection", "page fault", "reserved",
	"x87 floating-point error", "alignment check", "machine check", "SIMD floating-point error", "virtualization",
	"control protection",
};

/* in/out/ins/outs, after any operand-size or rep prefix. */
static bool is_port_io(uint64_t rip)
{
	const uint8_t *p = (const uint8_t *)rip;

	if (rip < 0x1000 || rip >= (1ull << 30) - 4)
		return false;
	for (int i = 0; i < 3 && (*p == 0x66 || *p == 0xf3 || *p == 0xf2); i++)
		p++;
	return (*p >= 0xe4 && *p <= 0xe7) || (*p >= 0xec && *p <= 0xef) || (*p >= 0x6c && *p <= 0x6f);
}

void trap_fatal(struct frame *f);
void trap_fatal(struct frame *f)
{
	uint64_t cr2, cr3;

	/* The kvmclock MSRs on a host without kvmclock: skip the wrmsr. */
	if (f->vector == 13 && (f->rip == (uint64_t)kvmclock_wrmsr1 || f->rip == (uint64_t)kvmclock_wrmsr2)) {
		kvmclock_missing = true;
		f->rip += 2;
		return;
	}
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	kprintf("\nsite: fatal CPU exception %lu (%s) at ring %lu\n", f->vector,
		f->vector < 32 && names[f->vector] ? names[f->vector] : "unexpected vector", f->cs & 3);
	kprintf("  rip %016lx  rsp %016lx  rflags %08lx  error %lx\n", f->rip, f->rsp, f->rflags, f->error);
	if (f->vector == 13 && (f->cs & 3) == 3 && is_port_io(f->rip))
		kprintf("  a port I/O instruction: its port is not allowed by the TSS I/O bitmap (start.S)\n");
	if ((f->cs & 3) == 3 && fpu_check_running)
		kprintf("  in fpu_check(), the boot self-test of SSE, x87 and the FS base (a page fault at a small address: no FS base)\n");
	if (f->vector == 14)
		kprintf("  cr2 %016lx (%s %s, %s)%s\n", cr2, f->error & 1 ? "protection violation on" : "no page at",
			f->error & 2 ? "write" : "read", f->error & 4 ? "user" : "kernel",
			cr2 < 4096 ? " -- a NULL pointer" : "");
	bool in_guard = f->rsp >= USTACK_GUARD && f->rsp < USTACK_BOTTOM;
	if (f->vector == 14 && cr2 >= USTACK_GUARD && cr2 < USTACK_BOTTOM)
		kprintf("  stack overflow: the ring-3 stack (%u KiB, %x-%x) ran into its unmapped guard (%x-%x)\n",
			USTACK_SIZE >> 10, USTACK_BOTTOM, USTACK_TOP, USTACK_GUARD, USTACK_BOTTOM);
	kprintf("  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	kprintf("  rsi %016lx rdi %016lx rbp %016lx r8  %016lx\n", f->rsi, f->rdi, f->rbp, f->r8);
	kprintf("  r9  %016lx r10 %016lx r11 %016lx r12 %016lx\n", f->r9, f->r10, f->r11, f->r12);
	kprintf("  r13 %016lx r14 %016lx r15 %016lx cr3 %016lx\n", f->r13, f->r14, f->r15, cr3);
	if ((f->cs & 3) == 3 && f->rsp >= 0x1000 && f->rsp < (1ull << 30) - 64 && !in_guard) {
		const uint64_t *sp = (const uint64_t *)f->rsp;
		kprintf("  stack:");
		for (int i = 0; i < 8; i++)
			kprintf(" %lx", sp[i]);
		kprintf("\n");
	}
	kprintf("site: powering off with exit code %d (CPU exception)\n", EXIT_FAULT);
	poweroff(EXIT_FAULT);
}
