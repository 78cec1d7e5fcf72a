/* The RPC message decoder against arbitrary bytes: framing, header, and the
 * argument decoder of every procedure must reject or decode without reading
 * outside the input or leaking. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "daemon/rpc/msg.h"
#include "daemon/rpc/procs.h"
#include "daemon/rpc/verr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a stream of messages, as the daemon's read loop sees it */
	while (size >= 4) {
		uint32_t len = rpc_frame_len(data);
		struct rpc_header h;
		const struct proc_info *info;
		struct rpc_args a;

		if (!len || len > size)
			break;
		if (rpc_header_decode(data + 4, len - 4, &h) == 0) {
			info = proc_lookup(h.proc);
			if (info && rpc_args_decode(info, data + RPC_MIN_LEN, len - RPC_MIN_LEN, &a) == 0) {
				struct xdr_out out;
				struct verr e;

				/* echo the decoded arguments back through the encoder */
				xdr_out_init(&out);
				rpc_msg_begin(&out, &h);
				if (a.has_dom) {
					xdr_put_string(&out, a.dom.name);
					xdr_put_opaque(&out, a.dom.uuid, 16);
				}
				for (int i = 0; i < 2; i++)
					xdr_put_ostring(&out, a.str[i]);
				verr_set(&e, VERR_NO_DOMAIN, "no domain with matching name '%.200s'",
					 a.dom.name ? a.dom.name : "");
				verr_encode(&e, &out);
				rpc_msg_end(&out, 0);
				xdr_out_free(&out);
				rpc_args_free(&a);
			}
		}
		data += len;
		size -= len;
	}
	return 0;
}
