/* What the tests that reach a guest through a published port share: the
 * loopback interface brought up, TCP connections to it, a monotonic clock. */
#ifndef TESTS_INTEGRATION_LOOPBACK_H
#define TESTS_INTEGRATION_LOOPBACK_H

#include <sys/types.h>

/* A fresh network namespace (the TCG fallback VM) starts with lo down. */
void loopback_up(void);
/* A TCP_NODELAY connection to 127.0.0.1:port; fails the running check if refused. */
int tcp_connect(int port);
/* Milliseconds on CLOCK_MONOTONIC. */
long now_ms(void);
/* One read of what fd has, waiting until deadline_ms (now_ms's clock) at
 * most: the bytes read, 0 at EOF, or -1 with errno (ETIMEDOUT once the
 * deadline passed; EINTR is retried). */
ssize_t read_by(int fd, void *buf, size_t n, long deadline_ms);

#endif
