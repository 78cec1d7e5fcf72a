/* The one empty network namespace every jailed vmm on the host joins,
 * instead of a namespace each (~155 KiB of kernel memory and ~0.5 ms of a
 * start per VM, and a teardown at exit). It is pinned like `ip netns add`
 * does: its nsfs file bind-mounted on an empty file at
 * JAIL_SHARED_NET_PATH, in the host's mount namespace. The first vmm that
 * finds no namespace there creates it under an flock on PATH.lock.
 *
 * Sharing is safe because the jail's filter lets vmm create AF_UNIX
 * sockets only, and the one thing unix sockets share per network
 * namespace, the abstract names, is closed by Landlock's scoping
 * (landlock_scope.h): jail.c shares only where that scoping is applied. */
#ifndef VMM_JAIL_SHARED_NETNS_H
#define VMM_JAIL_SHARED_NETNS_H

#include "host/vsock_cid.h"
#include "util/err.h"

#define JAIL_SHARED_NET_PATH VSOCK_CID_DIR "/net"

/* Moves the calling thread into the namespace pinned at path, creating
 * and pinning it there first where path is missing or an empty file (an
 * unmounted pin, as after a reboot). The thread must be in the host's
 * mount namespace. Returns 0: in the shared namespace; 1: in a new
 * namespace of its own (it could not be pinned: e says why); -1: not
 * moved (e says why). */
int shared_netns_join(const char *path, struct err *e);
/* 0 where fd (opened from path) is a network namespace other than the
 * calling thread's own; otherwise -1 with e naming path and what it is. */
int shared_netns_check(int fd, const char *path, struct err *e);

#endif
