/* virtio-vsock as a device type: `--cid`, `--publish`, `--vsock-connect`
 * (any of them adds the device). For the whole run it holds the CID lock
 * and the --publish listeners (host/), which each boot attaches to its
 * device, so clients keep connecting across guest resets. It tells
 * --idle-stop whether the guest is in use (connections, waiting clients). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/vsock_cid.h"
#include "host/vsock_connect.h"
#include "host/vsock_publish.h"
#include "machine/devices.h"
#include "util/size.h"
#include "virtio/vsock.h"

/* The tables last, the counts first: only the pages of the entries given
 * become resident (util/zalloc.h). */
struct vsock_run_config {
	uint64_t cid; /* 0: pick a free one (host_open fills it in) */
	unsigned npublish;
	unsigned nvconnect;
	struct vsock_routes routes;   /* the backend's view of vconnect */
	struct vsock_backend backend;
	struct publish_config publish[VSOCK_MAX_PUBLISH];
	struct vsock_connect_config vconnect[VSOCK_MAX_PUBLISH];
};

struct vsock_host {
	struct vsock_cid cid;
	struct vsock_listeners listeners;
};

enum { OPT_CID, OPT_PUBLISH, OPT_VSOCK_CONNECT };

static const struct device_option options[] = {
	[OPT_CID] = { "cid", true,
		      "      --cid N            the guest's vsock CID, 3-4294967294 (default: a free one);\n"
		      "                         any vsock option adds a virtio-vsock device\n" },
	[OPT_PUBLISH] = { "publish", true,
			  "      --publish [ADDR:]HOSTPORT:GUESTPORT  each TCP client on ADDR:HOSTPORT\n"
			  "                         (default ADDR 127.0.0.1) becomes a vsock stream to GUESTPORT\n"
			  "      --publish unix:PATH:GUESTPORT[,mode=OCTAL][,group=NAME|GID]\n"
			  "                         the same for a unix socket at PATH, with those permission\n"
			  "                         bits (default: the umask's) and group; a socket there that a\n"
			  "                         server answers on is refused, a stale one (nobody listening)\n"
			  "                         replaced; at exit vmm removes the socket only if it is still\n"
			  "                         the one it made (jailed, it cannot: the next vmm replaces it)\n"
			  "      --publish fd:N:GUESTPORT  the same for a listening unix or TCP socket the\n"
			  "                         parent passed as fd N (N >= 3); it stays the parent's: clients\n"
			  "                         vmm does not accept wait in its backlog for the next vmm\n"
			  "                         A client the guest neither accepts nor refuses within 2 s\n"
			  "                         is reset; one that hangs up while waiting is closed at once\n" },
	[OPT_VSOCK_CONNECT] = { "vsock-connect", true,
				"      --vsock-connect GUESTPORT=unix:PATH  let the guest connect to host port\n"
				"                         GUESTPORT, which reaches the unix socket PATH (others: refused);\n"
				"                         jailed, vmm connects as its --uid: PATH must be writable by it\n" },
	{ NULL, false, NULL },
};

static int parse(void *config, unsigned opt, const char *arg, struct err *e)
{
	struct vsock_run_config *c = config;
	uint64_t v;

	switch (opt) {
	case OPT_CID:
		if (parse_uint(arg, 0, UINT64_MAX, &v) < 0 || v < VSOCK_CID_MIN || v > VSOCK_CID_MAX)
			return err_set(e, "--cid '%s': must be a number in %u-%llu", arg, VSOCK_CID_MIN,
				       (unsigned long long)VSOCK_CID_MAX);
		c->cid = v;
		return 0;
	case OPT_PUBLISH:
		if (c->npublish == VSOCK_MAX_PUBLISH)
			return err_set(e, "--publish: at most %u", VSOCK_MAX_PUBLISH);
		if (publish_parse(arg, &c->publish[c->npublish], e) < 0)
			return -1;
		c->npublish++;
		return 0;
	default:
		if (c->nvconnect == VSOCK_MAX_PUBLISH)
			return err_set(e, "--vsock-connect: at most %u", VSOCK_MAX_PUBLISH);
		if (vsock_connect_parse(arg, &c->vconnect[c->nvconnect], e) < 0)
			return -1;
		c->nvconnect++;
		c->routes = (struct vsock_routes){ c->vconnect, c->nvconnect };
		c->backend = (struct vsock_backend){ vsock_routes_connect, &c->routes };
		return 0;
	}
}

