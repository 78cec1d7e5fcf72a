/* Test harness: a vmmd (sanitizer build) on a temporary socket and state
 * directory, and helpers to run virsh against it. */
#ifndef TESTS_DAEMON_HARNESS_H
#define TESTS_DAEMON_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct vmmd_inst {
	char dir[256];   /* temporary directory holding everything */
	char sock[300];
	char state[300];
	char uri[400];
	char vmm[1024];   /* the vmm binary the daemon runs */
	pid_t pid;
};

/* Starts vmmd-san (or $VMMD_BIN) with vmm (NULL: the fake vmm) and extra_arg (NULL, or vmmd
 * options separated by spaces; they override the default --shutdown-timeout 2).
 * Its image directories (--images) are the test's directory and the build
 * directory (kernels, guests); domains name files below those.
 * Returns 0 once it listens. */
int vmmd_start(struct vmmd_inst *v, const char *vmm, const char *extra_arg);
/* vmmd_start's first half: the directory and paths, no daemon yet (start
 * it with vmmd_restart). */
int vmmd_init(struct vmmd_inst *v, const char *vmm);
/* Starts it again on the same directory (after vmmd_stop). */
int vmmd_restart(struct vmmd_inst *v, const char *extra_arg);
/* SIGTERM and wait; returns the exit status (0 = clean, leak-free). */
int vmmd_stop(struct vmmd_inst *v);
/* Removes the directory and stops leftover VMs. */
void vmmd_cleanup(struct vmmd_inst *v);
/* The halves of a checked fixture: a daemon with defaults started, then
 * stopped with the check that it exited cleanly (no crash, no leak). */
void vmmd_fixture_up(struct vmmd_inst *v);
void vmmd_fixture_down(struct vmmd_inst *v);

/* Runs `virsh -c URI ARGS` (args split on spaces; no quoting) and returns
 * its exit status; output (stdout+stderr) goes to out. */
int virsh(struct vmmd_inst *v, char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Writes a domain XML file under the test directory; returns its path. */
const char *write_xml(struct vmmd_inst *v, const char *file, const char *text);
/* A minimal domain XML for name, kernel path (fake vmm behaviours by name). */
void domain_xml(char *out, size_t size, const char *name, const char *kernel);
/* Creates a small file NAME under the test's image directory (DIR/images)
 * and returns its path (one of 8 rotating buffers): a kernel for the fake
 * vmm, which picks its behaviour by the name. */
const char *image_file(struct vmmd_inst *v, const char *name);
/* Polls virsh domstate until it prints want (up to ms). 0 when it did. */
int wait_state(struct vmmd_inst *v, const char *name, const char *want, int ms);

/* The directory of vmmd's cgroup for controller ctl (a v1 hierarchy that
 * has it, else the unified one), found as vmmd finds its own: from
 * /proc/PID/cgroup and the mount table; a VM's group is DIR/vmm/UUID.
 * Returns 0 (v1) or 1 (v2), -1 when there is none. */
int vmmd_cgroup_dir(const struct vmmd_inst *v, const char *ctl, char *dir, size_t size);

/* A TCP port on 127.0.0.1 that is free now (the kernel picks it), -1 if none. */
int free_port(void);
/* The vmm's pid in v's run/NAME.state (0: a start not yet recorded). Asserts. */
pid_t vmmd_vmm_pid(const struct vmmd_inst *v, const char *name);
/* Whether pid runs (a zombie left to a parent that does not reap it, such
 * as a container's init, does not). */
bool proc_running(pid_t pid);
/* pid's command line, its arguments separated by single spaces, into buf
 * (size bytes, terminated); "" when pid is gone. Returns its length. */
size_t proc_cmdline(pid_t pid, char *buf, size_t size);
/* The `vmm standby` (vmm/daemon/core/standby.h) v's daemon keeps ready: its
 * child waiting for a start with mem_kib KiB of RAM; its pid, 0 if none
 * appears within ms. */
pid_t vmmd_standby_pid(const struct vmmd_inst *v, unsigned long mem_kib, int ms);

#endif
