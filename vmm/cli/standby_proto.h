/* How a manager (vmmd) hands a `vmm standby` process the VM it is to run.
 * The standby was started ahead of time with its control socket, a
 * SOCK_SEQPACKET socket, as descriptor VMM_STANDBY_CONTROL_FD; it has made
 * its guest RAM and KVM VM and waits for one message:
 *   data:  VMM_STANDBY_MAGIC "\0", then the arguments of a `vmm run`
 *          (the first is "run"), each ending in "\0"; nothing after the
 *          last "\0"; at most VMM_STANDBY_MSG_MAX bytes and
 *          VMM_STANDBY_ARGS_MAX arguments;
 *   SCM_RIGHTS: n descriptors, 3 <= n <= VMM_STANDBY_FDS_MAX; the i-th
 *          becomes the standby's descriptor i (0-2: stdin, stdout, stderr),
 *          as if the run had been exec'd with them.
 * It then runs as that `vmm run` would have (its exit status is the run's).
 * A control socket closed without a message ends the standby (exit 0). */
#ifndef VMM_CLI_STANDBY_PROTO_H
#define VMM_CLI_STANDBY_PROTO_H

#define VMM_STANDBY_CONTROL_FD 3
#define VMM_STANDBY_MAGIC      "vmm-standby-1"
#define VMM_STANDBY_MSG_MAX    65536
#define VMM_STANDBY_ARGS_MAX   128
#define VMM_STANDBY_FDS_MAX    16

#endif
