#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void err_vset(struct err *e, const char *fmt, va_list ap)
{
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
}

int err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	err_vset(e, fmt, ap);
	va_end(ap);
	return -1;
}

/* The words for an errno the same whichever C library vmm is linked with
 * (the release binary has musl, vmm-san and the tests glibc): where musl
 * words one a user meets differently, glibc's. */
static const char *errno_text(int n)
{
	switch (n) {
	case EADDRINUSE: return "Address already in use"; /* musl: "Address in use" */
	default: return strerror(n);
	}
}

int err_errno(struct err *e, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	if (!e)
		return -1;
	va_start(ap, fmt);
	err_vset(e, fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof e->msg - n, ": %s", errno_text(saved));
	errno = saved;
	return -1;
}
