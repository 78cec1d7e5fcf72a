#include "virtio/vsock.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "virtio/vsock_conn.h"

#define EPHEMERAL_FIRST 49152u

/* ---- packets to the guest (rx queue) ---------------------------------- */

/* Gets an rx buffer to fill (keeping one we popped but could not use). */
static struct vq_chain *rx_buffer(struct vsock_dev *vs)
{
	struct virtq *q = &vs->dev.q[VSOCK_QUEUE_RX];
	struct err e;
	int r;

	if (vs->rx_held)
		return &vs->rx;
	r = virtq_pop(q, vs->dev.mem, &vs->rx, &e);
	if (r == 0 && vs->rx_quiet) {
		/* Out of buffers: ask the driver to tell us when it posts more, then
		 * look again in case it posted some before seeing the request. */
		virtq_set_notify(q, vs->dev.mem, true);
		vs->rx_quiet = false;
		r = virtq_pop(q, vs->dev.mem, &vs->rx, &e);
	}
	if (r > 0 && !vs->rx_quiet) {
		/* While we have buffers, the driver need not notify us of new ones:
		 * one exit less per round trip. */
		virtq_set_notify(q, vs->dev.mem, false);
		vs->rx_quiet = true;
	}
	if (r < 0) {
		virtio_fail(&vs->dev, e.msg);
		return NULL;
	}
	if (r == 0)
		return NULL;
	if (vs->rx.out_len || vs->rx.in_len < VSOCK_HDR_SIZE) {
		virtio_fail(&vs->dev, "rx buffer is not a device-writable area of at least 44 bytes");
		return NULL;
	}
	vs->rx_held = true;
	return &vs->rx;
}

static void rx_complete(struct vsock_dev *vs, const struct vsock_hdr *h)
{
	uint8_t raw[VSOCK_HDR_SIZE];
	struct err e;

	vsock_hdr_encode(h, raw);
	vq_chain_write(&vs->rx, 0, raw, sizeof raw);
	vs->rx_held = false;
	if (virtq_push(&vs->dev.q[VSOCK_QUEUE_RX], vs->dev.mem, vs->rx.head, VSOCK_HDR_SIZE + h->len, &e) < 0) {
		virtio_fail(&vs->dev, e.msg);
		return;
	}
	vs->rx_delivered = true;
	vs->stats.rx_pkts++;
	vs->stats.rx_bytes += h->len;
	if (h->op == VSOCK_OP_RST)
		vs->stats.rsts_sent++;
}

/* Fills guest rx buffers with what is owed: stray RSTs first, then the
 * connections in turn, one packet each per round, so that one busy
 * connection cannot starve the others. */
static void rx_fill(struct vsock_dev *vs)
{
	struct vq_chain *rx;

	while (virtio_dev_live(&vs->dev) && vs->dev.q[VSOCK_QUEUE_RX].ready && (vs->rst_len || vs->work_head)) {
		struct vsock_conn *c;
		struct vsock_hdr h;

		if (!(rx = rx_buffer(vs)))
			return;
		if (vs->rst_len) {
			h = vs->rst[vs->rst_head];
			vs->rst_head = (vs->rst_head + 1) % VSOCK_RST_RING;
			vs->rst_len--;
			rx_complete(vs, &h);
			continue;
		}
		c = vs->work_head;
		switch (vsock_conn_emit(c, rx, &h)) {
		case VSOCK_EMIT_NONE:
			vsock_conn_requeue(c);
			break;
		case VSOCK_EMIT_PACKET:
			rx_complete(vs, &h);
			vsock_conn_requeue(c);
			break;
		case VSOCK_EMIT_LAST: /* c is gone */
			rx_complete(vs, &h);
			break;
		}
	}
}

/* Raises the device interrupt once for everything done since the last one,
 * and only if the driver asked for it on a queue that has news. */
static void interrupt(struct vsock_dev *vs)
{
	struct virtio_dev *d = &vs->dev;

	if (vs->rx_delivered && virtq_wants_interrupt(&d->q[VSOCK_QUEUE_RX], d->mem))
		virtio_dev_interrupt(d, VSOCK_QUEUE_RX);
	else if (vs->tx_used)
		virtio_dev_interrupt(d, VSOCK_QUEUE_TX);
	vs->rx_delivered = vs->tx_used = false;
}

