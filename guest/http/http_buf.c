#include "http_buf.h"
#include "http_mem.h"

void hb_init(struct hbuf *b, char *p, size_t cap)
{
	b->p = p;
	b->cap = cap;
	b->len = 0;
	b->overflow = false;
}

void hb_put(struct hbuf *b, const void *s, size_t n)
{
	if (b->overflow || n > b->cap - b->len) {
		b->overflow = true;
		return;
	}
	hm_memcpy(b->p + b->len, s, n);
	b->len += n;
}

void hb_str(struct hbuf *b, const char *s)
{
	hb_put(b, s, hm_strlen(s));
}

void hb_ch(struct hbuf *b, char c)
{
	hb_put(b, &c, 1);
}

void hb_u64(struct hbuf *b, uint64_t v)
{
	char tmp[20];

	hb_put(b, tmp, hm_fmt_u64(tmp, v));
}

void hb_hex(struct hbuf *b, uint64_t v)
{
	char tmp[16];

	hb_put(b, tmp, hm_fmt_hex(tmp, v));
}

void hb_u64w(struct hbuf *b, uint64_t v, unsigned width)
{
	char tmp[20];
	size_t n = hm_fmt_u64(tmp, v);

	for (; n < width; width--)
		hb_ch(b, '0');
	hb_put(b, tmp, n);
}

bool hb_cstr(struct hbuf *b)
{
	if (b->overflow || b->len >= b->cap) {
		b->overflow = true;
		if (b->cap)
			b->p[b->cap - 1] = 0;
		return false;
	}
	b->p[b->len] = 0;
	return true;
}
