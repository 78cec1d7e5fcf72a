/* A vsock echo server: a freestanding virtio-vsock driver (virtio-mmio,
 * split rings) that listens on port 1234 (and 1235) and echoes every stream
 * back. It stays at ring 0 and waits for the device interrupt with sti;hlt,
 * the PIC masked and the device's line routed through the IOAPIC.
 *
 * Behaviour the host tests rely on:
 *  - "vsock_echo: ready cid N" once the device is live;
 *  - a REQUEST to any other port is refused with RST;
 *  - a data packet starting with "!rst" makes us reset the connection;
 *  - the host's SHUTDOWN(SEND) is answered, once everything is echoed, by
 *    our SHUTDOWN(SEND|RCV) (then the host's RST ends the connection);
 *  - connect=P on the command line: we connect to host port P, send
 *    "hello from guest\n" and close, printing whether it was accepted;
 *  - silent=P on the command line: REQUESTs to port P get no answer at all
 *    (neither RESPONSE nor RST), as from a guest that hangs: the host must
 *    time them out;
 *  - hostile=1: we first send a packet whose len field lies (the device must
 *    go to NEEDS_RESET), reset and set the device up again, then send a
 *    packet with an unknown op (it must come back as an RST), then serve. */
#include "lib/guest.h"
#include "lib/virtio.h"

#include "abi/vsock.h"


#define LAPIC GPA_LAPIC
#define IOAPIC GPA_IOAPIC
#define VEC_DEV 0x30
#define VEC_SPURIOUS 0xff

#define QN 256
#define RXBUF (VSOCK_HDR_SIZE + 16384)
#define NRX 128
#define TXPAY 16384
#define NTX 128
#define MAXC 512
#define CBUF 16384 /* what we advertise (and buffer) per connection */
#define NHASH 1024

struct ring {
	struct vring_desc desc[QN] __attribute__((aligned(4096)));
	struct {
		uint16_t flags, idx, ring[QN];
	} avail __attribute__((aligned(4096)));
	struct {
		uint16_t flags, idx;
		struct {
			uint32_t id, len;
		} ring[QN];
	} used __attribute__((aligned(4096)));
	uint16_t last_used;
};

struct conn {
	int used;
	uint32_t lport, hport;
	int next;              /* hash chain */
	int established;       /* 0: our REQUEST is out */
	uint8_t buf[CBUF];     /* received, not yet echoed */
	uint32_t head, len;
	uint32_t rx_cnt, fwd_cnt, tx_cnt, peer_alloc, peer_fwd;
	int peer_shut, shut_sent, want_credit, pending, outgoing;
	int want_response;     /* the host's REQUEST is accepted, our RESPONSE not yet queued */
};

static struct ring rxq, txq;
static uint8_t rxbuf[NRX][RXBUF] __attribute__((aligned(64)));
static uint8_t txbuf[NTX][VSOCK_HDR_SIZE + TXPAY] __attribute__((aligned(64)));
static int tx_free[NTX], ntx_free;
static struct conn conns[MAXC];
static int hash[NHASH];
static int pend[MAXC], npend;
/* RSTs for connections we keep no state for, queued while no tx buffer is
 * free: on a slow guest (PVM: ring 0 emulated) a burst of REQUESTs can use
 * every tx buffer before the device returns any. */
static struct {
	uint32_t lport, hport;
} rst_pend[MAXC];
static int nrst;
static uint64_t base, cid;
static unsigned gsi;
static int tx_added, rx_added;

struct gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
};
static struct gate idt[256] __attribute__((aligned(16)));
extern char vs_irq[], vs_spurious[];
__asm__(".text\n"
	"vs_irq:\n"
	"	push %rax\n"
	"	movabs $0xfee000b0, %rax\n" /* LAPIC EOI */
	"	movl $0, (%rax)\n"
	"	pop %rax\n"
	"	iretq\n"
	"vs_spurious:\n"
	"	iretq\n");

static void copy(void *d, const void *s, size_t n)
{
	/* one instruction: cheap where ring-0 code is emulated */
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}

