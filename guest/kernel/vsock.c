/* virtio-vsock, the transport: the guest listens on port 80 (and the stats
 * port); the host connects once per HTTP client. This file accepts,
 * receives, sends and keeps credit; what a connection carries is serve.c's
 * (guest/http), and response bodies come from body.c. Everything here runs
 * at ring 3.
 *
 * Queues: rx (0) holds NRX buffers of RXBUF bytes (header + up to 980
 * payload bytes each; the device sizes a packet to the buffer it fills);
 * tx (1) takes one packet per chain: a page-sized slot holding the header
 * and an inline payload (response head, small bodies), plus at most one
 * more descriptor pointing at body bytes in place (the archive in memory,
 * or a disk chunk); event (2) carries transport resets.
 *
 * Exits are the cost: each pass posts everything it can, then notifies each
 * queue once; interrupts stay off (VRING_AVAIL_F_NO_INTERRUPT) until the
 * loop is about to sleep.
 *
 * Credit: we advertise buf_alloc = INBUF (the HTTP input buffer) and
 * fwd_cnt = bytes the HTTP layer has consumed, so a peer that respects
 * credit can never overflow the buffer; one that does not is reset. We
 * send at most peer buf_alloc - (tx_cnt - peer fwd_cnt) bytes. */
#include "vsock.h"

#include "blk.h"
#include "body.h"
#include "http/http_buf.h"
#include "serve.h"

#define HDR VSOCK_HDR_SIZE
/* The device takes rx buffers in ring order, so every one posted is
 * written in turn and stays a private host page: 64 one-page buffers grew
 * to 256 KiB per VM after 64 packets. Four to a page cost 64 KiB at most
 * and one page for an idle site's first request (REQUEST, the request,
 * SHUTDOWN, RST); a request head of over 980 bytes just takes two packets. */
#define RXBUF 1024
#define NRX 64
#define TXQ 256
#define NTX 128               /* tx slots: each packet uses one */
#define SLOT_INLINE (4096 - HDR)
#define MAX_PKT (64u << 10)   /* payload per packet (Linux's and vmm's limit) */
#define INBUF (16u << 10)     /* HTTP input buffer per connection = our buf_alloc */
#define CONN_PAGES 6          /* struct conn, then INBUF right after it (conn_inbuf) */
#define MAX_CONNS 2048
#define HASH 256              /* buckets: 2 KiB of .bss; chains stay short for the usual few conns */
#define BURST 4               /* packets per connection per pass */
#define CLOSE_LINGER_MS 5000  /* after our SHUTDOWN, wait this long for the peer's RST */
#define SHUTDOWN_MAX_MS 10000
#define NPENDING_RST 64


struct txslot {
	uint8_t *page;     /* header + inline payload */
	struct chunk *chunk;
	struct txslot *next;
};

enum cstate { C_OPEN, C_CLOSING };

struct conn {
	struct conn *hnext;
	struct conn *qnext;   /* tx work list */
	struct conn *anext, **aprev; /* all connections */
	bool queued;
	enum cstate state;
	uint64_t peer_cid;
	uint32_t peer_port, port;
	/* credit */
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
	uint32_t rx_cnt, fwd_sent;
	bool send_response, send_credit, credit_requested, send_shutdown;
	bool peer_eof, peer_norecv;
	uint64_t close_deadline;
	struct serve app;     /* what it carries: an HTTP exchange or the stats page */
	char peer[32];
};
/* The input buffer follows the struct directly rather than ending the
 * block: a request of a few hundred bytes then lands on the struct's last
 * page, and an idle site's one connection block touches a page less. */
#define CONN_INBUF_OFF ((sizeof(struct conn) + 63) & ~(size_t)63)
_Static_assert(CONN_INBUF_OFF + INBUF <= CONN_PAGES * 4096, "struct conn and its input buffer fit their pages");

struct vdev *vsock_dev;
uint64_t guest_cid;
static struct vq rxq, txq, evq;
static uint8_t *rxbufs[NRX];
static uint32_t events[4];
static struct txslot slots[NTX], *free_slots;
static unsigned slots_used, slots_fresh; /* slots[slots_fresh..] never used yet */
static struct conn *hash[HASH], *all_conns, *txq_head, *txq_tail;
static unsigned nconns;
static bool shutting_down;
static uint64_t shutdown_deadline;
static unsigned stats_port = 81;
static struct {
	uint64_t cid;
	uint32_t src_port, dst_port;
} pending_rst[NPENDING_RST];
static unsigned npending_rst;
static uint64_t now; /* unix ms, per pass */

