/* libvirt RPC message framing: a 4-byte total length, a 24-byte header,
 * then the payload. */
#ifndef VMM_DAEMON_RPC_MSG_H
#define VMM_DAEMON_RPC_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/rpc/xdr.h"

#define RPC_PROG_REMOTE    0x20008086u
#define RPC_PROG_KEEPALIVE 0x6b656570u
#define RPC_VERS           1u

#define RPC_HEADER_LEN  24u                 /* after the length word */
#define RPC_MIN_LEN     (4u + RPC_HEADER_LEN)
#define RPC_MAX_PAYLOAD (32u << 20)         /* VIR_NET_MESSAGE_MAX */
#define RPC_MAX_LEN     (4u + RPC_MAX_PAYLOAD)
#define RPC_STREAM_CHUNK 262120u            /* legacy payload max, per data packet */

enum rpc_type {
	RPC_CALL = 0,
	RPC_REPLY = 1,
	RPC_MESSAGE = 2,
	RPC_STREAM = 3,
	RPC_CALL_WITH_FDS = 4,
	RPC_REPLY_WITH_FDS = 5,
	RPC_STREAM_HOLE = 6,
};

enum rpc_status {
	RPC_OK = 0,
	RPC_ERROR = 1,
	RPC_CONTINUE = 2,
};

enum { KEEPALIVE_PING = 1, KEEPALIVE_PONG = 2 };

struct rpc_header {
	uint32_t prog;
	uint32_t vers;
	int32_t proc;
	int32_t type;
	uint32_t serial;
	int32_t status;
};

/* Reads the length word of a message from 4 bytes; returns the total length
 * or 0 if it is outside [RPC_MIN_LEN, RPC_MAX_LEN]. */
uint32_t rpc_frame_len(const uint8_t b[4]);

/* Decodes the header from the bytes that follow the length word. */
int rpc_header_decode(const uint8_t *p, size_t len, struct rpc_header *h);

/* Starts a message in out (length placeholder + header); finish it with
 * rpc_msg_end, which patches the length. Returns -1 if out overflowed. */
void rpc_msg_begin(struct xdr_out *out, const struct rpc_header *h);
int rpc_msg_end(struct xdr_out *out, size_t start);

#endif