/* Arms the request timer for the oldest unanswered REQUEST. Only when it
 * is not armed already: the armed deadline is never later than the head's
 * (heads only get younger), so at worst it fires early, finds nothing due
 * and is armed again; no timer call per connection. */
static void timer_update(struct vsock_dev *vs)
{
	struct itimerspec t = { { 0, 0 }, { 0, 0 } };

	if (vs->timer_armed || !vs->pend_head || !vs->loop || vs->timer_fd < 0)
		return;
	t.it_value.tv_sec = (time_t)(vs->pend_head->deadline_ns / 1000000000u);
	t.it_value.tv_nsec = (long)(vs->pend_head->deadline_ns % 1000000000u);
	if (timerfd_settime(vs->timer_fd, TFD_TIMER_ABSTIME, &t, NULL) == 0)
		vs->timer_armed = true;
}

void vsock_dev_expire(struct vsock_dev *vs, uint64_t now_ns)
{
	/* vsock_conn_expire takes each off the list (or frees it). */
	while (vs->pend_head && vs->pend_head->deadline_ns <= now_ns)
		vsock_conn_expire(vs->pend_head);
}

/* The driver reset the device (on a vCPU thread, which must not touch the
 * event loop): the connections the guest knew end here, on the I/O thread.
 * Host clients still waiting for their REQUEST to go out keep waiting. */
static void sync_reset(struct vsock_dev *vs)
{
	uint64_t v;

	if (!vs->reset_pending)
		return;
	vs->reset_pending = false;
	if (read(vs->reset_efd, &v, sizeof v) < 0) {
		/* already drained */
	}
	for (unsigned b = 0; b < VSOCK_HASH; b++) {
		struct vsock_conn *c = vs->hash[b], *next;

		for (; c; c = next) {
			next = c->hnext;
			if (c->state != VCONN_REQUEST_OWED)
				vsock_conn_free(c, true);
		}
	}
}

/* ---- host socket side ------------------------------------------------- */

/* The guest's rx buffers filled for everything this batch of host events
 * made ready, and one interrupt for all of it: an epoll batch with events
 * of several connections used to cost an interrupt (an irqfd write) each. */
static void flush(void *opaque, uint32_t events)
{
	struct vsock_dev *vs = opaque;

	(void)events;
	pthread_mutex_lock(&vs->dev.lock);
	sync_reset(vs);
	rx_fill(vs);
	interrupt(vs);
	timer_update(vs);
	pthread_mutex_unlock(&vs->dev.lock);
}

static void flush_later(struct vsock_dev *vs)
{
	if (vs->loop)
		event_loop_defer(vs->loop, flush, vs);
	else
		flush(vs, 0);
}

void vsock_conn_event(void *opaque, uint32_t events)
{
	struct vsock_conn *c = opaque;
	struct vsock_dev *vs = c->vs;

	pthread_mutex_lock(&vs->dev.lock);
	if (vs->reset_pending) {
		/* c may be one of the connections the reset ends: do not touch it. */
		sync_reset(vs);
		goto out;
	}
	vsock_conn_host_event(c, events);
out:
	pthread_mutex_unlock(&vs->dev.lock);
	flush_later(vs);
}

/* ---- packets from the guest (tx queue) -------------------------------- */

static void rst_reply(struct vsock_dev *vs, const struct vsock_hdr *in)
{
	struct vsock_hdr *h;

	if (in->op == VSOCK_OP_RST)
		return; /* never answer a reset */
	if (vs->rst_len == VSOCK_RST_RING)
		return; /* a guest flooding us with strays loses some RSTs: its problem */
	h = &vs->rst[(vs->rst_head + vs->rst_len++) % VSOCK_RST_RING];
	*h = vsock_hdr_stream(VSOCK_HOST_CID, in->dst_port, vs->guest_cid, in->src_port, VSOCK_OP_RST);
}

/* A guest REQUEST to the host: the backend decides (--vsock-connect routes). */
static void guest_connect(struct vsock_dev *vs, const struct vsock_hdr *h)
{
	struct vsock_conn *c;
	int fd = vs->backend.connect ? vs->backend.connect(vs->backend.ctx, h->dst_port) : -1;

	if (fd < 0 || !(c = vsock_conn_new(vs, fd, false, h->dst_port, h->src_port))) {
		if (fd >= 0)
			close(fd);
		rst_reply(vs, h);
		return;
	}
	c->state = VCONN_ESTABLISHED;
	c->want = W_RESPONSE;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	vsock_conn_update_events(c);
	vsock_conn_update_work(c);
}

