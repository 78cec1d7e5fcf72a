#include "serve.h"

#include "http/http_buf.h"
#include "site.h"

void serve_open(struct serve *s, enum serve_kind kind, char *in, size_t in_size, const char *peer, uint64_t now_ms)
{
	s->kind = kind;
	http_conn_init(&s->http, &server, in, in_size, peer, now_ms);
}

void serve_close(struct serve *s)
{
	body_set(&s->body, NULL, 0, 0);
	if (s->kind == SERVE_HTTP)
		http_conn_release(&s->http);
}

/* A response of head only (no body from the site). */
static void head_only(struct serve *s, size_t len, bool close)
{
	s->has_resp = true;
	s->head_len = len;
	s->head_off = 0;
	body_set(&s->body, NULL, 0, 0);
	s->close_after = close;
	st.requests++;
}

/* The stats port: any complete request head gets the counters. */
static enum serve_step stats_response(struct serve *s, bool peer_eof, unsigned open_conns)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
				   "Cache-Control: no-store\r\nContent-Length: ";
	char body[2560];
	bool complete = peer_eof;

	for (size_t i = 3; i < s->http.len && !complete; i++)
		complete = !memcmp(s->http.in + i - 3, "\r\n\r\n", 4);
	if (!complete)
		return SERVE_WAIT;
	size_t n = format_stats(body, sizeof body, open_conns);
	struct hbuf b;
	hb_init(&b, s->head, sizeof s->head);
	hb_put(&b, head, sizeof head - 1);
	hb_u64(&b, n);
	hb_str(&b, "\r\n\r\n");
	hb_put(&b, body, n);
	head_only(s, b.overflow ? 0 : b.len, true);
	s->http.len = 0; /* consumed */
	return SERVE_RESPONSE;
}

enum serve_step serve_next(struct serve *s, bool peer_eof, bool draining, unsigned open_conns, uint64_t now_ms)
{
	struct http_out out;
	enum http_conn_res r;

	if (s->kind == SERVE_STATS)
		return s->close_after ? SERVE_WAIT : stats_response(s, peer_eof, open_conns);
	r = http_conn_next(&s->http, s->head, sizeof s->head, &out, now_ms);
	if (r == HTTP_CONN_NEED_MORE)
		return draining ? SERVE_CLOSE : SERVE_WAIT;
	if (r == HTTP_CONN_CLOSE)
		return SERVE_CLOSE;
	if (!out.interim)
		st.requests++;
	s->has_resp = true;
	s->head_len = out.hdr_len;
	s->head_off = 0;
	if (out.mem)
		body_set_mem(&s->body, out.mem, out.body_len);
	else
		body_set(&s->body, out.entry, out.body_off, out.body_off + out.body_len);
	s->close_after = out.close;
	return SERVE_RESPONSE;
}

enum serve_step serve_timeout(struct serve *s, uint64_t now_ms)
{
	struct http_out out;
	enum http_conn_res r;

	if (s->kind != SERVE_HTTP || s->has_resp || now_ms < http_conn_deadline(&s->http))
		return SERVE_WAIT;
	/* Straight into s->head, which no response is using (has_resp is
	 * false), not into a 4 KiB stack buffer: a 408 written there reached
	 * a third page of the ring-3 stack, a private host page from then on. */
	r = http_conn_timeout(&s->http, s->head, sizeof s->head, &out, now_ms);
	if (r == HTTP_CONN_RESPONSE) {
		head_only(s, out.hdr_len, true);
		return SERVE_RESPONSE;
	}
	return r == HTTP_CONN_CLOSE ? SERVE_CLOSE : SERVE_WAIT;
}

uint64_t serve_deadline(const struct serve *s)
{
	return s->kind == SERVE_HTTP ? http_conn_deadline(&s->http) : 0;
}

uint64_t serve_stall_deadline(const struct serve *s)
{
	return s->http.last_ms + conf.idle_timeout_ms;
}

size_t serve_feed(struct serve *s, const uint8_t *p, size_t n, uint64_t now_ms)
{
	return http_conn_feed(&s->http, p, n, now_ms);
}

void serve_eof(struct serve *s)
{
	http_conn_eof(&s->http);
}

void serve_progress(struct serve *s, uint64_t now_ms)
{
	http_conn_touch(&s->http, now_ms);
}
