/* Guest RAM and a KVM VM made ahead of the boot that uses them: by
 * `vmm standby` (cli/standby_cmd.h), before it knows which VM it will run,
 * so that what it costs (KVM_CREATE_VM, the memory slot, the irqchip:
 * ~0.3-0.7 ms on a PVM host) is off the start's path. The PIT and the
 * vCPUs come from the boot (the PIT only if its kernel wants one). The
 * first boot takes them when its RAM size is theirs; a reset's boot makes
 * its own. */
#ifndef VMM_MACHINE_VM_AHEAD_H
#define VMM_MACHINE_VM_AHEAD_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm/kvm.h"
#include "mem/guest_mem.h"
#include "util/err.h"

struct vm_ahead {
	struct guest_mem mem;
	struct kvm_vm vm;
	bool taken; /* by a boot: mem and vm are its own from then on */
};

/* Reserves mem_size bytes of RAM and creates the VM on kvm_fd (which stays
 * the caller's) with it registered. -1 with e: nothing to free. */
int vm_ahead_make(struct vm_ahead *a, int kvm_fd, uint64_t mem_size, struct err *e);
/* For a boot with mem_size bytes of RAM: true, and mem and vm are the
 * boot's (to free with guest_mem_free and kvm_vm_destroy), when a holds a
 * VM of that size not taken yet. */
bool vm_ahead_take(struct vm_ahead *a, uint64_t mem_size, struct guest_mem *mem, struct kvm_vm *vm);
/* Frees what no boot took. */
void vm_ahead_free(struct vm_ahead *a);

#endif
