/* vmmd-monitor: the parent of one VM's vmm process, in a session of its own
 * so that the VM outlives a daemon restart, and the one that records how the
 * vmm ended. vmmd execs it rather than forking itself for the job: a fork of
 * the daemon would keep a copy of the daemon's memory for as long as the VM
 * runs, and this small static program keeps almost nothing.
 *
 *   vmmd-monitor STATUS_FILE REPORT_FD VMM_PID
 *
 * VMM_PID is its child, the vmm, already started: vmmd's child starts the
 * vmm (every descriptor it has but REPORT_FD, a unix socket to vmmd) and
 * then execs this program, so that the vmm's exec does not wait for this
 * one's (0.1-0.6 ms measured on a PVM host, more where vmmd's own work
 * shares the CPU). It waits for vmmd's go: one
 * message on REPORT_FD carrying the VM's cgroup.procs files (none where
 * vmmd has no cgroups), moves the vmm and itself into them (the vmm's pid,
 * then "0", written to each), writes the vmm's pid (a pid_t, native byte
 * order) to REPORT_FD and closes everything, waits for the vmm and writes
 * its wait status as text to STATUS_FILE (temporary file, fsync, rename).
 * Exit status: 0 once the status is written, 1 otherwise, 2 for a bad
 * command line, EXIT_CGROUP when a move failed, EXIT_NO_GO when vmmd sent
 * no go (it closed the socket: its start failed, or it died); in these two
 * the vmm is killed and reaped and nothing reported.
 *
 * vmmd makes the VM's groups while the vmm starts (the go comes after),
 * and the moves come after the vmm is started: both are off the path to
 * the guest's first answer. Making the groups takes ~0.7 ms on a cgroup v1
 * PVM host; the first write to a cgroup.procs after a quiet spell waits for
 * an RCU grace period (cgroup_threadgroup_rwsem's rcu_sync; ~11 ms
 * measured there), which vmm spends booting on another CPU instead of
 * waiting. What that leaves outside the VM's limits until the move, ~10 ms
 * at most unless the host is overloaded:
 * - memory (v1 does not move charges): the pages vmm touches first (its
 *   binary's, its early allocations, the start of guest RAM) stay charged
 *   to vmmd's group for as long as they live; at most the guest's RAM plus
 *   vmm's own few MiB, in practice what one vCPU touches in those ms;
 * - pids: threads made before the move are counted from the move on (the
 *   move charges them; pids.max holds for every later one);
 * - cpu: the time before the move is vmmd's group's.
 * A move that fails fails the start: the vmm is killed before it is ever
 * reported, so no VM runs outside its limits unnoticed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CGROUPS 8
#define EXIT_CGROUP 3 /* vmmd's vmproc.c reads it: "cannot move the VM's processes into its cgroup" */
#define EXIT_NO_GO 4

/* The vmm has ended (a zombie still: only we reap it). */
static bool ended(pid_t vmm)
{
	siginfo_t si = { 0 };

	return waitid(P_PID, (id_t)vmm, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == vmm;
}

/* Writes the vmm's pid, then "0" (this process), to each cgroup.procs and
 * closes it. A vmm that has ended already (it could not start: its exit
 * status says why) need not move. 0, or -1 with the first failure in errno. */
static int join(const int *fd, int n, pid_t vmm)
{
	char pid[24];
	int len = snprintf(pid, sizeof pid, "%ld", (long)vmm), rc = 0;

	for (int i = 0; i < n; i++) {
		if (rc == 0 && write(fd[i], pid, (size_t)len) != len && !(errno == ESRCH && ended(vmm)))
			rc = -1;
		if (rc == 0 && write(fd[i], "0", 1) != 1)
			rc = -1;
		close(fd[i]);
	}
	return rc;
}

/* vmmd's go: one message on the report socket whose SCM_RIGHTS are the
 * VM's cgroup.procs files (close-on-exec: the vmm never has them), into fd.
 * Their count, or -1 when no go came (the socket closed, or a message
 * that is not one). */
static int receive_go(int report, int *fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * MAX_CGROUPS)];
	} ctl;
	char byte;
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
	struct cmsghdr *c;
	ssize_t n;
	int count = 0;

	while ((n = recvmsg(report, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n != 1)
		return -1;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < k && count < MAX_CGROUPS; i++)
			memcpy(&fd[count++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	if ((msg.msg_flags & MSG_CTRUNC) || byte != 'g') {
		for (int i = 0; i < count; i++)
			close(fd[i]);
		return -1;
	}
	return count;
}

/* Kills and reaps the vmm of a start that does not go on. */
static void end_vmm(pid_t vmm)
{
	int status;

	kill(vmm, SIGKILL);
	while (waitpid(vmm, &status, 0) < 0 && errno == EINTR)
		;
}

static int write_status(const char *path, int status)
{
	char tmp[PATH_MAX], text[32];
	int fd, n;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return -1;
	n = snprintf(text, sizeof text, "%d\n", status);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, text, (size_t)n) != n || fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	return rename(tmp, path);
}

int main(int argc, char **argv)
{
	int cg[MAX_CGROUPS], ncg = 0;
	siginfo_t si = { 0 };
	char *end;
	long report, pid;
	pid_t vmm;
	int status;

	if (argc != 4 || argv[1][0] != '/') {
		fprintf(stderr, "usage: vmmd-monitor STATUS_FILE REPORT_FD VMM_PID (run by vmmd)\n");
		return 2;
	}
	pid = strtol(argv[3], &end, 10);
	/* a child of ours, running or ended (not reaped: only we reap it) */
	if (*end || pid <= 0 || pid > INT_MAX ||
	    waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
		fprintf(stderr, "vmmd-monitor: VMM_PID '%s' is not a child of this process\n", argv[3]);
		return 2;
	}
	vmm = (pid_t)pid;
	report = strtol(argv[2], &end, 10);
	if (*end || report < 3 || report > 1024 || fcntl((int)report, F_GETFD) < 0) {
		fprintf(stderr, "vmmd-monitor: REPORT_FD '%s' is not an open descriptor above 2\n", argv[2]);
		end_vmm(vmm);
		return 2;
	}
	setsid(); /* fails harmlessly: vmmd made us a session leader already */
	/* the daemon's stop signals are not ours: the VM outlives the daemon */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* the vmm boots while vmmd makes its groups and the moves wait (see
	 * the top); it is reported only once it is in them */
	if ((ncg = receive_go((int)report, cg)) < 0) {
		end_vmm(vmm);
		return EXIT_NO_GO;
	}
	if (join(cg, ncg, vmm) < 0) {
		fprintf(stderr, "vmmd-monitor: cannot move the VM into its cgroup: %s\n", strerror(errno));
		end_vmm(vmm);
		return EXIT_CGROUP;
	}
	if (write((int)report, &vmm, sizeof vmm) != sizeof vmm) {
		/* the daemon notices the short read */
	}
	syscall(SYS_close_range, 0u, ~0u, 0u);
	while (waitpid(vmm, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	return write_status(argv[1], status) == 0 ? 0 : 1;
}
