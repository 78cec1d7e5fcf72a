/* site.conf: the site's own settings, a line-based file at the archive root.
 * Format (documented in guest/README.md):
 *
 *   # comment
 *   host example.com www.example.com *.example.org 127.0.0.1 localhost
 *   redirect /old.html /new.html 301
 *   header Cache-Control public, max-age=300
 *   error 404 /404.html
 *   index index.html
 *   idle_timeout 30
 *   header_timeout 10
 *   max_request_line 8192
 *   max_header_bytes 16384
 *   max_headers 100
 *
 * The parsed config refers into the text, which must outlive it. */
#ifndef GUEST_HTTP_SITE_CONF_H
#define GUEST_HTTP_SITE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_mem.h"
#include "http_parse.h"

#define CONF_MAX_HOSTS     32
#define CONF_MAX_REDIRECTS 64
#define CONF_MAX_HEADERS   32
#define CONF_MAX_ERRORS    16
#define CONF_PATH_MAX      1024
#define CONF_ERR_LEN       160

struct conf_redirect {
	struct http_slice from; /* a normalised path, compared exactly */
	struct http_slice to;   /* Location value as written */
	int code;               /* 301, 302, 303, 307 or 308 */
};

struct conf_header {
	struct http_slice name, value;
};

struct conf_error {
	int code;
	struct http_slice path; /* site path of the page served as the body */
};

struct site_conf {
	struct http_slice host[CONF_MAX_HOSTS];
	unsigned nhost; /* 0: answer for any host */
	struct conf_redirect redirect[CONF_MAX_REDIRECTS];
	unsigned nredirect;
	struct conf_header header[CONF_MAX_HEADERS];
	unsigned nheader;
	struct conf_error error[CONF_MAX_ERRORS];
	unsigned nerror;
	struct http_slice index;    /* directory index file name */
	uint32_t idle_timeout_ms;   /* between requests on a kept-alive connection */
	uint32_t header_timeout_ms; /* from a request's first byte to its last header */
	struct http_limits limits;
	char err[CONF_ERR_LEN];     /* "site.conf line N: ..." when parsing failed */
};

#define CONF_DEFAULT_IDLE_MS   30000
#define CONF_DEFAULT_HEADER_MS 10000

/* The settings used when the site has no site.conf. */
void site_conf_default(struct site_conf *c);

/* Parses text over the defaults. Returns 0, or -1 with c->err naming the
 * line and the problem. */
int site_conf_parse(struct site_conf *c, const char *text, size_t n);

/* Does a Host value ("name", "name:port", "[v6]:port") name this site? Port
 * and a trailing dot are ignored, case too; "*.example.org" matches any
 * subdomain of example.org. */
bool site_conf_host_ok(const struct site_conf *c, const char *host, size_t n);

const struct conf_redirect *site_conf_redirect(const struct site_conf *c, const char *path,
					      size_t n);
/* The error page path for a status, or NULL. */
const struct http_slice *site_conf_error_page(const struct site_conf *c, int code);

#endif