/* One packet from the guest (a virtio_chain_fn). Returns -1 with e set
 * when the chain itself breaks the rules (the device then needs a reset);
 * a well-formed packet that makes no sense gets an RST. */
static int tx_packet(void *ctx, const struct vq_chain *ch, uint32_t *written, struct err *e)
{
	struct vsock_dev *vs = ctx;
	uint8_t raw[VSOCK_HDR_SIZE];
	struct vsock_hdr h;
	struct vsock_conn *c;

	*written = 0;
	if (ch->in_len)
		return err_set(e, "tx packet with a device-writable buffer");
	if (vq_chain_read(ch, 0, raw, sizeof raw) != sizeof raw)
		return err_set(e, "tx packet shorter than its %u-byte header", VSOCK_HDR_SIZE);
	vsock_hdr_decode(raw, &h);
	if (h.len != ch->out_len - VSOCK_HDR_SIZE || h.len > VSOCK_MAX_PKT)
		return err_set(e, "tx packet length field does not match its buffers");
	vs->stats.tx_pkts++;
	vs->stats.tx_bytes += h.len;
	if (h.src_cid != vs->guest_cid || h.dst_cid != VSOCK_HOST_CID || h.type != VSOCK_TYPE_STREAM ||
	    h.src_port == 0xffffffffu) {
		vs->stats.bad_pkts++;
		rst_reply(vs, &h);
		return 0;
	}
	c = vsock_conn_find(vs, h.dst_port, h.src_port);
	if (!c) {
		if (h.op == VSOCK_OP_REQUEST)
			guest_connect(vs, &h);
		else
			rst_reply(vs, &h);
		return 0;
	}
	if (vsock_conn_guest_packet(c, &h, ch) == VSOCK_REPLY_RST)
		rst_reply(vs, &h);
	return 0;
}

static void tx_process(struct vsock_dev *vs)
{
	if (virtio_drain(&vs->dev, VSOCK_QUEUE_TX, &vs->chain, tx_packet, vs) > 0)
		vs->tx_used = true;
}

/* ---- the device ------------------------------------------------------- */

void vsock_queue_notify(struct virtio_dev *d, unsigned q)
{
	struct vsock_dev *vs = d->priv;

	sync_reset(vs);
	if (q == VSOCK_QUEUE_TX)
		tx_process(vs);
	/* rx: the guest posted buffers; event: we send no events. Either way,
	 * deliver what is owed. */
	rx_fill(vs);
	interrupt(vs);
	timer_update(vs);
}

static void config_read(struct virtio_dev *d, uint32_t off, uint8_t *data, uint32_t size)
{
	struct vsock_dev *vs = d->priv;
	uint8_t cfg[8];

	memcpy(cfg, &vs->guest_cid, 8);
	memset(data, 0, size);
	if (off < sizeof cfg)
		memcpy(data, cfg + off, size < sizeof cfg - off ? size : sizeof cfg - off);
}

/* vCPU thread, lock held: only state changes here; sync_reset does the rest. */
static void dev_reset(struct virtio_dev *d)
{
	struct vsock_dev *vs = d->priv;
	uint64_t one = 1;

	vs->rx_held = false;
	vs->rx_quiet = false;
	vs->rst_len = 0;
	vs->rx_delivered = vs->tx_used = false;
	vs->reset_pending = true;
	if (vs->reset_efd >= 0 && write(vs->reset_efd, &one, sizeof one) < 0) {
		/* cannot overflow */
	}
}

static const struct virtio_ops vsock_ops = {
	.device_id = VIRTIO_ID_VSOCK,
	.nqueues = 3,
	.config_read = config_read,
	.queue_notify = vsock_queue_notify,
	.reset = dev_reset,
};

/* The request timer: REQUESTs past their deadline are reset (their RSTs go
 * out now if the guest has rx buffers), then the timer is armed for the next. */
static void on_timer(void *opaque, uint32_t events)
{
	struct vsock_dev *vs = opaque;
	uint64_t n;

	(void)events;
	if (read(vs->timer_fd, &n, sizeof n) < 0) {
		/* spurious: nothing expired */
	}
	pthread_mutex_lock(&vs->dev.lock);
	sync_reset(vs);
	vs->timer_armed = false;
	vsock_dev_expire(vs, vsock_now_ns());
	rx_fill(vs);
	interrupt(vs);
	timer_update(vs);
	pthread_mutex_unlock(&vs->dev.lock);
}

