#include "virtio/vsock_conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_IOV 64

static unsigned bucket(uint32_t local_port, uint32_t guest_port)
{
	return (local_port * 2654435761u ^ guest_port * 40503u) % VSOCK_HASH;
}

struct vsock_conn *vsock_conn_find(struct vsock_dev *vs, uint32_t local_port, uint32_t guest_port)
{
	struct vsock_conn *c = vs->hash[bucket(local_port, guest_port)];

	while (c && (c->local_port != local_port || c->guest_port != guest_port))
		c = c->hnext;
	return c;
}

struct vsock_conn *vsock_conn_new(struct vsock_dev *vs, int fd, bool is_tcp, uint32_t local_port,
				  uint32_t guest_port)
{
	struct vsock_conn *c;
	unsigned b = bucket(local_port, guest_port);

	if (vs->nconns >= VSOCK_MAX_CONNS || !(c = calloc(1, sizeof *c)))
		return NULL;
	c->vs = vs;
	c->fd = fd;
	c->is_tcp = is_tcp;
	c->local_port = local_port;
	c->guest_port = guest_port;
	c->state = VCONN_REQUEST_OWED; /* a guest-initiated one is established by its caller */
	c->hnext = vs->hash[b];
	vs->hash[b] = c;
	vs->nconns++;
	vs->stats.conns++;
	return c;
}

static void work_remove(struct vsock_conn *c)
{
	struct vsock_dev *vs = c->vs;

	if (!c->on_work)
		return;
	if (c->wprev)
		c->wprev->wnext = c->wnext;
	else
		vs->work_head = c->wnext;
	if (c->wnext)
		c->wnext->wprev = c->wprev;
	else
		vs->work_tail = c->wprev;
	c->wprev = c->wnext = NULL;
	c->on_work = false;
}

static void work_append(struct vsock_conn *c)
{
	struct vsock_dev *vs = c->vs;

	if (c->on_work)
		return;
	c->wprev = vs->work_tail;
	c->wnext = NULL;
	if (vs->work_tail)
		vs->work_tail->wnext = c;
	else
		vs->work_head = c;
	vs->work_tail = c;
	c->on_work = true;
}

uint64_t vsock_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Our REQUEST went out: c waits for the guest's answer, at the list's end
 * (every deadline is now + the same timeout, so the list stays sorted). */
static void pending_append(struct vsock_conn *c)
{
	struct vsock_dev *vs = c->vs;

	if (c->on_pending)
		return;
	c->deadline_ns = vsock_now_ns() + (uint64_t)VSOCK_REQUEST_TIMEOUT_MS * 1000000u;
	c->pprev = vs->pend_tail;
	c->pnext = NULL;
	if (vs->pend_tail)
		vs->pend_tail->pnext = c;
	else
		vs->pend_head = c;
	vs->pend_tail = c;
	c->on_pending = true;
}

/* Keyed on on_pending, not the state: whatever moved c on, it leaves the list. */
static void pending_remove(struct vsock_conn *c)
{
	struct vsock_dev *vs = c->vs;

	if (!c->on_pending)
		return;
	if (c->pprev)
		c->pprev->pnext = c->pnext;
	else
		vs->pend_head = c->pnext;
	if (c->pnext)
		c->pnext->pprev = c->pprev;
	else
		vs->pend_tail = c->pprev;
	c->pprev = c->pnext = NULL;
	c->on_pending = false;
}

