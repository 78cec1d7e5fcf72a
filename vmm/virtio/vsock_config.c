#include "virtio/vsock_config.h"

#include <string.h>

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
