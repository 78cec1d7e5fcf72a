/* `virsh console`: DOMAIN_OPEN_CONSOLE and the stream that follows, bridged
 * to the console socket of the domain's vmm (one session per domain). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/core/store.h"
#include "daemon/proc/proc.h"
#include "daemon/rpc/stream.h"

#define CONSOLE_FORCE 1u
#define CONSOLE_SAFE 2u
/* A vmm just started may not have made its socket yet: the open's reply
 * waits (the loop retries, serving others) this long, trying this often. */
#define CONNECT_WAIT_MS 2000
#define CONNECT_RETRY_MS 50

static void stream_send(struct conn *c, int status, const void *data, size_t len)
{
	struct rpc_header h = { RPC_PROG_REMOTE, RPC_VERS, PROC_DOMAIN_OPEN_CONSOLE, RPC_STREAM, c->stream_serial,
				status };
	struct xdr_out p;

	xdr_out_init(&p);
	xdr_put_raw(&p, data, len);
	conn_send(c, &h, &p);
	xdr_out_free(&p);
}

static void close_console(struct vmmd *m, struct conn *c)
{
	struct domain *d = domains_by_uuid(&m->doms, c->stream_uuid);

	if (c->console_fd >= 0)
		close(c->console_fd);
	c->console_fd = -1;
	free(c->cin);
	c->cin = NULL;
	c->cin_len = 0;
	if (d && d->console == c)
		d->console = NULL;
}

void console_detach(struct vmmd *m, struct conn *c)
{
	if (!c->stream)
		return;
	close_console(m, c);
	c->stream = false;
}

/* Ends the stream from our side with an EOF; the client then finishes it
 * (another client took the console over). */
static void send_eof(struct vmmd *m, struct conn *c)
{
	if (c->console_fd >= 0 || c->cin) {
		close_console(m, c);
		stream_send(c, RPC_CONTINUE, NULL, 0);
	}
}

/* The console socket ended: vmm exited, or is exiting. Whether the stream
 * ends cleanly or with an error depends on how the instance ended, which
 * its exit status tells a moment later (lifecycle.c records it): until
 * then the stream stays open with its socket closed. */
static void socket_ended(struct vmmd *m, struct conn *c)
{
	struct domain *d = domains_by_uuid(&m->doms, c->stream_uuid);

	if (c->stream_end == STREAM_END_NONE && d && d->console == c && dom_active(d)) {
		close(c->console_fd);
		c->console_fd = -1;
		return;
	}
	stream_end_set(c, NULL); /* no instance left to wait for */
	close_console(m, c);
	stream_end_send(c);
}

/* One non-blocking try: the socket, or -1 with the connect's errno in
 * *err (0: none, the try cannot be repeated). */
static int try_connect(const char *path, int *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	*err = 0;
	if (strlen(path) >= sizeof sa.sun_path)
		return -1;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
		return fd;
	*err = errno;
	close(fd);
	return -1;
}

/* Whether a connect that failed with err may work a moment later: the
 * socket is not there yet, or not listening yet, or its backlog is full. */
static bool retryable(int err)
{
	return err == ENOENT || err == ECONNREFUSED || err == EAGAIN;
}

static int connect_failed(int err, struct verr *e)
{
	if (!err)
		return verr_set(e, VERR_INTERNAL_ERROR, "cannot connect to the console of the domain: %s",
				errno ? strerror(errno) : "console socket path too long");
	return verr_set(e, VERR_OPERATION_FAILED, "cannot connect to the console of the domain: %s", strerror(err));
}

/* The console of d is connected (fd): c's stream is on, replacing the
 * session of another client when force (else that session is an error). */
static int attach(struct vmmd *m, struct conn *c, struct domain *d, uint32_t serial, bool force, int fd,
		  struct verr *e)
{
	if (d->console && d->console != c && !force) {
		close(fd);
		return verr_set(e, VERR_OPERATION_INVALID, "Active console session exists for this domain");
	}
	if (d->console && d->console != c)
		send_eof(m, d->console);
	c->stream = true;
	c->stream_end = STREAM_END_NONE;
	c->stream_serial = serial;
	memcpy(c->stream_uuid, dom_uuid(d), 16);
	c->console_fd = fd;
	d->console = c;
	return 0;
}

static bool console_pending(const struct conn *c)
{
	return c->console_give_up_ms != 0;
}

