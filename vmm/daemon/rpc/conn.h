/* One client connection: buffered, non-blocking I/O of RPC messages, and at
 * most one console stream bridged to a domain's console socket. */
#ifndef VMM_DAEMON_RPC_CONN_H
#define VMM_DAEMON_RPC_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/rpc/msg.h"
#include "daemon/rpc/verr.h"

#define CONN_OUT_MAX  (64u << 20)  /* a client that stops reading is dropped */
#define CONN_CONSOLE_READ_PAUSE (1u << 20) /* stop reading the console above this */
#define CONSOLE_IN_MAX (1u << 20)  /* keystrokes buffered for the console */

struct conn {
	int fd;
	bool readonly;  /* accepted on the read-only socket, or opened read-only */
	bool opened;    /* CONNECT_OPEN succeeded */
	bool closing;   /* close once the output is flushed */
	bool dead;      /* close now */
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out;
	size_t out_len, out_off, out_cap;

	/* console stream */
	bool stream;
	uint32_t stream_serial;
	uint8_t stream_uuid[16];
	int console_fd;           /* -1 after EOF */
	uint8_t *cin;             /* client keystrokes not yet written */
	size_t cin_len;
};

struct conn *conn_new(int fd, bool readonly);
void conn_free(struct conn *c);

/* Queues bytes for the client; marks the connection dead if it is over
 * CONN_OUT_MAX. */
void conn_queue(struct conn *c, const void *p, size_t n);
/* Builds and queues one message. */
void conn_send(struct conn *c, const struct rpc_header *h, const struct xdr_out *payload);
/* An error reply (type REPLY, status ERROR) to the call in h. */
void conn_send_error(struct conn *c, const struct rpc_header *call, const struct verr *e);
/* Writes what it can; -1 if the connection broke. */
int conn_flush(struct conn *c);
/* Reads what is there; -1 on EOF or error. */
int conn_fill(struct conn *c);
/* The next complete message, if any: returns 1 and sets *len (whole message
 * incl. length word); 0 if more bytes are needed; -1 if the framing is bad. */
int conn_next(struct conn *c, size_t *len);
void conn_consume(struct conn *c, size_t len);

#endif