static uint32_t rd(uint32_t off) { return mmio_r32(base + off); }
static void wr(uint32_t off, uint32_t v) { mmio_w32(base + off, v); }
static void barrier(void) { __asm__ volatile("mfence" ::: "memory"); }

static void set_gate(int vec, void *fn)
{
	uint64_t a = (uint64_t)fn;

	idt[vec] = (struct gate){ (uint16_t)a, 0x08, 0, 0x8e, (uint16_t)(a >> 16), (uint32_t)(a >> 32), 0 };
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	mmio_w32(IOAPIC, reg);
	mmio_w32(IOAPIC + 0x10, v);
}

static void setup_irq(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof idt - 1, (uint64_t)idt };

	set_gate(VEC_DEV, vs_irq);
	set_gate(VEC_SPURIOUS, vs_spurious);
	__asm__ volatile("lidt %0" : : "m"(idtr));
	outb(PORT_PIC1_DATA, 0xff); /* mask the 8259s: IOAPIC lines reach us only then */
	outb(PORT_PIC2_DATA, 0xff);
	mmio_w32(LAPIC + 0xf0, 0x100 | VEC_SPURIOUS);
	ioapic_write(0x11 + 2 * gsi, 0);          /* destination APIC 0 */
	ioapic_write(0x10 + 2 * gsi, VEC_DEV);    /* edge, active high, unmasked */
}

/* Finds the vsock device among the virtio_mmio.device= entries. */
static void find_device(const struct hvm_start_info *si)
{
	const char *s = cmdline(si), *key = "virtio_mmio.device=";

	base = 0;
	for (; *s; s++) {
		const char *p = s;
		uint64_t addr = 0, irq = 0;
		size_t i = 0;

		while (key[i] && p[i] == key[i])
			i++;
		if (key[i])
			continue;
		p += i;
		while (*p && *p != '@')
			p++;
		if (*p++ != '@' || p[0] != '0' || p[1] != 'x')
			continue;
		for (p += 2; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'); p++)
			addr = addr * 16 + (uint64_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
		if (*p++ != ':')
			continue;
		while (*p >= '0' && *p <= '9')
			irq = irq * 10 + (uint64_t)(*p++ - '0');
		if (mmio_r32(addr + VIRTIO_MMIO_MAGIC_VALUE) == VIRTIO_MMIO_MAGIC && mmio_r32(addr + VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_VSOCK) {
			base = addr;
			gsi = (unsigned)irq;
			return;
		}
	}
}

static void setup_queue(unsigned q, struct ring *r)
{
	uint64_t d = (uint64_t)r->desc, a = (uint64_t)&r->avail, u = (uint64_t)&r->used;

	memset(r, 0, sizeof *r);
	wr(VIRTIO_MMIO_QUEUE_SEL, q);
	wr(VIRTIO_MMIO_QUEUE_NUM, QN);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW + 4, (uint32_t)(d >> 32));
	wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)a);
	wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW + 4, (uint32_t)(a >> 32));
	wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)u);
	wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW + 4, (uint32_t)(u >> 32));
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
}

static void post_rx(int i)
{
	rxq.desc[i] = (struct vring_desc){ (uint64_t)rxbuf[i], RXBUF, 2 /* WRITE */, 0 };
	rxq.avail.ring[rxq.avail.idx % QN] = (uint16_t)i;
	barrier();
	rxq.avail.idx++;
	rx_added = 1;
}

static int device_setup(void)
{
	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, 1);
	wr(VIRTIO_MMIO_STATUS, 3);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VIRTIO_F_VERSION_1 */
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 0);
	wr(VIRTIO_MMIO_STATUS, 11);
	if (!(rd(VIRTIO_MMIO_STATUS) & 8))
		return -1;
	setup_queue(0, &rxq);
	setup_queue(1, &txq);
	txq.avail.flags = 1; /* we reclaim tx buffers as we go: no interrupts for them */
	cid = rd(VIRTIO_MMIO_CONFIG) | ((uint64_t)rd(VIRTIO_MMIO_CONFIG + 4) << 32);
	ntx_free = 0;
	for (int i = 0; i < NTX; i++)
		tx_free[ntx_free++] = i;
	for (int i = 0; i < NRX; i++)
		post_rx(i);
	wr(VIRTIO_MMIO_STATUS, 15);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	rx_added = 0;
	return 0;
}

