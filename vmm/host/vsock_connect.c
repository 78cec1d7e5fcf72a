#include "host/vsock_connect.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/size.h"

int vsock_connect_parse(const char *arg, struct vsock_connect_config *out, struct err *e)
{
	const char *eq = strchr(arg, '=');
	char port[16];
	uint64_t v;

	memset(out, 0, sizeof *out);
	if (!eq || (size_t)(eq - arg) >= sizeof port || strncmp(eq + 1, "unix:", 5) != 0 || !eq[6])
		return err_set(e, "--vsock-connect '%s': use GUESTPORT=unix:PATH", arg);
	memcpy(port, arg, (size_t)(eq - arg));
	port[eq - arg] = 0;
	/* 0xffffffff is VMADDR_PORT_ANY, never a real port */
	if (parse_uint(port, 0, 0xfffffffeull, &v) < 0)
		return err_set(e, "--vsock-connect '%s': port '%s' is not a number in 0-4294967294", arg, port);
	out->port = (uint32_t)v;
	if (strlen(eq + 6) >= sizeof out->path)
		return err_set(e, "--vsock-connect '%s': socket path longer than %zu bytes", arg, sizeof out->path - 1);
	strcpy(out->path, eq + 6);
	return 0;
}

int vsock_routes_connect(const void *ctx, uint32_t port)
{
	const struct vsock_routes *r = ctx;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	for (unsigned i = 0; i < r->n; i++) {
		if (r->route[i].port != port)
			continue;
		snprintf(a.sun_path, sizeof a.sun_path, "%s", r->route[i].path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		/* A unix connect never blocks: it succeeds or fails (EAGAIN: backlog full). */
		if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
			close(fd);
			fd = -1;
		}
		return fd;
	}
	return -1;
}
