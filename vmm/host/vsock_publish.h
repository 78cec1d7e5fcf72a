/* The host end of virtio-vsock's published ports: --publish listeners (TCP
 * or unix, bound here or inherited already listening from the parent) and
 * the parsing of --publish. Listeners are opened before the guest boots and
 * live as long as `vmm run`, across guest resets; each boot attaches them to
 * its event loop with the function that hands an accepted client to its
 * vsock device. This module knows nothing of the device. */
#ifndef VMM_HOST_VSOCK_PUBLISH_H
#define VMM_HOST_VSOCK_PUBLISH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "host/event_loop.h"
#include "util/err.h"

#define VSOCK_MAX_PUBLISH 32

/* --publish [ADDR:]HOSTPORT:GUESTPORT, unix:PATH:GUESTPORT[,mode=OCTAL][,group=G]
 * or fd:N:GUESTPORT */
struct publish_config {
	bool is_unix;
	bool has_mode;    /* unix: mode= given (else the umask decides, as for any new file) */
	uint32_t mode;    /* unix: permission bits of the socket, at most 0777 */
	bool has_gid;     /* unix: group= given */
	uint32_t gid;     /* unix: the socket's group (a name is looked up in /etc/group) */
	bool is_fd;       /* fd:N: an inherited listening socket (unix or TCP, found at open) */
	int fd;           /* fd:N: N, at least 3 */
	char addr[64];    /* TCP: numeric IPv4/IPv6 address to listen on */
	uint16_t host_port;
	char path[108];   /* unix: socket path */
	uint32_t guest_port;
};

/* Takes an accepted client (fd: non-blocking, now the callee's) for guest
 * port guest_port; is_tcp tells how a reset should look to it. */
typedef void (*vsock_client_fn)(void *ctx, int fd, bool is_tcp, uint32_t guest_port);

struct vsock_listener {
	int fd;
	int pause_fd;           /* timerfd: re-arms fd after accept ran out of fds */
	struct event_loop *loop;
	bool is_unix;
	uint32_t guest_port;
	char path[108];         /* unix we bound: removed on close if still ours */
	dev_t dev;              /* what path was once bound: the socket there at */
	ino_t ino;              /* close is removed only if it is still this one */
	bool inherited;         /* fd:N: the parent's socket; its backlog outlives us */
	vsock_client_fn client; /* the current boot's device takes the clients */
	void *client_ctx;
};

struct vsock_listeners {
	struct vsock_listener l[VSOCK_MAX_PUBLISH];
	unsigned n;
};

/* "[ADDR:]HOSTPORT:GUESTPORT", "unix:PATH:GUESTPORT[,mode=OCTAL][,group=NAME|GID]"
 * or "fd:N:GUESTPORT". */
int publish_parse(const char *arg, struct publish_config *out, struct err *e);

/* Binds and listens on each of the n (at most VSOCK_MAX_PUBLISH) --publish
 * entries; a port in use is an error here, and so is a unix path where a
 * server answers (a socket nobody listens on is stale: replaced). An fd:N entry must be an open,
 * listening stream socket (unix or TCP); it is made non-blocking and
 * close-on-exec. */
int vsock_listeners_open(struct vsock_listeners *ls, const struct publish_config *pub, unsigned n,
			 struct err *e);
/* Closes our fds; removes the unix sockets we bound if each path still
 * holds ours (never an inherited one, nor what replaced ours). */
void vsock_listeners_close(struct vsock_listeners *ls);
/* Watches the listeners in loop; accepted clients go to client(ctx, ...). */
int vsock_listeners_attach(struct vsock_listeners *ls, struct event_loop *loop, vsock_client_fn client, void *ctx,
			   struct err *e);
/* I/O thread: takes the listeners out of the loop they were attached to,
 * so that clients arriving from now on wait in the sockets' backlogs (for
 * whoever holds an inherited socket after us). */
void vsock_listeners_detach(struct vsock_listeners *ls);
/* I/O thread: whether a client waits in any listener's backlog. */
bool vsock_listeners_pending(const struct vsock_listeners *ls);

#endif
