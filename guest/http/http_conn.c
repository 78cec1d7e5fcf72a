#include "http_conn.h"
#include "http_log.h"
#include "http_mem.h"
#include "http_resp.h"

/* Functions holding a large struct (a response decision with its 2 KiB
 * Location buffer, a log line) stay out of line, so their frames are not
 * on the stack while an app handler runs (it runs Lua on this stack). */
#define OUT_OF_LINE __attribute__((noinline))

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

/* Storage for the app body: the room after the head in `in` while it fits,
 * then body_alloc storage, grown by doubling up to app_body_max. Returns
 * false (with body_status) when the body cannot be held. */
static bool body_room(struct http_conn *c, size_t need)
{
	const struct http_server *srv = c->srv;
	uint64_t max = srv->conf->app_body_max;

	if (need <= c->body_cap)
		return true;
	if (!srv->body_alloc || !srv->body_free || need > max) {
		c->body_status = 413;
		return false;
	}
	size_t cap = c->body_cap * 2;
	if (cap < need)
		cap = need;
	if (cap < 4096)
		cap = 4096;
	if (cap > max)
		cap = (size_t)max;
	char *b = srv->body_alloc(srv->alloc_ctx, cap);
	if (!b) {
		c->body_status = 503;
		return false;
	}
	hm_memcpy(b, c->body, c->body_len);
	if (c->body_ext)
		srv->body_free(srv->alloc_ctx, c->body, c->body_cap);
	else
		c->len = c->head_end; /* the buffer's tail is free again */
	c->body = b;
	c->body_cap = cap;
	c->body_ext = true;
	return true;
}

/* Appends decoded body bytes. src may lie in `in` ahead of the body's end
 * (bytes that came with the head): decoding never writes past what it has
 * read, and the copy is a memmove. */
static bool body_store(struct http_conn *c, const char *src, size_t n)
{
	if (!body_room(c, c->body_len + n))
		return false;
	hm_memmove(c->body + c->body_len, src, n);
	c->body_len += n;
	if (!c->body_ext)
		c->len = c->head_end + c->body_len;
	return true;
}

/* Takes body bytes from src; returns how many were consumed. Stops at the
 * body's end (the rest is the next request) or at a failure. */
static size_t body_take(struct http_conn *c, const char *src, size_t n)
{
	size_t used = 0;

	while (used < n && c->body_state == HTTP_BODY_RECV) {
		size_t k, off = 0, dn;
		if (c->body_chunked) {
			int st;
			enum http_chunked_res r =
				http_chunked_step(&c->chunk, src + used, n - used, &k, &off, &dn, &st);
			if (dn && !body_store(c, src + used + off, dn)) {
				c->body_state = HTTP_BODY_FAIL;
				return n;
			}
			used += k;
			if (r == HTTP_CHUNKED_DONE)
				c->body_state = HTTP_BODY_DONE;
			if (r == HTTP_CHUNKED_ERROR) {
				c->body_state = HTTP_BODY_FAIL;
				c->body_status = st;
				return n;
			}
		} else {
			dn = n - used;
			if (dn > c->body_left)
				dn = (size_t)c->body_left;
			if (!body_store(c, src + used, dn)) {
				c->body_state = HTTP_BODY_FAIL;
				return n;
			}
			used += dn;
			c->body_left -= dn;
			if (!c->body_left)
				c->body_state = HTTP_BODY_DONE;
		}
	}
	return used;
}

