/* Where vmmd keeps the descriptors it holds per domain for long (a site's
 * listening socket, a running domain's pidfd): at FD_HIGH_BASE and above,
 * so that the few a start opens for its vmm (files) lie low. The vmm's
 * copy of the daemon's descriptor table (before its exec) then stops
 * below them (vmproc.c), instead of copying and closing every site's
 * socket at each start: 0.4 ms per start with 3,000 open, 1.2 ms with
 * 10,000, measured here. */
#ifndef VMM_DAEMON_CORE_FD_HIGH_H
#define VMM_DAEMON_CORE_FD_HIGH_H

#define FD_HIGH_BASE 1024

/* Lifts the soft descriptor limit to the hard one, so there is room above
 * FD_HIGH_BASE. */
void fd_high_init(void);
/* fd moved to FD_HIGH_BASE or above (close-on-exec), the original closed;
 * fd itself when there is no room there. -1 stays -1. */
int fd_high(int fd);

#endif