static unsigned hkey(uint64_t cid, uint32_t port, uint32_t lport)
{
	uint64_t k = (cid * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)port << 16) ^ lport;
	return (unsigned)((k ^ (k >> 29)) % HASH);
}

static struct conn *lookup(uint64_t cid, uint32_t port, uint32_t lport)
{
	for (struct conn *c = hash[hkey(cid, port, lport)]; c; c = c->hnext)
		if (c->peer_cid == cid && c->peer_port == port && c->port == lport)
			return c;
	return NULL;
}

static void want_tx(struct conn *c)
{
	if (c->queued)
		return;
	c->queued = true;
	c->qnext = NULL;
	if (txq_tail)
		txq_tail->qnext = c;
	else
		txq_head = c;
	txq_tail = c;
}

/* Bodies waiting for a disk chunk try again (body.c calls this). */
static void wake_body_waiters(void)
{
	for (struct conn *c = all_conns; c; c = c->anext)
		if (c->app.body.waiting) {
			c->app.body.waiting = false;
			want_tx(c);
		}
}

/* ---- rx buffers ---- */

static void post_rx(uint8_t *b)
{
	struct vbuf v = { b, RXBUF, true };
	if (!vq_add(&rxq, &v, 1, b))
		panic(EXIT_DEVICE, "vsock rx queue unexpectedly full");
}

static void post_event(uint32_t *e)
{
	struct vbuf v = { e, sizeof *e, true };
	if (!vq_add(&evq, &v, 1, e))
		panic(EXIT_DEVICE, "vsock event queue unexpectedly full");
}

static void read_cid(void)
{
	guest_cid = vdev_config32(vsock_dev, 0) | (uint64_t)vdev_config32(vsock_dev, 4) << 32;
	if (guest_cid < 3 || guest_cid >= 0xffffffffull)
		panic(EXIT_DEVICE, "virtio-vsock gives an invalid guest CID %lu", guest_cid);
}

void vsock_init(struct vdev *d)
{
	size_t n;
	const char *v = cmdline_get("site.stats_port", 0, &n);

	if (v) {
		unsigned p = 0;
		for (size_t i = 0; i < n; i++) {
			if (v[i] < '0' || v[i] > '9' || p > 0xffffff)
				panic(EXIT_CMDLINE, "site.stats_port=%.*s is not a port number", (int)n, v);
			p = p * 10 + (unsigned)(v[i] - '0');
		}
		stats_port = p;
	}
	vsock_dev = d;
	body_cache_init(wake_body_waiters);
	d->name = "virtio-vsock";
	vdev_begin(d, 0);
	/* The event ring (a few dozen bytes) goes next to rx's rings on their
	 * page rather than on a page of tx's (vq_init packs them in order). */
	vq_init(&rxq, d, 0, NRX);
	vq_init(&evq, d, 2, 4);
	vq_init(&txq, d, 1, TXQ);
	uint8_t *rx = kalloc((size_t)NRX * RXBUF);
	for (unsigned i = 0; i < NRX && i < rxq.num; i++) {
		rxbufs[i] = rx + (size_t)i * RXBUF;
		post_rx(rxbufs[i]);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(events) && i < evq.num; i++)
		post_event(&events[i]);
	vdev_ready(d);
	read_cid(); /* after vdev_ready: on vmm its set-up batch has read it */
	vq_kick(&rxq);
	vq_kick(&evq);
}

/* ---- packets ---- */

static void fill_hdr(struct conn *c, struct vsock_hdr *h, uint16_t op, uint32_t flags, uint32_t len)
{
	uint32_t fwd = c->rx_cnt - (uint32_t)serve_unread(&c->app);

	*h = vsock_hdr_stream(guest_cid, c->port, c->peer_cid, c->peer_port, op);
	h->len = len;
	h->flags = flags;
	h->buf_alloc = INBUF;
	h->fwd_cnt = fwd;
	c->fwd_sent = fwd;
}

static struct txslot *slot_get(void)
{
	/* Returned slots first (LIFO, their pages warm), then fresh ones: an
	 * idle site has touched one slot and one page, not the whole table. */
	struct txslot *s = free_slots ? free_slots : slots_fresh < NTX ? &slots[slots_fresh] : NULL;

