/* Moving a VM's vmm into its groups (cgroup.h) without holding up the
 * daemon's loop. The first write to a cgroup.procs after a quiet spell
 * waits for an RCU grace period (the kernel's cgroup_threadgroup_rwsem;
 * 6-7 ms measured on a cgroup v1 PVM host, 0.1-0.2 ms for the writes right
 * after it), so a start hands the writes to a thread of its own and the
 * loop waits for its result like any other event, while the vmm boots.
 * What that leaves outside the VM's limits until the move: see
 * lifecycle.c's spawn. */
#ifndef VMM_DAEMON_CORE_CGROUP_MOVE_H
#define VMM_DAEMON_CORE_CGROUP_MOVE_H

#include <sys/types.h>

#include "daemon/core/cgroup.h"
#include "daemon/rpc/verr.h"

/* Moves pid (all its threads) into j's groups in a thread, which owns j's
 * descriptors from here on (j->n is 0 after, whatever the outcome).
 * Returns a descriptor that turns readable with the result (read it with
 * cgroup_move_result), or -1 with e. */
int cgroup_move_start(struct cgroup_join *j, pid_t pid, struct verr *e);
/* The result on fd, which it closes: 0 moved (or pid had ended: nothing to
 * move), else the errno of the write that failed. */
int cgroup_move_result(int fd);
/* The same move done here, for where a wait does no harm (adopting a VM at
 * the daemon's start-up); closes j's descriptors. 0 or an errno. */
int cgroup_move_now(struct cgroup_join *j, pid_t pid);

#endif