void vsock_conn_close_fd(struct vsock_conn *c, bool abort)
{
	if (c->fd < 0)
		return;
	if (c->watched && c->vs->loop)
		event_loop_del(c->vs->loop, c->fd);
	c->watched = false;
	c->events = 0;
	if (abort && c->is_tcp) {
		/* Linger 0: the close sends a TCP RST, so the client sees ECONNRESET. */
		struct linger l = { 1, 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	}
	close(c->fd);
	c->fd = -1;
}

void vsock_conn_free(struct vsock_conn *c, bool abort)
{
	struct vsock_dev *vs = c->vs;
	struct vsock_conn **p = &vs->hash[bucket(c->local_port, c->guest_port)];

	vsock_conn_close_fd(c, abort);
	work_remove(c);
	pending_remove(c);
	while (*p && *p != c)
		p = &(*p)->hnext;
	if (*p)
		*p = c->hnext;
	vs->nconns--;
	free(c->buf);
	free(c);
}

uint32_t vsock_conn_peer_credit(const struct vsock_conn *c)
{
	uint32_t in_flight = c->sent_cnt - c->peer_fwd_cnt;

	/* A guest reporting more forwarded than we sent gets no credit from it. */
	return in_flight > c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

bool vsock_conn_data_ready(const struct vsock_conn *c)
{
	return c->state == VCONN_ESTABLISHED && c->readable && !c->host_eof && !c->guest_shut_rcv &&
	       vsock_conn_peer_credit(c) > 0;
}

bool vsock_conn_has_work(const struct vsock_conn *c)
{
	if (c->state == VCONN_CLOSING)
		return (c->want & W_RST) != 0;
	return c->want || vsock_conn_data_ready(c);
}

void vsock_conn_update_work(struct vsock_conn *c)
{
	if (vsock_conn_has_work(c))
		work_append(c);
	else
		work_remove(c);
}

void vsock_conn_requeue(struct vsock_conn *c)
{
	work_remove(c);
	vsock_conn_update_work(c);
}

void vsock_conn_update_events(struct vsock_conn *c)
{
	uint32_t ev = 0;

	if (c->fd < 0 || !c->vs->loop)
		return;
	/* Edge-triggered, so that the interest stays as it is while the
	 * socket goes readable and drained once per request: c->readable
	 * remembers an edge until a read finds the socket empty (level-triggered
	 * interest switched off and on cost two epoll_ctl calls per request). */
	if (c->state == VCONN_ESTABLISHED && !c->host_eof && !c->guest_shut_rcv)
		ev |= EPOLLIN | EPOLLRDHUP;
	/* Waiting for the guest: not reading yet (its data would wake us over
	 * and over), only watching for the client hanging up, so that it is
	 * reaped at once rather than left in CLOSE-WAIT holding a slot. */
	if ((c->state == VCONN_REQUEST_OWED || c->state == VCONN_AWAIT_RESPONSE) && !c->client_gone_seen)
		ev |= EPOLLRDHUP;
	if (c->len)
		ev |= EPOLLOUT;
	if (ev)
		ev |= EPOLLET;
	if (!c->watched) {
		/* Unwatched until there is interest: a hung-up socket would otherwise
		 * report EPOLLHUP over and over while we cannot act on it. */
		if (ev && event_loop_add(c->vs->loop, c->fd, ev, c->vs->conn_event, c, NULL) == 0) {
			c->watched = true;
			c->events = ev;
		}
		return;
	}
	if (!ev) {
		event_loop_del(c->vs->loop, c->fd);
		c->watched = false;
		c->events = 0;
	} else if (ev != c->events) {
		event_loop_mod(c->vs->loop, c->fd, ev);
		c->events = ev;
	}
}

/* ---- the protocol of one connection ----------------------------------- */

/* The header of a packet from c to the guest, carrying our credit. */
static void hdr_for(const struct vsock_conn *c, uint16_t op, struct vsock_hdr *h)
{
	*h = vsock_hdr_stream(VSOCK_HOST_CID, c->local_port, c->vs->guest_cid, c->guest_port, op);
	h->buf_alloc = VSOCK_CONN_BUF;
	h->fwd_cnt = c->fwd_cnt;
}

/* The host side failed (reset, error): the guest gets an RST. Returns
 * whether c still exists. */
static bool conn_abort(struct vsock_conn *c)
{
	vsock_conn_close_fd(c, true);
	if (c->state == VCONN_REQUEST_OWED) { /* the guest never heard of it */
		vsock_conn_free(c, true);
		return false;
	}
	pending_remove(c);
	c->state = VCONN_CLOSING;
	c->want = W_RST;
	vsock_conn_update_work(c);
	return true;
}

void vsock_conn_expire(struct vsock_conn *c)
{
	c->vs->stats.timeouts++;
	conn_abort(c);
}

/* Both directions finished: close the host socket gracefully and tell the
 * guest with an RST, which is how a Linux peer expects a close to end. */
static bool conn_check_done(struct vsock_conn *c)
{
	if (c->state == VCONN_CLOSING || !c->guest_shut_send || c->len || !(c->eof_told || c->guest_shut_rcv))
		return true;
	vsock_conn_close_fd(c, false);
	c->state = VCONN_CLOSING;
	c->want = W_RST;
	vsock_conn_update_work(c);
	return true;
}

/* Whether to tell the guest about freed buffer space now: when it thinks
 * at least half our buffer is in use and a useful amount has drained. */
static void maybe_credit(struct vsock_conn *c)
{
	uint32_t used_view = c->recv_cnt - c->fwd_sent, progress = c->fwd_cnt - c->fwd_sent;

	if (progress && used_view >= VSOCK_CONN_BUF / 2 && (progress >= VSOCK_CONN_BUF / 4 || c->len == 0))
		c->want |= W_CREDIT;
}

static ssize_t send_iov(int fd, struct iovec *iov, int n)
{
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)n };
	ssize_t r;

	do
		r = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	return r;
}

