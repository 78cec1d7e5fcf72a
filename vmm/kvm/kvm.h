/* The host's KVM: /dev/kvm, the VM file descriptor, memory slots and
 * interrupt lines. */
#ifndef VMM_KVM_KVM_H
#define VMM_KVM_KVM_H

#include <stdbool.h>
#include <stdint.h>

#include "mem/guest_mem.h"
#include "util/err.h"

struct kvm_vm {
	int kvm_fd;    /* /dev/kvm, borrowed from the caller (kvm_open) */
	int vm_fd;
	int run_size;  /* bytes of each vCPU's kvm_run mapping */
	int max_vcpus;
};

/* Opens /dev/kvm (path overridable for tests via VMM_KVM_DEVICE). vmm opens
 * it once and keeps it: a guest reset builds the next VM from the same
 * descriptor, after the jail has taken the file system away. */
int kvm_open(struct err *e);
/* Checks kvm_fd's API and the capabilities we rely on, creates the VM with
 * guest RAM m registered (below the hole at 0, the rest at 4 GiB), its
 * in-kernel irqchip and, with pit, an in-kernel PIT (KVM runs a kernel
 * thread per PIT: a kernel that promises not to use one goes without).
 * kvm_fd stays the caller's. */
int kvm_vm_create(struct kvm_vm *vm, int kvm_fd, const struct guest_mem *m, bool pit, struct err *e);
/* kvm_vm_create in two steps, for a VM made before its kernel is read
 * (machine/early_vm.h): everything but the PIT; then the PIT, which needs
 * the irqchip first. */
int kvm_vm_create_base(struct kvm_vm *vm, int kvm_fd, const struct guest_mem *m, struct err *e);
int kvm_vm_add_pit(struct kvm_vm *vm, struct err *e);
void kvm_vm_destroy(struct kvm_vm *vm);
/* Drives an interrupt line (GSI) to level. */
int kvm_vm_irq_line(struct kvm_vm *vm, unsigned gsi, int level);
/* Binds eventfd fd to guest writes of value to the 4-byte MMIO register at
 * gpa, so notifications skip the exit to user space. */
int kvm_vm_ioeventfd(struct kvm_vm *vm, uint64_t gpa, uint32_t value, int fd, struct err *e);
/* Writing 1 to eventfd fd raises an edge on GSI gsi, from any thread. */
int kvm_vm_irqfd(struct kvm_vm *vm, unsigned gsi, int fd, struct err *e);
/* Caps how long KVM polls for a halted vCPU's next event before sleeping
 * (KVM_CAP_HALT_POLL, Linux 5.17+); 0 turns polling off. */
int kvm_vm_set_halt_poll(struct kvm_vm *vm, uint64_t ns, struct err *e);
/* Reports whether /dev/kvm can be opened at all (for early, clear errors). */
int kvm_available(struct err *e);

#endif
