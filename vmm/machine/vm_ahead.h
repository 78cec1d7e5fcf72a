/* Guest RAM and a KVM VM made ahead of the boot that uses them: by
 * `vmm standby` (cli/standby_cmd.h), before it knows which VM it will run,
 * so that what it costs (KVM_CREATE_VM, the memory slot, the irqchip:
 * ~0.3-0.7 ms on a PVM host) is off the start's path; and vCPU 0. The PIT
 * and the other vCPUs come from the boot (the PIT only if its kernel
 * wants one), and so does vCPU 0's CPUID and registers. The
 * first boot takes them when its RAM size is theirs; a reset's boot makes
 * its own. */
#ifndef VMM_MACHINE_VM_AHEAD_H
#define VMM_MACHINE_VM_AHEAD_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm/kvm.h"
#include "kvm/vcpu.h"
#include "mem/guest_mem.h"
#include "util/err.h"

struct vm_ahead {
	struct guest_mem mem;
	struct kvm_vm vm;
	struct vcpu vcpu0; /* created, not set up: no CPUID, registers or thread */
	bool taken; /* by a boot: mem and vm are its own from then on */
};

/* Reserves mem_size bytes of RAM and creates the VM on kvm_fd (which stays
 * the caller's) with it registered. -1 with e: nothing to free. */
int vm_ahead_make(struct vm_ahead *a, int kvm_fd, uint64_t mem_size, struct err *e);
/* For a boot with mem_size bytes of RAM: true, and mem, vm and vcpu0 are
 * the boot's (to free with guest_mem_free, kvm_vm_destroy, vcpu_destroy),
 * when a holds a VM of that size not taken yet. */
bool vm_ahead_take(struct vm_ahead *a, uint64_t mem_size, struct guest_mem *mem, struct kvm_vm *vm,
		   struct vcpu *vcpu0);
/* Frees what no boot took. */
void vm_ahead_free(struct vm_ahead *a);

#endif
