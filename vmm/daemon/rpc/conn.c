#include "daemon/rpc/conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_CHUNK 65536u

struct conn *conn_new(int fd, bool readonly, struct conn_budget *budget)
{
	struct conn *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->fd = fd;
	c->readonly = readonly;
	c->console_fd = -1;
	c->budget = budget;
	return c;
}

/* Every change of a buffer's capacity goes through here, so the budget's
 * count is exact (unsigned wrap-around cancels out). */
static void account(struct conn *c, size_t old_cap, size_t new_cap)
{
	if (c->budget)
		c->budget->used = c->budget->used - old_cap + new_cap;
}

size_t conn_frame_max(const struct conn *c)
{
	return c->opened && !c->readonly ? RPC_MAX_LEN : CONN_SMALL_FRAME;
}

size_t conn_pending(const struct conn *c)
{
	return c->out_len - c->out_off;
}

void conn_free(struct conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	if (c->console_fd >= 0)
		close(c->console_fd);
	account(c, c->in_cap + c->out_cap, 0);
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
		if (cap > c->out_cap) {
			account(c, c->out_cap, cap);
			c->out_cap = cap;
		}
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
	int wrote = 0;

	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return wrote;
		if (w <= 0)
			return -1;
		c->out_off += (size_t)w;
		wrote = 1;
	}
	/* an idle connection holds no buffer: a thousand of them cost nothing */
	account(c, c->out_cap, 0);
	free(c->out);
	c->out = NULL;
	c->out_off = c->out_len = c->out_cap = 0;
	return wrote;
}

int conn_fill(struct conn *c)
{
	static uint8_t chunk[READ_CHUNK]; /* the server is one thread */
	size_t room = READ_CHUNK, limit = conn_frame_max(c) + READ_CHUNK;
	ssize_t r;

	if (c->skip) {
		r = recv(c->fd, chunk, c->skip < room ? c->skip : room, MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return 0;
		if (r <= 0)
			return -1;
		c->skip -= (size_t)r;
		return 0;
	}
	/* what is buffered never passes one frame at this connection's limit
	 * and one chunk after it (the start of the next frames) */
	if (c->in_len >= limit)
		return 0;
	if (room > limit - c->in_len)
		room = limit - c->in_len;
	r = recv(c->fd, chunk, room, MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (r <= 0)
		return -1;
	if (c->in_len + (size_t)r > c->in_cap) {
		/* read into a shared chunk and grown to what arrived, so a client
		 * that announces a large frame and sends little pins little */
		size_t cap = c->in_cap ? c->in_cap : 4096;
		uint8_t *nb;

		while (cap < c->in_len + (size_t)r)
			cap *= 2;
		nb = realloc(c->in, cap);
		if (!nb)
			return -1;
		account(c, c->in_cap, cap);
		c->in = nb;
		c->in_cap = cap;
	}
	memcpy(c->in + c->in_len, chunk, (size_t)r);
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
		return CONN_BAD;
	*len = n;
	if (n > conn_frame_max(c))
		return CONN_TOO_BIG;
	if (c->in_len >= n)
		return 1;
	/* a frame not yet all here: refused now if holding it would pass the
	 * budget (growth past the first chunk; smaller ones are within the
	 * per-connection bound anyway) */
	if (c->budget && n > c->in_cap && n > READ_CHUNK && c->budget->used + (n - c->in_cap) > c->budget->max)
		return CONN_NO_ROOM;
	return 0;
}

void conn_consume(struct conn *c, size_t len)
{
	if (len < c->in_len)
		memmove(c->in, c->in + len, c->in_len - len);
	c->in_len -= len;
	if (!c->in_len) {
		account(c, c->in_cap, 0);
		free(c->in);
		c->in = NULL;
		c->in_cap = 0;
	} else if (c->in_cap > 4 * READ_CHUNK && c->in_len < READ_CHUNK) {
		uint8_t *nb = realloc(c->in, READ_CHUNK);

		if (nb) {
			account(c, c->in_cap, READ_CHUNK);
			c->in = nb;
			c->in_cap = READ_CHUNK;
		}
	}
}

void conn_skip(struct conn *c, size_t len)
{
	if (c->in_len >= len) {
		conn_consume(c, len);
		return;
	}
	c->skip = len - c->in_len;
	conn_consume(c, c->in_len);
}
