/* kmain: boot to listening, then the event loop. Runs at ring 3. */
#include "kernel.h"

#include "blk.h"
#include "idle_poll.h"
#include "site.h"
#include "vsock.h"

volatile uint64_t irq_count;   /* the ring-0 interrupt stubs count here... */
volatile uint32_t irq_pending; /* ...and note which line fired */
#define CONSOLE_DELAY_MS 250
#define IDLE_POLL_DEFAULT_US 200 /* as KVM's halt polling: measured in the note of issue 16 */

/* site.NAME=1 on (site.NAME=0 or absent: off). */
static bool flag(const char *key)
{
	size_t n;
	const char *v = cmdline_get(key, 0, &n);

	if (!v || (n == 1 && v[0] == '0'))
		return false;
	if (n != 1 || v[0] != '1')
		panic(EXIT_CMDLINE, "%s=%.*s: expected 0 or 1", key, (int)n, v);
	return true;
}

/* site.poll_us=N: the longest the idle loop polls before it sleeps
 * (idle_poll.h); 0 never polls. */
static uint64_t poll_us_param(void)
{
	size_t n;
	const char *v = cmdline_get("site.poll_us", 0, &n);
	uint64_t r = 0;

	if (!v)
		return IDLE_POLL_DEFAULT_US;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9' || r > 1000000)
			panic(EXIT_CMDLINE, "site.poll_us=%.*s: expected microseconds, at most 1000000", (int)n, v);
		r = r * 10 + (uint64_t)(v[i] - '0');
	}
	return r;
}

void kmain(const struct hvm_start_info *si);
void kmain(const struct hvm_start_info *si)
{
	struct vdev devs[VIRTIO_MMIO_SLOTS];
	struct vdev *blk = NULL, *data = NULL, *vs = NULL;

	platform_init(si);
	kprintf("site: kernel up at ring 3; command line: %s\n", cmdline());
	fpu_check();
	clock_init();
	st.boot_ns = now_ns();
	struct idle_poll poll;
	idle_poll_init(&poll, poll_us_param() * 1000);
	if (flag("site.stacktest"))
		stack_selftest();

	unsigned n = virtio_find(devs, ARRAY_SIZE(devs));
	for (unsigned i = 0; i < n; i++) {
		if (devs[i].id == VIRTIO_ID_BLOCK && !blk)
			blk = &devs[i]; /* the first disk: the site archive */
		else if (devs[i].id == VIRTIO_ID_BLOCK && !data)
			data = &devs[i]; /* the second: the data disk */
		else if (devs[i].id == VIRTIO_ID_VSOCK && !vs)
			vs = &devs[i];
	}
	if (!blk)
		panic(EXIT_NO_DISK, "no virtio-blk device: the site disk is missing (%u virtio devices found)", n);
	if (!vs && !cmdline_get("site.check", 0, &(size_t){ 0 }))
		panic(EXIT_NO_VSOCK, "no virtio-vsock device: nothing to listen on (%u virtio devices found)", n);
	blk_init(blk);
	if (data) {
		struct blk_dev *d = blk_init(data);
		kprintf("site: data disk: %lu sectors (%lu KiB), %s\n", d->sectors, d->sectors / 2,
			d->readonly ? "read-only" : "read-write");
	}
	blk_partitions(); /* a single-file image: windows of the first disk instead */
	site_load();
	if (flag("site.blktest"))
		blk_selftest();
	if (!vs) { /* site.check: validate the disk and stop */
		kputs("site: site.check: the site disk is valid\n");
		poweroff(EXIT_OK);
	}
	vsock_init(vs);
	st.listen_ns = now_ns();
	kprintf("site: listening on vsock port %u (guest cid %lu), %lu us after kernel entry\n", HTTP_PORT,
		guest_cid, (st.listen_ns - st.boot_ns) / 1000);
	console_flush();

	bool worked = false, stopping = false;
	uint64_t armed_until = 0; /* unix ms the LAPIC timer fires at; 0: not armed */
	for (;;) {
		bool work = vsock_poll();
		if (stopping && vsock_drained()) {
			kputs("site: shutdown requested: responses finished, powering off\n");
			fpu_check(); /* FS base and SSE still right after every ring-0 round trip */
			print_stats(vsock_open_conns());
			poweroff(EXIT_OK);
		}
		if (work) {
			worked = true;
			continue;
		}
		uint64_t idle_from = now_ns();
		if (worked && idle_poll_run(&poll, vsock_has_used))
			continue;
		bool after_work = worked;
		worked = false;
		uint64_t deadline;
		/* The access log goes out in batches: every flush is an exit, so
		 * lines wait up to CONSOLE_DELAY_MS (or until 2 KiB gather). */
		size_t con_bytes;
		uint64_t con_since = console_pending_since(&con_bytes);
		uint64_t con_deadline = 0;
		if (con_bytes) {
			uint64_t age = (now_ns() - con_since) / 1000000;
			if (con_bytes >= 2048 || age >= CONSOLE_DELAY_MS)
				console_flush();
			else
				con_deadline = unix_ms() + CONSOLE_DELAY_MS - age;
		}
		if (!vsock_prepare_sleep(&deadline)) {
			st.spins++;
			vsock_after_sleep();
			continue;
		}
		uint64_t t = unix_ms();
		if (con_deadline && (!deadline || con_deadline < deadline))
			deadline = con_deadline;
		if (deadline && (!armed_until || deadline < armed_until)) {
			uint64_t ms = deadline > t ? MIN(deadline - t, 60000ull) : 0;
			lapic_timer_arm_ns(ms * 1000000 + 1000000); /* 1 ms late rather than early */
			armed_until = t + ms + 1;
		}
		uint64_t w0 = now_ns();
		uint32_t pend = wait_irq();
		uint64_t slept = now_ns() - w0;
		st.idle_ns += slept;
		if (after_work && (pend & ~IRQ_TIMER_BIT))
			idle_poll_slept(&poll, now_ns() - idle_from);
		vsock_after_sleep();
		if (pend & IRQ_TIMER_BIT) {
			armed_until = 0;
			st.wake_timer++;
		}
		if (pend & ~IRQ_TIMER_BIT)
			st.wake_device++;
		if (pend & (1u << vs->gsi))
			vdev_ack(vs);
		blk_after_wake(pend);
		if ((pend & (1u << POWER_GSI)) && !stopping && shutdown_requested()) {
			kprintf("site: shutdown requested by the host: finishing %u connections\n", vsock_open_conns());
			stopping = true;
			vsock_begin_shutdown();
		}
	}
}
