/* One client connection: buffered, non-blocking I/O of RPC messages, and at
 * most one console stream bridged to a domain's console socket. */
#ifndef VMM_DAEMON_RPC_CONN_H
#define VMM_DAEMON_RPC_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/rpc/msg.h"
#include "daemon/rpc/verr.h"

#define CONN_OUT_MAX  (64u << 20)  /* a client that stops reading is dropped */
/* The largest frame a connection may send before CONNECT_OPEN or once it is
 * read-only: such a client never needs more (its calls carry names and
 * UUIDs, no domain XML), and an unauthenticated or unprivileged peer must
 * not make the daemon hold a 32 MiB partial frame. */
#define CONN_SMALL_FRAME (64u << 10)
/* Above this much unsent output the daemon reads no further calls from the
 * connection (back-pressure): a client that does not read its replies can
 * only make the queue grow by one reply past it. */
#define CONN_OUT_PAUSE (256u << 10)
#define CONN_CONSOLE_READ_PAUSE (1u << 20) /* stop reading the console above this */
#define CONSOLE_IN_MAX (1u << 20)  /* keystrokes buffered for the console */

/* Bytes of client buffers (input and output) across all connections, and
 * the budget the server refuses new calls above. */
struct conn_budget {
	size_t used, max;
};

/* conn_next's answers besides 1 (a message) and 0 (more bytes needed). */
enum {
	CONN_BAD = -1,      /* bad length word: no way to resynchronise */
	CONN_TOO_BIG = -2,  /* the frame is over this connection's limit */
	CONN_NO_ROOM = -3,  /* holding the frame would pass the budget */
};

struct conn {
	int fd;
	uid_t uid;      /* the peer's (SO_PEERCRED) */
	bool readonly;  /* accepted on the read-only socket, or opened read-only */
	bool opened;    /* CONNECT_OPEN succeeded */
	bool closing;   /* close once the output is flushed */
	bool dead;      /* close now */
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out;
	size_t out_len, out_off, out_cap;
	size_t skip;    /* bytes of a refused frame still to read and discard */
	struct conn_budget *budget; /* NULL: not counted */
	/* the server's clock (ms, monotonic) for its deadlines */
	int64_t t_accept, t_active, t_progress;

	/* console stream */
	bool stream;
	uint32_t stream_serial;
	uint8_t stream_uuid[16];
	int console_fd;           /* -1 after EOF */
	/* a DOMAIN_OPEN_CONSOLE (serial stream_serial, domain stream_uuid)
	 * whose vmm has not made its socket yet: retried from the daemon's
	 * loop at console_retry_ms until console_give_up_ms (0: none) */
	int64_t console_retry_ms, console_give_up_ms;
	bool console_force;
	uint8_t *cin;             /* client keystrokes not yet written */
	size_t cin_len;
	/* how the stream ends once the console socket is drained: recorded
	 * when the domain's instance ends (rpc/stream.h) */
	enum { STREAM_END_NONE, STREAM_END_EOF, STREAM_END_ERROR, STREAM_END_SENT } stream_end;
	char stream_end_msg[512];
};

struct conn *conn_new(int fd, bool readonly, struct conn_budget *budget);
void conn_free(struct conn *c);

/* Queues bytes for the client; marks the connection dead if it is over
 * CONN_OUT_MAX. */
void conn_queue(struct conn *c, const void *p, size_t n);
/* Builds and queues one message. */
void conn_send(struct conn *c, const struct rpc_header *h, const struct xdr_out *payload);
/* An error reply (type REPLY, status ERROR) to the call in h. */
void conn_send_error(struct conn *c, const struct rpc_header *call, const struct verr *e);
/* Writes what it can; 1 if it wrote something, 0 if nothing could go, -1 if
 * the connection broke. An emptied output buffer is freed. */
int conn_flush(struct conn *c);
/* Reads what is there (at most one chunk, never more than the frame limit
 * plus a chunk); -1 on EOF or error. */
int conn_fill(struct conn *c);
/* The largest frame this connection may send now: CONN_SMALL_FRAME until
 * CONNECT_OPEN and on read-only connections, RPC_MAX_LEN otherwise. */
size_t conn_frame_max(const struct conn *c);
/* Bytes queued and not yet sent. */
size_t conn_pending(const struct conn *c);
/* The next complete message, if any: returns 1 and sets *len (whole message
 * incl. length word); 0 if more bytes are needed; CONN_BAD if the framing is
 * bad; CONN_TOO_BIG or CONN_NO_ROOM (with *len the announced length) as
 * soon as the length word shows it. */
int conn_next(struct conn *c, size_t *len);
void conn_consume(struct conn *c, size_t len);
/* Drops a frame of len bytes that begins the buffer, reading and discarding
 * what has not arrived yet (after CONN_NO_ROOM). */
void conn_skip(struct conn *c, size_t len);

#endif
