#include "daemon/rpc/conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_CHUNK 65536u

struct conn *conn_new(int fd, bool readonly)
{
	struct conn *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->fd = fd;
	c->readonly = readonly;
	c->console_fd = -1;
	return c;
}

void conn_free(struct conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	if (c->console_fd >= 0)
		close(c->console_fd);
	free(c->in);
	free(c->out);
	free(c->cin);
	free(c);
}

void conn_queue(struct conn *c, const void *p, size_t n)
{
	if (c->dead)
		return;
	if (c->out_off && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (n > CONN_OUT_MAX - (c->out_len - c->out_off)) {
		c->dead = true;
		return;
	}
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		uint8_t *nb;

		if (c->out_off) {
			memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
			c->out_len -= c->out_off;
			c->out_off = 0;
		}
		while (cap < c->out_len + n)
			cap *= 2;
		nb = cap > c->out_cap ? realloc(c->out, cap) : c->out;
		if (!nb) {
			c->dead = true;
			return;
		}
		c->out = nb;
		c->out_cap = cap > c->out_cap ? cap : c->out_cap;
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
}

void conn_send(struct conn *c, const struct rpc_header *h, const struct xdr_out *payload)
{
	struct xdr_out m;

	xdr_out_init(&m);
	rpc_msg_begin(&m, h);
	if (payload && payload->len)
		xdr_put_raw(&m, payload->buf, payload->len);
	if (payload && payload->bad)
		m.bad = true;
	if (rpc_msg_end(&m, 0) == 0) {
		conn_queue(c, m.buf, m.len);
	} else if (h->type == RPC_REPLY && h->status == RPC_OK) {
		struct verr e;

		verr_set(&e, VERR_INTERNAL_ERROR, "reply too large or out of memory");
		conn_send_error(c, h, &e);
	} else {
		c->dead = true;
	}
	xdr_out_free(&m);
}

void conn_send_error(struct conn *c, const struct rpc_header *call, const struct verr *e)
{
	struct rpc_header h = *call;
	struct xdr_out p;

	h.type = RPC_REPLY;
	h.status = RPC_ERROR;
	xdr_out_init(&p);
	verr_encode(e, &p);
	conn_send(c, &h, &p);
	xdr_out_free(&p);
}

int conn_flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (w <= 0)
			return -1;
		c->out_off += (size_t)w;
	}
	c->out_off = c->out_len = 0;
	return 0;
}

/* How many bytes the buffer must hold to complete the current message. */
static size_t wanted(const struct conn *c)
{
	uint32_t n;

	if (c->in_len < 4)
		return 4;
	n = rpc_frame_len(c->in);
	return n ? n : 4;
}

int conn_fill(struct conn *c)
{
	size_t want = wanted(c), room;
	ssize_t r;

	/* grow only as far as the announced message needs, in steps */
	if (want < c->in_len + READ_CHUNK)
		want = c->in_len + READ_CHUNK;
	if (want > RPC_MAX_LEN + READ_CHUNK)
		want = RPC_MAX_LEN + READ_CHUNK;
	if (want > c->in_cap) {
		uint8_t *nb = realloc(c->in, want);

		if (!nb)
			return -1;
		c->in = nb;
		c->in_cap = want;
	}
	room = c->in_cap - c->in_len;
	if (room > READ_CHUNK)
		room = READ_CHUNK;
	r = recv(c->fd, c->in + c->in_len, room, MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (r <= 0)
		return -1;
	c->in_len += (size_t)r;
	return 0;
}

int conn_next(struct conn *c, size_t *len)
{
	uint32_t n;

	if (c->in_len < 4)
		return 0;
	n = rpc_frame_len(c->in);
	if (!n)
		return -1;
	if (c->in_len < n)
		return 0;
	*len = n;
	return 1;
}

void conn_consume(struct conn *c, size_t len)
{
	memmove(c->in, c->in + len, c->in_len - len);
	c->in_len -= len;
	if (c->in_cap > 4 * READ_CHUNK && c->in_len < READ_CHUNK) {
		uint8_t *nb = realloc(c->in, READ_CHUNK);

		if (nb) {
			c->in = nb;
			c->in_cap = READ_CHUNK;
		}
	}
}
