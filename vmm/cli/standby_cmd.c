#include "cli/standby_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli/standby_proto.h"
#include "cli/run_cmd.h"
#include "cli/run_jail.h"
#include "cli/standby_msg.h"
#include "kvm/kvm.h"
#include "machine/config.h"
#include "machine/vm_ahead.h"
#include "util/size.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vmm standby [--mem SIZE]\n"
		"Start ahead of a VM: open /dev/kvm, make guest RAM and a KVM VM, then wait on\n"
		"descriptor %d (a SOCK_SEQPACKET socket) for the arguments and descriptors of a\n"
		"'vmm run' (vmm/cli/standby_proto.h in vmm's sources) and run it as if exec'd with\n"
		"them: that start skips vmm's exec, its start-up and the VM's creation. Its\n"
		"command line becomes the run's where the kernel allows (PR_SET_MM_MAP).\n"
		"For a manager: vmmd keeps one ready.\n"
		"\n"
		"  -m, --mem SIZE   RAM of the VM made ahead, with K/M/G suffix (default 64M); a run\n"
		"                   with other RAM makes its own\n"
		"  -h, --help       show this help\n"
		"\n"
		"Exit status: the run's; 0 when the socket closes without one; 2 on a set-up error.\n",
		VMM_STANDBY_CONTROL_FD);
}

static int parse(int argc, char **argv, uint64_t *mem, struct err *e)
{
	static const struct option opts[] = {
		{ "mem", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*mem = VM_DEFAULT_MEM;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (parse_size(optarg, mem) < 0 || *mem == 0)
				return err_set(e, "--mem '%s': not a size (examples: 64M, 1G)", optarg);
			break;
		case 'h':
			return 1;
		case ':':
			return err_set(e, "option '%s' needs a value", argv[optind - 1]);
		default:
			return err_set(e, "unknown option '%s' (see 'vmm standby --help')", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return err_set(e, "unexpected argument '%s' (see 'vmm standby --help')", argv[optind]);
	return 0;
}

/* Waits for the message: its length, with fds[*nfds] the descriptors it
 * carried; 0 when the socket closed without one. */
static ssize_t receive(char *buf, size_t size, int *fds, int *nfds, struct err *e)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int) * VMM_STANDBY_FDS_MAX)];
	} ctl;
	struct iovec iov = { buf, size };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space,
			      .msg_controllen = sizeof ctl.space };
	ssize_t n;

	*nfds = 0;
	do
		n = recvmsg(VMM_STANDBY_CONTROL_FD, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_errno(e, "cannot read the control socket");
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof fd, sizeof fd);
			if (*nfds < VMM_STANDBY_FDS_MAX)
				fds[(*nfds)++] = fd;
			else
				close(fd);
		}
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return err_set(e, "standby message too long (at most %d bytes and %d descriptors)",
			       VMM_STANDBY_MSG_MAX, VMM_STANDBY_FDS_MAX);
	if (n > 0 && *nfds < 3)
		return err_set(e, "standby message with %d descriptors: stdin, stdout and stderr at least", *nfds);
	return n;
}

/* The i-th descriptor becomes descriptor i, the control socket goes: the
 * run finds what an exec would have given it. */
static int place(int *fds, int nfds, struct err *e)
{
	for (int i = 0; i < nfds; i++) {
		int tmp = fcntl(fds[i], F_DUPFD_CLOEXEC, VMM_STANDBY_FDS_MAX);

		if (tmp < 0)
			return err_errno(e, "cannot take the descriptors given");
		close(fds[i]);
		fds[i] = tmp;
	}
	close(VMM_STANDBY_CONTROL_FD);
	for (int i = 0; i < nfds; i++) {
		if (dup2(fds[i], i) < 0)
			return err_errno(e, "cannot take the descriptors given");
		close(fds[i]);
		fds[i] = -1;
	}
	return 0;
}

/* This process's memory layout as PR_SET_MM_MAP takes it, from
 * /proc/self/stat (fields 26-28 and 45-51) and the current break. */
static int mm_map(struct prctl_mm_map *m)
{
	static const int want[] = { 26, 27, 28, 45, 46, 47, 48, 49, 50, 51 };
	__typeof__(m->start_code) *const dst[] = { &m->start_code, &m->end_code, &m->start_stack, &m->start_data, &m->end_data,
			       &m->start_brk, &m->arg_start, &m->arg_end, &m->env_start, &m->env_end };
	char buf[2048], *p;
	ssize_t n;
	unsigned k = 0;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strrchr(buf, ')'); /* after the command, which may hold anything */
	if (!p || p[1] != ' ')
		return -1;
	p += 2; /* field 3 */
	for (int field = 3; field <= 51 && k < sizeof want / sizeof want[0]; field++) {
		char *end;

		if (field == want[k]) {
			*dst[k++] = strtoull(p, &end, 10);
			if (end == p)
				return -1;
		}
		if (!(p = strchr(p, ' ')))
			return -1;
		p++;
	}
	if (k != sizeof want / sizeof want[0])
		return -1;
	m->brk = (uint64_t)syscall(SYS_brk, 0);
	m->auxv = NULL;
	m->auxv_size = 0;
	m->exe_fd = (uint32_t)-1;
	return 0;
}

