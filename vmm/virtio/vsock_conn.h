/* One vsock connection: the device's table of them (lookup by local port
 * and guest port), the work list of those that owe the guest packets, the
 * epoll interest of each host socket, and the whole protocol of one
 * connection: its state, credit, the packets it owes the guest and what a
 * guest packet or a host socket event does to it. The device (vsock.c)
 * calls in; this file never calls the device: it hands packets back for the
 * device to deliver, and host socket events reach it through the device's
 * conn_event. Internal to vsock*.c. */
#ifndef VMM_VIRTIO_VSOCK_CONN_H
#define VMM_VIRTIO_VSOCK_CONN_H

#include "virtio/vsock.h"

/* Control packets a connection owes the guest (vsock_conn.want). */
#define W_REQUEST  1u
#define W_RESPONSE 2u
#define W_CREDIT   4u
#define W_SHUTDOWN 8u
#define W_RST      16u

struct vsock_conn *vsock_conn_find(struct vsock_dev *vs, uint32_t local_port, uint32_t guest_port);
/* A new connection in the table (fd not yet watched); NULL when full. */
struct vsock_conn *vsock_conn_new(struct vsock_dev *vs, int fd, bool is_tcp, uint32_t local_port,
				  uint32_t guest_port);
/* Closes the host socket (abort: the peer sees a reset) and frees c. */
void vsock_conn_free(struct vsock_conn *c, bool abort);
/* Closes the host socket only; c stays to send what it owes. */
void vsock_conn_close_fd(struct vsock_conn *c, bool abort);

/* Credit the guest gives us now. */
uint32_t vsock_conn_peer_credit(const struct vsock_conn *c);
/* Whether c has host data for the guest that the guest may take. */
bool vsock_conn_data_ready(const struct vsock_conn *c);
/* Whether c owes the guest anything (control packets or data). */
bool vsock_conn_has_work(const struct vsock_conn *c);
/* Puts c on the work list if it has work, takes it off otherwise. */
void vsock_conn_update_work(struct vsock_conn *c);
/* Moves c to the end of the work list if it still has work (round robin). */
void vsock_conn_requeue(struct vsock_conn *c);
/* Sets epoll interest from c's state (reading, writing). */
void vsock_conn_update_events(struct vsock_conn *c);

enum vsock_emit {
	VSOCK_EMIT_NONE,   /* nothing for the guest now; c lives */
	VSOCK_EMIT_PACKET, /* *h (and its payload, in rx) is ready to deliver */
	VSOCK_EMIT_LAST,   /* *h is c's final RST; c is freed */
};
/* The next packet c owes the guest, into the rx buffer rx: its payload
 * (read straight from the host socket) after the header's room, its header
 * in *h for the device to write and deliver. */
enum vsock_emit vsock_conn_emit(struct vsock_conn *c, struct vq_chain *rx, struct vsock_hdr *h);

enum vsock_reply { VSOCK_REPLY_NONE, VSOCK_REPLY_RST };
/* A well-formed guest packet h (payload in ch after the header) for c. The
 * answer VSOCK_REPLY_RST asks the device to reset the sender, for a packet
 * on a connection the guest cannot know yet. c may be freed. */
enum vsock_reply vsock_conn_guest_packet(struct vsock_conn *c, const struct vsock_hdr *h, const struct vq_chain *ch);
/* CLOCK_MONOTONIC now, in ns: the pending list's clock. */
uint64_t vsock_now_ns(void);
/* c's REQUEST went unanswered past its deadline: the client is closed (a
 * reset) and the guest gets an RST. */
void vsock_conn_expire(struct vsock_conn *c);

/* The host socket of c reported events (EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR). */
void vsock_conn_host_event(struct vsock_conn *c, uint32_t events);

#endif
