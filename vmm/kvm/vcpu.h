/* vCPUs: one thread each, running KVM_RUN and handing exits to the buses. */
#ifndef VMM_KVM_VCPU_H
#define VMM_KVM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "devices/io_bus.h"
#include "kvm/kvm.h"
#include "util/err.h"

/* What a vCPU thread reports when it stops the machine on its own. */
enum vcpu_stop {
	VCPU_STOP_POWEROFF,
	VCPU_STOP_RESET,
	VCPU_STOP_CRASH,
};

struct vcpu_env {
	struct io_bus *pio;
	struct io_bus *mmio;
	/* Called once per event from the vCPU thread; reason/dump only for crashes. */
	void (*stop)(void *opaque, unsigned index, enum vcpu_stop why, int code, const char *reason,
		     const char *dump);
	void *opaque;
	volatile int *stopping; /* set by the machine; vCPUs leave their loop */
	/* First thing in each vCPU thread (its seccomp filter), may be NULL;
	 * a failure is reported as a crash of that vCPU before it runs. */
	int (*thread_start)(void *opaque, struct err *e);
};

struct vcpu {
	unsigned index;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	pid_t tid;        /* the thread's, for vcpu_kick; 0 until it runs */
	bool started;
	const struct vcpu_env *env;
	uint64_t exits;   /* returns from KVM_RUN: the exits vmm itself handled */
	int stats_fd;     /* KVM's statistics of this vCPU, -1 unless asked for */
};

int vcpu_create(struct vcpu *v, struct kvm_vm *vm, unsigned index, const struct vcpu_env *env, struct err *e);
void vcpu_destroy(struct vcpu *v);
/* Puts the boot vCPU at a PVH entry: 32-bit protected mode, paging off,
 * flat segments from the boot GDT, %ebx = start_info. */
int vcpu_setup_pvh(struct vcpu *v, uint64_t entry, uint64_t start_info, struct err *e);
/* Writes the boot GDT the PVH segments refer to. */
int vcpu_write_boot_gdt(void *gdt_host);
int vcpu_start(struct vcpu *v, struct err *e);
/* Makes a running vCPU leave KVM_RUN promptly (thread-safe). */
void vcpu_kick(struct vcpu *v);
void vcpu_join(struct vcpu *v);
/* Installs the (empty) signal handler used to kick vCPUs; call once. */
void vcpu_signal_init(void);

#endif
