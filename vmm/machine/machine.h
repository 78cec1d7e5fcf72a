/* A machine: guest RAM, the KVM VM, its vCPUs and platform devices, booted
 * from a PVH kernel. One boot per machine_run(); a reset ends the run and the
 * caller decides whether to boot again. */
#ifndef VMM_MACHINE_MACHINE_H
#define VMM_MACHINE_MACHINE_H

#include "host/console.h"
#include "host/console_socket.h"
#include "machine/config.h"
#include "machine/virtio_slots.h"
#include "util/err.h"

enum machine_outcome {
	OUTCOME_POWEROFF, /* code: the guest's exit code */
	OUTCOME_RESET,
	OUTCOME_CRASH,    /* reason, vcpu and dump say what */
	OUTCOME_SIGNAL,   /* code: the signal */
	OUTCOME_QUIT,     /* Ctrl-A x */
};

struct machine_result {
	enum machine_outcome outcome;
	int code;
	unsigned vcpu;
	char reason[256];
	char dump[2048];
	char stats[4096]; /* with --exit-stats: a line per vCPU */
};

/* Host resources that outlive one boot (a reset boots a new machine). */
struct cpuid_table;
struct vm_ahead;

struct machine_host {
	struct console *con;
	struct console_socket *csock; /* NULL without --console-socket */
	int sig_fd;                   /* signalfd: SIGINT, SIGTERM, SIGHUP stop; SIGPWR, SIGUSR2 */
	const struct virtio_hosts *devices; /* device types' run-long resources (CID, listeners) */
	int kvm_fd;                   /* /dev/kvm, open for the whole run (kvm_open) */
	/* Called once per boot after the machine is built and before the
	 * guest's first instruction (the jail: run_cmd.c); non-zero fails the
	 * boot. NULL: nothing. */
	int (*before_start)(void *ctx, struct err *e);
	/* Called first thing in every vCPU thread (its seccomp filter);
	 * non-zero stops the machine as a crash with e's reason. NULL: nothing. */
	int (*vcpu_thread_start)(void *ctx, struct err *e);
	void *ctx;
	/* KVM's supported CPUID for the whole run: filled by the first boot
	 * (through the file cpuid_cache when not NULL: kvm/cpuid_cache.h),
	 * reused by the boots after a reset. Zeroed (nent 0) by the caller. */
	struct cpuid_table *cpuid;
	const char *cpuid_cache;
	/* RAM and a VM made ahead (machine/vm_ahead.h): the first boot whose
	 * RAM size is theirs takes them. NULL: every boot makes its own. */
	struct vm_ahead *ahead;
};

/* Boots cfg and runs it until it stops. Returns -1 (with e) when the machine
 * could not be set up; otherwise 0 with *res describing how the guest ended. */
int machine_run(const struct vm_config *cfg, const struct machine_host *host, struct machine_result *res,
		struct err *e);

#endif
