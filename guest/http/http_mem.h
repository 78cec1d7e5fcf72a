/* Byte and string helpers for the web stack. The guest has no libc, so the
 * library carries its own; the names are prefixed (hm_) so the same objects
 * also link into host programs next to the real libc without clashing. */
#ifndef GUEST_HTTP_MEM_H
#define GUEST_HTTP_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A run of bytes inside some buffer: request fields, config values. */
struct http_slice {
	const char *p; /* NULL when absent */
	size_t n;
};

void *hm_memcpy(void *dst, const void *src, size_t n);
void *hm_memmove(void *dst, const void *src, size_t n);
void *hm_memset(void *dst, int c, size_t n);
int hm_memcmp(const void *a, const void *b, size_t n);
const void *hm_memchr(const void *p, int c, size_t n);
size_t hm_strlen(const char *s);

/* ASCII only: HTTP tokens are case-insensitive in ASCII, never in locale. */
char hm_lower(char c);
bool hm_caseeq(const char *a, size_t an, const char *b, size_t bn);
/* Is the C string lit equal (case-insensitively) to the slice p/n? */
bool hm_caseeq_lit(const char *p, size_t n, const char *lit);
bool hm_isdigit(char c);

/* Parses all of p/n as a decimal number; false on empty, non-digits or a
 * value above max. Network and archive numbers go through here so every
 * overflow is caught in one place. */
bool hm_parse_u64(const char *p, size_t n, uint64_t max, uint64_t *out);

/* Writes v in decimal (or lowercase hex) to out without a terminator;
 * returns the digit count. out needs 20 (16 for hex) bytes. */
size_t hm_fmt_u64(char *out, uint64_t v);
size_t hm_fmt_hex(char *out, uint64_t v);
/* The value of one hex digit, -1 when c is not one. */
int hm_hexval(char c);

#endif
