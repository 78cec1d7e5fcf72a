/* Each VM in a cgroup of its own, with the memory, CPU and pids limits of
 * its domain (<memtune>, <cputune>, or the defaults in domain/config.h), so
 * that one site cannot starve the others.
 *
 * vmmd finds its own group in every hierarchy (/proc/self/cgroup), takes
 * each controller from a cgroup v1 hierarchy that has it, else from the
 * unified (v2) one where the controller is available, and makes
 * <its group>/vmm/<domain UUID> per VM, while the VM's vmm starts (off the
 * start's path). vmm (all its threads) moves into the VM's groups once it
 * is started, before the start is reported (cgroup_move.h: the move waits
 * an RCU grace period, which vmm spends booting; lifecycle.c's spawn: what
 * that leaves outside the limits), and a move that fails fails the start.
 * The group is removed once the VM's process is gone. */
#ifndef VMM_DAEMON_CORE_CGROUP_H
#define VMM_DAEMON_CORE_CGROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/domain/config.h"
#include "daemon/rpc/verr.h"

enum cg_res { CG_MEMORY, CG_CPU, CG_PIDS, CG_NRES };

struct cgroups {
	char *base[CG_NRES]; /* <hierarchy>/<vmmd's group>/vmm per controller; NULL: no such limit */
	bool v2[CG_NRES];
	bool memsw;          /* v1 memory.memsw.*: swap counts against the limit too */
	char note[512];      /* what is missing and why, for the start-up log; "" when all is there */
};

/* Finds the hierarchies and makes each <vmmd's group>/vmm. Never fails: a
 * controller that cannot be used is left out and named in cg->note. */
void cgroups_init(struct cgroups *cg);
void cgroups_free(struct cgroups *cg);

/* The VM's cgroup.procs files, which the vmm's pid is written to
 * (cgroup_move.h). */
#define CG_MAX_JOIN CG_NRES
struct cgroup_join {
	int fd[CG_MAX_JOIN];
	unsigned n;
};

/* Whether c's limits can be applied here at all: a <memtune> or <cputune>
 * whose controller vmmd lacks cannot (checked before a start begins). */
int cgroup_vm_check(const struct cgroups *cg, const struct domain_config *c, struct verr *e);
/* Makes the VM's groups, writes c's limits and opens their cgroup.procs
 * into j (close with cgroup_join_close). A limit the XML sets that cannot
 * be applied fails the start; defaults are applied where the controller is. */
int cgroup_vm_prepare(const struct cgroups *cg, const struct domain_config *c, struct cgroup_join *j,
		      struct verr *e);
void cgroup_join_close(struct cgroup_join *j);
/* How many times the kernel's OOM killer acted in the VM's memory group. */
unsigned cgroup_vm_oom_kills(const struct cgroups *cg, const uint8_t uuid[16]);
/* Removes the VM's groups once its processes are gone (a moment's wait
 * while the last exits). 0, or -1 with why in e (a group still busy). */
int cgroup_vm_remove(const struct cgroups *cg, const uint8_t uuid[16], struct verr *e);

#endif