/* A taken CID or a port in use is reported before the guest boots. */
static int host_open(void *config, void **host, struct err *e)
{
	struct vsock_run_config *c = config;
	struct vsock_host *h = calloc(1, sizeof *h);

	if (!h)
		return err_set(e, "out of memory");
	h->cid.lock_fd = -1;
	if (vsock_cid_claim(&h->cid, c->cid, e) < 0) {
		free(h);
		return -1;
	}
	if (vsock_listeners_open(&h->listeners, c->publish, c->npublish, e) < 0) {
		vsock_cid_release(&h->cid);
		free(h);
		return -1;
	}
	c->cid = h->cid.cid;
	*host = h;
	return 0;
}

static void host_close(void *host)
{
	struct vsock_host *h = host;

	vsock_listeners_close(&h->listeners);
	vsock_cid_release(&h->cid);
	free(h);
}

static int open_vsock(void *state, const void *config, unsigned i, struct err *e)
{
	const struct vsock_run_config *c = config;

	(void)i;
	return vsock_dev_init(state, c->cid, &c->backend, e);
}

/* A --publish client for this boot's device. */
static void take_client(void *ctx, int fd, bool is_tcp, uint32_t guest_port)
{
	vsock_dev_host_connect(ctx, fd, is_tcp, guest_port);
}

static int attach(void *state, unsigned i, const struct device_env *env, uint64_t base, unsigned gsi, void *host,
		  struct err *e)
{
	struct vsock_host *h = host;

	(void)i;
	if (vsock_dev_attach(state, env->mem, env->kvm, base, gsi, env->loop, e) < 0)
		return -1;
	return h ? vsock_listeners_attach(&h->listeners, env->loop, take_client, state, e) : 0;
}

/* --idle-stop: an open connection or a client waiting in a listener's
 * backlog is use; every connection made counts as activity. */
static bool in_use(void *state, void *host, uint64_t *activity)
{
	struct vsock_dev *vs = state;
	struct vsock_host *h = host;

	*activity += vs->stats.conns;
	return vsock_dev_open_conns(vs) > 0 || (h && vsock_listeners_pending(&h->listeners));
}

/* --idle-stop: from now on clients wait in the listeners' backlogs, for the
 * next vmm the parent starts on the same sockets; none is accepted and dropped. */
static void quiesce(void *state, void *host)
{
	struct vsock_host *h = host;

	(void)state;
	if (h)
		vsock_listeners_detach(&h->listeners);
}

static void print_stats(const void *state)
{
	const struct vsock_stats *v = &((const struct vsock_dev *)state)->stats;

	fprintf(stderr,
		"vmm: stats: virtio-vsock: to guest %llu packets %llu bytes, from guest %llu packets %llu bytes, "
		"connections %llu, resets sent %llu, bad packets %llu, requests timed out %llu, "
		"clients gone while waiting %llu\n",
		(unsigned long long)v->rx_pkts, (unsigned long long)v->rx_bytes, (unsigned long long)v->tx_pkts,
		(unsigned long long)v->tx_bytes, (unsigned long long)v->conns, (unsigned long long)v->rsts_sent,
		(unsigned long long)v->bad_pkts, (unsigned long long)v->timeouts, (unsigned long long)v->gone);
}

/* Its connections first; it destroys its own transport. */
static void close_vsock(void *state)
{
	vsock_dev_destroy(state);
}

_Static_assert(offsetof(struct vsock_dev, dev) == 0, "the transport finds the device at the start of its state");

static unsigned run_paths(const void *config, const char **out, unsigned max)
{
	const struct vsock_run_config *c = config;

	for (unsigned i = 0; i < c->nvconnect && i < max; i++)
		out[i] = c->vconnect[i].path;
	return c->nvconnect;
}

const struct device_type vsock_device_type = {
	.name = "virtio-vsock",
	.options = options,
	.config_size = sizeof(struct vsock_run_config),
	.parse = parse,
	.host_open = host_open,
	.host_close = host_close,
	.state_size = sizeof(struct vsock_dev),
	.open = open_vsock,
	.attach = attach,
	.in_use = in_use,
	.quiesce = quiesce,
	.run_paths = run_paths,
	.print_stats = print_stats,
	.close = close_vsock,
};
