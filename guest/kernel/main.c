/* kmain: boot to listening, then the event loop. Runs at ring 3. */
#include "kernel.h"

#include "blk.h"
#include "http/http_buf.h"
#include "site.h"
#include "vsock.h"

struct stats st;
volatile uint64_t irq_count;   /* the ring-0 interrupt stubs count here... */
volatile uint32_t irq_pending; /* ...and note which line fired */
static uint64_t start_ns, listen_ns;
#define CONSOLE_DELAY_MS 250

size_t format_stats(char *buf, size_t cap)
{
	struct hbuf b;
	uint64_t ring0 = st.waits + irq_count;
	uint64_t exits = st.notifies + st.mmio_acks + st.timer_arms + st.console_exits + st.port_reads;
	const struct {
		const char *name;
		uint64_t v;
	} rows[] = {
		{ "requests", st.requests },
		{ "connections", st.conns },
		{ "connections_refused", st.conns_refused },
		{ "connections_open", vsock_open_conns() },
		{ "connections_max", st.conns_max },
		{ "ring0_entries", ring0 },
		{ "ring0_waits", st.waits },
		{ "ring0_interrupts", irq_count },
		{ "exits", exits },
		{ "exits_notify", st.notifies },
		{ "notifies_suppressed", st.notify_skipped },
		{ "exits_interrupt_ack", st.mmio_acks },
		{ "interrupt_acks_skipped", st.acks_skipped },
		{ "exits_timer_arm", st.timer_arms },
		{ "exits_console", st.console_exits },
		{ "exits_port_read", st.port_reads },
		{ "vsock_rx_packets", st.rx_pkts },
		{ "vsock_tx_packets", st.tx_pkts },
		{ "vsock_rx_bytes", st.rx_bytes },
		{ "vsock_tx_bytes", st.tx_bytes },
		{ "vsock_tx_queue_full", st.tx_full },
		{ "blk_reads", st.blk_reads },
		{ "blk_bytes", st.blk_bytes },
		{ "memory_allocated_bytes", mem_used_bytes() },
		{ "idle_us", st.idle_ns / 1000 },
		{ "uptime_us", (now_ns() - start_ns) / 1000 },
		{ "wakeups_timer", st.wake_timer },
		{ "wakeups_device", st.wake_device },
		{ "idle_passes_without_sleep", st.spins },
		{ "passes", st.passes },
		{ "passes_rx_packets", st.pass_rx },
		{ "passes_tx_completions", st.pass_txdone },
		{ "boot_to_listen_us", (listen_ns - start_ns) / 1000 },
		{ "vm_start_to_listen_us", listen_ns / 1000 },
	};

	hb_init(&b, buf, cap);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		hb_str(&b, rows[i].name);
		hb_ch(&b, ' ');
		hb_u64(&b, rows[i].v);
		hb_ch(&b, '\n');
	}
	if (st.requests) {
		hb_str(&b, "ring0_entries_per_request_x1000 ");
		hb_u64(&b, ring0 * 1000 / st.requests);
		hb_str(&b, "\nexits_per_request_x1000 ");
		hb_u64(&b, exits * 1000 / st.requests);
		hb_ch(&b, '\n');
	}
	return b.overflow ? 0 : b.len;
}

void print_stats(void)
{
	char buf[2048];
	size_t n = format_stats(buf, sizeof buf);

	kputs("site: stats:\n");
	for (size_t i = 0, s = 0; i < n; i++) {
		if (buf[i] == '\n') {
			kputs("site:   ");
			kwrite(buf + s, i - s + 1);
			s = i + 1;
		}
	}
}

void kmain(const struct hvm_start_info *si);
void kmain(const struct hvm_start_info *si)
{
	struct vdev devs[VIRTIO_MMIO_SLOTS];
	struct vdev *blk = NULL, *vs = NULL;

	platform_init(si);
	kprintf("site: kernel up at ring 3; command line: %s\n", cmdline());
	clock_init();
	start_ns = now_ns();

	unsigned n = virtio_find(devs, ARRAY_SIZE(devs));
	for (unsigned i = 0; i < n; i++) {
		if (devs[i].id == VIRTIO_ID_BLOCK && !blk)
			blk = &devs[i];
		else if (devs[i].id == VIRTIO_ID_VSOCK && !vs)
			vs = &devs[i];
	}
	if (!blk)
		panic(EXIT_NO_DISK, "no virtio-blk device: the site disk is missing (%u virtio devices found)", n);
	if (!vs && !cmdline_get("site.check", 0, &(size_t){ 0 }))
		panic(EXIT_NO_VSOCK, "no virtio-vsock device: nothing to listen on (%u virtio devices found)", n);
	blk_init(blk);
	site_load();
	if (!vs) { /* site.check: validate the disk and stop */
		kputs("site: site.check: the site disk is valid\n");
		poweroff(EXIT_OK);
	}
	vsock_init(vs);
	listen_ns = now_ns();
	kprintf("site: listening on vsock port %u (guest cid %lu), %lu us after kernel entry\n", HTTP_PORT,
		guest_cid, (listen_ns - start_ns) / 1000);
	console_flush();

	bool stopping = false;
	uint64_t armed_until = 0; /* unix ms the LAPIC timer fires at; 0: not armed */
	for (;;) {
		bool work = vsock_poll();
		if (stopping && vsock_drained()) {
			kputs("site: shutdown requested: responses finished, powering off\n");
			print_stats();
			poweroff(EXIT_OK);
		}
		if (work)
			continue;
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
		st.idle_ns += now_ns() - w0;
		vsock_after_sleep();
		if (pend & IRQ_TIMER_BIT) {
			armed_until = 0;
			st.wake_timer++;
		}
		if (pend & ~IRQ_TIMER_BIT)
			st.wake_device++;
		if (pend & (1u << vs->gsi))
			vdev_ack(vs);
		if (pend & (1u << blk->gsi))
			vdev_ack(blk);
		if ((pend & (1u << POWER_GSI)) && !stopping && shutdown_requested()) {
			kprintf("site: shutdown requested by the host: finishing %u connections\n", vsock_open_conns());
			stopping = true;
			vsock_begin_shutdown();
		}
	}
}
