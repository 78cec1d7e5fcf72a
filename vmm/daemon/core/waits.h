/* Replies that wait for an event of the daemon's loop instead of blocking
 * it: a destroy answers once the domain's processes are gone (its pidfd
 * readable) or its deadline passed; a start once the vmm is in its
 * cgroups and --start-wait saw it survive (or fail). Other clients are served
 * meanwhile. Each wait keeps the call's header (program, procedure,
 * serial), its connection, the domain's uuid (a transient domain may be
 * gone when the wait ends) and the reply's body; a connection that closes
 * meanwhile drops its waits. */
#ifndef VMM_DAEMON_CORE_WAITS_H
#define VMM_DAEMON_CORE_WAITS_H

#include "daemon/core/vmmd.h"
#include "daemon/rpc/conn.h"
#include "daemon/rpc/msg.h"
#include "daemon/rpc/verr.h"
#include "daemon/rpc/xdr.h"

enum wait_kind { WAIT_DESTROY, WAIT_START };

struct reply_wait {
	struct conn *conn;
	struct rpc_header call;
	uint8_t uuid[16]; /* the domain it waits for */
	enum wait_kind kind;
	struct xdr_out body; /* the reply's body on success */
};

/* Holds the reply to call on c until d's wait of that kind ends; body (may
 * be NULL) is copied and sent with a successful reply. -1 (with e) if it
 * cannot be kept. */
int waits_add(struct vmmd *m, struct conn *c, const struct rpc_header *call, const struct domain *d,
	      enum wait_kind kind, const struct xdr_out *body, struct verr *e);
/* Whether a reply waits for d. */
bool waits_pending(const struct vmmd *m, const struct domain *d);
/* Answers every call of that kind waiting for the domain with uuid: its
 * reply, or e's error. */
void waits_done(struct vmmd *m, const uint8_t uuid[16], enum wait_kind kind, const struct verr *e);
/* c is closing: its calls get no reply. */
void waits_conn_gone(struct vmmd *m, const struct conn *c);
void waits_free(struct vmmd *m);

#endif
