#include "cli/run_jail.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Below this, the file-size limit never bites: the console log's cap and
 * small disks fit. */
#define FILE_MAX_FLOOR (256ull << 20)
#define NOFILE_MIN     4096u

int run_jail_init(struct run_jail *j, const struct vm_config *vm, struct err *e)
{
	memset(j, 0, sizeof *j);
	j->vm = vm;
	jail_state_init(&j->st);
	if (vm->no_jail) {
		fprintf(stderr, "vmm: %s: --no-jail: the VM runs unconfined (no namespaces, ids, limits or seccomp)\n",
			vm->name);
		return 0;
	}
	j->cfg.nkeep = vm_config_run_paths(vm, j->cfg.keep, JAIL_MAX_KEEP);
	if (j->cfg.nkeep > JAIL_MAX_KEEP)
		return err_set(e, "jail: at most %u --vsock-connect sockets", JAIL_MAX_KEEP);
	return jail_prepare(&j->cfg, &j->st, e);
}

/* The largest file open for writing (read-write disks, the console log)
 * and the highest descriptor: the limits must leave both alone. */
static void open_files(uint64_t *largest, int *highest)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	*largest = 0;
	*highest = 2;
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;
		int fd = atoi(de->d_name), fl;

		if (de->d_name[0] == '.' || fd == dirfd(d))
			continue;
		if (fd > *highest)
			*highest = fd;
		fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && (fl & O_ACCMODE) != O_RDONLY && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    (uint64_t)st.st_size > *largest)
			*largest = (uint64_t)st.st_size;
	}
	closedir(d);
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
