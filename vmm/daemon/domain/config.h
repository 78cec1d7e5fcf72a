/* A domain's configuration: what its libvirt XML says, in the subset vmm
 * can run. Produced by domain_xml_parse, rendered by domain_xml_format. */
#ifndef VMM_DAEMON_DOMAIN_CONFIG_H
#define VMM_DAEMON_DOMAIN_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define DOMAIN_NAME_MAX   64
/* Caps on what one value of a domain's XML may hold, in bytes without the
 * NUL, checked as the XML is read (before any other check of the value).
 * Every attribute and element text: DOMAIN_VALUE_MAX, one below PATH_MAX so
 * any path (kernel, initrd, disk) fits a system call; <cmdline> the same,
 * the most vmm hands the guest (CMDLINE_MAX in abi/platform.h counts the
 * NUL); <description> more, being free text. With these caps and the
 * counts below (16 disks, 32 published ports, 16 host names) the XML vmmd
 * writes back stays under DOMAIN_XML_MAX even when every byte needs
 * escaping (6 bytes for '"'): about 750 KiB at worst, so a definition that
 * was accepted can always be saved and loaded again. */
#define DOMAIN_VALUE_MAX       4095u
#define DOMAIN_DESCRIPTION_MAX 32768u
#define DOMAIN_METADATA_SEP '\x01'
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

#define SITE_MAX_HOSTS 16
#define SITE_HOST_MAX 253
#define SITE_IDLE_STOP_DEFAULT 300
#define SITE_IDLE_STOP_MAX 86400

/* <vmm:site>: the domain is a web site behind vmmd's front door. vmmd owns
 * its unix socket (published to guest_port) and, when on_demand, starts it
 * on the first connection; idle_stop_s > 0 powers it off after that long
 * without a connection. The has_* flags keep what the XML spelled out, so
 * dumpxml gives back what was defined. */
struct domain_site {
	bool present;
	bool on_demand, has_on_demand;
	unsigned idle_stop_s;
	bool has_idle_stop;
	unsigned guest_port;
	bool has_port;
	char *hosts[SITE_MAX_HOSTS];
	unsigned nhosts;
	char *tls_cert, *tls_key; /* both or neither */
	bool waf;
};

/* <memtune><hard_limit> and <cputune> <shares>/<period>/<quota>: the limits
 * of the VM's cgroup (core/cgroup.c). Only what the XML set is kept (0: not
 * set), so dumpxml gives back what was defined, as libvirt does; the
 * domain_*() functions below give the value in force, defaults included. */
struct domain_tune {
	uint64_t hard_limit_kib;
	uint64_t shares;
	uint64_t period_us;
	int64_t quota_us; /* per vCPU, as libvirt's; -1 no limit */
};

/* The defaults. A VM's memory limit is its RAM plus what vmm itself needs
 * beside it (page tables, KVM state, vCPU stacks, device buffers), so a guest that touches all of its RAM stays within it while
 * none can take the memory of the others. */
#define DOMAIN_MEM_OVERHEAD_KIB (64ull << 10)
#define DOMAIN_CPU_SHARES_DEFAULT 1024ull /* the kernel's default: equal for all */
#define DOMAIN_CPU_SHARES_MIN 2ull        /* cgroup v1's cpu.shares range */
#define DOMAIN_CPU_SHARES_MAX 262144ull
#define DOMAIN_CPU_PERIOD_DEFAULT 100000ull
#define DOMAIN_CPU_PERIOD_MIN 1000ull /* libvirt's and the kernel's range */
#define DOMAIN_CPU_PERIOD_MAX 1000000ull
#define DOMAIN_CPU_QUOTA_MIN 1000ll
#define DOMAIN_CPU_QUOTA_MAX 17592186044415ll
/* Tasks beside the vCPU threads: vmm's main (I/O) thread, the jail's
 * builder thread, and room for helpers (a sanitizer's leak checker clones a tracer). */
