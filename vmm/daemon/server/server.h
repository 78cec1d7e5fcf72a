/* The daemon's event loop: the listening sockets (read-write and read-only),
 * client connections, console sockets, the domains' process watchers,
 * shutdown timeouts and termination signals, in one poll(2) loop. */
#ifndef VMM_DAEMON_SERVER_SERVER_H
#define VMM_DAEMON_SERVER_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/core/vmmd.h"
#include "daemon/rpc/verr.h"
#include "daemon/rpc/conn.h"

/* Client limits (vmmd's options; vmm/daemon/README.md "Client limits").
 * Their aim: no local user can keep root (or the group's members) from the
 * read-write socket, and no client can make the daemon hold much memory. */
struct server_limits {
	unsigned max_conns;        /* all connections together */
	unsigned rw_reserve;       /* the last ones only the read-write socket gets */
	unsigned root_reserve;     /* the very last ones only uid 0 gets */
	unsigned per_user;         /* connections of one uid other than 0 */
	unsigned open_timeout_ms;  /* closed if not opened (CONNECT_OPEN) by then */
	unsigned ro_idle_ms;       /* a non-root read-only client silent this long is closed (0: never) */
	unsigned write_timeout_ms; /* closed when its unsent output has not moved this long */
	size_t memory;             /* client buffers, all connections: calls past it are refused */
};

#define SERVER_LIMITS_DEFAULT                                                                             \
	((struct server_limits){ .max_conns = 512, .rw_reserve = 64, .root_reserve = 8, .per_user = 32,   \
				 .open_timeout_ms = 5000, .ro_idle_ms = 60000, .write_timeout_ms = 30000, \
				 .memory = 256u << 20 })

struct server {
	struct server_limits limits; /* server_open sets the defaults */
	struct conn_budget budget;
	int listen_fd[2]; /* [0] read-write, [1] read-only (or -1) */
	char *paths[2];
	int signal_fd;
	struct conn **conns;
	size_t nconns;
	/* connections refused at accept since the last log line about them */
	unsigned refused;
	int64_t refused_logged_ms;
};

/* Binds path (mode, group gid or -1) and, when ro_path is set, the read-only
 * socket (ro_mode, group ro_gid or -1). Refuses to take over a socket
 * another daemon serves. Limits are the defaults; set s->limits after. */
int server_open(struct server *s, const char *path, mode_t mode, gid_t gid, const char *ro_path, mode_t ro_mode,
		gid_t ro_gid, struct verr *e);
/* Serves until SIGTERM or SIGINT. */
int server_run(struct server *s, struct vmmd *m, struct verr *e);
void server_close(struct server *s, struct vmmd *m);

#endif
