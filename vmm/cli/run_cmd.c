#include "cli/run_cmd.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "abi/site_image.h"
#include "cli/exit_record.h"
#include "cli/run_jail.h"
#include "cli/run_options.h"
#include "host/vsock_cid.h"
#include "kvm/cpuid.h"
#include "kvm/kvm.h"
#include "kvm/vcpu.h"
#include "machine/boot_image.h"
#include "machine/machine.h"
#include "machine/vm_ahead.h"

#define EXIT_SETUP  2
#define EXIT_CRASH  125
#define EXIT_RESET  126

/* Signals that stop the VM are read from a signalfd by the I/O loop; the
 * vCPU kick signal is handled in the vCPU threads only. */
static int make_signal_fd(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPWR);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, old) < 0)
		return -1;
	sigdelset(&set, SIGUSR1);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* The firmware's reasons for powering off (abi/site_image.h). */
static const char *firmware_exit_reason(int code)
{
	switch (code) {
	case SITE_FW_EXIT_NO_DISK: return "no virtio-blk disk";
	case SITE_FW_EXIT_DISK_ERROR: return "the disk failed a read";
	case SITE_FW_EXIT_NO_GPT: return "the disk has no GPT";
	case SITE_FW_EXIT_BAD_CRC: return "a GPT or boot header CRC is wrong";
	case SITE_FW_EXIT_BAD_GPT: return "the GPT is out of bounds";
	case SITE_FW_EXIT_NO_BOOT: return "no boot partition (or two)";
	case SITE_FW_EXIT_BAD_BOOT: return "the boot header is out of bounds";
	case SITE_FW_EXIT_BAD_KERNEL: return "the image's kernel is malformed";
	case SITE_FW_EXIT_NO_MEMORY: return "the image's kernel does not fit the guest's RAM";
	}
	return NULL;
}

static int report(const struct vm_config *cfg, const struct machine_result *r)
{
	switch (r->outcome) {
	case OUTCOME_POWEROFF:
		if (cfg->boot_firmware && firmware_exit_reason(r->code))
			fprintf(stderr, "vmm: %s: the firmware could not boot the disk image: %s (exit %d)\n", cfg->name,
				firmware_exit_reason(r->code), r->code);
		return r->code;
	case OUTCOME_RESET:
		fprintf(stderr, "vmm: %s: guest reset\n", cfg->name);
		return EXIT_RESET;
	case OUTCOME_CRASH:
		fprintf(stderr, "vmm: %s: guest crashed on vCPU %u: %s\n%s", cfg->name, r->vcpu, r->reason, r->dump);
		return EXIT_CRASH;
	case OUTCOME_SIGNAL:
		fprintf(stderr, "vmm: %s: stopped by %s\n", cfg->name, strsignal(r->code));
		return 128 + r->code;
	case OUTCOME_QUIT:
		fprintf(stderr, "\r\nvmm: %s: quit from the console\n", cfg->name);
		return 0;
	}
	return EXIT_CRASH;
}

/* --exit-stats: one "vmm: NAME: exit stats vcpuN k=v ..." line per vCPU. */
static void print_exit_stats(const struct vm_config *cfg, const char *stats)
{
	const char *line = stats;

	while (*line) {
		const char *end = strchr(line, '\n');
		int len = end ? (int)(end - line) : (int)strlen(line);

		fprintf(stderr, "vmm: %s: exit stats %.*s\n", cfg->name, len, line);
		line += len + (end ? 1 : 0);
	}
}

