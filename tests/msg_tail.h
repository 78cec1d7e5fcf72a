/* check aborts a test whose failure message outgrows its limit (4 KiB) with
 * "Message string too long", hiding the real failure, and a guest's or a
 * client's output can be any length: failure messages quote only its end. */
#ifndef TESTS_MSG_TAIL_H
#define TESTS_MSG_TAIL_H

#include <string.h>

#define MSG_TAIL_BYTES 1200 /* two of them and the format still fit */

static inline const char *msg_tail(const char *s)
{
	size_t n;

	if (!s)
		return "(null)";
	n = strlen(s);
	return n > MSG_TAIL_BYTES ? s + n - MSG_TAIL_BYTES : s;
}

#endif
