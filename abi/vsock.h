/* virtio-vsock (virtio 1.x, section 5.10): the 44-byte little-endian header
 * in front of every packet on the rx and tx queues, and its values. */
#ifndef ABI_VSOCK_H
#define ABI_VSOCK_H

#include <stddef.h>
#include <stdint.h>

#define VSOCK_HOST_CID    2
#define VSOCK_TYPE_STREAM 1

enum vsock_op {
	VSOCK_OP_INVALID = 0,
	VSOCK_OP_REQUEST = 1,
	VSOCK_OP_RESPONSE = 2,
	VSOCK_OP_RST = 3,
	VSOCK_OP_SHUTDOWN = 4,
	VSOCK_OP_RW = 5,
	VSOCK_OP_CREDIT_UPDATE = 6,
	VSOCK_OP_CREDIT_REQUEST = 7,
};

/* SHUTDOWN flags: what the sender will no longer do. */
#define VSOCK_SHUTDOWN_RCV  1
#define VSOCK_SHUTDOWN_SEND 2

struct vsock_hdr {
	uint64_t src_cid;
	uint64_t dst_cid;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t len;            /* payload bytes after the header */
	uint16_t type;           /* VSOCK_TYPE_STREAM */
	uint16_t op;             /* enum vsock_op */
	uint32_t flags;
	uint32_t buf_alloc;      /* the sender's receive buffer */
	uint32_t fwd_cnt;        /* bytes the sender has consumed from it */
} __attribute__((packed));

#define VSOCK_HDR_SIZE 44

/* A stream packet's header with the addresses and op set, the rest zero. */
static inline struct vsock_hdr vsock_hdr_stream(uint64_t src_cid, uint32_t src_port, uint64_t dst_cid,
						uint32_t dst_port, uint16_t op)
{
	struct vsock_hdr h = { 0 };

	h.src_cid = src_cid;
	h.src_port = src_port;
	h.dst_cid = dst_cid;
	h.dst_port = dst_port;
	h.type = VSOCK_TYPE_STREAM;
	h.op = op;
	return h;
}

_Static_assert(sizeof(struct vsock_hdr) == VSOCK_HDR_SIZE, "vsock header is 44 bytes");
_Static_assert(offsetof(struct vsock_hdr, src_port) == 16, "vsock header layout");
_Static_assert(offsetof(struct vsock_hdr, len) == 24, "vsock header layout");
_Static_assert(offsetof(struct vsock_hdr, type) == 28, "vsock header layout");
_Static_assert(offsetof(struct vsock_hdr, op) == 30, "vsock header layout");
_Static_assert(offsetof(struct vsock_hdr, flags) == 32, "vsock header layout");
_Static_assert(offsetof(struct vsock_hdr, buf_alloc) == 36, "vsock header layout");
_Static_assert(offsetof(struct vsock_hdr, fwd_cnt) == 40, "vsock header layout");

#endif
