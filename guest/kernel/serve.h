/* What a connection carries, above the transport: an HTTP exchange driven
 * through guest/http, or the plain-text counters on the stats port. The
 * transport (vsock.c) feeds it the peer's bytes, asks it for the next
 * response and sends that response's head and body. It knows nothing of
 * vsock. */
#ifndef GUEST_KERNEL_SERVE_H
#define GUEST_KERNEL_SERVE_H

#include "kernel.h"

#include "body.h"
#include "http/http_conn.h"

#define SERVE_HEAD_MAX 4096

enum serve_kind { SERVE_HTTP, SERVE_STATS };

struct serve {
	enum serve_kind kind;
	struct http_conn http;  /* its input buffer is the caller's */
	/* the response being sent */
	bool has_resp;
	bool close_after;       /* close the connection once it is sent */
	size_t head_len, head_off;
	struct body body;
	char head[SERVE_HEAD_MAX];
};

enum serve_step {
	SERVE_WAIT,     /* nothing to send now */
	SERVE_RESPONSE, /* a response is ready: head, then body */
	SERVE_CLOSE,    /* the exchange is over: close the connection */
};

void serve_open(struct serve *s, enum serve_kind kind, char *in, size_t in_size, const char *peer, uint64_t now_ms);
void serve_close(struct serve *s);
/* The next response, if the input holds a request. peer_eof: the peer sends
 * no more; draining: vmm asked us to stop (idle exchanges then close);
 * open_conns goes on the stats page. */
enum serve_step serve_next(struct serve *s, bool peer_eof, bool draining, unsigned open_conns, uint64_t now_ms);
/* The exchange's timers at now_ms (idle, header and body timeouts):
 * SERVE_RESPONSE when a timeout response (408) is ready, SERVE_CLOSE, or
 * SERVE_WAIT. */
enum serve_step serve_timeout(struct serve *s, uint64_t now_ms);
/* When serve_timeout has something to do, or 0 for never. */
uint64_t serve_deadline(const struct serve *s);
/* When a response that cannot go out (the peer gives no credit) has waited
 * too long: the idle timeout after the last progress. */
uint64_t serve_stall_deadline(const struct serve *s);

/* The peer's bytes: returns how many fit the input buffer (fewer than n
 * means the peer ignored the credit it was given). */
size_t serve_feed(struct serve *s, const uint8_t *p, size_t n, uint64_t now_ms);
void serve_eof(struct serve *s);               /* the peer sends no more */
void serve_progress(struct serve *s, uint64_t now_ms); /* body bytes went out */
/* Input bytes not yet consumed (our advertised credit is what remains). */
static inline size_t serve_unread(const struct serve *s) { return s->http.len; }

#endif