/* Runs the VM cfg describes until it stops; vmm's exit status. */
static int run_vm(struct vm_config *cfg, const struct run_ahead *ahead)
{
	/* Static, not on the stack: the stack-clash probes of a frame this big
	 * touch every page of it, for good; in .bss only what a run writes
	 * becomes resident (the result's strings rarely, the table's entries). */
	static struct machine_result res;
	static struct cpuid_table cpuid; /* filled by the first boot, for the run */
	struct console con;
	struct console_socket csock;
	struct virtio_hosts devices = { { NULL } };
	struct boot_files files;
	struct machine_host host = { &con, NULL, -1, &devices, -1, run_jail_before_start, run_jail_vcpu_thread, NULL,
				     NULL, VSOCK_CID_DIR "/cpuid", NULL };
	struct run_jail jail;
	struct err e = { "" };
	sigset_t old;
	int sig_fd, status = EXIT_SETUP;

	if (run_jail_init(&jail, cfg, ahead ? ahead->jail : NULL, &e) < 0) {
		fprintf(stderr, "vmm: %s\n", e.msg);
		run_jail_free(&jail);
		return EXIT_SETUP;
	}
	host.ctx = &jail;
	cpuid.h.nent = 0;
	host.cpuid = &cpuid;
	/* held for the whole run: a reset's next VM comes from it (jailed, vmm
	 * can open nothing) */
	host.kvm_fd = ahead ? dup(ahead->kvm_fd) : kvm_open(&e);
	if (ahead && host.kvm_fd < 0)
		err_errno(&e, "cannot keep /dev/kvm open");
	if (host.kvm_fd < 0) {
		fprintf(stderr, "vmm: %s\n", e.msg);
		run_jail_free(&jail);
		return EXIT_SETUP;
	}
	vcpu_signal_init();
	sig_fd = make_signal_fd(&old);
	if (sig_fd < 0) {
		perror("vmm: signalfd");
		close(host.kvm_fd);
		run_jail_free(&jail);
		return EXIT_SETUP;
	}
	host.sig_fd = sig_fd;
	/* Device resources that outlive a boot (the vsock CID and listeners,
	 * disk files): a taken CID, a port in use or a locked disk is reported
	 * before the guest boots. */
	if (virtio_hosts_open(&devices, cfg, &e) < 0) {
		fprintf(stderr, "vmm: %s\n", e.msg);
		goto out_signal;
	}
	/* Every file a boot reads (kernel, initrd; disks above) is opened
	 * once: a reboot opens no path, so it still works once the files are
	 * out of reach (renamed, or behind the jail). */
	if (boot_files_open(&files, cfg, VSOCK_CID_DIR, &e) < 0) {
		fprintf(stderr, "vmm: %s\n", e.msg);
		goto out_devices;
	}
	cfg->files = &files;
	if (cfg->console_socket) {
		if (console_socket_open(&csock, cfg->console_socket, &e) < 0) {
			fprintf(stderr, "vmm: %s\n", e.msg);
			goto out_files;
		}
		host.csock = &csock;
	}
	/* With a console socket, input comes from its client, never from stdin. */
	if (console_open(&con, cfg->console == CONSOLE_STDIO && !cfg->console_socket,
			 &(struct console_output){ cfg->console_log, cfg->name, cfg->console_limits }, &e) < 0) {
		fprintf(stderr, "vmm: console: %s\n", e.msg);
		goto out_csock;
	}
	host.ahead = ahead ? ahead->vm : NULL;
	for (;;) {
		int rc = machine_run(cfg, &host, &res, &e);

		if (host.ahead) { /* taken by that boot, or of no use to a later one */
			vm_ahead_free(host.ahead);
			host.ahead = NULL;
		}
		if (rc < 0) {
			console_restore(&con);
			console_close(&con);
			fprintf(stderr, "vmm: %s\n", e.msg);
			status = EXIT_SETUP;
			break;
		}
		print_exit_stats(cfg, res.stats);
		if (res.outcome == OUTCOME_RESET && !cfg->reset_exits) {
			fprintf(stderr, "\r\nvmm: %s: guest reset, restarting\r\n", cfg->name);
			continue;
		}
		console_restore(&con);
		console_close(&con); /* the last dropped-bytes count goes before the status line */
		status = report(cfg, &res);
		break;
	}
out_csock:
	if (host.csock)
		console_socket_close(host.csock);
out_files:
	boot_files_close(&files);
out_devices:
	virtio_hosts_close(&devices);
out_signal:
	close(sig_fd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(host.kvm_fd);
	run_jail_free(&jail);
	return status;
}

int run_cmd_ahead(int argc, char **argv, const struct run_ahead *ahead)
{
	struct vm_config cfg;
	struct err e = { "" };
	int record = -1, status;

	switch (run_options_parse(argc, argv, &cfg, &e)) {
	case PARSE_HELP:
		vm_config_free(&cfg);
		run_options_usage(stdout);
		return 0;
	case PARSE_ERROR:
		vm_config_free(&cfg);
		fprintf(stderr, "vmm: %s\n", e.msg);
		return EXIT_SETUP;
	case PARSE_OK:
		break;
	}
	if (cfg.exit_status && (record = exit_record_open(cfg.exit_status, &e)) < 0) {
		fprintf(stderr, "vmm: %s\n", e.msg);
		vm_config_free(&cfg);
		return EXIT_SETUP;
	}
	signal(SIGPIPE, SIG_IGN);
	status = run_vm(&cfg, ahead);
	exit_record_write(record, status);
	if (record >= 0)
		close(record);
	vm_config_free(&cfg);
	return status;
}

int run_cmd(int argc, char **argv)
{
	return run_cmd_ahead(argc, argv, NULL);
}
