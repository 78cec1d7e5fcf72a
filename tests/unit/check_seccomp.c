/* The seccomp filters themselves (jail/seccomp_bpf.c, seccomp_policy.c):
 * each case forks a child that installs the real policies and makes one
 * call; allowed calls run, a call outside the list (or with arguments
 * outside it) kills the child with SIGSYS after the report on stderr. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/kvm.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_suite.h"
#include "jail/seccomp_bpf.h"
#include "jail/seccomp_policy.h"
#include "unit/suites.h"

enum call { ALLOWED, UNAME, IOCTL_TTY_WINSZ, MMAP_EXEC, SOCKET_INET, SIGACTION_SIGSYS, X32, VCPU_EVENTFD, CLONE3 };

static struct seccomp_prog main_prog, vcpu_prog;

static void compile_both(void)
{
	struct err e = { "" };

	ck_assert_msg(seccomp_compile(&seccomp_main_policy, &main_prog, &e) == 0, "%s", e.msg);
	ck_assert_msg(seccomp_compile(&seccomp_vcpu_policy, &vcpu_prog, &e) == 0, "%s", e.msg);
	ck_assert_uint_lt(main_prog.len, 1024);
}

/* In the child: filters on, then the call; _exit(0) if it returned as
 * expected, 1 if it returned wrongly (a kill never returns). */
static void child(enum call c, int err_fd)
{
	struct err e = { "" };
	struct winsize ws;
	int rc = 0;

	dup2(err_fd, STDERR_FILENO);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_report_install(&e) < 0 ||
	    seccomp_install(&main_prog, "main", &e) < 0)
		_exit(3);
	if (c == VCPU_EVENTFD && seccomp_install(&vcpu_prog, "vcpu", &e) < 0)
		_exit(4);
	switch (c) {
	case ALLOWED:
		/* on the list, with its arguments: runs (and fails on its own) */
		rc = getpid() > 0 && ioctl(STDERR_FILENO, KVM_CHECK_EXTENSION, 0) < 0 && errno == ENOTTY &&
		     socket(AF_UNIX, SOCK_STREAM, 0) >= 0 ? 0 : 1;
		/* a request with bit 31 set, sign-extended as musl's ioctl(int,
		 * int, ...) passes it: the kernel reads 32 bits, and so does the
		 * filter (the release vmm is built on musl; a reset's
		 * KVM_GET_SREGS used to kill it) */
		if (rc == 0 && !(syscall(SYS_ioctl, STDERR_FILENO, (long)(int)KVM_GET_SREGS, NULL) < 0 && errno == ENOTTY))
			rc = 1;
		break;
	case CLONE3:
		/* refused with ENOSYS, so glibc falls back to clone */
		rc = syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS ? 0 : 1;
		break;
	case UNAME: {
		struct utsname u;
		uname(&u);
		rc = 1;
		break;
	}
	case IOCTL_TTY_WINSZ:
		ioctl(STDERR_FILENO, TIOCGWINSZ, &ws);
		rc = 1;
		break;
	case MMAP_EXEC:
		mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		rc = 1;
		break;
	case SOCKET_INET:
		socket(AF_INET, SOCK_STREAM, 0);
		rc = 1;
		break;
	case SIGACTION_SIGSYS:
		signal(SIGSYS, SIG_IGN);
		rc = 1;
		break;
	case X32:
		syscall(0x40000000 | SYS_getpid);
		rc = 1;
		break;
	case VCPU_EVENTFD:
		syscall(SYS_eventfd2, 0, 0); /* the main thread's, not a vCPU's */
		rc = 1;
		break;
	}
	_exit(rc);
}

