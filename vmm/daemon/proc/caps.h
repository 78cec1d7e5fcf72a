/* The capability procedures (caps.c): kept out of proc.h, whose handlers
 * are one per subject file. */
#ifndef VMM_DAEMON_PROC_CAPS_H
#define VMM_DAEMON_PROC_CAPS_H

#include "daemon/proc/proc.h"

int proc_get_capabilities(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);
int proc_get_domain_capabilities(struct call *, const struct rpc_args *, struct xdr_out *, struct verr *);

#endif
