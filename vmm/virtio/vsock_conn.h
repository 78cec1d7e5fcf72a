/* The vsock device's connection table: lookup by (local port, guest port),
 * the work list of connections that owe the guest packets, and the epoll
 * interest of each host socket. Internal to vsock*.c. */
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

#endif
