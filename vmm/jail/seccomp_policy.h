/* What each kind of vmm thread may call once the guest runs. */
#ifndef VMM_JAIL_SECCOMP_POLICY_H
#define VMM_JAIL_SECCOMP_POLICY_H

#include "jail/seccomp_bpf.h"

/* The main thread: the I/O loop, and a guest reset's rebuild of the
 * machine (new VM, memory, vCPU threads) from descriptors held open. */
extern const struct seccomp_policy seccomp_main_policy;
/* A vCPU thread: KVM_RUN and the devices it drives on exits. Installed on
 * top of the main thread's filter, which it inherits. */
extern const struct seccomp_policy seccomp_vcpu_policy;

#endif