int proc_open_console(struct call *c, const struct rpc_args *a, struct xdr_out *out, struct verr *e)
{
	struct domain *d = find_dom(c->m, &a->dom, e);
	const char *dev = a->str[0];
	char path[STORE_PATH_MAX];
	int fd, err;

	(void)out;
	if (!d || check_flags(a->num[0], CONSOLE_FORCE | CONSOLE_SAFE, "virDomainOpenConsole", e) < 0)
		return -1;
	if (!dom_active(d))
		return verr_set(e, VERR_OPERATION_INVALID, "domain is not running");
	if (dev && strcmp(dev, "serial0") != 0 && strcmp(dev, "console0") != 0)
		return verr_set(e, VERR_INTERNAL_ERROR, "cannot find character device %.100s", dev);
	if (!c->m->feat.console_socket)
		return verr_set(e, VERR_OPERATION_UNSUPPORTED, "this vmm has no console socket (--console-socket)");
	if (c->conn->stream || console_pending(c->conn))
		return verr_set(e, VERR_OPERATION_INVALID, "a console stream is already open on this connection");
	if (d->console && !(a->num[0] & CONSOLE_FORCE))
		return verr_set(e, VERR_OPERATION_INVALID, "Active console session exists for this domain");
	if (store_path(path, sizeof path, c->m->state_dir, "run", dom_name(d), ".sock", e) < 0)
		return -1;
	fd = try_connect(path, &err);
	if (fd >= 0)
		return attach(c->m, c->conn, d, c->h->serial, a->num[0] & CONSOLE_FORCE, fd, e);
	if (!retryable(err))
		return connect_failed(err, e);
	/* a vmm still starting: the reply waits for console_tick */
	c->conn->stream_serial = c->h->serial;
	memcpy(c->conn->stream_uuid, dom_uuid(d), 16);
	c->conn->console_force = a->num[0] & CONSOLE_FORCE;
	c->conn->console_retry_ms = now_ms() + CONNECT_RETRY_MS;
	c->conn->console_give_up_ms = now_ms() + CONNECT_WAIT_MS;
	return PROC_DEFERRED;
}

int console_tick(struct vmmd *m, struct conn *c, int64_t now)
{
	struct rpc_header h = { RPC_PROG_REMOTE, RPC_VERS, PROC_DOMAIN_OPEN_CONSOLE, RPC_REPLY, c->stream_serial,
				RPC_OK };
	struct domain *d;
	char path[STORE_PATH_MAX];
	struct verr e;
	int fd = -1, err = 0;

	if (!console_pending(c))
		return -1;
	if (now < c->console_retry_ms)
		return (int)(c->console_retry_ms - now);
	d = domains_by_uuid(&m->doms, c->stream_uuid);
	if (!d || !dom_active(d)) {
		verr_set(&e, VERR_OPERATION_INVALID, "domain is not running");
	} else if (store_path(path, sizeof path, m->state_dir, "run", dom_name(d), ".sock", &e) == 0) {
		fd = try_connect(path, &err);
		if (fd < 0 && retryable(err) && now < c->console_give_up_ms) {
			c->console_retry_ms = now + CONNECT_RETRY_MS;
			return CONNECT_RETRY_MS;
		}
		if (fd < 0)
			connect_failed(err, &e);
	}
	c->console_retry_ms = c->console_give_up_ms = 0;
	if (fd >= 0 && attach(m, c, d, c->stream_serial, c->console_force, fd, &e) == 0)
		conn_send(c, &h, NULL);
	else
		conn_send_error(c, &h, &e);
	return -1;
}

void console_client_packet(struct vmmd *m, struct conn *c, const struct rpc_header *h, const uint8_t *data,
			   size_t len)
{
	bool ours = c->stream && h->proc == PROC_DOMAIN_OPEN_CONSOLE && h->serial == c->stream_serial;

	if (h->status == RPC_CONTINUE) {
		uint8_t *nb;

		if (!ours || c->console_fd < 0 || !len)
			return;
		if (len > CONSOLE_IN_MAX - c->cin_len)
			return; /* the guest is not reading; drop keystrokes */
		nb = realloc(c->cin, c->cin_len + len);
		if (!nb)
			return;
		memcpy(nb + c->cin_len, data, len);
		c->cin = nb;
		c->cin_len += len;
		return;
	}
	/* finish (OK) or abort (ERROR): confirm, even for a stream already gone */
	if (h->proc != PROC_DOMAIN_OPEN_CONSOLE || (c->stream && !ours))
		return;
	if (ours)
		console_detach(m, c);
	{
		struct rpc_header r = { RPC_PROG_REMOTE, RPC_VERS, h->proc, RPC_STREAM, h->serial, RPC_OK };

		conn_send(c, &r, NULL);
	}
}

void console_pump(struct vmmd *m, struct conn *c, bool readable, bool writable)
{
	uint8_t buf[16384];
	ssize_t n;

	if (c->console_fd < 0)
		return;
	if (writable && c->cin_len) {
		n = send(c->console_fd, c->cin, c->cin_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			socket_ended(m, c);
			return;
		}
		if (n > 0) {
			memmove(c->cin, c->cin + n, c->cin_len - (size_t)n);
			c->cin_len -= (size_t)n;
		}
	}
	if (!readable)
		return;
	n = recv(c->console_fd, buf, sizeof buf, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		socket_ended(m, c);
		return;
	}
	stream_send(c, RPC_CONTINUE, buf, (size_t)n); /* < RPC_STREAM_CHUNK */
}
