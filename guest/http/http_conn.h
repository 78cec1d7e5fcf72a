/* One HTTP connection: bytes in, responses out. The caller (the guest's
 * vsock loop) owns the transport and the clock; this object owns only the
 * protocol: framing, keep-alive, pipelining, body discarding, close-on-error,
 * idle and header timeouts, the access log, and for app routes (http_app.h)
 * receiving the request body and calling the handler.
 *
 * Use:
 *   http_conn_init(&c, &srv, inbuf, sizeof inbuf, "cid:3:1234", now_ms);
 *   on bytes:   used = http_conn_feed(&c, p, n, now_ms);   (retry the rest
 *               after draining responses when used < n)
 *   then loop:  while ((r = http_conn_next(&c, hdr, cap, &out, now_ms)) ==
 *                      HTTP_CONN_RESPONSE) send(hdr, out.hdr_len) and the
 *               body (out.entry bytes [out.body_off, +out.body_len), or
 *               out.mem[0, out.body_len) for an app's), then close if
 *               out.close; an out.interim response (100 Continue) is sent
 *               the same way and the final one follows;
 *               r == HTTP_CONN_CLOSE: close now.
 *   on peer EOF: http_conn_eof(&c) and run the loop again.
 *   timers:     wake at http_conn_deadline(&c); call http_conn_timeout().
 *               While a long body is still being sent, http_conn_touch()
 *               keeps the connection from looking idle.
 *   at the end: http_conn_release(&c) frees an app body's storage (a no-op
 *               when the server has no body_alloc).
 * Times are unix milliseconds: the Date field and the log use them too. */
#ifndef GUEST_HTTP_CONN_H
#define GUEST_HTTP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_chunked.h"
#include "http_parse.h"
#include "http_serve.h"

#define HTTP_PEER_MAX 48

struct http_conn {
	const struct http_server *srv;
	char *in;              /* received, unanswered bytes */
	size_t cap, len;
	struct http_framer fr;
	struct http_limits lim; /* the site's, bounded by cap */
	uint64_t skip;          /* request body bytes still to drop */
	uint64_t last_ms;       /* last activity */
	uint64_t start_ms;      /* first byte of the request being received */
	bool closing;           /* a close was announced: read nothing more */
	bool eof;               /* the peer will send nothing more */
	uint32_t requests;
	char peer[HTTP_PEER_MAX];

	/* An app request's body, received whole before its handler runs. The
	 * head stays at the start of `in` meanwhile (it is parsed again when
	 * the body is complete, rather than kept in a second form). The body
	 * lies right after the head when it fits the buffer, else in storage
	 * from the server's body_alloc. */
	uint8_t body_state;     /* enum http_body_state */
	bool body_chunked;
	bool body_ext;          /* body is body_alloc storage (else in + head_end) */
	int body_status;        /* HTTP_BODY_FAIL: the answer (400, 413 or 503) */
	size_t head_end;        /* the head is in[fr.head_start, head_end) */
	char *body;
	size_t body_len, body_cap;
	uint64_t body_left;     /* Content-Length bytes still to come */
	struct http_chunked chunk;
	char *resp_mem;         /* the last app response's body (body_alloc), or NULL */
	size_t resp_cap;
};

enum http_body_state {
	HTTP_BODY_NONE, /* no app body in progress */
	HTTP_BODY_RECV, /* receiving it: http_conn_feed stores or decodes */
	HTTP_BODY_DONE, /* complete: the next http_conn_next runs the handler */
	HTTP_BODY_FAIL  /* refused mid-way: the next http_conn_next answers body_status */
};

enum http_conn_res {
	HTTP_CONN_NEED_MORE, /* nothing to send until more bytes (or a timeout) */
	HTTP_CONN_RESPONSE,  /* out describes a response to send */
	HTTP_CONN_CLOSE      /* close the connection now */
};

struct http_out {
	size_t hdr_len;                 /* bytes at the start of the caller's buffer:
					   the head, plus any short built-in body */
	const struct site_entry *entry; /* body source, or NULL */
	uint64_t body_off;              /* bytes of the entry's data to send */
	uint64_t body_len;              /* (or of mem) */
	/* An app response's body, when it did not fit after the head in the
	 * caller's buffer (entry is then NULL): body_len bytes, valid until the
	 * next http_conn_next or http_conn_release on this connection. */
	const char *mem;
	int status;
	bool close;                     /* close once this response is sent */
	bool interim;                   /* 100 Continue: the final response follows */
};

/* buf holds received bytes until their request is answered; its size bounds
 * the request head (16 KiB matches the default limits). */
void http_conn_init(struct http_conn *c, const struct http_server *srv, char *buf, size_t cap,
		    const char *peer, uint64_t now_ms);

/* Takes received bytes; returns how many were taken. Fewer than n means
 * the buffer is full of requests not yet answered: drain http_conn_next and
 * offer the rest again. After a close was decided, bytes are taken and
 * dropped. */
size_t http_conn_feed(struct http_conn *c, const void *p, size_t n, uint64_t now_ms);

/* The next response, written into hdr (cap bytes; 1 KiB is plenty unless
 * site.conf adds many headers: a head that does not fit becomes a 500). */
enum http_conn_res http_conn_next(struct http_conn *c, char *hdr, size_t cap,
				  struct http_out *out, uint64_t now_ms);

void http_conn_eof(struct http_conn *c);

/* Frees what the connection holds from the server's body_alloc (an app
 * request body being received, the last app response body). Call it when
 * the connection ends, however it ends. */
void http_conn_release(struct http_conn *c);
void http_conn_touch(struct http_conn *c, uint64_t now_ms);

/* When http_conn_timeout has something to do. While an app body is being
 * received that is idle_timeout after the last bytes came (a large upload
 * may take long, a stalled one not). */
uint64_t http_conn_deadline(const struct http_conn *c);

/* Past the deadline: a partly received request gets 408 (RESPONSE, with
 * close); an idle connection is closed silently (CLOSE). Before it:
 * NEED_MORE. */
enum http_conn_res http_conn_timeout(struct http_conn *c, char *hdr, size_t cap,
				     struct http_out *out, uint64_t now_ms);

#endif
