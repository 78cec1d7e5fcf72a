/* The guest's vsock CID. Our vsock is not the kernel's (no vhost), so CIDs
 * only need to be unique among our own VMs on this host: each `vmm run`
 * holds an flock on VSOCK_CID_DIR/cid-N.lock for its CID N while it runs.
 * --cid N fails if another VM holds N; without --cid we take the first free
 * CID from 3 + (pid mod 2^20) on. Where the directory cannot be created
 * (not root), CIDs are used without a lock. */
#ifndef VMM_HOST_VSOCK_CID_H
#define VMM_HOST_VSOCK_CID_H

#include <stdint.h>

#include "util/err.h"

#define VSOCK_CID_DIR "/run/vmm"
#define VSOCK_CID_MIN 3
#define VSOCK_CID_MAX 0xfffffffeull /* Linux keeps CIDs in 32 bits; -1 is VMADDR_CID_ANY */

struct vsock_cid {
	uint64_t cid;
	int lock_fd; /* -1: not locked */
};

/* want 0: pick a free one. */
int vsock_cid_claim(struct vsock_cid *c, uint64_t want, struct err *e);
void vsock_cid_release(struct vsock_cid *c);

#endif
