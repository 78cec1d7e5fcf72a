/* A domain's configuration: what its libvirt XML says, in the subset vmm
 * can run. Produced by domain_xml_parse, rendered by domain_xml_format. */
#ifndef VMM_DAEMON_DOMAIN_CONFIG_H
#define VMM_DAEMON_DOMAIN_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define DOMAIN_NAME_MAX   64
#define DOMAIN_MAX_DISKS  16
#define DOMAIN_MAX_PUBLISH 32
#define DOMAIN_MAX_VCPUS  254
#define DOMAIN_MIN_MEM_KIB 1024ull
#define DOMAIN_MAX_MEM_KIB (1ull << 30) /* 1 TiB */

enum domain_action {
	ACTION_DESTROY,
	ACTION_RESTART,
};

struct domain_disk {
	char *file;
	char target[16]; /* vda, vdb, ... */
	bool readonly;
};

/* One published port: a host TCP address or unix socket forwarded to a guest
 * vsock port. */
struct domain_publish {
	char *host;      /* "[ADDR:]PORT" for TCP, NULL for unix */
	char *unix_path; /* for unix sockets, NULL for TCP */
	unsigned guest_port;
};

struct domain_config {
	char name[DOMAIN_NAME_MAX + 1];
	uint8_t uuid[16];
	char *title;
	char *description;
	uint64_t mem_kib;
	uint64_t cur_mem_kib;
	unsigned vcpus;
	char *kernel;
	char *initrd;
	char *cmdline;
	bool acpi;
	bool apic;
	enum domain_action on_poweroff, on_reboot, on_crash;
	struct domain_disk disks[DOMAIN_MAX_DISKS];
	unsigned ndisks;
	bool has_vsock;
	unsigned cid; /* 0 = auto */
	struct domain_publish publish[DOMAIN_MAX_PUBLISH];
	unsigned npublish;
};

void domain_config_free(struct domain_config *c);
/* Checks a domain name: 1..DOMAIN_NAME_MAX bytes, printable, no '/',
 * no leading '.'. Returns NULL when fine, else why not. */
const char *domain_name_check(const char *name);

void uuid_format(const uint8_t uuid[16], char out[37]);
int uuid_parse(const char *s, uint8_t uuid[16]);
int uuid_generate(uint8_t uuid[16]);

#endif
