/* The allowlists, one table per thread kind: every system call a jailed
 * vmm makes after set-up, with the arguments it may take where a wider
 * use would give a compromised vmm more than it needs, and why it is
 * there. Anything else traps and kills the process (seccomp_bpf.h).
 * `make check` runs every integration test with these filters on (the
 * tests prove the lists complete) and the jail test proves a call outside
 * them fatal.
 *
 * Sanitizer builds (vmm-san) add what the AddressSanitizer and
 * LeakSanitizer runtimes call (SANITIZER_RULES): shadow memory, their
 * thread set-up, and LeakSanitizer's stop-the-world check at exit. The
 * release vmm never gets those. */
#include "jail/seccomp_policy.h"

#include <asm/unistd.h>
#include <linux/kvm.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <errno.h>

#define N(call) __NR_##call, #call
#define ANY(call, why) { N(call), ARG_ANY, 0, { 0 }, 0, 0, why }
#define ONE_OF(call, arg, why, ...)                                                                       \
	{ N(call), ARG_ONE_OF, arg, { __VA_ARGS__ }, sizeof((uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t), 0, \
	  why }
/* ioctl's request: the kernel takes it as an unsigned int */
#define REQUEST_ONE_OF(why, ...)                                                                                 \
	{ N(ioctl), ARG_ONE_OF_32, 1, { __VA_ARGS__ }, sizeof((uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t), 0, \
	  why }
#define BITS_WITHIN(call, arg, mask, why) { N(call), ARG_BITS_WITHIN, arg, { mask }, 1, 0, why }
#define BITS_ALL(call, arg, bits, why) { N(call), ARG_BITS_ALL, arg, { bits }, 1, 0, why }
#define FAIL(call, err, why) { N(call), ARG_ANY, 0, { 0 }, 0, err, why }

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

/* Memory and thread calls every thread's C library makes. */
#define LIBC_RULES                                                                                         \
	ANY(futex, "pthread mutexes and joins (the stop lock, vCPU joins)"),                                 \
	BITS_WITHIN(mmap, 2, PROT_READ | PROT_WRITE, "malloc's larger blocks, thread stacks, guest RAM and " \
						     "kvm_run mappings: never executable"),                  \
	BITS_WITHIN(mprotect, 2, PROT_READ | PROT_WRITE, "thread stack guard set-up: never executable"),       \
	ANY(munmap, "freeing what mmap gave"),                                                               \
	ANY(madvise, "thread exit gives its stack back (MADV_DONTNEED); guest RAM is MADV_NOHUGEPAGE"),      \
	ANY(brk, "malloc's heap"),                                                                           \
	ANY(mremap, "musl's realloc of a block it mapped"),                                                  \
	ANY(rt_sigprocmask, "glibc blocks signals around thread exit and creation"),                         \
	ANY(rt_sigreturn, "return from the vCPU kick signal's handler"),                                     \
	ANY(exit, "a thread ends"),                                                                          \
	ANY(exit_group, "the process ends"),                                                                 \
	ANY(clock_gettime, "timestamps when the vDSO is not used"),                                          \
	ANY(gettid, "glibc's thread bookkeeping"),                                                           \
	ANY(getpid, "glibc's raise/abort paths; the vCPU kick's tgkill")

#ifdef SANITIZED
/* The sanitizer runtimes' own calls (vmm-san only): new threads' affinity
 * and alternate signal stacks; LeakSanitizer's exit check clones a tracer
 * task that attaches to every thread (ptrace, wait4) and reads
 * /proc/self (task list, maps) in the jail's private proc mount. */
#define SANITIZER_RULES                                                                                  \
	ANY(sched_getaffinity, "ASan: a new thread"),                                                      \
	ANY(sigaltstack, "ASan: a thread's alternate signal stack"),                                       \
	ANY(ptrace, "LSan: the tracer stops the threads"),                                                 \
	ANY(wait4, "LSan: the tracer and the stopped threads"),                                            \
	ANY(openat, "LSan: /proc/self/task and /proc/self/maps"),                                          \
	ANY(open, "LSan: the same, through the runtime's own open"),                                          \
	ANY(getdents64, "LSan: /proc/self/task"),                                                          \
	ANY(getdents, "LSan: /proc/self/task, through the runtime's own call"),                                                          \
	ANY(readlink, "sanitizer reports: the binary's path"),                                            \
	ANY(kill, "LSan: the tracer's end"),                                                               \
	ANY(getppid, "LSan: the tracer checks its parent"),                                                \
	ANY(sched_yield, "LSan: the tracer waits"),                                                        \
	ANY(pipe2, "sanitizer internals"),                                                                 \
	ANY(dup2, "sanitizer internals"),                                                                  \
	ANY(getrlimit, "sanitizer internals"),                                                             \
	ANY(prlimit64, "sanitizer internals"),                                                             \
	ANY(arch_prctl, "sanitizer internals"),                                                            \
	ANY(process_vm_readv, "LSan: reads registers' targets"),
#define SANITIZED_CLONE ANY(clone, "LSan's tracer task (sanitizer builds: any flags)"),
#define SANITIZED_PRCTL ANY(prctl, "LSan: PR_SET_PTRACER, PR_SET_PDEATHSIG, dumpable (sanitizer builds)"),
#else
#define SANITIZER_RULES
#endif

static const struct seccomp_rule main_rules[] = {
#ifdef SANITIZED
	SANITIZER_RULES
	SANITIZED_CLONE
	SANITIZED_PRCTL
#endif
	/* the I/O loop, hottest first */
	ANY(epoll_wait, "the I/O loop waits here"),
	ANY(epoll_pwait, "the I/O loop (glibc may use this form)"),
	ANY(read, "eventfds, the signalfd, timerfds, console input, vsock host sockets"),
	ANY(write, "eventfds, console output, vsock host sockets, messages on stderr"),
	ANY(readv, "vsock: host socket straight into guest buffers"),
	ANY(writev, "vsock: guest buffers straight to the host socket"),
	ANY(epoll_ctl, "sources come and go (vsock connections, console clients)"),
	ANY(accept4, "--publish listeners and the console socket take clients"),
	ANY(close, "connections and descriptors of a finished boot"),
	ANY(sendmsg, "vsock: data to host sockets without SIGPIPE"),
	ANY(recvmsg, "vsock: peeking at host sockets"),
	ANY(sendto, "vsock: send with MSG_NOSIGNAL"),
	ANY(recvfrom, "vsock: receive"),
	ANY(shutdown, "vsock: half-close from the guest"),
	ANY(setsockopt, "vsock: accepted sockets get their options (TCP_NODELAY, buffers)"),
	ANY(getsockopt, "vsock: SO_ERROR of a connect in progress"),
	ONE_OF(socket, 0, "--vsock-connect: the guest's connections to host unix sockets", AF_UNIX),
	ANY(connect, "--vsock-connect: the guest's connections to host unix sockets"),
	ANY(pread64, "virtio-blk reads; kernel and initrd loading at a reset"),
	ANY(preadv, "virtio-blk reads"),
	ANY(pwrite64, "virtio-blk writes; console log upkeep"),
	ANY(pwritev, "virtio-blk writes"),
	ANY(fdatasync, "virtio-blk flush: the guest's data is on disk"),
	ANY(fsync, "virtio-blk flush where fdatasync is not enough"),
	ANY(lseek, "console log upkeep"),
	ANY(ftruncate, "console log upkeep (keeps the newest part)"),
	ANY(fstat, "console log upkeep: its size"),
	ANY(newfstatat, "glibc's fstat; lstat of a --publish unix socket at exit (jailed: nothing there)"),
	ANY(timerfd_settime, "--idle-stop's clock, vsock's request timeout, a listener's accept pause"),
	ANY(poll, "--idle-stop: is a client waiting in a listener's backlog (timeout 0)"),
	ANY(getrandom, "virtio-rng: the host's random bytes for the guest"),
	ANY(unlink, "the console and --publish unix sockets at exit: jailed, the root is empty and read-only, "
		    "so nothing is removed (their parent, or vmm's next start, replaces them)"),
	ONE_OF(tgkill, 2, "kick a vCPU out of KVM_RUN (SIGUSR1); SIGSYS report", SIGUSR1, SIGSYS),
	REQUEST_ONE_OF("KVM: build a VM at a reset (the same calls as the first boot), irq lines, "
			 "ioeventfds, statistics; the terminal's settings back at exit",
	       KVM_GET_API_VERSION, KVM_CHECK_EXTENSION, KVM_GET_VCPU_MMAP_SIZE, KVM_CREATE_VM, KVM_SET_TSS_ADDR,
	       KVM_SET_IDENTITY_MAP_ADDR, KVM_CREATE_IRQCHIP, KVM_CREATE_PIT2, KVM_ENABLE_CAP,
	       KVM_SET_USER_MEMORY_REGION, KVM_IRQ_LINE, KVM_IOEVENTFD, KVM_IRQFD, KVM_CREATE_VCPU,
	       KVM_GET_SUPPORTED_CPUID, KVM_SET_CPUID2, KVM_SET_REGS, KVM_SET_SREGS, KVM_GET_SREGS, KVM_GET_REGS,
	       KVM_GET_STATS_FD, TCGETS, TCSETS,
	       /* the vCPU threads inherit this filter: theirs only narrows it */
	       KVM_RUN),
	/* a reset builds the next machine */
	ANY(eventfd2, "a boot's wake-ups (stop, console room, ioeventfds, irqfds)"),
	ANY(epoll_create1, "a boot's I/O loop"),
	ANY(timerfd_create, "a boot's --idle-stop clock and vsock request timer"),
	ANY(sysinfo, "a boot checks guest RAM against the host's (guest_mem_alloc)"),
	/* glibc's pthread_create tries clone3 first; its flags hide behind a
	 * pointer, so it is refused and glibc falls back to clone, whose flags
	 * show it makes a thread, never a process */
	FAIL(clone3, ENOSYS, "refused: glibc then uses clone, whose flags can be checked"),
#ifndef SANITIZED
	BITS_ALL(clone, 0, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND | CLONE_FILES,
		 "vCPU threads at a reset: threads of this process only"),
#endif
#ifdef SANITIZED
	ANY(rt_sigaction, "LSan's tracer sets its own fault handlers (sanitizer builds)"),
#else
	ONE_OF(rt_sigaction, 0, "glibc's first pthread_create sets its internal cancel and setxid handlers "
				"(SIGRTMIN, SIGRTMIN+1); nothing else: the SIGSYS report stays", 32, 33),
#endif
	ANY(set_robust_list, "a new thread's first call (glibc)"),
	ANY(rseq, "a new thread's first calls (glibc)"),
#ifndef SANITIZED
	ONE_OF(prctl, 0, "a new vCPU thread names itself", PR_SET_NAME),
#endif
	ONE_OF(seccomp, 0, "a new vCPU thread installs its own, narrower filter", SECCOMP_SET_MODE_FILTER),
#ifndef SANITIZED
	ANY(sched_yield, "glibc's spin paths"),
#endif
	LIBC_RULES,
};

static const struct seccomp_rule vcpu_rules[] = {
	REQUEST_ONE_OF("KVM_RUN; registers for a crash report; device interrupts from exits", KVM_RUN,
	       KVM_IRQ_LINE, KVM_GET_REGS, KVM_GET_SREGS),
	ANY(write, "wake the I/O thread (eventfds); console output from the UART and bulk port"),
	ANY(sendto, "console output to the --console-socket client (MSG_NOSIGNAL)"),
	ANY(pwrite64, "console log upkeep"),
	ANY(pread64, "console log upkeep"),
	ANY(lseek, "console log upkeep"),
	ANY(ftruncate, "console log upkeep"),
	ANY(fstat, "console log upkeep"),
	ANY(newfstatat, "glibc's fstat"),
	SANITIZER_RULES
	LIBC_RULES,
};

#define COUNT(a) (unsigned)(sizeof(a) / sizeof((a)[0]))

const struct seccomp_policy seccomp_main_policy = { "main", main_rules, COUNT(main_rules) };
const struct seccomp_policy seccomp_vcpu_policy = { "vcpu", vcpu_rules, COUNT(vcpu_rules) };