static void on_reset(void *opaque, uint32_t events)
{
	struct vsock_dev *vs = opaque;

	(void)events;
	pthread_mutex_lock(&vs->dev.lock);
	sync_reset(vs);
	pthread_mutex_unlock(&vs->dev.lock);
}

int vsock_dev_init(struct vsock_dev *vs, uint64_t cid, const struct vsock_backend *backend, struct err *e)
{
	/* What is last in it is cleared without writing where it is zero
	 * already (a fresh state is), so that its pages stay out of memory.
	 * The chains' buffers and rst[] need nothing: each entry is written
	 * before it is read. */
	memset(vs, 0, offsetof(struct vsock_dev, chain.buf));
	memset(&vs->rx, 0, offsetof(struct vq_chain, buf));
	for (unsigned i = 0; i < VSOCK_HASH; i++)
		if (vs->hash[i])
			vs->hash[i] = NULL;
	vs->guest_cid = cid;
	if (backend)
		vs->backend = *backend;
	vs->next_port = EPHEMERAL_FIRST;
	vs->conn_event = vsock_conn_event;
	vs->timer_fd = -1;
	vs->reset_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vs->reset_efd < 0)
		return err_errno(e, "eventfd");
	vs->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (vs->timer_fd < 0) {
		err_errno(e, "timerfd_create");
		close(vs->reset_efd);
		vs->reset_efd = -1;
		return -1;
	}
	return 0;
}

int vsock_dev_attach(struct vsock_dev *vs, struct guest_mem *mem, struct kvm_vm *kvm, uint64_t base,
		     unsigned gsi, struct event_loop *loop, struct err *e)
{
	if (virtio_dev_init(&vs->dev, &vsock_ops, vs, "virtio-vsock", 0, mem, kvm, base, gsi, e) < 0)
		return -1;
	vs->loop = loop;
	if (loop && (event_loop_add(loop, vs->reset_efd, EPOLLIN, on_reset, vs, e) < 0 ||
		     event_loop_add(loop, vs->timer_fd, EPOLLIN, on_timer, vs, e) < 0))
		return -1;
	return 0;
}

void vsock_dev_destroy(struct vsock_dev *vs)
{
	/* The event loop is gone by now: close sockets without touching it. */
	if (vs->loop)
		event_loop_cancel_deferred(vs->loop, vs);
	vs->loop = NULL;
	for (unsigned b = 0; b < VSOCK_HASH; b++)
		while (vs->hash[b])
			vsock_conn_free(vs->hash[b], true);
	if (vs->reset_efd >= 0)
		close(vs->reset_efd);
	if (vs->timer_fd >= 0)
		close(vs->timer_fd);
	vs->reset_efd = vs->timer_fd = -1;
	if (vs->dev.ops)
		virtio_dev_destroy(&vs->dev);
}

void vsock_dev_host_connect(struct vsock_dev *vs, int fd, bool is_tcp, uint32_t guest_port)
{
	struct vsock_conn *c = NULL;

	pthread_mutex_lock(&vs->dev.lock);
	sync_reset(vs);
	for (unsigned tries = 0; tries < 65536 - EPHEMERAL_FIRST && !c; tries++) {
		uint32_t p = vs->next_port;

		vs->next_port = p == 65535 ? EPHEMERAL_FIRST : p + 1;
		if (!vsock_conn_find(vs, p, guest_port)) {
			c = vsock_conn_new(vs, fd, is_tcp, p, guest_port);
			break;
		}
	}
	if (!c) {
		/* Full: the client sees a reset rather than a hang. */
		struct linger l = { 1, 0 };
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
		close(fd);
	} else {
		c->want = W_REQUEST;
		vsock_conn_update_events(c); /* a hang-up while it waits is seen */
		vsock_conn_update_work(c);
	}
	pthread_mutex_unlock(&vs->dev.lock);
	if (c)
		flush_later(vs);
}

unsigned vsock_dev_open_conns(struct vsock_dev *vs)
{
	unsigned n;

	pthread_mutex_lock(&vs->dev.lock);
	n = vs->nconns;
	pthread_mutex_unlock(&vs->dev.lock);
	return n;
}
