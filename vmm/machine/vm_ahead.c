#include "machine/vm_ahead.h"

#include <string.h>

int vm_ahead_make(struct vm_ahead *a, int kvm_fd, uint64_t mem_size, struct err *e)
{
	memset(a, 0, sizeof *a);
	a->vm.vm_fd = -1;
	if (guest_mem_alloc(&a->mem, mem_size, e) < 0)
		return -1;
	if (kvm_vm_create_base(&a->vm, kvm_fd, &a->mem, e) < 0) {
		guest_mem_free(&a->mem);
		return -1;
	}
	if (vcpu_create(&a->vcpu0, &a->vm, 0, NULL, e) < 0) {
		kvm_vm_destroy(&a->vm);
		guest_mem_free(&a->mem);
		return -1;
	}
	return 0;
}

bool vm_ahead_take(struct vm_ahead *a, uint64_t mem_size, struct guest_mem *mem, struct kvm_vm *vm,
		   struct vcpu *vcpu0)
{
	if (a->taken || a->vm.vm_fd < 0 || a->mem.size != mem_size)
		return false;
	*mem = a->mem;
	*vm = a->vm;
	*vcpu0 = a->vcpu0;
	a->taken = true;
	return true;
}

void vm_ahead_free(struct vm_ahead *a)
{
	if (!a->taken) {
		vcpu_destroy(&a->vcpu0);
		kvm_vm_destroy(&a->vm);
		guest_mem_free(&a->mem);
	}
	a->taken = true;
}
