/* Console output into a regular file, kept bounded whatever the guest
 * writes: a cap on the file's size (past it the file is cut to its newest
 * part, behind a line saying so) and a rate limit (output beyond it is
 * dropped, counted, and the count written into the file at most once a
 * second while dropping and once more when dropping stops or vmm exits).
 *
 * After set-up it works on open descriptors alone, no path, so it keeps
 * working once vmm has no file system (a jail), with few and plain system
 * calls (write, pread, pwrite, lseek, fstat, ftruncate; clock_gettime). A
 * cut reads the newest part back and moves it to the start: through the
 * descriptor if it was opened for reading and writing without O_APPEND
 * (pwrite ignores the offset under O_APPEND), else through a second one
 * console_log_init opens by /proc/self/fd (shells and vmmd open logs
 * write-only); without either, a cut keeps only the line saying so and what
 * is being written. The
 * descriptor's offset may be shared with other writers of the same open file
 * (vmmd gives vmm one file as stdout and stderr): the cap measures the file
 * where the next write lands, so their lines count, stay in order and are
 * cut with the rest. A line another thread writes during a cut may be lost.
 * Callable from any thread (vCPUs write the console). */
#ifndef VMM_HOST_CONSOLE_LOG_H
#define VMM_HOST_CONSOLE_LOG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/token_bucket.h"

struct console_limits {
	uint64_t max;   /* the file's size cap in bytes; 0: none */
	uint64_t rate;  /* bytes per second; 0: unlimited */
	uint64_t burst; /* bytes the rate lets through at once (>= 1 with a rate) */
};

#define CONSOLE_LOG_MAX_DEFAULT   (4ull << 20)
#define CONSOLE_LOG_MAX_MIN       (4ull << 10)  /* room for the cut line and some output */
#define CONSOLE_RATE_DEFAULT      (64ull << 10)
#define CONSOLE_BURST_DEFAULT     (1ull << 20)

struct console_log {
	int fd;
	int rw_fd;               /* the same file, read-write, no O_APPEND (may be fd); -1: none */
	bool append;             /* O_APPEND: writes land at the end, whatever the offset */
	char name[65];           /* the VM's, for the lines vmm writes */
	struct console_limits lim;
	pthread_mutex_t lock;
	struct token_bucket bucket;
	uint64_t dropped;        /* by the rate limit, not yet reported */
	uint64_t dropped_total;
	uint64_t discarded;      /* file bytes the cap has cut away */
	int64_t reported_ns;     /* when the last dropped-bytes line was written */
	bool reported;           /* one was written at all */
	bool midline;            /* the last byte written was not a newline */
	uint8_t *move;           /* a buffer for moving the newest part to the start */
};

/* fd stays the caller's. now_ns: CLOCK_MONOTONIC (console_log_now). Opens
 * the second descriptor, so call it before the file system goes away. */
int console_log_init(struct console_log *l, int fd, const char *name, const struct console_limits *lim,
		     int64_t now_ns, struct err *e);
/* Writes buf within the limits; never blocks on the rate limit (the excess
 * is dropped, so the guest never waits). */
void console_log_write(struct console_log *l, const uint8_t *buf, size_t len, int64_t now_ns);
/* Reports bytes still counted as dropped, frees the buffer and the second
 * descriptor. */
void console_log_close(struct console_log *l, int64_t now_ns);
int64_t console_log_now(void);

#endif
