#include "kvm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "abi/platform.h"

static const char *device_path(void)
{
	const char *p = getenv("VMM_KVM_DEVICE");

	return p && *p ? p : "/dev/kvm";
}

int kvm_open(struct err *e)
{
	const char *path = device_path();
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == EACCES || errno == EPERM)
		return err_set(e, "no permission to open %s (add your user to the 'kvm' group)", path);
	if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
		return err_set(e, "%s is not available: this host has no usable KVM", path);
	return err_errno(e, "cannot open %s", path);
}

int kvm_available(struct err *e)
{
	int fd = kvm_open(e);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int need_cap(int fd, long cap, const char *name, struct err *e)
{
	if (ioctl(fd, KVM_CHECK_EXTENSION, cap) <= 0)
		return err_set(e, "KVM lacks %s", name);
	return 0;
}

static int create_vm_fd(int kvm_fd)
{
	int fd;

	/* KVM_CREATE_VM may fail transiently with EINTR on busy hosts. */
	for (int tries = 0; tries < 100; tries++) {
		fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
		if (fd >= 0 || errno != EINTR)
			break;
	}
	return fd;
}

static int set_slot(struct kvm_vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *host, struct err *e)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .guest_phys_addr = gpa, .memory_size = size, .userspace_addr = (uint64_t)host,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return err_errno(e, "KVM_SET_USER_MEMORY_REGION (%llu MiB at 0x%llx)",
				 (unsigned long long)(size >> 20), (unsigned long long)gpa);
	return 0;
}

static int set_memory(struct kvm_vm *vm, const struct guest_mem *m, struct err *e)
{
	if (set_slot(vm, 0, 0, m->low_size, m->host, e) < 0)
		return -1;
	if (m->size > m->low_size &&
	    set_slot(vm, 1, MMIO_HOLE_END, m->size - m->low_size, m->host + m->low_size, e) < 0)
		return -1;
	return 0;
}

int kvm_vm_create_base(struct kvm_vm *vm, int kvm_fd, const struct guest_mem *m, struct err *e)
{
	uint64_t ident = GPA_KVM_IDENT_MAP;
	int v;

	vm->vm_fd = -1;
	vm->kvm_fd = kvm_fd;
	v = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION) {
		err_set(e, "KVM API version %d, expected %d", v, KVM_API_VERSION);
		goto fail;
	}
	if (need_cap(vm->kvm_fd, KVM_CAP_IRQCHIP, "an in-kernel irqchip", e) < 0 ||
	    need_cap(vm->kvm_fd, KVM_CAP_USER_MEMORY, "user memory slots", e) < 0 ||
	    need_cap(vm->kvm_fd, KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT", e) < 0)
		goto fail;
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0) {
		err_errno(e, "KVM_GET_VCPU_MMAP_SIZE");
		goto fail;
	}
	vm->max_vcpus = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (vm->max_vcpus <= 0)
		vm->max_vcpus = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (vm->max_vcpus <= 0)
		vm->max_vcpus = 1;
	vm->vm_fd = create_vm_fd(vm->kvm_fd);
	if (vm->vm_fd < 0) {
		err_errno(e, "KVM_CREATE_VM");
		goto fail;
	}
	/* Intel VMX needs three private pages for real-mode emulation. */
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)GPA_KVM_TSS) < 0) {
		err_errno(e, "KVM_SET_TSS_ADDR");
		goto fail;
	}
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0 &&
	    ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0) {
		err_errno(e, "KVM_SET_IDENTITY_MAP_ADDR");
		goto fail;
	}
	/* RAM before the irqchip and PIT: registered after them, the VM's
	 * first memory slot waited 4-11 ms on a PVM host (asleep, almost no
	 * CPU: a grace period the irqchip's set-up leaves pending, it seems);
	 * before them it takes 0.04 ms and they take no longer. */
	if (set_memory(vm, m, e) < 0)
		goto fail;
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		err_errno(e, "KVM_CREATE_IRQCHIP");
		goto fail;
	}
	return 0;
fail:
	kvm_vm_destroy(vm);
	return -1;
}

int kvm_vm_add_pit(struct kvm_vm *vm, struct err *e)
{
	struct kvm_pit_config pit_cfg = { .flags = KVM_PIT_SPEAKER_DUMMY };

	if (need_cap(vm->kvm_fd, KVM_CAP_PIT2, "an in-kernel PIT", e) < 0)
		return -1;
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit_cfg) < 0)
		return err_errno(e, "KVM_CREATE_PIT2");
	return 0;
}

int kvm_vm_create(struct kvm_vm *vm, int kvm_fd, const struct guest_mem *m, bool pit, struct err *e)
{
	if (kvm_vm_create_base(vm, kvm_fd, m, e) < 0)
		return -1;
	if (pit && kvm_vm_add_pit(vm, e) < 0) {
		kvm_vm_destroy(vm);
		return -1;
	}
	return 0;
}

int kvm_vm_set_halt_poll(struct kvm_vm *vm, uint64_t ns, struct err *e)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_HALT_POLL, .args = { ns } };

	if (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_HALT_POLL) <= 0)
		return err_set(e, "--halt-poll-ns: this host's KVM cannot set halt polling per VM (Linux 5.17+)");
	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		return err_errno(e, "KVM_ENABLE_CAP(KVM_CAP_HALT_POLL, %llu)", (unsigned long long)ns);
	return 0;
}

void kvm_vm_destroy(struct kvm_vm *vm)
{
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	vm->vm_fd = vm->kvm_fd = -1; /* kvm_fd is the caller's */
}

int kvm_vm_irq_line(struct kvm_vm *vm, unsigned gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = (uint32_t)level };

	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &l);
}

int kvm_vm_ioeventfd(struct kvm_vm *vm, uint64_t gpa, uint32_t value, int fd, struct err *e)
{
	struct kvm_ioeventfd io = {
		.datamatch = value, .addr = gpa, .len = 4, .fd = fd, .flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
	};

	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
		return err_errno(e, "KVM_IOEVENTFD at 0x%llx", (unsigned long long)gpa);
	return 0;
}

int kvm_vm_irqfd(struct kvm_vm *vm, unsigned gsi, int fd, struct err *e)
{
	struct kvm_irqfd irq = { .fd = (uint32_t)fd, .gsi = gsi };

	if (ioctl(vm->vm_fd, KVM_IRQFD, &irq) < 0)
		return err_errno(e, "KVM_IRQFD for GSI %u", gsi);
	return 0;
}
