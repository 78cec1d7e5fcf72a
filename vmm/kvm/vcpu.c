#include "kvm/vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "abi/platform.h"
#include "kvm/regs_dump.h"

#define SIG_KICK SIGUSR1
#define VCPU_STACK (256u << 10)

static void kick_handler(int sig)
{
	(void)sig;
}

void vcpu_signal_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = kick_handler; /* no SA_RESTART: KVM_RUN must return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIG_KICK, &sa, NULL);
}

int vcpu_create(struct vcpu *v, struct kvm_vm *vm, unsigned index, const struct vcpu_env *env, struct err *e)
{
	memset(v, 0, sizeof *v);
	v->index = index;
	v->env = env;
	v->stats_fd = -1;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (v->fd < 0)
		return err_errno(e, "KVM_CREATE_VCPU %u", index);
	v->run_size = (size_t)vm->run_size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		close(v->fd);
		v->fd = -1;
		return err_errno(e, "mmap of vCPU %u state", index);
	}
	return 0;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->fd >= 0)
		close(v->fd);
	if (v->stats_fd >= 0)
		close(v->stats_fd);
	v->stats_fd = -1;
	v->run = NULL;
	v->fd = -1;
}

int vcpu_write_boot_gdt(void *gdt_host)
{
	static const uint64_t gdt[4] = {
		0,
		0x00cf9b000000ffffull, /* 0x08: 32-bit flat code */
		0x00cf93000000ffffull, /* 0x10: flat data */
		0x008b00000000ffffull, /* 0x18: TSS (placeholder, as VT-x wants one) */
	};

	memcpy(gdt_host, gdt, sizeof gdt);
	return 0;
}

int vcpu_setup_pvh(struct vcpu *v, uint64_t entry, uint64_t start_info, struct err *e)
{
	struct kvm_sregs s;
	struct kvm_regs r;
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 0x08, .type = 0xb,
		.present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
	struct kvm_segment data = code;

	data.selector = 0x10;
	data.type = 0x3;
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return err_errno(e, "KVM_GET_SREGS");
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.tr.selector = 0x18;
	s.gdt.base = GPA_BOOT_GDT;
	s.gdt.limit = 4 * 8 - 1;
	s.cr0 = 0x11; /* PE | ET */
	s.cr3 = 0;
	s.cr4 = 0;
	s.efer = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		return err_errno(e, "KVM_SET_SREGS");
	memset(&r, 0, sizeof r);
	r.rflags = 0x2;
	r.rip = entry;
	r.rbx = start_info;
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return err_errno(e, "KVM_SET_REGS");
	return 0;
}

static void crash(struct vcpu *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void crash(struct vcpu *v, const char *fmt, ...)
{
	char reason[256], dump[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	regs_dump(v->fd, dump, sizeof dump);
	v->env->stop(v->env->opaque, v->index, VCPU_STOP_CRASH, 0, reason, dump);
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;

	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size)
		io_bus_access(v->env->pio, run->io.port, data, run->io.size, out);
}

static const char *system_event_name(uint32_t type)
{
	switch (type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN: return "shutdown";
	case KVM_SYSTEM_EVENT_RESET: return "reset";
	case KVM_SYSTEM_EVENT_CRASH: return "crash";
	default: return "unknown";
	}
}

/* Returns false when the vCPU must stop. */
static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		io_bus_access(v->env->mmio, run->mmio.phys_addr, run->mmio.data,
			      run->mmio.len <= 8 ? run->mmio.len : 8, run->mmio.is_write);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SHUTDOWN:
		crash(v, "triple fault (KVM_EXIT_SHUTDOWN)");
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN)
			v->env->stop(v->env->opaque, v->index, VCPU_STOP_POWEROFF, 0, NULL, NULL);
		else if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
			v->env->stop(v->env->opaque, v->index, VCPU_STOP_RESET, 0, NULL, NULL);
		else
			crash(v, "system event %s", system_event_name(run->system_event.type));
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		crash(v, "KVM internal error, suberror %u%s", run->internal.suberror,
		      run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ? " (instruction emulation failed)" : "");
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		crash(v, "VM entry failed, hardware reason 0x%llx",
		      (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return false;
	case KVM_EXIT_HLT:
		crash(v, "guest halted with interrupts off");
		return false;
	default:
		crash(v, "unhandled KVM exit reason %u", run->exit_reason);
		return false;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	sigset_t set;
	char name[16];

	__atomic_store_n(&v->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	/* Named so top -H, perf and /proc/PID/task tell vCPU time from I/O time. */
	snprintf(name, sizeof name, "vcpu%u", v->index);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&set);
	sigaddset(&set, SIG_KICK);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (v->env->thread_start) {
		struct err e = { "" };

		if (v->env->thread_start(v->env->opaque, &e) < 0) {
			crash(v, "%s", e.msg);
			return NULL;
		}
	}
	while (!__atomic_load_n(v->env->stopping, __ATOMIC_ACQUIRE)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			crash(v, "KVM_RUN failed: %s", strerror(errno));
			break;
		}
		v->exits++;
		if (!handle_exit(v))
			break;
	}
	return NULL;
}

int vcpu_start(struct vcpu *v, struct err *e)
{
	pthread_attr_t a;
	int rc;

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, VCPU_STACK);
	rc = pthread_create(&v->thread, &a, vcpu_thread, v);
	pthread_attr_destroy(&a);
	if (rc != 0) {
		errno = rc;
		return err_errno(e, "cannot start vCPU %u thread", v->index);
	}
	v->started = true;
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (!v->started)
		return;
	pid_t tid;

	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	/* tgkill rather than pthread_kill, whose musl form is tkill: the jail
	 * lets vmm signal its own threads only. A thread that has not stored
	 * its tid yet has not entered KVM_RUN, and will see immediate_exit. */
	tid = __atomic_load_n(&v->tid, __ATOMIC_SEQ_CST);
	if (tid > 0)
		syscall(SYS_tgkill, getpid(), tid, SIG_KICK);
}

void vcpu_join(struct vcpu *v)
{
	if (v->started)
		pthread_join(v->thread, NULL);
	v->started = false;
}
