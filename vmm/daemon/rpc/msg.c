#include "daemon/rpc/msg.h"

uint32_t rpc_frame_len(const uint8_t b[4])
{
	uint32_t n = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];

	if (n < RPC_MIN_LEN || n > RPC_MAX_LEN)
		return 0;
	return n;
}

int rpc_header_decode(const uint8_t *p, size_t len, struct rpc_header *h)
{
	struct xdr_in x;

	xdr_in_init(&x, p, len);
	xdr_get_u32(&x, &h->prog);
	xdr_get_u32(&x, &h->vers);
	xdr_get_i32(&x, &h->proc);
	xdr_get_i32(&x, &h->type);
	xdr_get_u32(&x, &h->serial);
	xdr_get_i32(&x, &h->status);
	return x.bad ? -1 : 0;
}

void rpc_msg_begin(struct xdr_out *out, const struct rpc_header *h)
{
	xdr_put_u32(out, 0);
	xdr_put_u32(out, h->prog);
	xdr_put_u32(out, h->vers);
	xdr_put_i32(out, h->proc);
	xdr_put_i32(out, h->type);
	xdr_put_u32(out, h->serial);
	xdr_put_i32(out, h->status);
}

int rpc_msg_end(struct xdr_out *out, size_t start)
{
	size_t n;

	if (out->bad)
		return -1;
	n = out->len - start;
	if (n > RPC_MAX_LEN)
		return -1;
	xdr_patch_u32(out, start, (uint32_t)n);
	return 0;
}
