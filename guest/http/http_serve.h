/* Deciding the response to one parsed request: status, which site entry (and
 * which bytes of it) is the body, and the fields that describe it. No bytes
 * are written here; http_resp.h turns the decision into a head. */
#ifndef GUEST_HTTP_SERVE_H
#define GUEST_HTTP_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_app.h"
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

	/* Everything below is optional: left zero (NULL), no app runs and the
	 * server is the static one. */

	/* Runs the handler of an app route (http_app.h) to completion and
	 * fills resp; returns 0, or non-zero when the handler failed (500).
	 * NULL: app routes answer 501, with an "app: ..." line in the log. */
	int (*app)(void *ctx, const struct http_app_request *req, struct http_app_response *resp);
	/* Called after each app() call once the library is done with resp's
	 * pointers (before http_conn_next returns), so the handler can free
	 * them; may be NULL. */
	void (*app_end)(void *ctx, struct http_app_response *resp);
	void *app_ctx;
	/* Memory for app request bodies that do not fit the connection's
	 * buffer after their head, and for app response bodies that do not
	 * fit the head buffer after the head. alloc returns NULL when out of
	 * memory (503 for a request body, 500 for a response); free gets the
	 * size given to alloc. NULL hooks: such bodies get 413 / 500. The
	 * library frees what it allocates: by the next http_conn_next call on
	 * the connection, or in http_conn_release. */
	void *(*body_alloc)(void *ctx, size_t n);
	void (*body_free)(void *ctx, void *p, size_t n);
	void *alloc_ctx;
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

/* Decides the response by the static rules (app routes are http_conn's,
 * see http_app.h). parse_status is http_parse_head's result (or the
 * framing error); when non-zero the request is answered with that status
 * and the connection closes, since its framing can no longer be trusted.
 * A GET/HEAD body that is chunked or over max_body_discard: 413. */
void http_serve(const struct http_server *srv, const struct http_request *req, int parse_status,
		struct http_resp *r);

/* An error response (status >= 400): the site's page for it when site.conf
 * names one that exists, else a built-in body. */
void http_serve_error(const struct http_server *srv, int status, bool head, struct http_resp *r);

/* Strong entity tag for an entry: "<size>-<mtime>" in hex, plus "-gz" for
 * the gzip variant so the two representations never share a tag. */
size_t http_etag(const struct site_entry *e, bool gzip, char *out);

#endif
