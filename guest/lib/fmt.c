#include "guest/lib/fmt.h"

#include <stdint.h>

#include "guest/lib/string.h"

static void put_uint(fmt_sink out, void *ctx, uint64_t v, unsigned base, int width, char pad)
{
	char buf[24], rev[24];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n < width && n < (int)sizeof buf)
		buf[n++] = pad;
	for (int i = 0; i < n; i++)
		rev[i] = buf[n - 1 - i];
	out(ctx, rev, (size_t)n);
}

void fmt_vprint(fmt_sink out, void *ctx, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		int lng = 0, width = 0, prec = -1;
		char pad = ' ';

		if (*fmt != '%') {
			const char *s = fmt;
			while (fmt[1] && fmt[1] != '%')
				fmt++;
			out(ctx, s, (size_t)(fmt - s + 1));
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (*fmt == '.' && fmt[1] == '*') {
			prec = va_arg(ap, int);
			fmt += 2;
		}
		while (*fmt == 'l' || *fmt == 'z') {
			lng = 1;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			out(ctx, s, prec >= 0 ? (size_t)prec : strlen(s));
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);
			out(ctx, &c, 1);
			break;
		}
		case 'u': put_uint(out, ctx, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width, pad); break;
		case 'd': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			if (v < 0) {
				out(ctx, "-", 1);
				v = -v;
			}
			put_uint(out, ctx, (uint64_t)v, 10, width, pad);
			break;
		}
		case 'x': put_uint(out, ctx, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width, pad); break;
		case '%': out(ctx, "%", 1); break;
		case 0: return;
		default: out(ctx, "?", 1); break;
		}
	}
}
