#include "http_conn.h"
#include "http_log.h"
#include "http_mem.h"
#include "http_resp.h"

void http_conn_init(struct http_conn *c, const struct http_server *srv, char *buf, size_t cap,
		    const char *peer, uint64_t now_ms)
{
	size_t i = 0;

	hm_memset(c, 0, sizeof(*c));
	c->srv = srv;
	c->in = buf;
	c->cap = cap;
	hm_memcpy(&c->lim, &srv->conf->limits, sizeof(c->lim));
	/* The buffer bounds the head: a longer one is a 431, not a stall. */
	if (c->lim.max_header_bytes >= cap)
		c->lim.max_header_bytes = cap ? cap - 1 : 0; /* a full buffer is over it */
	if (c->lim.max_request_line > c->lim.max_header_bytes)
		c->lim.max_request_line = c->lim.max_header_bytes;
	for (; peer && peer[i] && i < HTTP_PEER_MAX - 1; i++)
		c->peer[i] = peer[i];
	c->peer[i] = 0;
	c->last_ms = c->start_ms = now_ms;
	http_framer_reset(&c->fr);
}

size_t http_conn_feed(struct http_conn *c, const void *p, size_t n, uint64_t now_ms)
{
	const char *s = p;
	size_t used = 0;

	if (c->closing)
		return n;
	if (n && c->skip) {
		size_t d = c->skip < n ? (size_t)c->skip : n;
		c->skip -= d;
		used = d;
	}
	if (used < n && c->len < c->cap) {
		size_t take = n - used;
		if (take > c->cap - c->len)
			take = c->cap - c->len;
		if (c->len == 0)
			c->start_ms = now_ms; /* a new request starts arriving */
		hm_memcpy(c->in + c->len, s + used, take);
		c->len += take;
		used += take;
	}
	if (used)
		c->last_ms = now_ms;
	return used;
}

void http_conn_eof(struct http_conn *c)
{
	c->eof = true;
}

void http_conn_touch(struct http_conn *c, uint64_t now_ms)
{
	c->last_ms = now_ms;
}

/* The first line of what was received, for logging a request that never
 * became a complete head. */
static struct http_slice first_line(const struct http_conn *c)
{
	struct http_slice s = { c->in + c->fr.head_start, 0 };
	size_t max = c->len - c->fr.head_start;

	if (max > HTTP_LOG_REQ_MAX + 1)
		max = HTTP_LOG_REQ_MAX + 1;
	while (s.n < max && s.p[s.n] != '\r' && s.p[s.n] != '\n')
		s.n++;
	if (s.n == 0)
		s.p = NULL;
	return s;
}

/* Writes the head for r, fills out, logs. A head that does not fit the
 * caller's buffer turns into a 500 (the one server-side failure here).
 * real_ip is the request's X-Real-IP (absent when there is no parsed head);
 * the log shows it instead of the peer when it looks like an address. */
static enum http_conn_res emit(struct http_conn *c, struct http_slice line,
			       struct http_slice real_ip, struct http_resp *r, unsigned version,
			       char *hdr, size_t cap, struct http_out *out, uint64_t now_ms)
{
	const struct http_server *srv = c->srv;
	struct hbuf b;
	size_t builtin;

	hb_init(&b, hdr, cap);
	builtin = http_resp_write(&b, srv, r, version, now_ms / 1000);
	if (b.overflow) {
		/* Minimal on purpose: no site headers, no page, nothing that could
		 * be what overflowed. */
		static const char err500[] = "HTTP/1.1 500 Internal Server Error\r\n"
					     "Content-Length: 0\r\nConnection: close\r\n\r\n";
		http_serve_error(srv, 500, r->head, r);
		r->entry = NULL;
		r->close = true;
		builtin = 0;
		hb_init(&b, hdr, cap);
		hb_put(&b, err500, sizeof(err500) - 1);
	}
	out->status = r->status;
	out->close = r->close;
	out->hdr_len = b.overflow ? 0 : b.len;
	out->entry = NULL;
	out->body_off = out->body_len = 0;
	if (!r->head && r->entry && r->len) {
		out->entry = r->entry;
		out->body_off = r->first;
		out->body_len = r->len;
	}
	if (r->close)
		c->closing = true;
	c->requests++;

	if (srv->log) {
		char lb[HTTP_LOG_LINE_MAX];
		struct hbuf l;
		hb_init(&l, lb, sizeof(lb));
		http_log_line(&l, c->peer, real_ip, now_ms / 1000, line, r->status,
			      out->entry ? out->body_len : builtin);
		srv->log(srv->log_ctx, lb, l.len);
	}
	if (b.overflow)
		return HTTP_CONN_CLOSE; /* not even a 500 fits: nothing to send */
	return HTTP_CONN_RESPONSE;
}

