#include "jail/seccomp_bpf.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ARCH_NR     offsetof(struct seccomp_data, arch)
#define SYSCALL_NR  offsetof(struct seccomp_data, nr)
#define ARG_LO(i)   (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i)   (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#define X32_BIT     0x40000000u

struct emitter {
	struct seccomp_prog *p;
	int overflow;
};

static unsigned emit(struct emitter *m, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (m->p->len >= BPF_MAXINSNS) {
		m->overflow = 1;
		return m->p->len;
	}
	m->p->insn[m->p->len] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
	return m->p->len++;
}

static void stmt(struct emitter *m, uint16_t code, uint32_t k)
{
	emit(m, code, 0, 0, k);
}

/* The argument part of one rule, entered with A = the call number
 * matched: ends in an allow or a trap, never falls through. */
static int emit_args(struct emitter *m, const struct seccomp_rule *r, struct err *e)
{
	uint32_t ok = r->errno_ret ? SECCOMP_RET_ERRNO | ((uint32_t)r->errno_ret & SECCOMP_RET_DATA)
				   : SECCOMP_RET_ALLOW;

	if (r->check == ARG_ANY) {
		stmt(m, BPF_RET | BPF_K, ok);
		return 0;
	}
	if (r->arg > 5 || r->nvalues == 0 || r->nvalues > SECCOMP_MAX_VALUES)
		return err_set(e, "seccomp: rule %s: bad argument check", r->name);
	for (unsigned i = 0; i < r->nvalues; i++)
		if (r->values[i] >> 32)
			return err_set(e, "seccomp: rule %s: value %#llx above 32 bits", r->name,
				       (unsigned long long)r->values[i]);
	/* every value fits in 32 bits, so the high half must be 0 (a flags
	 * mask included: no flag we allow lives up there), unless the kernel
	 * ignores it */
	if (r->check != ARG_ONE_OF_32) {
		stmt(m, BPF_LD | BPF_W | BPF_ABS, (uint32_t)ARG_HI(r->arg));
		emit(m, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0);
		stmt(m, BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	}
	stmt(m, BPF_LD | BPF_W | BPF_ABS, (uint32_t)ARG_LO(r->arg));
	switch (r->check) {
	case ARG_ONE_OF:
	case ARG_ONE_OF_32:
		/* value i jumps over the remaining tests and the trap to the allow */
		for (unsigned i = 0; i < r->nvalues; i++)
			emit(m, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(r->nvalues - i), 0, (uint32_t)r->values[i]);
		break;
	case ARG_BITS_WITHIN:
		stmt(m, BPF_ALU | BPF_AND | BPF_K, ~(uint32_t)r->values[0]);
		emit(m, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0);
		break;
	case ARG_BITS_ALL:
		stmt(m, BPF_ALU | BPF_AND | BPF_K, (uint32_t)r->values[0]);
		emit(m, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, (uint32_t)r->values[0]);
		break;
	default:
		return err_set(e, "seccomp: rule %s: unknown check", r->name);
	}
	stmt(m, BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	stmt(m, BPF_RET | BPF_K, ok);
	return 0;
}

#define MAX_RULES 128
#define LEAF_RULES 8 /* a range this small is tested in order */

/* rules[lo, hi), sorted by call number, as a binary search on it: the
 * kernel runs the program for every call number when it is installed
 * (its cache of calls always allowed), and down a list of 59 rules that
 * cost each vmm start ~60 us more (jail_probe, PVM host); a search tests
 * a few numbers instead of up to 59, at install and at every call
 * checked. Entered with A = the call number; never falls through. */
static int emit_range(struct emitter *m, const struct seccomp_rule *const *rules, unsigned lo, unsigned hi,
		      struct err *e)
{
	struct seccomp_prog *out = m->p;

	if (hi - lo > LEAF_RULES) {
		unsigned mid = lo + (hi - lo) / 2, ja;

		/* A >= rules[mid]'s number: over the jump, to the upper half;
		 * else the jump, to the lower half after it */
		emit(m, BPF_JMP | BPF_JGE | BPF_K, 1, 0, (uint32_t)rules[mid]->nr);
		ja = emit(m, BPF_JMP | BPF_JA, 0, 0, 0);
		if (emit_range(m, rules, mid, hi, e) < 0)
			return -1;
		if (m->overflow)
			return 0;
		out->insn[ja].k = out->len - ja - 1;
		return emit_range(m, rules, lo, mid, e);
	}
	for (unsigned i = lo; i < hi; i++) {
		const struct seccomp_rule *r = rules[i];
		unsigned test = emit(m, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, (uint32_t)r->nr);

		if (emit_args(m, r, e) < 0)
			return -1;
		if (m->overflow)
			return 0;
		if (out->len - test - 1 > 255)
			return err_set(e, "seccomp: rule %s: too many values for one jump", r->name);
		out->insn[test].jf = (uint8_t)(out->len - test - 1); /* to the next rule */
	}
	stmt(m, BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	return 0;
}

static int by_nr(const void *a, const void *b)
{
	int x = (*(const struct seccomp_rule *const *)a)->nr, y = (*(const struct seccomp_rule *const *)b)->nr;

	return x < y ? -1 : x > y;
}

int seccomp_compile(const struct seccomp_policy *p, struct seccomp_prog *out, struct err *e)
{
	struct emitter m = { out, 0 };
	const struct seccomp_rule *rules[MAX_RULES];

	if (p->nrules > MAX_RULES)
		return err_set(e, "seccomp: the %s policy has more than %d rules", p->kind, MAX_RULES);
	for (unsigned i = 0; i < p->nrules; i++)
		rules[i] = &p->rules[i];
	qsort(rules, p->nrules, sizeof rules[0], by_nr);
	for (unsigned i = 1; i < p->nrules; i++)
		if (rules[i]->nr == rules[i - 1]->nr) /* the second could never match */
			return err_set(e, "seccomp: the %s policy has two rules for %s", p->kind, rules[i]->name);
	out->len = 0;
	stmt(&m, BPF_LD | BPF_W | BPF_ABS, ARCH_NR);
	emit(&m, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64);
	stmt(&m, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	stmt(&m, BPF_LD | BPF_W | BPF_ABS, SYSCALL_NR);
	/* x32 calls (the same numbers with bit 30) would slip past the list */
	emit(&m, BPF_JMP | BPF_JSET | BPF_K, 0, 1, X32_BIT);
	stmt(&m, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	emit(&m, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, SECCOMP_KILL_NR);
	stmt(&m, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	if (emit_range(&m, rules, 0, p->nrules, e) < 0)
		return -1;
	if (m.overflow)
		return err_set(e, "seccomp: the %s policy does not fit in %d instructions", p->kind, BPF_MAXINSNS);
	return 0;
}

static __thread const char *thread_kind = "main";

/* Async-signal-safe: a fixed buffer, digits by hand, write(2). */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char msg[160], num[12];
	size_t n = 0, k = 0;
	unsigned v = (unsigned)si->si_syscall;
	const char *parts[] = { "vmm: seccomp: system call ", num, " is not allowed on the ", thread_kind,
				" thread: the process is killed\n" };

	(void)sig;
	(void)uc;
	do
		num[k++] = (char)('0' + v % 10);
	while ((v /= 10) && k < sizeof num - 1);
	for (size_t i = 0; i < k / 2; i++) {
		char t = num[i];
		num[i] = num[k - 1 - i];
		num[k - 1 - i] = t;
	}
	num[k] = 0;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		for (const char *s = parts[i]; *s && n < sizeof msg; s++)
			msg[n++] = *s;
	if (write(STDERR_FILENO, msg, n) < 0) {
		/* nothing left to tell it to */
	}
	syscall(SECCOMP_KILL_NR);
	_exit(159); /* not reached: the filter kills on that call */
}

int seccomp_report_install(struct err *e)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return err_errno(e, "sigaction(SIGSYS)");
	return 0;
}

int seccomp_install_fprog(const struct sock_fprog *fp, const char *kind, struct err *e)
{
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, fp) < 0)
		return err_errno(e, "cannot install the %s thread's seccomp filter", kind);
	thread_kind = kind;
	return 0;
}

int seccomp_install(const struct seccomp_prog *prog, const char *kind, struct err *e)
{
	struct sock_fprog fp = { prog->len, (struct sock_filter *)prog->insn };

	return seccomp_install_fprog(&fp, kind, e);
}

int seccomp_prog_copy(const struct seccomp_prog *prog, struct sock_fprog *out, struct err *e)
{
	out->filter = malloc(prog->len * sizeof prog->insn[0]);
	if (!out->filter)
		return err_set(e, "out of memory");
	memcpy(out->filter, prog->insn, prog->len * sizeof prog->insn[0]);
	out->len = prog->len;
	return 0;
}
