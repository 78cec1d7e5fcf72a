#include "util/file_arg.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/size.h"

int file_arg_open(const char *what, const char *arg, int flags, char label[FILE_ARG_LABEL], struct err *e)
{
	int acc = flags & O_ACCMODE, fl, fd;
	uint64_t n;

	if (strncmp(arg, "fd:", 3) != 0) {
		snprintf(label, FILE_ARG_LABEL, "'%s'", arg);
		fd = open(arg, flags | O_CLOEXEC);
		if (fd < 0)
			return err_errno(e, "cannot open %s '%s'", what, arg);
		return fd;
	}
	/* 0-2 are stdio: never a file the parent meant to pass */
	if (parse_uint(arg + 3, 3, INT_MAX, &n) < 0)
		return err_set(e, "%s '%s': fd '%s' is not a number of at least 3", what, arg, arg + 3);
	snprintf(label, FILE_ARG_LABEL, "fd %d", (int)n);
	fl = fcntl((int)n, F_GETFL);
	if (fl < 0)
		return err_set(e, "%s fd %d is not open (the parent must pass it)", what, (int)n);
	if ((fl & O_PATH) || (acc == O_RDWR && (fl & O_ACCMODE) != O_RDWR) ||
	    (acc == O_RDONLY && (fl & O_ACCMODE) == O_WRONLY))
		return err_set(e, "%s fd %d is not open for %s", what, (int)n,
			       acc == O_RDWR ? "reading and writing" : "reading");
	/* Ours from here: a duplicate, so that naming one N twice cannot close
	 * it twice; the parent's copy stays open, out of any child's reach. */
	fd = fcntl((int)n, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return err_errno(e, "%s fd %d", what, (int)n);
	fcntl((int)n, F_SETFD, FD_CLOEXEC);
	return fd;
}
