/* A VM's groups (cgroup.h) made and its vmm moved into them without
 * holding up the daemon's loop or the booting vmm. Making the groups takes
 * ~0.7 ms on a cgroup v1 PVM host, and the first write to a cgroup.procs
 * after a quiet spell waits for an RCU grace period (the kernel's
 * cgroup_threadgroup_rwsem; 6-7 ms measured there, 0.1-0.2 ms for the
 * writes right after it). A start hands both to a thread of its own at
 * the lowest priority (nice 19: on a busy host the booting vmm comes
 * first; done in vmmd's loop right after the vmm's exec, that work put an
 * on-demand site's first answer 0.6-0.9 ms later than the monitor process
 * that did it before, whose exec came first), and the loop waits for its
 * result like any other event. What that leaves outside the VM's limits
 * until the move: see lifecycle.c's spawn. */
#ifndef VMM_DAEMON_CORE_CGROUP_MOVE_H
#define VMM_DAEMON_CORE_CGROUP_MOVE_H

#include <sys/types.h>

#include "daemon/core/cgroup.h"
#include "daemon/domain/config.h"
#include "daemon/rpc/verr.h"

/* Makes the groups of c in cg (cgroup_vm_prepare) and moves pid (all its
 * threads) into them, in a thread that works on copies of what it needs.
 * Returns a descriptor that turns readable with the result (read it with
 * cgroup_move_result), or -1 with e. */
int cgroup_move_start(const struct cgroups *cg, const struct domain_config *c, pid_t pid, struct verr *e);
/* The result on fd, which it closes: 0 made and moved (or pid had ended:
 * nothing to move), else -1 with why in e. */
int cgroup_move_result(int fd, struct verr *e);
/* The move alone, done here, for where a wait does no harm (adopting a VM
 * at the daemon's start-up); closes j's descriptors. 0 or an errno. */
int cgroup_move_now(struct cgroup_join *j, pid_t pid);

#endif
