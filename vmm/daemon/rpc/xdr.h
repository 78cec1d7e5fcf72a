/* XDR (RFC 4506) encoding and decoding over memory buffers, as used by
 * libvirt's remote protocol. Decoding never reads past the buffer; every
 * failure latches `bad` so callers may check once at the end. */
#ifndef VMM_DAEMON_RPC_XDR_H
#define VMM_DAEMON_RPC_XDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* libvirt's REMOTE_STRING_MAX. */
#define XDR_STRING_MAX (4u << 20)

struct xdr_in {
	const uint8_t *p;
	size_t len;
	size_t pos;
	bool bad;
};

struct xdr_out {
	uint8_t *buf;
	size_t len;
	size_t cap;
	bool bad; /* out of memory or over XDR_OUT_MAX */
};

void xdr_in_init(struct xdr_in *x, const void *p, size_t len);
int xdr_get_u32(struct xdr_in *x, uint32_t *v);
int xdr_get_i32(struct xdr_in *x, int32_t *v);
int xdr_get_u64(struct xdr_in *x, uint64_t *v);
int xdr_get_opaque(struct xdr_in *x, void *dst, size_t n); /* fixed, padded */
/* Variable-length string, at most max bytes, no NUL inside; *out is malloc'd
 * and NUL-terminated. */
int xdr_get_string(struct xdr_in *x, size_t max, char **out);
/* Optional string: *out is NULL when absent. */
int xdr_get_ostring(struct xdr_in *x, size_t max, char **out);
bool xdr_in_done(const struct xdr_in *x); /* all consumed, nothing bad */

void xdr_out_init(struct xdr_out *x);
void xdr_out_free(struct xdr_out *x);
void xdr_put_u32(struct xdr_out *x, uint32_t v);
void xdr_put_i32(struct xdr_out *x, int32_t v);
void xdr_put_u64(struct xdr_out *x, uint64_t v);
void xdr_put_opaque(struct xdr_out *x, const void *src, size_t n); /* fixed, padded */
void xdr_put_raw(struct xdr_out *x, const void *src, size_t n);    /* no padding */
void xdr_put_string(struct xdr_out *x, const char *s);
void xdr_put_ostring(struct xdr_out *x, const char *s); /* NULL = absent */
/* Patches a big-endian word already written at offset off. */
void xdr_patch_u32(struct xdr_out *x, size_t off, uint32_t v);

#endif