	if (!s || txq.num_free < 2) {
		st.tx_full++;
		return NULL;
	}
	if (!s->page && !(s->page = alloc_pages(1)))
		return NULL;
	if (s == free_slots)
		free_slots = s->next;
	else
		slots_fresh++;
	s->chunk = NULL;
	slots_used++;
	return s;
}

static void slot_post(struct txslot *s, const void *ext, uint32_t ext_len)
{
	const struct vsock_hdr *h = (const struct vsock_hdr *)s->page;
	struct vbuf b[2] = { { s->page, HDR + h->len - ext_len, false }, { ext, ext_len, false } };

	if (!vq_add(&txq, b, ext_len ? 2 : 1, s))
		panic(EXIT_DEVICE, "vsock tx queue full despite a free slot");
	st.tx_pkts++;
	st.tx_bytes += h->len;
}

static void free_slot(struct txslot *s)
{
	chunk_unref(s->chunk);
	s->chunk = NULL;
	s->next = free_slots;
	free_slots = s;
	slots_used--;
}

static bool send_ctl(struct conn *c, uint16_t op, uint32_t flags)
{
	struct txslot *s = slot_get();

	if (!s)
		return false;
	fill_hdr(c, (struct vsock_hdr *)s->page, op, flags, 0);
	slot_post(s, NULL, 0);
	return true;
}

/* An RST for a packet that matches no connection. */
static void rst_reply(const struct vsock_hdr *in)
{
	if (in->op == VSOCK_OP_RST)
		return;
	for (unsigned i = 0; i < npending_rst; i++)
		if (pending_rst[i].cid == in->src_cid && pending_rst[i].src_port == in->dst_port &&
		    pending_rst[i].dst_port == in->src_port)
			return;
	if (npending_rst < NPENDING_RST)
		pending_rst[npending_rst++] = (typeof(pending_rst[0])){ in->src_cid, in->dst_port, in->src_port };
}

static bool flush_rsts(void)
{
	while (npending_rst) {
		struct txslot *s = slot_get();
		if (!s)
			return false;
		struct vsock_hdr *h = (struct vsock_hdr *)s->page;
		npending_rst--;
		*h = (struct vsock_hdr){ guest_cid, pending_rst[npending_rst].cid, pending_rst[npending_rst].src_port,
				    pending_rst[npending_rst].dst_port, 0, VSOCK_TYPE_STREAM, VSOCK_OP_RST, 0, 0, 0 };
		slot_post(s, NULL, 0);
	}
	return true;
}

/* ---- connections ---- */

static void conn_free(struct conn *c)
{
	struct conn **pp = &hash[hkey(c->peer_cid, c->peer_port, c->port)];
	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	*c->aprev = c->anext;
	if (c->anext)
		c->anext->aprev = c->aprev;
	if (c->queued) { /* unlink from the tx work list */
		struct conn **q = &txq_head, *prev = NULL;
		while (*q && *q != c) {
			prev = *q;
			q = &(*q)->qnext;
		}
		if (*q)
			*q = c->qnext;
		if (txq_tail == c)
			txq_tail = prev;
	}
	serve_close(&c->app);
	nconns--;
	free_pages(c, CONN_PAGES);
}

static void conn_reset(struct conn *c)
{
	struct vsock_hdr h = { .src_cid = c->peer_cid, .src_port = c->peer_port, .dst_port = c->port, .op = VSOCK_OP_REQUEST };
	rst_reply(&h);
	conn_free(c);
}

