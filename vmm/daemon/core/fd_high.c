#include "daemon/core/fd_high.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

void fd_high_init(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

int fd_high(int fd)
{
	int high;

	if (fd < 0 || fd >= FD_HIGH_BASE)
		return fd;
	high = fcntl(fd, F_DUPFD_CLOEXEC, FD_HIGH_BASE);
	if (high < 0)
		return fd;
	close(fd);
	return high;
}
