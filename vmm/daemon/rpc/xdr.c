#include "daemon/rpc/xdr.h"

#include <stdlib.h>
#include <string.h>

/* Messages are at most 32 MiB; nothing we encode may grow beyond that. */
#define XDR_OUT_MAX ((size_t)(32u << 20) + 4)

static size_t pad4(size_t n)
{
	return (4 - (n & 3)) & 3;
}

void xdr_in_init(struct xdr_in *x, const void *p, size_t len)
{
	x->p = p;
	x->len = len;
	x->pos = 0;
	x->bad = false;
}

static const uint8_t *take(struct xdr_in *x, size_t n)
{
	const uint8_t *r;

	if (x->bad || n > x->len - x->pos) {
		x->bad = true;
		return NULL;
	}
	r = x->p + x->pos;
	x->pos += n;
	return r;
}

int xdr_get_u32(struct xdr_in *x, uint32_t *v)
{
	const uint8_t *b = take(x, 4);

	if (!b)
		return -1;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return 0;
}

int xdr_get_i32(struct xdr_in *x, int32_t *v)
{
	uint32_t u;

	if (xdr_get_u32(x, &u) < 0)
		return -1;
	*v = (int32_t)u;
	return 0;
}

int xdr_get_u64(struct xdr_in *x, uint64_t *v)
{
	uint32_t hi, lo;

	if (xdr_get_u32(x, &hi) < 0 || xdr_get_u32(x, &lo) < 0)
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int xdr_get_opaque(struct xdr_in *x, void *dst, size_t n)
{
	const uint8_t *b = take(x, n);

	if (!b || !take(x, pad4(n)))
		return -1;
	memcpy(dst, b, n);
	return 0;
}

int xdr_get_string(struct xdr_in *x, size_t max, char **out)
{
	const uint8_t *b;
	uint32_t n;
	char *s;

	*out = NULL;
	if (xdr_get_u32(x, &n) < 0)
		return -1;
	if (n > max || n > x->len - x->pos) {
		x->bad = true;
		return -1;
	}
	b = take(x, n);
	if (!b || !take(x, pad4(n)) || memchr(b, 0, n)) {
		x->bad = true;
		return -1;
	}
	s = malloc((size_t)n + 1);
	if (!s) {
		x->bad = true;
		return -1;
	}
	memcpy(s, b, n);
	s[n] = 0;
	*out = s;
	return 0;
}

int xdr_get_ostring(struct xdr_in *x, size_t max, char **out)
{
	uint32_t present;

	*out = NULL;
	if (xdr_get_u32(x, &present) < 0)
		return -1;
	if (present > 1) {
		x->bad = true;
		return -1;
	}
	return present ? xdr_get_string(x, max, out) : 0;
}

bool xdr_in_done(const struct xdr_in *x)
{
	return !x->bad && x->pos == x->len;
}

void xdr_out_init(struct xdr_out *x)
{
	memset(x, 0, sizeof *x);
}

void xdr_out_free(struct xdr_out *x)
{
	free(x->buf);
	xdr_out_init(x);
}

static uint8_t *grow(struct xdr_out *x, size_t n)
{
	uint8_t *r;

	if (x->bad || n > XDR_OUT_MAX - x->len) {
		x->bad = true;
		return NULL;
	}
	if (x->len + n > x->cap) {
		size_t cap = x->cap ? x->cap : 256;
		uint8_t *nb;

		while (cap < x->len + n)
			cap *= 2;
		nb = realloc(x->buf, cap);
		if (!nb) {
			x->bad = true;
			return NULL;
		}
		x->buf = nb;
		x->cap = cap;
	}
	r = x->buf + x->len;
	x->len += n;
	return r;
}

void xdr_put_u32(struct xdr_out *x, uint32_t v)
{
	uint8_t *b = grow(x, 4);

	if (!b)
		return;
	b[0] = v >> 24;
	b[1] = v >> 16;
	b[2] = v >> 8;
	b[3] = v;
}

void xdr_put_i32(struct xdr_out *x, int32_t v)
{
	xdr_put_u32(x, (uint32_t)v);
}

void xdr_put_u64(struct xdr_out *x, uint64_t v)
{
	xdr_put_u32(x, v >> 32);
	xdr_put_u32(x, (uint32_t)v);
}

void xdr_put_raw(struct xdr_out *x, const void *src, size_t n)
{
	uint8_t *b = grow(x, n);

	if (b && n)
		memcpy(b, src, n);
}

void xdr_put_opaque(struct xdr_out *x, const void *src, size_t n)
{
	static const uint8_t zero[4];

	xdr_put_raw(x, src, n);
	xdr_put_raw(x, zero, pad4(n));
}

void xdr_put_string(struct xdr_out *x, const char *s)
{
	size_t n = strlen(s);

	if (n > XDR_STRING_MAX) {
		x->bad = true;
		return;
	}
	xdr_put_u32(x, (uint32_t)n);
	xdr_put_opaque(x, s, n);
}

void xdr_put_ostring(struct xdr_out *x, const char *s)
{
	xdr_put_u32(x, s ? 1 : 0);
	if (s)
		xdr_put_string(x, s);
}

void xdr_patch_u32(struct xdr_out *x, size_t off, uint32_t v)
{
	if (x->bad || off + 4 > x->len)
		return;
	x->buf[off] = v >> 24;
	x->buf[off + 1] = v >> 16;
	x->buf[off + 2] = v >> 8;
	x->buf[off + 3] = v;
}
