/* Persistence under the state directory:
 *   domains/NAME.xml    persistent definitions
 *   autostart/NAME      present when NAME starts with the daemon
 *   run/NAME.xml        live config of a running domain
 *   run/NAME.state      its id and processes (for adoption after a restart)
 *   run/NAME.status     exit status, written by the vmm (--exit-status)
 *   run/NAME.sock       the vmm's console socket
 *   run/NAME.log        the vmm's output
 * Every file vmmd writes is replaced atomically (temporary file, fsync,
 * rename); run/NAME.status is vmm's, one write of a few bytes. */
#ifndef VMM_DAEMON_CORE_STORE_H
#define VMM_DAEMON_CORE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/core/domains.h"
#include "daemon/rpc/verr.h"

#define STORE_PATH_MAX 4096

int store_init(const char *dir, struct verr *e);
/* dir/sub/name+suffix into out; -1 (with e) if too long. */
int store_path(char *out, size_t size, const char *dir, const char *sub, const char *name, const char *suffix,
	       struct verr *e);
int store_write_atomic(const char *path, const char *data, size_t len, struct verr *e);
/* Reads a whole file of at most max bytes, NUL-terminated. */
char *store_read_file(const char *path, size_t max, size_t *len);

int store_save_def(const char *dir, const struct domain_config *c, struct verr *e);
int store_remove_def(const char *dir, const char *name, struct verr *e);
int store_set_autostart(const char *dir, const char *name, bool on, struct verr *e);
/* Loads every definition and autostart mark; a broken file is reported on
 * stderr and skipped. */
int store_load_defs(const char *dir, struct domains *ds, struct verr *e);

int store_save_run(const char *dir, const struct domain *d, struct verr *e);
void store_remove_run(const char *dir, const char *name);
/* Names of the domains with a run/NAME.state file; *names malloc'd array of
 * malloc'd strings. */
int store_list_runs(const char *dir, char ***names, size_t *n);
/* Reads run/NAME.state and run/NAME.xml. Pid 0 in *p: a "starting"
 * record, saved before the vmm's start was reported (with
 * p->starting_pid, the vmm's when it came from a standby). */
int store_load_run(const char *dir, const char *name, int *id, struct vm_proc *p, struct domain_config **live,
		   struct verr *e);
/* Reads run/NAME.status into a wait status (vmm writes "exit N"); -1 if
 * absent, empty (vmm was killed by a signal) or unreadable. */
int store_read_status(const char *dir, const char *name, int *status);

#endif
