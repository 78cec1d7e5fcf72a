#include "daemon/core/cgroup_move.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct move_job {
	struct cgroup_join j;
	pid_t pid;
	int out; /* the result goes here */
};

/* pid, our child, has ended (a zombie still: the loop reaps it). */
static bool ended(pid_t pid)
{
	siginfo_t si = { 0 };

	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

int cgroup_move_now(struct cgroup_join *j, pid_t pid)
{
	char text[24];
	int len = snprintf(text, sizeof text, "%ld", (long)pid), err = 0;

	for (unsigned i = 0; i < j->n; i++) {
		ssize_t w = err ? len : write(j->fd[i], text, (size_t)len);

		/* a vmm that could not start has nothing to move: its exit
		 * status says why */
		if (w != len && !(w < 0 && errno == ESRCH && ended(pid)))
			err = w < 0 ? errno : EIO;
		close(j->fd[i]);
	}
	j->n = 0;
	return err;
}

static void *move_thread(void *arg)
{
	struct move_job *job = arg;
	int err = cgroup_move_now(&job->j, job->pid);

	/* the loop may have given up on it (closed its end): no SIGPIPE */
	send(job->out, &err, sizeof err, MSG_NOSIGNAL);
	close(job->out);
	free(job);
	return NULL;
}

int cgroup_move_start(struct cgroup_join *j, pid_t pid, struct verr *e)
{
	pthread_attr_t attr;
	struct move_job *job;
	pthread_t t;
	int sv[2], rc, none = 0;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		verr_set(e, VERR_SYSTEM_ERROR, "socketpair: %s", strerror(errno));
		cgroup_join_close(j);
		return -1;
	}
	if (!j->n) { /* no groups here: the result is known */
		send(sv[1], &none, sizeof none, MSG_NOSIGNAL);
		close(sv[1]);
		return sv[0];
	}
	job = malloc(sizeof *job);
	if (!job) {
		verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
		goto fail;
	}
	job->j = *j;
	job->pid = pid;
	job->out = sv[1];
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	rc = pthread_create(&t, &attr, move_thread, job);
	pthread_attr_destroy(&attr);
	if (rc) {
		verr_set(e, VERR_SYSTEM_ERROR, "cannot start the move into the VM's cgroups: %s", strerror(rc));
		free(job);
		goto fail;
	}
	j->n = 0; /* the thread's now */
	return sv[0];
fail:
	cgroup_join_close(j);
	close(sv[0]);
	close(sv[1]);
	return -1;
}

int cgroup_move_result(int fd)
{
	int err = EPIPE;

	if (read(fd, &err, sizeof err) != sizeof err)
		err = EPIPE;
	close(fd);
	return err;
}
