/* Command line of vmmd. */
#ifndef VMM_DAEMON_OPTIONS_H
#define VMM_DAEMON_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#define VMMD_DEFAULT_SOCKET "/run/libvirt/virtvmmd-sock"
#define VMMD_DEFAULT_STATE_DIR "/var/lib/vmm"
#define VMMD_DEFAULT_NGINX "/usr/sbin/nginx"
#define VMMD_DEFAULT_FRONT_USER "www-data"
#define VMMD_MAX_FRONT 8
#define VMMD_MAX_IMAGES 8

struct vmmd_options {
	const char *socket;
	bool ro_socket;            /* also listen on SOCKET-ro */
	const char *group;         /* sockets group-accessible to it */
	const char *state_dir;
	const char *vmm;           /* NULL: next to vmmd, else from PATH */
	const char *uri;
	int shutdown_timeout_s;
	int start_wait_ms;
	bool foreground;
	const char *front[VMMD_MAX_FRONT];     /* --front ADDR:PORT */
	unsigned nfront;
	const char *front_tls[VMMD_MAX_FRONT]; /* --front-tls ADDR:PORT */
	unsigned nfront_tls;
	const char *front_user;  /* nginx workers' user when vmmd runs as root */
	const char *nginx;
	int front_workers;
	const char *images[VMMD_MAX_IMAGES]; /* --images DIR; none: /var/lib/vmm/images */
	unsigned nimages;
	/* --console-log-max, --console-rate: given to each vmm as they are
	 * (checked to be sizes); NULL: vmm's defaults */
	const char *console_log_max;
	const char *console_rate;
	/* the read-only socket: mode (-1: 0660 with --group/--ro-group, else
	 * 0666) and group (NULL: --group's) */
	int ro_mode;
	const char *ro_group;
	/* client limits (server_limits; vmm/daemon/README.md "Client limits") */
	int max_clients;
	int max_clients_per_user;
	int open_timeout_s;
	int ro_idle_timeout_s;     /* 0: never */
	int write_timeout_s;
	unsigned long long client_memory;
};

enum { OPTIONS_OK = 0, OPTIONS_EXIT_OK = 1, OPTIONS_ERROR = -1 };

int options_parse(int argc, char **argv, struct vmmd_options *o);
void options_usage(FILE *out);

#endif
