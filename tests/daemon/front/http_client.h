/* A real HTTP client for the front door tests: libcurl, with the host name
 * resolved to 127.0.0.1 so that Host and SNI are the site's. */
#ifndef TESTS_DAEMON_FRONT_HTTP_CLIENT_H
#define TESTS_DAEMON_FRONT_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct reply {
	long status;      /* 0: no HTTP answer (err says why) */
	char body[2048];
	char err[256];
};

struct client; /* one kept-alive connection's worth of state */

struct client *client_new(void);
void client_free(struct client *c);
/* GET http(s)://host:port/path through 127.0.0.1. ca: the certificate that
 * must have signed the server's (NULL with tls: not checked). */
int client_get(struct client *c, bool tls, const char *host, int port, const char *path, const char *ca,
	       int timeout_ms, struct reply *r);
/* One-shot form. */
int http_get_host(bool tls, const char *host, int port, const char *path, const char *ca, struct reply *r);

#endif
