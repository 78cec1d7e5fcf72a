#include "daemon/core/standby.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/standby_proto.h"
#include "daemon/core/vmproc.h"

extern char **environ;

void standby_init(struct vmm_standby *s)
{
	s->pid = 0;
	s->ctl = -1;
	s->mem_kib = 0;
	s->start = 0;
}

static void drop(struct vmm_standby *s, bool kill_it)
{
	if (s->ctl >= 0)
		close(s->ctl);
	if (s->pid > 0) {
		if (kill_it)
			kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	standby_init(s);
}

int standby_start(struct vmm_standby *s, const char *vmm_path, uint64_t mem_kib, struct verr *e)
{
	char mem[40];
	char *argv[] = { (char *)vmm_path, "standby", mem, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int sv[2], rc;
	pid_t pid;

	standby_init(s);
	snprintf(mem, sizeof mem, "--mem=%" PRIu64 "K", mem_kib);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return verr_set(e, VERR_SYSTEM_ERROR, "standby vmm: socketpair: %s", strerror(errno));
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 2, 1);
	posix_spawn_file_actions_adddup2(&fa, sv[1], VMM_STANDBY_CONTROL_FD);
	posix_spawnattr_init(&at);
	/* as vmproc's vmm: a session of its own, no mask or ignored signals
	 * of the daemon's */
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	rc = posix_spawn(&pid, vmm_path, &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	if (rc != 0) {
		close(sv[0]);
		return verr_set(e, VERR_SYSTEM_ERROR, "cannot start a standby vmm: %s", strerror(rc));
	}
	s->pid = pid;
	s->ctl = sv[0];
	s->mem_kib = mem_kib;
	s->start = proc_starttime(pid);
	return 0;
}

pid_t standby_hand_over(struct vmm_standby *s, uint64_t mem_kib, char *const *argv, const int *fds, int nfds,
			uint64_t *start)
{
	static char msg[VMM_STANDBY_MSG_MAX];
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int) * VMM_STANDBY_FDS_MAX)];
	} c;
	struct iovec iov;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.space };
	size_t len = sizeof VMM_STANDBY_MAGIC;
	pid_t pid;

	if (s->pid <= 0 || s->mem_kib != mem_kib || nfds < 3 || nfds > VMM_STANDBY_FDS_MAX)
		return 0;
	/* one that ended (killed, or its VM could not be made) is no use */
	if (waitpid(s->pid, NULL, WNOHANG) != 0) {
		s->pid = 0;
		drop(s, false);
		return 0;
	}
	memcpy(msg, VMM_STANDBY_MAGIC, len);
	for (int i = 0; argv[i]; i++) {
		size_t l = strlen(argv[i]) + 1;

		if (len + l > sizeof msg)
			return 0;
		memcpy(msg + len, argv[i], l);
		len += l;
	}
	iov = (struct iovec){ msg, len };
	memset(c.space, 0, sizeof c.space);
	m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
	c.h.cmsg_level = SOL_SOCKET;
	c.h.cmsg_type = SCM_RIGHTS;
	c.h.cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
	memcpy(CMSG_DATA(&c.h), fds, sizeof(int) * (size_t)nfds);
	if (sendmsg(s->ctl, &m, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len) {
		drop(s, true);
		return 0;
	}
	pid = s->pid;
	*start = s->start;
	close(s->ctl);
	standby_init(s);
	return pid;
}

void standby_stop(struct vmm_standby *s)
{
	drop(s, true); /* it holds nothing yet: no need to wait for it to see the socket close */
}
