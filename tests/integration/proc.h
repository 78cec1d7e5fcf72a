/* Runs a program with given stdin bytes, captures stdout and stderr, and
 * enforces a timeout; the integration tests drive `vmm` through this. */
#ifndef TESTS_INTEGRATION_PROC_H
#define TESTS_INTEGRATION_PROC_H

#include <stddef.h>
#include <sys/types.h>

struct proc_result {
	int status;     /* exit status, or 128 + signal */
	int timed_out;
	char *out;      /* NUL-terminated, malloc'd */
	char *err;
	size_t out_len, err_len;
};

struct proc_opts {
	const char *in;        /* bytes for stdin (NULL: /dev/null) */
	size_t in_len;
	int in_fd;             /* if >= 0, used as stdin instead (a pty, say) */
	int timeout_ms;
	int signal_after_ms;   /* if > 0, send signo this long after start */
	int signo;
	const char *until_out; /* if set, send signo as soon as stdout contains it */
	int signal_count;      /* with until_out: wait for this many occurrences (default 1) */
};

int proc_run(char *const argv[], const struct proc_opts *o, struct proc_result *r);
void proc_result_free(struct proc_result *r);
/* Starts argv in the background with stdin from /dev/null and stdout and
 * stderr written to the files out and err; returns its pid, or -1. */
pid_t proc_spawn(const char *const argv[], const char *out, const char *err);
/* proc_spawn, passing fd to the program as its fd `as` (>= 3), as a parent
 * hands vmm an inherited listener. */
pid_t proc_spawn_fd(const char *const argv[], const char *out, const char *err, int fd, int as);
/* A first TCP port for this process's listeners (a few dozen above it are
 * its too): 20000-31999 by pid, below Linux's ephemeral range (32768 up),
 * where a busy host's outgoing connections and their TIME_WAITs would make
 * a listener's bind fail at random. */
int test_port_base(void);
/* Whether a process (a kernel thread, say) named comm runs now. */
int process_named(const char *comm);
/* Counts occurrences of needle in hay. */
int count_of(const char *hay, const char *needle);

/* Runs `vmm run --kernel <guest> args...` (args NULL-terminated) with opts
 * (NULL: defaults, 120 s timeout); asserts it finished in time. */
void run_guest(const char *guest, const struct proc_opts *opts, struct proc_result *r, const char **args);
#define RUN(guest, opts, r, ...) run_guest(guest, opts, r, (const char *[]){ __VA_ARGS__ __VA_OPT__(,) NULL })

/* Runs one suite with check's runner; returns the process exit status. */
struct Suite;
int run_suite(struct Suite *s);

/* The binaries under test (overridable with VMM_BIN and GUEST_DIR). */
const char *vmm_bin(void);
const char *guest_path(const char *name, char *buf, size_t len);

#endif
