#include "daemon/core/cgroup_move.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct move_job {
	struct cgroups cg;        /* its own copy: vmmd may exit meanwhile */
	struct domain_config lim; /* only what cgroup_vm_prepare reads */
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
	struct cgroup_join j = { .n = 0 };
	struct verr e = { 0 };
	int err;

	setpriority(PRIO_PROCESS, 0, 19); /* this thread only (Linux) */
	if (cgroup_vm_prepare(&job->cg, &job->lim, &j, &e) == 0 && (err = cgroup_move_now(&j, job->pid)) != 0)
		verr_set(&e, VERR_SYSTEM_ERROR, "cannot move the VM's processes into its cgroup: %s", strerror(err));
	/* the loop may have given up on it (closed its end): no SIGPIPE */
	send(job->out, &e, sizeof e, MSG_NOSIGNAL);
	close(job->out);
	cgroups_free(&job->cg);
	free(job);
	return NULL;
}

static int copy_cgroups(struct cgroups *to, const struct cgroups *from)
{
	*to = *from;
	for (int r = 0; r < CG_NRES; r++)
		to->base[r] = NULL;
	for (int r = 0; r < CG_NRES; r++)
		if (from->base[r] && !(to->base[r] = strdup(from->base[r]))) {
			cgroups_free(to);
			return -1;
		}
	return 0;
}

int cgroup_move_start(const struct cgroups *cg, const struct domain_config *c, pid_t pid, struct verr *e)
{
	pthread_attr_t attr;
	struct move_job *job;
	pthread_t t;
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return verr_set(e, VERR_SYSTEM_ERROR, "socketpair: %s", strerror(errno));
	if (!cg->base[CG_MEMORY] && !cg->base[CG_CPU] && !cg->base[CG_PIDS]) {
		struct verr none = { 0 };

		/* no groups here: the result is known */
		send(sv[1], &none, sizeof none, MSG_NOSIGNAL);
		close(sv[1]);
		return sv[0];
	}
	job = calloc(1, sizeof *job);
	if (!job || copy_cgroups(&job->cg, cg) < 0) {
		free(job);
		verr_set(e, VERR_INTERNAL_ERROR, "out of memory");
		goto fail;
	}
	memcpy(job->lim.uuid, c->uuid, sizeof c->uuid);
	job->lim.mem_kib = c->mem_kib;
	job->lim.vcpus = c->vcpus;
	job->lim.tune = c->tune;
	job->pid = pid;
	job->out = sv[1];
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	rc = pthread_create(&t, &attr, move_thread, job);
	pthread_attr_destroy(&attr);
	if (rc) {
		verr_set(e, VERR_SYSTEM_ERROR, "cannot start the move into the VM's cgroups: %s", strerror(rc));
		cgroups_free(&job->cg);
		free(job);
		goto fail;
	}
	return sv[0];
fail:
	close(sv[0]);
	close(sv[1]);
	return -1;
}

int cgroup_move_result(int fd, struct verr *e)
{
	ssize_t n = read(fd, e, sizeof *e);

	close(fd);
	if (n != (ssize_t)sizeof *e)
		return verr_set(e, VERR_INTERNAL_ERROR, "the move into the VM's cgroups ended without a result");
	e->msg[sizeof e->msg - 1] = 0;
	return e->msg[0] ? -1 : 0;
}
