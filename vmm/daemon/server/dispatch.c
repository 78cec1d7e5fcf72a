#include "daemon/server/dispatch.h"

#include "daemon/proc/proc.h"
#include "daemon/rpc/procs.h"

static void keepalive(struct conn *c, const struct rpc_header *h)
{
	struct rpc_header pong = { RPC_PROG_KEEPALIVE, RPC_VERS, KEEPALIVE_PONG, RPC_MESSAGE, 0, RPC_OK };

	if (h->vers == RPC_VERS && h->proc == KEEPALIVE_PING && h->type == RPC_MESSAGE)
		conn_send(c, &pong, NULL);
	/* PONGs and anything else on this program get no answer */
}

static void call(struct vmmd *m, struct conn *c, const struct rpc_header *h, const uint8_t *p, size_t len)
{
	const struct proc_info *info = proc_lookup(h->proc);
	proc_fn fn = info ? proc_handler(h->proc) : NULL;
	struct call ctx = { m, c, h };
	struct rpc_header rh = *h;
	struct rpc_args a;
	struct xdr_out out;
	struct verr e;
	int r;

	if (!fn) {
		verr_unknown_proc(&e, h->proc);
		conn_send_error(c, h, &e);
		return;
	}
	if (!c->opened && !(info->flags & PROC_BEFORE_OPEN)) {
		verr_set(&e, VERR_INTERNAL_ERROR, "hypervisor connection not open");
		conn_send_error(c, h, &e);
		return;
	}
	if (c->readonly && (info->flags & PROC_CHANGES_STATE)) {
		verr_set(&e, VERR_OPERATION_DENIED, "read only access prevents %s", info->name);
		conn_send_error(c, h, &e);
		return;
	}
	if (rpc_args_decode(info, p, len, &a) < 0) {
		verr_set(&e, VERR_RPC, "Unable to decode message payload");
		conn_send_error(c, h, &e);
		return;
	}
	xdr_out_init(&out);
	r = fn(&ctx, &a, &out, &e);
	if (r < 0) {
		conn_send_error(c, h, &e);
	} else if (r == 0) {
		rh.type = RPC_REPLY;
		rh.status = RPC_OK;
		conn_send(c, &rh, &out);
	}
	xdr_out_free(&out);
	rpc_args_free(&a);
}

void dispatch_message(struct vmmd *m, struct conn *c, const uint8_t *msg, size_t len)
{
	struct rpc_header h;
	struct verr e;

	if (rpc_header_decode(msg + 4, len - 4, &h) < 0) {
		c->dead = true;
		return;
	}
	if (h.prog == RPC_PROG_KEEPALIVE) {
		keepalive(c, &h);
		return;
	}
	if (h.prog != RPC_PROG_REMOTE || h.vers != RPC_VERS) {
		verr_set(&e, VERR_RPC, "no program %u version %u on this server", h.prog, h.vers);
		conn_send_error(c, &h, &e);
		return;
	}
	if (h.type == RPC_STREAM) {
		console_client_packet(m, c, &h, msg + RPC_MIN_LEN, len - RPC_MIN_LEN);
		return;
	}
	if (h.type != RPC_CALL) {
		if (h.type == RPC_CALL_WITH_FDS) {
			verr_set(&e, VERR_RPC, "Unexpected message type %d", h.type);
			conn_send_error(c, &h, &e);
		}
		return; /* replies, events and holes from a client: ignored */
	}
	if (h.status != RPC_OK) {
		verr_set(&e, VERR_RPC, "Unexpected message status %d", h.status);
		conn_send_error(c, &h, &e);
		return;
	}
	call(m, c, &h, msg + RPC_MIN_LEN, len - RPC_MIN_LEN);
}

void dispatch_refuse(struct conn *c, const uint8_t *msg, size_t len, const struct verr *e)
{
	struct rpc_header h;

	if (len < RPC_MIN_LEN || rpc_header_decode(msg + 4, RPC_MIN_LEN - 4, &h) < 0) {
		c->dead = true;
		return;
	}
	if (h.prog == RPC_PROG_KEEPALIVE)
		keepalive(c, &h);
	else if (h.type == RPC_CALL || h.type == RPC_CALL_WITH_FDS)
		conn_send_error(c, &h, e);
}
