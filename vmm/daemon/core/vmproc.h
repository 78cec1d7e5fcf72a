/* The process of a running domain: `vmm run`, the daemon's child, in a
 * session of its own so that it outlives a daemon restart. The daemon
 * watches it through a pidfd and reaps it for its exit status; a vmm that
 * ends while no daemon is its parent (one restarted meanwhile adopts it)
 * has recorded its status itself in run/NAME.status (`--exit-status`).
 * There used to be a monitor process per VM for that (vmmd-monitor); it
 * cost ~60-75 KiB of kernel memory a site and a process more per start. */
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
	bool exit_status;    /* --exit-status fd:N */
	bool standby;        /* `vmm standby` (core/standby.h) */
};

void vmproc_probe(const char *vmm_path, struct vmm_features *f);

/* The programs a domain runs on, and vmmd's settings for them. */
struct vmm_paths {
	const char *vmm;
	const char *console_log_max; /* vmmd --console-log-max; NULL: vmm's default */
	const char *console_rate;    /* vmmd --console-rate; NULL: vmm's default */
};

struct vmm_standby;

/* Starts `vmm run` for config c into p (its pid, a pidfd). cid is the
 * vsock CID (0: none); site_fd, for a site, the listening socket vmm
 * inherits as its fd 3; files c's kernel, initrd and disks, which vmm
 * inherits (from fd 4 on) and names as fd:N. Returns once vmm has exec'd
 * (or failed to: then it exits 2 with why in its log). With sb, a
 * standby of c's RAM size becomes that vmm instead, when there is one
 * (p->standby then, and p->vmm_start already known). The caller moves it into the VM's cgroups
 * (cgroup_move.h). */
int vmproc_spawn(const struct vmm_paths *paths, const struct vmm_features *f, const char *state_dir,
		 const struct domain_config *c, unsigned cid, int site_fd, const struct vm_files *files,
		 struct vmm_standby *sb, struct vm_proc *p, struct verr *e);
/* A start that is not to go on: kills and reaps the vmm, closes the pidfd. */
void vmproc_abandon(struct vm_proc *p);
/* The /proc start time of pid, 0 if it does not exist. */
uint64_t proc_starttime(pid_t pid);
/* Whether pid is the vmm recorded in p (and stopped, for *stopped). */
bool vmproc_vmm_alive(const struct vm_proc *p, bool *stopped);
/* Sends sig to the vmm process, if it is still the one recorded. */
int vmproc_signal(const struct vm_proc *p, int sig);
/* Re-attaches to the vmm recorded before a restart (a pidfd on it; the
 * daemon is not its parent any more). -1 if it is gone. */
int vmproc_adopt(struct vm_proc *p);
/* For a start whose pid was never recorded (the daemon died between
 * starting the vmm and saving it): finds the vmm in /proc by the argument
 * console_arg in its command line (its console socket, unique to the
 * domain and state directory; NULL: cannot), fills p's pid and start time.
 * -1 if no vmm is found. */
int vmproc_find(struct vm_proc *p, const char *console_arg);
/* Waits up to ms for the watched process to end; 1 ended, 0 not. */
int vmproc_wait(const struct vm_proc *p, int ms);
/* After the vmm ended: reaps it if it is our child and closes the pidfd.
 * Its wait status, or -1 when it was not our child (then its own record,
 * store_read_status, is all there is). */
int vmproc_release(struct vm_proc *p);

#endif
