/* The front door's nginx configuration, as text: one upstream (the site's
 * unix socket, kept alive) and one server per site, a 404 default server
 * for unknown hosts, TLS servers chosen by SNI, ModSecurity with the OWASP
 * Core Rule Set for sites with <vmm:waf/>. */
#ifndef VMM_DAEMON_CORE_FRONT_CONF_H
#define VMM_DAEMON_CORE_FRONT_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "daemon/domain/config.h"

#define FRONT_MAX_ADDRS 8

/* A listen address: "127.0.0.1:80" or "[::1]:443", checked. */
struct front_addr {
	char text[72];
};

struct front_spec {
	struct front_addr http[FRONT_MAX_ADDRS], tls[FRONT_MAX_ADDRS];
	unsigned nhttp, ntls;
	const char *dir;       /* STATE/front: pid, logs, temporary files */
	const char *user;      /* workers' user and group, NULL: vmmd's */
	const char *group;
	unsigned workers;
	const char *modsec_module; /* the module's .so, NULL: none installed */
	const char *modsec_rules;  /* the rules file that enables CRS */
	const char *fallback_cert, *fallback_key; /* for the TLS default server */
};

/* One site to route: its config and its socket. */
struct front_site {
	const struct domain_config *c;
	const char *socket;
};

/* Parses "ADDR:PORT" (IPv4 or [IPv6], numeric). NULL when fine, else why not. */
const char *front_addr_parse(const char *s, struct front_addr *out);
/* Writes the whole configuration. */
void front_conf_write(FILE *f, const struct front_spec *spec, const struct front_site *sites, size_t n);

#endif
