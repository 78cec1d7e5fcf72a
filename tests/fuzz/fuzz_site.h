/* What the harnesses that drive a whole site share (fuzz_http_request with
 * a C handler, fuzz_app_lua with the kernel's Lua glue): a ustar archive
 * built in memory, and the checks every response of http_conn must pass. */
#ifndef TESTS_FUZZ_FUZZ_SITE_H
#define TESTS_FUZZ_FUZZ_SITE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h> /* memmem: the fuzzers build with -D_GNU_SOURCE */

#include "http/http_conn.h"

/* Appends a ustar member (type '0' file, '5' directory) to img, which holds
 * *len bytes of cap; aborts when it does not fit (a harness bug). End the
 * archive with 1024 zero bytes (fuzz_tar_end). */
static inline void fuzz_tar_add(uint8_t *img, size_t *len, size_t cap, const char *name, const char *data,
				char type)
{
	size_t n = strlen(data);
	uint8_t *h = img + *len;
	unsigned sum = 0;

	if (strlen(name) >= 100 || cap - *len < 512 + (n + 511) / 512 * 512)
		abort();
	memset(h, 0, 512);
	memcpy(h, name, strlen(name));
	memcpy(h + 100, "0000644", 7);
	snprintf((char *)h + 124, 12, "%011zo", n);
	snprintf((char *)h + 136, 12, "%011o", 1700000000u);
	h[156] = (uint8_t)type;
	memcpy(h + 257, "ustar\0" "00", 8);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	memcpy(h + 512, data, n);
	memset(h + 512 + n, 0, (n + 511) / 512 * 512 - n);
	*len += 512 + (n + 511) / 512 * 512;
}

/* The end-of-archive marker: two zero blocks. */
static inline void fuzz_tar_end(uint8_t *img, size_t *len, size_t cap)
{
	if (cap - *len < 1024)
		abort();
	memset(img + *len, 0, 1024);
	*len += 1024;
}

/* One response from http_conn_next or http_conn_timeout, written into hdr
 * (cap bytes): it stays inside the buffer, starts with an HTTP/1.1 status
 * line, is CRLF lines to the blank line (no CR or LF that a handler or a
 * client slipped into a field), has a final status 200-599 (or is a 100
 * interim), and its body is either file bytes inside the file, memory of at
 * most mem_max bytes, or none. */
static inline void fuzz_check_response(const struct http_out *o, const char *hdr, size_t cap, size_t mem_max)
{
	if (o->hdr_len > cap || o->hdr_len < 17 || memcmp(hdr, "HTTP/1.1 ", 9) != 0)
		abort();
	if (o->entry && (o->body_off > o->entry->size || o->body_len > o->entry->size - o->body_off))
		abort();
	if (o->mem && (o->entry || !o->body_len || o->body_len > mem_max))
		abort();
	if (!o->entry && !o->mem && o->body_len)
		abort();
	const char *end = memmem(hdr, o->hdr_len, "\r\n\r\n", 4);
	if (!end)
		abort();
	for (const char *p = hdr; p < end + 2; p++)
		if ((*p == '\r' && p[1] != '\n') || (*p == '\n' && p[-1] != '\r'))
			abort();
	if (o->interim ? o->status != 100 || o->close : o->status < 200 || o->status > 599)
		abort();
	/* the status line says the status the caller was told */
	char code[4];
	snprintf(code, sizeof code, "%03d", o->status);
	if (memcmp(hdr + 9, code, 3) != 0 || hdr[12] != ' ')
		abort();
}

#endif