/* Writes buffered guest data to the host socket. Returns whether c lives. */
static bool flush_to_host(struct vsock_conn *c)
{
	while (c->len && c->fd >= 0) {
		struct iovec iov[2];
		uint32_t first = VSOCK_CONN_BUF - c->head < c->len ? VSOCK_CONN_BUF - c->head : c->len;
		int n = 1;
		ssize_t w;

		iov[0] = (struct iovec){ c->buf + c->head, first };
		if (first < c->len)
			iov[n++] = (struct iovec){ c->buf, c->len - first };
		w = send_iov(c->fd, iov, n);
		if (w < 0)
			return conn_abort(c);
		if (w == 0)
			break;
		c->head = (uint32_t)((c->head + (uint32_t)w) % VSOCK_CONN_BUF);
		c->len -= (uint32_t)w;
		c->fwd_cnt += (uint32_t)w;
	}
	if (c->len == 0) {
		free(c->buf);
		c->buf = NULL;
		c->head = 0;
		if (c->guest_shut_send && !c->host_wr_shut && c->fd >= 0) {
			shutdown(c->fd, SHUT_WR);
			c->host_wr_shut = true;
		}
	}
	maybe_credit(c);
	return conn_check_done(c);
}

/* Reads host data straight into the rx buffer, after the header's room. */
static enum vsock_emit send_data(struct vsock_conn *c, struct vq_chain *rx, struct vsock_hdr *h)
{
	struct iovec iov[MAX_IOV];
	uint32_t room = rx->in_len - VSOCK_HDR_SIZE, credit = vsock_conn_peer_credit(c);
	uint32_t want = room < credit ? room : credit;
	ssize_t n;
	unsigned niov;

	if (want > VSOCK_MAX_PKT)
		want = VSOCK_MAX_PKT;
	if (want == 0) { /* a buffer with room for a header only: use it for a credit update */
		hdr_for(c, VSOCK_OP_CREDIT_UPDATE, h);
		c->fwd_sent = c->fwd_cnt;
		c->want &= ~W_CREDIT;
		return VSOCK_EMIT_PACKET;
	}
	niov = vq_chain_iov(rx, true, VSOCK_HDR_SIZE, want, iov, MAX_IOV, NULL);
	do
		n = readv(c->fd, iov, (int)niov);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->readable = false;
		return VSOCK_EMIT_NONE;
	}
	if (n < 0) {
		conn_abort(c); /* established, so it lives on to send its RST */
		return VSOCK_EMIT_NONE;
	}
	if (n == 0) {
		c->host_eof = true;
		c->want |= W_SHUTDOWN;
		return VSOCK_EMIT_NONE;
	}
	/* A stream socket's read stops short only when it has nothing more
	 * queued: no second read just to see EAGAIN (data arriving after this
	 * is a new edge). Not so for an end of stream that came with the same
	 * edge as the data: after a hang-up, reads go on until they see it. */
	if ((uint32_t)n < want && !c->peer_hup)
		c->readable = false;
	hdr_for(c, VSOCK_OP_RW, h);
	h->len = (uint32_t)n;
	c->sent_cnt += (uint32_t)n;
	c->fwd_sent = c->fwd_cnt;
	c->want &= ~W_CREDIT; /* the header carries it */
	return VSOCK_EMIT_PACKET;
}

