/* Routes one complete message from a client: keepalive, calls, stream data. */
#ifndef VMM_DAEMON_SERVER_DISPATCH_H
#define VMM_DAEMON_SERVER_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/core/vmmd.h"
#include "daemon/rpc/conn.h"

/* msg is the whole message, length word included (len >= RPC_MIN_LEN). */
void dispatch_message(struct vmmd *m, struct conn *c, const uint8_t *msg, size_t len);

#endif