static void conn_accept(const struct vsock_hdr *h)
{
	if (shutting_down || nconns >= MAX_CONNS || (h->dst_port != HTTP_PORT && (!stats_port || h->dst_port != stats_port))) {
		st.conns_refused++;
		rst_reply(h);
		return;
	}
	struct conn *c = alloc_pages(CONN_PAGES);
	if (!c) {
		st.conns_refused++;
		rst_reply(h);
		return;
	}
	memset(c, 0, sizeof *c);
	c->peer_cid = h->src_cid;
	c->peer_port = h->src_port;
	c->port = h->dst_port;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	c->send_response = true;
	/* "cid:2:1234": the access log's host field */
	{
		struct hbuf b;
		hb_init(&b, c->peer, sizeof c->peer);
		hb_str(&b, "cid:");
		hb_u64(&b, c->peer_cid);
		hb_ch(&b, ':');
		hb_u64(&b, c->peer_port);
		hb_cstr(&b);
	}
	serve_open(&c->app, h->dst_port == HTTP_PORT ? SERVE_HTTP : SERVE_STATS,
		   (char *)c + CONN_INBUF_OFF, INBUF, c->peer, now);
	unsigned k = hkey(c->peer_cid, c->peer_port, c->port);
	c->hnext = hash[k];
	hash[k] = c;
	c->anext = all_conns;
	c->aprev = &all_conns;
	if (all_conns)
		all_conns->aprev = &c->anext;
	all_conns = c;
	nconns++;
	st.conns++;
	if (nconns > st.conns_max)
		st.conns_max = nconns;
	want_tx(c);
}

static void begin_close(struct conn *c)
{
	if (c->state == C_CLOSING)
		return;
	c->state = C_CLOSING;
	c->send_shutdown = true;
	c->close_deadline = now + CLOSE_LINGER_MS;
	want_tx(c);
}

static void rx_packet(const uint8_t *buf, uint32_t used)
{
	struct vsock_hdr h;

	if (used < HDR) {
		kprintf("site: vsock: dropped a %u-byte rx packet (shorter than its header)\n", used);
		return;
	}
	memcpy(&h, buf, HDR);
	if (h.len > used - HDR || h.len > RXBUF - HDR) {
		kprintf("site: vsock: dropped a packet claiming %u payload bytes in %u\n", h.len, used - HDR);
		return;
	}
	st.rx_pkts++;
	st.rx_bytes += h.len;
	if (h.type != VSOCK_TYPE_STREAM || h.dst_cid != guest_cid) {
		rst_reply(&h);
		return;
	}
	struct conn *c = lookup(h.src_cid, h.src_port, h.dst_port);
	if (!c) {
		if (h.op == VSOCK_OP_REQUEST)
			conn_accept(&h);
		else
			rst_reply(&h);
		return;
	}
	c->peer_buf_alloc = h.buf_alloc;
	c->peer_fwd_cnt = h.fwd_cnt;
	switch (h.op) {
	case VSOCK_OP_RW:
		if (c->state == C_CLOSING || c->peer_eof) {
			c->rx_cnt += h.len; /* read nothing more; keep credit flowing */
			c->send_credit = true;
			want_tx(c);
			break;
		}
		if (serve_feed(&c->app, buf + HDR, h.len, now) != h.len) {
			kprintf("site: vsock: %s sent past its credit: reset\n", c->peer);
			conn_reset(c);
			return;
		}
		c->rx_cnt += h.len;
		want_tx(c);
		break;
	case VSOCK_OP_SHUTDOWN:
		if (h.flags & VSOCK_SHUTDOWN_SEND) {
			c->peer_eof = true;
			serve_eof(&c->app);
		}
		if (h.flags & VSOCK_SHUTDOWN_RCV)
			c->peer_norecv = true;
		if ((c->peer_eof && c->peer_norecv) || (c->state == C_CLOSING && c->peer_eof)) {
			conn_reset(c); /* both directions done: the closing RST */
			return;
		}
		want_tx(c);
		break;
	case VSOCK_OP_RST:
		conn_free(c);
		return;
	case VSOCK_OP_CREDIT_UPDATE:
		c->credit_requested = false;
		want_tx(c);
		break;
	case VSOCK_OP_CREDIT_REQUEST:
		c->send_credit = true;
		want_tx(c);
		break;
	case VSOCK_OP_REQUEST: /* a second REQUEST on a live connection */
	case VSOCK_OP_RESPONSE:
	default:
		conn_reset(c);
		return;
	}
}

static uint32_t credit(const struct conn *c)
{
	uint32_t inflight = c->tx_cnt - c->peer_fwd_cnt;
	return inflight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - inflight;
}

/* Asks what the connection carries for its next response. */
static bool next_response(struct conn *c)
{
	switch (serve_next(&c->app, c->peer_eof, shutting_down, nconns, now)) {
	case SERVE_RESPONSE:
		return true;
	case SERVE_CLOSE:
		begin_close(c);
		return false;
	default:
		return false;
	}
}

/* Builds and posts up to BURST packets for c. Returns false when out of tx
 * slots (c stays queued). */
