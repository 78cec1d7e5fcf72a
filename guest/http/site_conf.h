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
 *   app /api/ api.lua
 *   app_body_max 1048576
 *   app_instructions 10000000
 *   app_memory 8388608
 *
 * The parsed config refers into the text, which must outlive it. */
#ifndef GUEST_HTTP_SITE_CONF_H
#define GUEST_HTTP_SITE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_mem.h"
#include "http_parse.h"
#include "site_tar.h"

#define CONF_MAX_HOSTS     32
#define CONF_MAX_REDIRECTS 64
#define CONF_MAX_HEADERS   32
#define CONF_MAX_ERRORS    16
#define CONF_MAX_APPS      16
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
	unsigned line;          /* in site.conf, for site_conf_check's message */
};

/* A dynamic route: requests whose normalised path starts with prefix go to
 * the app handler (http_app.h), which runs file. */
struct conf_app {
	struct http_slice prefix; /* a normalised path ("/api/"), matched bytewise */
	struct http_slice file;   /* archive member name, no leading '/' ("api.lua") */
	unsigned line;            /* in site.conf, for site_conf_check's message */
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
	struct conf_app app[CONF_MAX_APPS];
	unsigned napp;
	uint64_t app_body_max;      /* request body bytes an app route accepts; more: 413 */
	uint64_t app_instructions;  /* Lua instruction budget of one request (the kernel's) */
	uint64_t app_memory;        /* bytes a site's Lua state may hold (the kernel's) */
	char err[CONF_ERR_LEN];     /* "site.conf line N: ..." when parsing failed */
};

#define CONF_DEFAULT_IDLE_MS   30000
#define CONF_DEFAULT_HEADER_MS 10000
#define CONF_DEFAULT_APP_BODY   (1u << 20)
#define CONF_DEFAULT_APP_INSNS  10000000u
#define CONF_DEFAULT_APP_MEMORY (8u << 20)

/* The settings used when the site has no site.conf. */
void site_conf_default(struct site_conf *c);

/* Parses text over the defaults. Returns 0, or -1 with c->err naming the
 * line and the problem. */
int site_conf_parse(struct site_conf *c, const char *text, size_t n);

/* Checks what site.conf names against the archive: every error page and
 * every app file must be a file in s. Parsing cannot (it has no archive);
 * the loader calls this right after site_conf_parse so a typo stops
 * start-up instead of becoming a 404 or 500 at request time. Returns 0, or
 * -1 with c->err naming the line and the missing file. */
int site_conf_check(struct site_conf *c, const struct site *s);

/* Does a Host value ("name", "name:port", "[v6]:port") name this site? Port
 * and a trailing dot are ignored, case too; "*.example.org" matches any
 * subdomain of example.org. */
bool site_conf_host_ok(const struct site_conf *c, const char *host, size_t n);

const struct conf_redirect *site_conf_redirect(const struct site_conf *c, const char *path,
					      size_t n);
/* The app route for a normalised path: the longest prefix that matches,
 * or NULL. */
const struct conf_app *site_conf_app(const struct site_conf *c, const char *path, size_t n);
/* Is the archive member name[0, n) an app's source? Those are never served
 * as static files: handler code may hold secrets. */
bool site_conf_is_app_file(const struct site_conf *c, const char *name, size_t n);

/* The error page path for a status, or NULL. */
const struct http_slice *site_conf_error_page(const struct site_conf *c, int code);

#endif