/* Runs the call in a child; returns its wait status, its stderr in out. */
static int run(enum call c, char *out, size_t cap)
{
	int p[2], status;
	ssize_t n;
	size_t len = 0;
	pid_t pid;

	compile_both();
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		child(c, p[1]);
	}
	close(p[1]);
	while (len < cap - 1 && (n = read(p[0], out + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = 0;
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static void assert_killed(enum call c, const char *report)
{
	char out[512];
	int st = run(c, out, sizeof out);

	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "call %d: status %#x, stderr '%s'", c, st, out);
	if (report)
		ck_assert_msg(strstr(out, report), "call %d: stderr '%s', wanted '%s'", c, out, report);
}

START_TEST(allowed_calls_run)
{
	char out[512];
	int st = run(ALLOWED, out, sizeof out);

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x, stderr '%s'", st, out);
	st = run(CLONE3, out, sizeof out);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "clone3: status %#x, stderr '%s'", st, out);
}
END_TEST

START_TEST(forbidden_calls_kill)
{
	assert_killed(UNAME, "system call 63 is not allowed on the main thread");
#ifndef __SANITIZE_ADDRESS__
	/* sanitizer builds allow any handler (LeakSanitizer's tracer sets its own) */
	assert_killed(SIGACTION_SIGSYS, "system call 13 is not allowed");
#endif
	/* no report: the architecture check kills at once */
	assert_killed(X32, NULL);
}
END_TEST

START_TEST(forbidden_arguments_kill)
{
	assert_killed(IOCTL_TTY_WINSZ, "system call 16 is not allowed");
	assert_killed(MMAP_EXEC, "system call 9 is not allowed");
	assert_killed(SOCKET_INET, "system call 41 is not allowed");
}
END_TEST

START_TEST(vcpu_filter_narrows)
{
	assert_killed(VCPU_EVENTFD, "system call 290 is not allowed on the vcpu thread");
}
END_TEST

/* The compiled program run here, on a call with the given number and
 * arguments all 0: the classic BPF subset seccomp_compile emits (loads of
 * the data, AND, jumps, returns). */
static uint32_t verdict(const struct seccomp_prog *p, uint32_t arch, uint32_t nr)
{
	struct seccomp_data d = { .nr = (int)nr, .arch = arch };
	uint32_t a = 0;

	for (unsigned pc = 0; pc < p->len; pc++) {
		const struct sock_filter *f = &p->insn[pc];

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			ck_assert_uint_le(f->k + 4, sizeof d);
			memcpy(&a, (const char *)&d + f->k, 4);
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= f->k;
			break;
		case BPF_JMP | BPF_JA:
			pc += f->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += a & f->k ? f->jt : f->jf;
			break;
		case BPF_RET | BPF_K:
			return f->k;
		default:
			ck_abort_msg("instruction %u: code %#x not expected", pc, f->code);
		}
	}
	ck_abort_msg("the program ran off its end");
	return 0;
}

/* Every call number, through each compiled program: a call with a rule
 * gets that rule's answer (allowed; its errno; with arguments checked, 0s
 * pass a mask rule and fail the others, so allowed or trapped as its first
 * test says), every other number traps, and another architecture or an
 * x32 number is killed. The search over call numbers misses none. */
static void every_number(const struct seccomp_policy *pol, const struct seccomp_prog *prog)
{
	for (uint32_t nr = 0; nr < 1024; nr++) {
		const struct seccomp_rule *r = NULL;
		uint32_t want = SECCOMP_RET_TRAP, got = verdict(prog, AUDIT_ARCH_X86_64, nr);

		for (unsigned i = 0; i < pol->nrules && !r; i++)
			if ((uint32_t)pol->rules[i].nr == nr)
				r = &pol->rules[i];
		if (r && r->errno_ret)
			want = SECCOMP_RET_ERRNO | (uint32_t)r->errno_ret;
		else if (r && (r->check == ARG_ANY || r->check == ARG_BITS_WITHIN))
			want = SECCOMP_RET_ALLOW;
		else if (r && (r->check == ARG_ONE_OF || r->check == ARG_ONE_OF_32)) {
			want = SECCOMP_RET_TRAP;
			for (unsigned i = 0; i < r->nvalues; i++)
				if (r->values[i] == 0)
					want = SECCOMP_RET_ALLOW;
		} else if (r && r->check == ARG_BITS_ALL)
			want = r->values[0] == 0 ? SECCOMP_RET_ALLOW : SECCOMP_RET_TRAP;
		ck_assert_msg(got == want, "%s filter, call %u (%s): %#x, wanted %#x", pol->kind, nr,
			      r ? r->name : "no rule", got, want);
		ck_assert_uint_eq(verdict(prog, AUDIT_ARCH_X86_64, nr | 0x40000000u), SECCOMP_RET_KILL_PROCESS);
		ck_assert_uint_eq(verdict(prog, AUDIT_ARCH_I386, nr), SECCOMP_RET_KILL_PROCESS);
	}
}

START_TEST(every_call_number)
{
	compile_both();
	every_number(&seccomp_main_policy, &main_prog);
	every_number(&seccomp_vcpu_policy, &vcpu_prog);
}
END_TEST

Suite *seccomp_suite(void)
{
	Suite *s = suite_create("seccomp");
	TCase *t = tcase_create("filters");

	tcase_add_test(t, allowed_calls_run);
	tcase_add_test(t, forbidden_calls_kill);
	tcase_add_test(t, forbidden_arguments_kill);
	tcase_add_test(t, vcpu_filter_narrows);
	tcase_add_test(t, every_call_number);
	suite_add_tcase(s, t);
	return s;
}
