/* The daemon's domains: persistent definitions and running instances, and
 * the runtime state libvirt reports for them. */
#ifndef VMM_DAEMON_CORE_DOMAINS_H
#define VMM_DAEMON_CORE_DOMAINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/domain/config.h"

/* virDomainState and the reasons we use. */
enum dom_state {
	DOM_NOSTATE = 0,
	DOM_RUNNING = 1,
	DOM_PAUSED = 3,
	DOM_SHUTDOWN = 4,
	DOM_SHUTOFF = 5,
	DOM_CRASHED = 6,
};

enum {
	REASON_UNKNOWN = 0,
	RUNNING_BOOTED = 1,
	RUNNING_UNPAUSED = 5,
	PAUSED_USER = 1,
	PAUSED_STARTING_UP = 11, /* libvirt's: until the vmm is in its cgroups */
	SHUTDOWN_USER = 1,
	SHUTOFF_SHUTDOWN = 1,
	SHUTOFF_DESTROYED = 2,
	SHUTOFF_CRASHED = 3,
	SHUTOFF_FAILED = 6,
};

/* The process behind a running domain (core/vmproc.h). */
struct vm_proc {
	pid_t vmm_pid;
	uint64_t vmm_start; /* /proc start time, to recognise the process */
	int pidfd;          /* -1 none */
	bool is_child;      /* started by this daemon (reap it) */
	bool standby;       /* handed over to a standby vmm (core/standby.h) */
	/* In a "starting" record (vmm_pid 0): the vmm, when it came from a
	 * standby, whose command line does not name the domain; 0: none. */
	pid_t starting_pid;
	uint64_t starting_start;
};

struct conn;

struct domain {
	struct domain_config *def;  /* persistent definition; NULL: transient */
	struct domain_config *live; /* config of the running instance; NULL: inactive */
	bool autostart;
	int id;                     /* > 0 while active, -1 otherwise */
	int state, reason;
	struct vm_proc proc;
	int64_t started_ms;
	int64_t shutdown_deadline_ms; /* 0: no cooperative shutdown pending */
	bool destroying, rebooting;
	int64_t destroy_deadline_ms; /* a destroy's SIGTERM, then SIGKILL, wait until then; 0: none */
	bool destroy_killed;         /* the SIGKILL went out */
	unsigned quick_restarts;
	struct conn *console;       /* connection holding the console stream */
	unsigned cid;               /* the vsock CID this instance was started with; 0 unknown */
	int site_fd;                /* <vmm:site>: its listening unix socket, -1 none */
	bool site_polled;           /* site_fd is in the daemon's epoll set */
	int polled_fd;              /* the process fd (lc_poll_fd) in the daemon's domain epoll set; -1: none */
	long polled_owner;          /* lc_poll_owner when it joined */
	int64_t site_hold_ms;       /* after a failed on-demand start: no retry before */
	/* a start in progress, as events of the daemon's loop (lifecycle.c):
	 * START_REPORT until the vmm's move into its cgroups reports on
	 * start_fd (cgroup_move.h),
	 * START_SETTLE while --start-wait watches for a vmm that fails at
	 * once; each phase ends by start_deadline_ms at the latest */
	enum { START_NONE, START_REPORT, START_SETTLE } start_phase;
	int start_fd;
	int64_t start_deadline_ms;
	bool start_paused, start_check;
	bool start_restart;          /* an on_* restart: start_how is why */
	char start_how[1100];        /* for the log line once vmm runs */
};

struct domains {
	struct domain **v;
	size_t n, cap;
	int next_id;
};

const char *dom_name(const struct domain *d);
const uint8_t *dom_uuid(const struct domain *d);
const struct domain_config *dom_config(const struct domain *d); /* live, else def */
bool dom_active(const struct domain *d);

struct domain *domains_by_name(struct domains *ds, const char *name);
struct domain *domains_by_uuid(struct domains *ds, const uint8_t uuid[16]);
struct domain *domains_by_id(struct domains *ds, int id);
/* Adds a new inactive domain (owning def, which may be NULL for transient
 * ones that get a live config at once). NULL on OOM. */
struct domain *domains_add(struct domains *ds, struct domain_config *def);
void domains_remove(struct domains *ds, struct domain *d);
void domains_free(struct domains *ds);
int domains_new_id(struct domains *ds);

#endif
