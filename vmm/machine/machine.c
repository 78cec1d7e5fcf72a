#include "machine/machine.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "abi/platform.h"
#include "devices/console_port.h"
#include "devices/i8042.h"
#include "devices/io_bus.h"
#include "devices/power.h"
#include "devices/uart.h"
#include "host/event_loop.h"
#include "kvm/cpuid.h"
#include "kvm/cpuid_cache.h"
#include "kvm/kvm.h"
#include "kvm/kvm_stats.h"
#include "kvm/vcpu.h"
#include "machine/boot_image.h"
#include "machine/vm_ahead.h"
#include "machine/idle_stop.h"
#include "machine/virtio_slots.h"
#include "util/zalloc.h"

struct machine {
	const struct vm_config *cfg;
	const struct machine_host *host;
	struct guest_mem mem;
	struct kvm_vm kvm;
	struct io_bus pio, mmio;
	struct uart uart;
	struct console_port con_port;
	struct vm_requester req;
	struct power_dev power;
	struct virtio_slots slots;
	struct vm_config boot_cfg; /* cfg with the device list on the command line */
	struct vcpu *vcpus;
	unsigned nvcpus;
	struct vcpu ahead_vcpu0; /* vCPU 0, made ahead with the VM; until create_vcpus takes it */
	bool have_ahead_vcpu0;
	struct vcpu_env env;
	volatile int stopping;

	pthread_mutex_t stop_lock;
	bool stop_set;
	struct machine_result *res;
	int stop_efd;
	struct idle_stop idle;  /* --idle-stop's clock */
	int idle_stopping;      /* it asked the guest to power off (atomic) */

	struct event_loop loop;
	struct console *con;
	struct console_socket *csock;
	const struct virtio_hosts *devices;
	int sig_fd;
	int in_fd;              /* where console input comes from now: stdin, a socket client, or -1 */
	int room_efd;           /* the UART FIFO has room for pending input */
	size_t pend_off, pend_len;
	bool stdin_paused;
	/* Last, the buffers that are mostly unused (a short command line, no
	 * console input): their pages stay untouched (util/zalloc.h). */
	char cmdline[CMDLINE_MAX];
	uint8_t pending[512];   /* console input the guest has not taken yet */
};

