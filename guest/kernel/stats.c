/* The kernel's counters (README.md: "Counters"): where they live and how
 * they are written out, for the stats port and the power-off report. */
#include "kernel.h"

#include "http/http_buf.h"
#include "virtio.h"

struct stats st;

size_t format_stats(char *buf, size_t cap, unsigned open_conns)
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
		{ "connections_open", open_conns },
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
		{ "virtio_setup_exits", vdev_setup_exits },
		{ "virtio_setup_batched", vdev_setup_batched },
		{ "vsock_rx_packets", st.rx_pkts },
		{ "vsock_tx_packets", st.tx_pkts },
		{ "vsock_rx_bytes", st.rx_bytes },
		{ "vsock_tx_bytes", st.tx_bytes },
		{ "vsock_tx_queue_full", st.tx_full },
		{ "blk_reads", st.blk_reads },
		{ "blk_bytes", st.blk_bytes },
		{ "blk_writes", st.blk_writes },
		{ "blk_write_bytes", st.blk_write_bytes },
		{ "blk_flushes", st.blk_flushes },
		{ "memory_allocated_bytes", mem_used_bytes() },
		{ "idle_us", st.idle_ns / 1000 },
		{ "uptime_us", (now_ns() - st.boot_ns) / 1000 },
		{ "wakeups_timer", st.wake_timer },
		{ "wakeups_device", st.wake_device },
		{ "idle_passes_without_sleep", st.spins },
		{ "idle_polls_that_found_work", st.poll_hits },
		{ "idle_polls_that_found_nothing", st.poll_misses },
		{ "idle_poll_us", st.poll_ns / 1000 },
		{ "passes", st.passes },
		{ "passes_rx_packets", st.pass_rx },
		{ "passes_tx_completions", st.pass_txdone },
		{ "boot_to_listen_us", (st.listen_ns - st.boot_ns) / 1000 },
		{ "vm_start_to_listen_us", st.listen_ns / 1000 },
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

void print_stats(unsigned open_conns)
{
	char buf[2048];
	size_t n = format_stats(buf, sizeof buf, open_conns);

	kputs("site: stats:\n");
	for (size_t i = 0, s = 0; i < n; i++) {
		if (buf[i] == '\n') {
			kputs("site:   ");
			kwrite(buf + s, i - s + 1);
			s = i + 1;
		}
	}
}
