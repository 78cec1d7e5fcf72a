/* The daemon's state shared by the server and the procedures: options,
 * what vmm supports, and the domains. */
#ifndef VMM_DAEMON_CORE_VMMD_H
#define VMM_DAEMON_CORE_VMMD_H

#include <stdint.h>
#include <sys/types.h>

#include "daemon/core/cgroup.h"
#include "daemon/core/domains.h"
#include "daemon/core/images.h"
#include "daemon/core/standby.h"
#include "daemon/core/vmproc.h"

struct front;
struct reply_wait;

struct vmmd {
	const char *state_dir;
	const char *vmm_path;
	const char *console_log_max; /* --console-log-max, --console-rate for each vmm (NULL: its own) */
	const char *console_rate;
	const char *uri;          /* what CONNECT_GET_URI answers */
	int shutdown_timeout_ms;  /* cooperative shutdown, then destroy */
	int start_wait_ms;        /* how long `start` waits to catch a vmm that fails at once */
	struct vmm_features feat;
	struct domains doms;
	unsigned next_cid;        /* where the search for an automatic vsock CID starts */
	int site_epfd;            /* epoll set of the stopped sites' sockets (sites.c) */
	int dom_epfd;             /* epoll set of the domains' process fds (server.c) */
	gid_t site_gid;           /* group that may use the site sockets (nginx workers); -1: none */
	struct front *front;      /* the front door (core/front.h); NULL without --front */
	struct images images;     /* --images: where domains' files may come from (core/images.h) */
	struct cgroups cg;        /* where each VM's cgroup goes (core/cgroup.h) */
	struct reply_wait *waits; /* calls answered when a domain's process ends (core/waits.h) */
	size_t nwaits;
	struct vmm_standby standby; /* the vmm kept ready for the next start (core/standby.h) */
	int64_t standby_due_ms;   /* when to make the next one (0: not until a start) */
	uint64_t standby_mem_kib; /* its RAM: the last start's */
};

int64_t now_ms(void);

#endif
