#include "cli/exit_record.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/file_arg.h"

int exit_record_open(const char *arg, struct err *e)
{
	char label[FILE_ARG_LABEL];
	int fd;

	if (strncmp(arg, "fd:", 3) == 0)
		return file_arg_open("--exit-status", arg, O_RDWR, label, e);
	fd = open(arg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_errno(e, "cannot open --exit-status '%s'", arg);
	return fd;
}

void exit_record_write(int fd, int status)
{
	char line[32];
	int n = snprintf(line, sizeof line, "exit %d\n", status);

	/* one write of a few bytes: a reader sees all of it or nothing */
	if (fd >= 0 && pwrite(fd, line, (size_t)n, 0) != n)
		fprintf(stderr, "vmm: cannot record the exit status: %m\n");
}