#define DOMAIN_PIDS_EXTRA 8u

/* <clock offset='utc'> and its <timer> children, as virt-install writes
 * them (rtc catchup, pit delay, hpet present='no'): vmm's guests keep UTC,
 * and what a timer asks that vmm cannot do is refused when parsed; the rest
 * (a tick policy: a hint libvirt takes too) is kept for dumpxml. */
enum domain_timer_name { TIMER_RTC, TIMER_PIT, TIMER_HPET, TIMER_KVMCLOCK, DOMAIN_TIMER_NAMES };
extern const char *const domain_timer_names[DOMAIN_TIMER_NAMES];
extern const char *const domain_timer_tickpolicies[5]; /* [0] "": none */
extern const char *const domain_timer_tracks[5];       /* [0] "": none */

struct domain_timer {
	enum domain_timer_name name;
	int present;          /* -1 not said, 0 no, 1 yes */
	unsigned tickpolicy;  /* index in domain_timer_tickpolicies */
	unsigned track;       /* index in domain_timer_tracks (rtc only) */
};

struct domain_clock {
	bool present;         /* <clock offset='utc'> given */
	struct domain_timer timers[DOMAIN_TIMER_NAMES];
	unsigned ntimers;
};

struct domain_config {
	char name[DOMAIN_NAME_MAX + 1];
	uint8_t uuid[16];
	char *title;
	char *description;
	/* <metadata> elements of other applications' namespaces (virt-install's
	 * <libosinfo:libosinfo>), kept as libvirt keeps them: serialized, each
	 * ended by DOMAIN_METADATA_SEP (a byte XML text cannot hold), at most
	 * DOMAIN_DESCRIPTION_MAX bytes in all */
	char *metadata_other;
	uint64_t mem_kib;
	uint64_t cur_mem_kib;
	unsigned vcpus;
	char *kernel;
	char *initrd;
	char *cmdline;
	char *emulator; /* <devices><emulator>: must be vmmd's vmm (checked at define) */
	bool acpi;
	bool apic;
	enum domain_action on_poweroff, on_reboot, on_crash;
	struct domain_disk disks[DOMAIN_MAX_DISKS];
	unsigned ndisks;
	bool has_vsock;
	unsigned cid; /* 0 = auto */
	struct domain_publish publish[DOMAIN_MAX_PUBLISH];
	unsigned npublish;
	struct domain_site site;
	struct domain_tune tune;
	struct domain_clock clock;
};

/* The limits in force for c: what its XML set, else the defaults. */
uint64_t domain_mem_limit_kib(const struct domain_config *c);
uint64_t domain_cpu_shares(const struct domain_config *c);
uint64_t domain_cpu_period_us(const struct domain_config *c);
/* The quota of one vCPU, -1 for none. */
int64_t domain_cpu_quota_us(const struct domain_config *c);
/* The pids limit: one task per vCPU plus DOMAIN_PIDS_EXTRA. */
uint64_t domain_pids_max(const struct domain_config *c);

void domain_config_free(struct domain_config *c);
/* Checks a domain name: 1..DOMAIN_NAME_MAX bytes, printable, no '/',
 * no leading '.'. Returns NULL when fine, else why not. */
const char *domain_name_check(const char *name);

/* Checks a site's host name: lower-case or upper-case ASCII letters, digits
 * and '-' in dot-separated labels of 1-63 bytes, at most SITE_HOST_MAX bytes,
 * no wildcard, no trailing dot (punycode for other scripts). NULL when fine,
 * else why not. */
const char *site_host_check(const char *name);
/* Host names compare without regard to ASCII case. */
bool site_host_equal(const char *a, const char *b);

void uuid_format(const uint8_t uuid[16], char out[37]);
int uuid_parse(const char *s, uint8_t uuid[16]);
int uuid_generate(uint8_t uuid[16]);

#endif
