#include "daemon/rpc/stream.h"

#include <stdio.h>

#include "daemon/rpc/procs.h"
#include "daemon/rpc/verr.h"

void stream_end_set(struct conn *c, const char *error)
{
	if (c->stream_end != STREAM_END_NONE)
		return; /* the first end stands (a restarted instance is another) */
	c->stream_end = error ? STREAM_END_ERROR : STREAM_END_EOF;
	snprintf(c->stream_end_msg, sizeof c->stream_end_msg, "%s", error ? error : "");
}

void stream_end_send(struct conn *c)
{
	struct rpc_header h = { RPC_PROG_REMOTE, RPC_VERS, PROC_DOMAIN_OPEN_CONSOLE, RPC_STREAM, c->stream_serial,
				RPC_CONTINUE };
	struct xdr_out p;
	struct verr e;

	if (!c->stream || c->console_fd >= 0 ||
	    (c->stream_end != STREAM_END_EOF && c->stream_end != STREAM_END_ERROR))
		return;
	xdr_out_init(&p);
	if (c->stream_end == STREAM_END_ERROR) {
		/* what libvirtd sends when reading a stream's source fails:
		 * status ERROR with a remote_error; the client raises it from
		 * its next virStreamRecv */
		verr_set(&e, VERR_SYSTEM_ERROR, "%s", c->stream_end_msg);
		verr_encode(&e, &p);
		h.status = RPC_ERROR;
		c->stream = false;
	}
	conn_send(c, &h, &p);
	xdr_out_free(&p);
	c->stream_end = STREAM_END_SENT;
}
