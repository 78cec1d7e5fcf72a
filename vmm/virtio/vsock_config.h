/* Where guest-initiated vsock connections may go (`--vsock-connect
 * GUESTPORT=unix:PATH`): guest connections to host port `port` reach the
 * unix socket `path`; every other port is refused. */
#ifndef VMM_VIRTIO_VSOCK_CONFIG_H
#define VMM_VIRTIO_VSOCK_CONFIG_H

#include <stdint.h>

#include "util/err.h"

struct vsock_connect_config {
	uint32_t port;
	char path[108];
};

/* "GUESTPORT=unix:PATH". */
int vsock_connect_parse(const char *arg, struct vsock_connect_config *out, struct err *e);

#endif