static void reclaim_tx(void)
{
	while (txq.last_used != *(volatile uint16_t *)&txq.used.idx) {
		tx_free[ntx_free++] = (int)txq.used.ring[txq.last_used % QN].id;
		txq.last_used++;
	}
}

/* Queues a packet; payload may be NULL. Returns -1 when no tx buffer is free. */
static int send_pkt(struct conn *c, uint32_t lport, uint32_t hport, uint16_t op, uint32_t flags, const void *pay,
		    uint32_t len)
{
	struct vsock_hdr h = { cid, 2, lport, hport, len, 1, op, flags, CBUF, c ? c->fwd_cnt : 0 };
	int i;

	if (!ntx_free)
		reclaim_tx();
	if (!ntx_free)
		return -1;
	i = tx_free[--ntx_free];
	copy(txbuf[i], &h, sizeof h);
	if (len)
		copy(txbuf[i] + VSOCK_HDR_SIZE, pay, len);
	txq.desc[i] = (struct vring_desc){ (uint64_t)txbuf[i], VSOCK_HDR_SIZE + len, 0, 0 };
	txq.avail.ring[txq.avail.idx % QN] = (uint16_t)i;
	barrier();
	txq.avail.idx++;
	tx_added = 1;
	if (c)
		c->tx_cnt += len;
	return 0;
}

static unsigned hkey(uint32_t l, uint32_t h) { return (l * 31u + h) % NHASH; }

static struct conn *find(uint32_t lport, uint32_t hport)
{
	for (int i = hash[hkey(lport, hport)]; i >= 0; i = conns[i].next)
		if (conns[i].lport == lport && conns[i].hport == hport)
			return &conns[i];
	return 0;
}

static struct conn *conn_new(uint32_t lport, uint32_t hport)
{
	for (int i = 0; i < MAXC; i++) {
		struct conn *c = &conns[i];
		unsigned k = hkey(lport, hport);

		if (c->used)
			continue;
		c->used = 1;
		c->lport = lport;
		c->hport = hport;
		c->head = c->len = c->rx_cnt = c->fwd_cnt = c->tx_cnt = 0;
		c->peer_alloc = c->peer_fwd = 0;
		c->established = 1;
		c->peer_shut = c->shut_sent = c->want_credit = c->pending = c->outgoing = c->want_response = 0;
		c->next = hash[k];
		hash[k] = i;
		return c;
	}
	return 0;
}

static void conn_free(struct conn *c)
{
	int *p = &hash[hkey(c->lport, c->hport)];
	int me = (int)(c - conns);

	while (*p >= 0 && *p != me)
		p = &conns[*p].next;
	if (*p == me)
		*p = c->next;
	c->used = 0;
	/* a stale entry in pend[] is skipped: used is checked there */
}

static void mark(struct conn *c)
{
	if (!c->pending && npend < MAXC) {
		c->pending = 1;
		pend[npend++] = (int)(c - conns);
	}
}

/* An RST to a connection we keep no state for; queued if no tx buffer is free
 * (dropped only if that queue is full too). */
static void send_rst(uint32_t lport, uint32_t hport)
{
	if (send_pkt(0, lport, hport, VSOCK_OP_RST, 0, 0, 0) < 0 && nrst < MAXC) {
		rst_pend[nrst].lport = lport;
		rst_pend[nrst].hport = hport;
		nrst++;
	}
}

static void flush_rsts(void)
{
	int done = 0;

	while (done < nrst && send_pkt(0, rst_pend[done].lport, rst_pend[done].hport, VSOCK_OP_RST, 0, 0, 0) == 0)
		done++;
	for (int i = done; i < nrst; i++)
		rst_pend[i - done] = rst_pend[i];
	nrst -= done;
}

