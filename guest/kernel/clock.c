/* Time at ring 3. With kvmclock (enabled by start.S at boot) the host
 * publishes the TSC scale and the wall clock in guest memory, and ring 3
 * reads them with rdtsc: no calibration, no exits. Without it (QEMU TCG,
 * other hypervisors) the TSC is measured against PIT channel 2 and the wall
 * clock read from the CMOS RTC. The LAPIC timer (the wake-up source for
 * timeouts) is then measured against that clock. */
#include "kernel.h"

struct pvclock_vcpu_time_info {
	uint32_t version, pad0;
	uint64_t tsc_timestamp, system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags, pad[2];
} __attribute__((packed));

struct pvclock_wall_clock {
	uint32_t version, sec, nsec;
} __attribute__((packed));

extern volatile struct pvclock_vcpu_time_info pvclock;
extern volatile struct pvclock_wall_clock pvwall;
extern bool kvmclock_missing;

static bool use_kvmclock;
static uint64_t tsc0, tsc_mult; /* ns = (tsc - tsc0) * tsc_mult >> 32 */
static uint64_t wall0_ns;        /* unix time at now_ns() == 0 */
static uint64_t lapic_hz;
static uint64_t tsc_hz;
bool clock_ready;

static uint64_t kvmclock_ns(void)
{
	uint32_t v;
	uint64_t ns;

	do {
		v = pvclock.version;
		barrier();
		uint64_t delta = rdtsc() - pvclock.tsc_timestamp;
		int8_t shift = pvclock.tsc_shift;
		if (shift < 0)
			delta >>= -shift;
		else
			delta <<= shift;
		ns = pvclock.system_time + (uint64_t)(((unsigned __int128)delta * pvclock.tsc_to_system_mul) >> 32);
		barrier();
	} while ((v & 1) || v != pvclock.version);
	return ns;
}

uint64_t now_ns(void)
{
	if (use_kvmclock)
		return kvmclock_ns();
	return (uint64_t)(((unsigned __int128)(rdtsc() - tsc0) * tsc_mult) >> 32);
}

uint64_t unix_ms(void)
{
	return (wall0_ns + now_ns()) / 1000000;
}

static uint16_t pit_count(void)
{
	outb(0x43, 0x00); /* latch channel 0 */
	uint8_t lo = inb(0x40);
	return (uint16_t)(lo | inb(0x40) << 8);
}

/* PIT channel 0 as a free-running down-counter (mode 2, reload 65536; its
 * IRQ 0 goes nowhere: the PIC is masked and the IOAPIC pin is not routed).
 * Count 10 ms of PIT ticks against the TSC. */
static uint64_t pit_tsc_hz(void)
{
	const uint32_t want = 11932; /* 10 ms at 1.193182 MHz */
	uint32_t ticks = 0;

	outb(0x43, 0x34); /* channel 0, lo/hi, mode 2 */
	outb(0x40, 0);
	outb(0x40, 0);
	uint16_t prev = pit_count();
	uint64_t t0 = rdtsc();
	for (uint32_t spins = 0; ticks < want; spins++) {
		uint16_t c = pit_count();
		ticks += (uint16_t)(prev - c);
		prev = c;
		if (spins > 1000000)
			return 0; /* no PIT */
	}
	uint64_t t1 = rdtsc();
	return (t1 - t0) * 1193182ull / ticks;
}

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static uint64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	uint64_t yoe = (uint64_t)(y - era * 400);
	uint64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (uint64_t)(era * 146097 + (int64_t)doe - 719468);
}

static uint64_t rtc_unix_s(void)
{
	uint8_t sec, min, hour, day, mon, year, b;

	if (cmos(0x0a) == 0xff)
		return 0; /* no RTC */
	while (cmos(0x0a) & 0x80) /* update in progress */
		;
	sec = cmos(0), min = cmos(2), hour = cmos(4), day = cmos(7), mon = cmos(8), year = cmos(9);
	b = cmos(0x0b);
	if (!(b & 0x04)) {
#define BCD(x) (uint8_t)(((x) & 0x0f) + ((x) >> 4) * 10)
		sec = BCD(sec), min = BCD(min), hour = BCD(hour & 0x7f) | (hour & 0x80);
		day = BCD(day), mon = BCD(mon), year = BCD(year);
	}
	if (!(b & 0x02) && (hour & 0x80))
		hour = (uint8_t)(((hour & 0x7f) + 12) % 24);
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
		return 0;
	return days_from_civil(2000 + year, mon, day) * 86400 + hour * 3600u + min * 60u + sec;
}

