/* Files that outlive what made them: vmm's CID lock files (VSOCK_CID_DIR,
 * one per CID ever used; vmm never removes its own, another vmm may be
 * about to lock it) and temporary files of atomic writes whose writer died
 * (NAME.tmpPID in the state directory). */
#ifndef VMM_DAEMON_CORE_CLEANUP_H
#define VMM_DAEMON_CORE_CLEANUP_H

/* Removes VSOCK_CID_DIR/cid-CID.lock if no VM holds its lock (0: nothing). */
void cleanup_cid_lock(unsigned cid);
/* At start-up: every free CID lock file, and the temporary files of dead
 * writers in the state directory. Logs one line when it removed any. */
struct domains;
/* doms: the defined domains (their autostart marks are never taken for
 * temporary files). */
void cleanup_stale(const char *state_dir, struct domains *doms);

#endif
