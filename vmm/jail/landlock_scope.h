/* Landlock's scoping (ABI 6 and later) for the jail: a ruleset that
 * handles no file or network access, only
 * LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET and LANDLOCK_SCOPE_SIGNAL. A thread
 * that restricts itself with it (and every thread it starts afterwards)
 * can no longer connect to an abstract unix socket, or signal a process,
 * outside its own Landlock domain. Jailed vmms share one network
 * namespace (shared_ns.h), hence one abstract socket namespace: this
 * is what keeps them apart there. */
#ifndef VMM_JAIL_LANDLOCK_SCOPE_H
#define VMM_JAIL_LANDLOCK_SCOPE_H

#include "util/err.h"

/* The ruleset's descriptor, or -1 with e saying why where the scoping is
 * unavailable (Landlock disabled, or an ABI below 6). */
int landlock_scope_ruleset(struct err *e);
/* Restricts the calling thread (and the threads it starts later) with
 * the ruleset; closes it either way. Needs no_new_privs or CAP_SYS_ADMIN. */
int landlock_scope_restrict(int ruleset, struct err *e);

#endif