enum vsock_emit vsock_conn_emit(struct vsock_conn *c, struct vq_chain *rx, struct vsock_hdr *h)
{
	if (c->want & W_RST) {
		hdr_for(c, VSOCK_OP_RST, h);
		vsock_conn_free(c, true);
		return VSOCK_EMIT_LAST;
	}
	if (c->state == VCONN_CLOSING)
		return VSOCK_EMIT_NONE;
	if (c->want & (W_REQUEST | W_RESPONSE)) {
		hdr_for(c, (c->want & W_REQUEST) ? VSOCK_OP_REQUEST : VSOCK_OP_RESPONSE, h);
		if (c->want & W_REQUEST) {
			c->state = VCONN_AWAIT_RESPONSE;
			pending_append(c);
		}
		c->want &= ~(W_REQUEST | W_RESPONSE);
		c->fwd_sent = c->fwd_cnt;
		return VSOCK_EMIT_PACKET;
	}
	if (vsock_conn_data_ready(c))
		return send_data(c, rx, h);
	if (c->want & W_CREDIT) {
		hdr_for(c, VSOCK_OP_CREDIT_UPDATE, h);
		c->want &= ~W_CREDIT;
		c->fwd_sent = c->fwd_cnt;
		return VSOCK_EMIT_PACKET;
	}
	if (c->want & W_SHUTDOWN) {
		hdr_for(c, VSOCK_OP_SHUTDOWN, h);
		h->flags = VSOCK_SHUTDOWN_SEND;
		c->want &= ~W_SHUTDOWN;
		c->eof_told = true;
		c->fwd_sent = c->fwd_cnt;
		conn_check_done(c);
		return VSOCK_EMIT_PACKET;
	}
	return VSOCK_EMIT_NONE;
}

/* Guest data for the host: straight to the socket when nothing waits before
 * it, the rest into the connection's buffer. Returns whether c lives. */
static bool guest_data(struct vsock_conn *c, const struct vq_chain *ch, uint32_t len)
{
	struct iovec iov[MAX_IOV];
	uint32_t off = VSOCK_HDR_SIZE, done = 0;

	if (c->guest_shut_send || len > VSOCK_CONN_BUF - (c->recv_cnt - c->fwd_cnt))
		return conn_abort(c); /* data after its shutdown, or beyond the credit we gave */
	c->recv_cnt += len;
	if (c->len == 0) {
		unsigned n = vq_chain_iov(ch, false, off, len, iov, MAX_IOV, NULL);
		ssize_t w = send_iov(c->fd, iov, (int)n);

		if (w < 0)
			return conn_abort(c);
		done = (uint32_t)w;
		c->fwd_cnt += done;
	}
	if (done < len) {
		uint32_t rest = len - done, tail;

		if (!c->buf && !(c->buf = malloc(VSOCK_CONN_BUF)))
			return conn_abort(c);
		/* The credit check above guarantees rest fits. */
		tail = (c->head + c->len) % VSOCK_CONN_BUF;
		while (rest) {
			uint32_t k = VSOCK_CONN_BUF - tail < rest ? VSOCK_CONN_BUF - tail : rest;

			vq_chain_read(ch, off + done, c->buf + tail, k);
			done += k;
			rest -= k;
			c->len += k;
			tail = (tail + k) % VSOCK_CONN_BUF;
		}
	}
	maybe_credit(c);
	vsock_conn_update_events(c);
	return true;
}

