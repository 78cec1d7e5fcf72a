/* What `vmm run` was asked to boot. */
#ifndef VMM_MACHINE_CONFIG_H
#define VMM_MACHINE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "host/vsock_publish.h"
#include "util/err.h"
#include "virtio/blk_config.h"
#include "virtio/vsock_config.h"

enum console_mode {
	CONSOLE_STDIO,  /* guest output to stdout, stdin to the guest */
	CONSOLE_OUTPUT, /* output only; stdin untouched, Ctrl-C is a signal */
	CONSOLE_NONE,   /* output discarded */
};

#define VM_MAX_DISKS 8
#define VM_MAX_PUBLISH VSOCK_MAX_PUBLISH

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
	/* virtio-vsock: present when any of --cid, --publish, --vsock-connect is given */
	bool vsock;
	uint64_t cid; /* 0: pick a free one */
	struct publish_config publish[VM_MAX_PUBLISH];
	unsigned npublish;
	struct vsock_connect_config vconnect[VM_MAX_PUBLISH];
	unsigned nvconnect;
	int64_t halt_poll_ns; /* -1: the host's KVM default */
	bool exit_stats;      /* --exit-stats: report each vCPU's exits when the guest stops */
};

#define VM_DEFAULT_MEM  (64ull << 20)
#define VM_MAX_CPUS     254 /* xAPIC IDs are 8 bits; 0xff is broadcast, one is the IOAPIC's */

#endif
