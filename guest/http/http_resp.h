/* Writing a response head from a decision (http_serve.h). */
#ifndef GUEST_HTTP_RESP_H
#define GUEST_HTTP_RESP_H

#include <stdbool.h>
#include <stdint.h>

#include "http_buf.h"
#include "http_serve.h"

/* The reason phrase for a status we send ("Not Found"). */
const char *http_reason(int status);

/* Appends the status line and fields to b, then, for responses without a
 * site entry as body (errors, redirects), a short built-in HTML body unless
 * r->head. version (10 or 11) only decides whether a kept-alive connection
 * is announced with "Connection: keep-alive" (HTTP/1.0). Returns the number
 * of built-in body bytes written (for the log). Check b->overflow after. */
size_t http_resp_write(struct hbuf *b, const struct http_server *srv, const struct http_resp *r,
		       unsigned version, uint64_t now_s);

/* The head of an app response (already checked with http_app_check): status
 * line, Server, Date, the handler's fields, the site's fields it did not
 * override, Content-Length of the handler's body (none for 204 and 304),
 * Connection. The body itself is the caller's to send. */
void http_resp_write_app(struct hbuf *b, const struct http_server *srv,
			 const struct http_app_response *a, bool close, unsigned version,
			 uint64_t now_s);

#endif
