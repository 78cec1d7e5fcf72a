#include "machine/vm_ahead.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

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
	return 0;
}

int vm_ahead_move_fd(struct vm_ahead *a, int min_fd, struct err *e)
{
	int fd;

	if (a->vm.vm_fd >= min_fd)
		return 0;
	fd = fcntl(a->vm.vm_fd, F_DUPFD_CLOEXEC, min_fd);
	if (fd < 0)
		return err_errno(e, "cannot move the VM's descriptor");
	close(a->vm.vm_fd);
	a->vm.vm_fd = fd;
	return 0;
}

bool vm_ahead_take(struct vm_ahead *a, uint64_t mem_size, struct guest_mem *mem, struct kvm_vm *vm)
{
	if (a->taken || a->vm.vm_fd < 0 || a->mem.size != mem_size)
		return false;
	*mem = a->mem;
	*vm = a->vm;
	a->taken = true;
	return true;
}

void vm_ahead_free(struct vm_ahead *a)
{
	if (!a->taken) {
		kvm_vm_destroy(&a->vm);
		guest_mem_free(&a->mem);
	}
	a->taken = true;
}
