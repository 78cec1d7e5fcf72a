/* `vmm run`'s use of the jail (jail/jail.h): what it keeps and allows,
 * worked out from the command line and what set-up opened, entered once
 * before the first boot's guest runs. */
#ifndef VMM_CLI_RUN_JAIL_H
#define VMM_CLI_RUN_JAIL_H

#include <stdbool.h>

#include "jail/jail.h"
#include "machine/config.h"

struct run_jail {
	const struct vm_config *vm;
	struct jail_config cfg;
	struct jail_state st;
	bool entered;
};

/* Starts building the jail's namespaces (jail_prepare) to overlap the
 * VM's set-up. With --no-jail: says so on stderr and the hooks do nothing.
 * ahead: NULL, or namespaces built before vm was known, for a jail that
 * keeps no paths (run_jail_ahead): taken when they fit, else freed. */
int run_jail_init(struct run_jail *j, const struct vm_config *vm, struct jail_state *ahead, struct err *e);
/* For a standby: builds the namespaces of a jail that keeps no paths (most
 * runs: vmmd's all) before the run is known, into ahead. */
int run_jail_ahead(struct jail_state *ahead, struct err *e);
/* machine_host.before_start: enters the jail at the first boot (all of
 * set-up is done by then), nothing at later ones. */
int run_jail_before_start(void *ctx, struct err *e);
/* machine_host.vcpu_thread_start: the vCPU thread's filter. */
int run_jail_vcpu_thread(void *ctx, struct err *e);
void run_jail_free(struct run_jail *j);

#endif
