/* The jail `vmm run` enters after set-up and before the guest's first
 * instruction: a mount namespace whose root is empty and read-only (the
 * directory all jailed vmms share, or a tmpfs of its own where the
 * directories of --vsock-connect sockets go in), its own UTS namespace,
 * the IPC namespace and the network namespace all jailed vmms share
 * (shared_ns.h), the latter under Landlock's scoping of abstract unix sockets and
 * signals (landlock_scope.h; where the kernel lacks it, a network
 * namespace of its own), an unprivileged uid/gid with no capabilities,
 * no_new_privs, resource limits and a seccomp filter per thread kind
 * (seccomp_policy.c). Started without root it can only apply no_new_privs,
 * the limits, the Landlock scoping and the filters, and does. */
#ifndef VMM_JAIL_JAIL_H
#define VMM_JAIL_JAIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "jail/seccomp_bpf.h"
#include "jail/shared_ns.h"
#include "util/err.h"

/* Without --uid/--gid a root vmm takes JAIL_ID_BASE + its pid: unique among
 * running VMs, owned by no user, never 0. */
#define JAIL_ID_BASE 2000000000u
#define JAIL_MAX_KEEP 16

struct jail_config {
	uid_t uid;
	gid_t gid;
	bool ids_given;
	unsigned threads;       /* RLIMIT_NPROC: the threads it will run at most */
	uint64_t file_max;      /* RLIMIT_FSIZE: the largest file it may write to */
	unsigned nofile;        /* RLIMIT_NOFILE */
	/* unix socket paths it connects to while the guest runs: their
	 * directories stay visible (read-only) inside the jail */
	const char *keep[JAIL_MAX_KEEP];
	unsigned nkeep;
};

#define JAIL_NNS 4 /* net, ipc, uts, mnt */
#define JAIL_NS_MNT 3

/* Why a shared namespace could not be used (one line for the edge). */
struct jail_note {
	const struct shared_ns_kind *kind;
	bool set;
	struct err why;
};

/* What jail_prepare started and jail_enter did. */
struct jail_state {
	bool privileged;        /* namespaces, root and ids were applied */
	uid_t uid;
	gid_t gid;
	struct sock_fprog vcpu_prog; /* compiled once, installed by each vCPU thread */
	/* the namespace builder (root only) */
	const struct jail_config *cfg;
	pthread_t builder;
	void *builder_stack;    /* its stack, unmapped once it is joined */
	bool building;
	int prep_rc;
	struct err prep_err;
	int nsfd[JAIL_NNS];
	int scope_fd;           /* Landlock's scoping ruleset (-1: unavailable) */
	bool net_shared;        /* the builder joined the shared network namespace */
	bool mnt_shared;        /* nsfd's mount namespace is the shared one */
	struct jail_note net_note, ipc_note, mnt_note;
};

/* Nothing started, nothing held: what jail_state_free accepts. */
void jail_state_init(struct jail_state *s);

/* Starts building the jail's namespaces and empty root in a thread of
 * their own (root only; nothing otherwise), to overlap the VM's set-up;
 * the network namespace is the shared one only where Landlock's scoping
 * ruleset could be made here. c must stay valid until jail_enter or
 * jail_state_free. */
int jail_prepare(const struct jail_config *c, struct jail_state *s, struct err *e);
/* Waits for what jail_prepare started (nothing if it started nothing);
 * -1 with its error. From then on s is plain data: copied elsewhere (by
 * value), it is that copy's, for a jail_config like c (nkeep 0 alike). */
int jail_prepare_wait(struct jail_state *s, struct err *e);
/* Confines the calling process: Landlock's scoping (before the shared
 * network namespace is joined; without root after no_new_privs), joins
 * what jail_prepare built, then ids, capabilities, limits, no_new_privs and
 * the main thread's filter. Call with no other thread of its own running:
 * the scoping covers the calling thread and the threads it starts later. */
int jail_enter(const struct jail_config *c, struct jail_state *s, struct err *e);
/* The calling vCPU thread's filter (after jail_enter). */
int jail_vcpu_thread(const struct jail_state *s, struct err *e);
void jail_state_free(struct jail_state *s);

#endif