static bool conn_tx(struct conn *c)
{
	unsigned sent = 0;

	if (c->send_response) {
		if (!send_ctl(c, VSOCK_OP_RESPONSE, 0))
			return false;
		c->send_response = false;
		sent++;
	}
	while (sent < BURST) {
		if (c->state == C_OPEN && !c->app.has_resp && !next_response(c))
			break;
		if (!c->app.has_resp)
			break;
		if (c->peer_norecv) { /* it will not read what we would send */
			conn_reset(c);
			return true;
		}
		uint32_t cr = credit(c);
		if (cr == 0) {
			if (!c->credit_requested) {
				if (!send_ctl(c, VSOCK_OP_CREDIT_REQUEST, 0))
					return false;
				c->credit_requested = true;
				sent++;
			}
			break;
		}
		uint32_t max = MIN(cr, MAX_PKT);
		uint32_t h = (uint32_t)MIN((size_t)max, MIN(c->app.head_len - c->app.head_off, (size_t)SLOT_INLINE));
		const uint8_t *bp = NULL;
		struct chunk *ck = NULL;
		int64_t avail = 0;
		if (body_left(&c->app.body) && h < max) {
			avail = body_peek(&c->app.body, &bp, &ck);
			if (avail < 0) {
				kprintf("site: disk read failed while sending %s to %s: reset\n",
					c->app.body.entry ? c->app.body.entry->name : "a body", c->peer);
				conn_reset(c);
				return true;
			}
		}
		uint32_t b = (uint32_t)MIN((uint64_t)avail, (uint64_t)(max - h));
		/* An app's body is freed by the connection's next request, maybe
		 * before the device has read a packet pointing at it: copy it. */
		if (c->app.body.mem)
			b = MIN(b, (uint32_t)(SLOT_INLINE - h));
		if (h == 0 && b == 0)
			break; /* waiting for the disk */
		struct txslot *s = slot_get();
		if (!s)
			return false;
		uint8_t *pl = s->page + HDR;
		memcpy(pl, c->app.head + c->app.head_off, h);
		c->app.head_off += h;
		uint32_t ext = 0;
		if (b) {
			if (b <= SLOT_INLINE - h) { /* small: copy, one descriptor */
				memcpy(pl + h, bp, b);
			} else {
				ext = b;
				chunk_ref(ck);
				s->chunk = ck;
			}
			c->app.body.pos += b;
		}
		fill_hdr(c, (struct vsock_hdr *)s->page, VSOCK_OP_RW, 0, h + b);
		slot_post(s, ext ? bp : NULL, ext);
		c->tx_cnt += h + b;
		sent++;
		if (c->app.head_off == c->app.head_len && !body_left(&c->app.body)) {
			c->app.has_resp = false;
			if (c->app.close_after)
				begin_close(c);
		} else if (c->app.body.entry || c->app.body.mem) {
			serve_progress(&c->app, now); /* a long body is not idleness */
		}
	}
	if (c->send_shutdown && !c->app.has_resp) {
		if (!send_ctl(c, VSOCK_OP_SHUTDOWN, VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND))
			return false;
		c->send_shutdown = false;
		c->send_credit = false;
		sent++;
	}
	/* Tell the peer about consumed input when nothing else carried it and
	 * its view of our free space has dropped below half. */
	uint32_t fwd = c->rx_cnt - (uint32_t)serve_unread(&c->app);
	if (c->send_credit || (fwd != c->fwd_sent && c->rx_cnt - c->fwd_sent > INBUF / 2)) {
		if (!send_ctl(c, VSOCK_OP_CREDIT_UPDATE, 0))
			return false;
		c->send_credit = false;
		sent++;
	}
	if (sent >= BURST)
		want_tx(c); /* more to do: back of the line */
	return true;
}

static void run_tx(void)
{
	if (!flush_rsts())
		return;
	/* Round robin: each connection gets BURST packets per turn. */
	struct conn *end = txq_tail;
	while (txq_head) {
		struct conn *c = txq_head;
		txq_head = c->qnext;
		if (!txq_head)
			txq_tail = NULL;
		c->queued = false;
		bool last = c == end;
		if (!conn_tx(c)) {
			want_tx(c);
			break;
		}
		if (last)
			break;
	}
}

