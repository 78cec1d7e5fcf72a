/* Access log lines in Common Log Format:
 *   client - - [06/Nov/1994:08:49:37 +0000] "GET / HTTP/1.1" 200 1234 */
#ifndef GUEST_HTTP_LOG_H
#define GUEST_HTTP_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "http_buf.h"
#include "http_mem.h"

#define HTTP_LOG_LINE_MAX 1280 /* fits a fully escaped request line */
#define HTTP_LOG_REQ_MAX  256 /* request line bytes logged; longer ones are cut */

/* The longest textual IP address: an IPv4-mapped IPv6 one,
 * "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" (INET6_ADDRSTRLEN - 1). */
#define HTTP_LOG_ADDR_MAX 45

/* Whether a (an X-Real-IP value) may stand for the client in the log: 1 to
 * HTTP_LOG_ADDR_MAX bytes, each a hex digit, '.' or ':'. That admits every
 * IPv4 and IPv6 address (not an IPv6 zone, "%eth0") and nothing that could
 * break the line's fields (no space, quote, bracket or control byte); it
 * does not prove that the bytes are a valid address, which the log does not
 * need. */
bool http_log_addr_ok(struct http_slice a);

/* The client field is real_ip when http_log_addr_ok accepts it (sites sit
 * behind a front door, so the transport's peer is always the host), else
 * peer ("-" when NULL or empty). request may be absent (p NULL: logged as
 * "-"). It comes from the network, so quotes, backslashes and non-printable
 * bytes are escaped as \xHH: a client cannot forge log lines or terminal
 * escapes. */
void http_log_line(struct hbuf *b, const char *peer, struct http_slice real_ip, uint64_t now_s,
		   struct http_slice request, int status, uint64_t bytes);

#endif
