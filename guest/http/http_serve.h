/* Deciding the response to one parsed request: status, which site entry (and
 * which bytes of it) is the body, and the fields that describe it. No bytes
 * are written here; http_resp.h turns the decision into a head. */
#ifndef GUEST_HTTP_SERVE_H
#define GUEST_HTTP_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_parse.h"
#include "site_conf.h"
#include "site_tar.h"

/* What a server needs, shared by all its connections. */
struct http_server {
	const struct site *site;
	const struct site_conf *conf;
	const char *server_name; /* the Server field's value */
	/* Receives one Common Log Format line per response, without newline. */
	void (*log)(void *ctx, const char *line, size_t n);
	void *log_ctx;
};

#define HTTP_LOCATION_MAX 2048
#define HTTP_ETAG_MAX 48

struct http_resp {
	int status;
	bool head;                      /* HEAD: describe the body, send none */
	bool close;                     /* the connection ends after this one */
	const struct site_entry *entry; /* body source, or NULL for a built-in body */
	uint64_t first, len;            /* the entry's bytes sent */
	uint64_t total;                 /* its whole size, for Content-Range */
	const char *ctype;              /* Content-Type, or NULL */
	bool validators;                /* ETag and Last-Modified from entry */
	bool ranges;                    /* Accept-Ranges: bytes */
	bool partial;                   /* 206: Content-Range first-last/total */
	bool unsatisfiable;             /* 416: Content-Range * /total */
	bool gzip;                      /* Content-Encoding: gzip */
	bool vary;                      /* Vary: Accept-Encoding */
	bool allow;                     /* Allow: GET, HEAD */
	struct http_slice location;     /* Location, or absent */
	char etag[HTTP_ETAG_MAX];
	size_t etag_len;
	char loc_buf[HTTP_LOCATION_MAX];
};

/* Decides the response. parse_status is http_parse_head's result (or the
 * framing error); when non-zero the request is answered with that status
 * and the connection closes, since its framing can no longer be trusted. */
void http_serve(const struct http_server *srv, const struct http_request *req, int parse_status,
		struct http_resp *r);

/* An error response (status >= 400): the site's page for it when site.conf
 * names one that exists, else a built-in body. */
void http_serve_error(const struct http_server *srv, int status, bool head, struct http_resp *r);

/* Strong entity tag for an entry: "<size>-<mtime>" in hex, plus "-gz" for
 * the gzip variant so the two representations never share a tag. */
size_t http_etag(const struct site_entry *e, bool gzip, char *out);

#endif
