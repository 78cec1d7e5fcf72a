/* The daemon's event loop: the listening sockets (read-write and read-only),
 * client connections, console sockets, the domains' process watchers,
 * shutdown timeouts and termination signals, in one poll(2) loop. */
#ifndef VMM_DAEMON_SERVER_SERVER_H
#define VMM_DAEMON_SERVER_SERVER_H

#include <stdbool.h>
#include <sys/types.h>

#include "daemon/core/vmmd.h"
#include "daemon/rpc/verr.h"
#include "daemon/rpc/conn.h"

#define SERVER_MAX_CONNS 512

struct server {
	int listen_fd[2]; /* [0] read-write, [1] read-only (or -1) */
	char *paths[2];
	int signal_fd;
	struct conn **conns;
	size_t nconns;
};

/* Binds path (mode, group gid or -1) and, when ro_path is set, the read-only
 * socket (ro_mode). Refuses to take over a socket another daemon serves. */
int server_open(struct server *s, const char *path, mode_t mode, const char *ro_path, mode_t ro_mode, gid_t gid,
		struct verr *e);
/* Serves until SIGTERM or SIGINT. */
int server_run(struct server *s, struct vmmd *m, struct verr *e);
void server_close(struct server *s, struct vmmd *m);

#endif
