/* Error values carried up to the edge (main) and reported there, once. */
#ifndef VMM_UTIL_ERR_H
#define VMM_UTIL_ERR_H

#include <stdarg.h>

struct err {
	char msg[512];
};

/* Records a message (printf-style) and returns -1 so callers can `return err_set(...)`. */
int err_set(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like err_set, with ": strerror(errno)" appended. */
int err_errno(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
