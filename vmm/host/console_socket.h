/* The serial console on a unix stream socket (`vmm run --console-socket`),
 * for managers such as vmmd: one client at a time gets the console both
 * ways; a new client takes over from the old one. Output with no client, or
 * to a client that does not keep up, is dropped rather than stalling the
 * guest. Lives as long as `vmm run`, across guest resets. */
#ifndef VMM_HOST_CONSOLE_SOCKET_H
#define VMM_HOST_CONSOLE_SOCKET_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct console_socket {
	char path[108];
	int listen_fd;
	int client_fd;        /* -1 when nobody is attached */
	pthread_mutex_t lock; /* client_fd is written by vCPU threads */
};

int console_socket_open(struct console_socket *s, const char *path, struct err *e);
void console_socket_close(struct console_socket *s);
/* Accepts a pending connection, replacing the current client; returns its fd or -1. */
int console_socket_accept(struct console_socket *s);
/* Drops the client (it hung up). */
void console_socket_drop(struct console_socket *s, int fd);
void console_socket_write(struct console_socket *s, const uint8_t *buf, size_t len);

#endif
