/* virtio-vsock packet handling against arbitrary guest memory and queue
 * state: the first 64 bytes of the input set the tx and rx queues and the
 * state of two host connections (unix socketpairs, to guest ports 1234 and
 * 1235, our ports 49152 and 49153); the rest is guest RAM from address 0.
 * Each run processes the tx queue, feeds host data to the rx queue, and
 * checks nothing escapes the bounds (ASan/UBSan) or crashes. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_queue.h"
#include "host/vsock_connect.h"
#include "virtio/vsock.h"
#include "virtio/vsock_conn.h"

#define RAM (4u << 20)

static struct guest_mem mem;
static struct vsock_dev vs;
static const struct vsock_connect_config route = { 7000, "/nonexistent/vsock-fuzz.sock" };
static const struct vsock_routes routes = { &route, 1 };
static const struct vsock_backend backend = { vsock_routes_connect, &routes };

static void init(void)
{
	struct err e;

	signal(SIGPIPE, SIG_IGN);
	if (guest_mem_alloc(&mem, RAM, &e) < 0 || vsock_dev_init(&vs, 3, &backend, &e) < 0)
		abort();
	pthread_mutex_init(&vs.dev.lock, NULL);
	vs.dev.priv = &vs;
	vs.dev.mem = &mem;
	vs.dev.irq_fd = eventfd(0, EFD_NONBLOCK);
	strcpy(vs.dev.name, "fuzz-vsock");
}

static void drop_all(void)
{
	for (unsigned b = 0; b < VSOCK_HASH; b++)
		while (vs.hash[b])
			vsock_conn_free(vs.hash[b], true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t w[16];
	int peer[2] = { -1, -1 };

	if (!mem.host)
		init();
	if (!fuzz_load(data, size, w, 16, &mem))
		return 0;
	vs.dev.status = 4; /* DRIVER_OK */
	vs.dev.failed = false;
	vs.rx_held = vs.rx_quiet = false;
	vs.rst_len = 0;
	vs.next_port = 49152;
	fuzz_set_queue(&vs.dev.q[VSOCK_QUEUE_RX], &mem, RAM, w);
	fuzz_set_queue(&vs.dev.q[VSOCK_QUEUE_TX], &mem, RAM, w + 6);
	for (int i = 0; i < 2; i++) {
		int sv[2];
		struct vsock_conn *c;

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
			abort();
		vsock_dev_host_connect(&vs, sv[0], false, 1234 + (uint32_t)i);
		peer[i] = sv[1];
		c = vsock_conn_find(&vs, 49152 + (uint32_t)i, 1234 + (uint32_t)i);
		if (c && (w[12] >> i) & 1) { /* as if the guest had answered */
			c->state = VCONN_ESTABLISHED;
			c->want = 0;
			c->peer_buf_alloc = w[13] >> (16 * i);
		}
	}
	/* Host data waiting for the guest on the first connection. */
	if (w[14] & 1) {
		char buf[512];
		memset(buf, 'h', sizeof buf);
		if (write(peer[0], buf, (w[14] >> 1) % sizeof buf + 1) < 0)
			abort();
	}
	vsock_queue_notify(&vs.dev, VSOCK_QUEUE_TX);
	for (int i = 0; i < 2; i++) {
		struct vsock_conn *c = vsock_conn_find(&vs, 49152 + (uint32_t)i, 1234 + (uint32_t)i);
		if (c && c->fd >= 0)
			vsock_conn_event(c, (w[15] >> (8 * i)) & (EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLERR | EPOLLRDHUP));
	}
	/* As if the request timer fired with every deadline past. */
	if (w[15] >> 31)
		vsock_dev_expire(&vs, UINT64_MAX);
	vsock_queue_notify(&vs.dev, VSOCK_QUEUE_RX);
	drop_all();
	for (int i = 0; i < 2; i++)
		if (peer[i] >= 0)
			close(peer[i]);
	return 0;
}
