/* A `vmm standby` kept ready by vmmd: a vmm process that has already
 * exec'd, opened /dev/kvm and made guest RAM and a KVM VM of the size the
 * last start used, waiting for the `vmm run` it is to become
 * (cli/standby_proto.h). A start whose RAM size matches hands its arguments
 * and descriptors over instead of starting a process: that takes vmm's
 * exec, its start-up and the VM's creation off the start's path. One is
 * kept at a time, made again a while after each start (not while a start's
 * vmm boots: it would compete for the CPUs). */
#ifndef VMM_DAEMON_CORE_STANDBY_H
#define VMM_DAEMON_CORE_STANDBY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/rpc/verr.h"

struct vmm_standby {
	pid_t pid;        /* 0: none */
	int ctl;          /* its control socket; -1 none */
	uint64_t mem_kib; /* the RAM of its VM */
	uint64_t start;   /* its /proc start time, read when it was made (off any start's path) */
};

void standby_init(struct vmm_standby *s);
/* Starts `vmm_path standby --mem=mem_kib K` in a session of its own (the VM
 * it becomes outlives a daemon restart), its stdout and stderr vmmd's
 * stderr (its set-up errors go to vmmd's log). -1 with e if it cannot. */
int standby_start(struct vmm_standby *s, const char *vmm_path, uint64_t mem_kib, struct verr *e);
/* Hands argv (a `vmm run`'s, from "run") and fds[0..nfds) (its
 * descriptors 0, 1, ...) to the standby when it is alive and its RAM is
 * mem_kib: its pid then (the caller's child from here on, as a started
 * vmm) and its start time in *start, the slot empty. 0 when there is none
 * to use (the caller starts a vmm itself); a standby that failed is reaped
 * and dropped. */
pid_t standby_hand_over(struct vmm_standby *s, uint64_t mem_kib, char *const *argv, const int *fds, int nfds,
			uint64_t *start);
/* Ends the standby and reaps it. */
void standby_stop(struct vmm_standby *s);

#endif
