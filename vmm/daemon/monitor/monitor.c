/* vmmd-monitor: the parent of one VM's vmm process, in a session of its own
 * so that the VM outlives a daemon restart, and the one that records how the
 * vmm ended. vmmd execs it rather than forking itself for the job: a fork of
 * the daemon would keep a copy of the daemon's memory for as long as the VM
 * runs, and this small static program keeps almost nothing.
 *
 *   vmmd-monitor STATUS_FILE REPORT_FD VMM_PATH ARG...
 *
 * It starts VMM_PATH with the ARGs and every descriptor it was given except
 * REPORT_FD, writes the vmm's pid (a pid_t, native byte order) to REPORT_FD
 * and closes everything, waits for the vmm and writes its wait status as
 * text to STATUS_FILE (temporary file, fsync, rename). Exit status: 0 once
 * the status is written, 1 otherwise, 2 for a bad command line. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

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
	sigset_t none;
	char *end;
	long report;
	pid_t vmm;
	int status;

	if (argc < 4 || argv[1][0] != '/' || argv[3][0] != '/') {
		fprintf(stderr, "usage: vmmd-monitor STATUS_FILE REPORT_FD VMM_PATH ARG... (run by vmmd)\n");
		return 2;
	}
	report = strtol(argv[2], &end, 10);
	if (*end || report < 3 || report > 1024 || fcntl((int)report, F_GETFD) < 0) {
		fprintf(stderr, "vmmd-monitor: REPORT_FD '%s' is not an open descriptor above 2\n", argv[2]);
		return 2;
	}
	setsid(); /* fails harmlessly if vmmd made us a session leader already */
	/* the daemon's stop signals are not ours: the VM outlives the daemon */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	vmm = fork();
	if (vmm == 0) {
		for (int s = 1; s < NSIG; s++)
			signal(s, SIG_DFL);
		close((int)report);
		execv(argv[3], argv + 3);
		fprintf(stderr, "vmmd: cannot run %s: %s\n", argv[3], strerror(errno));
		_exit(2);
	}
	if (write((int)report, &vmm, sizeof vmm) != sizeof vmm) {
		/* the daemon notices the short read */
	}
	syscall(SYS_close_range, 0u, ~0u, 0u);
	if (vmm < 0)
		return 1;
	while (waitpid(vmm, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	return write_status(argv[1], status) == 0 ? 0 : 1;
}
