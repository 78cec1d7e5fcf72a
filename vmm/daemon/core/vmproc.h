/* The processes of a running domain. vmmd starts a monitor per domain
 * (vmmd-monitor, vmm/daemon/monitor/), in a session of its own so it
 * outlives a daemon restart; the monitor runs `vmm run`, waits for it, and
 * writes its wait status to run/NAME.status. The daemon watches the monitor
 * through a pidfd. */
#ifndef VMM_DAEMON_CORE_VMPROC_H
#define VMM_DAEMON_CORE_VMPROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/core/cgroup.h"
#include "daemon/core/domains.h"
#include "daemon/core/images.h"
#include "daemon/rpc/verr.h"

/* What the installed vmm supports, from `vmm run --help`. */
struct vmm_features {
	bool console_socket; /* --console-socket PATH */
	bool disk;           /* --disk FILE[,ro] */
	bool vsock;          /* --cid N --publish ... */
	bool publish_fd;     /* --publish fd:N:PORT (an inherited listening socket) */
	bool idle_stop;      /* --idle-stop SECONDS */
	bool file_fd;        /* --kernel, --initrd, --disk fd:N (files vmmd opened) */
	bool console_limits; /* --console-log-max SIZE, --console-rate SIZE */
};

void vmproc_probe(const char *vmm_path, struct vmm_features *f);

/* The programs a domain runs on, and vmmd's settings for them. */
struct vmm_paths {
	const char *vmm;
	const char *monitor;
	const char *console_log_max; /* vmmd --console-log-max; NULL: vmm's default */
	const char *console_rate;    /* vmmd --console-rate; NULL: vmm's default */
};

/* Starts `vmm run` for config c: fills p with its monitor and
 * *report_fd with the socket the monitor waits on for its go and then
 * writes the vmm's pid to (non-blocking for the daemon: see
 * vmproc_spawn_report). cid is the vsock CID (0: none); site_fd, for a
 * site, the listening socket vmm inherits as its fd 3; files c's kernel,
 * initrd and disks, which vmm inherits (from fd 4 on) and names as fd:N.
 * The vmm starts at once; the monitor reports it only after
 * vmproc_spawn_go. */
int vmproc_spawn(const struct vmm_paths *paths, const struct vmm_features *f, const char *state_dir,
		 const struct domain_config *c, unsigned cid, int site_fd, const struct vm_files *files,
		 struct vm_proc *p, int *report_fd, struct verr *e);
/* The go for a start: hands the monitor the VM's cgroups (cg->n of them,
 * maybe none) to move the vmm and itself into. A start that is not to go
 * on closes report_fd instead (vmproc_spawn_report with timed_out): the
 * monitor then kills the vmm. */
int vmproc_spawn_go(int report_fd, const struct cgroup_join *cg, struct verr *e);
/* The second half of a start, once *report_fd (from vmproc_spawn) is
 * readable or the wait for it timed out (timed_out): takes the vmm's pid
 * into p, or on failure (-1, e) ends what is left of the monitor. Closes
 * the report socket either way. The daemon's loop waits for it, not this. */
int vmproc_spawn_report(struct vm_proc *p, int report_fd, bool timed_out, struct verr *e);

/* The /proc start time of pid, 0 if it does not exist. */
uint64_t proc_starttime(pid_t pid);
/* Whether pid is the vmm recorded in p (and stopped, for *stopped). */
bool vmproc_vmm_alive(const struct vm_proc *p, bool *stopped);
/* Sends sig to the vmm process, if it is still the one recorded. */
int vmproc_signal(const struct vm_proc *p, int sig);
/* Re-attaches to processes recorded before a restart: opens a pidfd on the
 * monitor (or the vmm if only it is left). -1 if neither is alive. */
int vmproc_adopt(struct vm_proc *p);
/* The watched monitor ended without a status while its vmm runs on (the
 * monitor was killed): watch the vmm's own pidfd from now on, as a
 * restarted daemon does when only the vmm is left. Call after
 * vmproc_release; -1 if the vmm is gone too. */
int vmproc_watch_vmm(struct vm_proc *p);
/* For a start whose pids were never recorded (the daemon died between
 * starting the monitor and saving them): finds the monitor in /proc by its
 * command line (argv[1] is the domain's status file, unique to this state
 * directory) and its vmm (the monitor's child; with the monitor gone, the
 * vmm whose argument list holds console_arg, NULL: none), fills p's pids
 * and start times. -1 if no vmm is found. */
int vmproc_find(struct vm_proc *p, const char *status_path, const char *console_arg);
/* Waits up to ms for the watched process to end; 1 ended, 0 not. */
int vmproc_wait(const struct vm_proc *p, int ms);
/* After the watched process ended: reaps our child and closes the pidfd. */
void vmproc_release(struct vm_proc *p);

#endif