/* /proc/PID/cmdline of the standby becomes the run's, as an exec would
 * have made it (argv0, then the run's arguments): for ps, and for anyone
 * who looks for a VM's process by its arguments. PR_SET_MM_MAP (Linux
 * CONFIG_CHECKPOINT_RESTORE) needs no privilege while /proc/PID/exe stays;
 * where it is missing the standby's command line stays. */
static void take_cmdline(const char *argv0, char **run_argv)
{
	size_t len = strlen(argv0) + 1;
	struct prctl_mm_map m;
	char *area, *p;

	for (int i = 0; run_argv[i]; i++)
		len += strlen(run_argv[i]) + 1;
	if (mm_map(&m) < 0)
		return;
	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return;
	p = stpcpy(area, argv0) + 1;
	for (int i = 0; run_argv[i]; i++)
		p = stpcpy(p, run_argv[i]) + 1;
	m.arg_start = (uintptr_t)area;
	m.arg_end = (uintptr_t)(area + len);
	if (prctl(PR_SET_MM, PR_SET_MM_MAP, (unsigned long)&m, sizeof m, 0) < 0)
		munmap(area, len);
}

/* Holds every free descriptor below VMM_STANDBY_FDS_MAX (on /dev/null),
 * so that what the standby opens before its run (/dev/kvm, the VM, the
 * jail's namespaces) lies above the ones the run is given; their numbers
 * in held[], -1 after the last. */
static int hold_low_fds(int *held, struct err *e)
{
	int n = 0, fd;

	while ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0 && fd < VMM_STANDBY_FDS_MAX)
		held[n++] = fd;
	held[n] = -1;
	if (fd < 0)
		return err_errno(e, "cannot open /dev/null");
	close(fd);
	return 0;
}

static void release_low_fds(int *held)
{
	for (int i = 0; held[i] >= 0; i++) {
		close(held[i]);
		held[i] = -1;
	}
}

int standby_cmd(const char *argv0, int argc, char **argv)
{
	static char buf[VMM_STANDBY_MSG_MAX + 1];
	char *run_argv[VMM_STANDBY_ARGS_MAX + 1];
	int fds[VMM_STANDBY_FDS_MAX], held[VMM_STANDBY_FDS_MAX + 1] = { -1 }, nfds = 0, run_argc, kvm_fd = -1,
										   status = 2;
	struct vm_ahead ahead = { .taken = true };
	struct jail_state jail;
	bool jail_ahead = false;
	struct err e = { "" }, jail_err;
	struct stat st;
	uint64_t mem;
	ssize_t n;

	jail_state_init(&jail);
	switch (parse(argc, argv, &mem, &e)) {
	case 1:
		usage(stdout);
		return 0;
	case -1:
		fprintf(stderr, "vmm: standby: %s\n", e.msg);
		return 2;
	}
	if (fstat(VMM_STANDBY_CONTROL_FD, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "vmm: standby: descriptor %d is not a socket: run by a manager that gives it one\n",
			VMM_STANDBY_CONTROL_FD);
		return 2;
	}
	if (hold_low_fds(held, &e) < 0 || (kvm_fd = kvm_open(&e)) < 0 ||
	    vm_ahead_make(&ahead, kvm_fd, mem, &e) < 0)
		goto out;
	/* a failure here is the run's to report, if it fails there too */
	jail_ahead = run_jail_ahead(&jail, &jail_err) == 0;
	if (!jail_ahead)
		jail_state_free(&jail);
	n = receive(buf, sizeof buf, fds, &nfds, &e);
	if (n == 0 && nfds == 0) {
		status = 0;
		goto out;
	}
	release_low_fds(held);
	if (n < 0 || standby_msg_parse(buf, (size_t)n, run_argv, &run_argc, &e) < 0 || place(fds, nfds, &e) < 0)
		goto out;
	nfds = 0;
	take_cmdline(argv0, run_argv);
	status = run_cmd_ahead(run_argc, run_argv, &(struct run_ahead){ kvm_fd, &ahead, jail_ahead ? &jail : NULL });
	e.msg[0] = 0;
out:
	if (e.msg[0])
		fprintf(stderr, "vmm: standby: %s\n", e.msg);
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	release_low_fds(held);
	jail_state_free(&jail); /* nothing, once a run took it */
	vm_ahead_free(&ahead);
	if (kvm_fd >= 0)
		close(kvm_fd);
	return status;
}
