/* Sites (<vmm:site>): the unix socket vmmd owns for each one, under
 * STATE/sites/UUID.sock, published to the guest by inheritance
 * (`vmm run --publish fd:3:PORT`). The daemon keeps its copy of the
 * listening socket while the VM runs, so when an on-demand site stops,
 * clients arriving meanwhile wait in the backlog and the next VM answers
 * them; while the site is stopped the daemon watches the socket and starts
 * the VM on the first client. */
#ifndef VMM_DAEMON_CORE_SITES_H
#define VMM_DAEMON_CORE_SITES_H

#include <stddef.h>

#include "daemon/core/vmmd.h"
#include "daemon/rpc/verr.h"

#define SITE_FAILED_HOLD_MS 2000 /* after a failed on-demand start */

/* The site of d (its definition, else its live config), NULL if none. */
const struct domain_site *dom_site(const struct domain *d);
/* STATE/sites/UUID.sock of config c. */
int site_socket_path(const struct vmmd *m, const struct domain_config *c, char *out, size_t size, struct verr *e);

/* Creates STATE/sites (searchable by m->site_gid). */
int sites_init(struct vmmd *m, struct verr *e);
/* Whether cfg may be defined beside the other domains: none of its host
 * names is another domain's, its certificate and key can be read. */
int sites_check(struct vmmd *m, const struct domain_config *cfg, struct verr *e);
/* Listens on d's socket unless it does already (d must be a site). */
int site_open(struct vmmd *m, struct domain *d, struct verr *e);
/* Closes and removes d's socket. */
void site_close(struct vmmd *m, struct domain *d);
/* At daemon start, after adoption: every site gets its socket back, from
 * its running vmm (pidfd_getfd) or by listening anew. */
void sites_open_all(struct vmmd *m);
/* d is stopped and clients wait on its socket: start it (on-demand), or
 * close them (not on-demand, or held after a failure). */
void site_clients_waiting(struct vmmd *m, struct domain *d);
/* Whether the server should watch d's socket now. */
bool site_watched(const struct domain *d);
/* Keeps m->site_epfd holding exactly the sockets of stopped sites: one fd
 * for the server to poll however many sites there are. */
void sites_sync_watch(struct vmmd *m);
/* m->site_epfd is readable: serves the stopped sites with clients waiting. */
void sites_ready(struct vmmd *m);

#endif