#define LAPIC_LVT_T (GPA_LAPIC + 0x320)
#define LAPIC_TICR  (GPA_LAPIC + 0x380)
#define LAPIC_TCCR  (GPA_LAPIC + 0x390)

static void lapic_calibrate_finish(void);

void lapic_timer_arm_ns(uint64_t ns)
{
	uint64_t ticks = 0;

	lapic_calibrate_finish();
	if (ns) {
		ticks = ns * (lapic_hz / 1000) / 1000000 + 1;
		if (ticks > 0xffffffffu)
			ticks = 0xffffffffu;
	}
	mmio_w32(LAPIC_TICR, (uint32_t)ticks);
	st.timer_arms++;
}

/* Measures the LAPIC timer against the clock: two reads of the current
 * count at least cal_us apart, each timed by the middle of its exit. The
 * first read is taken in clock_init and the second only when the timer is
 * first armed (after listening): the boot's own work is the wait, where a
 * spin here cost 0.5 ms of every cold start. Nothing arms the timer before
 * (its LVT entry stays masked until then). A count that ran out (a site
 * idle for a minute before its first timer) measures nothing: then it is
 * measured again, with the spin. */
static uint64_t cal_us, cal_a;
static uint32_t cal_c0;
static bool cal_pending, cal_retried;

static void lapic_calibrate_start(uint64_t us)
{
	mmio_w32(LAPIC_LVT_T, VEC_TIMER | 0x10000); /* masked while measuring */
	mmio_w32(LAPIC_TICR, 0xffffffffu);
	uint64_t a0 = now_ns();
	cal_c0 = mmio_r32(LAPIC_TCCR);
	uint64_t a1 = now_ns();
	cal_a = (a0 + a1) / 2;
	cal_us = us;
	cal_pending = true;
}

static void lapic_calibrate_finish(void)
{
	if (!cal_pending)
		return;
	cal_pending = false;
	while (now_ns() - cal_a < cal_us * 1000) /* a boot faster than cal_us */
		cpu_relax();
	uint64_t b0 = now_ns();
	uint32_t c1 = mmio_r32(LAPIC_TCCR);
	uint64_t b1 = now_ns();
	if (c1 == 0 && !cal_retried) { /* the one-shot count stopped at 0: start over, once */
		cal_retried = true;
		lapic_calibrate_start(cal_us);
		lapic_calibrate_finish();
		return;
	}
	mmio_w32(LAPIC_TICR, 0);
	mmio_w32(LAPIC_LVT_T, VEC_TIMER);
	uint64_t dt = (b0 + b1) / 2 - cal_a;
	uint64_t hz = cal_c0 > c1 && dt ? (uint64_t)(cal_c0 - c1) * 1000000000ull / dt : 0;
	if (hz < 1000000 || hz > 10000000000ull) {
		kprintf("site: LAPIC timer calibration gave %lu Hz: assuming 62.5 MHz\n", hz);
		hz = 62500000;
	}
	lapic_hz = hz;
	kprintf("site: LAPIC timer %lu kHz\n", lapic_hz / 1000);
}

void clock_init(void)
{
	if (!kvmclock_missing && pvclock.tsc_to_system_mul && !(pvclock.version & 1) && pvclock.version) {
		use_kvmclock = true;
		uint64_t ns = kvmclock_ns();
		/* KVM wrote the wall clock at boot relative to kvmclock 0. */
		wall0_ns = (uint64_t)pvwall.sec * 1000000000ull + pvwall.nsec;
		int8_t sh = pvclock.tsc_shift;
		uint64_t hz = (1000000000ull << 32) / pvclock.tsc_to_system_mul;
		tsc_hz = sh >= 0 ? hz >> sh : hz << -sh;
		(void)ns;
	} else {
		tsc_hz = pit_tsc_hz();
		if (!tsc_hz)
			tsc_hz = 1000000000; /* no PIT either: guess 1 GHz */
		tsc0 = rdtsc();
		tsc_mult = (1000000000ull << 32) / tsc_hz;
		uint64_t s = rtc_unix_s();
		wall0_ns = s * 1000000000ull;
	}
	clock_ready = true;
	lapic_calibrate_start(use_kvmclock ? 500 : 2000);
	kprintf("site: clock: %s, TSC %lu kHz, wall clock %lu\n", use_kvmclock ? "kvmclock" : "PIT-calibrated TSC",
		tsc_hz / 1000, (uint64_t)(unix_ms() / 1000));
}
