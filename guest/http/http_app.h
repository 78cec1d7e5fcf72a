/* App routes: requests that site.conf's `app PREFIX FILE` lines send to a
 * handler (the kernel runs FILE, a Lua script, in it) instead of the static
 * files. This header is the handler's contract; http_conn drives it:
 *
 *   - routing: the longest `app` prefix of the normalised path wins; exact
 *     redirect sources go first; any method may reach an app;
 *   - the request body (Content-Length or chunked, up to app_body_max) is
 *     received whole before the handler runs;
 *   - the handler fills an http_app_response; the library checks it, frames
 *     it (Content-Length, Date, Server, Connection), copies what it keeps
 *     and logs it like any response.
 *
 * Ownership, both ways:
 *   - everything in http_app_request points into the connection's buffers
 *     and is valid only during the app() call: copy what you keep;
 *   - everything the handler points to from http_app_response (header
 *     names and values, the body) stays the handler's: it must stay valid
 *     until app_end() is called (when set), which happens before
 *     http_conn_next returns; by then the library has written the head and
 *     copied the body (into the head buffer when it fits, else into
 *     body_alloc storage that the library frees itself). */
#ifndef GUEST_HTTP_APP_H
#define GUEST_HTTP_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_mem.h"
#include "http_parse.h"
#include "site_conf.h"

#define HTTP_APP_MAX_HEADERS 64 /* header fields one response may set */

struct http_app_request {
	struct http_slice method;  /* the token as received ("POST"), case-sensitive */
	struct http_slice path;    /* percent-decoded and normalised (what was routed), no query */
	struct http_slice query;   /* raw bytes after '?', not decoded; p NULL when no '?' */
	struct http_slice prefix;  /* the route's prefix ("/api/") */
	struct http_slice file;    /* the route's script: archive member name ("api.lua") */
	struct http_slice host;    /* Host (or the absolute-form target's), p NULL when absent */
	struct http_slice client;  /* X-Real-IP when it looks like an address
				      (http_log_addr_ok), else the transport's peer */
	unsigned version;          /* 10 or 11 */
	/* The header fields, walked with http_app_field(): names keep the
	 * client's case (the handler lower-cases them if it wants a table),
	 * repeats are all there, in order. */
	const char *head;
	size_t head_start, head_end;
	const char *body;          /* the whole decoded body; NULL when body_len is 0 */
	size_t body_len;
};

struct http_app_header {
	struct http_slice name, value;
};

struct http_app_response {
	/* 200-599; anything else becomes a 500 (a 1xx cannot be a final
	 * response). The library zeroes the struct before the call. */
	int status;
	/* No CR, LF, NUL or other control byte (tab is fine) in values; names
	 * are tokens; Content-Length, Transfer-Encoding, Connection,
	 * Keep-Alive, Upgrade, Trailer, Date and Server are the library's and
	 * refused. Breaking these rules gives a 500, never a broken head. A
	 * site.conf `header` is sent too unless the handler set that name. */
	const struct http_app_header *headers;
	unsigned nheaders;             /* at most HTTP_APP_MAX_HEADERS */
	const char *body;              /* none for 204 and 304 */
	size_t body_len;
	void *user;                    /* the handler's, for app_end */
};

/* The app route of a well-formed request, or NULL (a static route). A
 * request is routed by its normalised path, which is written to path
 * (cap bytes; CONF_PATH_MAX is enough) with *pn its length; *query gets the
 * raw query (p NULL when none). A path that does not normalise, or an exact
 * redirect source, is never an app's: the static rules answer those. */
const struct conf_app *http_app_route(const struct site_conf *conf, const struct http_request *q,
				      char *path, size_t cap, size_t *pn, struct http_slice *query);

/* The next header field of req (see http_head_field); *pos starts at 0. */
bool http_app_field(const struct http_app_request *req, size_t *pos, struct http_slice *name,
		    struct http_slice *value);

/* Why resp cannot be sent (a short phrase for the log), or NULL when it is
 * fine. */
const char *http_app_check(const struct http_app_response *resp);

#endif
