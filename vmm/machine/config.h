/* What `vmm run` was asked to boot. */
#ifndef VMM_MACHINE_CONFIG_H
#define VMM_MACHINE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "host/console_log.h"
#include "machine/devices.h"
#include "util/err.h"

enum console_mode {
	CONSOLE_STDIO,  /* guest output to stdout, stdin to the guest */
	CONSOLE_OUTPUT, /* output only; stdin untouched, Ctrl-C is a signal */
	CONSOLE_NONE,   /* output discarded */
};

struct boot_files;

struct vm_config {
	const char *name;
	const char *kernel; /* a path or fd:N (util/file_arg.h) */
	const char *initrd;
	const char *firmware; /* --firmware: boot firmware instead of the built-in one */
	bool boot_firmware;   /* no kernel: firmware (cfg->firmware or built in) boots the first disk */
	/* kernel and initrd, opened once for the whole run before the first
	 * boot (machine/boot_image.h: boot_files_open); boots read them here */
	const struct boot_files *files;
	const char *cmdline;
	uint64_t mem;
	unsigned cpus;
	bool reset_exits; /* --on-reset=exit */
	enum console_mode console;
	const char *console_socket; /* console input from, and output also to, this unix socket */
	const char *console_log;    /* --console-log: output to this file instead of stdout */
	/* --console-log-max, --console-rate, --console-burst: bounds on output
	 * that goes to a regular file (host/console_log.h) */
	struct console_limits console_limits;
	/* Per device type (index in device_types[]): its configuration, NULL
	 * when none of its options was given (then it has no device). */
	void *dev_config[DEVICE_TYPES_MAX];
	int64_t halt_poll_ns; /* -1: the host's KVM default */
	bool exit_stats;      /* --exit-stats: report each vCPU's exits when the guest stops */
	unsigned idle_stop_s; /* --idle-stop: power off after this long unused; 0: never */
	/* The process around the VM, not the VM (cli/run_cmd.c, jail/jail.h):
	 * --no-jail, --uid, --gid, --exit-status (where vmm records how it
	 * ended: cli/exit_record.h). */
	bool no_jail;
	bool ids_given;
	uint32_t uid, gid;
	const char *exit_status;
};

/* Option opt of device type index type, with its argument. */
int vm_config_device_option(struct vm_config *cfg, unsigned type, unsigned opt, const char *arg, struct err *e);
/* Whether a configured device can tell --idle-stop that the guest is in use. */
bool vm_config_has_idle_source(const struct vm_config *cfg);
/* The paths the devices open while the guest runs (device_type.run_paths):
 * fills at most max of out, returns how many there are. */
unsigned vm_config_run_paths(const struct vm_config *cfg, const char **out, unsigned max);
void vm_config_free(struct vm_config *cfg);

#define VM_DEFAULT_MEM  (64ull << 20)
#define VM_MAX_CPUS     254
#define VM_IDLE_STOP_MAX 86400 /* xAPIC IDs are 8 bits; 0xff is broadcast, one is the IOAPIC's */

#endif
