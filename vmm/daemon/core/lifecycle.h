/* Domain life cycle: start, the stop requests, and what happens when a
 * domain's vmm process ends (on_poweroff / on_reboot / on_crash).
 * Functions that may end a transient domain free it: callers must not use
 * the domain after them. */
#ifndef VMM_DAEMON_CORE_LIFECYCLE_H
#define VMM_DAEMON_CORE_LIFECYCLE_H

#include <stdbool.h>

#include "daemon/core/vmmd.h"
#include "daemon/rpc/verr.h"

/* Starts a defined, inactive domain. */
int lc_start(struct vmmd *m, struct domain *d, bool paused, struct verr *e);
/* Creates and starts a transient domain from cfg (owned). NULL on failure. */
/* Starts an on-demand site for the client waiting on its socket. */
int lc_start_on_demand(struct vmmd *m, struct domain *d, struct verr *e);
struct domain *lc_create(struct vmmd *m, struct domain_config *cfg, bool paused, struct verr *e);
int lc_shutdown(struct vmmd *m, struct domain *d, struct verr *e);
int lc_reboot(struct vmmd *m, struct domain *d, struct verr *e);
int lc_destroy(struct vmmd *m, struct domain *d, struct verr *e);
int lc_suspend(struct vmmd *m, struct domain *d, struct verr *e);
int lc_resume(struct vmmd *m, struct domain *d, struct verr *e);

/* Starts (lc_start, lc_create, autostarts, on_* restarts) go on in the
 * daemon's loop: a start's reply waits (core/waits.h, WAIT_START) until
 * the vmm is in its cgroups and --start-wait saw it survive. */
/* The descriptor the loop watches for d (-1: none): the report of the
 * vmm's move into its cgroups while a start waits for it, else the vmm's
 * pidfd. */
int lc_poll_fd(const struct domain *d);
/* Whose lc_poll_fd(d) is (its kind and process): a descriptor number the
 * loop watched may have been closed and given to another one since. */
long lc_poll_owner(const struct domain *d);
/* lc_poll_fd(d) was fd and is readable. */
void lc_event(struct vmmd *m, struct domain *d, int fd);
/* The watched process of d ended. */
void lc_exited(struct vmmd *m, struct domain *d);
/* Handles due shutdown, destroy and start deadlines; returns ms until the next one, or -1. */
int lc_tick(struct vmmd *m);
/* At daemon start: adopt the VMs left running, then start autostart ones. */
void lc_adopt_all(struct vmmd *m);
void lc_autostart_all(struct vmmd *m);
/* At start-up, before any start: a standby vmm (core/standby.h) for the
 * first stopped on-demand site's RAM size, if there is such a site. */
void lc_standby_plan(struct vmmd *m);

struct domain_config *domain_config_dup(const struct domain_config *c);

#endif
