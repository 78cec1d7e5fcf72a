/* What `vmm run` was asked to boot. */
#ifndef VMM_MACHINE_CONFIG_H
#define VMM_MACHINE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

enum console_mode {
	CONSOLE_STDIO,  /* guest output to stdout, stdin to the guest */
	CONSOLE_OUTPUT, /* output only; stdin untouched, Ctrl-C is a signal */
	CONSOLE_NONE,   /* output discarded */
};

#define VM_MAX_DISKS 8

struct disk_config {
	char path[4096];
	bool readonly;
};

/* "FILE", "FILE,ro" or "FILE,rw". */
int disk_config_parse(const char *arg, struct disk_config *out, char *why, unsigned why_len);

struct vm_config {
	const char *name;
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	uint64_t mem;
	unsigned cpus;
	bool reset_exits; /* --on-reset=exit */
	enum console_mode console;
	const char *console_socket; /* console input from, and output also to, this unix socket */
	struct disk_config disks[VM_MAX_DISKS];
	unsigned ndisks;
	bool rng;
};

#define VM_DEFAULT_MEM  (64ull << 20)
#define VM_MAX_CPUS     254 /* xAPIC IDs are 8 bits; 0xff is broadcast, one is the IOAPIC's */

#endif
