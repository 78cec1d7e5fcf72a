/* What `vmm run` was asked to boot. */
#ifndef VMM_MACHINE_CONFIG_H
#define VMM_MACHINE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

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

#define VM_MAX_PUBLISH 32

/* --publish [ADDR:]HOSTPORT:GUESTPORT or unix:PATH:GUESTPORT */
struct publish_config {
	bool is_unix;
	char addr[64];    /* TCP: numeric IPv4/IPv6 address to listen on */
	uint16_t host_port;
	char path[108];   /* unix: socket path */
	uint32_t guest_port;
};

/* --vsock-connect GUESTPORT=unix:PATH: guest connections to host port GUESTPORT go to PATH. */
struct vsock_connect_config {
	uint32_t port;
	char path[108];
};

/* "FILE", "FILE,ro" or "FILE,rw". */
int disk_config_parse(const char *arg, struct disk_config *out, struct err *e);

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
