/* Boot information (PVH start_info), the interrupt controllers and the power
 * device, all driven from ring 3: the LAPIC and IOAPIC pages are mapped
 * user-accessible and the TSS I/O bitmap allows ports below 0x800. */
#include "kernel.h"

#define LAPIC        GPA_LAPIC
#define LAPIC_ID     (LAPIC + 0x20)
#define LAPIC_SVR    (LAPIC + 0xf0)
#define LAPIC_LVT_T  (LAPIC + 0x320)
#define LAPIC_TDCR   (LAPIC + 0x3e0)
#define IOAPIC       GPA_IOAPIC
#define RAM_MAPPED   (1ul << 30) /* start.S maps the first GiB */

extern char __image_end[];
static const char *cmd = "";
static uint32_t apic_id;

void platform_init(const struct hvm_start_info *si)
{
	uintptr_t lo = (uintptr_t)__image_end, hi = 0;

	/* The legacy PIC first: on nested hosts an IOAPIC line raised while
	 * the 8259 is unprogrammed kills the VM. */
	outb(PORT_PIC1_DATA, 0xff);
	outb(PORT_PIC2_DATA, 0xff);

	if (!si || si->magic != HVM_START_MAGIC)
		panic(EXIT_BOOT, "no PVH start_info (magic %x)", si ? si->magic : 0);
	if (si->cmdline_paddr && si->cmdline_paddr < RAM_MAPPED)
		cmd = (const char *)si->cmdline_paddr;
	if (!si->memmap_paddr || si->memmap_paddr >= RAM_MAPPED || si->memmap_entries > 128)
		panic(EXIT_BOOT, "no usable e820 memory map in start_info");
	const struct hvm_memmap_entry *m = (const struct hvm_memmap_entry *)si->memmap_paddr;
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		if (m[i].type == E820_RAM && m[i].addr <= lo && m[i].addr + m[i].size > lo)
			hi = (uintptr_t)MIN(m[i].addr + m[i].size, (uint64_t)RAM_MAPPED);
	}
	if (hi <= lo + (1u << 20))
		panic(EXIT_BOOT, "less than 1 MiB of RAM after the kernel image (ends at %lx)", (uint64_t)lo);
	alloc_init(lo, hi & ~0xffful);

	/* Local APIC on, spurious vector 0xff; timer one-shot, divide by 16. */
	apic_id = mmio_r32(LAPIC_ID) >> 24;
	mmio_w32(LAPIC_SVR, 0x1ff);
	mmio_w32(LAPIC_TDCR, 0x3);
	mmio_w32(LAPIC_LVT_T, VEC_TIMER);
	ioapic_route(POWER_GSI, VEC_IRQ_BASE + POWER_GSI);
}

const char *cmdline(void)
{
	return cmd;
}

const char *cmdline_get(const char *key, unsigned nth, size_t *len)
{
	size_t klen = strlen(key);
	const char *s = cmd;

	while (*s) {
		while (*s == ' ')
			s++;
		const char *tok = s;
		while (*s && *s != ' ')
			s++;
		if ((size_t)(s - tok) > klen && !memcmp(tok, key, klen) && tok[klen] == '=') {
			if (nth-- == 0) {
				*len = (size_t)(s - tok) - klen - 1;
				return tok + klen + 1;
			}
		}
	}
	return NULL;
}

void ioapic_route(unsigned gsi, unsigned vector)
{
	/* Fixed delivery, physical destination, active high, edge, unmasked. */
	mmio_w32(IOAPIC, 0x11 + 2 * gsi);
	mmio_w32(IOAPIC + 0x10, apic_id << 24);
	mmio_w32(IOAPIC, 0x10 + 2 * gsi);
	mmio_w32(IOAPIC + 0x10, vector);
}

bool shutdown_requested(void)
{
	st.port_reads++;
	return inb(PORT_SHUTDOWN_REQ) == 1;
}

uint32_t wait_irq(void)
{
	/* Interrupts noted while a synchronous disk call waited (blk.c) and
	 * handed back to whoever waits next: no need to sleep for them. */
	uint32_t early = __atomic_exchange_n(&irq_pending, 0, __ATOMIC_SEQ_CST);
	if (early)
		return early;
	st.waits++;
	wait_for_interrupt();
	return __atomic_exchange_n(&irq_pending, 0, __ATOMIC_SEQ_CST);
}