/* Records the first reason to stop (later ones lose) and wakes the I/O loop. */
static void machine_stop(struct machine *m, enum machine_outcome o, int code, unsigned vcpu, const char *reason,
			 const char *dump)
{
	uint64_t one = 1;

	/* Once idle, the run ends: a reset would only boot a guest nobody
	 * uses and take clients off the listeners again. */
	if (o == OUTCOME_RESET && __atomic_load_n(&m->idle_stopping, __ATOMIC_ACQUIRE)) {
		o = OUTCOME_POWEROFF;
		code = 0;
	}
	pthread_mutex_lock(&m->stop_lock);
	/* The first reason wins, except that a stop signal overrides a reset:
	 * the reset would only restart a guest the user just asked to stop
	 * (a guest resetting in a loop used to swallow SIGTERM). */
	if (!m->stop_set || (o == OUTCOME_SIGNAL && m->res->outcome == OUTCOME_RESET)) {
		m->stop_set = true;
		m->res->outcome = o;
		m->res->code = code;
		m->res->vcpu = vcpu;
		snprintf(m->res->reason, sizeof m->res->reason, "%s", reason ? reason : "");
		snprintf(m->res->dump, sizeof m->res->dump, "%s", dump ? dump : "");
		/* No vCPU re-enters the guest from here on: the one asking stops
		 * after this exit, the others when the I/O thread kicks them. */
		__atomic_store_n(&m->stopping, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&m->stop_lock);
	if (write(m->stop_efd, &one, sizeof one) < 0) {
		/* The counter cannot overflow with one write per event; nothing to do. */
	}
}

static void on_vcpu_stop(void *opaque, unsigned index, enum vcpu_stop why, int code, const char *reason,
			 const char *dump)
{
	struct machine *m = opaque;
	static const enum machine_outcome map[] = {
		[VCPU_STOP_POWEROFF] = OUTCOME_POWEROFF,
		[VCPU_STOP_RESET] = OUTCOME_RESET,
		[VCPU_STOP_CRASH] = OUTCOME_CRASH,
	};

	machine_stop(m, map[why], code, index, reason, dump);
}

static void on_device_request(void *opaque, enum vm_request req, int code)
{
	struct machine *m = opaque;

	machine_stop(m, req == VM_REQ_RESET ? OUTCOME_RESET : OUTCOME_POWEROFF, code, 0, NULL, NULL);
}

static void uart_tx(void *opaque, const uint8_t *bytes, size_t len)
{
	struct machine *m = opaque;

	if (m->cfg->console != CONSOLE_NONE)
		console_write(m->con, bytes, len);
	if (m->csock)
		console_socket_write(m->csock, bytes, len);
}

static void uart_irq(void *opaque, int level)
{
	struct machine *m = opaque;

	kvm_vm_irq_line(&m->kvm, IRQ_COM1, level);
}

static void uart_room(void *opaque)
{
	struct machine *m = opaque;
	uint64_t one = 1;

	if (write(m->room_efd, &one, sizeof one) < 0) {
		/* eventfd counters do not overflow here */
	}
}

static const struct uart_ops uart_ops = { uart_tx, uart_irq, uart_room };

static void on_stdin(void *opaque, uint32_t events);

/* Input waits in pending until the guest has room; meanwhile stdin is out of
 * the loop entirely (a hang-up would otherwise be reported regardless). */
static void deliver_pending(struct machine *m)
{
	size_t n = uart_receive(&m->uart, m->pending + m->pend_off, m->pend_len - m->pend_off);

	m->pend_off += n;
	if (m->pend_off < m->pend_len) {
		if (!m->stdin_paused) {
			event_loop_del(&m->loop, m->in_fd);
			m->stdin_paused = true;
		}
		return;
	}
	m->pend_off = m->pend_len = 0;
	if (m->stdin_paused) {
		m->stdin_paused = false;
		if (event_loop_add(&m->loop, m->in_fd, EPOLLIN, on_stdin, m, NULL) < 0)
			m->in_fd = -1;
	}
}

/* The console input source went away (end of stdin, client hung up). */
static void input_gone(struct machine *m)
{
	int fd = m->in_fd;

	if (!m->stdin_paused)
		event_loop_del(&m->loop, fd);
	m->stdin_paused = false;
	m->pend_off = m->pend_len = 0;
	m->in_fd = -1;
	if (m->csock)
		console_socket_drop(m->csock, fd);
}

static void on_stdin(void *opaque, uint32_t events)
{
	struct machine *m = opaque;
	uint8_t buf[256];
	ssize_t n;
	bool quit;

	(void)events;
	n = read(m->in_fd, buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) { /* end of input: the guest keeps running without it */
		input_gone(m);
		return;
	}
	quit = false;
	if (m->csock) { /* socket clients have their own escape (virsh: Ctrl-]) */
		memcpy(m->pending, buf, (size_t)n);
		m->pend_len = (size_t)n;
	} else {
		m->pend_len = console_escape_filter(&m->con->esc, buf, (size_t)n, m->pending, &quit);
	}
	m->pend_off = 0;
	if (quit) {
		machine_stop(m, OUTCOME_QUIT, 0, 0, NULL, NULL);
		return;
	}
	deliver_pending(m);
}

static void on_room(void *opaque, uint32_t events)
{
	struct machine *m = opaque;
	uint64_t v;

	(void)events;
	if (read(m->room_efd, &v, sizeof v) < 0)
		return;
	if (m->pend_len)
		deliver_pending(m);
}

static void on_console_client(void *opaque, uint32_t events)
{
	struct machine *m = opaque;
	int fd;

	(void)events;
	if (m->in_fd >= 0)
		input_gone(m); /* the new client takes over */
	fd = console_socket_accept(m->csock);
	if (fd < 0)
		return;
	m->in_fd = fd;
	if (event_loop_add(&m->loop, fd, EPOLLIN, on_stdin, m, NULL) < 0)
		input_gone(m);
}

/* Cooperative: the guest decides (the site kernel finishes its responses). */
static void ask_poweroff(struct machine *m)
{
	power_request_shutdown(&m->power);
	kvm_vm_irq_line(&m->kvm, POWER_GSI, 1);
	kvm_vm_irq_line(&m->kvm, POWER_GSI, 0);
}

static void idle_ask_poweroff(void *opaque)
{
	struct machine *m = opaque;

	__atomic_store_n(&m->idle_stopping, 1, __ATOMIC_RELEASE);
	ask_poweroff(m);
}

/* As if the guest had powered off: the idle stop is no failure. */
static void idle_force_poweroff(void *opaque)
{
	machine_stop(opaque, OUTCOME_POWEROFF, 0, 0, NULL, NULL);
}

static const struct idle_stop_ops idle_ops = { idle_ask_poweroff, idle_force_poweroff };

static void on_signal(void *opaque, uint32_t events)
{
	struct machine *m = opaque;
	struct signalfd_siginfo si;

	(void)events;
	if (read(m->sig_fd, &si, sizeof si) != sizeof si)
		return;
	switch (si.ssi_signo) {
	case SIGPWR:
		/* Clients that arrive while the guest winds down wait in the
		 * listeners' backlog rather than reach a guest that refuses them;
		 * an inherited listener's next owner answers them. */
		virtio_slots_quiesce(&m->slots);
		ask_poweroff(m);
		break;
	case SIGUSR2:
		machine_stop(m, OUTCOME_RESET, 0, 0, NULL, NULL);
		break;
	default:
		machine_stop(m, OUTCOME_SIGNAL, (int)si.ssi_signo, 0, NULL, NULL);
		break;
	}
}

static void on_stop(void *opaque, uint32_t events)
{
	struct machine *m = opaque;
	uint64_t v;

	(void)events;
	if (read(m->stop_efd, &v, sizeof v) < 0)
		return;
	event_loop_quit(&m->loop);
}

static int add_devices(struct machine *m, struct err *e)
{
	m->req = (struct vm_requester){ on_device_request, m };
	m->power.req = &m->req;
	uart_init(&m->uart, &uart_ops, m);
	m->con_port = (struct console_port){ .mem = &m->mem, .out = uart_tx, .opaque = m };
	if (io_bus_add(&m->pio, PORT_COM1, 8, uart_io, &m->uart, e) < 0 ||
	    io_bus_add(&m->pio, PORT_CONSOLE_BULK, PORT_CONSOLE_BULK_LEN, console_port_io, &m->con_port, e) < 0 ||
	    io_bus_add(&m->pio, PORT_I8042_DATA, 5, i8042_io, &m->req, e) < 0 ||
	    io_bus_add(&m->pio, PORT_POWER, PORT_POWER_LEN, power_io, &m->power, e) < 0)
		return -1;
	return 0;
}

static int vcpu_thread_start(void *opaque, struct err *e)
{
	const struct machine_host *h = ((struct machine *)opaque)->host;

	return h->vcpu_thread_start ? h->vcpu_thread_start(h->ctx, e) : 0;
}

static int create_vcpus(struct machine *m, const struct boot_entry *boot, struct err *e)
{
	struct cpuid_table *cpuid = m->host->cpuid;

	m->vcpus = calloc(m->cfg->cpus, sizeof *m->vcpus);
	if (!m->vcpus)
		return err_set(e, "out of memory");
	if (cpuid->h.nent == 0 && cpuid_supported_cached(m->kvm.kvm_fd, m->host->cpuid_cache, cpuid, e) < 0)
		return -1;
	m->env = (struct vcpu_env){ &m->pio, &m->mmio, on_vcpu_stop, m, &m->stopping, vcpu_thread_start };
	for (unsigned i = 0; i < m->cfg->cpus; i++) {
		if (i == 0 && m->have_ahead_vcpu0) {
			m->vcpus[0] = m->ahead_vcpu0;
			m->vcpus[0].env = &m->env;
			m->have_ahead_vcpu0 = false;
		} else if (vcpu_create(&m->vcpus[i], &m->kvm, i, &m->env, e) < 0) {
			return -1;
		}
		m->nvcpus = i + 1;
		if (cpuid_apply(cpuid, m->vcpus[i].fd, i, m->cfg->cpus, e) < 0)
			return -1;
		if (m->cfg->exit_stats && (m->vcpus[i].stats_fd = kvm_stats_open(m->vcpus[i].fd, e)) < 0)
			return -1;
	}
	/* Only the boot vCPU gets registers; the others wait for INIT/SIPI. */
	return vcpu_setup_pvh(&m->vcpus[0], boot->rip, boot->start_info, e);
}

static int setup(struct machine *m, struct err *e)
{
	struct boot_entry boot;
	bool ahead;

	if (m->cfg->cpus > VM_MAX_CPUS)
		return err_set(e, "--cpus %u: at most %u vCPUs are supported", m->cfg->cpus, VM_MAX_CPUS);
	if (virtio_slots_open(&m->slots, m->cfg, m->devices, e) < 0)
		return -1;
	m->boot_cfg = *m->cfg;
	if (virtio_slots_cmdline(&m->slots, m->cfg->cmdline, m->cmdline, sizeof m->cmdline, e) < 0)
		return -1;
	m->boot_cfg.cmdline = m->cmdline;
	ahead = m->host->ahead && vm_ahead_take(m->host->ahead, m->cfg->mem, &m->mem, &m->kvm, &m->ahead_vcpu0);
	m->have_ahead_vcpu0 = ahead;
	if (!ahead && guest_mem_alloc(&m->mem, m->cfg->mem, e) < 0)
		return -1;
	if (boot_image_load(&m->boot_cfg, &m->mem, &boot, e) < 0)
		return -1;
	if (ahead) {
		if (!boot.no_pit && kvm_vm_add_pit(&m->kvm, e) < 0)
			return -1;
	} else if (kvm_vm_create(&m->kvm, m->host->kvm_fd, &m->mem, !boot.no_pit, e) < 0) {
		return -1;
	}
	if ((int)m->cfg->cpus > m->kvm.max_vcpus)
		return err_set(e, "--cpus %u: this host's KVM allows at most %d vCPUs", m->cfg->cpus, m->kvm.max_vcpus);
	if (m->cfg->halt_poll_ns >= 0 && kvm_vm_set_halt_poll(&m->kvm, (uint64_t)m->cfg->halt_poll_ns, e) < 0)
		return -1;
	if (add_devices(m, e) < 0)
		return -1;
	if (create_vcpus(m, &boot, e) < 0)
		return -1;
	if (event_loop_init(&m->loop, e) < 0)
		return -1;
	if (virtio_slots_attach(&m->slots, &(struct device_env){ &m->mem, &m->kvm, &m->loop }, &m->mmio, e) < 0)
		return -1;
	if (m->cfg->idle_stop_s &&
	    idle_stop_start(&m->idle, m->cfg->name, m->cfg->idle_stop_s, &m->slots, &m->loop, &idle_ops, m, e) < 0)
		return -1;
	if (event_loop_add(&m->loop, m->stop_efd, EPOLLIN, on_stop, m, e) < 0 ||
	    event_loop_add(&m->loop, m->room_efd, EPOLLIN, on_room, m, e) < 0 ||
	    event_loop_add(&m->loop, m->sig_fd, EPOLLIN, on_signal, m, e) < 0)
		return -1;
	if (m->csock) {
		if (event_loop_add(&m->loop, m->csock->listen_fd, EPOLLIN, on_console_client, m, e) < 0)
			return -1;
		m->in_fd = m->csock->client_fd; /* still attached from before a reset */
	} else {
		m->in_fd = m->con->in_fd;
	}
	/* Input that cannot be polled (a regular file, /dev/null) is simply not offered. */
	if (m->in_fd >= 0 && event_loop_add(&m->loop, m->in_fd, EPOLLIN, on_stdin, m, NULL) < 0)
		m->in_fd = -1;
	return 0;
}

/* One line per vCPU into res->stats: KVM's own exit counters (all exits,
 * including those handled in the kernel) and the returns to vmm. */
static void record_exit_stats(struct machine *m)
{
	struct kvm_stats *st = malloc(sizeof *st);
	char *out = m->res->stats;
	size_t size = sizeof m->res->stats, used = strlen(out);
	struct err e = { "" };

	for (unsigned i = 0; st && i < m->nvcpus && used < size - 1; i++) {
		struct vcpu *v = &m->vcpus[i];
		char line[1024];
		int n;

		if (v->stats_fd < 0)
			continue;
		if (kvm_stats_read(v->stats_fd, st, &e) < 0)
			snprintf(line, sizeof line, "%s", e.msg);
		else
			kvm_stats_format_exits(st, line, sizeof line);
		n = snprintf(out + used, size - used, "vcpu%u %s userspace_exits=%llu\n", i, line,
			     (unsigned long long)v->exits);
		if (n < 0)
			break;
		used += (size_t)n;
		if (used >= size)
			used = size - 1;
	}
	free(st);
}

static void teardown(struct machine *m)
{
	__atomic_store_n(&m->stopping, 1, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < m->nvcpus; i++)
		vcpu_kick(&m->vcpus[i]);
	for (unsigned i = 0; i < m->nvcpus; i++)
		vcpu_join(&m->vcpus[i]);
	if (m->cfg->exit_stats)
		record_exit_stats(m);
	for (unsigned i = 0; i < m->nvcpus; i++)
		vcpu_destroy(&m->vcpus[i]);
	free(m->vcpus);
	if (m->have_ahead_vcpu0) /* set-up failed before it was taken */
		vcpu_destroy(&m->ahead_vcpu0);
	idle_stop_close(&m->idle);
	event_loop_close(&m->loop);
	virtio_slots_close(&m->slots);
	kvm_vm_destroy(&m->kvm);
	guest_mem_free(&m->mem);
	uart_destroy(&m->uart);
	if (m->stop_efd >= 0)
		close(m->stop_efd);
	if (m->room_efd >= 0)
		close(m->room_efd);
	pthread_mutex_destroy(&m->stop_lock);
}

int machine_run(const struct vm_config *cfg, const struct machine_host *host, struct machine_result *res,
		struct err *e)
{
	struct machine *m = zalloc(sizeof *m);
	int rc = -1;

	if (!m)
		return err_set(e, "out of memory");
	m->cfg = cfg;
	m->host = host;
	m->con = host->con;
	m->csock = host->csock;
	m->devices = host->devices;
	m->sig_fd = host->sig_fd;
	m->in_fd = -1;
	m->res = res;
	m->kvm.kvm_fd = m->kvm.vm_fd = -1;
	m->loop.epfd = -1;
	m->idle.timer_fd = -1;
	pthread_mutex_init(&m->stop_lock, NULL);
	/* Not a memset: the strings' 6 KiB stay untouched, so not resident,
	 * in a run that never fills them. */
	res->outcome = OUTCOME_POWEROFF;
	res->code = 0;
	res->vcpu = 0;
	res->reason[0] = res->dump[0] = res->stats[0] = 0;
	m->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	m->room_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->stop_efd < 0 || m->room_efd < 0) {
		err_errno(e, "eventfd");
		goto out;
	}
	if (setup(m, e) < 0)
		goto out;
	if (host->before_start && host->before_start(host->ctx, e) < 0)
		goto out;
	for (unsigned i = 0; i < m->nvcpus; i++)
		if (vcpu_start(&m->vcpus[i], e) < 0) {
			machine_stop(m, OUTCOME_CRASH, 0, i, e->msg, NULL);
			break;
		}
	/* What set-up freed (the jail's seccomp compile buffer, directory reads) goes
	 * back to the kernel: glibc's heap would keep its pages for the whole run
	 * (the release vmm links musl, whose allocator gives them back itself). */
#ifdef __GLIBC__
	malloc_trim(0);
#endif
	if (event_loop_run(&m->loop, e) < 0)
		goto out;
	rc = 0;
out:
	teardown(m);
	zfree(m, sizeof *m);
	return rc;
}
