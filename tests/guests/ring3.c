/* Runs its work at ring 3 and enters ring 0 only through exceptions, the
 * ways that work on every host (nested ones included): `ud2` as a call gate,
 * `hlt` (#GP at ring 3) as "wait for an interrupt", with the local APIC
 * timer as the interrupt, and port I/O through the TSS I/O bitmap with
 * IOPL 0. Reports a checksum the host test recomputes. */
#include "lib/guest.h"
#include "guest/lib/xorshift.h"

#define LAPIC       GPA_LAPIC
#define LAPIC_EOI   (LAPIC + 0xb0)
#define LAPIC_SVR   (LAPIC + 0xf0)
#define LAPIC_LVT_T (LAPIC + 0x320)
#define LAPIC_TICR  (LAPIC + 0x380)
#define LAPIC_TDCR  (LAPIC + 0x3e0)
#define TIMER_VEC   0x40
#define CALL_CPL    1
#define TSS_IOMAP   104   /* the I/O permission bitmap follows the 104-byte TSS */
#define IOMAP_PORTS 0x800 /* COM1 and vmm's power device lie below */

struct frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

struct gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
};

extern char trap_ud[], trap_gp[], trap_pf[], trap_df[], trap_timer[];
extern uint64_t gdt[];
void enter_user(void (*fn)(void), void *stack);

static struct gate idt[256] __attribute__((aligned(16)));
/* Ring 3 does its port I/O (COM1, the power device) through the TSS bitmap,
 * never IOPL 3: PVM hosts ignore IOPL, every host honours the bitmap. */
static uint8_t tss[TSS_IOMAP + IOMAP_PORTS / 8 + 1] __attribute__((aligned(16)));
static uint8_t kstack[16384] __attribute__((aligned(16)));
static uint8_t ustack[16384] __attribute__((aligned(16)));
static struct hvm_start_info *boot_info;
static volatile uint64_t ticks;
static volatile uint64_t port_faults;

static void set_gate(int vec, void *fn)
{
	uint64_t a = (uint64_t)fn;

	idt[vec] = (struct gate){ (uint16_t)a, 0x08, 0, 0x8e, (uint16_t)(a >> 16), (uint32_t)(a >> 32), 0 };
}

static void install_traps(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof idt - 1, (uint64_t)idt };
	uint64_t base = (uint64_t)tss, rsp0 = (uint64_t)(kstack + sizeof kstack);

	set_gate(6, trap_ud);
	set_gate(8, trap_df);
	set_gate(13, trap_gp);
	set_gate(14, trap_pf);
	set_gate(TIMER_VEC, trap_timer);
	__asm__ volatile("lidt %0" : : "m"(idtr));

	memcpy(tss + 4, &rsp0, 8);
	memcpy(tss + 102, &(uint16_t){ TSS_IOMAP }, 2);
	tss[sizeof tss - 1] = 0xff; /* the CPU reads two bytes per check */
	gdt[5] = (sizeof tss - 1) | ((base & 0xffffff) << 16) | (0x89ull << 40) | (((base >> 24) & 0xff) << 56);
	gdt[6] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(0x28));

	/* Mask the legacy PIC before anything can interrupt; enable the local APIC. */
	outb(PORT_PIC1_DATA, 0xff);
	outb(PORT_PIC2_DATA, 0xff);
	mmio_w32(LAPIC_SVR, 0x1ff);
	mmio_w32(LAPIC_TDCR, 0xb); /* divide by 1 */
}

static void wait_for_timer(void)
{
	uint64_t before = ticks;

	mmio_w32(LAPIC_LVT_T, TIMER_VEC); /* one-shot */
	mmio_w32(LAPIC_TICR, 20000);
	while (ticks == before)
		__asm__ volatile("sti; hlt; cli");
}

void trap_dispatch(struct frame *f)
{
	uint64_t cr2;

	switch (f->vector) {
	case 6: /* ud2 from ring 3: a call into ring 0 */
		if ((f->cs & 3) == 3 && *(const uint16_t *)f->rip == 0x0b0f) {
			if (f->rax == CALL_CPL)
				f->rax = f->cs & 3;
			f->rip += 2;
			return;
		}
		break;
	case 13: /* hlt from ring 3: wait for an interrupt */
		if ((f->cs & 3) == 3 && *(const uint8_t *)f->rip == 0xf4) {
			wait_for_timer();
			f->rip += 1;
			return;
		}
		/* `inb %dx, %al` on a port the bitmap denies: skip it */
		if ((f->cs & 3) == 3 && *(const uint8_t *)f->rip == 0xec) {
			port_faults++;
			f->rip += 1;
			return;
		}
		break;
	case TIMER_VEC:
		ticks++;
		mmio_w32(LAPIC_EOI, 0);
		return;
	default:
		break;
	}
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	printf_serial("ring3: unexpected exception %lu at rip %lx (cs %lx, error %lx, cr2 %lx)\n", f->vector,
		      f->rip, f->cs, f->error, cr2);
	poweroff(3);
}

static uint64_t ring0_call(uint64_t fn)
{
	uint64_t r = fn;

	__asm__ volatile("ud2" : "+a"(r) : : "memory");
	return r;
}

/* A port past the TSS bitmap: with IOPL 0 the CPU must refuse it (#GP). */
static void probe_denied_port(void)
{
	uint64_t rflags, before = port_faults;
	uint8_t v = 0;

	__asm__ volatile("pushfq; pop %0" : "=r"(rflags));
	__asm__ volatile("inb %%dx, %%al" : "+a"(v) : "d"((uint16_t)IOMAP_PORTS) : "memory");
	printf_serial("ring3: iopl %lu; port %x denied by the TSS bitmap: %s\n", (rflags >> 12) & 3,
		      IOMAP_PORTS, port_faults == before + 1 ? "yes" : "no");
}

static void user_main(void)
{
	uint64_t iters = cmdline_uint(boot_info, "iters", 50000000);
	uint64_t waits = cmdline_uint(boot_info, "waits", 100);
	uint64_t x = XORSHIFT_SEED, t0, t1;
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	printf_serial("ring3: running at cpl %u\n", cs & 3);
	t0 = rdtsc();
	for (uint64_t i = 0; i < iters; i++)
		xorshift64(&x);
	t1 = rdtsc();
	printf_serial("ring3: %lu iterations, checksum %lx, %lu cycles\n", iters, x, t1 - t0);
	printf_serial("ring3: ud2 call into ring 0 saw cpl %lu\n", ring0_call(CALL_CPL));
	probe_denied_port();
	t0 = rdtsc();
	for (uint64_t i = 0; i < waits; i++)
		__asm__ volatile("hlt");
	t1 = rdtsc();
	printf_serial("ring3: %lu hlt waits woke %lu times, %lu cycles each\n", waits, ticks,
		      waits ? (t1 - t0) / waits : 0);
	puts_serial("ring3: done\n");
	poweroff(ticks == waits ? 0 : 4);
}

int guest_main(struct hvm_start_info *si)
{
	boot_info = si;
	install_traps();
	puts_serial("ring3: dropping to ring 3\n");
	enter_user(user_main, ustack + sizeof ustack);
	return 1;
}
