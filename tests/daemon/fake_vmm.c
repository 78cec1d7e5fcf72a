/* A stand-in for `vmm run` so the daemon's life cycle can be tested without
 * KVM. It follows vmm's contract: exit statuses (power-off code, 2 setup
 * error, 125 crash, 126 reset with --on-reset=exit, 128+N signal), SIGTERM
 * stops it, SIGPWR powers off, SIGUSR2 resets, --console-socket serves the
 * console (echoing input). The kernel file name picks a behaviour:
 *   *fail*     setup error at once (exit 2)
 *   *poweroff* powers off by itself after 800 ms
 *   *crash*    crashes after 800 ms
 *   *segv*     is killed by SIGSEGV after 800 ms (a vmm that crashed itself)
 *   *late*     with poweroff, crash or segv: 3 s instead of 800 ms (time to
 *              open the console first)
 *   *stubborn* ignores SIGPWR
 *   *slow*     takes 3 s to stop after SIGTERM (a slow destroy)
 *   *sockwait* makes its console socket only after 1.5 s (a console open
 *              that has to wait for it)
 * --kernel=fd:N names the file vmmd opened (read from /proc/self/fd/N);
 * --exit-status=fd:N gets "exit N" when it exits (not when a signal kills
 * it), as vmm's does.
 * It prints its arguments first, so tests can read them in the log. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *opt(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);

	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=')
			return argv[i] + n + 1;
	return NULL;
}

static char kernel_name[4096];

static int run(int argc, char **argv)
{
	const char *kernel, *sock_path, *name;
	int lfd = -1, cfd = -1, sfd, timeout = -1;
	bool terminating = false;
	sigset_t set;

	if (argc >= 3 && strcmp(argv[1], "run") == 0 && strcmp(argv[2], "--help") == 0) {
		puts("fake vmm: --console-socket PATH --disk FILE[,ro] --cid N --publish SPEC --exit-status FILE; "
		     "FILE may be fd:N");
		return 0;
	}
	kernel = opt(argc, argv, "--kernel");
	/* vmmd passes its files as descriptors: the behaviour comes from the
	 * name of the file it opened */
	if (kernel && strncmp(kernel, "fd:", 3) == 0) {
		char link[64];
		ssize_t n;

		snprintf(link, sizeof link, "/proc/self/fd/%d", atoi(kernel + 3));
		n = readlink(link, kernel_name, sizeof kernel_name - 1);
		kernel_name[n > 0 ? n : 0] = 0;
		kernel = kernel_name;
		printf("kernel: %s\n", kernel);
	}
	sock_path = opt(argc, argv, "--console-socket");
	name = opt(argc, argv, "--name");
	for (int i = 0; i < argc; i++)
		printf("arg: %s\n", argv[i]);
	fflush(stdout);
	if (!kernel || strstr(kernel, "fail")) {
		fprintf(stderr, "vmm: cannot boot: fake setup failure\n");
		return 2;
	}
	if (strstr(kernel, "poweroff") || strstr(kernel, "crash") || strstr(kernel, "segv"))
		timeout = strstr(kernel, "late") ? 3000 : 800;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGPWR);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, 0);
	if (sock_path && strstr(kernel, "sockwait")) {
		struct timespec ts = { 1, 500 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	if (sock_path) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
		lfd = socket(AF_UNIX, SOCK_STREAM, 0);
		unlink(sock_path);
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 4) < 0) {
			perror("vmm: console socket");
			return 2;
		}
	}
	for (;;) {
		struct pollfd p[3] = { { sfd, POLLIN, 0 }, { cfd >= 0 ? -1 : lfd, POLLIN, 0 }, { cfd, POLLIN, 0 } };
		int r = poll(p, 3, timeout);

		if (r == 0 && terminating)
			return 128 + SIGTERM;
		if (r == 0) {
			if (strstr(kernel, "segv")) {
				signal(SIGSEGV, SIG_DFL);
				raise(SIGSEGV);
			}
			return strstr(kernel, "crash") ? 125 : 0;
		}
		if (r < 0 && errno != EINTR)
			return 1;
		if (p[0].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof si) == sizeof si) {
				if (si.ssi_signo == SIGTERM && strstr(kernel, "slow") && !terminating) {
					terminating = true; /* the poll's timeout ends it */
					timeout = 3000;
				} else if (si.ssi_signo == SIGTERM && !terminating) {
					return 128 + SIGTERM;
				}
				if (si.ssi_signo == SIGUSR2)
					return 126;
				if (si.ssi_signo == SIGPWR && !strstr(kernel, "stubborn"))
					return 0;
			}
		}
		if (p[1].revents) {
			cfd = accept(lfd, NULL, NULL);
			if (cfd >= 0)
				dprintf(cfd, "fake console %s\r\n", name ? name : "");
		}
		if (cfd >= 0 && p[2].revents) {
			char buf[4096];
			ssize_t n = read(cfd, buf, sizeof buf);

			if (n <= 0) {
				close(cfd);
				cfd = -1;
			} else if (write(cfd, buf, (size_t)n) != n) {
				close(cfd);
				cfd = -1;
			}
		}
	}
}

int main(int argc, char **argv)
{
	const char *record = opt(argc, argv, "--exit-status");
	int status = run(argc, argv);

	if (record && strncmp(record, "fd:", 3) == 0)
		dprintf(atoi(record + 3), "exit %d\n", status);
	return status;
}