static void consume(struct http_conn *c, size_t n, uint64_t now_ms)
{
	if (n > c->len)
		n = c->len;
	hm_memmove(c->in, c->in + n, c->len - n);
	c->len -= n;
	http_framer_reset(&c->fr);
	c->last_ms = c->start_ms = now_ms;
	if (c->closing)
		c->len = 0;
}

enum http_conn_res http_conn_next(struct http_conn *c, char *hdr, size_t cap,
				  struct http_out *out, uint64_t now_ms)
{
	struct http_request req;
	struct http_resp r;
	size_t head_end = 0;
	int st = 0;

	if (c->closing)
		return HTTP_CONN_CLOSE;
	if (c->skip || c->len == 0)
		return c->eof ? HTTP_CONN_CLOSE : HTTP_CONN_NEED_MORE;

	switch (http_frame(&c->fr, c->in, c->len, &c->lim, &head_end, &st)) {
	case HTTP_FRAME_MORE:
		/* A partial request at EOF can never complete: just close. */
		return c->eof ? HTTP_CONN_CLOSE : HTTP_CONN_NEED_MORE;
	case HTTP_FRAME_ERROR:
		hm_memset(&req, 0, sizeof(req));
		req.line = first_line(c);
		head_end = c->len;
		break;
	case HTTP_FRAME_DONE:
		st = http_parse_head(c->in, c->fr.head_start, head_end, &c->lim, &req);
		break;
	}

	http_serve(c->srv, &req, st, &r);
	uint64_t skip = 0;
	if (st || !req.keep_alive) {
		r.close = true;
	} else if (req.has_body) {
		/* A body we can measure is read and dropped so the next pipelined
		 * request is found; one we cannot (chunked, or too long to wait
		 * for) ends the connection after the answer. */
		if (req.chunked || req.content_length > c->lim.max_body_discard)
			r.close = true;
		else
			skip = req.content_length;
	}

	enum http_conn_res res = emit(c, req.line, req.real_ip, &r, req.version, hdr, cap, out,
				      now_ms);

	/* Only now: req and the log pointed into the buffer. */
	size_t used = head_end;
	uint64_t inbuf = c->len - head_end;
	if (skip) {
		uint64_t d = skip < inbuf ? skip : inbuf;
		used += (size_t)d;
		skip -= d;
	}
	c->skip = skip;
	consume(c, used, now_ms);
	return res;
}

uint64_t http_conn_deadline(const struct http_conn *c)
{
	const struct site_conf *conf = c->srv->conf;
	uint64_t idle = c->last_ms + conf->idle_timeout_ms;

	if (c->len || c->skip) {
		uint64_t h = c->start_ms + conf->header_timeout_ms;
		return h < idle ? h : idle;
	}
	return idle;
}

enum http_conn_res http_conn_timeout(struct http_conn *c, char *hdr, size_t cap,
				     struct http_out *out, uint64_t now_ms)
{
	struct http_resp r;

	if (c->closing)
		return HTTP_CONN_CLOSE;
	if (now_ms < http_conn_deadline(c))
		return HTTP_CONN_NEED_MORE;
	if (!c->len && !c->skip) {
		c->closing = true; /* idle keep-alive connection: no response owed */
		return HTTP_CONN_CLOSE;
	}
	/* RFC 9110 section 15.5.9: 408 tells the client the server gave up
	 * waiting and is closing, so a browser may retry on a new connection. */
	http_serve_error(c->srv, 408, false, &r);
	r.close = true;
	enum http_conn_res res =
		emit(c, first_line(c), (struct http_slice){ NULL, 0 }, &r, 11, hdr, cap, out, now_ms);
	consume(c, c->len, now_ms);
	return res;
}
