/* The host end of guest-initiated vsock connections (`--vsock-connect
 * GUESTPORT=unix:PATH`): guest connections to host port `port` reach the
 * unix socket `path`; every other port is refused. The vsock device reaches
 * this through its backend interface (virtio/vsock.h), never directly. */
#ifndef VMM_HOST_VSOCK_CONNECT_H
#define VMM_HOST_VSOCK_CONNECT_H

#include <stdint.h>

#include "util/err.h"

struct vsock_connect_config {
	uint32_t port;
	char path[108];
};

/* "GUESTPORT=unix:PATH". */
int vsock_connect_parse(const char *arg, struct vsock_connect_config *out, struct err *e);

struct vsock_routes {
	const struct vsock_connect_config *route;
	unsigned n;
};

/* A connected, non-blocking unix socket for host port `port` (ctx: a
 * struct vsock_routes), or -1 when no route allows it or the connect fails. */
int vsock_routes_connect(const void *ctx, uint32_t port);

#endif
