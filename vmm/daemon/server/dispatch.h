/* Routes one complete message from a client: keepalive, calls, stream data. */
#ifndef VMM_DAEMON_SERVER_DISPATCH_H
#define VMM_DAEMON_SERVER_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/core/vmmd.h"
#include "daemon/rpc/conn.h"

/* msg is the whole message, length word included (len >= RPC_MIN_LEN). */
void dispatch_message(struct vmmd *m, struct conn *c, const uint8_t *msg, size_t len);

/* Answers the message in msg (len: what is buffered of it, at least the
 * header) with e instead of serving it: a call gets e as its error reply,
 * a keepalive ping its pong (28 bytes, so a waiting virsh does not give up
 * on the connection); anything else is dropped. */
void dispatch_refuse(struct conn *c, const uint8_t *msg, size_t len, const struct verr *e);

#endif
