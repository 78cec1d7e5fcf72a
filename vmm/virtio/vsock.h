/* virtio-vsock, device side: stream connections between the guest and host
 * sockets. Each connection pairs a guest (CID, port) with a host socket fd:
 * a client accepted on a --publish listener (we send the guest a REQUEST),
 * or a unix socket we connected for a guest REQUEST that --vsock-connect
 * allows. Everything runs on the VM's I/O thread under dev.lock.
 *
 * Flow control is the spec's credit scheme both ways: we never send the
 * guest more than buf_alloc - (sent - fwd_cnt) of what it advertised, and we
 * advertise VSOCK_CONN_BUF per connection, counting bytes as forwarded once
 * they are written to the host socket. A host socket is read only when the
 * guest has credit and has posted rx buffers, straight into those buffers;
 * guest data is written straight to the host socket, and only what the
 * socket does not take waits in a bounded per-connection buffer. */
#ifndef VMM_VIRTIO_VSOCK_H
#define VMM_VIRTIO_VSOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "host/event_loop.h"
#include "virtio/mmio.h"
#include "virtio/vsock_pkt.h"

#define VSOCK_QUEUE_RX    0
#define VSOCK_QUEUE_TX    1
#define VSOCK_QUEUE_EVENT 2

#define VSOCK_CONN_BUF  (128u << 10) /* what we buffer (and advertise) per connection */
#define VSOCK_MAX_PKT   (64u << 10)  /* largest payload we accept or send */
#define VSOCK_MAX_CONNS 4096
#define VSOCK_HASH      1024
#define VSOCK_RST_RING  64           /* RSTs owed for packets that match no connection */
/* How long the guest has to answer our REQUEST (RESPONSE or RST) before the
 * connection is reset: Firecracker's figure. A guest that never answers
 * would otherwise hold the host client, and a table slot, for ever. */
#define VSOCK_REQUEST_TIMEOUT_MS 2000

struct vsock_dev;

/* Where the device takes connections the guest opens to the host: connect
 * returns a connected non-blocking socket for host port `port`, or -1 (the
 * guest then gets an RST). The host side implements it (host/vsock_connect.c
 * for --vsock-connect); the device knows nothing else of it. */
struct vsock_backend {
	int (*connect)(const void *ctx, uint32_t port);
	const void *ctx;
};

/* Where a connection is in its life; which directions still carry data
 * once established is in the half-close flags. */
enum vsock_conn_state {
	VCONN_REQUEST_OWED,   /* a published client: the guest has not heard of it yet */
	VCONN_AWAIT_RESPONSE, /* our REQUEST is out; the guest's RESPONSE or RST decides */
	VCONN_ESTABLISHED,    /* data flows (guest-initiated ones start here, RESPONSE owed) */
	VCONN_CLOSING,        /* the host side is gone; only an RST is left to send */
};

struct vsock_conn {
	struct vsock_dev *vs;
	struct vsock_conn *hnext;          /* hash chain */
	struct vsock_conn *wprev, *wnext;  /* work list: owes the guest packets */
	bool on_work;
	struct vsock_conn *pprev, *pnext;  /* pending list: our REQUEST is unanswered */
	bool on_pending;
	uint64_t deadline_ns;    /* on the pending list: CLOCK_MONOTONIC time it is reset */
	bool client_gone_seen;   /* waiting: the client shut its side but left data to deliver */
	int fd;                  /* host socket; -1 once closed */
	bool is_tcp;
	uint32_t local_port;     /* our port on CID 2 */
	uint32_t guest_port;
	enum vsock_conn_state state;
	uint32_t want;           /* control packets owed (W_*) */
	uint32_t events;         /* epoll events watched now; 0 with watched false */
	bool watched;
	bool readable;           /* the host socket may have data for the guest */
	bool peer_hup;           /* epoll saw the client shut down: read on to the end */
	bool host_eof;           /* host will send no more (read 0) */
	bool eof_told;           /* SHUTDOWN(SEND) sent to the guest */
	bool guest_shut_send;    /* guest will send no more */
	bool guest_shut_rcv;     /* guest will receive no more */
	bool host_wr_shut;       /* we did shutdown(SHUT_WR) */
	/* guest -> host */
	uint8_t *buf;            /* VSOCK_CONN_BUF ring, allocated while non-empty */
	uint32_t head, len;
	uint32_t recv_cnt, fwd_cnt, fwd_sent;
	/* host -> guest */
	uint32_t sent_cnt, peer_buf_alloc, peer_fwd_cnt;
};

