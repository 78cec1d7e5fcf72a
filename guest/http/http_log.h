/* Access log lines in Common Log Format:
 *   peer - - [06/Nov/1994:08:49:37 +0000] "GET / HTTP/1.1" 200 1234 */
#ifndef GUEST_HTTP_LOG_H
#define GUEST_HTTP_LOG_H

#include <stdint.h>

#include "http_buf.h"
#include "http_mem.h"

#define HTTP_LOG_LINE_MAX 1280 /* fits a fully escaped request line */
#define HTTP_LOG_REQ_MAX  256 /* request line bytes logged; longer ones are cut */

/* request may be absent (p NULL: logged as "-"). It comes from the network,
 * so quotes, backslashes and non-printable bytes are escaped as \xHH: a
 * client cannot forge log lines or terminal escapes. */
void http_log_line(struct hbuf *b, const char *peer, uint64_t now_s, struct http_slice request,
		   int status, uint64_t bytes);

#endif
