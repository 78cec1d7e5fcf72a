#include "virtio/vsock_conn.h"

#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

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
	/* Read only when we are not already holding a readable socket back. */
	if (c->state == VCONN_ESTABLISHED && !c->readable && !c->host_eof && !c->guest_shut_rcv)
		ev |= EPOLLIN;
	if (c->len)
		ev |= EPOLLOUT;
	if (!c->watched) {
		/* Unwatched until there is interest: a hung-up socket would otherwise
		 * report EPOLLHUP over and over while we cannot act on it. */
		if (ev && event_loop_add(c->vs->loop, c->fd, ev, vsock_conn_event, c, NULL) == 0) {
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