static void check_timers(void)
{
	struct conn *c = all_conns, *next;

	for (; c; c = next) {
		next = c->anext;
		if (c->state == C_CLOSING) {
			if (now >= c->close_deadline)
				conn_reset(c);
			continue;
		}
		if (c->app.has_resp) { /* a peer that stopped reading (no credit) */
			if (now >= serve_stall_deadline(&c->app)) {
				kprintf("site: %s stopped reading: reset\n", c->peer);
				conn_reset(c);
			}
			continue;
		}
		switch (serve_timeout(&c->app, now)) {
		case SERVE_RESPONSE:
			want_tx(c);
			break;
		case SERVE_CLOSE:
			begin_close(c);
			break;
		default:
			break;
		}
	}
}

static uint64_t next_deadline(void)
{
	uint64_t d = 0;

	for (struct conn *c = all_conns; c; c = c->anext) {
		uint64_t t = c->state == C_CLOSING ? c->close_deadline
			   : c->app.has_resp ? serve_stall_deadline(&c->app)
			   : serve_deadline(&c->app);
		if (t && (!d || t < d))
			d = t;
	}
	if (shutting_down && (!d || shutdown_deadline < d))
		d = shutdown_deadline;
	return d;
}

static uint64_t next_timer_check;

bool vsock_poll(void)
{
	bool work = false;
	uint32_t len;
	void *ck;

	now = unix_ms();
	/* Completed transmissions first: they free slots and chunk refs. */
	st.passes++;
	while ((ck = vq_get(&txq, &len))) {
		free_slot(ck);
		work = true;
		st.pass_txdone++;
	}
	bool reposted = false;
	while ((ck = vq_get(&rxq, &len))) {
		rx_packet(ck, len);
		post_rx(ck);
		reposted = true;
		work = true;
		st.pass_rx++;
	}
	while ((ck = vq_get(&evq, &len))) {
		uint32_t id = *(uint32_t *)ck;
		if (len >= 4 && id == 0) { /* VIRTIO_VSOCK_EVENT_TRANSPORT_RESET */
			kprintf("site: vsock transport reset: dropping %u connections\n", nconns);
			while (all_conns)
				conn_free(all_conns);
			npending_rst = 0;
			read_cid();
		}
		post_event(ck);
		vq_kick(&evq);
		work = true;
	}
	if (blk_site_disk() && blk_poll())
		work = true;
	if (now >= next_timer_check) {
		check_timers();
		uint64_t d = next_deadline();
		next_timer_check = d ? d : now + 60000;
	}
	unsigned before = (unsigned)st.tx_pkts;
	run_tx();
	if ((unsigned)st.tx_pkts != before)
		work = true;
	if (reposted)
		vq_kick(&rxq);
	vq_kick(&txq);
	if (blk_site_disk())
		blk_kick();
	return work;
}

bool vsock_has_used(void)
{
	return vq_has_used(&rxq) || vq_has_used(&txq) || vq_has_used(&evq);
}

bool vsock_prepare_sleep(uint64_t *deadline)
{
	bool waiting = false;

	waiting |= vq_irq(&rxq, true);
	waiting |= vq_irq(&evq, true);
	/* Completions matter while someone waits for a slot or a chunk. */
	if (txq_head || npending_rst || slots_used > NTX / 2)
		waiting |= vq_irq(&txq, true);
	if (blk_site_disk() && blk_busy())
		waiting |= blk_irq(true);
	*deadline = next_deadline();
	next_timer_check = *deadline ? *deadline : unix_ms() + 60000;
	return !waiting;
}

void vsock_after_sleep(void)
{
	vq_irq(&rxq, false);
	vq_irq(&evq, false);
	vq_irq(&txq, false);
	if (blk_site_disk())
		blk_irq(false);
}

void vsock_begin_shutdown(void)
{
	shutting_down = true;
	shutdown_deadline = unix_ms() + SHUTDOWN_MAX_MS;
	for (struct conn *c = all_conns; c; c = c->anext)
		want_tx(c); /* idle ones close now, busy ones after their response */
	next_timer_check = 0;
}

bool vsock_drained(void)
{
	bool conns_done = true;

	for (struct conn *c = all_conns; c; c = c->anext)
		if (c->state == C_OPEN || c->app.has_resp)
			conns_done = false;
	return (conns_done && slots_used == 0 && !npending_rst) || unix_ms() >= shutdown_deadline;
}

unsigned vsock_open_conns(void)
{
	return nconns;
}