/* Echoes what the connection holds, as far as credit and tx buffers go. */
static int pump(struct conn *c)
{
	if (c->want_response) {
		if (send_pkt(c, c->lport, c->hport, VSOCK_OP_RESPONSE, 0, 0, 0) < 0)
			return -1;
		c->want_response = 0;
	}
	while (c->len) {
		uint32_t credit = c->peer_alloc - (c->tx_cnt - c->peer_fwd), n = c->len;
		uint32_t first = CBUF - c->head;

		if (credit > c->peer_alloc)
			credit = 0;
		if (n > credit)
			n = credit;
		if (n > TXPAY)
			n = TXPAY;
		if (n > first)
			n = first;
		if (!n)
			return 0; /* wait for a credit update */
		c->fwd_cnt += n; /* the header we send now carries it */
		if (send_pkt(c, c->lport, c->hport, VSOCK_OP_RW, 0, c->buf + c->head, n) < 0) {
			c->fwd_cnt -= n;
			return -1;
		}
		c->head = (c->head + n) % CBUF;
		c->len -= n;
	}
	if (c->want_credit) {
		if (send_pkt(c, c->lport, c->hport, VSOCK_OP_CREDIT_UPDATE, 0, 0, 0) < 0)
			return -1;
		c->want_credit = 0;
	}
	if (c->peer_shut && !c->shut_sent) {
		if (send_pkt(c, c->lport, c->hport, VSOCK_OP_SHUTDOWN, 3, 0, 0) < 0)
			return -1;
		c->shut_sent = 1;
	}
	return 0;
}

static void pump_all(void)
{
	int n = npend;

	npend = 0;
	for (int i = 0; i < n; i++) {
		struct conn *c = &conns[pend[i]];

		c->pending = 0;
		if (c->used && pump(c) < 0)
			mark(c); /* out of tx buffers: again later */
	}
}

static uint32_t connect_port, silent_port;

static void handle(const struct vsock_hdr *h, const uint8_t *pay)
{
	struct conn *c = find(h->dst_port, h->src_port);

	if (h->op == VSOCK_OP_REQUEST) {
		if (silent_port && h->dst_port == silent_port)
			return;
		if (c || (h->dst_port != 1234 && h->dst_port != 1235) || !(c = conn_new(h->dst_port, h->src_port))) {
			send_rst(h->dst_port, h->src_port);
			return;
		}
		c->peer_alloc = h->buf_alloc;
		c->peer_fwd = h->fwd_cnt;
		c->want_response = 1;
		if (pump(c) < 0)
			mark(c); /* out of tx buffers: again later */
		return;
	}
	if (!c) {
		if (h->op == VSOCK_OP_RST && h->src_port == 5555)
			puts_serial("vsock_echo: unknown op got rst\n");
		else if (h->op != VSOCK_OP_RST)
			send_rst(h->dst_port, h->src_port);
		return;
	}
	c->peer_alloc = h->buf_alloc;
	c->peer_fwd = h->fwd_cnt;
	switch (h->op) {
	case VSOCK_OP_RESPONSE:
		if (c->outgoing) {
			static const char msg[] = "hello from guest\n";
			printf_serial("vsock_echo: connected to host port %u\n", c->hport);
			c->established = 1;
			send_pkt(c, c->lport, c->hport, VSOCK_OP_RW, 0, msg, sizeof msg - 1);
			send_pkt(c, c->lport, c->hport, VSOCK_OP_SHUTDOWN, 3, 0, 0);
			c->shut_sent = 1;
		}
		return;
	case VSOCK_OP_RST:
		if (c->outgoing && !c->established)
			printf_serial("vsock_echo: connection to host port %u refused\n", c->hport);
		else if (c->outgoing)
			printf_serial("vsock_echo: connection to host port %u closed\n", c->hport);
		conn_free(c);
		return;
	case VSOCK_OP_SHUTDOWN:
		if (h->flags & 2)
			c->peer_shut = 1;
		break;
	case VSOCK_OP_RW:
		if (h->len >= 4 && pay[0] == '!' && pay[1] == 'r' && pay[2] == 's' && pay[3] == 't') {
			send_rst(c->lport, c->hport);
			conn_free(c);
			return;
		}
		if (h->len > CBUF - c->len) { /* beyond our credit: the host broke the rules */
			puts_serial("vsock_echo: host exceeded our credit\n");
			send_rst(c->lport, c->hport);
			conn_free(c);
			return;
		}
		for (uint32_t done = 0; done < h->len;) {
			uint32_t tail = (c->head + c->len) % CBUF, k = CBUF - tail;
			if (k > h->len - done)
				k = h->len - done;
			copy(c->buf + tail, pay + done, k);
			c->len += k;
			done += k;
		}
		c->rx_cnt += h->len;
		break;
	case VSOCK_OP_CREDIT_REQUEST:
		c->want_credit = 1;
		break;
	default:
		break;
	}
	mark(c);
}

