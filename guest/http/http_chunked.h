/* The chunked transfer coding of a request body (RFC 9112 section 7.1),
 * decoded incrementally: bytes may arrive one at a time, so the decoder
 * keeps its place in a small state machine and never needs to buffer a
 * chunk-size line. Chunk extensions are skipped, trailer fields checked
 * for shape and dropped. Strict on purpose: chunked framing that two
 * parsers read differently is how requests are smuggled, so every line
 * must end in CRLF exactly and anything unexpected is a 400. */
#ifndef GUEST_HTTP_CHUNKED_H
#define GUEST_HTTP_CHUNKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_chunked {
	uint8_t state;
	uint64_t left;   /* data bytes of the current chunk still to come */
	uint64_t total;  /* data bytes decoded so far */
	uint64_t max;    /* more data than this: 413 */
	size_t meta;     /* bytes of the current size line, or of the trailers */
	size_t meta_max; /* a longer size line or trailer section: 400 */
};

enum http_chunked_res {
	HTTP_CHUNKED_MORE,  /* all input used (perhaps some data found); send more */
	HTTP_CHUNKED_DONE,  /* the body ended (its last CRLF was consumed) */
	HTTP_CHUNKED_ERROR  /* *status: 400 malformed, 413 over max */
};

void http_chunked_init(struct http_chunked *d, uint64_t max, size_t meta_max);

/* Decodes from in[0, n). Returns after one run of data bytes (data bytes
 * in[*data, *data + *dlen); *dlen is 0 when there are none), at the end of
 * the body, at an error, or when the input is used up. *used is how much
 * of in was consumed: after DONE, in[*used..] is the next request. Call
 * again with the rest while it returns MORE with *used < n. */
enum http_chunked_res http_chunked_step(struct http_chunked *d, const char *in, size_t n,
					size_t *used, size_t *data, size_t *dlen, int *status);

#endif
