/* HTTP/1.1 request heads (RFC 9112): framing of the bytes received so far,
 * then one pass over a complete head. Framing is incremental (it resumes where
 * it stopped, so bytes may arrive one at a time); parsing is not, because a
 * complete head is at most max_header_bytes and one pass over it is simpler to
 * get right than a byte-at-a-time tokenizer. Nothing is copied: the request
 * refers into the caller's buffer. */
#ifndef GUEST_HTTP_PARSE_H
#define GUEST_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_mem.h"

enum http_method {
	HTTP_M_UNKNOWN = 0, /* a valid token we do not implement: 501 */
	HTTP_M_GET,
	HTTP_M_HEAD,
	HTTP_M_OTHER, /* a registered method we refuse: 405 with Allow */
};

struct http_limits {
	size_t max_request_line;   /* longer request line: 414 */
	size_t max_header_bytes;   /* longer head, request line included: 431 */
	unsigned max_headers;      /* more header fields: 431 */
	uint64_t max_body_discard; /* a body on a static route up to this is read
				      and dropped; larger: 413 (GET/HEAD) */
};

#define HTTP_DEFAULT_REQUEST_LINE 8192
#define HTTP_DEFAULT_HEADER_BYTES 16384
#define HTTP_DEFAULT_HEADERS      100
#define HTTP_DEFAULT_BODY_DISCARD 65536

void http_limits_default(struct http_limits *l);

/* A token character (RFC 9110 section 5.6.2): what field names and methods
 * are made of. */
bool http_tchar(unsigned char c);

/* Where framing stopped; zero it (http_framer_reset) for each new request. */
struct http_framer {
	size_t pos;        /* next byte to look at */
	size_t line_start; /* first byte of the current line */
	size_t head_start; /* first byte of the request line (after blank lines) */
	unsigned lines;    /* complete lines of this head so far */
};

void http_framer_reset(struct http_framer *f);

enum http_frame_res {
	HTTP_FRAME_MORE, /* no complete head yet, limits not exceeded */
	HTTP_FRAME_DONE, /* buf[f->head_start .. *head_end) is a complete head */
	HTTP_FRAME_ERROR /* *status is 400 (a request line that cannot be one), 414 or 431 */
};

enum http_frame_res http_frame(struct http_framer *f, const char *buf, size_t len,
			       const struct http_limits *lim, size_t *head_end, int *status);

struct http_request {
	struct http_slice line;   /* the request line, for the access log */
	struct http_slice method;
	struct http_slice target; /* as received */
	struct http_slice path;   /* origin-form part of target ("/..."), or absent */
	enum http_method m;
	unsigned version;         /* 10 or 11 once the line parsed */
	struct http_slice host;   /* from absolute-form target, else Host field */
	bool has_host;
	bool keep_alive;          /* the client allows the connection to persist */
	bool has_body;            /* Content-Length > 0 or Transfer-Encoding */
	bool chunked;             /* Transfer-Encoding present: body length unknown */
	bool te_chunked;          /* ...and it is one field saying just "chunked",
				     the one coding an app route decodes */
	uint64_t content_length;
	unsigned headers;
	struct http_slice if_none_match, if_modified_since, if_range, range;
	struct http_slice accept_encoding, referer, user_agent;
	struct http_slice expect; /* the first Expect field ("100-continue") */
	/* X-Real-IP: the visitor's address as the front door (nginx, on the
	 * host) saw it; the first one wins. Kept as received, unchecked: its
	 * one user, the access log, decides whether it looks like an address. */
	struct http_slice real_ip;
};

/* The header fields of a head that http_parse_head accepted, one by one:
 * *pos starts at 0; each call yields the next field's name and its value
 * (surrounding whitespace dropped) and returns true, false after the last.
 * The request line is skipped. Lets an app see every field without a
 * table sized for max_headers. */
bool http_head_field(const char *buf, size_t start, size_t end, size_t *pos,
		     struct http_slice *name, struct http_slice *value);

/* Parses the complete head buf[start, end) as found by http_frame. Returns 0
 * when the request is well formed, else the status to answer with: 400
 * (malformed, Host missing or repeated in HTTP/1.1, conflicting lengths), 431
 * (too many fields), 505 (version other than 1.0 and 1.1). Whether a body
 * is acceptable depends on the route, so it is decided later (http_serve for
 * static routes, http_conn for app routes). req is filled as far as parsing
 * got, so even a refused request can be logged. */
int http_parse_head(const char *buf, size_t start, size_t end, const struct http_limits *lim,
		    struct http_request *req);

#endif
