/* The end of a console stream. The stream outlives the console socket by a
 * moment: the socket closes when vmm exits, and only the domain's exit
 * status, read a little later, says whether it crashed. So the end is
 * recorded when the instance ends (core/lifecycle.c) and sent once the
 * socket is drained too (proc/console.c), whichever comes last. */
#ifndef VMM_DAEMON_RPC_STREAM_H
#define VMM_DAEMON_RPC_STREAM_H

#include "daemon/rpc/conn.h"

/* Records that c's console stream ends: cleanly (error NULL: an end of
 * file, as for a guest that powered off) or with error, which virsh
 * console prints ("error: ...") before it exits 1. */
void stream_end_set(struct conn *c, const char *error);
/* Sends the recorded end if the console socket is gone (console_fd < 0)
 * and none went yet: an empty data packet (end of file: the client then
 * finishes the stream) or a VIR_NET_ERROR stream packet carrying the
 * error, after which the stream is over on our side. */
void stream_end_send(struct conn *c);

#endif
