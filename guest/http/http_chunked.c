#include "http_chunked.h"
#include "http_parse.h"

enum {
	S_SIZE0,   /* first hex digit of a chunk size */
	S_SIZE,    /* more hex digits */
	S_BWS,     /* whitespace after the size: only before ';' */
	S_EXT,     /* chunk extension, skipped up to CR */
	S_SIZE_LF, /* LF ending the size line */
	S_DATA,
	S_DATA_CR, /* CRLF after the chunk's data */
	S_DATA_LF,
	S_TRAILER, /* a trailer field starts here, or the final CRLF */
	S_TNAME,   /* trailer field name, up to ':' */
	S_TVAL,    /* trailer field value, up to CR */
	S_TLF,
	S_END_LF,  /* LF of the final CRLF */
	S_DONE,
	S_ERROR,
};

/* Sums stay far below 2^64 with this cap: a size never exceeds the room
 * left (checked as each digit is added), and the room is at most this. */
#define MAX_CAP (1ull << 58)

void http_chunked_init(struct http_chunked *d, uint64_t max, size_t meta_max)
{
	d->state = S_SIZE0;
	d->left = d->total = 0;
	d->max = max < MAX_CAP ? max : MAX_CAP;
	d->meta = 0;
	d->meta_max = meta_max;
}

/* Field value and extension bytes: visible, space or tab; no other control
 * byte (a bare CR or LF above all). */
static bool text(unsigned char c)
{
	return (c >= 0x20 && c != 0x7f) || c == '\t';
}

/* One metadata byte; returns the next state, or S_ERROR. */
static uint8_t meta_byte(struct http_chunked *d, char ch, int *status)
{
	unsigned char c = (unsigned char)ch;
	int h;

	if (++d->meta > d->meta_max) {
		*status = 400;
		return S_ERROR;
	}
	*status = 400;
	switch (d->state) {
	case S_SIZE0:
	case S_SIZE:
		h = hm_hexval(ch);
		if (h >= 0) {
			/* Over the limit already: refuse before any data comes.
			 * left <= max - total <= MAX_CAP, so this cannot wrap. */
			if (d->left * 16 + (uint64_t)h > d->max - d->total) {
				*status = 413;
				return S_ERROR;
			}
			d->left = d->left * 16 + (uint64_t)h;
			return S_SIZE;
		}
		if (d->state == S_SIZE0)
			return S_ERROR;
		if (c == ';')
			return S_EXT;
		if (c == ' ' || c == '\t')
			return S_BWS;
		return c == '\r' ? S_SIZE_LF : S_ERROR;
	case S_BWS:
		if (c == ' ' || c == '\t')
			return S_BWS;
		return c == ';' ? S_EXT : S_ERROR;
	case S_EXT:
		if (c == '\r')
			return S_SIZE_LF;
		return text(c) ? S_EXT : S_ERROR;
	case S_SIZE_LF:
		if (c != '\n')
			return S_ERROR;
		if (d->left)
			return S_DATA;
		d->meta = 0; /* the trailers get their own allowance */
		return S_TRAILER;
	case S_DATA_CR:
		return c == '\r' ? S_DATA_LF : S_ERROR;
	case S_DATA_LF:
		if (c != '\n')
			return S_ERROR;
		d->meta = 0;
		return S_SIZE0;
	case S_TRAILER:
		if (c == '\r')
			return S_END_LF;
		return http_tchar(c) ? S_TNAME : S_ERROR;
	case S_TNAME:
		if (c == ':')
			return S_TVAL;
		return http_tchar(c) ? S_TNAME : S_ERROR;
	case S_TVAL:
		if (c == '\r')
			return S_TLF;
		return text(c) ? S_TVAL : S_ERROR;
	case S_TLF:
		return c == '\n' ? S_TRAILER : S_ERROR;
	case S_END_LF:
		return c == '\n' ? S_DONE : S_ERROR;
	default:
		return S_ERROR;
	}
}

enum http_chunked_res http_chunked_step(struct http_chunked *d, const char *in, size_t n,
					size_t *used, size_t *data, size_t *dlen, int *status)
{
	size_t i = 0;

	*data = *dlen = 0;
	*status = 0;
	while (i < n && d->state != S_DONE && d->state != S_ERROR) {
		if (d->state == S_DATA) {
			size_t k = n - i;
			if (k > d->left)
				k = (size_t)d->left;
			*data = i;
			*dlen = k;
			d->left -= k;
			d->total += k;
			i += k;
			if (!d->left)
				d->state = S_DATA_CR;
			break; /* one run of data per call */
		}
		d->state = meta_byte(d, in[i++], status);
	}
	*used = i;
	if (d->state == S_ERROR) {
		if (!*status)
			*status = 400;
		return HTTP_CHUNKED_ERROR;
	}
	if (d->state == S_DONE)
		return HTTP_CHUNKED_DONE;
	*status = 0;
	return HTTP_CHUNKED_MORE;
}