struct vsock_stats {
	uint64_t rx_pkts, tx_pkts, rx_bytes, tx_bytes, conns, rsts_sent, bad_pkts;
	uint64_t timeouts;   /* REQUESTs the guest left unanswered */
	uint64_t gone;       /* clients that hung up before the guest answered */
};

struct vsock_dev {
	struct virtio_dev dev;
	uint64_t guest_cid;
	struct event_loop *loop;      /* NULL: not attached to a loop (fuzzer) */
	event_fn conn_event;          /* the device's handler for a connection's host socket */
	struct vsock_backend backend;
	unsigned nconns;
	struct vsock_conn *work_head, *work_tail;
	/* Connections whose REQUEST is out, oldest first: the timeout is the
	 * same for all, so the list is in deadline order and one timer, armed
	 * for its head, serves them all. */
	struct vsock_conn *pend_head, *pend_tail;
	int timer_fd;                 /* timerfd for the pending list's head; -1 without a loop */
	bool timer_armed;
	unsigned rst_head, rst_len;
	uint32_t next_port;
	bool rx_held;
	bool rx_quiet;                /* rx notifications suppressed (we hold buffers) */
	bool rx_delivered, tx_used;   /* since the last interrupt */
	bool reset_pending;           /* the driver reset us; the I/O thread cleans up */
	int reset_efd;
	struct vsock_stats stats;
	/* Last, what an idle device barely writes (19 KiB): a chain's first
	 * buffers, a hash bucket per connection, RSTs seldom. Their untouched
	 * pages stay out of memory (util/zalloc.h). */
	struct vq_chain chain;        /* tx chain being parsed */
	struct vq_chain rx;           /* an rx buffer popped but not yet filled */
	struct vsock_conn *hash[VSOCK_HASH];
	struct vsock_hdr rst[VSOCK_RST_RING];
};

/* Prepares the device (no queues yet); backend (connect NULL: the guest
 * may open no connections) and its ctx outlive the device. */
int vsock_dev_init(struct vsock_dev *vs, uint64_t cid, const struct vsock_backend *backend, struct err *e);
/* Binds the transport and puts its eventfds in loop. */
int vsock_dev_attach(struct vsock_dev *vs, struct guest_mem *mem, struct kvm_vm *kvm, uint64_t base,
		     unsigned gsi, struct event_loop *loop, struct err *e);
/* Closes every connection (host clients see a reset) and the device. */
void vsock_dev_destroy(struct vsock_dev *vs);
/* I/O thread: a host client (fd, non-blocking, now ours) wants guest port
 * guest_port; the guest gets a REQUEST. is_tcp selects how a reset is shown. */
void vsock_dev_host_connect(struct vsock_dev *vs, int fd, bool is_tcp, uint32_t guest_port);
/* I/O thread: connections in the table now, in either direction, those
 * still being set up or torn down included. */
unsigned vsock_dev_open_conns(struct vsock_dev *vs);

/* Resets every connection whose REQUEST has waited past its deadline at
 * now_ns (CLOCK_MONOTONIC); the device's timer calls it (exposed for the
 * fuzzer, which has no loop). */
void vsock_dev_expire(struct vsock_dev *vs, uint64_t now_ns);

/* The transport's queue callback (exposed for the fuzzer). */
void vsock_queue_notify(struct virtio_dev *d, unsigned q);
/* Host socket events for one connection (exposed for the fuzzer). */
void vsock_conn_event(void *opaque, uint32_t events);

#endif