static int process_rx(void)
{
	int any = 0;

	while (rxq.last_used != *(volatile uint16_t *)&rxq.used.idx) {
		uint32_t id = rxq.used.ring[rxq.last_used % QN].id, len = rxq.used.ring[rxq.last_used % QN].len;
		struct vsock_hdr h;

		rxq.last_used++;
		copy(&h, rxbuf[id], sizeof h);
		if (len >= VSOCK_HDR_SIZE && h.len <= len - VSOCK_HDR_SIZE)
			handle(&h, rxbuf[id] + VSOCK_HDR_SIZE);
		post_rx((int)id);
		any = 1;
	}
	return any;
}

static void kick(void)
{
	if (tx_added) {
		tx_added = 0;
		wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	}
	/* The device asks for rx notifications only while it waits for buffers. */
	if (rx_added) {
		rx_added = 0;
		barrier();
		if (!(*(volatile uint16_t *)&rxq.used.flags & 1))
			wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	}
}

static void hostile(void)
{
	struct vsock_hdr h = { cid, 2, 7, 5555, 1000 /* but no payload */, 1, VSOCK_OP_RW, 0, CBUF, 0 };
	int i = tx_free[--ntx_free];

	copy(txbuf[i], &h, sizeof h);
	txq.desc[i] = (struct vring_desc){ (uint64_t)txbuf[i], VSOCK_HDR_SIZE, 0, 0 };
	txq.avail.ring[txq.avail.idx % QN] = (uint16_t)i;
	barrier();
	txq.avail.idx++;
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	for (int n = 0; n < 1000000 && !(rd(VIRTIO_MMIO_STATUS) & 0x40); n++)
		__asm__ volatile("pause");
	printf_serial("vsock_echo: bad len: status %x%s\n", rd(VIRTIO_MMIO_STATUS),
		      (rd(VIRTIO_MMIO_STATUS) & 0x40) ? " needs reset" : "");
	if (device_setup() < 0)
		poweroff(3);
	/* unknown op 99 to nobody: an RST must come back */
	send_pkt(0, 7, 5555, 99, 0, 0, 0);
	kick();
}

int guest_main(struct hvm_start_info *si)
{
	for (int i = 0; i < NHASH; i++)
		hash[i] = -1;
	find_device(si);
	if (!base) {
		puts_serial("vsock_echo: no virtio-vsock device\n");
		return 1;
	}
	setup_irq();
	if (device_setup() < 0) {
		puts_serial("vsock_echo: FEATURES_OK refused\n");
		return 1;
	}
	if (cmdline_uint(si, "hostile", 0))
		hostile();
	printf_serial("vsock_echo: ready cid %lu\n", cid);
	connect_port = (uint32_t)cmdline_uint(si, "connect", 0);
	silent_port = (uint32_t)cmdline_uint(si, "silent", 0);
	if (connect_port) {
		struct conn *c = conn_new(40000, connect_port);
		c->established = 0;
		c->outgoing = 1;
		send_pkt(c, 40000, connect_port, VSOCK_OP_REQUEST, 0, 0, 0);
	}
	for (;;) {
		int any = process_rx();

		reclaim_tx();
		flush_rsts();
		pump_all();
		/* Out of tx buffers: ask for an interrupt when some come back. */
		txq.avail.flags = npend || nrst ? 0 : 1;
		kick();
		if (any || ((npend || nrst) && ntx_free))
			continue;
		__asm__ volatile("cli");
		barrier();
		if (rxq.last_used == *(volatile uint16_t *)&rxq.used.idx &&
		    (!(npend || nrst) || txq.last_used == *(volatile uint16_t *)&txq.used.idx))
			__asm__ volatile("sti; hlt");
		__asm__ volatile("cli");
	}
}
