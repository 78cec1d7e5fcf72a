#include "cli/run_jail.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Below this, the file-size limit never bites: the console log's cap and
 * small disks fit. */
#define FILE_MAX_FLOOR (256ull << 20)
#define NOFILE_MIN     4096u
/* the kernel's own limit on a process's descriptors (fs.nr_open's) */
#define FD_TABLE_MAX   (1u << 20)

/* The configuration run_jail_ahead builds for: the builder reads it while
 * it runs. */
static const struct jail_config keeps_nothing;

int run_jail_ahead(struct jail_state *ahead, struct err *e)
{
	return jail_prepare(&keeps_nothing, ahead, e);
}

int run_jail_init(struct run_jail *j, const struct vm_config *vm, struct jail_state *ahead, struct err *e)
{
	memset(j, 0, sizeof *j);
	j->vm = vm;
	jail_state_init(&j->st);
	if (vm->no_jail) {
		if (ahead)
			jail_state_free(ahead);
		fprintf(stderr, "vmm: %s: --no-jail: the VM runs unconfined (no namespaces, ids, limits or seccomp)\n",
			vm->name);
		return 0;
	}
	j->cfg.nkeep = vm_config_run_paths(vm, j->cfg.keep, JAIL_MAX_KEEP);
	if (ahead && j->cfg.nkeep == 0) {
		int rc = jail_prepare_wait(ahead, e);

		j->st = *ahead; /* built for a jail like this one: ours from here on */
		j->st.cfg = &j->cfg;
		jail_state_init(ahead);
		return rc;
	}
	if (ahead)
		jail_state_free(ahead);
	if (j->cfg.nkeep > JAIL_MAX_KEEP)
		return err_set(e, "jail: at most %u --vsock-connect sockets", JAIL_MAX_KEEP);
	return jail_prepare(&j->cfg, &j->st, e);
}

/* The size of this process's descriptor table (FDSize in
 * /proc/self/status: every open descriptor is below it), 0 if unknown. */
static unsigned fd_table_size(void)
{
	char buf[4096];
	const char *f;
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	f = strstr(buf, "\nFDSize:");
	return f ? (unsigned)strtoul(f + 8, NULL, 10) : 0;
}

/* The largest file open for writing (read-write disks, the console log)
 * and the highest descriptor: the limits must leave both alone. One poll
 * over the descriptor table finds the open ones (a closed one reports
 * POLLNVAL): listing /proc/self/fd cost ~40 us more at a start and a
 * proc inode and dentry per descriptor for the VM's life. */
static void open_files(uint64_t *largest, int *highest)
{
	unsigned n = fd_table_size();
	struct pollfd *p;

	*largest = 0;
	*highest = 2;
	if (n > FD_TABLE_MAX)
		n = FD_TABLE_MAX;
	if (!n || !(p = calloc(n, sizeof *p)))
		return;
	for (unsigned i = 0; i < n; i++)
		p[i].fd = (int)i;
	/* more descriptors than RLIMIT_NOFILE (lowered since they opened):
	 * poll refuses, so one by one */
	if (poll(p, n, 0) < 0)
		for (unsigned i = 0; i < n; i++)
			p[i].revents = fcntl((int)i, F_GETFD) < 0 ? POLLNVAL : 0;
	for (unsigned i = 0; i < n; i++) {
		struct stat st;
		int fd = (int)i, fl;

		if (p[i].revents & POLLNVAL)
			continue;
		if (fd > *highest)
			*highest = fd;
		fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && (fl & O_ACCMODE) != O_RDONLY && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    (uint64_t)st.st_size > *largest)
			*largest = (uint64_t)st.st_size;
	}
	free(p);
}

int run_jail_before_start(void *ctx, struct err *e)
{
	struct run_jail *j = ctx;
	uint64_t largest;
	int highest;

	if (j->vm->no_jail || j->entered)
		return 0;
	open_files(&largest, &highest);
	j->cfg.uid = j->vm->uid;
	j->cfg.gid = j->vm->gid;
	j->cfg.ids_given = j->vm->ids_given;
	/* the vCPUs, the main thread, and LeakSanitizer's tracer in tests */
	j->cfg.threads = j->vm->cpus + 2;
	j->cfg.file_max = largest > FILE_MAX_FLOOR ? largest : FILE_MAX_FLOOR;
	j->cfg.nofile = (unsigned)highest + 1 > NOFILE_MIN ? (unsigned)highest + 64 : NOFILE_MIN;
	if (jail_enter(&j->cfg, &j->st, e) < 0)
		return -1;
	/* a shared namespace could not be used: said once each */
	const struct jail_note *notes[] = { &j->st.net_note, &j->st.ipc_note, &j->st.mnt_note };

	for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++)
		if (notes[i]->set)
			fprintf(stderr, "vmm: %s: %s; it has %s namespace of its own instead\n", j->vm->name,
				notes[i]->why.msg, notes[i]->kind->a_what);
	j->entered = true;
	return 0;
}

int run_jail_vcpu_thread(void *ctx, struct err *e)
{
	struct run_jail *j = ctx;

	return j->entered ? jail_vcpu_thread(&j->st, e) : 0;
}

void run_jail_free(struct run_jail *j)
{
	jail_state_free(&j->st);
}