size_t http_conn_feed(struct http_conn *c, const void *p, size_t n, uint64_t now_ms)
{
	const char *s = p;
	size_t used = 0;

	if (c->closing || c->body_state == HTTP_BODY_FAIL)
		return n; /* the answer closes the connection: drop */
	if (n && c->body_state == HTTP_BODY_RECV) {
		used = body_take(c, s, n);
		if (c->body_state == HTTP_BODY_FAIL)
			used = n;
	}
	if (used < n && c->skip) {
		size_t d = c->skip < n - used ? (size_t)c->skip : n - used;
		c->skip -= d;
		used += d;
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

/* Fills out for the response whose head (and inline body) is in b, and
 * logs it. A head that overflowed the caller's buffer turns into a minimal
 * 500 and a close (the one server-side failure here). logged: body bytes
 * for the log. real_ip is the request's X-Real-IP (absent when there is no
 * parsed head); the log shows it instead of the peer when it looks like an
 * address. */
static OUT_OF_LINE enum http_conn_res finish(struct http_conn *c, struct http_slice line,
					     struct http_slice real_ip, struct hbuf *b, int status,
					     bool close, uint64_t logged, struct http_out *out,
					     uint64_t now_ms)
{
	const struct http_server *srv = c->srv;
	bool overflow = b->overflow;

	if (overflow) {
		/* Minimal on purpose: no site headers, no page, nothing that could
		 * be what overflowed. */
		static const char err500[] = "HTTP/1.1 500 Internal Server Error\r\n"
					     "Content-Length: 0\r\nConnection: close\r\n\r\n";
		status = 500;
		close = true;
		logged = 0;
		out->entry = NULL;
		out->mem = NULL;
		out->body_off = out->body_len = 0;
		hb_init(b, b->p, b->cap);
		hb_put(b, err500, sizeof(err500) - 1);
	}
	out->status = status;
	out->close = close;
	out->interim = false;
	out->hdr_len = b->overflow ? 0 : b->len;
	if (close)
		c->closing = true;
	c->requests++;

	if (srv->log) {
		char lb[HTTP_LOG_LINE_MAX];
		struct hbuf l;
		hb_init(&l, lb, sizeof(lb));
		http_log_line(&l, c->peer, real_ip, now_ms / 1000, line, status, logged);
		srv->log(srv->log_ctx, lb, l.len);
	}
	if (b->overflow)
		return HTTP_CONN_CLOSE; /* not even a 500 fits: nothing to send */
	return HTTP_CONN_RESPONSE;
}

/* Writes the head for the decision r, fills out, logs. */
static OUT_OF_LINE enum http_conn_res emit(struct http_conn *c, struct http_slice line,
					   struct http_slice real_ip, struct http_resp *r,
					   unsigned version, char *hdr, size_t cap,
					   struct http_out *out, uint64_t now_ms)
{
	struct hbuf b;
	size_t builtin;

	hb_init(&b, hdr, cap);
	builtin = http_resp_write(&b, c->srv, r, version, now_ms / 1000);
	out->entry = NULL;
	out->mem = NULL;
	out->body_off = out->body_len = 0;
	if (!r->head && r->entry && r->len) {
		out->entry = r->entry;
		out->body_off = r->first;
		out->body_len = r->len;
	}
	return finish(c, line, real_ip, &b, r->status, r->close,
		      out->entry ? out->body_len : builtin, out, now_ms);
}

/* Drops the app body's storage and state. */
static void body_reset(struct http_conn *c)
{
	const struct http_server *srv = c->srv;

	if (c->body_ext && c->body)
		srv->body_free(srv->alloc_ctx, c->body, c->body_cap);
	c->body_state = HTTP_BODY_NONE;
	c->body_ext = false;
	c->body = NULL;
	c->body_len = c->body_cap = 0;
	c->body_left = 0;
}

static void resp_mem_free(struct http_conn *c)
{
	if (c->resp_mem)
		c->srv->body_free(c->srv->alloc_ctx, c->resp_mem, c->resp_cap);
	c->resp_mem = NULL;
	c->resp_cap = 0;
}

void http_conn_release(struct http_conn *c)
{
	body_reset(c);
	resp_mem_free(c);
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

/* Answers a request by the static rules' decision r (or an error about
 * it), then drops the request and whatever of its body can be dropped. */
static OUT_OF_LINE enum http_conn_res answer(struct http_conn *c, const struct http_request *req,
					     int st, struct http_resp *r, size_t head_end,
					     char *hdr, size_t cap, struct http_out *out,
					     uint64_t now_ms)
{
	uint64_t skip = 0;

	if (st || !req->keep_alive) {
		r->close = true;
	} else if (req->has_body) {
		/* A body we can measure is read and dropped so the next pipelined
		 * request is found; one we cannot (chunked, or too long to wait
		 * for) ends the connection after the answer. */
		if (req->chunked || req->content_length > c->lim.max_body_discard)
			r->close = true;
		else
			skip = req->content_length;
	}

	enum http_conn_res res = emit(c, req->line, req->real_ip, r, req->version, hdr, cap, out,
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

/* An app request refused before its body was read: as a static refusal,
 * so a small body is dropped and the connection kept. */
static OUT_OF_LINE enum http_conn_res refuse_early(struct http_conn *c,
						   const struct http_request *req, int status,
						   size_t head_end, char *hdr, size_t cap,
						   struct http_out *out, uint64_t now_ms)
{
	struct http_resp r;

	http_serve_error(c->srv, status, req->m == HTTP_M_HEAD, &r);
	return answer(c, req, 0, &r, head_end, hdr, cap, out, now_ms);
}

/* An error answer for an app request whose body is consumed by the
 * caller (or will never be): just the response. */
static OUT_OF_LINE enum http_conn_res refuse(struct http_conn *c, const struct http_request *req,
					     int status, char *hdr, size_t cap, struct http_out *out,
					     uint64_t now_ms)
{
	struct http_resp r;

	http_serve_error(c->srv, status, req->m == HTTP_M_HEAD, &r);
	return emit(c, req->line, req->real_ip, &r, req->version, hdr, cap, out, now_ms);
}

/* A line in the log about an app route that could not run as it should,
 * next to the access line that shows the status sent. */
static OUT_OF_LINE void app_log(struct http_conn *c, const struct conf_app *a, const char *what,
				int num)
{
	const struct http_server *srv = c->srv;
	char lb[HTTP_LOG_LINE_MAX];
	struct hbuf l;

	if (!srv->log)
		return;
	hb_init(&l, lb, sizeof(lb));
	hb_str(&l, "app ");
	hb_put(&l, a->prefix.p, a->prefix.n);
	hb_str(&l, " (");
	hb_put(&l, a->file.p, a->file.n);
	hb_str(&l, "): ");
	hb_str(&l, what);
	if (num) {
		hb_str(&l, ": ");
		if (num < 0)
			hb_ch(&l, '-');
		hb_u64(&l, num < 0 ? 0 - (uint64_t)num : (uint64_t)num);
	}
	srv->log(srv->log_ctx, lb, l.len);
}

/* Runs the handler on a request whose body (if any) is complete, and
 * answers with what it returned. */
static OUT_OF_LINE enum http_conn_res app_run(struct http_conn *c, const struct http_request *req,
					      const struct conf_app *a, struct http_slice path,
					      struct http_slice query, char *hdr, size_t cap,
					      struct http_out *out, uint64_t now_ms)
{
	const struct http_server *srv = c->srv;
	struct http_app_request ar;
	struct http_app_response resp;
	struct hbuf b;
	bool head = req->m == HTTP_M_HEAD;
	bool close = !req->keep_alive;
	size_t logged = 0;

	hm_memset(&ar, 0, sizeof(ar));
	ar.method = req->method;
	ar.path = path;
	ar.query = query;
	ar.prefix = a->prefix;
	ar.file = a->file;
	ar.host = req->host;
	ar.version = req->version;
	if (http_log_addr_ok(req->real_ip)) {
		ar.client = req->real_ip;
	} else {
		ar.client.p = c->peer;
		ar.client.n = hm_strlen(c->peer);
	}
	ar.head = c->in;
	ar.head_start = c->fr.head_start;
	ar.head_end = c->head_end;
	ar.body = c->body_len ? c->body : NULL;
	ar.body_len = c->body_len;

	hm_memset(&resp, 0, sizeof(resp));
	int rc = srv->app(srv->app_ctx, &ar, &resp);
	const char *why = rc ? "the handler failed" : http_app_check(&resp);

	out->entry = NULL;
	out->mem = NULL;
	out->body_off = out->body_len = 0;
	hb_init(&b, hdr, cap);
	if (!why) {
		http_resp_write_app(&b, srv, &resp, close, req->version, now_ms / 1000);
		logged = head ? 0 : resp.body_len; /* what is sent, as for static HEAD */
		if (head || b.overflow || !resp.body_len) {
			/* HEAD: the length is announced, nothing is sent */
		} else if (resp.body_len <= b.cap - b.len) {
			hb_put(&b, resp.body, resp.body_len); /* inline, after the head */
		} else if (srv->body_alloc && srv->body_free &&
			   (c->resp_mem = srv->body_alloc(srv->alloc_ctx, resp.body_len))) {
			c->resp_cap = resp.body_len;
			hm_memcpy(c->resp_mem, resp.body, resp.body_len);
			out->mem = c->resp_mem;
			out->body_len = resp.body_len;
		} else {
			why = "no memory for the response body";
		}
	}
	if (srv->app_end)
		srv->app_end(srv->app_ctx, &resp);
	if (why) {
		bool bad_status = resp.status < 200 || resp.status > 599;
		app_log(c, a, why, rc ? rc : bad_status ? resp.status : 0);
		return refuse(c, req, 500, hdr, cap, out, now_ms);
	}
	return finish(c, req->line, req->real_ip, &b, resp.status, close, logged, out, now_ms);
}

/* The request is done with: its head, its body (in place or not). */
static void app_consume(struct http_conn *c, uint64_t now_ms)
{
	size_t used = c->head_end + (c->body_ext ? 0 : c->body_len);

	body_reset(c);
	consume(c, used, now_ms);
}

/* Starts receiving an app body; the bytes that came with the head are
 * taken at once. */
static void body_begin(struct http_conn *c, const struct http_request *req, size_t head_end)
{
	size_t avail = c->len - head_end;

	c->body_state = HTTP_BODY_RECV;
	c->head_end = head_end;
	c->body_chunked = req->chunked;
	c->body_ext = false;
	c->body = c->in + head_end;
	c->body_len = 0;
	c->len = head_end; /* the bytes after the head are re-read below */
	if (req->chunked) {
		http_chunked_init(&c->chunk, c->srv->conf->app_body_max, c->lim.max_header_bytes);
		/* One byte of the buffer stays free so the peer always has
		 * credit to send the byte that moves the body out of it. */
		c->body_cap = c->cap - head_end - 1;
	} else {
		c->body_left = req->content_length;
		c->body_cap = c->cap - head_end;
		if (req->content_length > c->body_cap &&
		    !body_room(c, (size_t)req->content_length)) {
			c->body_state = HTTP_BODY_FAIL;
			return;
		}
	}
	size_t k = body_take(c, c->in + head_end, avail);
	if (c->body_state == HTTP_BODY_FAIL)
		return;
	/* What follows the body is the next request: after the body when it
	 * is in place, right after the head when it is not. */
	hm_memmove(c->in + c->len, c->in + head_end + k, avail - k);
	c->len += avail - k;
}

/* A body that could not be received (body_status): answered, then the
 * connection closes, since the rest of the body is still coming. */
static OUT_OF_LINE enum http_conn_res body_fail(struct http_conn *c,
						const struct http_request *req, char *hdr,
						size_t cap, struct http_out *out, uint64_t now_ms)
{
	struct http_resp r;

	http_serve_error(c->srv, c->body_status, req->m == HTTP_M_HEAD, &r);
	r.close = true;
	enum http_conn_res res = emit(c, req->line, req->real_ip, &r, req->version, hdr, cap, out,
				      now_ms);
	app_consume(c, now_ms);
	return res;
}

/* The checks on a new app request, then its body begins: answered now
 * (a refusal, or 100 Continue), or NEED_MORE. An app request without a
 * body, or with all of it already here, comes back as HTTP_BODY_DONE for
 * the caller to run; one refused mid-body as HTTP_BODY_FAIL. */
static OUT_OF_LINE enum http_conn_res app_begin(struct http_conn *c,
						const struct http_request *req,
						const struct conf_app *a, size_t head_end,
						char *hdr, size_t cap, struct http_out *out,
						uint64_t now_ms)
{
	const struct http_server *srv = c->srv;
	const struct site_conf *conf = srv->conf;
	int err = 0;

	if (req->has_host && !site_conf_host_ok(conf, req->host.p, req->host.n)) {
		err = 421;
	} else if (!srv->app) {
		app_log(c, a, "this server runs no app handler", 0);
		err = 501;
	} else if (req->expect.p && !hm_caseeq_lit(req->expect.p, req->expect.n, "100-continue")) {
		err = 417; /* RFC 9110 section 10.1.1: the only expectation there is */
	} else if (req->chunked && !req->te_chunked) {
		err = 501; /* RFC 9112 section 6.1: a coding we do not implement */
	} else if (req->chunked && req->version == 10) {
		err = 400; /* RFC 9112 section 6.1: HTTP/1.0 has no chunked framing */
	} else if (req->has_body && !req->chunked && req->content_length > conf->app_body_max) {
		err = 413; /* before reading any of it */
	}
	if (err)
		return refuse_early(c, req, err, head_end, hdr, cap, out, now_ms);

	if (!req->has_body) {
		c->head_end = head_end;
		c->body = NULL;
		c->body_len = 0;
		c->body_state = HTTP_BODY_DONE;
		return HTTP_CONN_NEED_MORE; /* run by the caller */
	}
	bool nothing_yet = c->len == head_end;
	body_begin(c, req, head_end);
	if (c->body_state != HTTP_BODY_RECV)
		return HTTP_CONN_NEED_MORE; /* run or refused by the caller */

	/* RFC 9110 section 10.1.1: a client that asked waits (a while) for
	 * this before sending the body; HTTP/1.0 clients must not get it, and
	 * one whose body is already coming does not need it. */
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	if (req->expect.p && req->version == 11 && nothing_yet && cap >= sizeof(cont) - 1) {
		hm_memcpy(hdr, cont, sizeof(cont) - 1);
		hm_memset(out, 0, sizeof(*out));
		out->hdr_len = sizeof(cont) - 1;
		out->status = 100;
		out->interim = true;
		return HTTP_CONN_RESPONSE;
	}
	return c->eof ? HTTP_CONN_CLOSE : HTTP_CONN_NEED_MORE;
}

/* A parsed, well-formed request: if it is an app's, everything about it
 * happens here (refusals, the body, 100 Continue, the handler) and the
 * result is *res; false when it is not an app's. Also entered again, with
 * the head parsed again, once the body is complete (or failed). */
static bool app_request(struct http_conn *c, const struct http_request *req, size_t head_end,
			char *hdr, size_t cap, struct http_out *out, uint64_t now_ms,
			enum http_conn_res *res)
{
	char path[CONF_PATH_MAX];
	size_t pn;
	struct http_slice query;
	const struct conf_app *a = http_app_route(c->srv->conf, req, path, sizeof(path), &pn, &query);
	struct http_slice ps = { path, 0 };

	if (!a)
		return false;
	ps.n = pn;
	if (c->body_state == HTTP_BODY_NONE) {
		*res = app_begin(c, req, a, head_end, hdr, cap, out, now_ms);
		if (c->body_state == HTTP_BODY_RECV || c->body_state == HTTP_BODY_NONE)
			return true;
	}
	if (c->body_state == HTTP_BODY_FAIL) {
		*res = body_fail(c, req, hdr, cap, out, now_ms);
	} else { /* HTTP_BODY_DONE */
		*res = app_run(c, req, a, ps, query, hdr, cap, out, now_ms);
		app_consume(c, now_ms);
	}
	return true;
}

/* The static rules' answer (or a parse error's). */
static OUT_OF_LINE enum http_conn_res serve_static(struct http_conn *c,
						   const struct http_request *req, int st,
						   size_t head_end, char *hdr, size_t cap,
						   struct http_out *out, uint64_t now_ms)
{
	struct http_resp r;

	http_serve(c->srv, req, st, &r);
	return answer(c, req, st, &r, head_end, hdr, cap, out, now_ms);
}

enum http_conn_res http_conn_next(struct http_conn *c, char *hdr, size_t cap,
				  struct http_out *out, uint64_t now_ms)
{
	struct http_request req;
	size_t head_end = 0;
	int st = 0;

	if (c->closing)
		return HTTP_CONN_CLOSE;
	if (c->resp_mem)
		resp_mem_free(c); /* the caller has sent the last response */
	if (c->body_state == HTTP_BODY_RECV)
		return c->eof ? HTTP_CONN_CLOSE : HTTP_CONN_NEED_MORE;
	if (c->body_state != HTTP_BODY_NONE) {
		/* The body is complete (or failed): the head, kept in the buffer,
		 * parsed the same way as the first time. */
		enum http_conn_res res;
		head_end = c->head_end;
		st = http_parse_head(c->in, c->fr.head_start, head_end, &c->lim, &req);
		if (st || !app_request(c, &req, head_end, hdr, cap, out, now_ms, &res)) {
			/* cannot happen: parsing and routing are pure functions */
			c->body_status = 500;
			res = body_fail(c, &req, hdr, cap, out, now_ms);
		}
		return res;
	}
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

	enum http_conn_res res;
	if (st == 0 && app_request(c, &req, head_end, hdr, cap, out, now_ms, &res))
		return res;
	return serve_static(c, &req, st, head_end, hdr, cap, out, now_ms);
}

uint64_t http_conn_deadline(const struct http_conn *c)
{
	const struct site_conf *conf = c->srv->conf;
	uint64_t idle = c->last_ms + conf->idle_timeout_ms;

	if (c->body_state == HTTP_BODY_RECV)
		return idle;
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
	if (!c->len && !c->skip && c->body_state == HTTP_BODY_NONE) {
		c->closing = true; /* idle keep-alive connection: no response owed */
		return HTTP_CONN_CLOSE;
	}
	/* RFC 9110 section 15.5.9: 408 tells the client the server gave up
	 * waiting and is closing, so a browser may retry on a new connection. */
	http_serve_error(c->srv, 408, false, &r);
	r.close = true;
	enum http_conn_res res =
		emit(c, first_line(c), (struct http_slice){ NULL, 0 }, &r, 11, hdr, cap, out, now_ms);
	body_reset(c);
	consume(c, c->len, now_ms);
	return res;
}
