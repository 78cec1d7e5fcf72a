/* Starts every CPU the MADT lists; each reports in on the console. */
#include "lib/guest.h"

#define LAPIC       0xfee00000ull
#define LAPIC_ID    (LAPIC + 0x20)
#define LAPIC_SVR   (LAPIC + 0xf0)
#define LAPIC_ICRLO (LAPIC + 0x300)
#define LAPIC_ICRHI (LAPIC + 0x310)
#define TRAMP_BASE  0x10000

extern const char tramp_start[], tramp_end[];

static volatile int online;
static volatile int print_lock;

static void lock(void)
{
	while (__atomic_exchange_n(&print_lock, 1, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
}

static void unlock(void)
{
	__atomic_store_n(&print_lock, 0, __ATOMIC_RELEASE);
}

void ap_main(uint32_t apic_id)
{
	lock();
	printf_serial("cpu %u reporting\n", apic_id);
	unlock();
	__atomic_add_fetch(&online, 1, __ATOMIC_RELEASE);
}

static void send_ipi(uint8_t dest, uint32_t cmd)
{
	mmio_w32(LAPIC_ICRHI, (uint32_t)dest << 24);
	mmio_w32(LAPIC_ICRLO, cmd);
}

int guest_main(struct hvm_start_info *si)
{
	uint8_t ids[256];
	int n = madt_cpus(si, ids, 256);
	uint32_t self = mmio_r32(LAPIC_ID) >> 24;
	uint64_t deadline;

	printf_serial("smp: the MADT lists %d cpus\n", n);
	if (n < 1)
		return 1;
	memcpy((void *)TRAMP_BASE, tramp_start, (size_t)(tramp_end - tramp_start));
	mmio_w32(LAPIC_SVR, 0x1ff);
	lock();
	printf_serial("cpu %u reporting (boot cpu)\n", self);
	unlock();
	for (int i = 0; i < n && i < 256; i++) {
		if (ids[i] == self)
			continue;
		send_ipi(ids[i], 0x4500);                     /* INIT */
		send_ipi(ids[i], 0x4600 | (TRAMP_BASE >> 12)); /* STARTUP */
		send_ipi(ids[i], 0x4600 | (TRAMP_BASE >> 12));
	}
	deadline = rdtsc() + 60ull * 3000000000ull; /* ~a minute at any plausible TSC rate */
	while (__atomic_load_n(&online, __ATOMIC_ACQUIRE) < n - 1 && rdtsc() < deadline)
		__asm__ volatile("pause");
	if (online < n - 1) {
		printf_serial("smp: only %d of %d cpus reported\n", online + 1, n);
		return 1;
	}
	printf_serial("smp: all %d cpus reported\n", n);
	return 0;
}
