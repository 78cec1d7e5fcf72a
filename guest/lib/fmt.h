/* printf-style formatting for freestanding guests, into any sink: the site
 * kernel's buffered console and the test guests' polled COM1 share it.
 * Conversions: %s (%.*s), %c, %d, %u, %x with an optional l or z and a
 * width (zero-padded with a leading 0), %%. */
#ifndef GUEST_LIB_FMT_H
#define GUEST_LIB_FMT_H

#include <stdarg.h>
#include <stddef.h>

typedef void (*fmt_sink)(void *ctx, const char *s, size_t n);

void fmt_vprint(fmt_sink out, void *ctx, const char *fmt, va_list ap);

#endif
