/* A bounded output buffer: appends never write past the end; they set a
 * sticky overflow flag instead, so a writer checks once at the end rather
 * than after every piece. */
#ifndef GUEST_HTTP_BUF_H
#define GUEST_HTTP_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hbuf {
	char *p;
	size_t cap;
	size_t len;
	bool overflow;
};

void hb_init(struct hbuf *b, char *p, size_t cap);
void hb_put(struct hbuf *b, const void *s, size_t n);
void hb_str(struct hbuf *b, const char *s);
void hb_ch(struct hbuf *b, char c);
void hb_u64(struct hbuf *b, uint64_t v);
void hb_hex(struct hbuf *b, uint64_t v);
/* Decimal with at least width digits, zero padded (dates). */
void hb_u64w(struct hbuf *b, uint64_t v, unsigned width);
/* Adds a NUL after the content (not counted in len); false on overflow. */
bool hb_cstr(struct hbuf *b);

#endif
