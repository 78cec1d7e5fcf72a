/* Replies that wait for an event of the daemon's loop instead of blocking
 * it: a destroy answers once the domain's processes are gone (its pidfd
 * readable) or its deadline passed, while other clients are served. Each
 * wait keeps the call's header (program, procedure, serial) and its
 * connection; a connection that closes meanwhile drops its waits. */
#ifndef VMM_DAEMON_CORE_WAITS_H
#define VMM_DAEMON_CORE_WAITS_H

#include "daemon/core/vmmd.h"
#include "daemon/rpc/conn.h"
#include "daemon/rpc/msg.h"
#include "daemon/rpc/verr.h"

struct reply_wait {
	struct conn *conn;
	struct rpc_header call;
	const struct domain *dom; /* what it waits for */
};

/* Holds the reply to call on c until d's wait ends; -1 (with e) if it
 * cannot be kept. */
int waits_add(struct vmmd *m, struct conn *c, const struct rpc_header *call, const struct domain *d,
	      struct verr *e);
/* Whether a reply waits for d. */
bool waits_pending(const struct vmmd *m, const struct domain *d);
/* Answers every call waiting for d: an empty reply, or e's error. */
void waits_done(struct vmmd *m, const struct domain *d, const struct verr *e);
/* c is closing: its calls get no reply. */
void waits_conn_gone(struct vmmd *m, const struct conn *c);
void waits_free(struct vmmd *m);

#endif
