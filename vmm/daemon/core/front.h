/* The front door: Debian's nginx as a child of vmmd, routing each site's host
 * names to its socket. vmmd writes the configuration under STATE/front,
 * tests it (`nginx -t`) before nginx ever loads it, reloads nginx (SIGHUP,
 * what `nginx -s reload` sends) after changes (the test runs as a child the
 * server loop waits for, so clients are not kept waiting), restarts it if it dies and
 * stops it with the daemon. Every function is a no-op without --front. */
#ifndef VMM_DAEMON_CORE_FRONT_H
#define VMM_DAEMON_CORE_FRONT_H

#include "daemon/core/vmmd.h"
#include "daemon/rpc/verr.h"

struct front_options {
	const char *const *http, *const *tls; /* "ADDR:PORT" */
	unsigned nhttp, ntls;
	const char *user;   /* workers' user when vmmd is root */
	const char *nginx;
	unsigned workers;
};

/* Checks the options and the addresses (in use: an error), prepares
 * STATE/front and sets m->site_gid; nginx starts with front_start. */
int front_open(struct vmmd *m, const struct front_options *o, struct verr *e);
/* Writes and tests the configuration of the sites defined now, starts nginx. */
int front_start(struct vmmd *m, struct verr *e);
/* Whether nginx accepts cfg's site (its certificate, WAF) beside the
 * fixed parts: tested on a configuration of that site alone. */
int front_check_site(struct vmmd *m, const struct domain_config *cfg, struct verr *e);
/* The sites changed: reload soon (changes within a short time coalesce). */
void front_changed(struct vmmd *m);
/* Does what is due (reload, restart); ms until the next thing, -1 none. */
int front_tick(struct vmmd *m);
/* The pidfds to poll (nginx, a running `nginx -t`); their number. */
int front_poll_fds(const struct vmmd *m, int fds[2]);
/* One of them is readable: that process ended. */
void front_ready(struct vmmd *m, int fd);
/* Stops nginx and frees everything. */
void front_close(struct vmmd *m);

#endif