static void guest_shutdown(struct vsock_conn *c, uint32_t flags)
{
	if (flags & VSOCK_SHUTDOWN_RCV)
		c->guest_shut_rcv = true;
	if (flags & VSOCK_SHUTDOWN_SEND) {
		c->guest_shut_send = true;
		if (c->len == 0 && !c->host_wr_shut && c->fd >= 0) {
			shutdown(c->fd, SHUT_WR);
			c->host_wr_shut = true;
		}
	}
	if (conn_check_done(c))
		vsock_conn_update_events(c);
}

enum vsock_reply vsock_conn_guest_packet(struct vsock_conn *c, const struct vsock_hdr *h, const struct vq_chain *ch)
{
	if (h->op == VSOCK_OP_RST) {
		vsock_conn_free(c, true);
		return VSOCK_REPLY_NONE;
	}
	if (c->state == VCONN_CLOSING)
		return VSOCK_REPLY_NONE; /* an RST is on its way */
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	if (c->state == VCONN_REQUEST_OWED) /* the guest cannot know this connection yet */
		return VSOCK_REPLY_RST;
	switch (h->op) {
	case VSOCK_OP_RESPONSE:
		if (c->state == VCONN_ESTABLISHED || h->len) {
			if (!conn_abort(c))
				return VSOCK_REPLY_NONE;
			break;
		}
		c->state = VCONN_ESTABLISHED;
		pending_remove(c);
		vsock_conn_update_events(c);
		break;
	case VSOCK_OP_RW:
		if (c->state != VCONN_ESTABLISHED) {
			if (!conn_abort(c))
				return VSOCK_REPLY_NONE;
			break;
		}
		if (h->len && !guest_data(c, ch, h->len))
			return VSOCK_REPLY_NONE;
		break;
	case VSOCK_OP_SHUTDOWN:
		if (h->len) {
			if (!conn_abort(c))
				return VSOCK_REPLY_NONE;
			break;
		}
		guest_shutdown(c, h->flags);
		break;
	case VSOCK_OP_CREDIT_REQUEST:
		c->want |= W_CREDIT;
		break;
	case VSOCK_OP_CREDIT_UPDATE:
		break; /* the header fields above were the point */
	default: /* REQUEST on a live connection, unknown ops */
		c->vs->stats.bad_pkts++;
		if (!conn_abort(c))
			return VSOCK_REPLY_NONE;
		break;
	}
	vsock_conn_update_work(c);
	return VSOCK_REPLY_NONE;
}

/* The client of a connection still waiting for the guest (request owed or
 * awaiting the answer) hung up or shut its side. Returns whether c lives on.
 * With nothing left to read it is gone for good: close it and tell the guest
 * (an RST, if the guest has heard of it). A TCP close and a shutdown(SHUT_WR)
 * look the same from here, so a client that shut its side without sending
 * anything is taken as gone too; one that sent data first is a half-close
 * whose data the guest should still get: it waits for the answer (or the
 * timeout), no longer watched. */
static bool waiting_client_event(struct vsock_conn *c, uint32_t events)
{
	char b;
	ssize_t n = -1;

	if (!(events & EPOLLERR)) {
		do
			n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
	}
	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))) {
		c->client_gone_seen = true;
		vsock_conn_update_events(c);
		return true;
	}
	c->vs->stats.gone++;
	return conn_abort(c);
}

void vsock_conn_host_event(struct vsock_conn *c, uint32_t events)
{
	if ((c->state == VCONN_REQUEST_OWED || c->state == VCONN_AWAIT_RESPONSE) &&
	    (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
		if (waiting_client_event(c, events))
			vsock_conn_update_work(c);
		return;
	}
	if (events & EPOLLERR) {
		conn_abort(c);
		return;
	}
	if ((events & EPOLLOUT) && !flush_to_host(c))
		return;
	if (events & (EPOLLRDHUP | EPOLLHUP))
		c->peer_hup = true;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
		c->readable = true;
	vsock_conn_update_events(c);
	vsock_conn_update_work(c);
}
