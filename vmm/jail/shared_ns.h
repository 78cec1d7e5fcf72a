/* The one empty network namespace, and the one IPC namespace, that every
 * jailed vmm on the host joins instead of a namespace of each kind per VM.
 * A network namespace each cost ~155 KiB of kernel memory and ~0.5 ms of a
 * start per VM, and a teardown at exit. An IPC namespace each brought its
 * own mqueue file system: a superblock, whose memory-cgroup-aware shrinker
 * grows the shrinker table of every memory cgroup on the host, so with a
 * cgroup per VM (vmmd) the cost per VM grew with the number of VMs
 * (~16 KiB a VM at 1,000 sites, PVM host). Each is pinned like `ip netns
 * add` does: its nsfs file bind-mounted on an empty file at its path, in
 * the host's mount namespace. The first vmm that finds no namespace there
 * creates it under an flock on PATH.lock.
 *
 * Sharing is safe because of the jail's filter: it lets vmm create
 * AF_UNIX sockets only, and the one thing unix sockets share per network
 * namespace, the abstract names, is closed by Landlock's scoping
 * (landlock_scope.h): jail.c shares only where that scoping is applied.
 * It allows no System V IPC and no POSIX message queue call at all, which
 * is all an IPC namespace holds. */
#ifndef VMM_JAIL_SHARED_NS_H
#define VMM_JAIL_SHARED_NS_H

#include "host/vsock_cid.h"
#include "util/err.h"

#define JAIL_SHARED_NET_PATH VSOCK_CID_DIR "/net"
#define JAIL_SHARED_IPC_PATH VSOCK_CID_DIR "/ipc"
#define JAIL_SHARED_MNT_PATH VSOCK_CID_DIR "/mnt"
#define JAIL_EMPTY_ROOT_PATH VSOCK_CID_DIR "/empty"

/* A kind of namespace: its clone flag, its name in /proc/PID/ns and how
 * messages call it. */
struct shared_ns_kind {
	int type;
	const char *proc_name;
	const char *what;   /* "network" */
	const char *a_what; /* "a network" */
};

extern const struct shared_ns_kind shared_ns_net, shared_ns_ipc, shared_ns_mnt;

/* Moves the calling thread into the namespace of kind k pinned at path,
 * creating and pinning it there first where path is missing or an empty
 * file (an unmounted pin, as after a reboot). The thread must be in the
 * host's mount namespace. Returns 0: in the shared namespace; 1: in a new
 * namespace of its own (it could not be pinned: e says why); -1: not
 * moved (e says why). */
int shared_ns_join(const struct shared_ns_kind *k, const char *path, struct err *e);
/* 0 where fd (opened from path) is a namespace of kind k other than the
 * calling thread's own; otherwise -1 with e naming path and what it is. */
int shared_ns_check(const struct shared_ns_kind *k, int fd, const char *path, struct err *e);

/* Bind-mounts the empty directory at path (made, mode 0555, where missing)
 * on target, for a jail with nothing to put in its root: a bind mount makes
 * no file system, where a tmpfs per VM made a superblock each (the cost
 * above). 0, or -1 with e saying why (path is not an empty directory of
 * root's that only root may write, or a call failed): the caller then
 * mounts a tmpfs of its own. */
int shared_empty_root(const char *path, const char *target, struct err *e);

/* The one mount namespace for jails with nothing of their own in their
 * root: its only mount is the empty directory at empty (as above), bound
 * read-only as its root; the host's mounts are not in it. A mount
 * namespace per VM copied every mount of the host (~25 here, hundreds on
 * a host with many containers: ~0.35 KiB of unreclaimable kernel memory
 * each, per VM) and kept them, and what they pin, for the VM's life.
 * Pinned at path like the others; where there is none, the calling
 * thread (in the host's mount namespace) builds it in a new namespace of
 * its own (the unshare also gives it file system attributes of its own)
 * and returns to the host's to pin it. Its descriptor (for setns, which
 * roots the joining thread on the empty directory), or -1 with e: the
 * caller then builds a namespace of its own; -2 when the thread could not
 * return to the host's namespace (the jail must fail). */
int shared_mnt_open(const char *path, const char *empty, struct err *e);

#endif
