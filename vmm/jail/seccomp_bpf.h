/* A seccomp allowlist as a table of rules, compiled to a classic BPF
 * program and installed on the calling thread. The tables themselves (what
 * each thread kind may call, and why) are in seccomp_policy.c. */
#ifndef VMM_JAIL_SECCOMP_BPF_H
#define VMM_JAIL_SECCOMP_BPF_H

#include <linux/filter.h>
#include <stdint.h>

#include "util/err.h"

enum seccomp_arg_check {
	ARG_ANY,          /* any arguments */
	ARG_ONE_OF,       /* argument `arg` is one of values[] */
	/* as ARG_ONE_OF, its low 32 bits only: for an argument the kernel
	 * reads as 32 bits (ioctl's request, an unsigned int), which a C
	 * library may pass sign-extended (musl's ioctl takes an int: _IOR
	 * and _IOWR requests have bit 31 set) */
	ARG_ONE_OF_32,
	ARG_BITS_WITHIN,  /* argument `arg` has no bit outside values[0] */
	ARG_BITS_ALL,     /* argument `arg` has every bit of values[0] */
};

#define SECCOMP_MAX_VALUES 48

struct seccomp_rule {
	int nr;
	const char *name;
	enum seccomp_arg_check check;
	unsigned arg;                       /* 0-5 */
	uint64_t values[SECCOMP_MAX_VALUES]; /* each below 2^32 */
	unsigned nvalues;
	int errno_ret;                      /* non-zero: fail with this errno instead of running */
	const char *why;
};

struct seccomp_policy {
	const char *kind; /* "main", "vcpu": named in the report of a forbidden call */
	const struct seccomp_rule *rules;
	unsigned nrules;
};

/* Any call outside the allowlist traps (SIGSYS); the handler that
 * seccomp_report_install sets writes "vmm: seccomp: ..." with the call's
 * number to stderr, then makes this call, which every filter answers with
 * SECCOMP_RET_KILL_PROCESS. No kernel assigns it (they stop below 1024). */
#define SECCOMP_KILL_NR 0x3ff00000

struct seccomp_prog {
	unsigned short len; /* first: a short program leaves the end of insn untouched */
	struct sock_filter insn[BPF_MAXINSNS];
};

/* Compiles p (arch check, the kill call, then each rule; anything else
 * traps). Fails when the program would not fit. */
int seccomp_compile(const struct seccomp_policy *p, struct seccomp_prog *out, struct err *e);
/* Sets the SIGSYS handler that reports a forbidden call and kills the
 * process. Once per process, before the first filter. */
int seccomp_report_install(struct err *e);
/* Installs prog on the calling thread (and the threads it creates later)
 * and names the thread kind for the report. Needs no_new_privs or
 * CAP_SYS_ADMIN. */
int seccomp_install(const struct seccomp_prog *prog, const char *kind, struct err *e);
/* For a program installed later, by threads still to come: a copy of
 * prog's instructions in a block of their own size (a seccomp_prog is
 * 32 KiB), out->filter to be freed. */
int seccomp_prog_copy(const struct seccomp_prog *prog, struct sock_fprog *out, struct err *e);
/* seccomp_install for such a copy. */
int seccomp_install_fprog(const struct sock_fprog *fp, const char *kind, struct err *e);

#endif
